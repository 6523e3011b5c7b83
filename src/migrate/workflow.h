/* SPDX-License-Identifier: Apache-2.0 */
/* workflow.h - `snapmig run`: the whole migration as one state machine on
 * one libuv loop (docs/run.md).
 *
 * snm_workflow_run() runs: preflight -> repository registrations ->
 * snapshot (write-ahead name, doc counts before/after, adaptive polling)
 * -> restores onto every target concurrently -> recovery/health wait ->
 * doc-count verification -> summary.  Every transition is saved to the
 * state file (journal.h), so a run stopped by a crash, kill -9 or Ctrl-C
 * resumes when started again.
 *
 * The rest of this header is the pure part of the workflow (no I/O), for
 * the state machine and for the tests: request bodies, reply parsers, the
 * poll interval, resume decisions and the count check.  Functions that
 * allocate return 0 or SNM_ENOMEM; parsers return SNM_EPARSE with `err`
 * naming what was missing.
 */
#ifndef SNM_WORKFLOW_H
#define SNM_WORKFLOW_H

#include <stddef.h>
#include <stdio.h>
#include <yajl/yajl_tree.h>

#include "compat.h"
#include "err.h"
#include "es_reply.h"
#include "journal.h"
#include "plan.h"
#include "progress.h"

/* ---- running it --------------------------------------------------------- */

struct snm_transport;

struct snm_run_opts {
  const char *plan_path;  /* as given on the command line */
  const char *state_path; /* NULL: snm_journal_default_path() */
  int fresh;              /* 1: set an existing state aside, start anew */
  /* 1: `snapmig sync`: after a finished run, one more round (a new
   * snapshot, restored over the indices earlier rounds restored, plus the
   * new ones); an unfinished later round is resumed.  0: `snapmig run`. */
  int sync;
  /* 1: `snapmig cutover`: a round like sync's (also the very first one)
   * with the source write-blocked before its counts, exact counts, the
   * plan's cutover.aliases switched after verify (docs/live-migration.md).
   * With `rollback` too: lift the blocks of the unfinished cutover round
   * (not switched) and mark it rolled back; nothing else. */
  int cutover;
  int rollback;
  enum snm_progress_mode progress;
  FILE *out; /* NULL: stdout (summary, --json events) */
  FILE *err; /* NULL: stderr (progress, messages) */
  /* NULL: the real client; else how every request of the run (the
   * preflight's too) is sent: a unit test's script (transport.h). */
  const struct snm_transport *transport;
  /* NULL, or told of every transition: the new state's name in the step
   * table (workflow_steps.c); `target` is SNM_RUN_STEP_RUN for the run's
   * own steps, else the plan restore the target's step belongs to. */
  void (*on_step)(void *data, size_t target, const char *step);
  void *on_step_data;
};

#define SNM_RUN_STEP_RUN ((size_t)-1)

/* What a finished snm_workflow_run says. */
enum snm_run_result {
  SNM_RUN_DONE = 0,         /* migrated and verified (or already done) */
  SNM_RUN_FAILED = 1,       /* blockers, a failed step, a mismatch */
  SNM_RUN_REFUSED = 2,      /* the state file belongs to another plan */
  SNM_RUN_INTERRUPTED = 130 /* SIGINT/SIGTERM: state saved */
};

/* Run (or resume) the migration of `plan`.  Blocks until it is over; the
 * event loop, HTTP engine and signal handlers live inside.  Errors are
 * reported on opts->err (and as run.failed events); the return value says
 * how it ended and is the process's exit status. */
enum snm_run_result snm_workflow_run(const struct snm_plan *plan,
                                     const struct snm_run_opts *opts);

/* ---- request bodies (workflow_snapshot.c, workflow_restore.c) ----------- */

/* Elasticsearch >= 7.3 and every OpenSearch keep snapshot metadata. */
int snm_wf_supports_metadata(const struct snm_version *v);

/* Body of PUT _snapshot/REPO/SNAP:
 *   {"indices":"a,b","include_global_state":false,"partial":false,
 *    "metadata":{"snapmig_plan":P,"snapmig_version":V,"snapmig_run_id":R}}
 * (metadata only when `metadata`).  *out malloced.  0 or SNM_ENOMEM. */
