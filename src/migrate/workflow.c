/* SPDX-License-Identifier: Apache-2.0 */
/* workflow.c - the run's dispatcher and its drivers.
 *
 * Every I/O completion (a reply, a timer, a signal, the preflight's end)
 * records its result in the workflow (or a target) and calls
 * wf_dispatch(), which runs the driver of the current state's row of the
 * step table (workflow_steps.c): it looks at what has arrived, sends the
 * next requests, saves the state file and moves on through wf_enter(),
 * the only place `state` changes.  The targets' restores run as
 * sub-machines (enum wf_tstate) advanced by the same dispatcher
 * (workflow_target.c holds their drivers).
 */
#include "buf.h"
#include "es_chunk.h"
#include "log.h"
#include "snm_version.h"
#include "timefmt.h"
#include "workflow_int.h"
#include "workflow_req.h"

#include <assert.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------ */

void wf_err_prefix(struct snm_err *e, const char *prefix)
{
  struct snm_buf b;
  size_t n = strlen(prefix);

  snm_buf_init(&b, 0);
  if (n + 72 < sizeof(e->msg) && snm_buf_puts(&b, prefix) == 0 &&
      snm_buf_puts(&b, ": ") == 0 &&
      snm_err_append_middle(&b, e->msg, strlen(e->msg),
                            sizeof(e->msg) - n - 8) == 0)
    snprintf(e->msg, sizeof(e->msg), "%s", snm_buf_str(&b));
  snm_buf_dispose(&b);
}

/* Stop on `err` with step context ("snapshot: ...") and, for errors a
 * user meets often, what they mean (snm_wf_explain). */
static void fail(struct snm_workflow *wf, const struct snm_err *err)
{
  struct snm_err e;
  const char *step = snm_step_name(wf->st.step);
  size_t n = strlen(step);

  if (wf->closing) { /* stopped already (and said why) */
    snm_log(SNM_LOG_DEBUG, "%s", err->msg);
    return;
  }
  snm_wf_explain(&e, err);
  if (strncmp(e.msg, step, n) != 0 || e.msg[n] != ':')
    wf_err_prefix(&e, step);
  /* a cutover round puts the source's blocks back first (WF_ROLLBACK
   * reports the failure once that is done), or says why it does not */
  if (wf_cut_on_failure(wf, &e))
    return;
  wf_enter(wf, WF_STOPPING);
  wf->result = SNM_RUN_FAILED;
  wf_failed_event(wf, &e);
  wf->save_due = 1;
  wf_close(wf); /* writes the state (an error is logged) */
}

void wf_failf(struct snm_workflow *wf, int code, const char *fmt, ...)
{
  struct snm_err e;
  va_list ap;

  va_start(ap, fmt);
  snm_err_setv(&e, code, fmt, ap);
  va_end(ap);
  fail(wf, &e);
}

void wf_fail(struct snm_workflow *wf, const struct snm_err *err)
{
  fail(wf, err);
}

/* The state changed: written before the next request or at the end of
 * this dispatch (wf_flush), whichever comes first.  A run's state moves
 * in bursts (a reply handled, a step entered, a target's record), three
 * saves in a row with nothing sent between them; each one written was a
 * file and a directory fsync for the same write-ahead guarantee. */
static int save(struct snm_workflow *wf)
{
  wf->save_due = 1;
  return 0;
}

int wf_save_or_fail(struct snm_workflow *wf)
{
  return save(wf);
}

int wf_flush(struct snm_workflow *wf)
{
  struct snm_err err;

  if (!wf->save_due || wf->st.run_id == NULL)
    return 0;
  if (wf_save(wf, &err) == 0)
    return 0;
  /* without its state file the run is not resumable */
  if (wf->closing)
    snm_log(SNM_LOG_ERROR, "%s", err.msg);
  else
    fail(wf, &err);
  return -1;
}

int wf_send(struct snm_workflow *wf, const struct snm_request *req,
            snm_es_done_fn done, void *data, struct snm_err *err)
{
  if (wf->save_due && wf->st.run_id != NULL && wf_save(wf, err) != 0) {
    size_t n = strlen(err->msg);

    snprintf(err->msg + n, sizeof(err->msg) - n, "; %s %s %s was not sent",
             req->es->dom->id, req->method, req->path);
    /* the run stops on this error, not on what its step makes of a
     * request that failed */
    fail(wf, err);
    return err->code;
  }
  return snm_transport_send(wf->o->transport, req, done, data, err);
}

int wf_enter(struct snm_workflow *wf, enum wf_state s)
{
  int step = wf_step(s)->step;

  wf->state = s;
  wf->sent = 0;
  wf->r_failed = 0;
  wf->r_unknown = 0;
  wf->r_nonews = 0;
  snm_err_clear(&wf->r_err);
  if (wf->o->on_step != NULL)
    wf->o->on_step(wf->o->on_step_data, SNM_RUN_STEP_RUN, wf_step(s)->name);
  if (step == WF_KEEP_STEP || (int)wf->st.step >= step)
    return 0;
  wf->st.step = (enum snm_step)step;
  return save(wf);
}

int wf_next(struct snm_workflow *wf)
{
  return wf_enter(wf, wf_step(wf->state)->next);
}

