/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_target.c - one target's part of the dispatcher: its restore,
 * recovery wait and verification (enum wf_tstate; the rows of its table
 * are in workflow_steps.c).  The run's WF_RESTORE and WF_VERIFY drivers
 * call wf_target_run(); a target changes state only in wf_target_enter().
 */
#include "buf.h"
#include "log.h"
#include "timefmt.h"
#include "es_chunk.h"
#include "workflow_int.h"
#include "workflow_req.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void wf_target_enter(struct wf_target *t, enum wf_tstate s)
{
  t->state = s;
  t->sent = 0;
  t->r_ok = 0;
  t->r_failed = 0;
  t->r_unknown = 0;
  t->r_nonews = 0;
  t->r_health = 0;
  snm_err_clear(&t->r_err);
  if (t->wf->o->on_step != NULL)
    t->wf->o->on_step(t->wf->o->on_step_data, t->r, wf_tstep(s)->name);
}

static void t_enter(struct wf_target *t, enum wf_tstate s)
{
  wf_target_enter(t, s);
}

static void t_next(struct wf_target *t)
{
  wf_target_enter(t, wf_tstep(t->state)->next);
}

/* The target failed with `e` (kept for the run's message). */
static void t_failed(struct wf_target *t, const struct snm_err *e)
{
  struct snm_err keep = *e;

  t_enter(t, WFT_FAILED);
  t->r_err = keep;
}

static const char *t_domain(const struct wf_target *t)
{
  return t->es->dom->id;
}

/* The progress stream: "restore:DOMAIN", plus ":N" (1-based plan
 * restore) when several restores go to that domain. */
static void t_key(char *key, size_t keysz, const struct wf_target *t)
{
  size_t same = 0;

  for (size_t i = 0; i < t->wf->n_targets; i++)
    same += t->wf->targets[i].es == t->es;
  if (same > 1)
    snprintf(key, keysz, "restore:%s:%zu", t_domain(t), t->r + 1);
  else
    snprintf(key, keysz, "restore:%s", t_domain(t));
}

static struct snm_state_restore *t_st(struct wf_target *t)
{
  return &wf_round(t->wf)->restores[t->r];
}

/* Save (wf_save_or_fail: written before the next request or when the
 * dispatch ends; a failure then stops the run). */
static int t_save(struct wf_target *t)
{
  return wf_save_or_fail(t->wf);
}

/* The target failed: say so, record it, keep the message for the run. */
static void t_fail(struct wf_target *t, const struct snm_err *err)
{
  struct snm_err e = *err;
  const char *id = t_domain(t);
  char key[160];

  snm_wf_explain(&e, err);
  if (strncmp(e.msg, id, strlen(id)) != 0)
    wf_err_prefix(&e, id);
  t_st(t)->state = SNM_RESTORE_FAILED;
  t_key(key, sizeof(key), t);
  snm_progress_end(t->wf->progress, key);
  wf_event(t->wf, "restore.done",
           SNM_FIELDS(SNM_FSTR("domain", id), SNM_FSTR("state", "failed"),
                      SNM_FINT("indices", 0),
                      SNM_FDBL("duration_s",
                               wf_seconds(t->restore_ms, snm_time_now_ms())),
                      SNM_FSTR("error", e.msg)));
  t_failed(t, &e);
  if (t_save(t) != 0)
    t->r_err = e; /* the first failure is the one to tell */
}

