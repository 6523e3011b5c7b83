/* SPDX-License-Identifier: Apache-2.0 */
/* preflight.h - what a migration would do, found out without changing
 * anything.  `snapmig check` prints it; `snapmig run` calls the same
 * preflight as its first step and acts on its result.
 *
 * snm_preflight_start() sends, to every plan domain at once, read-only
 * requests only (GET; the snm_es handles must have read_only set), records
 * the answers as facts, and when the last reply is in computes the verdicts
 * (snm_preflight_verdict, pure) and calls `done`:
 *
 *   every domain      GET /, GET /_cluster/health
 *   source, targets   GET /_snapshot/REPO, GET /_snapshot/REPO/_all; once
 *                     GET / answered, GET /_plugins/_security/authinfo
 *                     (OpenSearch) or /_opendistro/_security/authinfo
 *                     (Elasticsearch: Open Distro on AWS)
 *   source            GET /_snapshot/_status, GET /_data_stream,
 *                     GET /PATTERNS/_settings?expand_wildcards=all&..., GET
 *                     /_cat/indices?..., GET /_alias, then GET /INDEX/_count
 *                     for each index found (a second wave, 16 at a time)
 *   targets           GET /_cat/indices?..., GET /_alias,
 *                     GET /_cat/allocation?..., GET /_cluster/settings?...
 *
 * Facts are kept even when a domain fails; the verdicts turn failures into
 * blockers (one per domain when it cannot be reached at all).
 *
 * What `run` takes from a finished preflight:
 *   - pf->n_blockers == 0 before doing anything;
 *   - snm_preflight_snapshot_indices(): the exact index names to snapshot
 *     (the plan's patterns resolved by the source; never the patterns);
 *   - pf->snapshot_name: the name the plan's template gave at `now`;
 *   - pf->domains[d].repo_want_json / repo_state: what to register where
 *     (nothing to do when SNM_PF_REPO_MATCHES);
 *   - pf->restores[r].items with action SNM_PF_RESTORE: the exact indices
 *     each restore takes (SNM_PF_SKIP ones are left out), and their
 *     target names.
 *
 * Ownership: a struct snm_preflight owns every pointer in it except `plan`
 * and `es` (borrowed; they must outlive it).  Strings are malloced.
 */
#ifndef SNM_PREFLIGHT_H
#define SNM_PREFLIGHT_H

#include <stddef.h>
#include <time.h>
#include <uv.h>

#include "compat.h"
#include "err.h"
#include "es.h"
#include "journal.h"
#include "plan.h"

/* ---- facts ------------------------------------------------------------ */

enum snm_pf_role {
  SNM_PF_ROLE_SOURCE = 0x1,
  SNM_PF_ROLE_TARGET = 0x2 /* 0: a domain the plan does not use */
};

enum snm_pf_repo_state {
  SNM_PF_REPO_UNKNOWN = 0, /* not asked, or the request failed */
  SNM_PF_REPO_ABSENT,      /* 404: `run` registers it */
  SNM_PF_REPO_MATCHES,     /* registered with the type and settings `run`
                              would use */
  SNM_PF_REPO_DIFFERS      /* registered otherwise (a blocker) */
};

struct snm_pf_existing { /* an index on a domain (GET _cat/indices) */
  char *name;            /* malloced */
  int closed;            /* 1: status "close" */
  char health[8];        /* "green", ... or "" */
  long long pri_bytes;   /* primary store size; -1 unknown */
  /* targets (GET _cat/indices h=status,uuid,pri,index): NULL / 0 when
   * unknown (a domain that is also the source lists other columns) */
  char *uuid;  /* malloced */
  long shards; /* primary shards, 0 unknown */
};

struct snm_pf_alias { /* one alias -> index pair */
  char *alias;        /* malloced */
  char *index;        /* malloced */
};

/* The facts the preflight asks each domain for besides GET / and the
 * repository, one request (or one kind of request) each.  A fact that
 * could not be read is never taken for "nothing there": its
 * fact_error says why, and the verdicts turn it into a blocker where a
 * verdict relies on it, a warning where it is only reported. */