int snm_wf_snapshot_body(char **out, const struct snm_plan *plan,
                         const char *const *indices, size_t n, int metadata,
                         const char *run_id, const char *version);

/* Body of POST _snapshot/REPO/SNAP/_restore for restore `r`:
 *   {"indices":"a,b","include_global_state":false,"include_aliases":B,
 *    "rename_pattern":..,"rename_replacement":.. (with a rename),
 *    "index_settings":{..} (when set),"ignore_index_settings":"x,y" (when
 *    set)}.  0 or SNM_ENOMEM. */
int snm_wf_restore_body(char **out, const struct snm_restore *r,
                        const char *const *sources, size_t n);

/* The names a restore request of `sr` names for its indices `sources`
 * (state file entries' sources): an index by its name, a backing index of
 * a data stream by the stream's name, once (so that the server restores
 * the stream as a stream, with all its backing indices).  *out is a
 * malloced array of strings borrowed from `sr` and `sources`.  0 or
 * SNM_ENOMEM. */
struct snm_state_restore;
int snm_wf_restore_names(const char ***out, size_t *n,
                         const struct snm_state_restore *sr,
                         const char *const *sources, size_t n_sources);

/* The snapshot's server state as the state file's. */
enum snm_snapshot_state snm_wf_snapshot_state(const char *server_state);

/* Keep the worse of two health statuses in `acc` (accsz bytes): red, then
 * an unknown or missing status, then yellow, then green; an empty `acc`
 * takes `status` as it is. */
void snm_wf_health_worst(char *acc, size_t accsz, const char *status);

/* GET _cluster/health/TARGETS?level=indices: 1 when the status reached
 * `want` (green; yellow also accepts green), no shard is initializing and
 * all `n_indices` are listed; 0 otherwise.  `status` (may be NULL) gets
 * the reported status ("" when none). */
int snm_wf_health_reached(yajl_val json, enum snm_wait_for want,
                          size_t n_indices, char *status, size_t statussz);

/* Health per index, for a poll read through patterns: each of
 * names[0..n) listed under "indices" of a GET _cluster/health/PATTERNS?
 * level=indices reply raises level[i] to its own: SNM_WF_HEALTH_RED,
 * _YELLOW, _GREEN (green with initializing shards counts as yellow); a
 * name not listed keeps its level (0: unknown). */
enum {
  SNM_WF_HEALTH_UNKNOWN = 0,
  SNM_WF_HEALTH_RED,
  SNM_WF_HEALTH_YELLOW,
  SNM_WF_HEALTH_GREEN
};
void snm_wf_health_levels(yajl_val json, const char *const *names, size_t n,
                          unsigned char *level);
/* 1 when every level[0..n) reached `want` (n 0: reached); `status` gets
 * the worst ("red" for an unknown one: unknown is never reached). */
int snm_wf_health_levels_reached(const unsigned char *level, size_t n,
                                 enum snm_wait_for want, char *status,
                                 size_t statussz);

/* The bytes a restore will have copied in all, for its time left: what
 * the recovery reports, plus, for each index none of whose shards has
 * started (the target recovers a few shards per node at a time), the
 * average of those that have.  -1 while none has: unknown, so that the
 * estimate never says "almost done" with most of the work not begun. */
struct snm_es_recovery;
long long snm_wf_restore_bytes_estimate(const struct snm_es_recovery *rec);

/* ---- pure decisions ----------------------------------------------------- */

/* The next poll interval: `prev` <= 0 gives initial_ms, else prev * 1.5
 * (at least +1 ms) capped at max_ms. */
long snm_wf_poll_next(long prev, const struct snm_polling *p);

/* The wait before poll number `polls` (0 the first) of a snapshot or a
 * restore that has just started, or -1 once the warm-up is over (then
 * snm_wf_poll_next_eta): 1 ms, then initial_ms / 8 (at least 1 ms) eight
 * times, which covers the first initial_ms.  A small one is over in
 * tens of milliseconds: noticed within initial_ms / 8 of its end, not
 * after a whole initial_ms. */
