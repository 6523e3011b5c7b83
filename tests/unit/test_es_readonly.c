/* Unit test of snm_es's read_only flag: anything but GET/HEAD is refused
 * before it is traced or sent, and the callback is never called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <string.h>
#include <uv.h>

#include "diag.h"
#include "es.h"
#include "http.h"
#include "plan.h"

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
  static const char text[] =
      "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
      "\"a\": {\"endpoint\": \"http://127.0.0.1:1\"},"
      "\"b\": {\"endpoint\": \"http://127.0.0.1:2\"}},"
      "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
      "{\"location\": \"/x\"}},"
      "\"snapshot\": {\"domain\": \"a\"}, \"restores\": [{\"domain\": \"b\"}]}";
  static const char *const methods[] = {"PUT", "POST", "DELETE", "PATCH",
                                        "get"};
  struct snm_diag_list diags;
  struct snm_plan *plan = NULL;
  struct snm_http *http;
  struct snm_es es;
  struct snm_err err;
  uv_loop_t loop;
  (void)state;

  snm_diag_list_init(&diags);
  assert_int_equal(
      snm_plan_parse(&plan, text, strlen(text), "t.json", &diags, &err), 0);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(snm_http_new(&http, &loop, NULL, &err), 0);
  assert_int_equal(snm_es_init(&es, &plan->domains[0], http, &err), 0);
  es.read_only = 1;
  es.trace = on_trace;
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
    snm_err_clear(&err);
    assert_int_equal(snm_es_request(&es, methods[i], "/_snapshot/r",
                                    "{\"type\":\"fs\"}", 0, on_done, NULL,
                                    &err),
                     SNM_EINVAL);
    assert_int_equal(err.code, SNM_EINVAL);
    assert_non_null(strstr(err.msg, "a: "));
    assert_non_null(strstr(err.msg, methods[i]));
    assert_non_null(strstr(err.msg, "refused"));
  }
  assert_int_equal(es.requests, 0);
  snm_http_close(http, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(traced, 0);
  assert_int_equal(called, 0);
  snm_es_dispose(&es);
  snm_plan_free(plan);
  snm_diag_list_dispose(&diags);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_only_refuses_writes),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