static const char *repo(const struct snm_workflow *wf)
{
  return wf->plan->repository.name;
}

static const char *source_id(const struct snm_workflow *wf)
{
  return wf->plan->domains[wf->plan->snapshot.domain].id;
}

static double rate_sample(long long *last_bytes, long long *last_ms,
                          double *rate, long long bytes, long long now)
{
  if (*last_ms <= 0 || bytes < *last_bytes) {
    *last_bytes = bytes;
    *last_ms = now;
  } else if (now - *last_ms >= 1000) {
    *rate = (double)(bytes - *last_bytes) * 1000.0 / (double)(now - *last_ms);
    *last_bytes = bytes;
    *last_ms = now;
  }
  return *rate;
}

/* ---- signals ------------------------------------------------------------ */

void wf_on_signal(struct snm_workflow *wf, int signum)
{
  struct snm_err err;

  wf->signals++;
  if (wf->signals == 1) {
    wf->signal = signum;
    wf_dispatch(wf);
    return;
  }
  /* second one: save and leave the loop at once */
  if (wf->st.run_id != NULL && wf_save(wf, &err) != 0)
    snm_log(SNM_LOG_ERROR, "%s", err.msg);
  wf->save_due = 0; /* tried: not again when the run closes */
  wf->result = SNM_RUN_INTERRUPTED;
  uv_stop(wf->loop);
}

static void interrupt(struct snm_workflow *wf)
{
  const char *sig = wf->signal == SIGTERM ? "SIGTERM" : "SIGINT";

  if (wf->pf_running)
    snm_preflight_cancel(&wf->pf);
  wf_enter(wf, WF_STOPPING);
  wf->result = SNM_RUN_INTERRUPTED;
  wf_final_event(wf, "run.interrupted",
                 SNM_FIELDS(SNM_FSTR("signal", sig),
                            SNM_FSTR("state_file", wf->state_path)));
  wf->save_due = 1; /* written by wf_close (an error is logged) */
  if (snm_progress_mode(wf->progress) != SNM_PROGRESS_JSON)
    snm_log(SNM_LOG_WARN,
            "%s: stopped; work already started on the clusters keeps "
            "running there. Resume with: snapmig %s %s%s%s",
            sig,
            wf->o->cutover ? "cutover"
            : wf->o->sync  ? "sync"
                           : "run",
            wf->o->plan_path, wf->o->state_path != NULL ? " --state " : "",
            wf->o->state_path != NULL ? wf->o->state_path : "");
  wf_close(wf);
}

/* ---- preflight ---------------------------------------------------------- */

static void on_preflight_done(struct snm_preflight *pf, void *data)
{
  struct snm_workflow *wf = data;

  (void)pf;
  wf->pf_running = 0;
  wf->pf_done = 1;
  wf_dispatch(wf);
}

static int start_preflight(struct snm_workflow *wf)
{
  struct snm_preflight_opts opts = {0};
  struct snm_err err;

  opts.now = (time_t)(wf->run_start_ms / 1000);
  opts.init_errors = wf->es_init_err;
  opts.transport = wf->o->transport;
  for (size_t i = 0; i < wf->plan->n_domains; i++)
    wf->es[i].read_only = 1;
  if (snm_preflight_start(&wf->pf, wf->loop, wf->plan, wf->es, &opts,
                          on_preflight_done, wf, &err) != 0) {
    fail(wf, &err);
    return -1;
  }
  wf->pf_running = 1;
  return 0;
}

/* The preflight is in: act on it (see wf_take_preflight). */
static void preflight_done(struct snm_workflow *wf)
{
  struct snm_err err;

  for (size_t i = 0; i < wf->plan->n_domains; i++)
    wf->es[i].read_only = 0;
  if (wf->pf.result != SNM_OK) {
    wf_failf(wf, wf->pf.result, "preflight: %s",
             wf->pf.result == SNM_ENOMEM ? "out of memory"
                                         : "the preflight did not finish");
    return;
  }
  if (wf_take_preflight(wf, &err) != 0) {
    fail(wf, &err);
    return;
  }
  if (wf->pf.n_blockers > 0) {
    wf_failf(wf, SNM_EINVAL,
             "preflight: %zu blocker%s found, %s; fix %s and run again "
             "('snapmig check %s' shows the details)",
             wf->pf.n_blockers, wf->pf.n_blockers == 1 ? "" : "s",
             wf->resumed ? "the run stopped before its next step (what it did "
                           "so far is kept: running it again resumes)"
                         : "nothing was changed",
             wf->pf.n_blockers == 1 ? "it" : "them", wf->o->plan_path);
    return;
  }
  /* "sample" compares documents only while the source is frozen */
  for (size_t i = 0; !wf->o->cutover && i < wf->plan->n_restores; i++)
    if (wf->plan->restores[i].verify == SNM_VERIFY_SAMPLE) {
      wf_warn(wf, NULL,
              "restores[%zu].verify \"sample\" compares documents only in "
              "'snapmig cutover' (the source write-blocked); this round "
              "compares document counts",
              i);
      break;
    }
  /* the work is on record; the next state's step is saved on entry */
  if (save(wf) != 0)
    return;
  wf_next(wf);
}

