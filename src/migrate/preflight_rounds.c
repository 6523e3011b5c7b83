/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_rounds.c - check on a plan with earlier rounds: the verdicts
 * predict the next `snapmig sync` from the state file (pf->rounds).
 *
 * An index an earlier round restored is replaced by the next round when
 * the target still holds it as recorded: the same UUID (a restore over a
 * closed index keeps it; another one means it was deleted and made
 * again), open (closed means someone else closed it), a plain index, and
 * the shard count of the source index.  Anything else, or anything
 * unknown, is a blocker, as sync refuses it (workflow_target.c's check
 * right before the restore, workflow_work.c for a closed one).  A source
 * index no round restored is new.  What changed since: the source's
 * document count now against the one recorded for that round, the size
 * of the source index now against what that round restored.  Pure: no
 * I/O. */
#include "preflight.h"
#include "preflight_int.h"

#include <stdlib.h>
#include <string.h>

#define ISSUE SNM__ISSUE

static int finished(const struct snm_state *st)
{
  return st->step == SNM_STEP_DONE;
}

unsigned snm_preflight_next_round(const struct snm_preflight *pf)
{
  const struct snm_state *st = pf->rounds;

  if (st == NULL || st->n_rounds == 0)
    return 0;
  return (unsigned)st->n_rounds + (finished(st) ? 1u : 0u);
}

static long long round_docs(const struct snm_state_round *rd, const char *src)
{
  const struct snm_state_count *n =
      snm_state_counts_find(&rd->snapshot.docs_after, src);

  if (n == NULL || n->count < 0)
    n = snm_state_counts_find(&rd->snapshot.docs_before, src);
  return n != NULL && n->count >= 0 ? n->count : -1;
}

void snm__pf_prior(struct snm__vctx *c, size_t r, struct snm_pf_item *it)
{
  const struct snm_state *st = c->pf->rounds;
  const char *src = c->pf->indices[it->index].name;

  for (size_t k = st->n_rounds; k-- > 0;) {
    const struct snm_state_round *rd = &st->rounds[k];
    const struct snm_state_index *ix = NULL;

    if (r >= rd->n_restores)
      continue;
    for (size_t i = 0; i < rd->restores[r].n_indices && ix == NULL; i++)
      if (strcmp(rd->restores[r].indices[i].target, it->target_name) == 0)
        ix = &rd->restores[r].indices[i];
    if (ix == NULL || ix->state == SNM_RESTORE_SKIPPED ||
        ix->state == SNM_RESTORE_PENDING)
      continue;
    if (k + 1 == st->n_rounds && !finished(st)) {
      /* the unfinished round is restoring it: the next sync (or run)
       * finishes that, as a resumed run does (adopts, or restores it) */
      it->own = 1;
      free(it->verdict);
      it->verdict = strdup("this run's own (resuming)");
      if (it->verdict == NULL)
        c->nomem = 1;
      return;
    }
    if (ix->uuid == NULL)
      continue; /* no identity on record: sync does not replace it */
    it->round = rd->number;
    free(it->uuid);
    if ((it->uuid = strdup(ix->uuid)) == NULL)
      c->nomem = 1;
    it->docs_last = round_docs(rd, src);
    it->bytes_last = ix->bytes;
    return;
  }
}