long snm_wf_poll_warmup(int polls, const struct snm_polling *p);

/* The same, but when the progress so far predicts the end sooner
 * (`eta_known` and `eta_s` >= 0), the wait is cut to half the time left
 * (never below initial_ms): a long snapshot's end is then noticed within
 * about initial_ms of it, not max_ms. */
long snm_wf_poll_next_eta(long prev, const struct snm_polling *p, int eta_known,
                          double eta_s);

/* How long past the end an estimate predicted it still counts (as 0 s
 * left): a fresh progress replaces it within about a second; later
 * than this it is no estimate at all. */
#define SNM_WF_ETA_OVERRUN_MS 1000

/* The last stretch the estimate predicts, looked at every
 * SNM_WF_FINAL_POLL_MS (or 2 * initial_ms, when longer): on a small or
 * throttled snapshot the estimate is off by about half a second (the
 * bytes done move a file at a time), so a shorter window lets the end
 * fall between two polls a few hundred ms apart.  At most about 20 looks
 * a second, for this and SNM_WF_ETA_OVERRUN_MS. */
#define SNM_WF_NEAR_END_MS 1000

/* The progress's estimate of the time left, `eta_s` (known when
 * `eta_known` and >= 0), taken at `at_ms`, as of `now_ms`: it shrinks by
 * the time since, down to 0 once the end it predicted has passed.
 * Returns 1 and *left_s, or 0 when there is no estimate, or its end is
 * more than SNM_WF_ETA_OVERRUN_MS past. */
int snm_wf_eta_now(double *left_s, int eta_known, double eta_s, long long at_ms,
                   long long now_ms);

/* The wait between two looks at a snapshot whose shards are all done
 * (snm_wf_snap_finalizing): the server is writing the snapshot's
 * metadata to the repository (seconds at thousands of shards), and only
 * GET _snapshot/REPO/SNAP, a few milliseconds from the cluster state,
 * tells when that is over.  A look every SNM_WF_FINAL_POLL_MS there
 * notices the end within that and one round trip (issue 13's goal: one
 * round trip + 100 ms), for as long as finalizing lasts. */
#define SNM_WF_FINAL_POLL_MS 50

/* 1 when the snapshot's _status says every shard is done or failed (the
 * server is finalizing it), else 0. */
int snm_wf_snap_finalizing(const struct snm_es_snap_status *s);

/* 1 when the end of the snapshot is near: it is finalizing (`s` not
 * NULL and snm_wf_snap_finalizing), or the progress expects its end
 * within SNM_WF_NEAR_END_MS or 2 * initial_ms, the longer (`eta_known`,
 * `eta_s`: snm_wf_eta_now's time left), where
 * snm_wf_poll_next_eta would otherwise wait initial_ms. */
int snm_wf_snap_near_end(const struct snm_es_snap_status *s, int eta_known,
                         double eta_s, const struct snm_polling *p);

/* The wait before the next look at a snapshot: `wait` (the warm-up's or
 * snm_wf_poll_next_eta's), cut to SNM_WF_FINAL_POLL_MS while `near_end`
 * (snm_wf_snap_near_end; never above what it was: a max_ms below it
 * stays). */
long snm_wf_poll_snapshot(long wait, int near_end);

enum snm_wf_snap_action {
  SNM_WF_SNAP_CREATE, /* send the PUT (again) with the recorded name */
  SNM_WF_SNAP_ADOPT,  /* the snapshot is ours: poll it */
  SNM_WF_SNAP_FAIL    /* stop: `why` says why */
};
/* On resume (or after a PUT whose outcome is unknown): what to do with
 * the recorded snapshot `s` given what the repository says: `exists`, and
 * the run id in its metadata (`server_run_id`, NULL when none or not
 * supported).  `put_sent` is 1 when the PUT may have been sent (the state
 * recorded started_ms).  `why` gets a sentence for FAIL. */
enum snm_wf_snap_action snm_wf_resume_snapshot(const struct snm_state *st,
                                               int put_sent, int exists,
                                               const char *server_run_id,
                                               char *why, size_t whysz);

