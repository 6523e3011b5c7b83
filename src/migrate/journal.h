/* SPDX-License-Identifier: Apache-2.0 */
/* journal.h - the run's state file: what a run has done, so a crashed or
 * interrupted run can be resumed.
 *
 * The state lives in one JSON file (default
 * `<plan dir>/.snapmig/<plan name>.state.json`), rewritten atomically on
 * every transition: the new text goes to `<path>.tmp.<pid>` (created
 * O_EXCL, mode 0600), is fsynced, renamed over `<path>`, and the directory
 * is fsynced.  A reader therefore sees either the previous state or the new
 * one, never a mix.  A `<path>.lock` file, flock()ed for the whole run,
 * keeps two runs of the same plan apart.
 *
 * The file holds names, states, counts and times: never a credential, a
 * password, a header or a server reply.
 *
 * A run is a list of rounds (format 2).  Each round has its snapshot, the
 * source's document counts around it, and one restore per plan restore
 * (per target domain).  The last round is the current one: the workflow
 * works on it (snm_state_cur()); earlier rounds are finished and kept as a
 * record.  The plan, the run id, the registrations, the event count and the
 * step are the run's: `step` is the step of the current round (a round
 * added later begins at the step its caller enters).  A run today is one
 * round; a later round (an incremental sync) is added by
 * snm_state_add_round().  Format 1 files (one snapshot and its restores at
 * the top level) are read as a run of one round and written back as
 * format 2.
 *
 * Ownership: a struct snm_state owns every pointer in it (malloced,
 * NUL-terminated strings and malloced arrays); snm_state_dispose() frees
 * them.  Pointers returned by the find/add helpers point into the state and
 * stay valid until the next add to the same array or the dispose.
 */
#ifndef SNM_JOURNAL_H
#define SNM_JOURNAL_H

#include <stddef.h>

#include "err.h"

struct snm_plan;

#define SNM_STATE_FORMAT 2              /* the format this code writes */
#define SNM_STATE_MAX_BYTES (16u << 20) /* larger state files are refused */
#define SNM_STATE_UNKNOWN (-1LL)        /* a count or time not known yet */

/* The run's current step (the "step" field). */
enum snm_step {
  SNM_STEP_PREFLIGHT,  /* "preflight" (also: nothing done yet) */
  SNM_STEP_REPOSITORY, /* "repository": registering on every domain */
  SNM_STEP_SNAPSHOT,   /* "snapshot" */
  SNM_STEP_RESTORE,    /* "restore": restores and recovery */
  SNM_STEP_VERIFY,     /* "verify": doc counts */
  SNM_STEP_DONE        /* "done": the summary has been printed */
};

enum snm_snapshot_state {
  SNM_SNAP_PENDING, /* "pending": not started */
  SNM_SNAP_STARTED, /* "started": create accepted, polling */
  SNM_SNAP_SUCCESS, /* "success" */
  SNM_SNAP_PARTIAL, /* "partial": some shards failed */
  SNM_SNAP_FAILED   /* "failed" */
};

/* States of one restore (a target domain) and of one index in it. */
enum snm_restore_state {
  SNM_RESTORE_PENDING,   /* "pending": not started */
  SNM_RESTORE_RESTORING, /* "restoring": restore accepted, recovering */
  SNM_RESTORE_RESTORED,  /* "restored": recovered, health reached */
  SNM_RESTORE_VERIFIED,  /* "verified": doc counts checked and equal */
  SNM_RESTORE_SKIPPED,   /* "skipped": on_conflict skip, index existed */
  SNM_RESTORE_FAILED,    /* "failed" */
  /* "replacing": a sync round restores over this index (restored by an
   * earlier round): it is being closed, or closed and not restored yet.
   * Written before the close is sent; a resumed run finishes the restore. */
  SNM_RESTORE_REPLACING
};

/* The names written to the file; never NULL. */
const char *snm_step_name(enum snm_step s);
const char *snm_snapshot_state_name(enum snm_snapshot_state s);
const char *snm_restore_state_name(enum snm_restore_state s);

/* Name -> value; 0 and *out, or SNM_EINVAL for an unknown name. */
int snm_step_parse(const char *name, enum snm_step *out) SNM_MUST_CHECK;
int snm_snapshot_state_parse(const char *name,
                             enum snm_snapshot_state *out) SNM_MUST_CHECK;
int snm_restore_state_parse(const char *name,
                            enum snm_restore_state *out) SNM_MUST_CHECK;

/* index name -> document count, in insertion order. */
struct snm_state_count {
  char *index; /* malloced */
  long long count;
};

