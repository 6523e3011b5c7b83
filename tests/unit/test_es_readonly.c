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
  assert_int_equal(lp.es->requests, 0);
  snm_test_loop_done(&lp);
  assert_int_equal(traced, 0);
  assert_int_equal(called, 0);
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
