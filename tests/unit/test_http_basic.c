/* Unit tests for the HTTP engine (http.c): requests and replies.  What
 * reaches the server byte for byte (methods, bodies, headers, what the
 * signing hook sees), connection reuse, requests refused before they are
 * sent, and the -v -v trace with its secrets redacted.  The server is
 * faultsrv, a loopback stand-in (tests/support/faultsrv.h). */
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
#include "log.h"
#include "testutil.h"

static void test_concurrent_requests_share_connections(void **state)
{
  struct snm_http_opts opts = {.max_host_connections = 4};
  struct http_result r[50];
  struct http_fx fx;
  (void)state;

  memset(r, 0, sizeof(r));
  http_fx_init(&fx, &opts, http_reply_ok, NULL);
  for (int i = 0; i < 50; i++)
    http_fx_send(&fx, "/_cluster/health", NULL, &r[i], NULL);
  http_fx_run(&fx);
  for (int i = 0; i < 50; i++) {
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_OK);
    assert_int_equal(r[i].status, 200);
    assert_int_equal(r[i].attempts, 1);
    assert_memory_equal(r[i].body, "ok ", 3);
  }
  assert_int_equal(faultsrv_requests(fx.srv), 50);
  /* keep-alive connections were reused, never more than the host limit */
  assert_true(faultsrv_connections(fx.srv) <= 4);
  http_fx_done(&fx);
}

static void test_exact_bytes_and_signing_view(void **state)
{
  struct http_script sc = {0};
  struct http_signlog sl = {0};
  const char *hdrs[] = {"Accept: application/json", NULL};
  struct snm_http_request req = {.method = "PUT",
                                 .headers = hdrs,
                                 .body = "{\"a\":1}",
                                 .body_len = 7,
                                 .content_type = "application/json",
                                 .sign = http_sign_record,
                                 .sign_data = &sl};
  const char *path = "/a%2Cb/*/_doc/..%2F/./x/../y";
  struct http_result r = {0};
  struct http_fx fx;
  char want[256];
  (void)state;

  http_fx_init(&fx, NULL, http_reply_script, &sc);
  snprintf(want, sizeof(want), "%s?q=%%2A&b=%%2f", path);
  http_fx_send(&fx, want, &req, &r, NULL);
  http_fx_run(&fx);
  assert_int_equal(r.status, 200);
  /* what the signing hook saw */
  snprintf(want, sizeof(want), "127.0.0.1:%d", faultsrv_port(fx.srv));
  assert_string_equal(sl.host, want);
  assert_string_equal(sl.path, path);
  assert_string_equal(sl.query, "q=%2A&b=%2f");
  assert_string_equal(sl.headers, "Accept: application/json|Content-Type: "
                                  "application/json|");
  assert_string_equal(sl.body, "{\"a\":1}");
  http_fx_done(&fx);

  /* what arrived, byte for byte */
  snprintf(want, sizeof(want), "PUT %s?q=%%2A&b=%%2f HTTP/1.1\r\n", path);
  assert_memory_equal(sc.heads[0], want, strlen(want));
  snprintf(want, sizeof(want), "\r\nHost: %s\r\n", sl.host);
  assert_non_null(strstr(sc.heads[0], want));
  assert_non_null(
      strstr(sc.heads[0], "\r\nContent-Type: application/json\r\n"));
  assert_non_null(strstr(sc.heads[0], "\r\nContent-Length: 7\r\n"));
  assert_non_null(strstr(sc.heads[0], "\r\nAccept: application/json\r\n"));
  assert_non_null(strstr(sc.heads[0], "\r\nX-Sig-Attempt: 1\r\n"));
  assert_null(strstr(sc.heads[0], "Expect"));
  assert_string_equal(sc.bodies[0], "{\"a\":1}");
}

static void test_methods_without_body(void **state)
{
  struct http_script sc = {0};
  struct snm_http_request head = {.method = "HEAD"};
  struct snm_http_request del = {.method = "DELETE"};
  struct snm_http_request post = {.method = "POST"};
  struct http_result r[3];
  struct http_fx fx;
  (void)state;

  memset(r, 0, sizeof(r));
  http_fx_init(&fx, &(struct snm_http_opts){.max_host_connections = 1},
               http_reply_script, &sc);
  http_fx_send(&fx, "/i", &head, &r[0], NULL);
  http_fx_run(&fx);
  http_fx_send(&fx, "/i", &del, &r[1], NULL);
  http_fx_run(&fx);
  http_fx_send(&fx, "/_refresh", &post, &r[2], NULL);
  http_fx_run(&fx);
  for (int i = 0; i < 3; i++) {
    if (r[i].code != SNM_OK)
      fail_msg("request %d: %s", i, r[i].msg);
    assert_int_equal(r[i].status, 200);
  }
  assert_string_equal(r[0].body, ""); /* HEAD: no body read */
  http_fx_done(&fx);
  assert_memory_equal(sc.heads[0], "HEAD /i HTTP/1.1\r\n", 18);
  assert_memory_equal(sc.heads[1], "DELETE /i HTTP/1.1\r\n", 20);
  assert_null(strstr(sc.heads[1], "Content-Length"));
  assert_memory_equal(sc.heads[2], "POST /_refresh HTTP/1.1\r\n", 25);
  assert_non_null(strstr(sc.heads[2], "\r\nContent-Length: 0\r\n"));
  assert_null(strstr(sc.heads[2], "Content-Type"));
}

