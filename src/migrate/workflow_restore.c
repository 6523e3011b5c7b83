/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_restore.c - the restore side of the workflow, without I/O: the
 * restore request's body, the recovery and health reply parsers, the
 * resume decision for one index and the doc-count check. */
#include "buf.h"
#include "jtree.h"
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

int snm_wf_restore_names(const char ***out, size_t *n,
                         const struct snm_state_restore *sr,
                         const char *const *sources, size_t n_sources)
{
  const char **v = malloc((n_sources + 1) * sizeof(*v));
  size_t k = 0;

  *out = NULL;
  *n = 0;
  if (v == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < n_sources; i++) {
    const struct snm_state_index *ix =
        snm_state_restore_find_index(sr, sources[i]);
    const char *name =
        ix != NULL && ix->data_stream != NULL ? ix->data_stream : sources[i];
    size_t j = 0;
    while (j < k && strcmp(v[j], name) != 0)
      j++;
    if (j == k)
      v[k++] = name;
  }
  *out = v;
  *n = k;
  return 0;
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

long long snm_wf_restore_bytes_estimate(const struct snm_es_recovery *rec)
{
  size_t started = 0, waiting = 0;
  long long started_bytes = 0;

  for (size_t i = 0; i < rec->n; i++) {
    const struct snm_es_recovery_index *ix = &rec->items[i];
    if (ix->listed && ix->shards > 0) {
      started++;
      started_bytes += ix->bytes_total;
    } else {
      waiting++;
    }
  }
  if (waiting == 0)
    return rec->bytes_total;
  if (started == 0 || started_bytes <= 0)
    return -1;
  return rec->bytes_total +
         (long long)((double)started_bytes / (double)started * (double)waiting);
}

void snm_wf_health_levels(yajl_val json, const char *const *names, size_t n,
                          unsigned char *level)
{
  yajl_val indices = snm_jget(json, "indices", NULL);

  if (!YAJL_IS_OBJECT(indices))
    return;
  for (size_t i = 0; i < n; i++) {
    yajl_val ix = snm_jget(indices, names[i], NULL);
    const char *s = snm_jstr(ix, "status", NULL);
    unsigned char l = SNM_WF_HEALTH_UNKNOWN;

    if (s == NULL)
      continue;
    if (strcmp(s, "green") == 0)
      l = snm_jint(0, ix, "initializing_shards", NULL) > 0
              ? SNM_WF_HEALTH_YELLOW
              : SNM_WF_HEALTH_GREEN;
    else if (strcmp(s, "yellow") == 0)
      l = SNM_WF_HEALTH_YELLOW;
    else
      l = SNM_WF_HEALTH_RED;
    if (l > level[i])
      level[i] = l;
  }
}

int snm_wf_health_levels_reached(const unsigned char *level, size_t n,
                                 enum snm_wait_for want, char *status,
                                 size_t statussz)
{
  static const char *const names[] = {"red", "red", "yellow", "green"};
  unsigned char worst = SNM_WF_HEALTH_GREEN;
  unsigned char need =
      want == SNM_WAIT_YELLOW ? SNM_WF_HEALTH_YELLOW : SNM_WF_HEALTH_GREEN;

  for (size_t i = 0; i < n; i++)
    if (level[i] < worst)
      worst = level[i];
  if (status != NULL)
    snprintf(status, statussz, "%s", names[worst]);
  return worst >= need;
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
  case SNM_RESTORE_REPLACING: /* closed, or being closed: finish it */
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