struct snm_state_counts {
  struct snm_state_count *items; /* NULL or malloced array */
  size_t len;
};

struct snm_state_snapshot {
  char *name;       /* NULL until chosen, else malloced */
  char *repository; /* NULL or malloced */
  enum snm_snapshot_state state;
  long long started_ms;  /* ms since the epoch, or SNM_STATE_UNKNOWN */
  long long finished_ms; /* ms since the epoch, or SNM_STATE_UNKNOWN */
  struct snm_state_counts docs_before; /* source counts before the snapshot */
  struct snm_state_counts docs_after;  /* ... and after it */
  /* the data streams the snapshot names as streams ("data_streams", only
   * written when there are some); their backing indices are in
   * docs_before */
  char **data_streams; /* NULL or malloced array of malloced names */
  size_t n_data_streams;
  int deleted; /* 1: deleted from the repository (keep_snapshots) */
};

/* The repository on one domain ("repositories": {"id": "registered"}). */
struct snm_state_registration {
  char *domain; /* malloced domain id */
  int created;  /* 1: this run registered it ("registered");
                   0: it was already there ("existed") */
};

struct snm_state_index {
  char *source; /* malloced: the index in the snapshot */
  char *target; /* malloced: its name on the target (after rename) */
  enum snm_restore_state state;
  long long docs_expected; /* source count, or SNM_STATE_UNKNOWN */
  long long docs_found;    /* target count, or SNM_STATE_UNKNOWN */
  long long bytes;         /* restored size, or SNM_STATE_UNKNOWN */
  /* a backing index of a data stream restored as a stream: NULL, or the
   * stream's name in the snapshot and on the target (malloced; written as
   * "data_stream" and "target_data_stream" when set) */
  char *data_stream;
  char *target_stream;
  /* of `bytes`, what the target already held (files reused, not
   * downloaded: a restore over a closed index), or SNM_STATE_UNKNOWN */
  long long bytes_reused;
  /* NULL or malloced: the target index's UUID as read right after this
   * round restored it (or, before that, the one an earlier round recorded
   * and this round expects to replace).  A restore over a closed index
   * keeps the UUID, so a changed one means the index was deleted and made
   * again by someone else. */
  char *uuid;
  int replace; /* 1: this round restores over the existing index (closed
                  first); 0: it restores a new one */
};

/* One template or pipeline of the plan's "metadata" section on a target
 * (journal_meta.c).  Before the PUT that creates or replaces it, a run
 * marks it "creating" or "replacing" and saves; after it, the outcome.  A
 * resumed run looks at the target again for an item left creating or
 * replacing (the PUT may or may not have landed) and never sends anything
 * for an item in a final state. */
enum snm_meta_state {
  SNM_MSTATE_PENDING,   /* "pending": not looked at yet */
  SNM_MSTATE_CREATING,  /* "creating": a create-only PUT went out */
  SNM_MSTATE_REPLACING, /* "replacing": a PUT replacing it went out */
  SNM_MSTATE_CREATED,   /* "created": absent on the target; created */
  SNM_MSTATE_IDENTICAL, /* "identical": the target had the same */
  SNM_MSTATE_SKIPPED,   /* "skipped": different on the target, kept (skip) */
  SNM_MSTATE_REPLACED   /* "replaced": different, replaced (replace) */
};
const char *snm_meta_state_name(enum snm_meta_state s);
int snm_meta_state_parse(const char *name,
                         enum snm_meta_state *out) SNM_MUST_CHECK;

struct snm_state_meta {
  char *kind; /* malloced: "pipeline", "component_template",
                 "index_template" or "legacy_template" (metadata.h) */
  char *name; /* malloced */
  enum snm_meta_state state;
};

/* The restore of one round onto one target domain. */
struct snm_state_restore {
  char *domain; /* malloced domain id of the target */
  enum snm_restore_state state;
  struct snm_state_index *indices; /* NULL or malloced array */
  size_t n_indices;
  /* the plan's metadata copied for this restore, in the order the run
   * applies it ("metadata"; written only when not empty) */
  struct snm_state_meta *meta; /* NULL or malloced array */
  size_t n_meta;
};

/* The entry of `kind` `name`, or NULL. */
struct snm_state_meta *snm_state_find_meta(const struct snm_state_restore *r,
                                           const char *kind, const char *name);
/* Add a pending entry (or return the existing one) and set *out (may be
 * NULL).  Returns 0 or SNM_ENOMEM. */
int snm_state_add_meta(struct snm_state_restore *r, const char *kind,
                       const char *name, struct snm_state_meta **out);
/* Free r->meta (journal.c's dispose calls it). */
void snm_state_meta_dispose(struct snm_state_restore *r);

