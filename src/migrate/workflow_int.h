/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_int.h - the run's state machine, shared by workflow_steps.c
 * (the step tables: every state, its names, driver and next), workflow.c
 * (the dispatcher and the run's drivers; wf_enter is the only code that
 * changes `state`), workflow_target.c (a target's sub-machine),
 * workflow_run.c (set up and tear down) and workflow_report.c (events and
 * the summary). */
#ifndef SNM_WORKFLOW_INT_H
#define SNM_WORKFLOW_INT_H

#include <stddef.h>
#include <uv.h>

#include "es.h"
#include "es_sample.h"
#include "journal.h"
#include "preflight.h"
#include "progress.h"
#include "transport.h"
#include "workflow.h"

#define WF_MAX_COUNTS_IN_FLIGHT 4  /* concurrent GET INDEX/_count */
#define WF_MAX_MSEARCH_IN_FLIGHT 2 /* concurrent POST /_msearch counts */
#define WF_MAX_SNAPSHOT_CREATES 3  /* PUT attempts with one name */
#define WF_LOOKUP_WAITS 4          /* waits for a PUT that may land late */
#define WF_MAX_CHUNKS_IN_FLIGHT 4  /* concurrent requests of one index list */
#define WF_MAX_RESTORE_POSTS 3     /* POST _restore attempts per target */
#define WF_ORIGIN_ROUNDS                                                       \
  40                          /* origin checks of an index whose primary       \
                                 has no recovery record yet (its restore       \
                                 may not have started a shard) */
#define WF_ORIGIN_WAIT_MS 250 /* between two of them */
/* GET _snapshot/R/S/_status reads every shard's metadata from the
 * repository (1.2-1.5 s at 900 shards): it only feeds progress, never
 * decides the end, and goes out at most this often, and no sooner than
 * WF_STATUS_GAP_FACTOR times its last answer's time after it. */
#define WF_STATUS_MIN_GAP_MS 1000
#define WF_STATUS_GAP_FACTOR 3

/* The run's steps.  What each one does, what it is called in the state
 * file and in events, and where it goes next is its row of the step table
 * (workflow_steps.c); the order here is the order of a fresh run. */
enum wf_state {
  WF_PREFLIGHT,    /* the read-only preflight runs */
  WF_REGISTER,     /* PUT _snapshot/REPO where missing */
  WF_BLOCK,        /* cutover: the source write-blocked (previous values
                      saved first); else nothing (workflow_cutover.c) */
  WF_SNAP_LOOKUP,  /* GET _snapshot/REPO/SNAP: resume or unknown outcome */
  WF_COUNT_BEFORE, /* GET INDEX/_count on the source */
  WF_SNAP_CREATE,  /* PUT _snapshot/REPO/SNAP (write-ahead saved) */
  WF_SNAP_POLL,    /* GET _snapshot/REPO/SNAP on a one-shot timer (and,
                      now and then, .../_status for progress) */
  WF_SNAP_INFO,    /* the final state and failures (from the poll's GET) */
  WF_COUNT_AFTER,  /* the source counts again */
  WF_METADATA,     /* templates and pipelines copied (workflow_meta.c) */
  WF_RESTORE,      /* every target's sub-machine (enum wf_tstate) */
  WF_VERIFY,       /* every target's refresh and counts */
  WF_SWITCH,       /* cutover: cutover.aliases moved in one POST _aliases
                      per target; else nothing */
  WF_UNBLOCK,      /* cutover: unblock_source puts the previous values
                      back; cutover.done; else nothing */
  WF_PRUNE,        /* keep_snapshots: the plan's older snapshots deleted */
  WF_FINISHED,     /* saved as done: the summary, closing */
  WF_STOPPING,     /* failed or interrupted, closing */
  WF_ROLLBACK,     /* cutover: a failure before the switch (or --rollback)
                      puts the source's previous blocks back, then stops */
  WF_N_STATES
};

/* A recovery poll round (WFT_RECOVER): the progress and health of the
 * restored indices, asked through a few patterns (t->cover: one request
 * each, however many indices); the names those replies did not list,
 * asked by name; when the health is red, the shards, then the
 * explanation of a failed one (workflow_failure.c). */
enum wf_phase {
  WFP_POLL,    /* GET COVER/_recovery, GET _cluster/health/COVER */
  WFP_MISSING, /* the same for t->miss by name (a 404 says it is gone) */
  WFP_SHARDS,  /* GET _cat/shards/COVER */
  WFP_EXPLAIN  /* POST _cluster/allocation/explain for t->bad */
};

/* A target's steps (its rows are in workflow_steps.c too).  The order
 * matters: a state before WFT_RESTORED is "restoring" (domain_busy). */
enum wf_tstate {
  WFT_WAITING,  /* another restore on the same domain goes first */
  WFT_LIST,     /* right before a POST: which target names exist now */
  WFT_ORIGIN,   /* those that exist: were they restored from our snapshot */
  WFT_ROUTING,  /* those _recovery cannot tell: the routing table */
  WFT_CLOSE,    /* a sync round: POST NAMES/_close for the replaced ones */
  WFT_POST,     /* POST _restore in flight */
  WFT_RECOVER,  /* polling recovery and health */
  WFT_IDENTITY, /* GET NAMES/_settings: the restored indices' UUIDs */
  WFT_RESTORED, /* health reached */
  WFT_REFRESH,  /* verify: POST TARGETS/_refresh */
  WFT_COUNT,    /* verify: GET INDEX/_count */
  WFT_SAMPLE,   /* verify "sample" in a cutover: K documents per index
                   drawn on the source, fetched from the target, compared */
  WFT_VERIFIED, /* counts compared */
  WFT_FAILED,
  WFT_N_STATES
};

struct snm_workflow;
struct wf_target;

/* Document counts of names[0..n) on one domain (workflow_count.c): POST
 * /_msearch in batches; what a reply leaves unknown asked again with
 * GET NAME/_count, once; _count for everything when _msearch is refused. */
struct wf_count {
  struct snm_es *es;        /* borrowed */
  const char *const *names; /* borrowed */
  size_t n;
  long long *out;      /* borrowed: n counts, SNM_STATE_UNKNOWN until
                          counted */
  unsigned char *redo; /* malloced, n: ask _count for this one */
  size_t next;         /* the next name no _msearch has taken */
  size_t redo_next;    /* the next name to look at for a _count */
  int msearch_pending; /* _msearch requests in flight */
  int no_msearch;      /* the server refused _msearch */
  size_t counts_sent;  /* _count requests sent (re-asks, fallback) */
};

/* Begin counting names[0..n) on `es` into out[0..n) (all set unknown).
 * 0 or SNM_ENOMEM. */
int wf_count_start(struct wf_count *c, struct snm_es *es,
                   const char *const *names, size_t n, long long *out);
void wf_count_dispose(struct wf_count *c);
/* Send what may go out now; the requests count as pending on `t` (or on
 * `wf` when t is NULL) and record failures there (r_failed / r_err).  The
 * counting is over when, after this call, nothing is pending: every
 * out[i] is then a count, or the owner's r_failed is set. */
void wf_count_pump(struct wf_count *c, struct snm_workflow *wf,
                   struct wf_target *t);
/* The reply (or failure) of the _msearch that counted names[first ..
 * first + n): counts found are stored, the rest marked for _count. */
void wf_count_msearch_done(struct wf_count *c, size_t first, size_t n,
                           const struct snm_es_reply *reply,
                           const struct snm_err *err);

/* WF_KEEP_STEP: a row that leaves the state file's step as it is. */
#define WF_KEEP_STEP (-1)

/* One row of the run's step table. */
struct wf_step {
  const char *name; /* in logs and tests: "snap_create" */
  /* enum snm_step: the state file's "step" is raised to it on entry (and
   * saved when that moved it); the "step" of every event sent while the
   * run is here (snm_step_name).  WF_KEEP_STEP: neither; events name the
   * state file's step. */
  int step;
  /* The driver: sends this step's requests, looks at what came back,
   * decides; it leaves only through wf_enter/wf_next (or a failure).
   * NULL: the run is over. */
  void (*run)(struct snm_workflow *wf);
  enum wf_state next; /* where wf_next() goes: the way of a fresh run */
};

/* One row of a target's table. */
struct wf_tstep {
  const char *name;
  /* The run step that drives a target in this state (WF_RESTORE or
   * WF_VERIFY); a target in a state of another part waits there.  A
   * final state has part WF_N_STATES. */
  enum wf_state part;
  void (*run)(struct wf_target *t); /* NULL: final */
  enum wf_tstate next;              /* where wf_target_next() goes */
};

/* workflow_steps.c: the tables */
const struct wf_step *wf_step(enum wf_state s);
const struct wf_tstep *wf_tstep(enum wf_tstate s);
/* The "step" of events sent while the run is in `s`, whose state file
 * says `saved`. */
const char *wf_step_event_name(enum wf_state s, enum snm_step saved);

/* One plan restore (a target). */
struct wf_target {
  struct snm_workflow *wf;
  size_t r;          /* plan->restores[r], wf_round(wf)->restores[r] */
  struct snm_es *es; /* borrowed: wf->es[domain] */
  enum wf_tstate state;
  int sent;    /* the current sub-state's requests went out */
  int pending; /* requests in flight */
  uv_timer_t timer;
  int timer_due; /* the poll timer fired */
  long interval_ms;
  int polls;               /* recovery polls armed */
  long longpoll_ms;        /* > 0: this round's health request waits up to
                              this long for the wanted status (the wait
                              between rounds), answering as soon as it is
                              reached */
  int health_last;         /* the last round with news reached the health */
  int longpoll_off;        /* the last wait answered early, not reached:
                              the next round waits on the timer */
  int longpoll_hit;        /* the last wait ended with the health reached:
                              the next round at once */
  long long round_ms;      /* this round began */
  long long wait_start_ms; /* this invocation began waiting */
  long long restore_ms;    /* POST sent, for duration_s */
  long long done_ms;

  /* per wf_round(wf)->restores[r].indices[i]: what this invocation does */
  enum snm_wf_index_action *actions; /* malloced, n_actions */
  size_t n_actions;

  /* index lists (borrowed from the state file's entries) */
  const char **post_src; /* sources the POST restores (malloced array) */
  size_t n_post;
  const char **wait; /* target names being recovered (malloced array) */
  size_t n_wait;
  const char **skipped; /* on_conflict skip targets (malloced array) */
  size_t n_skipped;
  const char **close; /* replaced targets, closed first (malloced array) */
  size_t n_close;
  size_t *close_ends; /* NULL or malloced: `close` in URL-sized chunks */
  size_t n_close_chunks;
  size_t *chunk_ends; /* NULL or malloced: `wait` in URL-sized chunks */
  size_t n_chunks;    /* (es_chunk.h) */
  char **cover;       /* NULL or malloced: patterns covering `wait` */
  size_t n_cover;     /* (snm_es_cover_names: usually one URL's worth) */
  int cover_wild;     /* some pattern has a wildcard (else: the names) */
  size_t *cover_ends; /* NULL or malloced: `cover` in URL-sized chunks */
  size_t n_cover_chunks;
  unsigned char *hlevel; /* n_wait: this round's health per index */
  const char **miss;     /* malloced n_wait: names the round's replies did
                            not list (borrowed from `wait`) */
  size_t n_miss;
  size_t *miss_ends; /* NULL or malloced: `miss` in URL-sized chunks */
  size_t n_miss_chunks;
  size_t poll_next;    /* the next chunk request of this round */
  enum wf_phase phase; /* of the poll round */
  /* verify's refresh, sent beside the UUID reads of WFT_IDENTITY (one
   * round trip fewer): the next chunk, whether one failed (WFT_REFRESH
   * then asks again) and whether every chunk was refreshed */
  size_t refresh_next;
  int refresh_early_failed, refreshed_early;

  /* the check right before a POST (WFT_LIST, WFT_ORIGIN): the names of
   * the indices to restore or to check, as probe[i] = the state's
   * indices[probe_ix[i]].target */
  const char **probe; /* malloced array (names borrowed) */
  size_t *probe_ix;   /* malloced */
  size_t n_probe;
  size_t *probe_ends; /* NULL or malloced: probe in URL-sized chunks */
  size_t n_probe_chunks;
  int *probe_exists;                /* malloced: 1 when the name is taken */
  enum snm_es_origin *probe_origin; /* malloced */
  char **probe_uuid;                /* malloced, each NULL or malloced */
  long *probe_shards;               /* malloced: index.number_of_shards, -1 */
  int posts;                        /* POST _restore attempts so far */
  int origin_rounds;                /* origin checks with an answer pending */
  int origin_delay;                 /* wait a poll interval, then ask again */

  /* results the callbacks record */
  int r_ok;             /* the POST answered 2xx */
  int r_failed;         /* r_err is set */
  int r_unknown;        /* the POST's outcome is unknown */
  int r_health;         /* health reached */
  int r_nonews;         /* a proxy's 502/503/504: no news, poll again */
  char r_status[16];    /* health status (the worst chunk's) */
  char poll_status[16]; /* the same, gathered during a round */
  struct snm_err r_err; /* first failure */
  struct snm_es_recovery rec;
  struct snm_es_failed_shard bad; /* the failed shard found this round */
  int bad_found;                  /* bad is set */
  int explained;                  /* snm_es_parse_explain's answer, -1: none */
  int bad_rounds;                 /* rounds in a row with a failed shard */
  int r_bad;                      /* a recovery reply this round was junk */
  size_t r_unlisted;              /* names this round's replies left out */
  struct snm_err bad_reply;       /* what was wrong with it */
  int bad_reply_rounds;           /* rounds in a row with unusable replies */
  long long last_bytes, last_bytes_ms;
  double rate_bps;
  double eta_s; /* from the last progress; < 0 or eta_known 0: unknown */
  int eta_known;
  struct wf_count count; /* verify: the target's counts into found */
  long long *found;      /* n_wait counts, malloced */
  /* verify, per data stream: the target streams (borrowed from the state
   * file) and what GET _data_stream/NAME lists as their backing indices
   * (NULL: not read; else malloced "a,b" in the server's order) */
  /* verify "sample" (WFT_SAMPLE): the sources and targets of t->wait, the
   * documents drawn from each and what the target holds of them */
  const char **samp_src; /* malloced array (borrowed names) */
  const char **samp_dst; /* malloced array (borrowed names) */
  size_t n_samp;
  struct snm_es_sample *samples;          /* malloced, n_samp */
  struct snm_es_sample_verdict *verdicts; /* malloced, n_samp */
  size_t samp_next;                       /* next name to send */
  int samp_phase;                         /* 0 draw, 1 compare */
  const char **ds_names;                  /* malloced array */
  char **ds_backing; /* malloced array of malloced strings */
  size_t n_ds;
  int ds_sent;
};

struct snm_workflow {
  const struct snm_plan *plan;  /* borrowed */
  const struct snm_run_opts *o; /* borrowed */
  char *state_path;             /* malloced */
  enum wf_state state;
  int sent;    /* the current state's requests went out */
  int pending; /* top-level requests in flight */
  enum snm_run_result result;
  int resumed;

  struct snm_session *session; /* loop, engine, es (session.h) */
  uv_loop_t *loop;             /* &session->loop */
  struct snm_http *http;       /* session->http; NULL once closing */
  struct snm_es *es;           /* session->es: plan->n_domains */
  struct snm_err *es_init_err; /* session->es_init_err */
  uv_signal_t sigint, sigterm;
  uv_timer_t timer; /* snapshot poll */
  int timer_due;
  int closing;
  int save_due; /* the state changed since it was last written (wf_flush) */
  int signal;   /* 0, SIGINT or SIGTERM */
  int signals;  /* how many arrived */
  struct snm_progress *progress;

  struct snm_state st;
  struct snm_journal_lock lock;      /* the state file's */
  struct snm_journal_lock plan_lock; /* the plan's (journal.h) */
  struct snm_preflight pf;
  int pf_running, pf_done;
  long long run_start_ms;

  /* work: the exact names, from the preflight or the state file */
  const char **snap_indices; /* malloced array, borrowed strings (state) */
  size_t n_snap_indices;
  char **repo_body;   /* plan->n_domains: NULL or the PUT body (malloced) */
  int metadata;       /* the source keeps snapshot metadata */
  int restore_needed; /* the snapshot must exist: some restore not done */

  /* results the callbacks record */
  struct snm_err r_err;               /* first failure of the current state */
  int r_failed;                       /* r_err is set */
  int r_unknown;                      /* the PUT's outcome is unknown */
  int r_exists;                       /* lookup: the snapshot exists */
  int r_nonews;                       /* a proxy's 502/503/504 while polling */
  struct snm_es_snap_status r_status; /* the last _status answer */
  int have_status;                    /* r_status holds one */
  int status_fresh;                   /* ... not reported yet */
  int status_pending;      /* a _status in flight (not in `pending`) */
  long long status_due_ms; /* no _status before this time */
  struct snm_es_snap_info r_info;
  int info_final;        /* r_info: the poll's GET found the snapshot ended */
  long long *counts;     /* n_snap_indices counts (malloced) */
  struct wf_count count; /* the source's, into counts */
  int count_started;     /* count_step: wf_count_start was called */
  int refreshing;        /* count_after: the source's refreshes go first */
  size_t refresh_next;   /* the next chunk of refresh_ends to refresh */
  size_t *refresh_ends;  /* the snapshot indices in URL-sized chunks */
  size_t n_refreshes;    /* chunks in refresh_ends */
  int refresh_warned;    /* a refresh failed (said once) */
  size_t prune_next;     /* WF_PRUNE: the round whose snapshot is next */
  int prune_phase;       /* 0: GET it, 1: decide, 2: DELETE sent */
  int prune_exists;      /* the GET found it */
  char *prune_run_id;    /* NULL or malloced: its metadata.snapmig_run_id */
  int creates;           /* PUTs sent with this name in this invocation */
  int lookups;           /* lookups that found no snapshot since the last PUT */

  long interval_ms;
  int polls;             /* snapshot polls armed */
  long long poll_due_ms; /* the armed poll's time */
  long long poll_start_ms;
  long long last_bytes, last_bytes_ms;
  double rate_bps;
  double eta_s; /* from the last progress; < 0 or eta_known 0: unknown */
  int eta_known;
  long long eta_at_ms;       /* when eta_s was estimated (snm_wf_eta_now) */
  struct wf_target *targets; /* plan->n_restores, malloced */
  size_t n_targets;
  struct wf_meta *meta; /* NULL or malloced: the metadata step's work */

  /* cutover (workflow_cutover.c) */
  int cut_phase;          /* of the current cutover step */
  const char **cut_names; /* malloced array (borrowed strings): the names
                             of the current requests */
  size_t n_cut_names;
  size_t *cut_ends; /* NULL or malloced: cut_names in URL-sized chunks */
  size_t n_cut_chunks;
  int *cut_value;         /* n_cut_names: index.blocks.write read (-1 unset,
                             0, 1, -2 not in the reply) */
  int cut_bad_reply;      /* a settings reply was not an object */
  size_t cut_next;        /* next alias (switch) */
  char **cut_holders;     /* per state alias: NULL or malloced "a,b" read */
  int *cut_alias_read;    /* per state alias: its GET answered */
  struct snm_err cut_err; /* the failure a rollback reports */
  int cut_failing;        /* WF_ROLLBACK after a failure (else --rollback) */
  int cut_post_failed;    /* switch: a POST /_aliases was refused (cut_err) */
};

/* The run's current round (journal.h): its snapshot and restores. */
static inline struct snm_state_round *wf_round(const struct snm_workflow *wf)
{
  return snm_state_cur(&wf->st);
}

/* workflow.c: the dispatcher */
void wf_dispatch(struct snm_workflow *wf);
void wf_on_signal(struct snm_workflow *wf, int signum);
/* The one way the run changes state: wf->state = s, the step's per-state
 * results cleared, the state file's step raised to the row's (and saved
 * when it moved).  Returns 0; -1 when that save failed: the run has
 * stopped (failed). */
int wf_enter(struct snm_workflow *wf, enum wf_state s);
/* wf_enter(wf, the current row's next). */
int wf_next(struct snm_workflow *wf);
/* Stop the run on `err` (step context added), for drivers outside
 * workflow.c. */
void wf_fail(struct snm_workflow *wf, const struct snm_err *err);
/* The same with a formatted message. */
void wf_failf(struct snm_workflow *wf, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The state changed: it is written before the next request goes out
 * (wf_send) or when the current dispatch ends (wf_flush), whichever comes
 * first, so that saves no request separates cost one write.  Returns 0
 * (kept for the drivers' `if (... != 0) return;`). */
int wf_save_or_fail(struct snm_workflow *wf);
/* Write the state now if it changed; on failure the run stops (failed,
 * unless it is closing already: then logged) and -1. */
int wf_flush(struct snm_workflow *wf);
/* Send one of the run's requests (snm_transport_send) once the state is
 * on disk: a change the request makes is preceded by its write-ahead
 * record.  A state that cannot be written sends nothing: that error. */
int wf_send(struct snm_workflow *wf, const struct snm_request *req,
            snm_es_done_fn done, void *data, struct snm_err *err);

/* The run's drivers (the `run` column), in workflow.c */
void wf_step_preflight(struct snm_workflow *wf);
void wf_step_register(struct snm_workflow *wf);
void wf_step_lookup(struct snm_workflow *wf);
void wf_step_count_before(struct snm_workflow *wf);
void wf_step_create(struct snm_workflow *wf);
void wf_step_poll(struct snm_workflow *wf);
void wf_step_info(struct snm_workflow *wf);
void wf_step_count_after(struct snm_workflow *wf);
void wf_step_restore(struct snm_workflow *wf);
/* workflow_meta.c: the plan's metadata copied to every target */
void wf_step_metadata(struct snm_workflow *wf);
void wf_meta_free(struct snm_workflow *wf);
void wf_step_verify(struct snm_workflow *wf);
void wf_step_prune(struct snm_workflow *wf);
/* workflow_cutover.c */
void wf_step_block(struct snm_workflow *wf);
void wf_step_switch(struct snm_workflow *wf);
void wf_step_unblock(struct snm_workflow *wf);
void wf_step_rollback(struct snm_workflow *wf);
/* A failure `e` (step context added) of a cutover round: 1 when it was
 * taken over (the blocks are being put back: WF_ROLLBACK reports it), 0
 * when the caller stops as usual; `e` then says what became of the
 * blocks. */
int wf_cut_on_failure(struct snm_workflow *wf, struct snm_err *e);
void wf_cut_free(struct snm_workflow *wf);
/* workflow.c: after the registrations (and a cutover's block), where the
 * round goes: the snapshot, its lookup, its "after" counts, or the
 * restores. */
void wf_after_register(struct snm_workflow *wf);
void wf_step_finished(struct snm_workflow *wf);

/* workflow_target.c: a target's sub-machine.  The one way a target
 * changes state (its per-state results cleared). */
void wf_target_enter(struct wf_target *t, enum wf_tstate s);
/* Run target `t`'s drivers while its state belongs to `part` (WF_RESTORE
 * or WF_VERIFY) and moves on. */
void wf_target_run(struct wf_target *t, enum wf_state part);
/* The target drivers (the `run` column) */
void wf_tstep_wait(struct wf_target *t);
void wf_tstep_probe(struct wf_target *t);
void wf_tstep_post(struct wf_target *t);
void wf_tstep_close(struct wf_target *t);
void wf_tstep_identity(struct wf_target *t);
void wf_tstep_recover(struct wf_target *t);
void wf_tstep_verify(struct wf_target *t);
void wf_tstep_refresh(struct wf_target *t);
void wf_tstep_count(struct wf_target *t);
void wf_tstep_sample(struct wf_target *t);
/* 1 when target `t` compares a sample after its counts (a cutover round,
 * verify "sample"; workflow_cutover.c) */
int wf_sample_due(const struct wf_target *t);
void wf_target_sample_free(struct wf_target *t);

/* workflow_run.c */
/* Write the state file now (atomic, durable); clears save_due. */
int wf_save(struct snm_workflow *wf, struct snm_err *err);
void wf_close(struct snm_workflow *wf);
void wf_arm(struct snm_workflow *wf, uv_timer_t *timer, long ms);

/* workflow_report.c */
void wf_event(struct snm_workflow *wf, const char *type,
              const struct snm_field *fields, size_t n);
void wf_update(struct snm_workflow *wf, const char *key, const char *type,
               const struct snm_field *fields, size_t n);
/* Put "prefix: " in front of e->msg; a message that would not fit loses
 * its middle (snm_err_append_middle), never its end (the reason, what to
 * do). */
void wf_err_prefix(struct snm_err *e, const char *prefix);
void wf_warn(struct snm_workflow *wf, const char *domain, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void wf_failed_event(struct snm_workflow *wf, const struct snm_err *err);
/* wf_event for the run's last event (run.done, run.failed,
 * run.interrupted): `fields` plus "requests" (every request sent to the
 * clusters by this invocation, the preflight's included; retries of one
 * request not counted) and "requests_by_domain" ({"domain id": n}). */
void wf_final_event(struct snm_workflow *wf, const char *type,
                    const struct snm_field *fields, size_t n);
/* The total of those requests so far. */
long long wf_requests_sent(const struct snm_workflow *wf);
void wf_summary(struct snm_workflow *wf);
double wf_seconds(long long from_ms, long long to_ms);

#endif
