/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: credentials a server quotes back (in an error or a 200 body,
 * or in a header) never come out of the HTTP engine: not in the reply the
 * caller sees, not in the -v -v trace.  The server is faultsrv's echo
 * handler, a loopback stand-in for a server that quotes its requests. */
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
#include "faultsrv.h"
#include "http.h"
#include "http_fixture.h"
#include "log.h"
#include "testutil.h"

/* What a SigV4 signer would add; the token is NOT registered anywhere: the
 * engine must know it from the request it sent. */
#define SIG "4f0c2b1e9d8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e"
#define AUTH                                                                   \
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/es/"             \
  "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "         \
  "Signature=" SIG
#define TOKEN                                                                  \
  "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQDk7example+token/"    \
  "with+base64/chars=="
/* base64("migrator:hunter2-password") */
#define BASIC_B64 "bWlncmF0b3I6aHVudGVyMi1wYXNzd29yZA=="
#define BASIC_PLAIN "migrator:hunter2-password"
#define PASSWORD "hunter2-password"

struct result {
  int called;
  int code;
  long status;
  char *body; /* malloced copy */
  char *echo; /* malloced copy of the X-Echo header, or NULL */
  char msg[SNM_ERR_MSG_MAX];
};

struct fx {
  struct http_fx h;          /* loop, engine, the echo server */
  struct faultsrv_echo echo; /* the server's handler */
  struct snm_test_log trace; /* the -v -v log */
};

static void fx_init(struct fx *fx, int status, int chunked,
                    const char *straddle)
{
  memset(fx, 0, sizeof(*fx));
  fx->echo.status = status;
  fx->echo.chunked = chunked;
  fx->echo.straddle = straddle;
  snm_test_log_start(&fx->trace, SNM_LOG_TRACE);
  http_fx_init(&fx->h, NULL, faultsrv_echo, &fx->echo);
}

/* Close everything; afterwards fx->trace.text holds the whole log. */
static void fx_done(struct fx *fx)
{
  http_fx_done(&fx->h);
  snm_test_log_stop(&fx->trace);
}

static void fx_dispose(struct fx *fx, struct result *r)
{
  faultsrv_echo_dispose(&fx->echo);
  free(fx->trace.text);
  free(r->body);
  free(r->echo);
  snm_log_clear_secrets();
}

static void on_done(struct snm_http_response *resp, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;
  const char *echo;

  r->called++;
  r->code = err->code;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
  if (resp == NULL)
    return;
  r->status = resp->status;
  r->body = strdup(resp->body);
  assert_non_null(r->body);
  assert_int_equal(strlen(r->body), resp->body_len);
  echo = snm_http_response_header(resp, "X-Echo");
  if (echo != NULL)
    r->echo = strdup(echo);
}

static int sign_sigv4(void *sign_data, const struct snm_http_sign_ctx *ctx,
                      struct snm_http_headers_out *add, struct snm_err *err)
{
  (void)sign_data;
  (void)ctx;
  (void)err;
  if (snm_http_headers_add(add, "X-Amz-Security-Token", TOKEN) != 0 ||
      snm_http_headers_add(add, "Authorization", AUTH) != 0)
    return SNM_ENOMEM;
  return 0;
}

static void send_and_wait(struct fx *fx, const char *path,
                          const struct snm_http_request *tmpl, struct result *r)
{
  struct snm_http_request req = *tmpl;
  struct snm_err err;
  char *url = malloc(strlen(fx->h.base) + strlen(path) + 1);

  assert_non_null(url);
  strcpy(url, fx->h.base);
  strcat(url, path);
  if (req.method == NULL)
    req.method = "GET";
  req.url = url;
  req.max_attempts = 1;
  assert_int_equal(snm_http_send(fx->h.lp.http, &req, on_done, r, NULL, &err),
                   0);
  free(url);
  snm_test_loop_run_until(&fx->h.lp, &r->called);
  assert_int_equal(r->called, 1);
  assert_int_equal(r->code, SNM_OK);
}

/* `secret` is nowhere the client shows: reply body, X-Echo, error
 * message, log. */
static void assert_hidden(const struct fx *fx, const struct result *r,
                          const char *secret)
{
  if (strstr(r->body, secret) != NULL)
    fail_msg("reply body shows \"%s\": %s", secret, r->body);
  if (r->echo != NULL && strstr(r->echo, secret) != NULL)
    fail_msg("X-Echo shows \"%s\": %s", secret, r->echo);
  if (strstr(r->msg, secret) != NULL)
    fail_msg("error shows \"%s\": %s", secret, r->msg);
  if (strstr(fx->trace.text, secret) != NULL)
    fail_msg("trace shows \"%s\": %s", secret, fx->trace.text);
}

