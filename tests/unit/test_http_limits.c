/* Unit tests for the HTTP engine (http.c): limits and failures.  Options
 * that are refused (negative delays and caps), the reply time limit, the
 * reply size cap, and a connection refused, each with the message the
 * user sees.  The server is faultsrv, a loopback stand-in
 * (tests/support/faultsrv.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http_fixture.h"
#include "secret.h"

/* A negative backoff_max_ms once clamped a Retry-After delay below zero;
 * cast to uint64_t the retry timer never fired and the call hung.
 * Negative options are refused up front; timeout_ms < 0 means no limit. */
static void test_negative_options_are_refused(void **state)
{
  static const struct snm_http_opts bad_opts[] = {{.backoff_max_ms = -1},
                                                  {.backoff_base_ms = -1},
                                                  {.connect_timeout_ms = -1},
                                                  {.max_attempts = -1},
                                                  {.max_host_connections = -1}};
  struct http_script sc = {.statuses = {503},
                           .headers = {"Retry-After: 1\r\n"}};
  struct snm_http_request bad[] = {
      {.max_attempts = 3, .backoff_max_ms = -1, .label = "t"},
      {.backoff_base_ms = -250},
      {.connect_timeout_ms = -1},
      {.max_attempts = -2}};
  struct snm_http_request unlimited = {.timeout_ms = -1};
  struct http_result r = {0}, ok = {0};
  struct snm_http *h = NULL;
  struct snm_err err;
  struct http_fx fx;
  char url[128];
  (void)state;

  http_fx_init(&fx, NULL, http_reply_script, &sc);
  for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
    assert_int_equal(snm_http_new(&h, &fx.lp.loop, &bad_opts[i], &err),
                     SNM_EINVAL);
    assert_null(h);
    assert_non_null(strstr(err.msg, "negative"));
  }
  snprintf(url, sizeof(url), "%s/x?X-Amz-Signature=abc", fx.base);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    bad[i].method = "GET";
    bad[i].url = url;
    snm_err_clear(&err);
    assert_int_equal(
        snm_http_send(fx.lp.http, &bad[i], http_on_done, &r, NULL, &err),
        SNM_EINVAL);
    assert_non_null(
        strstr(err.msg, "/x?X-Amz-Signature=" SNM_REDACTED ": negative "));
  }
  assert_non_null(strstr(err.msg, "negative max_attempts"));
  /* no limit on the reply time: fine (the 503 is retried after 1 s) */
  http_fx_send(&fx, "/", &unlimited, &ok, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.called, 0);
  assert_int_equal(ok.called, 1);
  assert_int_equal(ok.status, 200);
  http_fx_done(&fx);
}

static void test_timeout(void **state)
{
  struct http_script sc = {.then = FAULTSRV_HANG,
                           .actions = {FAULTSRV_HANG, FAULTSRV_HANG}};
  struct snm_http_request get = {.timeout_ms = 200,
                                 .max_attempts = 2,
                                 .backoff_base_ms = 1,
                                 .label = "source"};
  struct http_result r = {0};
  struct http_fx fx;
  char want[256];
  (void)state;

  http_fx_init(&fx, NULL, http_reply_script, &sc);
  http_fx_send(&fx, "/slow", &get, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_ETIMEOUT);
  snprintf(want, sizeof(want),
           "source: GET %s/slow: no complete reply within 200 ms (after 2 "
           "attempts)",
           fx.base);
  assert_string_equal(r.msg, want);
  /* an idempotent request that timed out after it was sent is retried */
  assert_int_equal(faultsrv_requests(fx.srv), 2);
  http_fx_done(&fx);
}

/* /big has a Content-Length, /chunked has none, /fits is exactly the cap */
static void reply_big(void *data, const struct faultsrv_req *req,
                      struct faultsrv_reply *out)
{
  (void)data;
  out->filler_len = strstr(req->head, "/fits") != NULL ? 1000 : 200000;
  out->chunked = strstr(req->head, "/chunked") != NULL;
}

static void test_reply_too_large(void **state)
{
  struct snm_http_opts opts = {.max_response_bytes = 1000};
  struct http_result fixed = {0}, chunked = {0}, fits = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, &opts, reply_big, NULL);
  http_fx_send(&fx, "/big", NULL, &fixed, NULL);
  http_fx_send(&fx, "/chunked", NULL, &chunked, NULL);
  http_fx_send(&fx, "/fits", NULL, &fits, NULL);
  http_fx_run(&fx);
  assert_int_equal(fixed.code, SNM_EHTTP);
  assert_non_null(strstr(fixed.msg, "/big: reply larger than 1000 bytes"));
  assert_int_equal(chunked.code, SNM_EHTTP);
  assert_non_null(strstr(chunked.msg, "/chunked: reply larger than 1000"));
  assert_int_equal(fits.code, SNM_OK);
  assert_int_equal(fits.status, 200);
  http_fx_done(&fx);
}

static void test_connection_refused(void **state)
{
  struct snm_http_request req = {
      .max_attempts = 2, .backoff_base_ms = 1, .label = "source"};
  struct http_result r = {0};
  struct http_fx fx;
  char want[256];
  int port = faultsrv_closed_port();
  (void)state;

  assert_true(port > 0);
  http_fx_init(&fx, NULL, NULL, NULL);
  snprintf(fx.base, sizeof(fx.base), "http://127.0.0.1:%d", port);
  http_fx_send(&fx, "/_cluster/health?X-Amz-Signature=abc123", &req, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_ENET);
  snprintf(want, sizeof(want),
           "source: GET http://127.0.0.1:%d/_cluster/health?X-Amz-Signature="
           "[REDACTED]: connection refused (after 2 attempts); is the domain "
           "reachable?",
           port);
  assert_string_equal(r.msg, want);
  http_fx_done(&fx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_negative_options_are_refused),
      cmocka_unit_test(test_timeout),
      cmocka_unit_test(test_reply_too_large),
      cmocka_unit_test(test_connection_refused),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
