/* Unit tests for the HTTP engine (http.c): retries.  Which failures are
 * retried (503, 429, resets) and which are not (a POST that may have run),
 * the backoff and Retry-After delays and their caps, and signing again for
 * every attempt.  The server is faultsrv, a loopback stand-in
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
#include <time.h>

#include "err.h"
#include "http_fixture.h"
#include "http_int.h"

static void test_503_then_200_is_retried_and_resigned(void **state)
{
  struct http_script sc = {.statuses = {503}};
  struct http_signlog sl = {0};
  struct snm_http_request req = {.max_attempts = 3,
                                 .backoff_base_ms = 1,
                                 .backoff_max_ms = 5,
                                 .sign = http_sign_record,
                                 .sign_data = &sl,
                                 .label = "source"};
  struct http_result r = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, NULL, http_reply_script, &sc);
  http_fx_send(&fx, "/_cat/indices", &req, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_OK);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 2);
  assert_int_equal(sl.calls, 2);
  assert_int_equal(sl.attempts[0], 1);
  assert_int_equal(sl.attempts[1], 2);
  assert_string_equal(sl.path, "/_cat/indices");
  http_fx_done(&fx);
  /* each attempt carried the headers its own signing produced */
  assert_non_null(strstr(sc.heads[0], "\r\nX-Sig-Attempt: 1\r\n"));
  assert_non_null(strstr(sc.heads[1], "\r\nX-Sig-Attempt: 2\r\n"));
  assert_null(strstr(sc.heads[1], "Injected"));
}

static void test_429_retry_after_is_honoured(void **state)
{
  struct http_script sc = {.statuses = {429},
                           .headers = {"Retry-After: 1\r\n"}};
  struct http_retries rt = {0};
  struct snm_http_opts opts = {.on_retry = http_on_retry, .retry_payload = &rt};
  struct snm_http_request req = {
      .max_attempts = 3, .backoff_base_ms = 1, .backoff_max_ms = 5000};
  struct http_result r = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, &opts, http_reply_script, &sc);
  http_fx_send(&fx, "/", &req, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 2);
  assert_int_equal(rt.n, 1);
  assert_int_equal(rt.status[0], 429);
  assert_int_equal(rt.from_retry_after[0], 1);
  assert_int_equal(rt.delay_ms[0], 1000); /* not the 1..5000 ms backoff */
  http_fx_done(&fx);
}

static void test_retry_after_is_capped(void **state)
{
  struct http_script sc = {
      .statuses = {503, 503},
      .headers = {"Retry-After: 30\r\n", "Retry-After: x\r\n"}};
  struct http_retries rt = {0};
  struct snm_http_opts opts = {.on_retry = http_on_retry, .retry_payload = &rt};
  struct snm_http_request req = {
      .max_attempts = 3, .backoff_base_ms = 1, .backoff_max_ms = 20};
  struct http_result r = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, &opts, http_reply_script, &sc);
  http_fx_send(&fx, "/", &req, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(rt.n, 2);
  assert_int_equal(rt.from_retry_after[0], 1);
  assert_int_equal(rt.delay_ms[0], 20);
  /* unparseable Retry-After: jittered backoff, cap base*2 = 2 */
  assert_int_equal(rt.from_retry_after[1], 0);
  assert_in_range(rt.delay_ms[1], 0, 2);
  http_fx_done(&fx);
}

