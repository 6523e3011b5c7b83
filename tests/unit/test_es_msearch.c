/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the batched document counts (es_reply.h): the _msearch
 * body, the reading of its reply (every way an item can fail leaves that
 * index unknown, never a number), and snm_es_request_ndjson's Content-Type
 * against the loopback stand-in server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "buf.h"
#include "es.h"
#include "es_reply.h"
#include "loop_fixture.h"
#include "plan_fixture.h"
#include "standin_http.h"

#define Q                                                                      \
  "{\"size\":0,\"track_total_hits\":true,\"query\":{\"match_all\":{}}}\n"

static void test_body_format(void **state)
{
  const char *names[] = {"logs-1", "we\"ird\\na\nme", "caf\xc3\xa9"};
  struct snm_buf b;
  size_t taken = 0;

  (void)state;
  snm_buf_init(&b, 0);
  assert_int_equal(
      snm_es_count_msearch_body(&b, &taken, names, 3, SNM_ES_MSEARCH_BODY_MAX),
      0);
  assert_int_equal(taken, 3);
  assert_string_equal(snm_buf_str(&b),
                      "{\"index\":\"logs-1\"}\n" Q
                      "{\"index\":\"we\\\"ird\\\\na\\nme\"}\n" Q
                      "{\"index\":\"caf\xc3\xa9\"}\n" Q);
  /* every line is one JSON document: a name's newline stays escaped */
  {
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
      lines += b.data[i] == '\n';
    assert_int_equal(lines, 6);
  }
  snm_buf_dispose(&b);
}

static void test_body_chunks(void **state)
{
  enum { N = 2500 };
  static char store[N][16];
  const char *names[N];
  const size_t item = strlen("{\"index\":\"ix-00000\"}\n" Q);
  struct snm_buf b;
  size_t taken, at = 0, requests = 0;

  (void)state;
  for (size_t i = 0; i < N; i++) {
    snprintf(store[i], sizeof(store[i]), "ix-%05zu", i);
    names[i] = store[i];
  }
  snm_buf_init(&b, 0);
  /* a limit of 10 items' bytes: 10 per request, exactly */
  assert_int_equal(snm_es_count_msearch_body(&b, &taken, names, N, 10 * item),
                   0);
  assert_int_equal(taken, 10);
  assert_int_equal(b.len, 10 * item);
  /* one byte less: 9 */
  snm_buf_reset(&b);
  assert_int_equal(
      snm_es_count_msearch_body(&b, &taken, names, N, 10 * item - 1), 0);
  assert_int_equal(taken, 9);
  /* a limit smaller than one item: still one (the server judges) */
  snm_buf_reset(&b);
  assert_int_equal(snm_es_count_msearch_body(&b, &taken, names + 7, 1, 5), 0);
  assert_int_equal(taken, 1);
  assert_string_equal(snm_buf_str(&b), "{\"index\":\"ix-00007\"}\n" Q);
  /* the default limits: 2500 names in 3 requests (items capped at 1000) */
  while (at < N) {
    snm_buf_reset(&b);
    assert_int_equal(snm_es_count_msearch_body(&b, &taken, names + at, N - at,
                                               SNM_ES_MSEARCH_BODY_MAX),
                     0);
    assert_true(taken > 0 && taken <= SNM_ES_MSEARCH_ITEMS_MAX);
    assert_true(b.len <= SNM_ES_MSEARCH_BODY_MAX);
    at += taken;
    requests++;
  }
  assert_int_equal(at, N);
  assert_int_equal(requests, 3);
  snm_buf_dispose(&b);
  /* a buffer whose cap is reached: SNM_ENOMEM, never a silent cut */
  snm_buf_init(&b, 50);
  assert_int_equal(
      snm_es_count_msearch_body(&b, &taken, names, 2, SNM_ES_MSEARCH_BODY_MAX),
      SNM_ENOMEM);
  snm_buf_dispose(&b);
}