enum snm_pf_fact {
  SNM_PF_FACT_HEALTH = 0,       /* GET /_cluster/health */
  SNM_PF_FACT_INDICES,          /* GET /_cat/indices */
  SNM_PF_FACT_ALIASES,          /* GET /_alias */
  SNM_PF_FACT_RUNNING,          /* source: GET /_snapshot/_status */
  SNM_PF_FACT_DATA_STREAMS,     /* source: GET /_data_stream */
  SNM_PF_FACT_SETTINGS,         /* source: GET PATTERNS/_settings */
  SNM_PF_FACT_COUNTS,           /* source: GET INDEX/_count (any) */
  SNM_PF_FACT_DISK,             /* targets: GET /_cat/allocation */
  SNM_PF_FACT_CLUSTER_SETTINGS, /* targets: GET /_cluster/settings */
  SNM_PF_FACT_TEMPLATES,        /* targets: GET /_index_template */
  SNM_PF_N_FACTS
};

/* A composable index template on a target (GET _index_template): what
 * decides whether a data stream of a given name works there. */
struct snm_pf_template {
  char *name;      /* malloced */
  char **patterns; /* its index_patterns (malloced each) */
  size_t n_patterns;
  long long priority; /* 0 when it has none */
  int data_stream;    /* 1: it has a "data_stream" object */
};

struct snm_pf_running { /* a snapshot in progress on the source */
  char *repository;     /* malloced */
  char *snapshot;       /* malloced */
  char *state;          /* malloced, e.g. "STARTED" */
};

/* What the OpenSearch security plugin says of the identity check uses on
 * a domain (GET _plugins/_security/authinfo; _opendistro/_security/authinfo
 * on Elasticsearch, as Open Distro on AWS has it), and the verdict on the
 * permissions the run needs there (preflight_security.c). */
enum snm_pf_sec_state {
  SNM_PF_SEC_UNKNOWN = 0, /* not asked (domain not reached), or the request
                             failed, or the reply is not authinfo: `error` */
  SNM_PF_SEC_ABSENT,      /* no security plugin answers: nothing is said */
  SNM_PF_SEC_KNOWN        /* the user, roles and backend roles are read */
};

enum snm_pf_grant {
  SNM_PF_GRANT_UNKNOWN = 0, /* cannot tell (a role whose definition is not
                               known to snapmig; or nothing read) */
  SNM_PF_GRANT_YES,         /* its roles grant everything the run needs */
  SNM_PF_GRANT_NO           /* its roles are all known and lack `missing` */
};

struct snm_pf_security {
  enum snm_pf_sec_state state;
  char *path;   /* NULL or malloced: the authinfo path asked */
  char *error;  /* NULL or malloced: why UNKNOWN */
  char *user;   /* KNOWN: malloced user_name ("" if the reply has none) */
  char **roles; /* KNOWN: the security roles it is mapped to (malloced) */
  size_t n_roles;
  char **backend_roles; /* KNOWN: malloced each */
  size_t n_backend_roles;
  /* set by the verdict (KNOWN only) */
  enum snm_pf_grant grant;
  char *missing;       /* NULL or malloced "perm, perm": what the run needs
                          and no role grants (GRANT_NO) */
  char *unknown_roles; /* NULL or malloced "role, role": roles whose
                          permissions snapmig cannot know (GRANT_UNKNOWN) */
};

struct snm_pf_domain {
  const struct snm_domain *dom; /* borrowed from the plan */
  unsigned roles;               /* snm_pf_role bits */

  /* GET / */
  int reached;          /* 1: GET / answered and named an engine/version */
  struct snm_err error; /* why not reached (code != 0): transport, 401/403
                           (message with the credentials hint), not a
                           cluster */
  struct snm_es_info info;
  char cluster_uuid[64]; /* GET /'s cluster_uuid, "" when absent */
  /* -1, or the domain this one is the same cluster as (same cluster_uuid;
   * a missing or "_na_" uuid never matches): the source when the source
   * is that cluster, else the first such domain the plan uses, else the
   * first such domain.  That domain itself has -1.  Such a domain shares
   * its registration: no repository is registered on it (the source's,
   * writable, serves it even with readonly_on_targets), its repo_want_json
   * and repo_state are those of domain same_as, and its repository is not
   * checked again.  Set by snm_preflight_verdict(). */
  int same_as;
  int same_as_source; /* 1: a target whose same_as is the source (set by
                         the verdict with same_as) */