static void test_echoed_sigv4_headers_are_scrubbed(void **state)
{
  static const int statuses[] = {403, 500, 200};
  (void)state;

  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    struct snm_http_request req = {.sign = sign_sigv4, .label = "source"};
    struct result r = {0};
    struct fx fx;

    fx_init(&fx, statuses[i], 0, NULL);
    send_and_wait(&fx, "/_cluster/health", &req, &r);
    fx_done(&fx);
    assert_int_equal(r.status, statuses[i]);
    /* the server did get them, and quoted them */
    assert_non_null(strstr(fx.echo.last_head, "Signature=" SIG));
    assert_non_null(strstr(fx.echo.last_head, TOKEN));
    assert_hidden(&fx, &r, SIG);
    assert_hidden(&fx, &r, TOKEN);
    assert_hidden(&fx, &r, "Credential=AKIDEXAMPLE/20240101");
    assert_non_null(strstr(r.body, "[REDACTED]"));
    assert_non_null(r.echo);
    assert_non_null(strstr(r.echo, "[REDACTED]"));
    /* the reply is otherwise intact */
    assert_non_null(strstr(r.body, "GET /_cluster/health HTTP/1.1"));
    assert_non_null(strstr(fx.trace.text, "source: < HTTP/1.1"));
    fx_dispose(&fx, &r);
  }
}

static void test_echoed_basic_auth_is_scrubbed(void **state)
{
  static const int statuses[] = {401, 200};
  const char *hdrs[] = {"Authorization: Basic " BASIC_B64, NULL};
  (void)state;

  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    struct snm_http_request req = {.headers = hdrs};
    struct result r = {0};
    struct fx fx;

    fx_init(&fx, statuses[i], 0, NULL);
    send_and_wait(&fx, "/", &req, &r);
    fx_done(&fx);
    assert_int_equal(r.status, statuses[i]);
    assert_non_null(strstr(fx.echo.last_head, BASIC_B64));
    assert_hidden(&fx, &r, BASIC_B64);
    assert_hidden(&fx, &r, BASIC_PLAIN);
    assert_hidden(&fx, &r, PASSWORD);
    assert_non_null(strstr(r.body, "decoded basic credentials: [REDACTED]"));
    fx_dispose(&fx, &r);
  }
}

/* A secret split over two chunks of the reply (two write callbacks) is
 * scrubbed as a whole. */
static void test_secret_across_chunks_is_scrubbed(void **state)
{
  struct snm_http_request req = {.sign = sign_sigv4};
  struct result r = {0};
  struct fx fx;
  char head[21], tail[21];
  (void)state;

  fx_init(&fx, 200, 1, TOKEN);
  send_and_wait(&fx, "/big", &req, &r);
  fx_done(&fx);
  assert_true(strlen(r.body) > 16384);
  /* the echo put the token's first 5 bytes in the first chunk */
  assert_memory_equal(r.body + 16384 - 5, "[REDACTED]", 10);
  memcpy(head, TOKEN, 20);
  head[20] = '\0';
  memcpy(tail, &TOKEN[strlen(TOKEN) - 20], 21);
  assert_hidden(&fx, &r, head);
  assert_hidden(&fx, &r, tail);
  assert_hidden(&fx, &r, SIG);
  fx_dispose(&fx, &r);
}

/* A presigned URL's signature and token, quoted from the request line. */
static void test_echoed_presigned_query_is_scrubbed(void **state)
{
  struct snm_http_request req = {0};
  struct result r = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, 403, 0, NULL);
  send_and_wait(&fx,
                "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-"
                "Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_"
                "request&X-Amz-Security-Token=FwoGZXIvYXdzEBYaDPresigned%2B"
                "Token%2Fvalue&X-Amz-Signature=" SIG,
                &req, &r);
  fx_done(&fx);
  assert_non_null(strstr(fx.echo.last_head, SIG));
  assert_hidden(&fx, &r, SIG);
  assert_hidden(&fx, &r, "FwoGZXIvYXdzEBYaDPresigned%2BToken%2Fvalue");
  assert_hidden(&fx, &r, "FwoGZXIvYXdzEBYaDPresigned+Token/value");
  fx_dispose(&fx, &r);
}

/* Registered secrets (from the credential chain, passwords) are scrubbed
 * from replies too. */
static void test_registered_secret_is_scrubbed_from_replies(void **state)
{
  const char *hdrs[] = {"X-Debug: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                        NULL};
  struct snm_http_request req = {.headers = hdrs};
  struct result r = {0};
  struct fx fx;
  (void)state;

  assert_int_equal(
      snm_log_add_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), 0);
  fx_init(&fx, 500, 0, NULL);
  send_and_wait(&fx, "/", &req, &r);
  fx_done(&fx);
  assert_hidden(&fx, &r, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  assert_hidden(&fx, &r, "bPxRfiCYEXAMPLEKEY");
  assert_non_null(strstr(r.body, "X-Debug: [REDACTED]"));
  fx_dispose(&fx, &r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_echoed_sigv4_headers_are_scrubbed),
      cmocka_unit_test(test_echoed_basic_auth_is_scrubbed),
      cmocka_unit_test(test_secret_across_chunks_is_scrubbed),
      cmocka_unit_test(test_echoed_presigned_query_is_scrubbed),
      cmocka_unit_test(test_registered_secret_is_scrubbed_from_replies),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
