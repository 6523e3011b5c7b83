/* SPDX-License-Identifier: Apache-2.0 */
/* es_reply.c - the reply parsers of es_reply.h. */
#include "es_reply.h"
#include "buf.h"
#include "es.h"
#include "jtree.h"
#include "json.h"
#include "log.h"

#include <assert.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

/* The element of {"snapshots": [...]} named `snapshot`. */
static yajl_val find_snapshot(yajl_val json, const char *snapshot)
{
  yajl_val arr = snm_jget(json, "snapshots", NULL);

  if (!YAJL_IS_ARRAY(arr))
    return NULL;
  for (size_t i = 0; i < arr->u.array.len; i++) {
    const char *name = snm_jstr(arr->u.array.values[i], "snapshot", NULL);
    if (name != NULL && strcmp(name, snapshot) == 0)
      return arr->u.array.values[i];
  }
  return NULL;
}

static void copy_state(char *dst, size_t dstsz, const char *s)
{
  snprintf(dst, dstsz, "%s", s != NULL ? s : "");
}

int snm_es_parse_snapshot_status(struct snm_es_snap_status *out, yajl_val json,
                                 const char *snapshot, struct snm_err *err)
{
  yajl_val s = find_snapshot(json, snapshot);
  yajl_val stats;

  memset(out, 0, sizeof(*out));
  if (s == NULL)
    return snm_err_set(err, SNM_EPARSE,
                       "snapshot status reply does not list snapshot %s",
                       snapshot);
  copy_state(out->state, sizeof(out->state), snm_jstr(s, "state", NULL));
  out->shards_done = snm_jint(0, s, "shards_stats", "done", NULL);
  out->shards_total = snm_jint(0, s, "shards_stats", "total", NULL);
  out->shards_failed = snm_jint(0, s, "shards_stats", "failed", NULL);
  stats = snm_jget(s, "stats", NULL);
  out->bytes_total = snm_jint(-1, stats, "incremental", "size_in_bytes", NULL);
  if (out->bytes_total < 0)
    out->bytes_total = snm_jint(-1, stats, "total", "size_in_bytes", NULL);
  /* "processed" is there only while the snapshot runs */
  out->bytes_done = snm_jint(-1, stats, "processed", "size_in_bytes", NULL);
  if (out->bytes_done < 0)
    out->bytes_done = strcmp(out->state, "SUCCESS") == 0 ? out->bytes_total
                      : out->bytes_total >= 0            ? 0
                                                         : -1;
  return 0;
}

void snm_es_snap_info_dispose(struct snm_es_snap_info *si)
{
  free(si->failures);
  free(si->reason);
  free(si->run_id);
  memset(si, 0, sizeof(*si));
}

/* "idx[0]: reason; ..." from the reply's failures array. */
static int failures_text(char **out, yajl_val arr)
{
  struct snm_buf b;

  *out = NULL;
  if (!YAJL_IS_ARRAY(arr) || arr->u.array.len == 0)
    return 0;
  snm_buf_init(&b, 16384);
  for (size_t i = 0; i < arr->u.array.len; i++) {
    yajl_val f = arr->u.array.values[i];
    const char *index = snm_jstr(f, "index", NULL);
    const char *reason = snm_jstr(f, "reason", NULL);

    if (snm_buf_printf(&b, "%s%s[%lld]: %s", i > 0 ? "; " : "",
                       index != NULL ? index : "?",
                       snm_jint(-1, f, "shard_id", NULL),
                       reason != NULL ? reason : "no reason given") != 0)
      break; /* cap reached: what fits is enough */
  }
  *out = snm_buf_steal(&b);
  snm_buf_dispose(&b);
  return *out == NULL ? SNM_ENOMEM : 0;
}

static int dup_opt(char **out, const char *s)
{
  *out = NULL;
  if (s == NULL)
    return 0;
  return (*out = strdup(s)) == NULL ? SNM_ENOMEM : 0;
}