void wf_step_preflight(struct snm_workflow *wf)
{
  if (!wf->sent) {
    wf->sent = 1;
    if (start_preflight(wf) != 0)
      return;
  }
  if (!wf->pf_done)
    return;
  preflight_done(wf);
}

/* Some snapshot index has no count on record in `c`. */
static int counts_missing(const struct snm_workflow *wf,
                          const struct snm_state_counts *c)
{
  for (size_t i = 0; i < wf->n_snap_indices; i++) {
    const struct snm_state_count *a =
        snm_state_counts_find(c, wf->snap_indices[i]);
    if (a == NULL || a->count == SNM_STATE_UNKNOWN)
      return 1;
  }
  return 0;
}

static int counts_after_missing(const struct snm_workflow *wf)
{
  return counts_missing(wf, &wf_round(wf)->snapshot.docs_after);
}

static int counts_before_missing(const struct snm_workflow *wf)
{
  return counts_missing(wf, &wf_round(wf)->snapshot.docs_before);
}

/* ---- repository --------------------------------------------------------- */

/* Register where needed.  An fs repository: the source first (its
 * registration creates the location's root, which a read-only
 * registration of an empty location needs to find), then every target at
 * once.  An S3 repository has no root to create (a key prefix; a
 * read-only registration verifies nothing and reads an empty repository
 * as empty): every domain at once, one round trip. */
void wf_step_register(struct snm_workflow *wf)
{
  const struct snm_plan *plan = wf->plan;
  int announce = wf->st.step <= SNM_STEP_REPOSITORY;
  int together = plan->repository.type == SNM_REPO_S3;

  while (wf->sent < (together ? 1 : 2) && wf->pending == 0 && !wf->r_failed) {
    int source_pass = wf->sent == 0;

    wf->sent++;
    for (size_t k = 0; k < plan->n_domains; k++) {
      /* the source first: a domain sharing its cluster reads its record */
      size_t src = plan->snapshot.domain;
      size_t d = k == 0 ? src : k <= src ? k - 1 : k;
      const struct snm_pf_domain *pd = &wf->pf.domains[d];
      /* a domain that is another's cluster shares that one's registration
       * (the source's is writable) */
      size_t owner = pd->same_as >= 0 ? (size_t)pd->same_as : d;
      int readonly = !(wf->pf.domains[owner].roles & SNM_PF_ROLE_SOURCE) &&
                     plan->repository.readonly_on_targets;

      if (pd->roles == 0 ||
          (!together && source_pass != (d == plan->snapshot.domain)))
        continue;
      if (wf->repo_body[d] == NULL) {
        const struct snm_state_registration *own =
            snm_state_find_registration(&wf->st, plan->domains[owner].id);
        int created = pd->same_as >= 0 && own != NULL ? own->created : 0;

        if (announce)
          wf_event(wf, "repository.exists",
                   SNM_FIELDS(SNM_FSTR("domain", plan->domains[d].id),
                              SNM_FSTR("repository", repo(wf)),
                              SNM_FBOOL("readonly", readonly)));
        if (snm_state_find_registration(&wf->st, plan->domains[d].id) == NULL &&
            snm_state_set_registration(&wf->st, plan->domains[d].id, created) !=
                0) {
          wf_failf(wf, SNM_ENOMEM, "out of memory");
          return;
        }
        continue;
      }
      /* write-ahead: a run stopped between the registrations knows on
       * resume that this one was its own */
      if (snm_state_set_registration(&wf->st, plan->domains[d].id, 1) != 0) {
        wf_failf(wf, SNM_ENOMEM, "out of memory");
        return;
      }
      if (save(wf) != 0)
        return;
      if (wf_req_register(wf, d) != 0)
        break;
    }
  }
  if (wf->pending > 0)
    return;
  if (wf->r_failed) {
    fail(wf, &wf->r_err);
    return;
  }
  for (size_t d = 0; d < plan->n_domains; d++) {
    int readonly = !(wf->pf.domains[d].roles & SNM_PF_ROLE_SOURCE) &&
                   plan->repository.readonly_on_targets;

    if (wf->repo_body[d] == NULL)
      continue;
    if (snm_state_set_registration(&wf->st, plan->domains[d].id, 1) != 0) {
      wf_failf(wf, SNM_ENOMEM, "out of memory");
      return;
    }
    wf_event(wf, "repository.registered",
             SNM_FIELDS(SNM_FSTR("domain", plan->domains[d].id),
                        SNM_FSTR("repository", repo(wf)),
                        SNM_FBOOL("readonly", readonly)));
  }
  /* the registrations are on record; the next state's step is saved on
   * entry */
  if (save(wf) != 0)
    return;
  wf_next(wf); /* a cutover's block, then wf_after_register() */
}

