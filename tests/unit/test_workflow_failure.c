/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for telling a failed restore from a slow one
 * (workflow_failure.c): which _cat/shards rows count (a primary of ours,
 * UNASSIGNED with ALLOCATION_FAILED - not NEW_INDEX_RESTORED, not a
 * replica, not another index), what allocation explain says, and the
 * decision over them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workflow.h"

static yajl_val parse(const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));
  if (v == NULL)
    fail_msg("bad test JSON: %s", errbuf);
  return v;
}

static const char *const NAMES[] = {"r-a", "r-b"};

static int find(const char *text, struct snm_es_failed_shard *out)
{
  yajl_val j = parse(text);
  int found = snm_es_find_failed_shard(out, j, NAMES, 2);
  yajl_tree_free(j);
  return found;
}

static void test_find_failed_shard(void **state)
{
  struct snm_es_failed_shard s;

  (void)state;
  /* right after the restore starts, or queued: normal - unless the
   * allocator says it can never place it (only its explanation tells, so
   * it is found as 2: "ask before judging") */
  assert_int_equal(find("[{\"index\":\"r-a\",\"shard\":\"0\",\"prirep\":\"p\","
                        "\"state\":\"UNASSIGNED\",\"unassigned.reason\":"
                        "\"NEW_INDEX_RESTORED\"},{\"index\":\"r-b\",\"shard\":"
                        "\"0\",\"prirep\":\"p\",\"state\":\"INITIALIZING\","
                        "\"unassigned.reason\":null}]",
                        &s),
                   2);
  assert_string_equal(s.index, "r-a");
  /* a failed one is preferred to one that only waits */
  assert_int_equal(find("[{\"index\":\"r-a\",\"shard\":\"0\",\"prirep\":\"p\","
                        "\"state\":\"UNASSIGNED\",\"unassigned.reason\":"
                        "\"NEW_INDEX_RESTORED\"},{\"index\":\"r-b\",\"shard\":"
                        "\"1\",\"prirep\":\"p\",\"state\":\"UNASSIGNED\","
                        "\"unassigned.reason\":\"ALLOCATION_FAILED\"}]",
                        &s),
                   1);
  assert_string_equal(s.index, "r-b");
  /* a replica's failure, another index's failure: not ours to judge */
  assert_int_equal(find("[{\"index\":\"r-a\",\"shard\":\"0\",\"prirep\":\"r\","
                        "\"state\":\"UNASSIGNED\",\"unassigned.reason\":"
                        "\"ALLOCATION_FAILED\"},{\"index\":\"other\",\"shard\":"
                        "\"0\",\"prirep\":\"p\",\"state\":\"UNASSIGNED\","
                        "\"unassigned.reason\":\"ALLOCATION_FAILED\"}]",
                        &s),
                   0);
  /* a started shard with an old reason does not count either */
  assert_int_equal(find("[{\"index\":\"r-a\",\"shard\":\"0\",\"prirep\":\"p\","
                        "\"state\":\"STARTED\",\"unassigned.reason\":"
                        "\"ALLOCATION_FAILED\"}]",
                        &s),
                   0);
  assert_int_equal(find("{\"error\":\"x\"}", &s), 0);
  /* the failed primary */
  assert_int_equal(find("[{\"index\":\"r-a\",\"shard\":\"0\",\"prirep\":\"p\","
                        "\"state\":\"STARTED\",\"unassigned.reason\":null},"
                        "{\"index\":\"r-b\",\"shard\":\"3\",\"prirep\":\"p\","
                        "\"state\":\"UNASSIGNED\",\"unassigned.reason\":"
                        "\"ALLOCATION_FAILED\"}]",
                        &s),
                   1);
  assert_string_equal(s.index, "r-b");
  assert_int_equal(s.shard, 3);
  assert_string_equal(s.reason, "");
}

static int explain(const char *text, struct snm_es_failed_shard *io)
{
  yajl_val j = parse(text);
  int r = snm_es_parse_explain(io, j);
  yajl_tree_free(j);
  return r;
}

