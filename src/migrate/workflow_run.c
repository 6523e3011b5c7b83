/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_run.c - setting a run up and tearing it down: the state file
 * (new, resumed, --fresh, already done), the lock, the loop, the HTTP
 * engine, one snm_es per domain, timers and signal watchers. */
#include "http.h"
#include "log.h"
#include "session.h"
#include "timefmt.h"
#include "es_chunk.h"
#include "workflow_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wf_save(struct snm_workflow *wf, struct snm_err *err)
{
  int rc;

  wf->st.updated_ms = snm_time_now_ms();
  wf->st.events = snm_progress_count(wf->progress);
  rc = snm_state_save(&wf->st, wf->state_path, err);
  if (rc == 0)
    wf->save_due = 0;
  return rc;
}

static void on_close_noop(uv_handle_t *h)
{
  (void)h;
}

void wf_close(struct snm_workflow *wf)
{
  if (wf->closing)
    return;
  wf->closing = 1;
  (void)wf_flush(wf); /* a change not written yet (logged if it fails) */
  if (wf->pf_running)
    snm_preflight_cancel(&wf->pf);
  uv_close((uv_handle_t *)&wf->timer, on_close_noop);
  for (size_t i = 0; i < wf->n_targets; i++)
    uv_close((uv_handle_t *)&wf->targets[i].timer, on_close_noop);
  uv_close((uv_handle_t *)&wf->sigint, on_close_noop);
  uv_close((uv_handle_t *)&wf->sigterm, on_close_noop);
  if (wf->session != NULL)
    snm_session_close(wf->session);
  wf->http = NULL;
}

static void on_wf_timer(uv_timer_t *h)
{
  struct snm_workflow *wf = h->data;

  wf->timer_due = 1;
  wf_dispatch(wf);
}

static void on_target_timer(uv_timer_t *h)
{
  struct wf_target *t = h->data;

  t->timer_due = 1;
  wf_dispatch(t->wf);
}