enum snm_wf_index_action {
  SNM_WF_IX_RESTORE, /* restore it */
  SNM_WF_IX_ADOPT,   /* ours, on the server already: wait for it */
  SNM_WF_IX_SKIP,    /* skipped by on_conflict */
  SNM_WF_IX_GONE,    /* restored earlier, deleted since */
  SNM_WF_IX_CHECK,   /* exists; whether this run restored it is not known:
                        the target's _recovery decides (restored from this
                        run's snapshot: adopt; else a conflict) */
  SNM_WF_IX_REPLACE  /* a sync round: restored by an earlier round of this
                        plan, its identity (UUID) unchanged: close it and
                        restore over it */
};
/* From the state file's index state and whether the target exists. */
enum snm_wf_index_action snm_wf_resume_index(enum snm_restore_state st,
                                             int exists);

/* Is `found` right for a source that had `before` documents when the
 * snapshot started and `after` when it ended?  Equal counts need an exact
 * match; otherwise `found` must lie between them (inclusive).  `after`
 * SNM_STATE_UNKNOWN: exact match with `before`.  1 ok, 0 not. */
int snm_wf_count_ok(long long before, long long after, long long found);

/* The expected count as text: "10050" when `after` is unknown or equal,
 * "LOW..HIGH" when the source changed, "unknown" when `before` is. */
void snm_wf_count_expected(char *out, size_t outsz, long long before,
                           long long after);

/* ---- a restore that failed (workflow_failure.c) ------------------------ */

/* Rounds in a row a failed shard must be seen before the run gives up
 * without the allocator's own verdict (explain unknown). */
#define SNM_WF_FAILED_ROUNDS 3

/* Has the restore failed?  `health`: the indices' health this round;
 * `shard_failed`: a failed shard was found (snm_es_find_failed_shard);
 * `explained`: snm_es_parse_explain's answer (-1 when not asked or no
 * answer); `rounds`: consecutive rounds with a failed shard, this one
 * included.  1 only when the health is red, a shard failed, and the
 * allocator gave up (or, unexplained, it stayed so SNM_WF_FAILED_ROUNDS
 * rounds); 0 otherwise. */
int snm_wf_restore_failed(const char *health, int shard_failed, int explained,
                          int rounds);

/* `in` with what it means appended, for server errors a run meets:
 * repository_exception (the repository's storage cannot be reached) and
 * index_not_found_exception (an index the run waits for is gone).  A
 * message that would not fit is cut in its middle ("\u2026"), never at its
 * end, and leaves 64 bytes for the step context the workflow puts in
 * front.  Other errors are copied as they are. */
void snm_wf_explain(struct snm_err *out, const struct snm_err *in);

/* ---- the summary table (workflow_table.c) ------------------------------ */

/* Column widths of the summary table (TARGET SOURCE RESTORED-AS DOCS SIZE
 * TIME STATE).  The name columns are as wide as their longest entry
 * (`longest_*`, in columns), at least as wide as their heading and at most
 * SNM_WF_NAME_COL_MAX.  With `columns` > 0 (a terminal that wide) the
 * widest name column is narrowed, down to SNM_WF_NAME_COL_MIN, until a row
 * fits in columns - 1. */
#define SNM_WF_NAME_COL_MAX 64
#define SNM_WF_NAME_COL_MIN 12
struct snm_wf_table_widths {
  size_t target, source, restored;
};
void snm_wf_table_widths(struct snm_wf_table_widths *w, size_t longest_target,
                         size_t longest_source, size_t longest_restored,
                         int columns);
/* The width of a row after RESTORED AS: " DOCS SIZE TIME  STATE" with the
 * longest state ("restoring"). */
#define SNM_WF_TABLE_FIXED 46

/* How many terminal columns the UTF-8 `s` takes (one per code point). */
size_t snm_wf_text_columns(const char *s);

/* `name` in at most `width` columns (width >= 3): as it is when it fits,
 * else its start and end around "\u2026" (the middle cut, whole code
 * points kept), e.g. "logs-2024.01.01" in 9 -> "logs\u20261.01".  `out`
 * has `outsz` bytes (4 * width + 1 is always enough; less truncates). */
void snm_wf_fit_name(char *out, size_t outsz, const char *name, size_t width);

#endif