struct snm_state_round;

/* A cutover round's write blocks and alias switch (journal_cutover.c;
 * "cutover" in the round, written only for a cutover round).  Every
 * request that changes the source or the aliases is preceded by a save
 * that says what it is about to do: a crash never forgets a block. */
enum snm_cutover_state {
  SNM_CUT_NONE,         /* "none": not a cutover round */
  SNM_CUT_PENDING,      /* "pending": nothing blocked yet */
  SNM_CUT_BLOCKING,     /* "blocking": the previous values are on record;
                           the block PUT may have been sent */
  SNM_CUT_BLOCKED,      /* "blocked": read back on (blocked_at) */
  SNM_CUT_SWITCHING,    /* "switching": the aliases' holders are on
                           record; POST _aliases may have been sent */
  SNM_CUT_SWITCHED,     /* "switched" (switched_at) */
  SNM_CUT_UNBLOCKING,   /* "unblocking": unblock_source, after the switch */
  SNM_CUT_ROLLING_BACK, /* "rolling_back": the previous values being put
                           back before the switch (failure, --rollback) */
  SNM_CUT_ROLLED_BACK,  /* "rolled_back": put back; never switched */
  SNM_CUT_DONE          /* "done": switched (and unblocked when asked) */
};
const char *snm_cutover_state_name(enum snm_cutover_state s);
int snm_cutover_state_parse(const char *name,
                            enum snm_cutover_state *out) SNM_MUST_CHECK;

/* One source index's index.blocks.write before the cutover blocked it. */
#define SNM_BLOCK_UNSET (-1)
struct snm_state_block {
  char *index;  /* malloced */
  int previous; /* 1 true, 0 false, SNM_BLOCK_UNSET: not set */
};

/* One alias moved on one target. */
struct snm_state_alias {
  char *domain;   /* malloced target domain id */
  char *alias;    /* malloced */
  char *index;    /* malloced: where it goes */
  char **holders; /* NULL or malloced: the indices it was on before the
                     switch (read right before the POST) */
  size_t n_holders;
  int switched; /* 1: read back on `index` alone */
};

struct snm_state_cutover {
  enum snm_cutover_state state;
  int source_blocked; /* 1: the blocks of `blocks` may be on (set before
                         the block PUT, cleared once put back) */
  struct snm_state_block *blocks; /* NULL or malloced */
  size_t n_blocks;
  struct snm_state_alias *aliases; /* NULL or malloced */
  size_t n_aliases;
  long long blocked_ms;   /* the block read back on: writes stop here */
  long long verified_ms;  /* the counts (and samples) compared */
  long long switched_ms;  /* the aliases moved */
  long long unblocked_ms; /* the previous values back */
};

/* Record `index`'s previous value (an existing entry is kept as it is:
 * the first reading is the one before any block).  0 or SNM_ENOMEM. */
int snm_state_cutover_add_block(struct snm_state_cutover *c, const char *index,
                                int previous);
/* Add an alias entry (or return the existing one for domain+alias).
 * 0 or SNM_ENOMEM. */
int snm_state_cutover_add_alias(struct snm_state_cutover *c, const char *domain,
                                const char *alias, const char *index,
                                struct snm_state_alias **out);
/* Replace a's holders with names[0..n).  0 or SNM_ENOMEM. */
int snm_state_alias_set_holders(struct snm_state_alias *a,
                                const char *const *names, size_t n);
void snm_state_cutover_dispose(struct snm_state_cutover *c);
/* 1 when round `rd` is a cutover rolled back before its restores of plan
 * restore `r` finished, and `target` is one of them: the round may have
 * closed it (to restore over it) and left it so.  A later round restores
 * over it like over an open one of its own (same UUID checked). */
int snm_state_round_left_closed(const struct snm_state_round *rd, size_t r,
                                const char *target);

/* One round: a snapshot and its restores.  rounds[i].number == i + 1. */
struct snm_state_round {
  unsigned number; /* 1-based */
  struct snm_state_snapshot snapshot;
  struct snm_state_cutover cutover; /* state SNM_CUT_NONE: not a cutover */
  /* One per plan restore, in plan order: restores[i] is plan->restores[i]. */
  struct snm_state_restore *restores; /* NULL or malloced */
  size_t n_restores;
};

