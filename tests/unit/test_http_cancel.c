/* Unit tests for the HTTP engine (http.c): the life of calls and of the
 * engine.  Cancelling a call (before it runs, on the server, while it
 * backs off), closing the engine with calls in flight or from a callback,
 * sending after close, and calls failing once when libcurl's socket
 * callback fails.  The server is faultsrv, a loopback stand-in
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
#include <uv.h>

#include "err.h"
#include "http_fixture.h"
#include "http_int.h"
#include "secret.h"

/* Cancel a call once the stand-in has its request (condition + deadline). */
struct canceller {
  uv_timer_t t;
  struct http_fx *fx;
  struct snm_http_call *call;
  int want_requests;
  int close_engine; /* close the engine instead of cancelling */
};

static void on_check(uv_timer_t *t)
{
  struct canceller *c = t->data;

  if (faultsrv_requests(c->fx->srv) < c->want_requests)
    return; /* the 20 s guard bounds the wait */
  uv_timer_stop(t);
  uv_close((uv_handle_t *)t, NULL);
  if (c->close_engine) {
    snm_test_loop_close_http(&c->fx->lp);
  } else {
    snm_http_cancel(c->call);
  }
}

static void test_cancel(void **state)
{
  struct http_script sc = {
      .statuses = {0, 503}, .actions = {FAULTSRV_HANG}, .then = FAULTSRV_HANG};
  struct http_retries rt = {.cancel = 1};
  struct snm_http_opts opts = {.on_retry = http_on_retry, .retry_payload = &rt};
  struct snm_http_request slow = {.backoff_base_ms = 10000,
                                  .backoff_max_ms = 10000};
  struct http_result now = {0}, sent = {0}, waiting = {0};
  struct snm_http_call *c_now, *c_sent, *c_waiting;
  struct canceller cc;
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, &opts, http_reply_script, &sc);
  /* request 0 hangs (cancelled when the server has it); request 1 gets a
   * 503 and is cancelled from the retry observer while backing off */
  http_fx_send(&fx, "/hang", &slow, &sent, &c_sent);
  assert_non_null(c_sent);
  memset(&cc, 0, sizeof(cc));
  cc.fx = &fx;
  cc.call = c_sent;
  cc.want_requests = 1;
  uv_timer_init(&fx.lp.loop, &cc.t);
  cc.t.data = &cc;
  uv_timer_start(&cc.t, on_check, 5, 5);
  http_fx_run(&fx); /* returns when request 0 was cancelled */
  assert_int_equal(sent.called, 1);
  assert_int_equal(sent.code, SNM_ECANCELED);
  assert_non_null(strstr(sent.msg, "/hang: canceled"));

  http_fx_send(&fx, "/503", &slow, &waiting, &c_waiting);
  http_fx_send(&fx, "/never", &slow, &now, &c_now);
  snm_http_cancel(c_now);          /* before it ever ran */
  assert_int_equal(now.called, 0); /* callbacks come from the loop */
  http_fx_run(&fx);
  assert_int_equal(now.called, 1);
  assert_int_equal(now.code, SNM_ECANCELED);
  assert_int_equal(waiting.called, 1);
  assert_int_equal(waiting.code, SNM_ECANCELED);
  assert_int_equal(rt.n, 1);
  assert_int_equal(faultsrv_requests(fx.srv), 2);
  http_fx_done(&fx);
}

static void test_close_with_requests_in_flight(void **state)
{
  struct http_script sc = {.statuses = {503},
                           .actions = {0, FAULTSRV_HANG, FAULTSRV_HANG,
                                       FAULTSRV_HANG, FAULTSRV_HANG},
                           .then = FAULTSRV_HANG};
  struct snm_http_request slow = {.backoff_base_ms = 10000,
                                  .backoff_max_ms = 10000};
  struct http_result r[5];
  struct canceller cc;
  struct http_fx fx;
  (void)state;

  memset(r, 0, sizeof(r));
  http_fx_init(&fx, NULL, http_reply_script, &sc);
  http_fx_send(&fx, "/backoff", &slow, &r[0], NULL);
  for (int i = 1; i < 5; i++)
    http_fx_send(&fx, "/hang", &slow, &r[i], NULL);
  memset(&cc, 0, sizeof(cc));
  cc.fx = &fx;
  cc.want_requests = 5;
  cc.close_engine = 1;
  uv_timer_init(&fx.lp.loop, &cc.t);
  cc.t.data = &cc;
  uv_timer_start(&cc.t, on_check, 5, 5);
  http_fx_run(&fx);
  assert_int_equal(fx.lp.http_closed, 1);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_ECANCELED);
  }
  http_fx_done(&fx);
}

