/* SPDX-License-Identifier: Apache-2.0 */
/* plan.h - the migration plan file (format 1): parse, validate, describe.
 *
 * A plan is a JSON file (comments allowed) that names the domains, the
 * snapshot repository, the snapshot to take and the restores to run; see
 * docs/plan-format.md.  snm_plan_parse() checks everything that can be
 * checked offline and reports EVERY problem as a located diagnostic
 * (diag.h); the plan is returned only when there is no error (warnings are
 * allowed).  Later commands read the typed fields and never the JSON.
 *
 * Ownership: a struct snm_plan owns every pointer in it (strings are
 * malloced, NUL-terminated); free it with snm_plan_free.
 */
#ifndef SNM_PLAN_H
#define SNM_PLAN_H

#include <stddef.h>
#include <time.h>

#include "diag.h"
#include "err.h"
#include "es_domain.h"
#include "json.h"
#include "rename.h"

#define SNM_PLAN_FORMAT 1
#define SNM_PLAN_MAX_BYTES (4u << 20) /* larger plan files are refused */
#define SNM_SNAPSHOT_NAME_MAX 255     /* bytes in an expanded name */
#define SNM_PLAN_DEFAULT_SNAPSHOT_NAME "snapmig-{plan}-{utc:%Y%m%d-%H%M%S}"

enum snm_repo_type { SNM_REPO_S3, SNM_REPO_FS };
/* replace: close and restore over a target index of the restored name that
 * this plan did not create (same shard count, UUID as the preflight saw) */
enum snm_on_conflict {
  SNM_CONFLICT_FAIL,
  SNM_CONFLICT_SKIP,
  SNM_CONFLICT_REPLACE
};
enum snm_wait_for { SNM_WAIT_GREEN, SNM_WAIT_YELLOW };
/* "sample": doc-count, and in `cutover` (the source write-blocked) K
 * random documents per index compared by _source (es_sample.h); in run
 * and sync it acts as doc-count. */
enum snm_verify { SNM_VERIFY_DOC_COUNT, SNM_VERIFY_NONE, SNM_VERIFY_SAMPLE };

/* Names as written in a plan ("aws-sigv4", "s3", "skip", "green", ...). */
const char *snm_repo_type_name(enum snm_repo_type t);
const char *snm_on_conflict_name(enum snm_on_conflict c);
const char *snm_wait_for_name(enum snm_wait_for w);
const char *snm_verify_name(enum snm_verify v);

struct snm_repository {
  char *name;
  enum snm_repo_type type;
  char *settings_json; /* compact JSON object sent to the cluster ("{}") */
  const struct snm_json *settings; /* the same as a tree, inside plan->doc */
  int readonly_on_targets;         /* default 1 */
  /* keep_snapshots: after a verified round, the plan's own snapshots
   * beyond the newest N are deleted; 0 (absent): keep all.  Not part of
   * the plan's digest (it changes nothing a round copies). */
  long keep_snapshots;
  struct snm_plan_pos pos;
};

struct snm_snapshot_spec {
  size_t domain;       /* index into plan->domains: the source */
  char *name_template; /* default SNM_PLAN_DEFAULT_SNAPSHOT_NAME */
  char **indices;      /* NULL (n_indices 0): all non-system indices */
  size_t n_indices;
  int include_global_state; /* default 0 */
  int allow_partial;        /* default 0 */
  struct snm_plan_pos pos;
};

struct snm_restore {
  size_t domain;  /* index into plan->domains: a target */
  char **indices; /* NULL (n_indices 0): everything snapshotted */
  size_t n_indices;
  char *rename_pattern;      /* NULL, or set with rename_replacement */
  char *rename_replacement;  /* NULL, or set with rename_pattern */
  struct snm_rename *rename; /* compiled; NULL without a rename */
  char *index_settings_json; /* NULL or a compact JSON object */
  const struct snm_json *index_settings; /* the same, inside plan->doc */
  char **ignore_index_settings;          /* NULL or malloced array of strings */
  size_t n_ignore_index_settings;
  int include_aliases; /* default 1 */
  enum snm_on_conflict on_conflict;
  enum snm_wait_for wait_for;
  enum snm_verify verify;
  long sample_size;        /* verify "sample": documents per index, 1..1000
                              (default 10) */
  struct snm_plan_pos pos; /* the restore's '{' */
};

/* The plan's "metadata" section (plan_meta.c): index templates, component
 * templates, legacy templates and ingest pipelines the run copies from the
 * source to every target before it restores.  The kinds are listed in
 * the order a run applies them: pipelines before the templates that name
 * them, components before the composable templates made of them. */
enum snm_meta_kind {
  SNM_META_PIPELINE,  /* "ingest_pipelines": _ingest/pipeline */
  SNM_META_COMPONENT, /* "component_templates": _component_template */
  SNM_META_TEMPLATE,  /* "index_templates": _index_template (composable) */
  SNM_META_LEGACY,    /* "legacy_templates": _template */
  SNM_META_N_KINDS
};
enum snm_meta_conflict {
  SNM_META_BLOCK,  /* "block": a different item on the target blocks */
  SNM_META_SKIP,   /* "skip": the target's item is kept */
  SNM_META_REPLACE /* "replace": the source's item replaces it */
};

/* The plan key of a kind ("index_templates", ...) and "block"/"skip"/
 * "replace". */
const char *snm_meta_kind_key(enum snm_meta_kind k);
const char *snm_meta_conflict_name(enum snm_meta_conflict c);

struct snm_metadata_spec {
  int present; /* 1: the plan has a "metadata" section */
  /* per kind: NULL (n 0) or names and `*` patterns ("-x" excludes), as
   * written; resolved on the source */
  char **names[SNM_META_N_KINDS];
  size_t n_names[SNM_META_N_KINDS];
  enum snm_meta_conflict on_conflict; /* default block */
  int rename_patterns;                /* default 0 */
  struct snm_plan_pos pos;
};