  /* GET /_cluster/health (-1: unknown) */
  char health[16]; /* "green", "yellow", "red" or "" */
  long data_nodes;
  long open_shards; /* active + initializing + unassigned */

  /* repository */
  enum snm_pf_repo_state repo_state;
  char *repo_have_json;     /* NULL or the registration as found:
                               {"type":...,"settings":{...}} compact */
  char *repo_want_json;     /* NULL (not a source/target) or what `run`
                               registers: {"type":...,"settings":{...}} */
  char *repo_diff;          /* NULL or the differing keys, "a, b" */
  char *repo_endpoint_note; /* NULL or why `endpoint` replaces `region` */
  char *repo_error;         /* NULL or why the repository could not be
                               read or listed */
  int snapshots_listed;     /* 1: GET _cat/snapshots/REPO answered */
  size_t snapshots_in_repo; /* how many snapshots it listed */
  char **snapshots; /* of those, the ones named like the snapshot the run
                       takes (pf->snapshot_name; malloced each): a
                       repository may hold millions, and only that name
                       matters (a clash) */
  size_t n_snapshots;

  /* source: GET /_snapshot/_status */
  struct snm_pf_running *running;
  size_t n_running;
  int running_known;

  /* targets: existing indices and aliases, capacity (-1: unknown) */
  struct snm_pf_existing *existing;
  size_t n_existing;
  int existing_known;
  struct snm_pf_alias *aliases; /* source and targets */
  size_t n_aliases;
  int aliases_known;
  /* targets: GET /_data_stream (the names only) and GET /_index_template
   * (composable templates); `_known` once read */
  char **streams; /* malloced each */
  size_t n_streams;
  int streams_known;
  struct snm_pf_template *templates;
  size_t n_templates;
  int templates_known;
  long long disk_avail;  /* bytes free, summed over data nodes */
  long long disk_usable; /* what the high watermark leaves of it */
  long max_shards_per_node;
  /* NULL, or malloced: why that fact is unknown, the first failure of its
   * request(s) as the es layer words it ("ID: GET PATH: HTTP 403
   * type: reason ..."), or "ID: GET PATH: HTTP 200, but ..." for a reply
   * that is not what was asked for */
  char *fact_error[SNM_PF_N_FACTS];

  /* the security plugin (preflight_security.c) */
  struct snm_pf_security sec;

  /* private (fetch): per data node disk, allocation watermark */
  long long *node_avail, *node_total; /* malloced, n_nodes each */
  size_t n_nodes;
  int threshold_enabled; /* -1 unknown */
  char watermark_high[32];
};

struct snm_pf_index {         /* a source index the patterns resolved to */
  char *name;                 /* malloced */
  int selected;               /* 1: snapshotted (see the verdicts) */
  int closed, hidden;         /* from _cat/indices and the settings */
  char *data_stream;          /* NULL or the data stream it backs */
  char health[8];             /* "green"... or "" */
  long long docs;             /* GET INDEX/_count; -1 unknown (closed) */
  long long pri_bytes;        /* primary store size; -1 unknown */
  long shards, replicas;      /* -1 unknown */
  long version_id;            /* index.version.created, 0 unknown */
  struct snm_version created; /* decoded (engine UNKNOWN if not) */
};

struct snm_pf_data_stream { /* a data stream on the source */
  char *name;               /* malloced */
  size_t n_backing;         /* backing indices the source lists for it */
};

/* ---- verdicts --------------------------------------------------------- */

enum snm_pf_action {
  SNM_PF_RESTORE = 0, /* `run` restores it */
  SNM_PF_SKIP,        /* exists on the target and on_conflict is skip */
  SNM_PF_BLOCKED      /* a blocker stops it (see the issues) */
};