static void test_invalid_requests_never_call_back(void **state)
{
  struct http_signlog sl = {.fail_at = 1};
  const char *host_hdr[] = {"Host: evil", NULL};
  const char *bad_hdr[] = {"NoColon", NULL};
  /* header names are RFC 7230 tokens: no blank, no control character */
  const char *space_hdr[] = {"X Foo: v", NULL};
  const char *blank_hdr[] = {"X-Foo : v", NULL};
  const char *ctl_hdr[] = {"X\001Foo: v", NULL};
  const char *empty_hdr[] = {": v", NULL};
  struct snm_http_request reqs[] = {
      {.method = "GET", .url = "http://127.0.0.1/a b"},
      {.method = "get", .url = "http://127.0.0.1/"},
      {.method = "GET", .url = "ftp://127.0.0.1/"},
      {.method = "GET", .url = "http://user:pw@127.0.0.1/"},
      {.method = "GET", .url = "http://127.0.0.1/#frag"},
      {.method = "GET", .url = "http://127.0.0.1/", .headers = host_hdr},
      {.method = "GET", .url = "http://127.0.0.1/", .headers = bad_hdr},
      {.method = "GET", .url = "http://127.0.0.1/", .headers = space_hdr},
      {.method = "GET", .url = "http://127.0.0.1/", .headers = blank_hdr},
      {.method = "GET", .url = "http://127.0.0.1/", .headers = ctl_hdr},
      {.method = "GET", .url = "http://127.0.0.1/", .headers = empty_hdr},
      {.method = "PUT", .url = "http://127.0.0.1/", .body = "x", .body_len = 1},
  };
  struct snm_http_request signfail = {.method = "GET",
                                      .url = "http://127.0.0.1:1/",
                                      .sign = http_sign_record,
                                      .sign_data = &sl};
  struct http_result r = {0};
  struct snm_err err;
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, NULL, NULL, NULL);
  for (size_t i = 0; i < sizeof(reqs) / sizeof(*reqs); i++) {
    snm_err_clear(&err);
    assert_int_equal(
        snm_http_send(fx.lp.http, &reqs[i], http_on_done, &r, NULL, &err),
        SNM_EINVAL);
    assert_int_equal(err.code, SNM_EINVAL);
    assert_null(strstr(err.msg, "pw"));
  }
  assert_int_equal(
      snm_http_send(fx.lp.http, &signfail, http_on_done, &r, NULL, &err),
      SNM_EAUTH);
  assert_string_equal(err.msg, "no credentials for attempt 1");
  http_fx_run(&fx);
  assert_int_equal(r.called, 0);
  http_fx_done(&fx);
}

static void test_trace_redacts_secrets(void **state)
{
  struct http_script sc = {0};
  const char *hdrs[] = {
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/"
      "us-east-1/es/aws4_request, SignedHeaders=host, Signature=deadbeef",
      "X-Amz-Security-Token: tok", NULL};
  struct snm_http_request req = {.headers = hdrs, .label = "source"};
  struct http_result r = {0};
  struct http_fx fx;
  struct snm_test_log trace;
  (void)state;

  snm_test_log_start(&trace, SNM_LOG_TRACE);
  http_fx_init(&fx, NULL, http_reply_script, &sc);
  http_fx_send(&fx, "/trace", &req, &r, NULL);
  http_fx_run(&fx);
  http_fx_done(&fx);
  snm_test_log_stop(&trace);

  assert_int_equal(r.status, 200);
  /* the secrets reached the server but not the trace */
  assert_non_null(strstr(sc.heads[0], "Signature=deadbeef"));
  assert_non_null(strstr(sc.heads[0], "X-Amz-Security-Token: tok\r\n"));
  assert_non_null(strstr(trace.text, "source: > GET /trace HTTP/1.1"));
  assert_non_null(
      strstr(trace.text, "Authorization: AWS4-HMAC-SHA256 [REDACTED]"));
  assert_non_null(strstr(trace.text, "X-Amz-Security-Token: [REDACTED]"));
  assert_non_null(strstr(trace.text, "source: < HTTP/1.1 200 OK"));
  assert_null(strstr(trace.text, "deadbeef"));
  assert_null(strstr(trace.text, "tok"));
  free(trace.text);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_concurrent_requests_share_connections),
      cmocka_unit_test(test_exact_bytes_and_signing_view),
      cmocka_unit_test(test_methods_without_body),
      cmocka_unit_test(test_invalid_requests_never_call_back),
      cmocka_unit_test(test_trace_redacts_secrets),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