static void test_backoff_and_retry_after_parsing(void **state)
{
  time_t now = time(NULL);
  char date[64];
  struct tm tm;
  uint64_t rng = 42;
  (void)state;

  /* full jitter: r % (cap + 1) with cap = min(max, base * 2^(n-1)) */
  assert_int_equal(snm_http__backoff_ms(1, 100, 5000, 0), 0);
  assert_int_equal(snm_http__backoff_ms(1, 100, 5000, 100), 100);
  assert_int_equal(snm_http__backoff_ms(1, 100, 5000, 101), 0);
  assert_int_equal(snm_http__backoff_ms(3, 100, 5000, 400), 400);
  assert_int_equal(snm_http__backoff_ms(3, 100, 5000, 401), 0);
  assert_int_equal(snm_http__backoff_ms(10, 100, 5000, 5000), 5000);
  assert_int_equal(snm_http__backoff_ms(60, 100, 5000, 5001), 0);
  for (int n = 1; n < 40; n++) {
    long cap = 100L << (n < 7 ? n - 1 : 6);
    long d = snm_http__backoff_ms(n, 100, 5000, snm_http__rand(&rng));
    assert_in_range(d, 0, cap < 5000 ? cap : 5000);
  }
  assert_int_equal(snm_http__retry_after_ms("1", now), 1000);
  assert_int_equal(snm_http__retry_after_ms(" 120 ", now), 120000);
  assert_int_equal(snm_http__retry_after_ms("1.5", now), -1);
  assert_int_equal(snm_http__retry_after_ms("soon", now), -1);
  assert_int_equal(snm_http__retry_after_ms("", now), -1);
  now -= now % 1; /* whole seconds */
  {
    time_t later = now + 7;
    gmtime_r(&later, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal(snm_http__retry_after_ms(date, now), 7000);
    later = now - 60;
    gmtime_r(&later, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal(snm_http__retry_after_ms(date, now), 0);
  }
}

static void test_reset_is_retried_then_fails(void **state)
{
  struct http_script sc = {.then = FAULTSRV_RESET,
                           .actions = {FAULTSRV_RESET, FAULTSRV_RESET,
                                       FAULTSRV_RESET, FAULTSRV_RESET}};
  struct snm_http_request req = {
      .max_attempts = 3, .backoff_base_ms = 1, .label = "target"};
  struct http_result r = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, NULL, http_reply_script, &sc);
  http_fx_send(&fx, "/_nodes", &req, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_ENET);
  assert_non_null(strstr(r.msg, "target: GET http://127.0.0.1:"));
  assert_non_null(strstr(r.msg, "/_nodes: connection reset by peer "
                                "(after 3 attempts)"));
  assert_true(faultsrv_requests(fx.srv) >= 3);
  http_fx_done(&fx);
}

static void test_timeout_post_not_replayed(void **state)
{
  struct http_script sc = {.then = FAULTSRV_HANG,
                           .actions = {FAULTSRV_HANG, FAULTSRV_HANG}};
  struct snm_http_request post = {.method = "POST",
                                  .body = "{}",
                                  .body_len = 2,
                                  .content_type = "application/json",
                                  .timeout_ms = 200,
                                  .max_attempts = 3,
                                  .backoff_base_ms = 1};
  struct http_result r = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, NULL, http_reply_script, &sc);
  http_fx_send(&fx, "/_snapshot/r/s", &post, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.code, SNM_ETIMEOUT);
  assert_null(strstr(r.msg, "attempts"));
  /* it may have run on the server: not sent again */
  assert_int_equal(faultsrv_requests(fx.srv), 1);
  http_fx_done(&fx);
}

static void test_sign_failure_on_retry_is_reported(void **state)
{
  struct http_script sc = {.statuses = {503}};
  struct http_signlog sl = {.fail_at = 2};
  struct snm_http_request req = {.max_attempts = 3,
                                 .backoff_base_ms = 1,
                                 .sign = http_sign_record,
                                 .sign_data = &sl};
  struct http_result r = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, NULL, http_reply_script, &sc);
  http_fx_send(&fx, "/", &req, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_EAUTH);
  assert_string_equal(r.msg, "no credentials for attempt 2");
  assert_int_equal(faultsrv_requests(fx.srv), 1);
  http_fx_done(&fx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_503_then_200_is_retried_and_resigned),
      cmocka_unit_test(test_429_retry_after_is_honoured),
      cmocka_unit_test(test_retry_after_is_capped),
      cmocka_unit_test(test_backoff_and_retry_after_parsing),
      cmocka_unit_test(test_reset_is_retried_then_fails),
      cmocka_unit_test(test_timeout_post_not_replayed),
      cmocka_unit_test(test_sign_failure_on_retry_is_reported),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
