/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test of the batched document counts (es_reply.h:
 * snm_es_count_msearch_body, snm_es_parse_count_msearch) against the rig's
 * real servers, OpenSearch 2.19 (source), Elasticsearch 7.10 (legacy) and
 * OpenSearch 3.x (next): an index with a nested mapping counts exactly as
 * GET INDEX/_count does (root documents; _cat/indices says more), a missing
 * index is unknown with status 404, a closed one unknown, and the good
 * items of the same request are counted.  The rig's endpoints come from
 * SNAPMIG_RIG_*; without them the test fails rather than skips.  It
 * creates and deletes only its own indices (it-es-counts-*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "es.h"
#include "es_reply.h"
#include "jtree.h"
#include "loop_fixture.h"
#include "plan_fixture.h"

#define NESTED "it-es-counts-nested"
#define PLAIN "it-es-counts-plain"
#define CLOSED "it-es-counts-closed"
#define MISSING "it-es-counts-missing"

struct result {
  int called;
  int code;
  long status;
  char msg[SNM_ERR_MSG_MAX];
  long long count; /* _count's */
  struct snm_es_count_item items[4];
  int parse_rc;
  int msearch;
};

static const char *need_env(const char *name)
{
  const char *v = getenv(name);
  if (v == NULL || *v == '\0')
    fail_msg("%s is not set: start the rig (tests/rig/rig up) and "
             "eval \"$(tests/rig/rig env)\"",
             name);
  return v;
}

static void on_done(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;
  struct snm_err perr;

  r->called++;
  r->code = err->code;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
  r->count = -1;
  if (reply == NULL)
    return;
  r->status = reply->status;
  if (err->code != SNM_OK)
    return;
  if (r->msearch)
    r->parse_rc = snm_es_parse_count_msearch(r->items, 4, reply->json, &perr);
  else
    r->count = snm_jint(-1, reply->json, "count", NULL);
}

static void call(struct snm_test_loop *lp, const char *method, const char *path,
                 const char *body, int ndjson, struct result *r)
{
  struct snm_err err;
  int msearch = r->msearch;

  memset(r, 0, sizeof(*r));
  r->msearch = msearch;
  if (ndjson)
    assert_int_equal(snm_es_request_ndjson(lp->es, method, path, body,
                                           SNM_HTTP_REPLAY_YES, on_done, r,
                                           &err),
                     0);
  else
    assert_int_equal(
        snm_es_request(lp->es, method, path, body, 0, on_done, r, &err), 0);
  snm_test_loop_run(lp);
  assert_int_equal(r->called, 1);
}

static void ok(struct snm_test_loop *lp, const char *method, const char *path,
               const char *body, int ndjson)
{
  struct result r = {0};

  call(lp, method, path, body, ndjson, &r);
  if (r.code != SNM_OK)
    fail_msg("%s %s: %s", method, path, r.msg);
}

static void one_cluster(const char *url)
{
  struct snm_test_loop lp;
  struct result r = {0}, cat = {0};
  const char *names[4] = {NESTED, MISSING, CLOSED, PLAIN};
  struct snm_buf body;
  size_t taken;
  long long nested_count;

  snm_test_loop_init_es(&lp, snm_test_plan_src_dst(url, NULL), "src", NULL);
  snm_test_loop_set_deadline(&lp, 120000); /* real, shared servers */
  /* leftovers of an interrupted run */
  call(&lp, "DELETE",
       "/" NESTED "," PLAIN "," CLOSED "?ignore_unavailable=true", NULL, 0, &r);
  ok(&lp, "PUT", "/" NESTED,
     "{\"settings\":{\"number_of_shards\":2,\"number_of_replicas\":0},"
     "\"mappings\":{\"properties\":{\"c\":{\"type\":\"nested\"}}}}",
     0);
  ok(&lp, "PUT", "/" PLAIN, "{\"settings\":{\"number_of_replicas\":0}}", 0);
  ok(&lp, "PUT", "/" CLOSED, "{\"settings\":{\"number_of_replicas\":0}}", 0);
  ok(&lp, "POST", "/_bulk?refresh=true",
     "{\"index\":{\"_index\":\"" NESTED "\"}}\n"
     "{\"c\":[{\"a\":1},{\"a\":2},{\"a\":3}]}\n"
     "{\"index\":{\"_index\":\"" NESTED "\"}}\n"
     "{\"c\":[{\"a\":1}]}\n"
     "{\"index\":{\"_index\":\"" NESTED "\"}}\n"
     "{\"x\":1}\n"
     "{\"index\":{\"_index\":\"" PLAIN "\"}}\n"
     "{\"x\":1}\n"
     "{\"index\":{\"_index\":\"" PLAIN "\"}}\n"
     "{\"x\":2}\n",
     1);
  ok(&lp, "POST", "/" CLOSED "/_close", NULL, 0);

  call(&lp, "GET", "/" NESTED "/_count", NULL, 0, &r);
  assert_int_equal(r.code, SNM_OK);
  nested_count = r.count;
  assert_int_equal(nested_count, 3);
  /* the nested documents are there: _cat/indices counts them too */
  call(&lp, "GET", "/_cat/indices/" NESTED "?h=docs.count", NULL, 0, &cat);
  assert_int_equal(cat.code, SNM_OK);
  assert_true(cat.status == 200);

  snm_buf_init(&body, 0);
  assert_int_equal(snm_es_count_msearch_body(&body, &taken, names, 4,
                                             SNM_ES_MSEARCH_BODY_MAX),
                   0);
  assert_int_equal(taken, 4);
  r.msearch = 1;
  call(&lp, "POST", "/_msearch", snm_buf_str(&body), 1, &r);
  snm_buf_dispose(&body);
  if (r.code != SNM_OK)
    fail_msg("%s: POST /_msearch: %s", url, r.msg);
  assert_int_equal(r.parse_rc, 0);
  assert_int_equal(r.items[0].count, nested_count);
  assert_int_equal(r.items[1].count, -1);
  assert_int_equal(r.items[1].status, 404);
  assert_non_null(strstr(r.items[1].why, "index_not_found_exception"));
  assert_int_equal(r.items[2].count, -1);
  assert_non_null(strstr(r.items[2].why, "closed"));
  assert_int_equal(r.items[3].count, 2);

  ok(&lp, "DELETE", "/" NESTED "," PLAIN "," CLOSED, NULL, 0);
  snm_test_loop_done(&lp);
}

static void test_source(void **state)
{
  (void)state;
  one_cluster(need_env("SNAPMIG_RIG_SOURCE_URL"));
}

static void test_legacy(void **state)
{
  (void)state;
  one_cluster(need_env("SNAPMIG_RIG_LEGACY_URL"));
}

static void test_next(void **state)
{
  (void)state;
  one_cluster(need_env("SNAPMIG_RIG_NEXT_URL"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_source),
      cmocka_unit_test(test_legacy),
      cmocka_unit_test(test_next),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