static void test_parse_explain(void **state)
{
  struct snm_es_failed_shard s;

  (void)state;
  memset(&s, 0, sizeof(s));
  /* retries exhausted */
  assert_int_equal(
      explain("{\"index\":\"r-b\",\"shard\":3,\"primary\":true,"
              "\"current_state\":\"unassigned\",\"unassigned_info\":{"
              "\"reason\":\"ALLOCATION_FAILED\",\"failed_allocation_attempts\""
              ":5,\"details\":\"failed shard on node [n1]: failed recovery, "
              "failure RecoveryFailedException[restore failed]\"},"
              "\"can_allocate\":\"no\",\"allocate_explanation\":\"cannot "
              "allocate because allocation is not permitted to any of the "
              "nodes\"}",
              &s),
      1);
  assert_non_null(strstr(s.reason, "RecoveryFailedException[restore failed]"));
  /* still retrying: keep waiting */
  memset(&s, 0, sizeof(s));
  assert_int_equal(explain("{\"can_allocate\":\"yes\",\"allocate_explanation\":"
                           "\"can allocate the shard\"}",
                           &s),
                   0);
  assert_string_equal(s.reason, "can allocate the shard");
  assert_int_equal(explain("{\"can_allocate\":\"throttled\"}", &s), 0);
  assert_int_equal(explain("{\"can_allocate\":\"no_valid_shard_copy\"}", &s),
                   1);
  /* an answer that says neither */
  assert_int_equal(explain("{\"error\":{\"type\":\"x\"}}", &s), -1);
}

static void test_restore_failed(void **state)
{
  (void)state;
  /* only red, with a failed primary, counts */
  assert_false(snm_wf_restore_failed("yellow", 1, 1, 9));
  assert_false(snm_wf_restore_failed("green", 1, 1, 9));
  assert_false(snm_wf_restore_failed(NULL, 1, 1, 9));
  assert_false(snm_wf_restore_failed("red", 0, 1, 9)); /* NEW_INDEX_RESTORED */
  /* the allocator's verdict decides when it was had */
  assert_true(snm_wf_restore_failed("red", 1, 1, 1));
  assert_false(snm_wf_restore_failed("red", 1, 0, 99)); /* still retrying */
  /* unexplained: only when it lasts */
  assert_false(snm_wf_restore_failed("red", 1, -1, 1));
  assert_false(snm_wf_restore_failed("red", 1, -1, SNM_WF_FAILED_ROUNDS - 1));
  assert_true(snm_wf_restore_failed("red", 1, -1, SNM_WF_FAILED_ROUNDS));
}

static void test_explain_body(void **state)
{
  char *body = NULL;

  (void)state;
  assert_int_equal(snm_es_explain_body(&body, "r-\"b", 3), 0);
  assert_string_equal(body,
                      "{\"index\":\"r-\\\"b\",\"shard\":3,\"primary\":true}");
  free(body);
}

/* Safety issue, item 19: server errors a user meets mid-run say what they
 * mean and what to do, and a long message keeps that advice. */
static void test_explain(void **state)
{
  struct snm_err in, out;
  char longpath[900];

  (void)state;
  snm_err_set(&in, SNM_EHTTP,
              "source: GET /_snapshot/r/s/_status: HTTP 500 "
              "repository_exception: [r] Could not determine repository "
              "generation from root blobs");
  in.http_status = 500;
  snm_wf_explain(&out, &in);
  assert_int_equal(out.code, SNM_EHTTP);
  assert_int_equal(out.http_status, 500);
  assert_non_null(strstr(out.msg, "Could not determine repository"));
  assert_non_null(strstr(out.msg, "storage is unreachable"));
  assert_non_null(strstr(out.msg, "run snapmig again"));
  /* explained once, however often it passes through */
  in = out;
  snm_wf_explain(&out, &in);
  assert_string_equal(out.msg, in.msg);

  snm_err_set(&in, SNM_EHTTP,
              "target: GET /moved-a/_recovery: HTTP 404 "
              "index_not_found_exception: no such index [moved-a]");
  snm_wf_explain(&out, &in);
  assert_non_null(strstr(out.msg, "no such index [moved-a]"));
  assert_non_null(strstr(out.msg, "is gone from the cluster"));
  assert_non_null(strstr(out.msg, "restores it again"));

  /* anything else passes as it is */
  snm_err_set(&in, SNM_EINVAL, "plain words");
  snm_wf_explain(&out, &in);
  assert_string_equal(out.msg, "plain words");

  /* a message near the limit: cut in the middle, the advice kept whole,
   * room left for a step prefix */
  memset(longpath, 'x', sizeof(longpath) - 1);
  longpath[sizeof(longpath) - 1] = '\0';
  snm_err_set(&in, SNM_EHTTP,
              "source: GET /%s: HTTP 500 repository_exception: gone", longpath);
  snm_wf_explain(&out, &in);
  assert_true(strlen(out.msg) + 64 < sizeof(out.msg));
  assert_non_null(strstr(out.msg, "source: GET /xxx"));
  assert_non_null(strstr(out.msg, "repository_exception: gone"));
  assert_non_null(strstr(out.msg, "run snapmig again: it resumes"));
  assert_non_null(strstr(out.msg, "\xe2\x80\xa6"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find_failed_shard),
      cmocka_unit_test(test_parse_explain),
      cmocka_unit_test(test_restore_failed),
      cmocka_unit_test(test_explain_body),
      cmocka_unit_test(test_explain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
