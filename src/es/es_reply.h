/* SPDX-License-Identifier: Apache-2.0 */
/* es_reply.h - reading the replies of the Elasticsearch / OpenSearch APIs
 * a migration polls: snapshot status and info, recovery, _count, where a
 * target index's primaries came from, a shard the allocator gave up on.
 * Pure functions over yajl trees, no I/O.  Parsers return 0, or
 * SNM_EPARSE with `err` naming what was missing, or SNM_ENOMEM.
 */
#ifndef SNM_ES_REPLY_H
#define SNM_ES_REPLY_H

#include <stdarg.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "err.h"

struct snm_buf;

/* GET _snapshot/REPO/SNAP/_status, the entry for `snapshot`. */
struct snm_es_snap_status {
  char state[24]; /* "STARTED", "SUCCESS", ... as sent */
  long long shards_done, shards_total, shards_failed;
  long long bytes_done, bytes_total; /* -1 when absent */
};
int snm_es_parse_snapshot_status(struct snm_es_snap_status *out, yajl_val json,
                                 const char *snapshot,
                                 struct snm_err *err) SNM_MUST_CHECK;

/* GET _snapshot/REPO/SNAP, the entry for `snapshot`. */
struct snm_es_snap_info {
  char state[24];     /* "IN_PROGRESS", "SUCCESS", "PARTIAL", "FAILED" */
  long long start_ms; /* -1 when absent */
  long long end_ms;   /* -1 while running */
  long long shards_total, shards_failed;
  char *failures; /* NULL or malloced "idx[0]: reason; idx[1]: reason" */
  char *reason;   /* NULL or malloced: the snapshot's own "reason" */
  char *run_id;   /* NULL or malloced: metadata.snapmig_run_id */
};
void snm_es_snap_info_dispose(struct snm_es_snap_info *si);
int snm_es_parse_snapshot_info(struct snm_es_snap_info *out, yajl_val json,
                               const char *snapshot,
                               struct snm_err *err) SNM_MUST_CHECK;

/* GET TARGETS/_recovery, summed over the shards of the named indices. */
struct snm_es_recovery_index {
  long long bytes_done, bytes_total, files_done, files_total;
  long long bytes_reused;  /* of bytes_total: files the target already held */
  int shards, shards_done; /* shards listed / at stage DONE */
  int listed;              /* the reply has the index with a shard array */
};
struct snm_es_recovery {
  struct snm_es_recovery_index *items; /* n, same order as the names */
  size_t n;
  long long bytes_done, bytes_total, files_done, files_total;
  size_t indices_done; /* every shard DONE */
  size_t unlisted;     /* items the reply did not list */
};
void snm_es_recovery_dispose(struct snm_es_recovery *r);
int snm_es_parse_recovery(struct snm_es_recovery *out, yajl_val json,
                          const char *const *names, size_t n,
                          struct snm_err *err) SNM_MUST_CHECK;

/* A long index list is asked for in chunks (es_chunk.h); their
 * replies are combined:
 *  - snm_es_recovery_size makes `r` hold `n` items (new ones zeroed, the
 *    others kept); 0 or SNM_ENOMEM (r unchanged);
 *  - snm_es_recovery_merge copies the items of a chunk's reply `part`
 *    (parsed with the chunk's names) to r->items[at..] and sums r's
 *    totals over all its items again (r must hold at + part->n items). */
int snm_es_recovery_size(struct snm_es_recovery *r, size_t n);
/* A reply read through patterns (es_chunk.h: snm_es_cover_names) and
 * parsed with all of r's names: copy the items `part` lists to r (the
 * others keep theirs) and sum r's totals again (part->n must be r->n). */
void snm_es_recovery_take_listed(struct snm_es_recovery *r,
                                 const struct snm_es_recovery *part);
void snm_es_recovery_merge(struct snm_es_recovery *r, size_t at,
                           const struct snm_es_recovery *part);

/* GET INDEX/_count: 0 and *out (>= 0); SNM_EPARSE with `err` saying why
 * when the reply is not an object with an integral, non-negative "count",
 * is an error object (its reason quoted), or reports failed shards (the
 * count would miss their documents). */
int snm_es_parse_count(long long *out, yajl_val json,
                       struct snm_err *err) SNM_MUST_CHECK;

/* Document counts of many indices in a few requests: POST /_msearch
 * with, per index, the header {"index": NAME} and the body
 * {"size":0,"track_total_hits":true,"query":{"match_all":{}}}, sent as
 * application/x-ndjson (snm_es_request_ndjson).  hits.total then counts
 * the root documents exactly as _count does (never the nested ones that
 * _cat/indices and _stats add).  The body of one request stays within
 * SNM_ES_MSEARCH_BODY_MAX bytes (and SNM_ES_MSEARCH_ITEMS_MAX indices): a
 * long list goes out in several requests. */
#define SNM_ES_MSEARCH_BODY_MAX (256u * 1024u)
#define SNM_ES_MSEARCH_ITEMS_MAX 1000u

/* Append to `out` an NDJSON _msearch body of one search per name: the
 * header {"index": NAME} and the line `query` (one JSON document ending
 * in "\n"), for as many names as fit within `limit` bytes of `out` (at
 * least one, however long) and at most SNM_ES_MSEARCH_ITEMS_MAX; *taken
 * gets how many.  0 or SNM_ENOMEM; n must be > 0. */
int snm_es_msearch_body(struct snm_buf *out, size_t *taken,
                        const char *const *names, size_t n, const char *query,
                        size_t limit) SNM_MUST_CHECK;

