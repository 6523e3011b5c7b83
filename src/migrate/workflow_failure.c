/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_failure.c - telling a restore that failed on the target from
 * one that is slow, without I/O: the _cat/shards and allocation explain
 * replies, and the decision. */
#include "es.h"
#include "jtree.h"
#include "json.h"
#include "workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

int snm_wf_restore_failed(const char *health, int shard_failed, int explained,
                          int rounds)
{
  if (health == NULL || strcmp(health, "red") != 0 || !shard_failed)
    return 0;
  if (explained >= 0)
    return explained == 1;
  return rounds >= SNM_WF_FAILED_ROUNDS;
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