void snm__pf_check_prior(struct snm__vctx *c, size_t r, struct snm_pf_item *it,
                         const struct snm_pf_existing *ex)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_pf_index *ix = &pf->indices[it->index];
  const char *id = c->plan->domains[c->plan->restores[r].domain].id;
  const char *why = NULL;

  if (ix->data_stream != NULL) {
    why = "exists: data stream, not replaced";
    ISSUE(c, SNM_PF_BLOCKER, "replace-data-stream", id, it->target_name,
          "delete it (with its stream) on the target; the next round then "
          "restores the stream anew",
          "%s on %s is a backing index of a data stream round %u restored: "
          "a sync round does not replace data streams",
          it->target_name, id, it->round);
  } else if (ex->uuid == NULL || ex->shards <= 0 || ix->shards <= 0) {
    why = "exists: cannot tell if replaceable";
    ISSUE(c, SNM_PF_BLOCKER, "replace-unknown", id, it->target_name,
          "check that GET _cat/indices answers on both clusters, then check "
          "again",
          "%s on %s (restored by round %u): %s is unknown, so whether the "
          "next sync may replace it cannot be told",
          it->target_name, id, it->round,
          ex->uuid == NULL  ? "its UUID"
          : ex->shards <= 0 ? "its number of primary shards"
                            : "the source index's number of primary "
                              "shards");
  } else if (strcmp(ex->uuid, it->uuid) != 0) {
    why = "exists: recreated since";
    ISSUE(c, SNM_PF_BLOCKER, "index-recreated", id, it->target_name,
          "delete or rename it on the target (the next sync then restores "
          "it anew), or restore under another name",
          "%s on %s has UUID %s, not %s as round %u recorded: it was "
          "deleted and made again since, and sync never replaces it",
          it->target_name, id, ex->uuid, it->uuid, it->round);
  } else if (ex->closed &&
             !snm_state_round_left_closed(&pf->rounds->rounds[it->round - 1], r,
                                          it->target_name)) {
    /* (a cutover rolled back mid-restore may have closed it: its own) */
    why = "exists: closed by someone else";
    ISSUE(c, SNM_PF_BLOCKER, "target-index-closed", id, it->target_name,
          "open it (POST NAME/_open) or delete it on the target, then check "
          "again",
          "%s on %s (restored by round %u) is closed: someone closed it "
          "since, and sync does not restore over it",
          it->target_name, id, it->round);
  } else if (ex->shards != ix->shards) {
    why = "exists: shard count differs";
    ISSUE(c, SNM_PF_BLOCKER, "replace-shards", id, it->target_name,
          "delete it on the target (the next sync restores it anew), or "
          "restore under another name",
          "%s on %s has %ld primary shard%s and the source index %s %ld: a "
          "restore over it needs the same number",
          it->target_name, id, ex->shards, ex->shards == 1 ? "" : "s", ix->name,
          ix->shards);
  }
  free(it->verdict);
  it->verdict = strdup(why != NULL ? why : "replace");
  if (it->verdict == NULL)
    c->nomem = 1;
  if (why != NULL) {
    it->action = SNM_PF_BLOCKED;
    return;
  }
  it->action = SNM_PF_RESTORE;
  it->replace = 2;
}

void snm__pf_check_rounds(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_state *st = pf->rounds;

  if (pf->rounds_error != NULL) {
    ISSUE(c, SNM_PF_BLOCKER, "state-mismatch", NULL, NULL,
          "check with the plan of that run, or start a new one with "
          "'snapmig run --fresh' (deletes nothing)",
          "%s", pf->rounds_error);
    return;
  }
  if (st == NULL || st->n_rounds == 0)
    return;
  if (!finished(st))
    ISSUE(c, SNM_PF_WARNING, "round-unfinished", NULL, NULL,
          st->n_rounds == 1 ? "'snapmig run' resumes it"
                            : "'snapmig sync' resumes it",
          "round %zu of this plan is unfinished (step %s): the next %s "
          "resumes it; the prediction is for that",
          st->n_rounds, snm_step_name(st->step),
          st->n_rounds == 1 ? "run" : "sync");
  for (size_t r = 0; r < pf->n_restores; r++)
    for (size_t i = 0; i < pf->restores[r].n_items; i++) {
      struct snm_pf_item *it = &pf->restores[r].items[i];
      if (it->action != SNM_PF_RESTORE || it->replace || it->own ||
          strcmp(it->verdict, "ok") != 0)
        continue;
      free(it->verdict);
      it->verdict =
          strdup(it->round > 0 ? "new (the earlier copy is gone)" : "new");
      if (it->verdict == NULL)
        c->nomem = 1;
    }
}
