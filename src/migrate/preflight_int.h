/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_int.h - shared by preflight*.c and report_check.c only. */
#ifndef SNM_PREFLIGHT_INT_H
#define SNM_PREFLIGHT_INT_H

#include "preflight.h"

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* The source index `name` in pf->indices (sorted by name), or NULL. */
struct snm_pf_index *snm__pf_find_index(const struct snm_preflight *pf,
                                        const char *name);

/* Free pf->restores and pf->issues, leaving them empty. */
void snm__preflight_clear_verdicts(struct snm_preflight *pf);

/* Compare d->repo_have_json with d->repo_want_json (both set): sets
 * d->repo_state to MATCHES or DIFFERS and d->repo_diff to the differing
 * keys.  Values compare normalised (servers return strings: "true" ==
 * true, "5" == 5).  Returns 0 or SNM_ENOMEM. */
int snm__preflight_compare_repo(struct snm_pf_domain *d);

/* ---- the verdicts (preflight_verdict.c, preflight_restore.c) ---------- */

struct snm__vctx {
  struct snm_preflight *pf;
  const struct snm_plan *plan;
  int nomem; /* an allocation failed */
};

/* snm_preflight_issue(c->pf, ...), recording a failure in c->nomem. */
#define SNM__ISSUE(c, ...)                                                     \
  do {                                                                         \
    if (snm_preflight_issue((c)->pf, __VA_ARGS__))                             \
      (c)->nomem = 1;                                                          \
  } while (0)

/* The cluster a domain's restores land on: the domain, or the domain it is
 * the same cluster as (same_as). */
size_t snm__pf_cluster_of(const struct snm_preflight *pf, size_t d);

/* pf->restores from the facts (after the source's selection), with their
 * issues. */
void snm__pf_check_restores(struct snm__vctx *c);

/* pf->rounds (preflight_rounds.c): item `it` of restore `r`, built, not
 * a resumed run's own: record the earlier round that restored its target
 * name (it->round, uuid, docs_last, bytes_last), or mark it own when the
 * unfinished last round is restoring it. */
void snm__pf_prior(struct snm__vctx *c, size_t r, struct snm_pf_item *it);
/* An item with it->round whose target name exists on the target as `ex`:
 * "replace" (it->replace 2) when the next sync would, else a blocker. */
void snm__pf_check_prior(struct snm__vctx *c, size_t r, struct snm_pf_item *it,
                         const struct snm_pf_existing *ex);
/* The state file's issues (another plan's; an unfinished round). */
void snm__pf_check_rounds(struct snm__vctx *c);

/* Saturating arithmetic for counts and sizes that come from servers: the
 * result is clamped to [LLONG_MIN, LLONG_MAX] instead of overflowing. */
long long snm__sat_add(long long a, long long b);
long long snm__sat_mul(long long a, long long b);

/* Open shards from a _cluster/health reply: active + initializing +
 * unassigned (a missing one counts 0); -1 (unknown) when one is not a
 * count (negative, fractional, out of range, not a number) or the sum does
 * not fit a long. */
long snm__preflight_open_shards(yajl_val health);

/* The bytes a node with `avail` of `total` bytes free may still fill
 * below the high disk watermark `high`: "90%", "0.9" (share of the disk
 * that may be used) or "500mb" (space that must stay free; units b, kb
 * .. pb, or k .. p).  -1 (unknown) for a watermark that is not one of
 * those (NaN, infinite, negative, over 100% or 1.0, a size past 2^63
 * bytes, another suffix) or negative figures. */
long long snm__preflight_usable(const char *high, long long avail,
                                long long total);

/* d->disk_avail and d->disk_usable from the per-node figures (unchanged
 * when there are none): saturating sums; disk_usable is -1 when the
 * watermark is not understood. */
void snm__preflight_sum_disk(struct snm_pf_domain *d);

/* Is the index named by the n bytes at p one the source resolved
 * (pf->indices, sorted by name)? */
int snm__pf_resolved(const struct snm_preflight *pf, const char *p, size_t n);