struct snm_state {
  int format;            /* SNM_STATE_FORMAT (as read, after a load: 1 or 2) */
  char *snapmig_version; /* NULL or malloced: the version that wrote it */
  char *plan_name;       /* NULL or malloced */
  char *plan_path;       /* NULL or malloced, as given on the command line */
  char plan_digest[65];  /* snm_plan_digest(), "" when not set */
  char *run_id;          /* NULL or malloced */
  long long created_ms;  /* ms since the epoch, or SNM_STATE_UNKNOWN */
  long long updated_ms;  /* ms since the epoch, or SNM_STATE_UNKNOWN */
  enum snm_step step;
  unsigned long long events; /* events emitted so far (progress.h) */
  struct snm_state_registration *registrations; /* NULL or malloced */
  size_t n_registrations;
  struct snm_state_round *rounds; /* NULL or malloced; the last is current */
  size_t n_rounds;
};

/* An empty state: format SNM_STATE_FORMAT, step preflight, every time and
 * count SNM_STATE_UNKNOWN, no arrays and no round (snm_state_begin, a load
 * or snm_state_push_round adds one). */
void snm_state_init(struct snm_state *st);
/* Free everything and leave `st` as after snm_state_init. */
void snm_state_dispose(struct snm_state *st);

/* Fill a fresh (just initialised) state for a new run of `plan`: the plan's
 * name, `plan_path`, digest, a new random run id, created/updated =
 * `now_ms`, and round 1 (snm_state_add_round with `snapshot_name`).
 * Returns 0, SNM_ENOMEM, or SNM_EIO when no random bytes are available. */
int snm_state_begin(struct snm_state *st, const struct snm_plan *plan,
                    const char *plan_path, const char *snapshot_name,
                    long long now_ms, struct snm_err *err);

/* The current round: the last one.  The state must have one (after
 * snm_state_begin or a successful load it does; asserted).  The pointer
 * stays valid until the next round is added or the dispose. */
struct snm_state_round *snm_state_cur(const struct snm_state *st);

/* Append an empty round (number n_rounds + 1; no snapshot name or
 * repository, snapshot pending, times unknown, no restores) and set *out
 * (may be NULL) to it.  Pointers to earlier rounds become invalid.
 * Returns 0 or SNM_ENOMEM (st unchanged). */
int snm_state_push_round(struct snm_state *st, struct snm_state_round **out);

/* Start the next round of `plan`'s run: a new current round whose snapshot
 * is `snapshot_name` in the plan's repository, pending, and whose restores
 * are one pending restore per plan restore (no indices yet).  Earlier
 * rounds are left as they are, and so is st->step: the caller enters the
 * round's first step.  Pointers to earlier rounds become invalid.
 * Returns 0 or SNM_ENOMEM (st unchanged). */
int snm_state_add_round(struct snm_state *st, const struct snm_plan *plan,
                        const char *snapshot_name, struct snm_err *err);

/* Set a string field (`*field` is freed and replaced by a copy of `value`,
 * which may be NULL).  Returns 0 or SNM_ENOMEM. */
int snm_state_set_str(char **field, const char *value);

/* Set `index` to `count` (adding it when new).  Returns 0 or SNM_ENOMEM. */
int snm_state_counts_set(struct snm_state_counts *c, const char *index,
                         long long count);
/* The entry for `index`, or NULL. */
struct snm_state_count *snm_state_counts_find(const struct snm_state_counts *c,
                                              const char *index);

/* Record the repository on `domain`; an existing entry is updated.
 * Returns 0 or SNM_ENOMEM. */
int snm_state_set_registration(struct snm_state *st, const char *domain,
                               int created);
/* The entry for `domain`, or NULL. */
struct snm_state_registration *
snm_state_find_registration(const struct snm_state *st, const char *domain);

/* The current round's first restore onto `domain`, or NULL (also when there
 * is no round). */
struct snm_state_restore *snm_state_find_restore(const struct snm_state *st,
                                                 const char *domain);

/* The index entry whose source is `source`, or NULL. */
struct snm_state_index *
snm_state_restore_find_index(const struct snm_state_restore *r,
                             const char *source);
/* Add a pending index entry (counts and bytes unknown) and set *out (may
 * be NULL) to it; an existing entry for `source` is returned as it is, its
 * target updated.  Returns 0 or SNM_ENOMEM. */
int snm_state_restore_add_index(struct snm_state_restore *r, const char *source,
                                const char *target,
                                struct snm_state_index **out);

/* Write `st` to `path` atomically (tmp file, fsync, rename, directory
 * fsync), mode 0600, creating the parent directory (mode 0700) if it is
 * missing.  The text is pretty-printed JSON with a fixed key order.  It
 * is written as it is, in format SNM_STATE_FORMAT whatever st->format
 * says (a state with no round is written, but not loaded back): the
 * caller sets st->updated_ms (and st->events, from snm_progress_count())
 * before saving.
 * Returns 0; SNM_EIO (err names the path, the failing call and strerror,
 * and what to check; `path` itself is untouched); SNM_ENOMEM. */