static void test_send_after_close_is_refused(void **state)
{
  struct snm_http_request req = {
      .method = "GET",
      .url = "http://127.0.0.1/_snapshot/r?X-Amz-Signature=abc",
      .label = "src"};
  struct http_result r = {0};
  struct snm_err err;
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, NULL, NULL, NULL);
  snm_test_loop_close_http(&fx.lp);
  assert_int_equal(fx.lp.http_closed, 0); /* from the loop, not from close */
  assert_int_equal(
      snm_http_send(fx.lp.http, &req, http_on_done, &r, NULL, &err),
      SNM_ECANCELED);
  /* named like every other message, the query's secrets redacted */
  assert_string_equal(err.msg, "src: GET http://127.0.0.1/_snapshot/r"
                               "?X-Amz-Signature=" SNM_REDACTED
                               ": the HTTP engine is closing");
  http_fx_run(&fx);
  assert_int_equal(r.called, 0);
  http_fx_done(&fx);
}

/* A callback may start the next request and close the engine. */
struct chain {
  struct http_fx *fx;
  int step;
  struct http_result r;
};

static void on_chain(struct snm_http_response *resp, const struct snm_err *err,
                     void *data)
{
  struct chain *ch = data;

  assert_int_equal(err->code, SNM_OK);
  assert_int_equal(resp->status, 200);
  if (++ch->step < 3) {
    struct snm_http_request req = {.method = "GET"};
    struct snm_err e;
    char url[128];
    snprintf(url, sizeof(url), "%s/step", ch->fx->base);
    req.url = url;
    assert_int_equal(
        snm_http_send(ch->fx->lp.http, &req, on_chain, ch, NULL, &e), 0);
  } else {
    snm_test_loop_close_http(&ch->fx->lp);
  }
}

static void test_callbacks_may_send_and_close(void **state)
{
  struct chain ch = {0};
  struct snm_http_request req = {.method = "GET"};
  struct snm_err err;
  struct http_fx fx;
  char url[128];
  (void)state;

  http_fx_init(&fx, NULL, http_reply_ok, NULL);
  ch.fx = &fx;
  snprintf(url, sizeof(url), "%s/step", fx.base);
  req.url = url;
  assert_int_equal(snm_http_send(fx.lp.http, &req, on_chain, &ch, NULL, &err),
                   0);
  http_fx_run(&fx);
  assert_int_equal(ch.step, 3);
  assert_int_equal(fx.lp.http_closed, 1);
  assert_int_equal(faultsrv_connections(fx.srv), 1);
  http_fx_done(&fx);
}

/* If libcurl's socket callback fails, curl_multi_socket_action reports
 * CURLM_ABORTED_BY_CALLBACK and the transfers in the multi go nowhere:
 * each running call must still complete, once, with the reason. */
static void test_socket_callback_failure_fails_calls(void **state)
{
  struct snm_http_request req = {.max_attempts = 1, .label = "src"};
  struct http_result a = {0}, b = {0}, after = {0};
  struct http_fx fx;
  (void)state;

  http_fx_init(&fx, NULL, http_reply_ok, NULL);
  fx.lp.http->fail_sock_cb = 1; /* fault injection: the next sock_cb fails */
  http_fx_send(&fx, "/a", &req, &a, NULL);
  http_fx_send(&fx, "/b", &req, &b, NULL);
  http_fx_run(&fx);
  assert_int_equal(a.called, 1);
  assert_int_equal(b.called, 1);
  assert_int_equal(a.code, SNM_EIO);
  assert_non_null(strstr(a.msg, "src: GET http://127.0.0.1:"));
  assert_non_null(strstr(a.msg, "/a: HTTP engine failed: "));
  assert_int_equal(b.code, SNM_EIO);
  assert_non_null(strstr(b.msg, "HTTP engine failed: "));
  /* the engine is still usable */
  http_fx_send(&fx, "/after", &req, &after, NULL);
  http_fx_run(&fx);
  assert_int_equal(after.called, 1);
  assert_int_equal(after.code, SNM_OK);
  assert_int_equal(after.status, 200);
  http_fx_done(&fx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_close_with_requests_in_flight),
      cmocka_unit_test(test_send_after_close_is_refused),
      cmocka_unit_test(test_callbacks_may_send_and_close),
      cmocka_unit_test(test_socket_callback_failure_fails_calls),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
