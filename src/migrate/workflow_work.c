/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_work.c - what the run works on: taken from the preflight for a
 * new run, from the state file (checked against the preflight's facts) for
 * a resumed one.  The exact names end up in the state file, which owns
 * them; the workflow borrows them. */
#include "log.h"
#include "report_check.h"
#include "es_chunk.h"
#include "workflow_int.h"
#include "workflow_req.h"

#include <stdlib.h>
#include <string.h>

static int existing_has(const struct snm_pf_domain *d, const char *name)
{
  for (size_t i = 0; i < d->n_existing; i++)
    if (strcmp(d->existing[i].name, name) == 0)
      return 1;
  return 0;
}

static int existing_closed(const struct snm_pf_domain *d, const char *name)
{
  for (size_t i = 0; d->existing_known && i < d->n_existing; i++)
    if (strcmp(d->existing[i].name, name) == 0)
      return d->existing[i].closed;
  return 0;
}

/* The snapshot is taken and both its counts are on record: a resumed run
 * needs nothing more from the source. */
static int source_done(const struct snm_workflow *wf)
{
  const struct snm_state_snapshot *ss = &wf_round(wf)->snapshot;

  if (ss->state != SNM_SNAP_SUCCESS &&
      !(ss->state == SNM_SNAP_PARTIAL && wf->plan->snapshot.allow_partial))
    return 0;
  if (ss->docs_before.len == 0)
    return 0;
  for (size_t i = 0; i < ss->docs_before.len; i++) {
    const struct snm_state_count *a =
        snm_state_counts_find(&ss->docs_after, ss->docs_before.items[i].index);
    if (ss->docs_before.items[i].count == SNM_STATE_UNKNOWN || a == NULL ||
        a->count == SNM_STATE_UNKNOWN)
      return 0;
  }
  return 1;
}

/* The UUID an earlier round of this run recorded for `target` of plan
 * restore `r` when it restored it (the latest such round), or NULL. */
static const char *earlier_identity(const struct snm_workflow *wf, size_t r,
                                    const char *target)
{
  for (size_t k = wf->st.n_rounds - 1; k-- > 0;) {
    const struct snm_state_round *rd = &wf->st.rounds[k];
    if (r >= rd->n_restores)
      continue;
    for (size_t i = 0; i < rd->restores[r].n_indices; i++) {
      const struct snm_state_index *ix = &rd->restores[r].indices[i];
      if (strcmp(ix->target, target) == 0)
        return ix->state != SNM_RESTORE_SKIPPED ? ix->uuid : NULL;
    }
  }
  return NULL;
}

/* Was `target` of restore `r` left closed by the earlier round that last
 * restored it (a cutover rolled back mid-restore)? */
static int left_closed_by_us(const struct snm_workflow *wf, size_t r,
                             const char *target)
{
  for (size_t k = wf->st.n_rounds - 1; k-- > 0;) {
    const struct snm_state_round *rd = &wf->st.rounds[k];

    for (size_t i = 0; r < rd->n_restores && i < rd->restores[r].n_indices; i++)
      if (strcmp(rd->restores[r].indices[i].target, target) == 0)
        return snm_state_round_left_closed(rd, r, target);
  }
  return 0;
}

/* Is `target` of restore `r` this resumed run's own (restored, or maybe
 * restored: the target's check right before the restore decides those,
 * from their recovery source), or, in a sync round, one an earlier round
 * restored (its UUID on record: the check before the restore compares
 * it)?  The verdicts then take it for neither a name conflict nor new
 * shards (snm_pf_own_fn). */
static int own_target(void *data, size_t r, const char *target)
{
  struct snm_workflow *wf = data;
  const struct snm_state_restore *sr = &wf_round(wf)->restores[r];
  const struct wf_target *t = &wf->targets[r];

  if (earlier_identity(wf, r, target) != NULL)
    return 1;

  for (size_t i = 0; i < sr->n_indices && i < t->n_actions; i++)
    if ((t->actions[i] == SNM_WF_IX_ADOPT ||
         t->actions[i] == SNM_WF_IX_CHECK) &&
        strcmp(sr->indices[i].target, target) == 0)
      return 1;
  return 0;
}

/* Resume decisions for the indices the state file already lists. */
static int decide_resumed(struct snm_workflow *wf, struct snm_err *err)
{
  for (size_t r = 0; r < wf->n_targets; r++) {
    struct wf_target *t = &wf->targets[r];
    const struct snm_state_restore *sr = &wf_round(wf)->restores[r];
    const struct snm_pf_domain *d =
        &wf->pf.domains[wf->plan->restores[r].domain];

    free(t->actions);
    t->actions = calloc(sr->n_indices + 1, sizeof(*t->actions));
    if (t->actions == NULL)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
    t->n_actions = sr->n_indices;
    for (size_t i = 0; i < sr->n_indices; i++) {
      const struct snm_state_index *ix = &sr->indices[i];
      enum snm_restore_state s = ix->state;

      /* a count mismatch marks the index failed: it is still ours */
      if (s == SNM_RESTORE_FAILED && ix->docs_found != SNM_STATE_UNKNOWN)
        s = SNM_RESTORE_RESTORED;
      /* a target whose indices could not be listed decides nothing here
       * (the preflight blocks on it): never "gone" for want of a list */
      if (!d->existing_known && s != SNM_RESTORE_SKIPPED)
        t->actions[i] = SNM_WF_IX_CHECK;
      else
        t->actions[i] = snm_wf_resume_index(s, existing_has(d, ix->target));
      if (t->actions[i] == SNM_WF_IX_GONE)
        return snm_err_set(err, SNM_EINVAL,
                           "preflight: %s was restored onto %s by this run "
                           "but is gone; 'snapmig run --fresh' restores it "
                           "again with a new snapshot",
                           ix->target, d->dom->id);
    }
  }
  return 0;
}

static void preflight_event(struct snm_workflow *wf)
{
  const struct snm_preflight *pf = &wf->pf;
  const char **b = calloc(pf->n_issues + 1, sizeof(*b));
  const char **w = calloc(pf->n_issues + 1, sizeof(*w));
  size_t nb = 0, nw = 0;

  if (b == NULL || w == NULL)
    goto done;
  for (size_t i = 0; i < pf->n_issues; i++) {
    if (pf->issues[i].severity == SNM_PF_BLOCKER)
      b[nb++] = pf->issues[i].message;
    else
      w[nw++] = pf->issues[i].message;
  }
  wf_event(
      wf, "preflight.done",
      SNM_FIELDS(SNM_FSTRV("blockers", b, nb), SNM_FSTRV("warnings", w, nw)));
done:
  free(b);
  free(w);
}

/* The data streams the snapshot names (with its indices, so saved
 * together). */
static int take_streams(struct snm_workflow *wf)
{
  struct snm_state_snapshot *ss = &wf_round(wf)->snapshot;
  const char **names = NULL;
  size_t n = 0;

  if (ss->n_data_streams > 0)
    return 0;
  if (snm_preflight_snapshot_streams(&wf->pf, &names, &n) != 0)
    return SNM_ENOMEM;
  ss->data_streams = calloc(n + 1, sizeof(*ss->data_streams));
  if (ss->data_streams == NULL) {
    free(names);
    return SNM_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    if ((ss->data_streams[i] = strdup(names[i])) == NULL) {
      free(names);
      return SNM_ENOMEM;
    }
    ss->n_data_streams++;
  }
  free(names);
  return 0;
}

/* The target name of the stream `ds` in preflight restore `pr`, or NULL. */
static const char *stream_target(const struct snm_preflight *pf,
                                 const struct snm_pf_restore *pr,
                                 const char *ds)
{
  for (size_t k = 0; k < pr->n_streams; k++)
    if (pr->streams[k].stream < pf->n_data_streams &&
        strcmp(pf->data_streams[pr->streams[k].stream].name, ds) == 0)
      return pr->streams[k].target_name;
  return NULL;
}

/* The snapshot's indices: recorded ones, else the preflight's (recorded
 * now in docs_before with unknown counts, so the state owns the names). */
static int take_indices(struct snm_workflow *wf, struct snm_err *err)
{
  struct snm_state_counts *c = &wf_round(wf)->snapshot.docs_before;

  if (c->len == 0) {
    const char **names = NULL;
    size_t n = 0;

    if (snm_preflight_snapshot_indices(&wf->pf, &names, &n) != 0)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
      if (snm_state_counts_set(c, names[i], SNM_STATE_UNKNOWN) != 0) {
        free(names);
        return snm_err_set(err, SNM_ENOMEM, "out of memory");
      }
    free(names);
    if (take_streams(wf) != 0)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  free(wf->snap_indices);
  free(wf->counts);
  wf->snap_indices = calloc(c->len + 1, sizeof(*wf->snap_indices));
  wf->counts = calloc(c->len + 1, sizeof(*wf->counts));
  if (wf->snap_indices == NULL || wf->counts == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  for (size_t i = 0; i < c->len; i++) {
    wf->snap_indices[i] = c->items[i].index;
    wf->counts[i] = SNM_STATE_UNKNOWN;
  }
  wf->n_snap_indices = c->len;
  return 0;
}

static int in_snapshot(const struct snm_workflow *wf, const char *name)
{
  for (size_t i = 0; i < wf->n_snap_indices; i++)
    if (strcmp(wf->snap_indices[i], name) == 0)
      return 1;
  return 0;
}

/* Restores the state file does not list yet take the preflight's items. */
static int take_restores(struct snm_workflow *wf, struct snm_err *err)
{
  for (size_t r = 0; r < wf->n_targets; r++) {
    struct wf_target *t = &wf->targets[r];
    struct snm_state_restore *sr = &wf_round(wf)->restores[r];
    const struct snm_pf_restore *pr = &wf->pf.restores[r];

    if (sr->n_indices == 0) {
      for (size_t i = 0; i < pr->n_items; i++) {
        const struct snm_pf_item *it = &pr->items[i];
        const char *src = wf->pf.indices[it->index].name, *ds, *tds;
        struct snm_state_index *ix;

        const char *uuid;

        if (it->action == SNM_PF_BLOCKED || !in_snapshot(wf, src))
          continue;
        if (snm_state_restore_add_index(sr, src, it->target_name, &ix) != 0)
          return snm_err_set(err, SNM_ENOMEM, "out of memory");
        ds = wf->pf.indices[it->index].data_stream;
        if (ds != NULL && (tds = stream_target(&wf->pf, pr, ds)) != NULL &&
            (snm_state_set_str(&ix->data_stream, ds) != 0 ||
             snm_state_set_str(&ix->target_stream, tds) != 0))
          return snm_err_set(err, SNM_ENOMEM, "out of memory");
        if (it->action == SNM_PF_SKIP)
          ix->state = SNM_RESTORE_SKIPPED;
        /* a sync round: an index an earlier round restored is replaced
         * while its UUID is the one on record (checked right before) */
        uuid = earlier_identity(wf, r, it->target_name);
        /* an earlier round's index closed since by someone else: not
         * restored over (check says index-closed); nothing changed yet */
        if (uuid != NULL && it->action == SNM_PF_RESTORE &&
            existing_closed(&wf->pf.domains[wf->plan->restores[r].domain],
                            it->target_name) &&
            !left_closed_by_us(wf, r, it->target_name))
          return snm_err_set(
              err, SNM_EINVAL,
              "preflight: %s on %s, restored by an earlier round, is closed: "
              "someone closed it since, and snapmig does not restore over "
              "it; open it (POST %s/_open) or delete it, then run snapmig "
              "again",
              it->target_name,
              wf->plan->domains[wf->plan->restores[r].domain].id,
              it->target_name);
        /* on_conflict replace: the index the preflight saw, by its UUID
         * (saved before anything is closed; another one is refused) */
        if (it->action == SNM_PF_RESTORE && it->replace == 1)
          uuid = it->uuid;
        if (uuid != NULL && it->action == SNM_PF_RESTORE) {
          if (snm_state_set_str(&ix->uuid, uuid) != 0)
            return snm_err_set(err, SNM_ENOMEM, "out of memory");
          ix->replace = 1;
        }
      }
    }
    if (t->n_actions != sr->n_indices) {
      enum snm_wf_index_action *a =
          realloc(t->actions, (sr->n_indices + 1) * sizeof(*a));
      if (a == NULL)
        return snm_err_set(err, SNM_ENOMEM, "out of memory");
      t->actions = a;
      for (size_t i = t->n_actions; i < sr->n_indices; i++)
        t->actions[i] = sr->indices[i].state == SNM_RESTORE_SKIPPED
                            ? SNM_WF_IX_SKIP
                            : SNM_WF_IX_RESTORE;
      t->n_actions = sr->n_indices;
    }
    /* an index a sync round replaces needs the snapshot even when the
     * check before the restore decides it (its restore may not be done) */
    for (size_t i = 0; i < t->n_actions; i++)
      if (t->actions[i] == SNM_WF_IX_RESTORE ||
          t->actions[i] == SNM_WF_IX_REPLACE ||
          (t->actions[i] == SNM_WF_IX_CHECK && sr->indices[i].replace))
        wf->restore_needed = 1;
  }
  return 0;
}

int wf_take_preflight(struct snm_workflow *wf, struct snm_err *err)
{
  const struct snm_plan *plan = wf->plan;
  int rc;

  if (wf->resumed || wf_round(wf)->number > 1) {
    if (wf->resumed && (rc = decide_resumed(wf, err)) != 0)
      return rc;
    snm_preflight_forget_snapshot(&wf->pf, wf->plan->repository.name,
                                  wf_round(wf)->snapshot.name);
    wf->pf.own_fn = own_target;
    wf->pf.own_data = wf;
    wf->pf.source_optional = wf->resumed && source_done(wf);
    wf->pf.resuming = wf->resumed;
    if (snm_preflight_verdict(&wf->pf) != 0)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  preflight_event(wf);
  if (wf->pf.n_blockers > 0) {
    if (snm_progress_mode(wf->progress) != SNM_PROGRESS_JSON &&
        snm_progress_mode(wf->progress) != SNM_PROGRESS_QUIET)
      snm_report_check_human(wf->o->err != NULL ? wf->o->err : stderr, &wf->pf,
                             1);
    return 0;
  }
  for (size_t i = 0; i < wf->pf.n_issues; i++)
    if (wf->pf.issues[i].severity == SNM_PF_WARNING)
      snm_log(SNM_LOG_WARN, "%s", wf->pf.issues[i].message);
  if ((rc = take_indices(wf, err)) != 0 || (rc = take_restores(wf, err)) != 0)
    return rc;
  for (size_t d = 0; d < plan->n_domains; d++) {
    const struct snm_pf_domain *pd = &wf->pf.domains[d];

    /* another domain's cluster under another id: that one's registration
     * serves it (registering the repository read-only there would make the
     * source's read-only too) */
    if (pd->roles == 0 || pd->repo_state == SNM_PF_REPO_MATCHES ||
        pd->same_as >= 0)
      continue;
    /* an unreachable source the run no longer needs keeps its
     * registration as it is */
    if (d == plan->snapshot.domain && !pd->reached && wf->pf.source_optional)
      continue;
    if (snm_preflight_repo_body(&wf->repo_body[d], NULL, plan, d) != 0)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  wf->metadata = snm_wf_supports_metadata(
      &wf->pf.domains[plan->snapshot.domain].info.version);
  return 0;
}

/* The index lists of target `t` from its actions: what the POST restores,
 * what the recovery waits for, what was skipped.  0 or SNM_ENOMEM. */
int wf_target_lists(struct wf_target *t)
{
  const struct snm_state_restore *sr = &wf_round(t->wf)->restores[t->r];
  size_t n = sr->n_indices + 1;

  free(t->post_src);
  free(t->wait);
  free(t->skipped);
  free(t->close);
  free(t->found);
  free(t->chunk_ends);
  free(t->close_ends);
  t->chunk_ends = NULL;
  t->close_ends = NULL;
  t->close = calloc(n, sizeof(*t->close));
  snm_es_cover_free(t->cover, t->n_cover);
  t->cover = NULL;
  t->n_cover = 0;
  free(t->cover_ends);
  t->cover_ends = NULL;
  free(t->hlevel);
  free(t->miss);
  t->hlevel = NULL;
  t->miss = NULL;
  free(t->miss_ends);
  t->miss_ends = NULL;
  t->n_miss = t->n_miss_chunks = 0;
  t->post_src = calloc(n, sizeof(*t->post_src));
  t->wait = calloc(n, sizeof(*t->wait));
  t->skipped = calloc(n, sizeof(*t->skipped));
  t->found = calloc(n, sizeof(*t->found));
  t->hlevel = calloc(n, sizeof(*t->hlevel));
  t->miss = calloc(n, sizeof(*t->miss));
  if (t->post_src == NULL || t->wait == NULL || t->skipped == NULL ||
      t->found == NULL || t->hlevel == NULL || t->miss == NULL ||
      t->close == NULL)
    return SNM_ENOMEM;
  t->n_post = t->n_wait = t->n_skipped = t->n_close = 0;
  for (size_t i = 0; i < sr->n_indices && i < t->n_actions; i++) {
    const struct snm_state_index *ix = &sr->indices[i];
    switch (t->actions[i]) {
    case SNM_WF_IX_REPLACE:
      t->close[t->n_close++] = ix->target;
      /* fall through */
    case SNM_WF_IX_RESTORE:
      t->post_src[t->n_post++] = ix->source;
      t->wait[t->n_wait++] = ix->target;
      break;
    case SNM_WF_IX_ADOPT:
      t->wait[t->n_wait++] = ix->target;
      break;
    case SNM_WF_IX_SKIP:
      t->skipped[t->n_skipped++] = ix->target;
      break;
    default:
      break;
    }
  }
  for (size_t i = 0; i < n; i++)
    t->found[i] = SNM_STATE_UNKNOWN;
  if (snm_es_chunk_names(&t->chunk_ends, &t->n_chunks, t->wait, t->n_wait,
                         SNM_ES_URL_LIST_MAX) != 0 ||
      snm_es_chunk_names(&t->close_ends, &t->n_close_chunks, t->close,
                         t->n_close, SNM_ES_URL_LIST_MAX) != 0 ||
      snm_es_cover_names(&t->cover, &t->n_cover, t->wait, t->n_wait,
                         SNM_ES_URL_LIST_MAX) != 0 ||
      snm_es_chunk_names(&t->cover_ends, &t->n_cover_chunks,
                         (const char *const *)t->cover, t->n_cover,
                         SNM_ES_URL_LIST_MAX) != 0)
    return SNM_ENOMEM;
  t->cover_wild = 0;
  for (size_t i = 0; i < t->n_cover; i++)
    t->cover_wild |= strchr(t->cover[i], '*') != NULL;
  return 0;
}

int wf_targets_prepare(struct snm_workflow *wf)
{
  for (size_t r = 0; r < wf->n_targets; r++) {
    struct wf_target *t = &wf->targets[r];

    if (wf_target_lists(t) != 0)
      return SNM_ENOMEM;
    wf_target_enter(t, WFT_WAITING);
  }
  return 0;
}
