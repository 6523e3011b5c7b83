/* workflow_restore.c - the restore side of the workflow, without I/O: the
 * restore request's body, the recovery and health reply parsers, the
 * resume decision for one index and the doc-count check. */
#include "buf.h"
#include "es.h"
#include "json.h"
#include "workflow.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

static int join_names(struct snm_buf *b, const char *const *names, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if ((i > 0 && snm_buf_putc(b, ',') != 0) || snm_buf_puts(b, names[i]) != 0)
      return SNM_ENOMEM;
  return 0;
}

int snm_wf_restore_body(char **out, const struct snm_restore *r,
                        const char *const *sources, size_t n)
{
  struct snm_buf names, ignore;
  yajl_gen g = NULL;
  int rc = SNM_ENOMEM;

  *out = NULL;
  snm_buf_init(&names, 0);
  snm_buf_init(&ignore, 0);
  if (join_names(&names, sources, n) != 0 ||
      join_names(&ignore, (const char *const *)r->ignore_index_settings,
                 r->n_ignore_index_settings) != 0 ||
      (g = yajl_gen_alloc(NULL)) == NULL)
    goto done;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "indices", snm_buf_str(&names));
  snm_gen_str(g, "include_global_state");
  yajl_gen_bool(g, 0);
  snm_gen_str(g, "include_aliases");
  yajl_gen_bool(g, r->include_aliases);
  if (r->rename_pattern != NULL) {
    snm_gen_key_str(g, "rename_pattern", r->rename_pattern);
    snm_gen_key_str(g, "rename_replacement", r->rename_replacement);
  }
  if (r->index_settings != NULL) {
    snm_gen_str(g, "index_settings");
    if (snm_json_gen(g, r->index_settings, 0) != 0)
      goto done;
  }
  if (r->n_ignore_index_settings > 0) {
    snm_gen_key_str(g, "ignore_index_settings", snm_buf_str(&ignore));
  }
  yajl_gen_map_close(g);
  rc = snm_gen_finish(out, g);
done:
  if (g != NULL)
    yajl_gen_free(g);
  snm_buf_dispose(&names);
  snm_buf_dispose(&ignore);
  return rc;
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

void snm_wf_recovery_dispose(struct snm_wf_recovery *r)
{
  free(r->items);
  memset(r, 0, sizeof(*r));
}