struct snm_pf_item {
  size_t index;      /* into pf->indices */
  char *target_name; /* malloced: the name after `rename` */
  enum snm_pf_action action;
  char *verdict; /* malloced, short: "ok", "exists (open): skipped", ... */
  int own;       /* 1: a resumed run's own index (pf->own_fn): it is on
                    the target already, so neither a name conflict nor new
                    shards or disk; the run checks it before restoring */
  /* SNM_PF_RESTORE over an index that exists on the target, closed and
   * restored over: 1, on_conflict "replace" (an index this plan did not
   * create; `uuid` is the one the preflight saw, the run refuses another);
   * 2, an earlier round's (check on a plan with rounds: the next sync) */
  int replace;
  char *uuid; /* NULL or malloced: the target index's UUID (replace; with
                 `round`, the one that round recorded) */
  /* check on a plan with earlier rounds (pf->rounds): the latest round
   * that restored this target name (0: none), and then the source's
   * document count (docs_after of its snapshot, else docs_before) and
   * the size restored (the target's _recovery total); -1 unknown */
  unsigned round;
  long long docs_last, bytes_last;
};

/* For a resumed run: 1 when the target name `target` of plan restore
 * `restore` is the run's own (restored, or maybe restored, by it). */
typedef int (*snm_pf_own_fn)(void *data, size_t restore, const char *target);

/* A data stream a restore takes: it restores as a stream, with every one
 * of its backing indices (they are items of the restore, renamed by
 * snm_rename_apply_backing; the stream by snm_rename_apply). */
struct snm_pf_stream_item {
  size_t stream;             /* into pf->data_streams */
  char *target_name;         /* malloced: the stream's name on the target */
  enum snm_pf_action action; /* its backing items have the same */
  char *verdict;             /* malloced, short */
  char *template_name;       /* NULL or malloced: the target's composable
                                template with data_stream that matches it */
  int own;                   /* 1: every backing index is a resumed run's own */
};

struct snm_pf_restore {      /* pf->restores[r] is plan->restores[r] */
  size_t domain;             /* plan domain index (the target) */
  struct snm_pf_item *items; /* in source index order */
  size_t n_items;
  struct snm_pf_stream_item *streams; /* in pf->data_streams order */
  size_t n_streams;
  long replicas;          /* replicas after index_settings, -1: as source */
  long long bytes_needed; /* restored copies that will be allocated */
  long new_shards;        /* shards counted by the shard limit */
  /* the indices it closes and restores over (item replace != 0): their
   * count, and the most a restore over them downloads (their full size
   * x copies: a restore fetches only the files that changed, but a merge
   * on the source may have rewritten all of them) */
  long n_replace;
  long long bytes_replace_max;
};

enum snm_pf_severity { SNM_PF_BLOCKER = 0, SNM_PF_WARNING = 1 };

struct snm_pf_issue {
  enum snm_pf_severity severity;
  const char *code; /* static, stable: "unreachable", "repo-settings", ...
                       (docs/check.md lists them) */
  char *domain;     /* NULL or malloced domain id */
  char *index;      /* NULL or malloced index name */
  char *message;    /* malloced, one line */
  char *hint;       /* malloced, one line: what to do */
};

struct snm_preflight;
struct snm_transport;
typedef void (*snm_preflight_done_fn)(struct snm_preflight *pf, void *data);

struct snm_preflight {
  const struct snm_plan *plan; /* borrowed */
  struct snm_es *es;           /* borrowed, plan->n_domains handles */
  char snapshot_name[SNM_SNAPSHOT_NAME_MAX + 1];

  struct snm_pf_domain *domains; /* plan->n_domains */
  size_t n_domains;
  int indices_known;            /* 1: the source listed its indices */
  struct snm_pf_index *indices; /* sorted by name */
  size_t n_indices;
  struct snm_pf_data_stream *data_streams;
  size_t n_data_streams;