int snm_es_parse_snapshot_info(struct snm_es_snap_info *out, yajl_val json,
                               const char *snapshot, struct snm_err *err)
{
  yajl_val s = find_snapshot(json, snapshot);

  memset(out, 0, sizeof(*out));
  if (s == NULL)
    return snm_err_set(err, SNM_EPARSE, "reply does not list snapshot %s",
                       snapshot);
  copy_state(out->state, sizeof(out->state), snm_jstr(s, "state", NULL));
  out->start_ms = snm_jint(-1, s, "start_time_in_millis", NULL);
  out->end_ms = snm_jint(-1, s, "end_time_in_millis", NULL);
  if (out->end_ms == 0)
    out->end_ms = -1;
  out->shards_total = snm_jint(0, s, "shards", "total", NULL);
  out->shards_failed = snm_jint(0, s, "shards", "failed", NULL);
  if (failures_text(&out->failures, snm_jget(s, "failures", NULL)) != 0 ||
      dup_opt(&out->reason, snm_jstr(s, "reason", NULL)) != 0 ||
      dup_opt(&out->run_id, snm_jstr(s, "metadata", "snapmig_run_id", NULL)) !=
          0) {
    snm_es_snap_info_dispose(out);
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  return 0;
}

/* Counts from a server: a negative one is 0, sums saturate. */
static long long add_count(long long a, long long b)
{
  if (a < 0)
    a = 0;
  if (b < 0)
    b = 0;
  return a > LLONG_MAX - b ? LLONG_MAX : a + b;
}

void snm_es_recovery_dispose(struct snm_es_recovery *r)
{
  free(r->items);
  memset(r, 0, sizeof(*r));
}

int snm_es_parse_recovery(struct snm_es_recovery *out, yajl_val json,
                          const char *const *names, size_t n,
                          struct snm_err *err)
{
  memset(out, 0, sizeof(*out));
  if (!YAJL_IS_OBJECT(json))
    return snm_err_set(err, SNM_EPARSE, "recovery reply is not an object");
  out->items = calloc(n > 0 ? n : 1, sizeof(*out->items));
  if (out->items == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  out->n = n;
  for (size_t i = 0; i < n; i++) {
    struct snm_es_recovery_index *ix = &out->items[i];
    yajl_val shards = snm_jget(json, names[i], "shards", NULL);

    if (YAJL_IS_ARRAY(shards)) {
      ix->listed = 1;
      for (size_t k = 0; k < shards->u.array.len; k++) {
        yajl_val sh = shards->u.array.values[k];
        const char *stage = snm_jstr(sh, "stage", NULL);

        if (ix->shards < INT_MAX)
          ix->shards++;
        if (stage != NULL && strcmp(stage, "DONE") == 0 &&
            ix->shards_done < INT_MAX)
          ix->shards_done++;
        ix->bytes_total =
            add_count(ix->bytes_total,
                      snm_jint(0, sh, "index", "size", "total_in_bytes", NULL));
        ix->bytes_done = add_count(
            ix->bytes_done,
            add_count(
                snm_jint(0, sh, "index", "size", "recovered_in_bytes", NULL),
                snm_jint(0, sh, "index", "size", "reused_in_bytes", NULL)));
        ix->bytes_reused =
            add_count(ix->bytes_reused, snm_jint(0, sh, "index", "size",
                                                 "reused_in_bytes", NULL));
        ix->files_total = add_count(
            ix->files_total, snm_jint(0, sh, "index", "files", "total", NULL));
        ix->files_done = add_count(
            ix->files_done,
            add_count(snm_jint(0, sh, "index", "files", "recovered", NULL),
                      snm_jint(0, sh, "index", "files", "reused", NULL)));
      }
    }
    if (ix->bytes_done > ix->bytes_total)
      ix->bytes_done = ix->bytes_total;
    if (ix->files_done > ix->files_total)
      ix->files_done = ix->files_total;
    out->bytes_done = add_count(out->bytes_done, ix->bytes_done);
    out->bytes_total = add_count(out->bytes_total, ix->bytes_total);
    out->files_done = add_count(out->files_done, ix->files_done);
    out->files_total = add_count(out->files_total, ix->files_total);
    if (ix->shards > 0 && ix->shards_done == ix->shards)
      out->indices_done++;
    if (!ix->listed)
      out->unlisted++;
  }
  return 0;
}

int snm_es_recovery_size(struct snm_es_recovery *r, size_t n)
{
  struct snm_es_recovery_index *items;

  if (r->items != NULL && r->n == n)
    return 0;
  items = realloc(r->items, (n > 0 ? n : 1) * sizeof(*items));
  if (items == NULL)
    return SNM_ENOMEM;
  if (n > r->n)
    memset(items + r->n, 0, (n - r->n) * sizeof(*items));
  r->items = items;
  r->n = n;
  snm_es_recovery_merge(r, 0, NULL);
  return 0;
}

void snm_es_recovery_merge(struct snm_es_recovery *r, size_t at,
                           const struct snm_es_recovery *part)
{
  if (part != NULL && part->n > 0) {
    assert(at + part->n <= r->n);
    memcpy(r->items + at, part->items, part->n * sizeof(*part->items));
  }
  r->bytes_done = r->bytes_total = r->files_done = r->files_total = 0;
  r->indices_done = r->unlisted = 0;
  for (size_t i = 0; i < r->n; i++) {
    const struct snm_es_recovery_index *ix = &r->items[i];
    if (!ix->listed)
      r->unlisted++;
    r->bytes_done = add_count(r->bytes_done, ix->bytes_done);
    r->bytes_total = add_count(r->bytes_total, ix->bytes_total);
    r->files_done = add_count(r->files_done, ix->files_done);
    r->files_total = add_count(r->files_total, ix->files_total);
    if (ix->shards > 0 && ix->shards_done == ix->shards)
      r->indices_done++;
  }
}

void snm_es_recovery_take_listed(struct snm_es_recovery *r,
                                 const struct snm_es_recovery *part)
{
  assert(part->n == r->n);
  for (size_t i = 0; i < r->n; i++)
    if (part->items[i].listed)
      r->items[i] = part->items[i];
  snm_es_recovery_merge(r, 0, NULL);
}

int snm_es_parse_count(long long *out, yajl_val json, struct snm_err *err)
{
  yajl_val count = snm_jget(json, "count", NULL);
  long long failed, total;

  *out = -1;
  if (!YAJL_IS_OBJECT(json))
    return snm_err_set(err, SNM_EPARSE, "the reply is not a JSON object");
  if (snm_jget(json, "error", NULL) != NULL) {
    struct snm_buf why;
    int rc;

    snm_buf_init(&why, 0);
    snm_best_effort(snm_es_error_reason(&why, json, NULL, 0));
    rc = snm_err_set(err, SNM_EPARSE, "the reply is an error: %s",
                     why.len > 0 ? snm_buf_str(&why) : "(no reason given)");
    snm_buf_dispose(&why);
    return rc;
  }
  if (!YAJL_IS_INTEGER(count) || YAJL_GET_INTEGER(count) < 0)
    return snm_err_set(err, SNM_EPARSE,
                       "the reply has no document count (no non-negative "
                       "integer \"count\")");
  failed = snm_jint(0, json, "_shards", "failed", NULL);
  total = snm_jint(0, json, "_shards", "total", NULL);
  if (failed != 0)
    return snm_err_set(err, SNM_EPARSE,
                       "%lld of %lld shards failed, so the count misses "
                       "their documents",
                       failed, total);
  *out = YAJL_GET_INTEGER(count);
  return 0;
}

enum snm_es_origin snm_es_recovery_origin(yajl_val json, const char *name,
                                          const char *repo,
                                          const char *snapshot)
{
  yajl_val shards = snm_jget(json, name, "shards", NULL);
  size_t primaries = 0;

  if (!YAJL_IS_ARRAY(shards))
    return SNM_ES_ORIGIN_UNKNOWN;
  for (size_t k = 0; k < shards->u.array.len; k++) {
    yajl_val sh = shards->u.array.values[k];
    const char *type = snm_jstr(sh, "type", NULL);
    const char *r = snm_jstr(sh, "source", "repository", NULL);
    const char *s = snm_jstr(sh, "source", "snapshot", NULL);

    if (!YAJL_IS_TRUE(snm_jget(sh, "primary", NULL)))
      continue;
    primaries++;
    if (type == NULL || strcmp(type, "SNAPSHOT") != 0 || r == NULL ||
        s == NULL || strcmp(r, repo) != 0 || strcmp(s, snapshot) != 0)
      return SNM_ES_ORIGIN_OTHER;
  }
  return primaries > 0 ? SNM_ES_ORIGIN_OURS : SNM_ES_ORIGIN_UNKNOWN;
}

enum snm_es_origin snm_es_routing_origin(yajl_val json, const char *name,
                                         const char *repo, const char *snapshot)
{
  yajl_val shards =
      snm_jget(json, "routing_table", "indices", name, "shards", NULL);
  size_t primaries = 0;

  if (!YAJL_IS_OBJECT(shards))
    return SNM_ES_ORIGIN_UNKNOWN;
  for (size_t k = 0; k < shards->u.object.len; k++) {
    yajl_val copies = shards->u.object.values[k];

    for (size_t c = 0; YAJL_IS_ARRAY(copies) && c < copies->u.array.len; c++) {
      yajl_val sh = copies->u.array.values[c];
      const char *state = snm_jstr(sh, "state", NULL);
      const char *type = snm_jstr(sh, "recovery_source", "type", NULL);
      const char *r = snm_jstr(sh, "recovery_source", "repository", NULL);
      const char *s = snm_jstr(sh, "recovery_source", "snapshot", NULL);

      if (!YAJL_IS_TRUE(snm_jget(sh, "primary", NULL)))
        continue;
      if (state == NULL || (strcmp(state, "UNASSIGNED") != 0 &&
                            strcmp(state, "INITIALIZING") != 0))
        return SNM_ES_ORIGIN_UNKNOWN; /* started: _recovery tells */
      primaries++;
      if (type == NULL || strcmp(type, "SNAPSHOT") != 0 || r == NULL ||
          s == NULL || strcmp(r, repo) != 0 || strcmp(s, snapshot) != 0)
        return SNM_ES_ORIGIN_OTHER;
    }
  }
  return primaries > 0 ? SNM_ES_ORIGIN_OURS : SNM_ES_ORIGIN_UNKNOWN;
}
int snm_es_find_failed_shard(struct snm_es_failed_shard *out, yajl_val rows,
                             const char *const *names, size_t n)
{
  int found = 0;

  if (!YAJL_IS_ARRAY(rows))
    return 0;
  for (size_t k = 0; k < rows->u.array.len && found != 1; k++) {
    yajl_val row = rows->u.array.values[k];
    const char *index = snm_jstr(row, "index", NULL);
    const char *prirep = snm_jstr(row, "prirep", NULL);
    const char *st = snm_jstr(row, "state", NULL);
    const char *why = snm_jstr(row, "unassigned.reason", NULL);
    long long shard = snm_jint(-1, row, "shard", NULL);
    int kind;

    if (index == NULL || prirep == NULL || st == NULL || why == NULL ||
        shard < 0 || strcmp(prirep, "p") != 0 || strcmp(st, "UNASSIGNED") != 0)
      continue;
    kind = strcmp(why, "ALLOCATION_FAILED") == 0    ? 1
           : strcmp(why, "NEW_INDEX_RESTORED") == 0 ? 2
                                                    : 0;
    if (kind == 0 || (found != 0 && kind >= found))
      continue;
    for (size_t i = 0; i < n; i++)
      if (strcmp(names[i], index) == 0) {
        memset(out, 0, sizeof(*out));
        snprintf(out->index, sizeof(out->index), "%s", index);
        out->shard = (long)shard;
        found = kind;
        break;
      }
  }
  return found;
}

int snm_es_parse_explain(struct snm_es_failed_shard *io, yajl_val json)
{
  const char *can = snm_jstr(json, "can_allocate", NULL);
  const char *details = snm_jstr(json, "unassigned_info", "details", NULL);
  const char *expl = snm_jstr(json, "allocate_explanation", NULL);

  if (details != NULL || expl != NULL)
    snprintf(io->reason, sizeof(io->reason), "%s",
             details != NULL ? details : expl);
  if (can == NULL)
    return -1;
  return strcmp(can, "no") == 0 || strcmp(can, "no_valid_shard_copy") == 0;
}

int snm_es_explain_body(char **out, const char *index, long shard)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  int rc;

  *out = NULL;
  if (g == NULL)
    return SNM_ENOMEM;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "index", index);
  snm_gen_key_int(g, "shard", shard);
  snm_gen_str(g, "primary");
  yajl_gen_bool(g, 1);
  yajl_gen_map_close(g);
  rc = snm_gen_finish(out, g);
  yajl_gen_free(g);
  return rc;
}