/* Append to `out` the NDJSON body counting names[0..n): as many names as
 * fit within `limit` bytes of `out` (at least one, however long) and at
 * most SNM_ES_MSEARCH_ITEMS_MAX; *taken gets how many.  0 or SNM_ENOMEM
 * (also when the buffer's own cap is reached); n must be > 0. */
int snm_es_count_msearch_body(struct snm_buf *out, size_t *taken,
                              const char *const *names, size_t n,
                              size_t limit) SNM_MUST_CHECK;

/* One index's count from an _msearch reply. */
struct snm_es_count_item {
  long long count; /* >= 0, or -1: unknown (why says so) */
  long status;     /* the item's "status" (0 when absent) */
  char why[256];   /* "" when counted; else the reason, sanitised */
};

/* The "responses" array of an _msearch reply for n searches, or NULL with
 * `err` (SNM_EPARSE) saying why: not a JSON object, an error (its reason
 * quoted), no "responses" array, or one of another length. */
yajl_val snm_es_msearch_responses(yajl_val json, size_t n, struct snm_err *err);

/* A reason for a reply's item into the fixed buffer `why` (printf, cut
 * at `size`), the line sanitised (snm_sanitize_line): what the reply
 * parsers keep per index. */
void snm_es_why(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void snm_es_vwhy(char *why, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* "WHAT (status N): the server's reason" of an error entry `r`. */
void snm_es_error_why(char *why, size_t size, const char *what, yajl_val r);

/* One entry `r` of an _msearch reply's "responses": 1 when it is a search
 * every shard answered in time; else 0 with `why` (sanitised) saying why:
 * not an object, an error object (its status and reason quoted), a
 * status other than 2xx, timed out, no "_shards" or one lacking total,
 * successful or failed, failed or missing shards.  `what` names what the
 * search was for in those sentences ("count": "so the count misses their
 * documents"). */
int snm_es_msearch_item_ok(yajl_val r, const char *what, char *why,
                           size_t size);

/* Read the reply of an snm_es_count_msearch_body request for names[0..n)
 * into items[0..n) (the replies come in the order of the requests).  With
 * the rules of snm_es_parse_count, per item: an error object (its reason
 * quoted, `status` set: 404 when the index does not exist), a search that
 * timed out, shards missing or failed (no _shards object, failed != 0, or
 * fewer successful than total), a total that is not a non-negative
 * integer, or one with a relation other than "eq" (a lower bound) leaves
 * that item unknown (count -1, why set).  Returns 0 when the reply is an
 * _msearch reply (each item counted or not on its own), SNM_EPARSE (every
 * item unknown, err saying why) when it is not an object with a
 * "responses" array of exactly n entries. */
int snm_es_parse_count_msearch(struct snm_es_count_item *items, size_t n,
                               yajl_val json,
                               struct snm_err *err) SNM_MUST_CHECK;

/* Where a target index's primary shards were recovered from, from GET
 * NAMES/_recovery. */
enum snm_es_origin {
  SNM_ES_ORIGIN_UNKNOWN, /* not listed, or no primary shard in the reply */
  SNM_ES_ORIGIN_OURS,    /* every primary: type SNAPSHOT from repository
                            `repo`, snapshot `snapshot` */
  SNM_ES_ORIGIN_OTHER    /* some primary came from elsewhere */
};
/* The origin of `name` in the _recovery reply `json`. */
enum snm_es_origin snm_es_recovery_origin(yajl_val json, const char *name,
                                          const char *repo,
                                          const char *snapshot);

/* The same from GET _cluster/state/routing_table/NAMES, for an index whose
 * primaries have not started (a restore waiting in the allocation queue
 * has no recovery record yet): OURS when every primary is unassigned or
 * initializing with recovery_source SNAPSHOT `repo`/`snapshot`; OTHER when
 * one that has not started comes from elsewhere; UNKNOWN otherwise (not
 * listed, or a primary started: _recovery tells then). */
enum snm_es_origin snm_es_routing_origin(yajl_val json, const char *name,
                                         const char *repo,
                                         const char *snapshot);

/* While the restored indices' health is red, the run looks for a shard
 * the target gave up on: `GET /_cat/shards/TARGETS?format=json&h=index,
 * shard,prirep,state,unassigned.reason` for a primary UNASSIGNED with
 * reason ALLOCATION_FAILED (right after the restore starts shards are
 * UNASSIGNED with NEW_INDEX_RESTORED: normal, never counted), then `POST
 * /_cluster/allocation/explain` for that shard. */
struct snm_es_failed_shard {
  char index[256];
  long shard;
  char reason[512]; /* the server's words ("" until explained) */
};

/* The first primary shard of names[0..n) that `rows` (the _cat/shards
 * reply) lists as UNASSIGNED with unassigned.reason ALLOCATION_FAILED:
 * 1 and `out` filled (reason ""); else the first UNASSIGNED primary with
 * NEW_INDEX_RESTORED (waiting, or never placeable: only the allocator's
 * explanation tells): 2 and `out` filled; else 0. */
int snm_es_find_failed_shard(struct snm_es_failed_shard *out, yajl_val rows,
                             const char *const *names, size_t n);

/* The allocation explain reply for that shard: fills io->reason (the
 * failure's details, else the explanation) and returns 1 when the
 * allocator gave up on the shard (can_allocate "no" or
 * "no_valid_shard_copy": retries exhausted, nothing to restore from), 0
 * when it will still try (yes, throttled, awaiting_info, delayed, ...),
 * -1 when the reply says neither. */
int snm_es_parse_explain(struct snm_es_failed_shard *io,
                         yajl_val json) SNM_MUST_CHECK;

/* Body of POST /_cluster/allocation/explain for a primary shard.  *out
 * malloced; 0 or SNM_ENOMEM. */
int snm_es_explain_body(char **out, const char *index, long shard);

#endif