  struct snm_pf_restore *restores; /* plan->n_restores, after verdict */
  size_t n_restores;
  snm_pf_own_fn own_fn; /* NULL, or set by a resumed run before verdict */
  void *own_data;
  /* check on a plan with earlier rounds: the state file (borrowed; NULL:
   * none), so that the verdicts predict the next `sync` (preflight_
   * rounds.c): an index an earlier round restored is replaced while its
   * UUID and shard count are as recorded, and a blocker otherwise.
   * rounds_error: NULL, or malloced: why the state file cannot be used
   * (another plan's: a blocker, as run and sync refuse it). */
  const struct snm_state *rounds;
  char *rounds_error;
  /* 1: the source is not needed (a resumed run whose snapshot is taken
   * and counted).  From snm_preflight_opts at start, or set by the run
   * before it computes the verdicts again (see the opts for what it
   * changes). */
  int source_optional;
  /* 1: an earlier run already changed things (snm_preflight_opts) */
  int resuming;
  struct snm_pf_issue *issues; /* blockers first, then warnings */
  size_t n_issues;
  size_t n_blockers, n_warnings;

  int result;             /* SNM_OK; SNM_ECANCELED; SNM_ENOMEM */
  double elapsed_s;       /* start to done */
  unsigned long requests; /* sent */

  /* private */
  const struct snm_transport *transport; /* borrowed, NULL: snm_es */
  uv_loop_t *loop;
  struct snm_pf_alias *ds_backing; /* data stream -> backing index */
  size_t n_ds_backing;
  void *defer; /* NULL or a uv_timer_t being closed */
  snm_preflight_done_fn done;
  void *done_data;
  size_t pending;
  int canceled, finishing;
  int nomem;
  unsigned long long started_ns;
  struct snm_pf_meta *meta; /* NULL or malloced: the metadata section's
                               facts (preflight_meta.c) */
  size_t count_next;        /* next index to count (second wave) */
  size_t counts_in_flight;  /* count requests under way */
};

struct snm_preflight_opts {
  time_t now; /* for the snapshot name; 0: time(NULL) */
  /* NULL, or plan->n_domains records: a domain whose snm_es_init failed
   * (code != 0) is not contacted and is reported as a blocker. */
  const struct snm_err *init_errors;
  /* 1: the source is not needed (a resumed run whose snapshot is already
   * taken, with only target work left).  A source that cannot be reached
   * (unreachable, auth, not-a-cluster) is then a warning, not a blocker,
   * and the verdicts about the source are skipped: its index selection,
   * closed or red indices, running snapshots, its repository, the facts
   * it could not give.  The targets are checked as always.  The source is
   * still asked (it may answer). */
  int source_optional;
  /* 1: an earlier run of this plan already changed things (a resumed
   * run): no issue says or implies that nothing was changed, and the
   * hints say the run resumes. */
  int resuming;
  /* NULL: the real client; else how the requests are sent (transport.h:
   * a unit test's script).  Borrowed: it must outlive the preflight. */
  const struct snm_transport *transport;
};

/* An empty preflight (also what snm_preflight_start expects). */
void snm_preflight_init(struct snm_preflight *pf);
/* Free everything it owns; `pf` is then empty (init state). */
void snm_preflight_dispose(struct snm_preflight *pf);

/* Start: sends every first-wave request on every domain (es[i] is
 * plan->domains[i], all on one HTTP engine running on `loop`) and returns.
 * `done` runs once, from the loop, when the last reply is in and the verdicts
 * are computed (pf->result says whether they are complete).  `opts` may be
 * NULL.  Returns 0; or SNM_EINVAL (the snapshot name template does not
 * expand), SNM_ENOMEM, with `err` filled and `done` never called.  A
 * request that cannot be sent is recorded as that domain's failure. */
int snm_preflight_start(struct snm_preflight *pf, uv_loop_t *loop,
                        const struct snm_plan *plan, struct snm_es *es,
                        const struct snm_preflight_opts *opts,
                        snm_preflight_done_fn done, void *data,
                        struct snm_err *err);

/* Stop early (SIGINT): no further request is sent.  The caller then closes
 * the HTTP engine, which finishes the pending ones with SNM_ECANCELED;
 * `done` still runs once, with pf->result SNM_ECANCELED. */