static void t_failf(struct wf_target *t, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void t_failf(struct wf_target *t, int code, const char *fmt, ...)
{
  struct snm_err e;
  va_list ap;

  va_start(ap, fmt);
  snm_err_setv(&e, code, fmt, ap);
  va_end(ap);
  t_fail(t, &e);
}

/* Elasticsearch before 7.0 runs one restore at a time per cluster; later
 * versions and OpenSearch restore different indices concurrently. */
static int one_restore_at_a_time(const struct wf_target *t)
{
  const struct snm_pf_domain *d =
      &t->wf->pf.domains[t->wf->plan->restores[t->r].domain];
  const struct snm_version *v = &d->info.version;

  return v->engine != SNM_ENGINE_OPENSEARCH &&
         !(v->engine == SNM_ENGINE_ELASTICSEARCH && v->major >= 7);
}

/* An earlier restore onto the same domain must finish first. */
static int domain_busy(const struct wf_target *t)
{
  if (!one_restore_at_a_time(t))
    return 0;
  for (size_t i = 0; i < t->r; i++) {
    const struct wf_target *u = &t->wf->targets[i];
    if (u->es == t->es && u->state < WFT_RESTORED)
      return 1;
  }
  return 0;
}

static void set_index_states(struct wf_target *t, const char *const *sources,
                             size_t n, enum snm_restore_state s)
{
  struct snm_state_restore *sr = t_st(t);

  for (size_t i = 0; i < n; i++) {
    struct snm_state_index *ix = snm_state_restore_find_index(sr, sources[i]);
    if (ix != NULL)
      ix->state = s;
  }
}

static void t_start(struct wf_target *t)
{
  struct snm_state_restore *sr = t_st(t);

  t->restore_ms = snm_time_now_ms();
  if (t->n_post > 0) {
    /* write-ahead: "restoring" is on disk before the POST goes out, and
     * "replacing" before the close of an index a sync round restores
     * over (a resumed run then finishes its restore) */
    set_index_states(t, t->post_src, t->n_post, SNM_RESTORE_RESTORING);
    for (size_t i = 0; i < sr->n_indices && i < t->n_actions; i++) {
      sr->indices[i].replace = t->actions[i] == SNM_WF_IX_REPLACE;
      if (t->actions[i] == SNM_WF_IX_REPLACE)
        sr->indices[i].state = SNM_RESTORE_REPLACING;
    }
    sr->state = SNM_RESTORE_RESTORING;
    if (t_save(t) != 0)
      return;
  }
  wf_event(t->wf, "restore.start",
           SNM_FIELDS(SNM_FSTR("domain", t_domain(t)),
                      SNM_FSTRV("indices", t->wait, t->n_wait),
                      SNM_FSTRV("replaced", t->close, t->n_close),
                      SNM_FSTRV("skipped", t->skipped, t->n_skipped)));
  /* nothing to POST (every index adopted or skipped): wait for them */
  t_enter(t, t->n_close > 0  ? WFT_CLOSE
             : t->n_post > 0 ? WFT_POST
                             : WFT_RECOVER);
}

/* A "restore.progress" event; "index" names the index with the most bytes
 * left, and is left out when there is none. */
static void t_progress_event(struct wf_target *t, const char *busy, double eta)
{
  const struct snm_es_recovery *rec = &t->rec;
  struct snm_field f[] = {
      SNM_FSTR("domain", t_domain(t)),
      SNM_FSTR("index", busy),
      SNM_FINT("indices_done", rec->indices_done),
      SNM_FINT("indices_total", t->n_wait),
      SNM_FINT("bytes_done", rec->bytes_done),
      SNM_FINT("bytes_total", rec->bytes_total),
      SNM_FINT("files_done", rec->files_done),
      SNM_FINT("files_total", rec->files_total),
      SNM_FDBL("rate_bps", t->rate_bps > 0 ? t->rate_bps : NAN),
      SNM_FDBL("eta_s", eta >= 0 ? eta : NAN)};
  size_t n = sizeof(f) / sizeof(f[0]);
  char key[160];

  if (busy == NULL) {
    memmove(&f[1], &f[2], (n - 2) * sizeof(f[0]));
    n--;
  }
  t_key(key, sizeof(key), t);
  wf_update(t->wf, key, "restore.progress", f, n);
}

static void t_progress(struct wf_target *t)
{
  const struct snm_es_recovery *rec = &t->rec;
  long long now = snm_time_now_ms();
  const char *busy = NULL;
  long long most = -1;
  double eta;

  if (t->last_bytes_ms <= 0 || rec->bytes_done < t->last_bytes) {
    t->last_bytes = rec->bytes_done;
    t->last_bytes_ms = now;
  } else if (now - t->last_bytes_ms >= 1000) {
    t->rate_bps = (double)(rec->bytes_done - t->last_bytes) * 1000.0 /
                  (double)(now - t->last_bytes_ms);
    t->last_bytes = rec->bytes_done;
    t->last_bytes_ms = now;
  }
  for (size_t i = 0; i < rec->n; i++) {
    const struct snm_es_recovery_index *ix = &rec->items[i];
    long long left = ix->bytes_total - ix->bytes_done;
    if ((ix->shards == 0 || ix->shards_done < ix->shards) && left > most) {
      most = left;
      busy = t->wait[i];
    }
  }
  eta = snm_eta_s(rec->bytes_done, snm_wf_restore_bytes_estimate(rec),
                  t->rate_bps);
  t->eta_s = eta;
  t->eta_known = eta >= 0;
  /* nothing is known before the first shard starts: no "0 B of 0 B" */
  if (rec->bytes_total > 0 || rec->files_total > 0 || rec->indices_done > 0)
    t_progress_event(t, busy, eta);
}

static void t_restored(struct wf_target *t)
{
  struct snm_state_restore *sr = t_st(t);
  long long total = 0, reused = 0;
  char key[160];

  for (size_t i = 0; i < sr->n_indices; i++) {
    struct snm_state_index *ix = &sr->indices[i];
    for (size_t k = 0; k < t->n_wait && k < t->rec.n; k++)
      if (strcmp(ix->target, t->wait[k]) == 0) {
        if (ix->state == SNM_RESTORE_RESTORING ||
            ix->state == SNM_RESTORE_PENDING)
          ix->state = SNM_RESTORE_RESTORED;
        ix->bytes = t->rec.items[k].bytes_total;
        ix->bytes_reused = t->rec.items[k].bytes_reused;
      }
  }
  if (sr->state != SNM_RESTORE_VERIFIED)
    sr->state = SNM_RESTORE_RESTORED;
  t->done_ms = snm_time_now_ms();
  if (t_save(t) != 0)
    return;
  t_key(key, sizeof(key), t);
  snm_progress_end(t->wf->progress, key);
  for (size_t i = 0; i < sr->n_indices; i++) {
    const struct snm_state_index *ix = &sr->indices[i];
    if (ix->state != SNM_RESTORE_RESTORED || ix->bytes == SNM_STATE_UNKNOWN)
      continue;
    total += ix->bytes;
    if (ix->bytes_reused != SNM_STATE_UNKNOWN)
      reused += ix->bytes_reused;
    wf_event(
        t->wf, "restore.index",
        SNM_FIELDS(
            SNM_FSTR("domain", t_domain(t)), SNM_FSTR("source", ix->source),
            SNM_FSTR("target", ix->target), SNM_FBOOL("replaced", ix->replace),
            SNM_FINT("bytes_total", ix->bytes),
            SNM_FINT("bytes_transferred",
                     ix->bytes - (ix->bytes_reused > 0 ? ix->bytes_reused : 0)),
            SNM_FINT("bytes_reused",
                     ix->bytes_reused > 0 ? ix->bytes_reused : 0)));
  }
  wf_event(t->wf, "restore.done",
           SNM_FIELDS(
               SNM_FSTR("domain", t_domain(t)), SNM_FSTR("state", "restored"),
               SNM_FINT("indices", t->n_wait),
               SNM_FINT("bytes_transferred", total - reused),
               SNM_FINT("bytes_reused", reused),
               SNM_FDBL("duration_s", wf_seconds(t->restore_ms, t->done_ms))));
  t_next(t); /* WFT_IDENTITY */
}

/* Verify counts this target's indices (WFT_RESTORED). */
static int t_counts(const struct wf_target *t)
{
  return t->wf->plan->restores[t->r].verify != SNM_VERIFY_NONE && t->n_wait > 0;
}

/* WFT_IDENTITY: the UUID of every restored index, kept in the state file
 * (a later sync round replaces an index only while it is unchanged); with
 * them, verify's refresh of the same chunks (it changes no data, so it
 * need not wait for the UUIDs: one round trip fewer before the counts). */
void wf_tstep_identity(struct wf_target *t)
{
  if (!t->sent) {
    t->sent = 1;
    t->poll_next = 0;
    t->refresh_next = 0;
    t->refresh_early_failed = 0;
    t->refreshed_early = 0;
  }
  while (t->pending < WF_MAX_CHUNKS_IN_FLIGHT && !t->r_failed) {
    if (t->poll_next < t->n_chunks)
      wf_req_identity(t, t->poll_next++);
    else if (t_counts(t) && t->refresh_next < t->n_chunks)
      wf_req_refresh(t, t->refresh_next++);
    else
      break;
  }
  if (t->pending > 0)
    return;
  t->refreshed_early =
      t_counts(t) && t->refresh_next == t->n_chunks && !t->refresh_early_failed;
  if (t->r_failed) {
    struct snm_err e = t->r_err;
    wf_err_prefix(&e, "reading the restored indices' UUIDs (a later "
                      "'snapmig sync' needs them to tell its own indices)");
    t_fail(t, &e);
    return;
  }
  if (t_save(t) != 0)
    return;
  t_next(t); /* WFT_RESTORED */
}

/* WFT_CLOSE: close the indices a sync round restores over, a few chunks
 * at once; their state file entries say "replacing" already. */
void wf_tstep_close(struct wf_target *t)
{
  if (!t->sent) {
    t->sent = 1;
    t->poll_next = 0;
  }
  while (t->pending < WF_MAX_CHUNKS_IN_FLIGHT && !t->r_failed &&
         t->poll_next < t->n_close_chunks)
    wf_req_close(t, t->poll_next++);
  if (t->pending > 0)
    return;
  if (t->r_failed) {
    struct snm_err e;
    snm_err_set(&e, t->r_err.code,
                "%s; the indices being replaced may be closed now (snapmig "
                "status shows them as \"replacing\"); fix the cause and run "
                "'snapmig sync %s' again: it closes what is left and "
                "restores them",
                t->r_err.msg, t->wf->o->plan_path);
    t_fail(t, &e);
    return;
  }
  /* closed: from here the POST may go out */
  for (size_t i = 0; i < t_st(t)->n_indices; i++)
    if (t_st(t)->indices[i].state == SNM_RESTORE_REPLACING)
      t_st(t)->indices[i].state = SNM_RESTORE_RESTORING;
  if (t_save(t) != 0)
    return;
  t_next(t); /* WFT_POST */
}

/* Send the poll round's next requests, WF_MAX_CHUNKS_IN_FLIGHT at a time:
 * the recovery of every chunk of the patterns (one, but for thousands of
 * names with nothing in common), then their health; the same for the
 * names they missed, by name; in the failure check the shards, then the
 * explanation. */
static void t_poll_send(struct wf_target *t)
{
  size_t chunks =
      t->phase == WFP_MISSING ? t->n_miss_chunks : t->n_cover_chunks;
  size_t total = t->phase == WFP_POLL || t->phase == WFP_MISSING ? 2 * chunks
                 : t->phase == WFP_SHARDS                        ? chunks
                                                                 : 1;

  while (t->pending < WF_MAX_CHUNKS_IN_FLIGHT && !t->r_failed &&
         t->poll_next < total) {
    size_t k = t->poll_next++;
    if (t->phase == WFP_EXPLAIN)
      wf_req_explain(t);
    else if (t->phase == WFP_SHARDS)
      wf_req_shards(t, k);
    else if (k < chunks)
      wf_req_recovery(t, k);
    else
      wf_req_health(t, k - chunks);
  }
}

static void t_phase(struct wf_target *t, enum wf_phase ph)
{
  t->phase = ph;
  t->poll_next = 0;
  t_poll_send(t);
}

/* The names the round's pattern replies did not list (in the health
 * reply: the index is gone, or the wildcards do not reach it), to ask by
 * name.  0 or SNM_ENOMEM. */
static int t_missing(struct wf_target *t)
{
  t->n_miss = 0;
  for (size_t i = 0; i < t->n_wait; i++)
    if (t->hlevel[i] == SNM_WF_HEALTH_UNKNOWN)
      t->miss[t->n_miss++] = t->wait[i];
  free(t->miss_ends);
  t->miss_ends = NULL;
  t->n_miss_chunks = 0;
  return snm_es_chunk_names(&t->miss_ends, &t->n_miss_chunks, t->miss,
                            t->n_miss, SNM_ES_URL_LIST_MAX);
}

/* The poll answered.  0: the target left WFT_RECOVER (restored, failed);
 * 1: go on (the failure check, when the health is red, has begun). */
static int t_polled(struct wf_target *t)
{
  if (t->r_failed) {
    t_fail(t, &t->r_err);
    return 0;
  }
  if (t->r_nonews)
    return 1;
  t->r_health = snm_wf_health_levels_reached(
      t->hlevel, t->n_wait, t->wf->plan->restores[t->r].wait_for,
      t->poll_status, sizeof(t->poll_status));
  t->r_unlisted = t->rec.unlisted;
  if (t->r_unlisted > 0 && !t->r_bad)
    snm_err_set(&t->bad_reply, SNM_EPARSE,
                "%s: GET _recovery: the reply lists no shards for %zu of "
                "the %zu indices restored",
                t->es->dom->id, t->r_unlisted, t->n_wait);
  if (t->r_bad || (t->r_health && t->r_unlisted > 0)) {
    /* health says the indices are there, yet their recovery cannot be
     * read: say so at once, give up after a few rounds */
    if (++t->bad_reply_rounds == 1)
      wf_warn(t->wf, t_domain(t), "%s; polling again", t->bad_reply.msg);
    if (t->bad_reply_rounds >= SNM_WF_FAILED_ROUNDS) {
      t_failf(t, SNM_EPARSE,
              "%s (%d rounds in a row); snapmig cannot tell whether the "
              "restore finished; check %s's GET INDEX/_recovery by hand, "
              "then run snapmig again (it resumes and adopts what was "
              "restored)",
              t->bad_reply.msg, t->bad_reply_rounds, t_domain(t));
      return 0;
    }
    return 1;
  }
  t->bad_reply_rounds = 0;
  t->health_last = t->r_health;
  /* a wait that answered early with the health not reached (someone
   * else's index under a pattern, a name the patterns miss): no second
   * one in a row, so that the rounds never spin */
  t->longpoll_off = t->longpoll_ms > 0 && !t->r_health &&
                    snm_time_now_ms() - t->round_ms < t->longpoll_ms / 2;
  /* the wait ended with the health reached: the round's _recovery went
   * out before that and may be behind; look again at once */
  t->longpoll_hit = t->longpoll_ms > 0 && t->r_health;
  memcpy(t->r_status, t->poll_status, sizeof(t->r_status));
  t_progress(t);
  if (t->r_health && t->rec.indices_done == t->n_wait) {
    t_restored(t);
    return 0;
  }
  if (strcmp(t->r_status, "red") == 0) {
    t->bad_found = 0;
    t->explained = -1;
    t_phase(t, WFP_SHARDS);
  } else {
    t->bad_rounds = 0;
  }
  return 1;
}

/* The failure check answered: fail the target when a restored shard
 * cannot be allocated (snm_wf_restore_failed).  0: failed, 1: go on. */
static int t_checked(struct wf_target *t)
{
  /* a primary that waits (NEW_INDEX_RESTORED) counts only when the
   * allocator says it can never place it */
  if (t->bad_found == 2 && t->explained != 1) {
    t->bad_rounds = 0;
    return 1;
  }
  t->bad_rounds = t->bad_found ? t->bad_rounds + 1 : 0;
  if (!snm_wf_restore_failed(t->r_status, t->bad_found, t->explained,
                             t->bad_rounds))
    return 1;
  t_failf(t, SNM_EHTTP,
          "%s: restoring %s failed: its primary shard %ld cannot be "
          "allocated (health red): %s; check the target's logs, disk space "
          "and its access to the repository; after fixing, retry the shard "
          "(POST /_cluster/reroute?retry_failed=true) or delete %s on %s, "
          "then run snapmig again (it resumes)",
          t_domain(t), t->bad.index, t->bad.shard,
          t->bad.reason[0] != '\0' ? t->bad.reason : "ALLOCATION_FAILED",
          t->bad.index, t_domain(t));
  return 0;
}

void wf_tstep_recover(struct wf_target *t)
{
  const struct snm_polling *pol = &t->wf->plan->polling;
  long long now = snm_time_now_ms();

  if (t->sent == 2) {
    t_poll_send(t);
    if (t->pending > 0)
      return;
    if (t->phase == WFP_POLL) {
      /* what the patterns missed, by name, before deciding */
      if (t_missing(t) != 0) {
        t_failf(t, SNM_ENOMEM, "out of memory");
        return;
      }
      if (t->n_miss > 0 && !t->r_nonews && !t->r_failed) {
        t_phase(t, WFP_MISSING);
        if (t->pending > 0)
          return;
      }
    }
    if (t->phase == WFP_POLL || t->phase == WFP_MISSING) {
      if (!t_polled(t))
        return;
      if (t->phase == WFP_MISSING) /* (t_polled may start the check) */
        t->phase = WFP_POLL;
      if (t->pending > 0)
        return;
    }
    if (t->phase == WFP_SHARDS && t->bad_found) {
      t_phase(t, WFP_EXPLAIN);
      if (t->pending > 0)
        return;
    }
    if (t->phase != WFP_POLL && !t_checked(t))
      return;
    t->phase = WFP_POLL;
    t->sent = 0;
  }
  if (t->pending > 0)
    return;
  if (t->sent == 0) {
    if (t->wait_start_ms == 0)
      t->wait_start_ms = now;
    if (now - t->wait_start_ms > pol->timeout_s * 1000) {
      t_failf(t, SNM_ETIMEOUT,
              "%s: the restored indices did not finish within %lds "
              "(polling.timeout_s): %zu of %zu recovered, health %s (want "
              "%s); the recovery goes on there: run snapmig again to go on "
              "waiting",
              t_domain(t), pol->timeout_s, t->rec.indices_done, t->n_wait,
              t->r_status[0] != '\0' ? t->r_status : "unknown",
              snm_wait_for_name(t->wf->plan->restores[t->r].wait_for));
      return;
    }
    long warm = snm_wf_poll_warmup(t->polls++, pol), wait;

    if (warm < 0)
      t->interval_ms =
          snm_wf_poll_next_eta(t->interval_ms, pol, t->eta_known, t->eta_s);
    wait = warm >= 0 ? warm : t->interval_ms;
    t->longpoll_ms = 0;
    if (t->longpoll_hit) {
      t->longpoll_hit = 0;
      wait = 1;
    } else if (warm < 0 && !t->health_last && !t->longpoll_off) {
      /* the wait is the health request's own (wait_for_status): it
       * answers the moment the restored indices get there; well within
       * the request's timeout */
      long cap = t->es->dom->timeout_s * 1000 / 2;
      t->longpoll_ms = wait < cap ? wait : cap;
      wait = 1;
    }
    t->sent = 1;
    t->timer_due = 0;
    wf_arm(t->wf, &t->timer, wait);
    return;
  }
  if (!t->timer_due)
    return;
  t->timer_due = 0;
  if (snm_es_recovery_size(&t->rec, t->n_wait) != 0) {
    t_failf(t, SNM_ENOMEM, "out of memory");
    return;
  }
  /* this round's answers only */
  if (t->n_wait > 0) {
    memset(t->rec.items, 0, t->n_wait * sizeof(*t->rec.items));
    memset(t->hlevel, 0, t->n_wait);
  }
  snm_es_recovery_merge(&t->rec, 0, NULL);
  /* a new round: t_poll_send (from the dispatcher's next pass) sends it */
  t->round_ms = snm_time_now_ms();
  t->sent = 2;
  t->phase = WFP_POLL;
  t->r_nonews = 0;
  t->r_health = 1; /* until a chunk says otherwise */
  t->r_bad = 0;
  t->r_unlisted = 0;
  t->poll_next = 0;
  t->poll_status[0] = '\0';
}

/* ---- the check right before a restore ----------------------------------

 * An index with a name the restore would give may have appeared since the
 * preflight (hours ago, maybe), or this run's own earlier POST may have
 * created it (a POST that landed late, before a crash).  Right before every
 * POST the target is asked again which of the names exist, open or closed
 * (GET NAMES/_settings/index.uuid), and for those that do, where their
 primaries were
 * recovered from (GET NAMES/_recovery): from this run's snapshot in the
 * plan's repository, they are ours and are adopted; otherwise they are
 * someone else's and are never restored over (on_conflict "skip" skips
 * them, "fail" fails the target).  Whatever cannot be read is a failure,
 * never "absent". */

/* A restore the server refused because an index of that name exists. */
static int refused_as_existing(const struct snm_err *e)
{
  return e->code == SNM_EHTTP &&
         (strstr(e->msg, "already exists") != NULL ||
          strstr(e->msg, "resource_already_exists") != NULL);
}

static void t_probe_begin(struct wf_target *t)
{
  struct snm_state_restore *sr = t_st(t);

  free(t->probe);
  free(t->probe_ix);
  free(t->probe_ends);
  free(t->probe_exists);
  free(t->probe_origin);
  for (size_t i = 0; t->probe_uuid != NULL && i < t->n_probe; i++)
    free(t->probe_uuid[i]);
  free(t->probe_uuid);
  free(t->probe_shards);
  t->probe_ends = NULL;
  t->n_probe = t->n_probe_chunks = 0;
  t->origin_rounds = 0;
  t->origin_delay = 0;
  t->probe = calloc(sr->n_indices + 1, sizeof(*t->probe));
  t->probe_ix = calloc(sr->n_indices + 1, sizeof(*t->probe_ix));
  t->probe_exists = calloc(sr->n_indices + 1, sizeof(*t->probe_exists));
  t->probe_origin = calloc(sr->n_indices + 1, sizeof(*t->probe_origin));
  t->probe_uuid = calloc(sr->n_indices + 1, sizeof(*t->probe_uuid));
  t->probe_shards = calloc(sr->n_indices + 1, sizeof(*t->probe_shards));
  if (t->probe == NULL || t->probe_ix == NULL || t->probe_exists == NULL ||
      t->probe_origin == NULL || t->probe_uuid == NULL ||
      t->probe_shards == NULL) {
    t_failf(t, SNM_ENOMEM, "out of memory");
    return;
  }
  /* what a POST would restore, and what may or may not be ours; after a
   * POST that failed or whose outcome is unknown, what it named */
  for (size_t i = 0; i < sr->n_indices && i < t->n_actions; i++) {
    if (t->actions[i] == SNM_WF_IX_RESTORE ||
        t->actions[i] == SNM_WF_IX_CHECK ||
        t->actions[i] == SNM_WF_IX_REPLACE) {
      t->probe_ix[t->n_probe] = i;
      t->probe[t->n_probe++] = sr->indices[i].target;
    }
  }
  if (t->n_probe == 0) {
    t_start(t);
    return;
  }
  if (snm_es_chunk_names(&t->probe_ends, &t->n_probe_chunks, t->probe,
                         t->n_probe, SNM_ES_URL_LIST_MAX) != 0) {
    t_failf(t, SNM_ENOMEM, "out of memory");
    return;
  }
  t_enter(t, WFT_LIST);
}

/* Does chunk `k` of the probe hold a name that exists (and, with
 * `unknown`, whose origin is not known yet)? */
static int probe_chunk_exists(const struct wf_target *t, size_t k, int unknown)
{
  for (size_t i = snm_es_chunk_start(t->probe_ends, k); i < t->probe_ends[k];
       i++)
    if (t->probe_exists[i] &&
        (!unknown || t->probe_origin[i] == SNM_ES_ORIGIN_UNKNOWN))
      return 1;
  return 0;
}

/* The names of the probe that are someone else's, for the message
 * (`replace[i]` 1: an earlier round's own, replaced). */
static void probe_conflicts(struct snm_buf *b, const struct wf_target *t,
                            const int *replace, size_t *n_out)
{
  size_t n = 0;

  for (size_t i = 0; i < t->n_probe; i++) {
    if (!t->probe_exists[i] || t->probe_origin[i] == SNM_ES_ORIGIN_OURS ||
        replace[i] == 1)
      continue;
    if (n < 5)
      snm_best_effort(
          snm_buf_printf(b, "%s%s%s", n > 0 ? ", " : "", t->probe[i],
                         t->probe_origin[i] == SNM_ES_ORIGIN_UNKNOWN
                             ? " (no shard of it has a recovery record to tell)"
                             : ""));
    n++;
  }
  if (n > 5)
    snm_best_effort(snm_buf_printf(b, " and %zu more", n - 5));
  *n_out = n;
}

static long source_shards(const struct snm_workflow *wf, const char *name)
{
  for (size_t i = 0; i < wf->pf.n_indices; i++)
    if (strcmp(wf->pf.indices[i].name, name) == 0)
      return wf->pf.indices[i].shards;
  return -1;
}

/* 1: an earlier round of this run restored `target` (onto this target). */
static int earlier_restored(const struct wf_target *t, const char *target)
{
  const struct snm_state *st = &t->wf->st;

  for (size_t k = 0; k + 1 < st->n_rounds; k++) {
    const struct snm_state_round *rd = &st->rounds[k];
    if (t->r >= rd->n_restores)
      continue;
    for (size_t j = 0; j < rd->restores[t->r].n_indices; j++)
      if (strcmp(rd->restores[t->r].indices[j].target, target) == 0 &&
          rd->restores[t->r].indices[j].state != SNM_RESTORE_SKIPPED)
        return 1;
  }
  return 0;
}

/* Probe `i` of a sync round: an index an earlier round of this plan
 * restored (its UUID on record), now to be closed and restored over?
 * 1: yes; 0: not such an index (the usual checks decide); -1: it was,
 * but what the target says now does not allow it (why in `why`):
 * another UUID (deleted and made again since), another shard count, or
 * either unknown.  Uncertain is never "replace". */
static int replace_verdict(struct wf_target *t, size_t i, struct snm_buf *why)
{
  const struct snm_state_index *si = &t_st(t)->indices[t->probe_ix[i]];
  /* on_conflict replace: an index this plan did not restore, recorded
   * by the preflight */
  int foreign = earlier_restored(t, si->target) == 0;
  long want;

  if (!si->replace || si->uuid == NULL || !t->probe_exists[i] ||
      t->probe_origin[i] == SNM_ES_ORIGIN_OURS)
    return 0;
  if (si->target_stream != NULL) {
    /* a data stream is restored whole, by its name, into no existing
     * stream, and the servers refuse to close a stream's write index
     * ("cannot close the following data stream write indices", measured
     * on OpenSearch 2.19): it cannot be closed and restored over.  Said
     * once per stream. */
    char head[600];

    snprintf(head, sizeof(head), "data stream %s (", si->target_stream);
    if (strstr(snm_buf_str(why), head) == NULL)
      snm_best_effort(snm_buf_printf(
          why,
          "%sdata stream %s (backing index %s and the others): the servers "
          "refuse to close a data stream's write index and restore a stream "
          "only whole, into no existing stream, so a sync round cannot "
          "bring it up to date; keep the stream out of the plans you sync, "
          "or copy it anew under another name with a new plan",
          why->len ? "; " : "", si->target_stream, si->target));
    return -1;
  }
  if (t->probe_uuid[i] == NULL) {
    snm_best_effort(
        snm_buf_printf(why, "%s%s: its UUID cannot be read (GET _settings)",
                       why->len ? "; " : "", si->target));
    return -1;
  }
  if (strcmp(t->probe_uuid[i], si->uuid) != 0) {
    snm_best_effort(snm_buf_printf(
        why,
        "%s%s has UUID %s, not %s as when %s: it was deleted and made "
        "again since, and snapmig replaces only the index it %s",
        why->len ? "; " : "", si->target, t->probe_uuid[i], si->uuid,
        foreign ? "the preflight saw it (on_conflict replace)"
                : "this plan restored it",
        foreign ? "checked" : "restored"));
    return -1;
  }
  want = source_shards(t->wf, si->source);
  if (want < 0 || t->probe_shards[i] < 0 || want != t->probe_shards[i]) {
    if (want < 0 || t->probe_shards[i] < 0)
      snm_best_effort(snm_buf_printf(
          why, "%s%s: the shard count of %s is unknown", why->len ? "; " : "",
          si->target, want < 0 ? si->source : si->target));
    else
      snm_best_effort(snm_buf_printf(
          why,
          "%s%s has %ld shards and the source %s %ld: a restore over a "
          "closed index needs the same number",
          why->len ? "; " : "", si->target, t->probe_shards[i], si->source,
          want));
    return -1;
  }
  return 1;
}

/* Every answer is in: adopt ours, replace an earlier round's (a sync
 * round), skip or refuse the others, restore the absent ones. */
static void t_probe_decide(struct wf_target *t)
{
  struct snm_state_restore *sr = t_st(t);
  const struct snm_restore *pr = &t->wf->plan->restores[t->r];
  struct snm_buf names;
  size_t n_other = 0;
  int *replace;

  /* an index that exists but whose primaries have no recovery record
   * yet may be a restore (ours, landed late) whose shards have not
   * started: ask again a little later before calling it someone else's.
   * Not an index of a sync round whose POST was never sent (still
   * "replacing" or pending): closed, it has no recovery record at all. */
  for (size_t i = 0; i < t->n_probe; i++) {
    const struct snm_state_index *si = &sr->indices[t->probe_ix[i]];
    if (si->replace && si->uuid != NULL && si->state != SNM_RESTORE_RESTORING)
      continue;
    if (t->probe_exists[i] && t->probe_origin[i] == SNM_ES_ORIGIN_UNKNOWN &&
        t->origin_rounds < WF_ORIGIN_ROUNDS) {
      t->origin_rounds++;
      t_enter(t, WFT_ORIGIN);
      t->origin_delay = 1;
      return;
    }
  }
  replace = calloc(t->n_probe + 1, sizeof(*replace));
  if (replace == NULL) {
    t_failf(t, SNM_ENOMEM, "out of memory");
    return;
  }
  snm_buf_init(&names, 0);
  for (size_t i = 0; i < t->n_probe; i++)
    replace[i] = replace_verdict(t, i, &names);
  if (names.len > 0) {
    t_failf(t, SNM_EINVAL,
            "%s: not replacing the existing index: %s; nothing was "
            "closed or restored over; delete or rename the index on %s "
            "(snapmig then restores it anew), or restore under another "
            "name, then run snapmig again",
            t_domain(t), snm_buf_str(&names), t_domain(t));
    snm_buf_dispose(&names);
    free(replace);
    return;
  }
  probe_conflicts(&names, t, replace, &n_other);
  if (n_other > 0 && pr->on_conflict != SNM_CONFLICT_SKIP) {
    t_failf(t, SNM_EINVAL,
            "%s: %zu ind%s with the name%s this restore would give exist%s "
            "and %s not restored from snapshot %s: %s; snapmig never "
            "restores over an index it did not restore; delete or rename "
            "%s on %s, or set \"on_conflict\": \"skip\" for this restore, "
            "then run snapmig again (it resumes)",
            t_domain(t), n_other, n_other == 1 ? "ex" : "ices",
            n_other == 1 ? "" : "s", n_other == 1 ? "s" : "",
            n_other == 1 ? "was" : "were", wf_round(t->wf)->snapshot.name,
            snm_buf_str(&names), n_other == 1 ? "it" : "them", t_domain(t));
    snm_buf_dispose(&names);
    free(replace);
    return;
  }
  snm_buf_dispose(&names);
  for (size_t i = 0; i < t->n_probe; i++) {
    size_t ix = t->probe_ix[i];
    struct snm_state_index *si = &sr->indices[ix];

    if (!t->probe_exists[i]) {
      t->actions[ix] = SNM_WF_IX_RESTORE;
      si->replace = 0; /* gone since: restored anew */
    } else if (replace[i] == 1) {
      t->actions[ix] = SNM_WF_IX_REPLACE;
    } else if (t->probe_origin[i] == SNM_ES_ORIGIN_OURS) {
      if (t->actions[ix] != SNM_WF_IX_ADOPT)
        snm_log(SNM_LOG_INFO,
                "restore: %s on %s was restored from snapshot %s: adopting "
                "it",
                si->target, t_domain(t), wf_round(t->wf)->snapshot.name);
      t->actions[ix] = SNM_WF_IX_ADOPT;
      if (si->state == SNM_RESTORE_PENDING || si->state == SNM_RESTORE_FAILED)
        si->state = SNM_RESTORE_RESTORING;
    } else {
      wf_warn(t->wf, t_domain(t),
              "%s: %s exists and was not restored by this run: skipped "
              "(on_conflict skip)",
              t_domain(t), si->target);
      t->actions[ix] = SNM_WF_IX_SKIP;
      si->state = SNM_RESTORE_SKIPPED;
    }
  }
  free(replace);
  if (wf_target_lists(t) != 0) {
    t_failf(t, SNM_ENOMEM, "out of memory");
    return;
  }
  t_start(t);
}

/* WFT_LIST, then WFT_ORIGIN for the chunks with a name that exists. */
void wf_tstep_probe(struct wf_target *t)
{
  if (!t->sent && t->origin_delay) {
    if (t->origin_delay == 1) {
      t->origin_delay = 2;
      t->timer_due = 0;
      wf_arm(t->wf, &t->timer, WF_ORIGIN_WAIT_MS);
      return;
    }
    if (!t->timer_due)
      return;
    t->timer_due = 0;
    t->origin_delay = 0;
  }
  if (!t->sent) {
    t->sent = 1;
    t->poll_next = 0;
  }
  while (t->pending < WF_MAX_CHUNKS_IN_FLIGHT && !t->r_failed &&
         t->poll_next < t->n_probe_chunks) {
    size_t k = t->poll_next++;
    if (t->state == WFT_LIST)
      wf_req_probe_list(t, k);
    else if (t->state == WFT_ORIGIN && probe_chunk_exists(t, k, 0))
      wf_req_probe_origin(t, k);
    else if (t->state == WFT_ROUTING && probe_chunk_exists(t, k, 1))
      wf_req_probe_routing(t, k);
  }
  if (t->pending > 0)
    return;
  if (t->r_failed) {
    struct snm_err e;
    snm_err_set(&e, t->r_err.code,
                "%s; snapmig restores nothing onto %s until it can tell "
                "which of the target names exist and who made them (an "
                "identity needs the monitor permission on the target's "
                "indices); fix that, then run snapmig again (it resumes)",
                t->r_err.msg, t_domain(t));
    t_fail(t, &e);
    return;
  }
  if (t->state == WFT_LIST || t->state == WFT_ORIGIN) {
    for (size_t i = 0; i < t->n_probe; i++)
      if (t->probe_exists[i] && (t->state == WFT_LIST ||
                                 t->probe_origin[i] == SNM_ES_ORIGIN_UNKNOWN)) {
        t_next(t); /* WFT_ORIGIN, then WFT_ROUTING */
        return;
      }
  }
  t_probe_decide(t);
}

void wf_tstep_wait(struct wf_target *t)
{
  if (!domain_busy(t))
    t_probe_begin(t);
}

void wf_tstep_post(struct wf_target *t)
{
  if (!t->sent) {
    t->sent = 1;
    t->posts++;
    wf_req_restore(t);
  }
  if (t->pending > 0)
    return;
  if (t->r_ok) {
    t_next(t); /* WFT_RECOVER */
  } else if ((t->r_unknown || refused_as_existing(&t->r_err)) &&
             t->posts < WF_MAX_RESTORE_POSTS) {
    /* it may have landed (late), or the names were taken meanwhile:
     * check again which exist and where they came from */
    snm_log(SNM_LOG_WARN,
            "restore: %s; checking which indices exist on %s and "
            "whether this run restored them",
            t->r_err.msg, t_domain(t));
    t_probe_begin(t);
  } else {
    t_fail(t, &t->r_err);
  }
}

void wf_target_run(struct wf_target *t, enum wf_state part)
{
  for (;;) {
    const struct wf_tstep *row = wf_tstep(t->state);
    enum wf_tstate before = t->state;
    int sent = t->sent;

    if (row->part != part || row->run == NULL)
      return;
    row->run(t);
    if (t->state == before && t->sent == sent)
      return;
  }
}

/* Each data stream restored as a stream: its backing indices on the target
 * (GET _data_stream/NAME) are exactly the targets of its indices.  A
 * "verify.data_stream" event each; the failures appended to `bad`.
 * Returns how many failed. */
static size_t t_compare_streams(struct wf_target *t, char *bad, size_t badsz,
                                size_t *used, size_t n_bad)
{
  const struct snm_state_restore *sr = t_st(t);
  size_t failed = 0;

  for (size_t k = 0; k < t->n_ds; k++) {
    const char *got = t->ds_backing[k] != NULL ? t->ds_backing[k] : "";
    const char *source = NULL;
    size_t want = 0, have = 0;
    int ok = 1, n;

    for (size_t i = 0; i < sr->n_indices; i++) {
      const struct snm_state_index *ix = &sr->indices[i];
      const char *p = got;
      size_t len = strlen(ix->target);
      int found = 0;
      if (ix->target_stream == NULL ||
          strcmp(ix->target_stream, t->ds_names[k]) != 0)
        continue;
      source = ix->data_stream;
      want++;
      while (!found && *p != '\0') {
        const char *e = strchr(p, ',');
        size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
        found = l == len && strncmp(p, ix->target, len) == 0;
        p += l + (e != NULL);
      }
      ok &= found;
    }
    for (const char *p = got; *p != '\0'; p++)
      have += *p == ',';
    have += *got != '\0';
    ok &= have == want;
    wf_event(t->wf, "verify.data_stream",
             SNM_FIELDS(SNM_FSTR("domain", t_domain(t)),
                        SNM_FSTR("source", source),
                        SNM_FSTR("data_stream", t->ds_names[k]),
                        SNM_FSTR("backing", got), SNM_FBOOL("ok", ok)));
    if (ok)
      continue;
    failed++;
    n = snprintf(bad + *used, badsz - *used,
                 "%sdata stream %s has backing indices [%s], not the %zu "
                 "restored",
                 n_bad + failed > 1 ? "; " : "", t->ds_names[k], got, want);
    if (n > 0 && (size_t)n < badsz - *used)
      *used += (size_t)n;
  }
  return failed;
}

/* ---- verify ------------------------------------------------------------- */

static void t_compare(struct wf_target *t)
{
  struct snm_workflow *wf = t->wf;
  struct snm_state_restore *sr = t_st(t);
  char bad[SNM_ERR_MSG_MAX] = "";
  size_t n_bad = 0, used = 0;

  for (size_t i = 0; i < sr->n_indices; i++) {
    struct snm_state_index *ix = &sr->indices[i];
    const struct snm_state_count *b, *a;
    long long before, after, found = SNM_STATE_UNKNOWN;
    int ok;

    for (size_t k = 0; k < t->n_wait; k++)
      if (strcmp(t->wait[k], ix->target) == 0)
        found = t->found[k];
    if (ix->state == SNM_RESTORE_SKIPPED)
      continue;
    b = snm_state_counts_find(&wf_round(wf)->snapshot.docs_before, ix->source);
    a = snm_state_counts_find(&wf_round(wf)->snapshot.docs_after, ix->source);
    before = b != NULL ? b->count : SNM_STATE_UNKNOWN;
    after = a != NULL ? a->count : SNM_STATE_UNKNOWN;
    ix->docs_found = found;
    ix->docs_expected = after != SNM_STATE_UNKNOWN ? after : before;
    if (before == SNM_STATE_UNKNOWN || found == SNM_STATE_UNKNOWN) {
      /* nothing to compare is never "verified" */
      int k = snprintf(bad + used, sizeof(bad) - used,
                       "%s%s not verified (no %s count)", n_bad ? "; " : "",
                       ix->target,
                       found == SNM_STATE_UNKNOWN ? "target" : "source");
      if (k > 0 && (size_t)k < sizeof(bad) - used)
        used += (size_t)k;
      n_bad++;
      ix->state = SNM_RESTORE_FAILED;
      continue;
    }
    if (after != SNM_STATE_UNKNOWN && after != before)
      wf_warn(wf, NULL,
              "source index %s changed during the snapshot (%lld documents "
              "before, %lld after); %s must hold a count between them",
              ix->source, before, after, ix->target);
    ok = snm_wf_count_ok(before, after, found);
    /* with a sample to compare, "verified" waits for it (WFT_SAMPLE) */
    ix->state = !ok                ? SNM_RESTORE_FAILED
                : wf_sample_due(t) ? SNM_RESTORE_RESTORED
                                   : SNM_RESTORE_VERIFIED;
    wf_event(wf, "verify.index",
             SNM_FIELDS(SNM_FSTR("domain", t_domain(t)),
                        SNM_FSTR("source", ix->source),
                        SNM_FSTR("target", ix->target),
                        SNM_FINT("expected", ix->docs_expected),
                        SNM_FINT("found", found), SNM_FBOOL("ok", ok)));
    if (!ok) {
      char want[64];
      int k;

      snm_wf_count_expected(want, sizeof(want), before, after);
      k = snprintf(bad + used, sizeof(bad) - used,
                   "%s%s expected %s found %lld", n_bad ? "; " : "", ix->target,
                   want, found);
      if (k > 0 && (size_t)k < sizeof(bad) - used)
        used += (size_t)k;
      n_bad++;
    }
  }
  n_bad += t_compare_streams(t, bad, sizeof(bad), &used, n_bad);
  sr->state = n_bad > 0          ? SNM_RESTORE_FAILED
              : wf_sample_due(t) ? SNM_RESTORE_RESTORED
                                 : SNM_RESTORE_VERIFIED;
  if (t_save(t) != 0)
    return;
  if (n_bad > 0) {
    struct snm_err e;
    snm_err_set(&e, SNM_EINVAL,
                "verify: %s: %zu ind%s with the wrong document count: %s",
                t_domain(t), n_bad, n_bad == 1 ? "ex" : "ices", bad);
    t_failed(t, &e);
    return;
  }
  t_next(t); /* WFT_VERIFIED */
}

/* WFT_RESTORED: verify by counting, or not */
void wf_tstep_verify(struct wf_target *t)
{
  if (!t_counts(t)) {
    t_enter(t, WFT_VERIFIED);
    return;
  }
  t_next(t); /* WFT_REFRESH */
}

/* POST CHUNK/_refresh for every chunk of the names, a few at once (done
 * already when WFT_IDENTITY's went through, in this process) */
void wf_tstep_refresh(struct wf_target *t)
{
  if (!t->sent) {
    t->sent = 1;
    t->poll_next = 0;
    if (t->refreshed_early) {
      t->refreshed_early = 0;
      t_next(t); /* WFT_COUNT */
      return;
    }
  }
  while (t->pending < WF_MAX_CHUNKS_IN_FLIGHT && !t->r_failed &&
         t->poll_next < t->n_chunks)
    wf_req_refresh(t, t->poll_next++);
  if (t->pending > 0)
    return;
  if (t->r_failed) {
    t_fail(t, &t->r_err);
    return;
  }
  t_next(t); /* WFT_COUNT */
}

/* The target data streams of the indices verify compares (t->ds_names,
 * each once), with no backing list read yet.  0 or SNM_ENOMEM. */
static int ds_list(struct wf_target *t)
{
  const struct snm_state_restore *sr = t_st(t);

  for (size_t k = 0; k < t->n_ds; k++)
    free(t->ds_backing[k]);
  free(t->ds_backing);
  free(t->ds_names);
  t->n_ds = 0;
  t->ds_names = calloc(sr->n_indices + 1, sizeof(*t->ds_names));
  t->ds_backing = calloc(sr->n_indices + 1, sizeof(*t->ds_backing));
  if (t->ds_names == NULL || t->ds_backing == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < sr->n_indices; i++) {
    const struct snm_state_index *ix = &sr->indices[i];
    size_t k = 0;
    if (ix->target_stream == NULL || ix->state == SNM_RESTORE_SKIPPED)
      continue;
    while (k < t->n_ds && strcmp(t->ds_names[k], ix->target_stream) != 0)
      k++;
    if (k == t->n_ds)
      t->ds_names[t->n_ds++] = ix->target_stream;
  }
  return 0;
}

/* The target's counts (workflow_count.c: a few POST /_msearch, _count
 * for what they leave unknown) */
void wf_tstep_count(struct wf_target *t)
{
  if (!t->sent) {
    t->sent = 1;
    if (wf_count_start(&t->count, t->es, t->wait, t->n_wait, t->found) != 0) {
      struct snm_err e;
      snm_err_set(&e, SNM_ENOMEM, "out of memory");
      t_fail(t, &e);
      return;
    }
    t->ds_sent = 0;
  }
  wf_count_pump(&t->count, t->wf, t);
  if (t->pending > 0)
    return;
  if (!t->r_failed && !t->ds_sent) {
    /* then each data stream: there, with the backing indices restored */
    t->ds_sent = 1;
    if (ds_list(t) != 0) {
      struct snm_err e;
      snm_err_set(&e, SNM_ENOMEM, "out of memory");
      t_fail(t, &e);
      return;
    }
    for (size_t k = 0; k < t->n_ds && !t->r_failed; k++)
      wf_req_target_stream(t, k);
    if (t->pending > 0)
      return;
  }
  if (t->r_failed) {
    t_fail(t, &t->r_err);
    return;
  }
  t_compare(t);
}