void wf_after_register(struct snm_workflow *wf)
{
  const struct snm_plan *plan = wf->plan;

  if (!wf->restore_needed) {
    wf_enter(wf, WF_METADATA); /* then the restores */
  } else if ((wf_round(wf)->snapshot.state == SNM_SNAP_SUCCESS ||
              (wf_round(wf)->snapshot.state == SNM_SNAP_PARTIAL &&
               plan->snapshot.allow_partial)) &&
             !counts_after_missing(wf)) {
    wf_enter(wf, WF_METADATA); /* then the restores */
  } else if (wf_round(wf)->snapshot.state == SNM_SNAP_SUCCESS ||
             wf_round(wf)->snapshot.state == SNM_SNAP_PARTIAL) {
    /* stopped after the snapshot ended, before its "after" counts were
     * saved: take them now (later than the snapshot's end, so the window
     * they give is wider, never wrong for a source that only grows) */
    snm_log(SNM_LOG_INFO,
            "snapshot %s is done; counting the source's documents after it "
            "(the earlier run stopped before it could)",
            wf_round(wf)->snapshot.name);
    wf_enter(wf, WF_COUNT_AFTER);
  } else if (wf->resumed) {
    wf_enter(wf, WF_SNAP_LOOKUP);
  } else {
    wf_enter(wf, WF_COUNT_BEFORE); /* a fresh run: count, then snapshot */
  }
}

/* ---- snapshot ----------------------------------------------------------- */

static void snapshot_started(struct snm_workflow *wf)
{
  wf_event(
      wf, "snapshot.start",
      SNM_FIELDS(SNM_FSTR("domain", source_id(wf)),
                 SNM_FSTR("repository", repo(wf)),
                 SNM_FSTR("snapshot", wf_round(wf)->snapshot.name),
                 SNM_FSTRV("indices", wf->snap_indices, wf->n_snap_indices)));
}

void wf_step_lookup(struct snm_workflow *wf)
{
  char why[512];
  enum snm_wf_snap_action a;
  int put_sent = wf_round(wf)->snapshot.started_ms != SNM_STATE_UNKNOWN;

  if (wf->sent == 2) { /* waiting before looking again */
    if (!wf->timer_due)
      return;
    wf->timer_due = 0;
    wf->sent = 0;
  }
  if (!wf->sent) {
    wf->sent = 1;
    snm_es_snap_info_dispose(&wf->r_info);
    wf->r_exists = 0;
    wf_req_snapshot_get(wf, 1);
  }
  if (wf->pending > 0)
    return;
  if (wf->r_failed) {
    fail(wf, &wf->r_err);
    return;
  }
  a = snm_wf_resume_snapshot(&wf->st, put_sent, wf->r_exists, wf->r_info.run_id,
                             why, sizeof(why));
  /* after a PUT of this invocation whose outcome is unknown, give it time
   * to land (250 ms, 500 ms, 1 s, 2 s) before sending another */
  if (a == SNM_WF_SNAP_CREATE && wf->creates > 0 &&
      wf->lookups < WF_LOOKUP_WAITS) {
    wf->sent = 2;
    wf->timer_due = 0;
    wf_arm(wf, &wf->timer, 250L << wf->lookups);
    wf->lookups++;
    return;
  }
  wf->lookups = 0;
  switch (a) {
  case SNM_WF_SNAP_FAIL:
    wf_failf(wf, SNM_EINVAL, "snapshot: %s", why);
    return;
  case SNM_WF_SNAP_CREATE:
    if (wf->creates >= WF_MAX_SNAPSHOT_CREATES) {
      wf_failf(wf, SNM_EHTTP,
               "snapshot: %s did not appear in repository %s on %s after %d "
               "create requests; check the source's logs, then run again",
               wf_round(wf)->snapshot.name, repo(wf), source_id(wf),
               wf->creates);
      return;
    }
    snm_log(SNM_LOG_INFO, "snapshot: %s is not in repository %s: taking it",
            wf_round(wf)->snapshot.name, repo(wf));
    /* counts saved before an earlier PUT stay the lower bound: that PUT
     * may still land (late) and take a snapshot older than a recount */
    if (put_sent && !counts_before_missing(wf)) {
      wf_enter(wf, WF_SNAP_CREATE);
      return;
    }
    wf_enter(wf, WF_COUNT_BEFORE);
    return;
  case SNM_WF_SNAP_ADOPT:
    snm_log(SNM_LOG_INFO, "snapshot: adopting %s (%s) in repository %s",
            wf_round(wf)->snapshot.name, wf->r_info.state, repo(wf));
    if (wf_round(wf)->snapshot.state == SNM_SNAP_PENDING)
      wf_round(wf)->snapshot.state = SNM_SNAP_STARTED;
    if (wf_round(wf)->snapshot.started_ms == SNM_STATE_UNKNOWN)
      wf_round(wf)->snapshot.started_ms = wf->r_info.start_ms;
    if (save(wf) != 0)
      return;
    snapshot_started(wf);
    wf_next(wf); /* poll it */
    return;
  }
}

/* The document count of every snapshot index (workflow_count.c: a few
 * POST /_msearch, _count for what they leave unknown); then store them as
 * the "before" or "after" counts.  0: stored and saved. */