void wf_arm(struct snm_workflow *wf, uv_timer_t *timer, long ms)
{
  if (wf->closing)
    return;
  uv_timer_start(timer, timer == &wf->timer ? on_wf_timer : on_target_timer,
                 (uint64_t)(ms > 0 ? ms : 1), 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
  wf_on_signal(h->data, signum);
}

/* ---- the state file ----------------------------------------------------- */

/* Set an existing state file aside as `<path>.<run id>.old`. */
static int set_aside(const char *path, const struct snm_state *old,
                     struct snm_err *err)
{
  char aside[4096];

  snprintf(aside, sizeof(aside), "%s.%s.old", path,
           old->run_id != NULL ? old->run_id : "unknown");
  if (rename(path, aside) != 0)
    return snm_err_set(err, SNM_EIO, "cannot move %s to %s: %s", path, aside,
                       strerror(errno));
  snm_log(SNM_LOG_WARN,
          "--fresh: the previous state (run %s) is kept as %s; nothing was "
          "deleted on the clusters",
          old->run_id != NULL ? old->run_id : "?", aside);
  return 0;
}

/* A sync round's snapshot name: the plan's template now, with "-rN"
 * (the round) after it, so that two rounds never share a name. */
static int round_snapshot_name(char *out, size_t outsz,
                               const struct snm_workflow *wf, unsigned round,
                               struct snm_err *err)
{
  char name[SNM_SNAPSHOT_NAME_MAX + 1];
  int rc, n;

  if ((rc = snm_plan_snapshot_name(name, sizeof(name), wf->plan,
                                   (time_t)(wf->run_start_ms / 1000), err)) !=
      0)
    return rc;
  n = snprintf(out, outsz, "%s-r%u", name, round);
  if (n < 0 || (size_t)n >= outsz || n > SNM_SNAPSHOT_NAME_MAX)
    return snm_err_set(err, SNM_EINVAL,
                       "the snapshot name of round %u (%s-r%u) is longer "
                       "than %d bytes; shorten snapshot.name",
                       round, name, round, SNM_SNAPSHOT_NAME_MAX);
  return 0;
}

/* `snapmig sync` on a loaded state: a finished run gets one more round;
 * an unfinished later round is resumed; an unfinished first round is
 * `run`'s to finish.  Returns 0 (wf->resumed says which) or an error. */
static int open_sync_round(struct snm_workflow *wf, struct snm_err *err)
{
  char name[SNM_SNAPSHOT_NAME_MAX + 1];
  unsigned next = (unsigned)wf->st.n_rounds + 1;
  int rc;

  if (wf->st.step != SNM_STEP_DONE) {
    if (wf_round(wf)->number <= 1)
      return snm_err_set(err, SNM_EINVAL,
                         "the first round of plan %s (run %s) is not finished "
                         "(step %s); 'snapmig run %s' resumes it, then "
                         "'snapmig sync' adds rounds",
                         wf->plan->name, wf->st.run_id,
                         snm_step_name(wf->st.step), wf->o->plan_path);
    wf->resumed = 1;
    return 0;
  }
  if ((rc = round_snapshot_name(name, sizeof(name), wf, next, err)) != 0)
    return rc;
  for (size_t i = 0; i < wf->st.n_rounds; i++)
    if (wf->st.rounds[i].snapshot.name != NULL &&
        strcmp(wf->st.rounds[i].snapshot.name, name) == 0)
      return snm_err_set(err, SNM_EINVAL,
                         "round %zu already took snapshot %s; wait a moment "
                         "or give snapshot.name a finer time placeholder",
                         i + 1, name);
  if ((rc = snm_state_add_round(&wf->st, wf->plan, name, err)) != 0)
    return rc;
  wf->st.step = SNM_STEP_PREFLIGHT;
  return wf_save(wf, err);
}

/* `snapmig cutover` on a loaded state: a finished round gets a cutover
 * round after it; an unfinished cutover round is resumed (one rolling
 * back is rolled back: wf->cut_failing 0 and the run enters WF_ROLLBACK);
 * an unfinished run or sync round is theirs to finish.  --rollback: only
 * an unfinished cutover round that has not switched.  Returns 0, 1 when
 * there is nothing to do, or an error. */
static int open_cutover_round(struct snm_workflow *wf, struct snm_err *err)
{
  struct snm_state_cutover *c = &wf_round(wf)->cutover;
  int rc;

  if (wf->o->rollback) {
    if (c->state == SNM_CUT_NONE || wf->st.step == SNM_STEP_DONE ||
        c->state == SNM_CUT_ROLLED_BACK || c->state == SNM_CUT_DONE)
      return snm_err_set(
          err, SNM_EINVAL,
          "--rollback: plan %s has no unfinished cutover "
          "(round %u is %s%s); nothing to lift",
          wf->plan->name, wf_round(wf)->number,
          c->state == SNM_CUT_NONE ? "not a cutover round" : "cutover ",
          c->state == SNM_CUT_NONE ? "" : snm_cutover_state_name(c->state));
    if (c->state >= SNM_CUT_SWITCHING && c->state != SNM_CUT_ROLLING_BACK)
      return snm_err_set(err, SNM_EINVAL,
                         "--rollback: the cutover of plan %s has %s its "
                         "aliases on the targets (state %s): writes may "
                         "already go to the target, so its source blocks are "
                         "not lifted; run 'snapmig cutover %s' to finish, or "
                         "lift them by hand (PUT INDEX/_settings "
                         "{\"index.blocks.write\": null})",
                         wf->plan->name,
                         c->state == SNM_CUT_SWITCHING ? "begun to switch"
                                                       : "switched",
                         snm_cutover_state_name(c->state), wf->o->plan_path);
    wf->resumed = 1;
    return 0;
  }
  if (wf->st.step != SNM_STEP_DONE) {
    if (c->state == SNM_CUT_NONE)
      return snm_err_set(
          err, SNM_EINVAL,
          "round %u of plan %s (run %s) is an unfinished %s round (step "
          "%s); 'snapmig %s %s' finishes it, then 'snapmig cutover' adds "
          "the final round",
          wf_round(wf)->number, wf->plan->name, wf->st.run_id,
          wf_round(wf)->number <= 1 ? "run" : "sync",
          snm_step_name(wf->st.step),
          wf_round(wf)->number <= 1 ? "run" : "sync", wf->o->plan_path);
    wf->resumed = 1;
    return 0;
  }
  if ((rc = open_sync_round(wf, err)) != 0)
    return rc;
  wf_round(wf)->cutover.state = SNM_CUT_PENDING;
  return wf_save(wf, err);
}

/* The state's current round is an unfinished cutover, whose blocks only
 * `snapmig cutover` finishes or lifts: SNM_EINVAL saying so (`fresh`:
 * for --fresh, which would set its record aside). */
static int refuse_unfinished_cutover(struct snm_workflow *wf, int fresh,
                                     struct snm_err *err)
{
  const struct snm_state_round *rd = wf_round(wf);

  return snm_err_set(
      err, SNM_EINVAL,
      "%sround %u of plan %s is an unfinished cutover (%s%s)%s%s; 'snapmig "
      "cutover %s' finishes it, 'snapmig cutover --rollback %s' lifts its "
      "write blocks%s",
      fresh ? "--fresh: " : "", rd->number, wf->plan->name,
      snm_cutover_state_name(rd->cutover.state),
      rd->cutover.source_blocked ? ", the source write-blocked" : "",
      fresh ? ", recorded in " : "", fresh ? wf->state_path : "",
      wf->o->plan_path, wf->o->plan_path, fresh ? "; then start anew" : "");
}

/* Load or begin the state.  Returns 0, 1 when the run is already done,
 * or an error (SNM_EINVAL: the state is another plan's). */
static int open_state(struct snm_workflow *wf, struct snm_err *err)
{
  int found = 0, rc;
  char name[SNM_SNAPSHOT_NAME_MAX + 1];

  if ((rc = snm_state_load(&wf->st, &found, wf->state_path, err)) != 0)
    return rc;
  if (!found && wf->o->rollback)
    return snm_err_set(err, SNM_EINVAL,
                       "--rollback: no run of plan %s is recorded in %s; "
                       "nothing to lift",
                       wf->plan->name, wf->state_path);
  if (!found && wf->o->sync && !wf->o->cutover)
    return snm_err_set(err, SNM_EINVAL,
                       "no run of plan %s is recorded in %s; 'snapmig run "
                       "%s' makes the first round, 'snapmig sync' the next "
                       "ones",
                       wf->plan->name, wf->state_path, wf->o->plan_path);
  /* --fresh would set aside the record of the write blocks an unfinished
   * cutover may have on the source: they would be forgotten (not before
   * the block, nor once rolled back) */
  if (found && wf->o->fresh && wf->st.n_rounds > 0 &&
      wf->st.step != SNM_STEP_DONE &&
      wf_round(wf)->cutover.state != SNM_CUT_NONE &&
      wf_round(wf)->cutover.state != SNM_CUT_PENDING &&
      wf_round(wf)->cutover.state != SNM_CUT_ROLLED_BACK)
    return refuse_unfinished_cutover(wf, 1, err);
  if (found && wf->o->fresh) {
    if ((rc = set_aside(wf->state_path, &wf->st, err)) != 0)
      return rc;
    snm_state_dispose(&wf->st);
    found = 0;
  }
  if (found) {
    if ((rc = snm_state_check_plan(&wf->st, wf->plan, wf->state_path, err)) !=
        0)
      return rc;
    /* an unfinished cutover round is cutover's: its blocks are on record
     * there, and only it finishes or lifts them */
    if (!wf->o->cutover && wf->st.step != SNM_STEP_DONE &&
        wf_round(wf)->cutover.state != SNM_CUT_NONE)
      return refuse_unfinished_cutover(wf, 0, err);
    if (wf->o->cutover) {
      if ((rc = open_cutover_round(wf, err)) != 0)
        return rc;
      if (!wf->resumed)
        return 0; /* a new round */
      if (wf->o->rollback ||
          wf_round(wf)->cutover.state == SNM_CUT_ROLLING_BACK)
        return 2; /* straight to WF_ROLLBACK */
    } else if (wf->o->sync && (rc = open_sync_round(wf, err)) != 0)
      return rc;
    if (wf->o->sync && !wf->resumed)
      return 0; /* a new round: counted and taken as a fresh run's */
    if (wf->st.step == SNM_STEP_DONE)
      return 1;
    if (wf_round(wf)->snapshot.name == NULL ||
        wf_round(wf)->n_restores != wf->plan->n_restores)
      return snm_err_set(err, SNM_EPARSE,
                         "%s: the state file has no snapshot name or not "
                         "one restore per plan restore; run with --fresh",
                         wf->state_path);
    wf->resumed = 1;
    return 0;
  }
  if ((rc = snm_plan_snapshot_name(name, sizeof(name), wf->plan,
                                   (time_t)(wf->run_start_ms / 1000), err)) !=
      0)
    return rc;
  if ((rc = snm_state_begin(&wf->st, wf->plan, wf->o->plan_path, name,
                            wf->run_start_ms, err)) != 0)
    return rc;
  if (wf->o->cutover) /* the very first round is the cutover */
    wf_round(wf)->cutover.state = SNM_CUT_PENDING;
  return 0;
}

/* ---- set up, run, tear down --------------------------------------------- */

static int setup_loop(struct snm_workflow *wf, struct snm_err *err)
{
  wf->repo_body = calloc(wf->plan->n_domains, sizeof(*wf->repo_body));
  wf->n_targets = wf->plan->n_restores;
  wf->targets = calloc(wf->n_targets, sizeof(*wf->targets));
  if (wf->repo_body == NULL || wf->targets == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  return 0;
}

static void start_handles(struct snm_workflow *wf)
{
  uv_timer_init(wf->loop, &wf->timer);
  wf->timer.data = wf;
  for (size_t i = 0; i < wf->n_targets; i++) {
    struct wf_target *t = &wf->targets[i];
    t->wf = wf;
    t->r = i;
    t->es = &wf->es[wf->plan->restores[i].domain];
    uv_timer_init(wf->loop, &t->timer);
    t->timer.data = t;
  }
  uv_signal_init(wf->loop, &wf->sigint);
  uv_signal_init(wf->loop, &wf->sigterm);
  wf->sigint.data = wf->sigterm.data = wf;
  uv_signal_start(&wf->sigint, on_signal, SIGINT);
  uv_signal_start(&wf->sigterm, on_signal, SIGTERM);
}

static void run_start_event(struct snm_workflow *wf)
{
  const struct snm_plan *p = wf->plan;
  const char **targets = calloc(p->n_restores + 1, sizeof(*targets));

  for (size_t i = 0; targets != NULL && i < p->n_restores; i++)
    targets[i] = p->domains[p->restores[i].domain].id;
  snm_progress_event(
      wf->progress, "run.start", "preflight",
      SNM_FIELDS(
          SNM_FSTR("run_id", wf->st.run_id),
          SNM_FSTR("snapshot", wf_round(wf)->snapshot.name),
          SNM_FSTR("source", p->domains[p->snapshot.domain].id),
          SNM_FSTRV("targets", targets, targets != NULL ? p->n_restores : 0),
          SNM_FBOOL("resumed", wf->resumed),
          SNM_FSTR("state_file", wf->state_path)));
  free(targets);
}

static void free_targets(struct snm_workflow *wf)
{
  for (size_t i = 0; i < wf->n_targets; i++) {
    struct wf_target *t = &wf->targets[i];
    free(t->actions);
    wf_target_sample_free(t);
    free(t->post_src);
    for (size_t k = 0; k < t->n_ds; k++)
      free(t->ds_backing[k]);
    free(t->ds_backing);
    free(t->ds_names);
    free(t->wait);
    free(t->skipped);
    free(t->close);
    free(t->close_ends);
    free(t->found);
    for (size_t k = 0; t->probe_uuid != NULL && k < t->n_probe; k++)
      free(t->probe_uuid[k]);
    free(t->probe_uuid);
    free(t->probe_shards);
    wf_count_dispose(&t->count);
    free(t->probe);
    free(t->probe_ix);
    free(t->probe_ends);
    free(t->probe_exists);
    free(t->probe_origin);
    free(t->chunk_ends);
    snm_es_cover_free(t->cover, t->n_cover);
    free(t->cover_ends);
    free(t->hlevel);
    free(t->miss);
    free(t->miss_ends);
    snm_es_recovery_dispose(&t->rec);
  }
  free(wf->targets);
}

static void dispose(struct snm_workflow *wf)
{
  snm_preflight_dispose(&wf->pf);
  if (wf->repo_body != NULL)
    for (size_t i = 0; i < wf->plan->n_domains; i++)
      free(wf->repo_body[i]);
  free(wf->repo_body);
  free_targets(wf);
  wf_meta_free(wf);
  wf_cut_free(wf);
  free(wf->snap_indices);
  free(wf->refresh_ends);
  free(wf->counts);
  wf_count_dispose(&wf->count);
  snm_es_snap_info_dispose(&wf->r_info);
  free(wf->prune_run_id);
  snm_state_dispose(&wf->st);
  snm_journal_unlock(&wf->plan_lock);
  snm_journal_unlock(&wf->lock);
  snm_progress_free(wf->progress);
  free(wf->state_path);
}

enum snm_run_result snm_workflow_run(const struct snm_plan *plan,
                                     const struct snm_run_opts *opts)
{
  struct snm_workflow wf;
  struct snm_progress_opts popts;
  struct snm_session sess;
  struct snm_err err;
  int rc, rollback = 0;

  memset(&wf, 0, sizeof(wf));
  wf.plan = plan;
  wf.o = opts;
  wf.result = SNM_RUN_FAILED;
  wf.run_start_ms = snm_time_now_ms();
  wf.lock.fd = -1;
  wf.plan_lock.fd = -1;
  snm_state_init(&wf.st);
  snm_preflight_init(&wf.pf);
  snm_err_clear(&err);

  snm_progress_opts_init(&popts);
  popts.mode = opts->progress;
  popts.out = opts->out;
  popts.err = opts->err;
  popts.plan = plan->name;
  if (snm_progress_new(&wf.progress, &popts) != 0) {
    snm_log(SNM_LOG_ERROR, "out of memory");
    goto done;
  }
  if (snm_journal_state_path(&wf.state_path, opts->state_path, opts->plan_path,
                             plan->name) != 0) {
    snm_log(SNM_LOG_ERROR, "out of memory");
    goto done;
  }
  if (snm_journal_lock(&wf.lock, wf.state_path, &err) != 0 ||
      snm_journal_plan_lock(&wf.plan_lock, plan->name,
                            plan->domains[plan->snapshot.domain].endpoint,
                            &err) != 0) {
    wf_failed_event(&wf, &err);
    goto done;
  }
  rc = open_state(&wf, &err);
  if (rc == 2) {
    rollback = 1;
    rc = 0;
  }
  if (rc == 1) {
    fprintf(opts->err != NULL ? opts->err : stderr,
            "snapmig: plan %s is already migrated (run %s, state file %s); "
            "'snapmig run --fresh %s' starts a new run\n",
            plan->name, wf.st.run_id != NULL ? wf.st.run_id : "?",
            wf.state_path, opts->plan_path);
    wf.result = SNM_RUN_DONE;
    goto done;
  }
  if (rc != 0) {
    wf_failed_event(&wf, &err);
    wf.result = rc == SNM_EINVAL ? SNM_RUN_REFUSED : SNM_RUN_FAILED;
    goto done;
  }
  run_start_event(&wf);
  /* the loop, the engine, one snm_es per domain (session.h) */
  rc = snm_session_init(&sess, plan, 0, "run", &err);
  wf.session = &sess;
  wf.loop = &sess.loop;
  wf.http = sess.http;
  wf.es = sess.es;
  wf.es_init_err = sess.es_init_err;
  if (rc != 0 || setup_loop(&wf, &err) != 0) {
    wf_failed_event(&wf, &err);
    goto session_done;
  }
  start_handles(&wf);
  if (rollback) { /* --rollback, or a rollback a crash interrupted */
    if (wf_enter(&wf, WF_ROLLBACK) == 0)
      wf_dispatch(&wf);
  } else if (wf_enter(&wf, WF_PREFLIGHT) == 0)
    wf_dispatch(&wf);
  uv_run(&sess.loop, UV_RUN_DEFAULT);
  if (!wf.closing) /* a second signal stopped the loop */
    wf_close(&wf);
session_done:
  snm_session_dispose(&sess); /* runs the loop until every handle closed */
done:
  dispose(&wf);
  return wf.result;
}