/* Parse `text` for n items; returns the function's result. */
static int parse(const char *text, struct snm_es_count_item *items, size_t n,
                 char *msg, size_t msgsz)
{
  char ebuf[256];
  yajl_val v = yajl_tree_parse(text, ebuf, sizeof(ebuf));
  struct snm_err err;
  int rc;

  snm_err_clear(&err);
  rc = snm_es_parse_count_msearch(items, n, v, &err);
  snprintf(msg, msgsz, "%s", err.msg);
  yajl_tree_free(v);
  return rc;
}

#define SH_OK                                                                  \
  "\"_shards\":{\"total\":2,\"successful\":2,\"skipped\":0,\"failed\":0}"
#define ITEM_OK(n)                                                             \
  "{\"took\":1,\"timed_out\":false," SH_OK                                     \
  ",\"hits\":{\"total\":{\"value\":" #n                                        \
  ",\"relation\":\"eq\"},\"max_score\":null,\"hits\":[]},\"status\":200}"

static void test_parse_ok(void **state)
{
  struct snm_es_count_item it[3];
  char msg[SNM_ERR_MSG_MAX];

  (void)state;
  /* OpenSearch 2.19 / Elasticsearch 7.10 as seen on the rig */
  assert_int_equal(parse("{\"took\":6,\"responses\":[" ITEM_OK(3) "," ITEM_OK(
                             0) "," ITEM_OK(9007199254740993) "]}",
                         it, 3, msg, sizeof(msg)),
                   0);
  assert_int_equal(it[0].count, 3);
  assert_string_equal(it[0].why, "");
  assert_int_equal(it[0].status, 200);
  assert_int_equal(it[1].count, 0);
  assert_int_equal(it[2].count, 9007199254740993LL);
  /* a server before 7.0: hits.total a bare integer, exact */
  assert_int_equal(parse("{\"responses\":[{" SH_OK
                         ",\"hits\":{\"total\":42,\"hits\":[]}}]}",
                         it, 1, msg, sizeof(msg)),
                   0);
  assert_int_equal(it[0].count, 42);
  /* skipped shards count among the successful ones */
  assert_int_equal(
      parse("{\"responses\":[{\"_shards\":{\"total\":3,\"successful\":3,"
            "\"skipped\":1,\"failed\":0},\"hits\":{\"total\":{\"value\":5,"
            "\"relation\":\"eq\"}}}]}",
            it, 1, msg, sizeof(msg)),
      0);
  assert_int_equal(it[0].count, 5);
}

/* One item among good ones is hostile: that item unknown, the others
 * counted; returns the item's reason. */
static const char *one_bad(const char *bad, struct snm_es_count_item *it)
{
  char text[4096], msg[SNM_ERR_MSG_MAX];

  snprintf(text, sizeof(text),
           "{\"responses\":[" ITEM_OK(7) ",%s," ITEM_OK(8) "]}", bad);
  assert_int_equal(parse(text, it, 3, msg, sizeof(msg)), 0);
  assert_int_equal(it[0].count, 7);
  assert_int_equal(it[2].count, 8);
  assert_int_equal(it[1].count, -1);
  assert_true(it[1].why[0] != '\0');
  return it[1].why;
}

