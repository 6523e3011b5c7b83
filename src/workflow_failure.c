/* workflow_failure.c - telling a restore that failed on the target from
 * one that is slow, without I/O: the _cat/shards and allocation explain
 * replies, and the decision. */
#include "es.h"
#include "json.h"
#include "workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

int snm_wf_find_failed_shard(struct snm_wf_failed_shard *out, yajl_val rows,
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

int snm_wf_parse_explain(struct snm_wf_failed_shard *io, yajl_val json)
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

int snm_wf_restore_failed(const char *health, int shard_failed, int explained,
                          int rounds)
{
  if (health == NULL || strcmp(health, "red") != 0 || !shard_failed)
    return 0;
  if (explained >= 0)
    return explained == 1;
  return rounds >= SNM_WF_FAILED_ROUNDS;
}

int snm_wf_explain_body(char **out, const char *index, long shard)
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

void snm_wf_explain(struct snm_err *out, const struct snm_err *in)
{
  static const struct {
    const char *needle, *advice;
  } known[] = {
      {"repository_exception",
       "the repository's storage is unreachable from the cluster (the S3 "
       "bucket or shared folder, or the cluster's access to it); once it "
       "answers again, run snapmig again: it resumes"},
      {"Could not determine repository generation",
       "the repository's storage is unreachable from the cluster (the S3 "
       "bucket or shared folder, or the cluster's access to it); once it "
       "answers again, run snapmig again: it resumes"},
      {"index_not_found_exception",
       "an index the run was waiting for is gone from the cluster (deleted, "
       "or the node that held it left); run snapmig again: it restores it "
       "again"},
  };
  const char *advice = NULL;
  size_t room = sizeof(out->msg) - 64, len, alen, keep, head, tail, from, at;

  *out = *in;
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !advice; i++)
    if (strstr(in->msg, known[i].needle) != NULL)
      advice = known[i].advice;
  if (advice == NULL || strstr(in->msg, advice) != NULL)
    return;
  len = strlen(in->msg);
  alen = strlen(advice);
  if (len + alen + 3 < room) {
    memcpy(out->msg + len, "; ", 2);
    memcpy(out->msg + len + 2, advice, alen + 1);
    return;
  }
  /* keep the start (domain, method) and the end (the server's reason) */
  keep = room - alen - 2 - 4; /* "; ", "\u2026" and the NUL */
  head = keep / 3;
  while (head > 0 && (in->msg[head] & 0xC0) == 0x80)
    head--;
  tail = keep - head;
  from = len - tail;
  while (from < len && (in->msg[from] & 0xC0) == 0x80)
    from++;
  memcpy(out->msg + head, "\u2026", 3);
  memmove(out->msg + head + 3, in->msg + from, len - from);
  at = head + 3 + (len - from);
  memcpy(out->msg + at, "; ", 2);
  memcpy(out->msg + at + 2, advice, alen + 1);
}