int snm_wf_parse_recovery(struct snm_wf_recovery *out, yajl_val json,
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
    struct snm_wf_recovery_index *ix = &out->items[i];
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

int snm_wf_recovery_size(struct snm_wf_recovery *r, size_t n)
{
  struct snm_wf_recovery_index *items;

  if (r->items != NULL && r->n == n)
    return 0;
  items = realloc(r->items, (n > 0 ? n : 1) * sizeof(*items));
  if (items == NULL)
    return SNM_ENOMEM;
  if (n > r->n)
    memset(items + r->n, 0, (n - r->n) * sizeof(*items));
  r->items = items;
  r->n = n;
  snm_wf_recovery_merge(r, 0, NULL);
  return 0;
}

void snm_wf_recovery_merge(struct snm_wf_recovery *r, size_t at,
                           const struct snm_wf_recovery *part)
{
  if (part != NULL && part->n > 0) {
    assert(at + part->n <= r->n);
    memcpy(r->items + at, part->items, part->n * sizeof(*part->items));
  }
  r->bytes_done = r->bytes_total = r->files_done = r->files_total = 0;
  r->indices_done = r->unlisted = 0;
  for (size_t i = 0; i < r->n; i++) {
    const struct snm_wf_recovery_index *ix = &r->items[i];
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

static int health_rank(const char *s)
{
  if (strcmp(s, "green") == 0)
    return 0;
  if (strcmp(s, "yellow") == 0)
    return 1;
  if (strcmp(s, "red") == 0)
    return 3;
  return 2;
}

void snm_wf_health_worst(char *acc, size_t accsz, const char *status)
{
  if (status == NULL)
    status = "";
  if (acc[0] == '\0' || health_rank(status) > health_rank(acc))
    snprintf(acc, accsz, "%s", status);
}

int snm_wf_health_reached(yajl_val json, enum snm_wait_for want,
                          size_t n_indices, char *status, size_t statussz)
{
  const char *s = snm_jstr(json, "status", NULL);
  yajl_val indices = snm_jget(json, "indices", NULL);
  yajl_val timed_out = snm_jget(json, "timed_out", NULL);
  int ok;

  if (status != NULL)
    snprintf(status, statussz, "%s", s != NULL ? s : "");
  if (s == NULL)
    return 0;
  ok = strcmp(s, "green") == 0 ||
       (want == SNM_WAIT_YELLOW && strcmp(s, "yellow") == 0);
  if (!ok || YAJL_IS_TRUE(timed_out))
    return 0;
  if (want == SNM_WAIT_GREEN &&
      snm_jint(0, json, "initializing_shards", NULL) > 0)
    return 0;
  /* every index must be there (an index not created yet is not listed) */
  return YAJL_IS_OBJECT(indices) && indices->u.object.len >= n_indices;
}

enum snm_wf_index_action snm_wf_resume_index(enum snm_restore_state st,
                                             int exists)
{
  switch (st) {
  case SNM_RESTORE_SKIPPED:
    return SNM_WF_IX_SKIP;
  case SNM_RESTORE_RESTORING:
    return exists ? SNM_WF_IX_CHECK : SNM_WF_IX_RESTORE;
  case SNM_RESTORE_RESTORED:
  case SNM_RESTORE_VERIFIED:
    return exists ? SNM_WF_IX_ADOPT : SNM_WF_IX_GONE;
  case SNM_RESTORE_PENDING:
  case SNM_RESTORE_FAILED:
  default:
    return exists ? SNM_WF_IX_CHECK : SNM_WF_IX_RESTORE;
  }
}

int snm_wf_count_ok(long long before, long long after, long long found)
{
  long long lo, hi;

  if (before < 0 || found < 0)
    return 0;
  if (after < 0 || after == before)
    return found == before;
  lo = before < after ? before : after;
  hi = before < after ? after : before;
  return found >= lo && found <= hi;
}

void snm_wf_count_expected(char *out, size_t outsz, long long before,
                           long long after)
{
  if (before < 0)
    snprintf(out, outsz, "unknown");
  else if (after < 0 || after == before)
    snprintf(out, outsz, "%lld", before);
  else
    snprintf(out, outsz, "%lld..%lld", before < after ? before : after,
             before < after ? after : before);
}

int snm_wf_parse_count(long long *out, yajl_val json, struct snm_err *err)
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
    snm_es_error_reason(&why, json, NULL, 0);
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

enum snm_wf_origin snm_wf_recovery_origin(yajl_val json, const char *name,
                                          const char *repo,
                                          const char *snapshot)
{
  yajl_val shards = snm_jget(json, name, "shards", NULL);
  size_t primaries = 0;

  if (!YAJL_IS_ARRAY(shards))
    return SNM_WF_ORIGIN_UNKNOWN;
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
      return SNM_WF_ORIGIN_OTHER;
  }
  return primaries > 0 ? SNM_WF_ORIGIN_OURS : SNM_WF_ORIGIN_UNKNOWN;
}

enum snm_wf_origin snm_wf_routing_origin(yajl_val json, const char *name,
                                         const char *repo, const char *snapshot)
{
  yajl_val shards =
      snm_jget(json, "routing_table", "indices", name, "shards", NULL);
  size_t primaries = 0;

  if (!YAJL_IS_OBJECT(shards))
    return SNM_WF_ORIGIN_UNKNOWN;
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
        return SNM_WF_ORIGIN_UNKNOWN; /* started: _recovery tells */
      primaries++;
      if (type == NULL || strcmp(type, "SNAPSHOT") != 0 || r == NULL ||
          s == NULL || strcmp(r, repo) != 0 || strcmp(s, snapshot) != 0)
        return SNM_WF_ORIGIN_OTHER;
    }
  }
  return primaries > 0 ? SNM_WF_ORIGIN_OURS : SNM_WF_ORIGIN_UNKNOWN;
}
