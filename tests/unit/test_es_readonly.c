/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test of snm_es's read_only flag: anything but GET/HEAD is refused
 * before it is traced or sent, and the callback is never called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <string.h>

#include "es.h"
#include "loop_fixture.h"
#include "plan_fixture.h"

static int traced, called;

static void on_trace(const char *domain_id, const char *method,
                     const char *path, void *payload)
{
  (void)domain_id;
  (void)method;
  (void)path;
  (void)payload;
  traced++;
}

static void on_done(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  (void)reply;
  (void)err;
  (void)data;
  called++;
}

static void test_read_only_refuses_writes(void **state)
{
  static const char *const methods[] = {"PUT", "POST", "DELETE", "PATCH",
                                        "get"};
  struct snm_test_loop lp;
  struct snm_err err;
  (void)state;

  snm_test_loop_init_es(&lp, snm_test_plan_src_dst("http://127.0.0.1:2", NULL),
                        "src", NULL);
  lp.es->read_only = 1;
  lp.es->trace = on_trace;
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
    snm_err_clear(&err);
    assert_int_equal(snm_es_request(lp.es, methods[i], "/_snapshot/r",
                                    "{\"type\":\"fs\"}", 0, on_done, NULL,
                                    &err),
                     SNM_EINVAL);
    assert_int_equal(err.code, SNM_EINVAL);
    assert_non_null(strstr(err.msg, "src: "));
    assert_non_null(strstr(err.msg, methods[i]));
    assert_non_null(strstr(err.msg, "refused"));
  }
  /* POST is refused on any other path, /_msearch with a query too */
  {
    static const char *const paths[] = {"/_msearch?x=1", "/i/_msearch",
                                        "/_bulk", "/_msearch/template",
                                        "/i/_delete_by_query"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
      assert_int_equal(snm_es_request_ndjson(lp.es, "POST", paths[i], "{}\n", 0,
                                             on_done, NULL, &err),
                       SNM_EINVAL);
  }
  assert_int_equal(lp.es->requests, 0);
  assert_int_equal(traced, 0);
  /* the one POST that only reads: the batched counts' search */
  assert_int_equal(snm_es_request_ndjson(lp.es, "POST", "/_msearch", "{}\n{}\n",
                                         0, on_done, NULL, &err),
                   0);
  assert_int_equal(lp.es->requests, 1);
  assert_int_equal(traced, 1);
  snm_test_loop_done(&lp);
  assert_int_equal(called, 1); /* nothing listens: a transport failure */
}

/* The one rule (snm_es_may_send), which the transport applies too: the
 * metadata check's simulate POSTs are allowed on their exact paths only;
 * writes to the same APIs and their other forms are not. */
static void test_read_only_simulate_rule(void **state)
{
  static const struct {
    const char *method, *path;
    int ok;
  } cases[] = {
      {"POST", "/_index_template/_simulate", 1},
      {"POST", "/_ingest/pipeline/_simulate", 1},
      {"POST", "/_msearch", 1},
      {"GET", "/_index_template/x", 1},
      {"PUT", "/_index_template/_simulate", 0},
      {"PUT", "/_index_template/t?create=true", 0},
      {"PUT", "/_ingest/pipeline/p", 0},
      {"DELETE", "/_ingest/pipeline/_simulate", 0},
      {"POST", "/_index_template/_simulate/t", 0},
      {"POST", "/_index_template/_simulate_index/i", 0},
      {"POST", "/_index_template/_simulate?create=true", 0},
      {"POST", "/_ingest/pipeline/p/_simulate", 0},
      {"POST", "/_ingest/pipeline/_simulate?verbose", 0},
      {"POST", "/_index_template", 0},
      {"POST", "/_ingest/pipeline", 0},
  };
  struct snm_es es = {0};
  (void)state;

  es.read_only = 1;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (snm_es_may_send(&es, cases[i].method, cases[i].path) != cases[i].ok)
      fail_msg("%s %s: expected %s", cases[i].method, cases[i].path,
               cases[i].ok ? "allowed" : "refused");
  }
  es.read_only = 0;
  assert_true(snm_es_may_send(&es, "PUT", "/_ingest/pipeline/p"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_only_refuses_writes),
      cmocka_unit_test(test_read_only_simulate_rule),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