/* ---- document counts through _msearch ---------------------------------- */

static const char msearch_count_query[] =
    "{\"size\":0,\"track_total_hits\":true,\"query\":{\"match_all\":{}}}\n";

int snm_es_msearch_body(struct snm_buf *out, size_t *taken,
                        const char *const *names, size_t n, const char *query,
                        size_t limit)
{
  const size_t qlen = strlen(query);
  yajl_gen g = yajl_gen_alloc(NULL);
  int rc = 0;

  *taken = 0;
  if (g == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < n && i < SNM_ES_MSEARCH_ITEMS_MAX; i++) {
    const unsigned char *hdr;
    size_t hlen;

    yajl_gen_clear(g);
    yajl_gen_reset(g, NULL);
    if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
        snm_gen_key_str(g, "index", names[i]) != yajl_gen_status_ok ||
        yajl_gen_map_close(g) != yajl_gen_status_ok ||
        yajl_gen_get_buf(g, &hdr, &hlen) != yajl_gen_status_ok) {
      rc = SNM_ENOMEM;
      break;
    }
    /* the first name goes in however long; the others only if they fit */
    if (i > 0 && out->len + hlen + 1 + qlen > limit)
      break;
    if (snm_buf_append(out, hdr, hlen) != 0 || snm_buf_putc(out, '\n') != 0 ||
        snm_buf_append(out, query, qlen) != 0) {
      rc = SNM_ENOMEM;
      break;
    }
    (*taken)++;
  }
  yajl_gen_free(g);
  return rc;
}