static int count_step(struct snm_workflow *wf, int after)
{
  struct snm_state_counts *c = after ? &wf_round(wf)->snapshot.docs_after
                                     : &wf_round(wf)->snapshot.docs_before;

  if (!wf->sent) {
    wf->sent = 1;
    wf->refresh_next = 0;
    /* a cutover's "before" too: writes accepted before the block and not
     * searchable yet would otherwise show up only in the "after" count */
    wf->refreshing = after || (wf->o->cutover &&
                               wf_round(wf)->cutover.state != SNM_CUT_NONE);
    wf->count_started = 0;
    free(wf->refresh_ends);
    wf->refresh_ends = NULL;
    wf->n_refreshes = 0;
    /* a few names a request (as many as fit the request line), not one
     * request an index: 900 indices are 6 requests */
    if (after && snm_es_chunk_names(&wf->refresh_ends, &wf->n_refreshes,
                                    wf->snap_indices, wf->n_snap_indices,
                                    SNM_ES_URL_LIST_MAX) != 0) {
      wf_failf(wf, SNM_ENOMEM, "out of memory");
      return -1;
    }
  }
  if (wf->refreshing) {
    /* the snapshot holds what was indexed, searchable or not: make it
     * searchable before counting the upper bound */
    while (wf->pending < WF_MAX_CHUNKS_IN_FLIGHT &&
           wf->refresh_next < wf->n_refreshes)
      wf_req_source_refresh(wf, wf->refresh_next++);
    if (wf->pending > 0)
      return -1;
    wf->refreshing = 0;
  }
  if (!wf->count_started) {
    wf->count_started = 1;
    if (wf_count_start(&wf->count, &wf->es[wf->plan->snapshot.domain],
                       wf->snap_indices, wf->n_snap_indices, wf->counts) != 0) {
      wf_failf(wf, SNM_ENOMEM, "out of memory");
      return -1;
    }
  }
  wf_count_pump(&wf->count, wf, NULL);
  if (wf->pending > 0)
    return -1;
  if (wf->r_failed) {
    wf_failf(wf, wf->r_err.code,
             "%s; the document counts %s the snapshot are needed to verify "
             "the copy, so the run stops here (%s); run snapmig again once "
             "the source answers: it resumes",
             wf->r_err.msg, after ? "after" : "before",
             after ? "the snapshot is taken and kept"
                   : "no snapshot was started");
    return -1;
  }
  for (size_t i = 0; i < wf->n_snap_indices; i++)
    if (snm_state_counts_set(c, wf->snap_indices[i], wf->counts[i]) != 0) {
      wf_failf(wf, SNM_ENOMEM, "out of memory");
      return -1;
    }
  /* write-ahead: the name and the counts are on disk before the PUT */
  if (!after)
    wf_round(wf)->snapshot.started_ms = snm_time_now_ms();
  return save(wf);
}

void wf_step_count_before(struct snm_workflow *wf)
{
  if (count_step(wf, 0) == 0)
    wf_next(wf);
}

/* A cutover's source is write-blocked from before its "before" counts:
 * a count that moved means someone lifted the block. */
static int cutover_counts_moved(struct snm_workflow *wf)
{
  const struct snm_state_snapshot *ss = &wf_round(wf)->snapshot;

  if (!wf->o->cutover || wf_round(wf)->cutover.state == SNM_CUT_NONE)
    return 0;
  for (size_t i = 0; i < ss->docs_before.len; i++) {
    const struct snm_state_count *a =
        snm_state_counts_find(&ss->docs_after, ss->docs_before.items[i].index);

    if (a != NULL && a->count != ss->docs_before.items[i].count) {
      wf_failf(wf, SNM_EINVAL,
               "snapshot: the document count of %s on %s moved from %lld to "
               "%lld while the source was write-blocked: someone lifted the "
               "write block (index.blocks.write) during the cutover, so the "
               "copy cannot be verified exact",
               a->index, source_id(wf), ss->docs_before.items[i].count,
               a->count);
      return 1;
    }
  }
  return 0;
}

void wf_step_count_after(struct snm_workflow *wf)
{
  if (count_step(wf, 1) == 0 && !cutover_counts_moved(wf))
    wf_next(wf);
}

void wf_step_create(struct snm_workflow *wf)
{
  if (!wf->sent) {
    wf->sent = 1;
    wf->creates++;
    wf_req_snapshot_put(wf);
  }
  if (wf->pending > 0)
    return;
  if (wf->r_unknown) {
    snm_log(SNM_LOG_WARN,
            "snapshot: %s; checking whether snapshot %s was created",
            wf->r_err.msg, wf_round(wf)->snapshot.name);
    wf_enter(wf, WF_SNAP_LOOKUP);
    return;
  }
  if (wf->r_failed) {
    fail(wf, &wf->r_err);
    return;
  }
  wf_round(wf)->snapshot.state = SNM_SNAP_STARTED;
  if (save(wf) != 0)
    return;
  snapshot_started(wf);
  wf_next(wf);
}