/* The reply parsers' refusal: fill `why` (whysz bytes) and return -1. */
int snm__pf_refuse(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reply parsers (preflight_parse.c), one per request of the preflight:
 * each records what a 2xx reply `j` says into the facts and returns 0; or,
 * when the reply is not what was asked for (another JSON type, a missing
 * field, a value that is not a count or a size), records nothing and
 * returns -1 with `why` set to a phrase such as "the reply is a string,
 * not an array".  Out of memory sets pf->nomem (and returns 0). */
int snm__pf_parse_health(struct snm_pf_domain *d, yajl_val j, char *why,
                         size_t whysz);
/* GET _snapshot/REPO: sets d->repo_have_json. */
int snm__pf_parse_repo(struct snm_preflight *pf, struct snm_pf_domain *d,
                       yajl_val j, char *why, size_t whysz);
int snm__pf_parse_running(struct snm_preflight *pf, struct snm_pf_domain *d,
                          yajl_val j, char *why, size_t whysz);
/* GET _data_stream, its body read by a streaming parser
 * (preflight_stream.c), never a tree: appends to pf->data_streams and
 * pf->ds_backing.  `resolved_only`: only the backing indices among
 * pf->indices (sorted) are kept, and only the data streams that have one
 * or that a plan item names.  Refused ("the reply is empty", "... is not
 * JSON", "... has no \"data_streams\" array") with nothing recorded. */
int snm__pf_parse_data_streams(struct snm_preflight *pf, const char *body,
                               size_t len, int resolved_only, char *why,
                               size_t whysz);
/* A target's GET _data_stream (the same streaming parser): the names into
 * d->streams, d->streams_known set.  Refused as above. */
int snm__pf_parse_target_streams(struct snm_preflight *pf,
                                 struct snm_pf_domain *d, const char *body,
                                 size_t len, char *why, size_t whysz);
/* A target's GET _index_template: d->templates, d->templates_known set.
 * Refused when there is no "index_templates" array or an entry has no
 * name (preflight_ds.c). */
int snm__pf_parse_templates(struct snm_preflight *pf, struct snm_pf_domain *d,
                            yajl_val j, char *why, size_t whysz);
/* One chunk of GET PATTERNS/_settings: appends to pf->indices. */
int snm__pf_parse_settings(struct snm_preflight *pf, yajl_val j, char *why,
                           size_t whysz);

/* The _cat text tables (format txt with a header line: `v`), asked for
 * with these h= columns.  A reply whose header does not name them, or a
 * line that does not parse, is refused whole. */
#define SNM__PF_CAT_INDICES "status,uuid,pri,index"
#define SNM__PF_CAT_INDICES_SOURCE "status,health,pri.store.size,index"
#define SNM__PF_CAT_ALIASES "alias,index"
#define SNM__PF_CAT_SNAPSHOTS "id"

/* GET _cat/indices: appends to d->existing, sets existing_known;
 * `source`: the reply has the source's columns (health and size may be
 * empty); `resolved_only`: only the indices of pf->indices (sorted) are
 * kept (every line is still checked). */
int snm__pf_parse_cat_indices(struct snm_preflight *pf, struct snm_pf_domain *d,
                              const char *body, size_t len, int source,
                              int resolved_only, char *why, size_t whysz);
/* GET _cat/aliases: appends to d->aliases, sets aliases_known;
 * `resolved_only`: only the aliases of pf->indices (sorted) are kept. */
int snm__pf_parse_cat_aliases(struct snm_preflight *pf, struct snm_pf_domain *d,
                              const char *body, size_t len, int resolved_only,
                              char *why, size_t whysz);
/* GET _cat/snapshots/REPO: counts the snapshots (d->snapshots_in_repo)
 * and keeps the one named pf->snapshot_name (d->snapshots), sets
 * snapshots_listed. */
int snm__pf_parse_cat_snapshots(struct snm_preflight *pf,
                                struct snm_pf_domain *d, const char *body,
                                size_t len, char *why, size_t whysz);
/* GET _cat/allocation: per data node disk figures; a reply without one
 * node that has them is refused. */
int snm__pf_parse_allocation(struct snm_preflight *pf, struct snm_pf_domain *d,
                             yajl_val j, char *why, size_t whysz);
/* GET _cluster/settings?include_defaults: the shard limit and the disk
 * threshold; a value that is not understood is refused (never replaced by
 * a default). */
int snm__pf_parse_cluster_settings(struct snm_pf_domain *d, yajl_val j,
                                   char *why, size_t whysz);
int snm__pf_parse_count(long long *docs, yajl_val j, char *why, size_t whysz);

/* ---- data streams (preflight_ds.c) ------------------------------------ */

/* Which template a data stream named `name` gets on target domain `dom`:
 * the composable template the server would pick (the highest priority
 * among those whose index_patterns match), counting the templates the
 * plan's metadata section creates or replaces there before the restore
 * (snm__pf_meta_stream_template).  *tmpl (if not NULL) is set to its name
 * (borrowed) for DS and NO_DS. */
enum snm_pf_tmpl_match {
  SNM_PF_TMPL_UNKNOWN = 0, /* the target's templates are not known */
  SNM_PF_TMPL_NONE,        /* no composable template matches */
  SNM_PF_TMPL_NO_DS,       /* the one that matches has no data_stream */
  SNM_PF_TMPL_DS           /* the one that matches has data_stream */
};
enum snm_pf_tmpl_match snm__pf_stream_template(const struct snm_preflight *pf,
                                               size_t dom, const char *name,
                                               const char **tmpl);

/* The source's data streams the selection takes only in part (a backing
 * index selected, another not): a blocker each.  After select_source. */
void snm__pf_check_source_streams(struct snm__vctx *c);

/* Replace a stream item's verdict (preflight_restore.c). */
void snm__pf_set_stream_verdict(struct snm__vctx *c,
                                struct snm_pf_stream_item *st,
                                enum snm_pf_action action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The stream verdicts of every restore (pf->restores[r].streams built by
 * build_items): the target's engine, existing streams, indices or aliases
 * of the stream's name, two streams onto one name, the template; a
 * stream's verdict is given to all of its backing items. */
void snm__pf_check_streams(struct snm__vctx *c);

/* ---- the plan's metadata section (preflight_meta.c) ------------------ */

/* With a "metadata" section: send its first wave (the lists of templates
 * and pipelines on the source and the targets, the source's lifecycle
 * policies), counted in pf->pending; the simulations follow once the
 * lists are in.  Nothing without the section. */
void snm__pf_meta_send(struct snm_preflight *pf);
/* Its issues (after the source's selection: the lifecycle warning reads
 * which indices are selected). */
void snm__pf_check_meta(struct snm__vctx *c);
void snm__pf_meta_dispose(struct snm_preflight *pf);
/* For the data stream check: among the composable templates the plan's
 * metadata section will create or replace on domain `dom` (with the
 * restores' renames when rename_patterns; a template the target keeps,
 * identical or skipped, is the target's own and not counted here), the
 * one of the highest priority whose index_patterns match `name`.
 * Returns 1 with *tmpl (borrowed, valid while pf is), *priority and
 * *data_stream (1: it has "data_stream") set; 0 when none does (or the
 * plan brings no index template); -1 when that is unknown (a list could
 * not be read).  A caller compares it with the target's own best match:
 * the server picks the higher priority. */
int snm__pf_meta_stream_template(const struct snm_preflight *pf, size_t dom,
                                 const char *name, const char **tmpl,
                                 long long *priority, int *data_stream);

/* ---- the security plugin (preflight_security.c) ----------------------- */

/* Once GET / answered on domain di (a source or a target), send GET
 * _plugins/_security/authinfo (OpenSearch) or _opendistro/_security/
 * authinfo (Elasticsearch), counted in pf->pending; its reply goes into
 * d->sec.  Nothing is sent for an unknown engine or after cancel. */
void snm__pf_security_send(struct snm_preflight *pf, size_t di);

/* One request of the preflight answered: the last one finishes it
 * (preflight_fetch.c). */
void snm__pf_request_done(struct snm_preflight *pf);

/* Record an authinfo reply (`reply` NULL: transport failure, err set):
 * ABSENT for a 404 or OpenSearch's 400 "no handler found"; KNOWN for a 2xx
 * that parses; UNKNOWN with sec->error otherwise (a refusal, a server
 * error, a reply that is not authinfo: never "no permission missing").
 * Returns 0 or SNM_ENOMEM. */
int snm__pf_security_record(struct snm_pf_security *sec, const char *domain_id,
                            const struct snm_es_reply *reply,
                            const struct snm_err *err);

/* Parse an authinfo reply: user_name (string, null or missing), roles and
 * backend_roles (lists of strings, both required).  0 (sec KNOWN), -1 with
 * `why` when the reply is not that, SNM_ENOMEM. */
int snm__pf_parse_authinfo(struct snm_pf_security *sec, yajl_val j, char *why,
                           size_t whysz);

/* What the roles in `sec` grant of the run's snapshot permissions: YES when
 * one of them is a static role that grants them all (*granting, if not
 * NULL, names it), NO when every role is a static role that grants none of
 * them, UNKNOWN otherwise (any other role, or nothing read). */
enum snm_pf_grant snm__pf_security_grant(const struct snm_pf_security *sec,
                                         const char **granting);

/* The verdict: d->sec.grant, unknown_roles, missing, and a
 * "permission-missing" blocker per domain whose roles are known to lack
 * what the run needs there.  Runs after the repository verdict (it reads
 * repo_state). */
void snm__pf_check_security(struct snm__vctx *c);
/* indices:admin/close on the targets where the run closes and restores
 * over indices, and what a plan's cutover needs beyond a snapshot role
 * (after the restores' and rounds' verdicts). */
void snm__pf_check_write_security(struct snm__vctx *c);
/* Whether the roles grant indices:admin/close on every index. */
enum snm_pf_grant
snm__pf_security_grant_close(const struct snm_pf_security *sec);

void snm__pf_security_dispose(struct snm_pf_security *sec);

#endif