int snm_es_count_msearch_body(struct snm_buf *out, size_t *taken,
                              const char *const *names, size_t n, size_t limit)
{
  return snm_es_msearch_body(out, taken, names, n, msearch_count_query, limit);
}

void snm_es_vwhy(char *why, size_t size, const char *fmt, va_list ap)
{
  vsnprintf(why, size, fmt, ap);
  snm_sanitize_line(why, strlen(why));
}

void snm_es_why(char *why, size_t size, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  snm_es_vwhy(why, size, fmt, ap);
  va_end(ap);
}

void snm_es_error_why(char *why, size_t size, const char *what, yajl_val r)
{
  struct snm_buf reason;

  snm_buf_init(&reason, 0);
  snm_best_effort(snm_es_error_reason(&reason, r, NULL, 0));
  snm_es_why(why, size, "%s (status %lld): %s", what,
             snm_jint(0, r, "status", NULL),
             reason.len > 0 ? snm_buf_str(&reason) : "(no reason given)");
  snm_buf_dispose(&reason);
}

static void item_unknown(struct snm_es_count_item *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void item_unknown(struct snm_es_count_item *it, const char *fmt, ...)
{
  va_list ap;

  it->count = -1;
  va_start(ap, fmt);
  snm_es_vwhy(it->why, sizeof(it->why), fmt, ap);
  va_end(ap);
}

int snm_es_msearch_item_ok(yajl_val r, const char *what, char *why, size_t size)
{
  yajl_val shards = snm_jget(r, "_shards", NULL);
  long long status = snm_jint(0, r, "status", NULL);
  long long sh_total, sh_ok, sh_failed;

  if (!YAJL_IS_OBJECT(r)) {
    snm_es_why(why, size, "the reply's entry is not a JSON object");
    return 0;
  }
  if (snm_jget(r, "error", NULL) != NULL) {
    snm_es_error_why(why, size, "the search failed", r);
    return 0;
  }
  if (status != 0 && (status < 200 || status > 299)) {
    snm_es_why(why, size, "the search answered status %lld", status);
    return 0;
  }
  if (YAJL_IS_TRUE(snm_jget(r, "timed_out", NULL))) {
    snm_es_why(why, size, "the search timed out, so the %s may miss documents",
               what);
    return 0;
  }
  if (!YAJL_IS_OBJECT(shards)) {
    snm_es_why(why, size,
               "the reply does not say how many shards answered (no "
               "\"_shards\")");
    return 0;
  }
  sh_total = snm_jint(-1, shards, "total", NULL);
  sh_ok = snm_jint(-1, shards, "successful", NULL);
  sh_failed = snm_jint(-1, shards, "failed", NULL);
  if (sh_total < 0 || sh_ok < 0 || sh_failed < 0) {
    snm_es_why(why, size,
               "the reply's \"_shards\" lacks total, successful or failed");
    return 0;
  }
  if (sh_failed != 0 || sh_ok < sh_total) {
    snm_es_why(why, size,
               "%lld of %lld shards answered (%lld failed), so the %s misses "
               "their documents",
               sh_ok, sh_total, sh_failed, what);
    return 0;
  }
  return 1;
}

/* One entry of "responses". */
static void count_item(struct snm_es_count_item *it, yajl_val r)
{
  yajl_val status = snm_jget(r, "status", NULL);
  yajl_val total = snm_jget(r, "hits", "total", NULL);
  yajl_val value = total;

  it->status = YAJL_IS_INTEGER(status) ? (long)YAJL_GET_INTEGER(status) : 0;
  if (!snm_es_msearch_item_ok(r, "count", it->why, sizeof(it->why))) {
    it->count = -1;
    return;
  }
  if (YAJL_IS_OBJECT(total)) {
    const char *rel = snm_jstr(total, "relation", NULL);

    value = snm_jget(total, "value", NULL);
    if (rel == NULL || strcmp(rel, "eq") != 0) {
      item_unknown(it,
                   "the total is not exact (relation \"%.20s\"): a lower "
                   "bound is not a count",
                   rel != NULL ? rel : "(none)");
      return;
    }
  }
  /* a bare integer is the exact total of the servers before 7.0 */
  if (!YAJL_IS_INTEGER(value) || YAJL_GET_INTEGER(value) < 0) {
    item_unknown(it, "the reply has no document count (no non-negative "
                     "integer hits.total)");
    return;
  }
  it->count = YAJL_GET_INTEGER(value);
  it->why[0] = '\0';
}

yajl_val snm_es_msearch_responses(yajl_val json, size_t n, struct snm_err *err)
{
  yajl_val arr = snm_jget(json, "responses", NULL);
  const char *why = NULL;
  struct snm_buf reason;

  if (!YAJL_IS_OBJECT(json))
    why = "the reply is not a JSON object";
  else if (snm_jget(json, "error", NULL) != NULL)
    why = "the reply is an error";
  else if (!YAJL_IS_ARRAY(arr))
    why = "the reply has no \"responses\" array";
  else if (arr->u.array.len != n)
    why = "the reply's \"responses\" do not match the request's searches";
  if (why == NULL)
    return arr;
  snm_buf_init(&reason, 0);
  if (YAJL_IS_OBJECT(json))
    snm_best_effort(snm_es_error_reason(&reason, json, NULL, 0));
  if (arr != NULL && YAJL_IS_ARRAY(arr) && arr->u.array.len != n)
    snm_err_set(err, SNM_EPARSE, "%s (%zu for %zu)", why, arr->u.array.len, n);
  else
    snm_err_set(err, SNM_EPARSE, "%s%s%s", why, reason.len > 0 ? ": " : "",
                snm_buf_str(&reason));
  snm_buf_dispose(&reason);
  return NULL;
}

int snm_es_parse_count_msearch(struct snm_es_count_item *items, size_t n,
                               yajl_val json, struct snm_err *err)
{
  yajl_val arr = snm_es_msearch_responses(json, n, err);

  for (size_t i = 0; i < n; i++) {
    items[i].count = -1;
    items[i].status = 0;
    snprintf(items[i].why, sizeof(items[i].why), "%.200s",
             arr != NULL ? "no reply for this index" : err->msg);
  }
  if (arr == NULL)
    return SNM_EPARSE;
  for (size_t i = 0; i < n; i++)
    count_item(&items[i], arr->u.array.values[i]);
  return 0;
}