static void test_parse_hostile_items(void **state)
{
  struct snm_es_count_item it[3];

  (void)state;
  /* the index does not exist: 404 kept for the caller */
  assert_non_null(strstr(
      one_bad("{\"error\":{\"type\":\"index_not_found_exception\",\"reason\":"
              "\"no such index [x]\"},\"status\":404}",
              it),
      "no such index [x]"));
  assert_int_equal(it[1].status, 404);
  /* closed */
  assert_non_null(
      strstr(one_bad("{\"error\":{\"type\":\"index_closed_exception\","
                     "\"reason\":\"closed\"},\"status\":400}",
                     it),
             "closed"));
  assert_int_equal(it[1].status, 400);
  /* rejected (a full search queue) */
  assert_non_null(
      strstr(one_bad("{\"error\":{\"type\":\"es_rejected_execution_exception\","
                     "\"reason\":\"rejected execution\"},\"status\":429}",
                     it),
             "rejected execution"));
  assert_int_equal(it[1].status, 429);
  /* an error as a bare string, and an error without a reason */
  assert_non_null(
      strstr(one_bad("{\"error\":\"boom\",\"status\":500}", it), "boom"));
  assert_non_null(
      strstr(one_bad("{\"error\":{},\"status\":500}", it), "no reason given"));
  /* a failing status without an error object */
  assert_non_null(strstr(one_bad("{" SH_OK ",\"hits\":{\"total\":{\"value\":1,"
                                 "\"relation\":\"eq\"}},\"status\":503}",
                                 it),
                         "503"));
  /* a lower bound is not a count */
  assert_non_null(
      strstr(one_bad("{" SH_OK ",\"hits\":{\"total\":{\"value\":10000,"
                     "\"relation\":\"gte\"}},\"status\":200}",
                     it),
             "gte"));
  assert_non_null(strstr(one_bad("{" SH_OK ",\"hits\":{\"total\":{\"value\":"
                                 "10000}},\"status\":200}",
                                 it),
                         "not exact"));
  /* not an integer, negative, a string, absent */
  one_bad("{" SH_OK
          ",\"hits\":{\"total\":{\"value\":1.5,\"relation\":\"eq\"}}}",
          it);
  one_bad("{" SH_OK
          ",\"hits\":{\"total\":{\"value\":1e3,\"relation\":\"eq\"}}}",
          it);
  one_bad("{" SH_OK ",\"hits\":{\"total\":{\"value\":-1,\"relation\":\"eq\"}}}",
          it);
  one_bad("{" SH_OK
          ",\"hits\":{\"total\":{\"value\":\"12\",\"relation\":\"eq\"}}}",
          it);
  one_bad("{" SH_OK ",\"hits\":{\"total\":-4}}", it);
  one_bad("{" SH_OK ",\"hits\":{\"hits\":[]}}", it);
  one_bad("{" SH_OK "}", it);
  /* failed or missing shards: the count misses their documents */
  assert_non_null(strstr(
      one_bad("{\"_shards\":{\"total\":2,\"successful\":1,\"skipped\":0,"
              "\"failed\":1},\"hits\":{\"total\":{\"value\":3,\"relation\":"
              "\"eq\"}}}",
              it),
      "1 of 2 shards answered"));
  one_bad("{\"_shards\":{\"total\":2,\"successful\":1,\"skipped\":0,"
          "\"failed\":0},\"hits\":{\"total\":{\"value\":3,\"relation\":"
          "\"eq\"}}}",
          it);
  assert_non_null(strstr(
      one_bad("{\"hits\":{\"total\":{\"value\":3,\"relation\":\"eq\"}}}", it),
      "_shards"));
  one_bad("{\"_shards\":{\"total\":2},\"hits\":{\"total\":{\"value\":3,"
          "\"relation\":\"eq\"}}}",
          it);
  one_bad("{\"_shards\":[],\"hits\":{\"total\":{\"value\":3,\"relation\":"
          "\"eq\"}}}",
          it);
  /* timed out: partial */
  assert_non_null(strstr(one_bad("{\"timed_out\":true," SH_OK
                                 ",\"hits\":{\"total\":{\"value\":3,"
                                 "\"relation\":\"eq\"}}}",
                                 it),
                         "timed out"));
  /* not an object at all */
  one_bad("3", it);
  one_bad("null", it);
  one_bad("[]", it);
  /* control characters in a reason are not passed on */
  assert_null(strchr(one_bad("{\"error\":{\"type\":\"x\",\"reason\":\"a\\nb"
                             "\\u001b[31m\"},\"status\":500}",
                             it),
                     '\n'));
  assert_null(strchr(it[1].why, '\x1b'));
}