static void snapshot_progress(struct snm_workflow *wf)
{
  const struct snm_es_snap_status *s = &wf->r_status;
  long long now = snm_time_now_ms();
  double rate = rate_sample(&wf->last_bytes, &wf->last_bytes_ms, &wf->rate_bps,
                            s->bytes_done, now);
  double eta = snm_eta_s(s->bytes_done, s->bytes_total, rate);

  wf->eta_s = eta;
  wf->eta_known = eta >= 0;
  wf->eta_at_ms = now;

  wf_update(wf, "snapshot", "snapshot.progress",
            SNM_FIELDS(SNM_FINT("shards_done", s->shards_done),
                       SNM_FINT("shards_total", s->shards_total),
                       SNM_FINT("bytes_done", s->bytes_done),
                       SNM_FINT("bytes_total", s->bytes_total),
                       SNM_FDBL("rate_bps", rate > 0 ? rate : NAN),
                       SNM_FDBL("eta_s", eta >= 0 ? eta : NAN)));
}

/* Every shard done: the server is finalizing the snapshot. */
static int snap_finalizing(const struct snm_workflow *wf)
{
  return wf->have_status && snm_wf_snap_finalizing(&wf->r_status);
}

/* The time left by the last progress, less the time since it came
 * (snm_wf_eta_now): 1 and *left, or 0 when unknown. */
static int eta_left(const struct snm_workflow *wf, double *left)
{
  return snm_wf_eta_now(left, wf->eta_known, wf->eta_s, wf->eta_at_ms,
                        snm_time_now_ms());
}

/* Finalizing, or expected to end within SNM_WF_NEAR_END_MS (or 2 *
 * initial_ms) of now: look every
 * SNM_WF_FINAL_POLL_MS. */
static int snap_near_end(const struct snm_workflow *wf)
{
  double left = -1;
  int known = eta_left(wf, &left);

  return snm_wf_snap_near_end(wf->have_status ? &wf->r_status : NULL, known,
                              left, &wf->plan->polling);
}

/* Progress, now and then: a _status beside the poll when none is in
 * flight and the last one is old enough (WF_STATUS_MIN_GAP_MS); none once
 * it said every shard is done (nothing left to learn from it, and it
 * reads every shard's metadata from the repository). */
static void status_maybe(struct snm_workflow *wf, long long now)
{
  if (wf->status_pending == 0 && now >= wf->status_due_ms &&
      !snap_finalizing(wf))
    (void)wf_req_snapshot_status(wf); /* a failure only skips progress */
}

/* The poll: GET _snapshot/REPO/SNAP (the cluster state's view while it
 * runs: milliseconds even at thousands of shards) decides when it ended;
 * GET .../_status (every shard's metadata read from the repository: more
 * than a second at 900 shards) only feeds the progress, beside it. */
void wf_step_poll(struct snm_workflow *wf)
{
  long long now = snm_time_now_ms();

  if (wf->status_fresh) {
    wf->status_fresh = 0;
    /* right after the start nothing is known yet: no "0 B of 0 B" */
    if (wf->r_status.bytes_total > 0 || wf->r_status.shards_done > 0)
      snapshot_progress(wf);
    /* the progress came after the next poll was armed: when it predicts
     * the end sooner, look then (half the time left, as
     * snm_wf_poll_next_eta; every shard done: SNM_WF_FINAL_POLL_MS) */
    double left = -1;
    int known = eta_left(wf, &left);

    if (wf->sent == 1 && (known || snap_finalizing(wf))) {
      double half = left * 500.0;
      long floor = wf->plan->polling.initial_ms;
      long want = snm_wf_poll_snapshot(
          known && half > (double)floor ? (long)half : floor,
          snap_near_end(wf));

      if (want < wf->poll_due_ms - now) {
        wf->poll_due_ms = now + want;
        wf_arm(wf, &wf->timer, want);
      }
    }
  }
  if (wf->pending > 0)
    return;
  if (wf->sent == 2) { /* the poll's reply is in */
    if (wf->r_failed) {
      fail(wf, &wf->r_err);
      return;
    }
    if (!wf->r_nonews &&
        snm_wf_snapshot_state(wf->r_info.state) != SNM_SNAP_STARTED) {
      wf->info_final = 1;
      wf_next(wf); /* its final state and failures */
      return;
    }
    wf->sent = 0;
    wf->r_nonews = 0;
  }
  if (wf->sent == 0) {
    if (wf->poll_start_ms == 0)
      wf->poll_start_ms = now;
    if (now - wf->poll_start_ms > wf->plan->polling.timeout_s * 1000) {
      wf_failf(wf, SNM_ETIMEOUT,
               "snapshot: %s not finished after %lds (polling.timeout_s); it "
               "keeps running on %s: run snapmig again to go on waiting",
               wf_round(wf)->snapshot.name, wf->plan->polling.timeout_s,
               source_id(wf));
      return;
    }
    long warm = snm_wf_poll_warmup(wf->polls++, &wf->plan->polling), wait;
    double left = -1;
    int known = eta_left(wf, &left);

    if (warm < 0)
      wf->interval_ms = snm_wf_poll_next_eta(wf->interval_ms,
                                             &wf->plan->polling, known, left);
    wait = snm_wf_poll_snapshot(warm >= 0 ? warm : wf->interval_ms,
                                snap_near_end(wf));
    wf->sent = 1;
    wf->timer_due = 0;
    wf->poll_due_ms = now + wait;
    wf_arm(wf, &wf->timer, wait);
    return;
  }
  if (!wf->timer_due)
    return;
  wf->timer_due = 0;
  wf->sent = 2;
  snm_es_snap_info_dispose(&wf->r_info);
  if (wf_req_snapshot_poll(wf) != 0) {
    fail(wf, &wf->r_err);
    return;
  }
  status_maybe(wf, now);
}