int snm_state_save(const struct snm_state *st, const char *path,
                   struct snm_err *err) SNM_MUST_CHECK;

/* How many snm_state_save() calls of this process wrote their file (for
 * tests: how often a run writes its state, not what). */
unsigned long snm_state_saves(void);

/* Render `st` as that JSON text into *out (malloced, NUL-terminated).
 * Returns 0 or SNM_ENOMEM. */
int snm_state_to_json(char **out, const struct snm_state *st,
                      struct snm_err *err);

/* Read `path` into `out` (which must be initialised; it is disposed and
 * refilled).  Leftover `<path>.tmp.*` files are ignored.
 * Returns 0 with *found 1 when loaded, or 0 with *found 0 when there is no
 * file at `path` (out stays empty); SNM_EIO when the file cannot be read;
 * SNM_EPARSE when it is not a valid state file (err: "PATH:LINE:COL: what
 * is wrong"), or was written by a newer snapmig (format > SNM_STATE_FORMAT;
 * err says so).  Format 1 and 2 files are read; a loaded state has at least
 * one round.  On error `out` is left empty. */
int snm_state_load(struct snm_state *out, int *found, const char *path,
                   struct snm_err *err) SNM_MUST_CHECK;

/* Parse state text (`path` only names it in messages).  Same returns as
 * snm_state_load minus "not found". */
int snm_state_parse(struct snm_state *out, const char *text, size_t len,
                    const char *path, struct snm_err *err) SNM_MUST_CHECK;

/* Check that a loaded state belongs to `plan`: same plan name and digest.
 * Returns 0; SNM_EINVAL when not, with a message that says what differs,
 * that the plan changed since the state was written, and that `--fresh`
 * starts a new run (a new snapshot name) and deletes nothing. */
int snm_state_check_plan(const struct snm_state *st,
                         const struct snm_plan *plan, const char *state_path,
                         struct snm_err *err);

/* The default state path for a plan: `<dir of plan_path>/.snapmig/<name>
 * .state.json`, the plan name with every byte outside [A-Za-z0-9._-]
 * replaced by '_'.  Returns 0 and *out (malloced); SNM_ENOMEM. */
int snm_journal_default_path(char **out, const char *plan_path,
                             const char *plan_name);

/* The state path a command uses: `given` (--state) when not NULL, else
 * the default of snm_journal_default_path.  Returns 0 and *out (malloced);
 * SNM_ENOMEM (*out NULL). */
int snm_journal_state_path(char **out, const char *given, const char *plan_path,
                           const char *plan_name);

/* The run lock: `<state path>.lock`, flock()ed exclusively. */
struct snm_journal_lock {
  int fd;     /* -1 when not held */
  char *path; /* NULL or malloced: the lock file's path */
};

/* Take the lock for `state_path` without waiting: create the parent
 * directory (0700) and the lock file (0600) if missing, flock it
 * LOCK_EX|LOCK_NB, write our pid into it, and remove leftover
 * `<state path>.tmp.*` files (their writers are gone: we hold the lock).
 * Returns 0 (lk held until snm_journal_unlock); SNM_EIO when another run
 * holds it (err: "another snapmig run holds PATH.lock (pid N)") or a system
 * call fails; SNM_ENOMEM.  `lk` needs no initialisation; on error it is
 * left not held. */
int snm_journal_lock(struct snm_journal_lock *lk, const char *state_path,
                     struct snm_err *err) SNM_MUST_CHECK;

/* The plan lock: two runs of one plan against one source must not go on
 * together even with different state files (a copied plan, --state): they
 * would take two snapshots.  A file named by a hash of `plan_name` and
 * `source_endpoint` (letter case and trailing '/' ignored) in
 * $SNAPMIG_LOCK_DIR, else $XDG_RUNTIME_DIR/snapmig, else /tmp/snapmig-UID
 * (created 0700; refused when it is not this user's own folder), flock()ed
 * LOCK_EX|LOCK_NB with our pid in it.  It covers the runs on one machine
 * (and one user, with the default folders).  Returns as snm_journal_lock;
 * the error names the plan, the source, the holder's pid and the file. */
int snm_journal_plan_lock(struct snm_journal_lock *lk, const char *plan_name,
                          const char *source_endpoint,
                          struct snm_err *err) SNM_MUST_CHECK;

/* Release the lock (the lock file is left in place; it is harmless).
 * Safe on a lock that is not held. */
void snm_journal_unlock(struct snm_journal_lock *lk);

#endif