static void test_parse_hostile_replies(void **state)
{
  static const char *const bad[] = {
      "[]",
      "\"responses\"",
      "{}",
      "{\"responses\":{}}",
      "{\"responses\":null}",
      /* fewer entries than searches: which is which cannot be told */
      "{\"responses\":[" ITEM_OK(1) "," ITEM_OK(2) "]}",
      /* more */
      "{\"responses\":[" ITEM_OK(1) "," ITEM_OK(2) "," ITEM_OK(3) "," ITEM_OK(
          4) "]}",
      ("{\"error\":{\"type\":\"illegal_argument_exception\",\"reason\":"
       "\"bad msearch\"},\"status\":400}"),
  };
  struct snm_es_count_item it[3];
  char msg[SNM_ERR_MSG_MAX];

  (void)state;
  for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
    memset(it, 0x5a, sizeof(it));
    assert_int_equal(parse(bad[k], it, 3, msg, sizeof(msg)), SNM_EPARSE);
    assert_true(msg[0] != '\0');
    for (size_t i = 0; i < 3; i++) {
      assert_int_equal(it[i].count, -1);
      assert_true(it[i].why[0] != '\0');
    }
  }
  assert_int_equal(parse(bad[7], it, 3, msg, sizeof(msg)), SNM_EPARSE);
  assert_non_null(strstr(msg, "bad msearch"));
  assert_int_equal(parse(bad[5], it, 3, msg, sizeof(msg)), SNM_EPARSE);
  assert_non_null(strstr(msg, "2 for 3"));
  /* no JSON at all */
  assert_int_equal(parse("not json", it, 3, msg, sizeof(msg)), SNM_EPARSE);
  assert_int_equal(it[0].count, -1);
}

struct result {
  int called;
  int code;
  long long count;
};

static void on_done(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;
  struct snm_es_count_item it[1];
  struct snm_err perr;

  r->called++;
  r->code = err->code;
  r->count = -2;
  if (err->code == SNM_OK &&
      snm_es_parse_count_msearch(it, 1, reply->json, &perr) == 0)
    r->count = it[0].count;
}

static void test_request_ndjson(void **state)
{
  struct snm_standin *srv;
  struct snm_test_loop lp;
  struct snm_standin_reply ok = {
      .method = "POST",
      .path = "/_msearch",
      .status = 200,
      .headers = "Content-Type: application/json\r\n",
      .body = "{\"took\":1,\"responses\":[" ITEM_OK(12) "]}"};
  struct snm_standin_request rq;
  const char *names[] = {"a"};
  struct snm_buf b;
  struct result r = {0};
  struct snm_err err;
  size_t taken;
  char *ct;

  (void)state;
  assert_int_equal(snm_standin_new(&srv), 0);
  snm_test_loop_init_es(&lp, snm_test_plan_src_dst(snm_standin_url(srv), NULL),
                        "src", NULL);
  assert_int_equal(snm_standin_add(srv, &ok), 0);
  snm_buf_init(&b, 0);
  assert_int_equal(
      snm_es_count_msearch_body(&b, &taken, names, 1, SNM_ES_MSEARCH_BODY_MAX),
      0);
  assert_int_equal(snm_es_request_ndjson(lp.es, "POST", "/_msearch",
                                         snm_buf_str(&b), SNM_HTTP_REPLAY_YES,
                                         on_done, &r, &err),
                   0);
  snm_test_loop_run_until(&lp, &r.called);
  assert_int_equal(r.code, SNM_OK);
  assert_int_equal(r.count, 12);
  assert_int_equal(snm_standin_request_get(srv, 0, &rq), 0);
  ct = snm_standin_request_header(&rq, "Content-Type");
  assert_non_null(ct);
  assert_string_equal(ct, "application/x-ndjson");
  assert_string_equal(rq.body, snm_buf_str(&b));
  free(ct);
  snm_standin_request_dispose(&rq);
  snm_buf_dispose(&b);
  snm_test_loop_done(&lp);
  assert_int_equal(snm_standin_free(srv), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_body_format),
      cmocka_unit_test(test_body_chunks),
      cmocka_unit_test(test_parse_ok),
      cmocka_unit_test(test_parse_hostile_items),
      cmocka_unit_test(test_parse_hostile_replies),
      cmocka_unit_test(test_request_ndjson),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