void wf_step_info(struct snm_workflow *wf)
{
  const struct snm_es_snap_info *si = &wf->r_info;
  enum snm_snapshot_state st;
  long long dur_ms, now_ms;

  if (!wf->sent) {
    wf->sent = 1;
    /* the poll's GET has just read it: no second look */
    if (!wf->info_final) {
      snm_es_snap_info_dispose(&wf->r_info);
      wf_req_snapshot_get(wf, 0);
    }
    wf->info_final = 0;
  }
  if (wf->pending > 0)
    return;
  if (wf->r_failed) {
    fail(wf, &wf->r_err);
    return;
  }
  st = snm_wf_snapshot_state(si->state);
  if (st == SNM_SNAP_STARTED) { /* not over after all: poll again */
    wf_enter(wf, WF_SNAP_POLL);
    return;
  }
  /* the server's own times; else ours (our start is the PUT's), never a
   * mix of the two clocks */
  now_ms = snm_time_now_ms();
  dur_ms = snm_snapshot_duration_ms(si->start_ms, si->end_ms,
                                    wf_round(wf)->snapshot.started_ms, now_ms);
  wf_round(wf)->snapshot.state = st;
  wf_round(wf)->snapshot.finished_ms = si->end_ms > 0 ? si->end_ms : now_ms;
  if (si->start_ms > 0)
    wf_round(wf)->snapshot.started_ms = si->start_ms;
  if (save(wf) != 0)
    return;
  snm_progress_end(wf->progress, "snapshot");
  wf_event(
      wf, "snapshot.done",
      SNM_FIELDS(SNM_FSTR("snapshot", wf_round(wf)->snapshot.name),
                 SNM_FSTR("state", snm_snapshot_state_name(st)),
                 SNM_FDBL("duration_s", dur_ms >= 0 ? dur_ms / 1000.0 : NAN),
                 SNM_FINT("shards_total", si->shards_total),
                 SNM_FINT("shards_failed", si->shards_failed),
                 SNM_FINT("bytes_total",
                          wf->have_status ? wf->r_status.bytes_total : -1)));
  if (st == SNM_SNAP_FAILED ||
      (st == SNM_SNAP_PARTIAL && !wf->plan->snapshot.allow_partial)) {
    wf_failf(
        wf, SNM_EHTTP,
        "snapshot: %s on %s ended %s (%lld of %lld shards failed)%s%s%s%s; "
        "fix the cause and run 'snapmig run --fresh %s'",
        wf_round(wf)->snapshot.name, source_id(wf), si->state,
        si->shards_failed, si->shards_total, si->reason != NULL ? ": " : "",
        si->reason != NULL ? si->reason : "",
        si->failures != NULL ? "; failures: " : "",
        si->failures != NULL ? si->failures : "", wf->o->plan_path);
    return;
  }
  wf_next(wf);
}

/* ---- restore and verify (targets) --------------------------------------- */

static int all_targets_in(struct snm_workflow *wf, enum wf_tstate a,
                          enum wf_tstate b, int *failed)
{
  *failed = 0;
  for (size_t i = 0; i < wf->n_targets; i++) {
    if (wf->targets[i].state == WFT_FAILED) {
      (*failed)++;
      continue;
    }
    if (wf->targets[i].state != a && wf->targets[i].state != b)
      return 0;
  }
  return 1;
}

void wf_step_restore(struct snm_workflow *wf)
{
  int failed;

  if (!wf->sent) {
    wf->sent = 1;
    if (wf_targets_prepare(wf) != 0) {
      wf_failf(wf, SNM_ENOMEM, "out of memory");
      return;
    }
  }
  for (size_t i = 0; i < wf->n_targets && !wf->closing; i++)
    wf_target_run(&wf->targets[i], WF_RESTORE);
  if (wf->closing || !all_targets_in(wf, WFT_RESTORED, WFT_RESTORED, &failed))
    return;
  if (failed > 0) {
    for (size_t i = 0; i < wf->n_targets; i++)
      if (wf->targets[i].state == WFT_FAILED) {
        fail(wf, &wf->targets[i].r_err);
        return;
      }
  }
  if (save(wf) != 0)
    return;
  wf_next(wf);
}

void wf_step_verify(struct snm_workflow *wf)
{
  size_t checked = 0, mismatched = 0;
  int failed;

  for (size_t i = 0; i < wf->n_targets && !wf->closing; i++)
    wf_target_run(&wf->targets[i], WF_VERIFY);
  if (wf->closing || !all_targets_in(wf, WFT_VERIFIED, WFT_VERIFIED, &failed))
    return;
  for (size_t i = 0; i < wf->n_targets; i++) {
    const struct snm_state_restore *sr = &wf_round(wf)->restores[i];
    if (wf->plan->restores[i].verify == SNM_VERIFY_NONE)
      continue;
    for (size_t k = 0; k < sr->n_indices; k++) {
      if (sr->indices[k].state == SNM_RESTORE_VERIFIED)
        checked++;
      else if (sr->indices[k].state == SNM_RESTORE_FAILED &&
               sr->indices[k].docs_found != SNM_STATE_UNKNOWN) {
        checked++;
        mismatched++;
      }
    }
  }
  wf_event(wf, "verify.done",
           SNM_FIELDS(SNM_FBOOL("ok", mismatched == 0 && failed == 0),
                      SNM_FINT("checked", checked),
                      SNM_FINT("mismatched", mismatched)));
  if (failed > 0) {
    for (size_t i = 0; i < wf->n_targets; i++)
      if (wf->targets[i].state == WFT_FAILED) {
        fail(wf, &wf->targets[i].r_err);
        return;
      }
  }
  wf_next(wf); /* saved as done */
}