void snm_preflight_cancel(struct snm_preflight *pf);

/* Compute pf->restores and pf->issues (replacing earlier ones) from the
 * facts: pure, no I/O, called by the fetch code when the last reply is in;
 * tests call it on hand-built facts (pf->plan, pf->domains, pf->indices,
 * pf->data_streams set; snm_preflight_facts_alloc() helps).  Returns 0 or
 * SNM_ENOMEM. */
int snm_preflight_verdict(struct snm_preflight *pf);

/* Allocate pf->domains for `plan` (roles and dom set, numbers -1, the
 * wanted repository registration computed), with pf->plan set.  Used by
 * snm_preflight_start and by tests.  Returns 0 or SNM_ENOMEM. */
int snm_preflight_facts_alloc(struct snm_preflight *pf,
                              const struct snm_plan *plan);

/* A resumed run's own snapshot `snapshot` in `repository` on the source:
 * forget that the source listed it (running or complete), so the verdict
 * does not call this run's snapshot a name clash, and make it the
 * snapshot name the verdict expects. */
void snm_preflight_forget_snapshot(struct snm_preflight *pf,
                                   const char *repository,
                                   const char *snapshot);

/* Append a source index with unknown facts (sizes -1) and return it, or
 * NULL when out of memory.  Keeps pf->indices sorted by name; the pointer
 * is valid until the next append. */
struct snm_pf_index *snm_preflight_add_index(struct snm_preflight *pf,
                                             const char *name);

/* The names the snapshot takes: the selected pf->indices, in order.
 * *out is a malloced array of borrowed strings (free only the array).
 * Returns 0 or SNM_ENOMEM. */
int snm_preflight_snapshot_indices(const struct snm_preflight *pf,
                                   const char ***out, size_t *n);

/* The data streams the snapshot names as streams (so that the server keeps
 * them as streams): those with a selected backing index, in
 * pf->data_streams order.  As snm_preflight_snapshot_indices. */
int snm_preflight_snapshot_streams(const struct snm_preflight *pf,
                                   const char ***out, size_t *n);

/* With pf->rounds: the round the next `snapmig sync` makes (the last
 * round + 1) or resumes (the last round, when unfinished); 0 without. */
unsigned snm_preflight_next_round(const struct snm_preflight *pf);

/* The data stream that source index `name` backs, or NULL. */
const char *snm_preflight_stream_of(const struct snm_preflight *pf,
                                    const char *name);

/* The repository registration `run` sends to domain `d` of `plan`
 * (PUT _snapshot/REPO body): {"type":T,"settings":{...}} with the plan's
 * settings, "readonly": true on targets when readonly_on_targets, and for an
 * s3 repository whose settings.region differs from an aws-sigv4 domain's
 * region, "endpoint": "s3.<region>.amazonaws.com" (".com.cn" for cn-
 * regions) in place of "region".  *note (if not NULL) is set to NULL or a
 * malloced sentence about that replacement.  Returns 0 and *out (malloced)
 * or SNM_ENOMEM. */
int snm_preflight_repo_body(char **out, char **note,
                            const struct snm_plan *plan, size_t d);

/* The replicas a restore gives its indices: index_settings'
 * "index.number_of_replicas" (also nested {"index":{...}} or a string
 * number); 1 (the cluster default) when ignore_index_settings drops it;
 * -1 when neither: the source index's own count. */
long snm_preflight_restore_replicas(const struct snm_restore *r);

const char *snm_pf_action_name(enum snm_pf_action a);     /* "restore"... */
const char *snm_pf_severity_name(enum snm_pf_severity s); /* "blocker"... */
const char *snm_pf_repo_state_name(enum snm_pf_repo_state s);

/* Add an issue (used by the verdicts; exposed for the fetch code).
 * `domain`, `index` may be NULL.  Returns 0 or SNM_ENOMEM. */
int snm_preflight_issue(struct snm_preflight *pf, enum snm_pf_severity sev,
                        const char *code, const char *domain, const char *index,
                        const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#endif