/* The plan's "cutover" section (plan_cutover.c): what `snapmig cutover`
 * does besides a sync round (docs/live-migration.md). */
struct snm_cutover_alias {
  char *alias;   /* malloced */
  char *index;   /* malloced: the target index name (after rename) */
  size_t domain; /* index into plan->domains: a target of some restore */
  struct snm_plan_pos pos;
};

struct snm_cutover_spec {
  int present;                       /* 1: the plan has "cutover" */
  struct snm_cutover_alias *aliases; /* NULL or malloced */
  size_t n_aliases;
  int unblock_source;          /* default 0: the source stays write-blocked */
  int keep_blocked_on_failure; /* default 0: a failure before the switch
                                  puts the previous blocks back */
  struct snm_plan_pos pos;
};

struct snm_polling {
  long initial_ms; /* first poll interval, default 200 */
  long max_ms;     /* the interval doubles up to this, default 5000 */
  long timeout_s;  /* give up waiting after this, default 86400 */
};

struct snm_plan {
  char *path; /* as given to load/parse (for messages) */
  char *name;
  struct snm_domain *domains; /* in file order */
  size_t n_domains;
  struct snm_repository repository;
  struct snm_snapshot_spec snapshot;
  struct snm_restore *restores; /* at least one */
  size_t n_restores;
  struct snm_polling polling;
  struct snm_metadata_spec metadata;
  struct snm_cutover_spec cutover;
  struct snm_json_doc *doc; /* the parsed file (positions, settings) */
};

/* Parse and validate `len` bytes of plan text.  `path` names the plan in
 * messages.  Every problem found goes to `diags` (errors and warnings; the
 * list is sorted by position).
 * Returns 0 and *out when there is no error; SNM_EINVAL (and *out NULL)
 * when `diags` holds at least one error; SNM_ENOMEM (with `err`). */
int snm_plan_parse(struct snm_plan **out, const char *text, size_t len,
                   const char *path, struct snm_diag_list *diags,
                   struct snm_err *err) SNM_MUST_CHECK;

/* Read `path` and parse it.  Same returns as snm_plan_parse, plus SNM_EIO
 * when the file cannot be read (err: "cannot read PATH: reason"; diags
 * untouched) or is larger than SNM_PLAN_MAX_BYTES. */
int snm_plan_load(struct snm_plan **out, const char *path,
                  struct snm_diag_list *diags,
                  struct snm_err *err) SNM_MUST_CHECK;

void snm_plan_free(struct snm_plan *p);

/* The domain with this id, or NULL. */
const struct snm_domain *snm_plan_find_domain(const struct snm_plan *p,
                                              const char *id);

/* A string value of the repository's settings ("bucket", "region",
 * "base_path", "location", ...), or NULL when absent or not a string. */
const char *snm_repository_setting(const struct snm_repository *r,
                                   const char *key);

/* Expand the snapshot name template for time `now`:
 *   {plan}      the plan's name, lowercased
 *   {utc:FMT}   strftime(FMT) of `now` in UTC
 *   {date}      the same as {utc:%Y.%m.%d}
 * and check the result is a valid snapshot name.  Returns 0 with `out`
 * filled; SNM_EINVAL (err says why) for an unknown placeholder, an empty or
 * bad strftime format, or an invalid result; SNM_ENOMEM never. */
int snm_plan_snapshot_name(char *out, size_t outsz, const struct snm_plan *p,
                           time_t now, struct snm_err *err);

/* The same for a bare template.  On SNM_EINVAL, *err_at (if not NULL) is
 * the byte offset in `tmpl` of the offending placeholder, or (size_t)-1
 * when the problem is the expanded name as a whole. */
int snm_snapshot_name_expand(char *out, size_t outsz, const char *tmpl,
                             const char *plan_name, time_t now, size_t *err_at,
                             struct snm_err *err);

/* 0 if `name` is a valid snapshot name (not empty, at most 255 bytes,
 * lowercase, no whitespace, none of \ / * ? " < > | , #, not starting with
 * '_' or '-'); SNM_EINVAL with the reason otherwise. */
int snm_snapshot_name_check(const char *name, struct snm_err *err);

/* 0 if `name` is a valid repository name (same rules); SNM_EINVAL. */
int snm_repository_name_check(const char *name, struct snm_err *err);

/* SHA-256 (lowercase hex) of a canonical serialisation of what the plan
 * asks for: its name, the domains' ids and endpoints, the repository, the
 * snapshot and the restores (objects with sorted keys, defaults filled in).
 * Comments, whitespace and key order in the file do not change it, nor do
 * the operational settings a resumed run may need to change: auth,
 * ca_file, insecure, timeouts and polling.  Returns 0 or SNM_ENOMEM. */
int snm_plan_digest(char out_hex[65], const struct snm_plan *p);

/* AWS endpoint host names: "search-x-abc.eu-central-1.es.amazonaws.com",
 * "vpc-...", "*.es.amazonaws.com.cn", "id.us-east-1.aoss.amazonaws.com".
 * Returns 1 and fills `region` and `service` ("es" or "aoss") for such a
 * host, else 0. */
int snm_aws_host_info(const char *host, char *region, size_t regionsz,
                      char *service, size_t servicesz);

/* One line describing a valid plan:
 *   plan "x", source "eu", 2 restores onto "us","us2", repository "r"
 *   (s3, bucket b)
 * appended to `out`.  Returns 0 or SNM_ENOMEM. */
struct snm_buf;
int snm_plan_describe(struct snm_buf *out, const struct snm_plan *p);

#endif