/* keep_snapshots: after a verified round, the snapshots of this run's
 * earlier rounds beyond the newest N are deleted, one at a time: only
 * names the state file records, and each only when its metadata carries
 * this run's id (a snapshot of that name made by anyone else is left
 * alone).  A failure here leaves the snapshot and warns: the round's copy
 * is verified, and a later round tries again. */
void wf_step_prune(struct snm_workflow *wf)
{
  long keep = wf->plan->repository.keep_snapshots;
  size_t n_old;

  if (!wf->sent) {
    wf->sent = 1;
    wf->prune_next = 0;
    wf->prune_phase = 0;
    if (keep > 0 && !wf->metadata && wf->st.n_rounds > (size_t)keep) {
      wf_warn(wf, source_id(wf),
              "keep_snapshots: the source keeps no snapshot metadata "
              "(Elasticsearch before 7.3), so snapmig cannot tell its own "
              "snapshots for sure: none deleted");
      keep = 0;
    }
    if (keep <= 0)
      wf->prune_next = wf->st.n_rounds; /* nothing to do */
  }
  n_old = keep > 0 && wf->st.n_rounds > (size_t)keep
              ? wf->st.n_rounds - (size_t)keep
              : 0;
  while (wf->pending == 0 && wf->prune_next < n_old) {
    struct snm_state_snapshot *ss = &wf->st.rounds[wf->prune_next].snapshot;

    if (ss->deleted || ss->name == NULL || ss->state == SNM_SNAP_PENDING) {
      wf->prune_next++;
      continue;
    }
    if (wf->r_failed) {
      wf_warn(wf, source_id(wf),
              "keep_snapshots: snapshot %s (round %u) is kept: %s; a later "
              "round tries again",
              ss->name, wf->st.rounds[wf->prune_next].number, wf->r_err.msg);
      wf->r_failed = 0;
      snm_err_clear(&wf->r_err);
      wf->prune_phase = 0;
      wf->prune_next++;
      continue;
    }
    if (wf->prune_phase == 0) {
      wf->prune_phase = 1;
      wf->prune_exists = 0;
      wf_req_prune(wf, ss->name, 0);
      continue;
    }
    if (wf->prune_phase == 1 && wf->prune_exists &&
        (wf->prune_run_id == NULL ||
         strcmp(wf->prune_run_id, wf->st.run_id) != 0)) {
      wf_warn(wf, source_id(wf),
              "keep_snapshots: snapshot %s in repository %s was not taken "
              "by this run (its metadata says run %s): left alone",
              ss->name, repo(wf),
              wf->prune_run_id != NULL ? wf->prune_run_id : "none");
      wf->prune_phase = 0;
      wf->prune_next++;
      continue;
    }
    if (wf->prune_phase == 1 && wf->prune_exists) {
      wf->prune_phase = 2;
      wf_req_prune(wf, ss->name, 1);
      continue;
    }
    /* deleted now, or gone already */
    ss->deleted = 1;
    if (save(wf) != 0)
      return;
    wf_event(wf, "snapshot.deleted",
             SNM_FIELDS(SNM_FSTR("snapshot", ss->name),
                        SNM_FSTR("repository", repo(wf)),
                        SNM_FINT("round", wf->st.rounds[wf->prune_next].number),
                        SNM_FBOOL("was_there", wf->prune_phase == 2)));
    wf->prune_phase = 0;
    wf->prune_next++;
  }
  if (wf->pending > 0)
    return;
  wf_next(wf); /* saved as done */
}

void wf_step_finished(struct snm_workflow *wf)
{
  if (wf_flush(wf) != 0) /* "done" on disk before the summary says so */
    return;
  wf->result = SNM_RUN_DONE;
  wf_summary(wf);
  wf_close(wf);
}

/* ---- the dispatcher ----------------------------------------------------- */

static void dispatch(struct snm_workflow *wf)
{
  for (;;) {
    enum wf_state before = wf->state;
    const struct wf_step *row = wf_step(wf->state);

    if (wf->closing)
      return;
    if (wf->signal != 0) {
      interrupt(wf);
      return;
    }
    if (row->run == NULL)
      return;
    row->run(wf);
    /* go round again only when the state moved on */
    if (wf->state == before)
      return;
  }
}

void wf_dispatch(struct snm_workflow *wf)
{
  dispatch(wf);
  /* what changed and was not written before a request is written before
   * the loop waits (closing: wf_close wrote it) */
  if (!wf->closing)
    (void)wf_flush(wf);
}
