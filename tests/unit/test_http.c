/* Unit tests for the HTTP engine (http.c) against faultsrv, a loopback
 * stand-in for HTTP faults a real server will not produce on demand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "err.h"
#include "faultsrv.h"
#include "http.h"
#include "http_int.h"
#include "log.h"

/* ---- fixture ------------------------------------------------------------ */

struct result {
  int called;
  int code;
  long status;
  int attempts;
  char msg[SNM_ERR_MSG_MAX];
  char body[256];
  char retry_after[32];
};

struct fx {
  uv_loop_t loop;
  uv_timer_t guard; /* fails the test if the loop is still busy at 20 s */
  struct snm_http *http;
  struct faultsrv *srv;
  char base[64]; /* http://127.0.0.1:PORT */
  int closed;    /* on_closed ran */
};

static void on_guard(uv_timer_t *t)
{
  (void)t;
  fail_msg("the loop did not finish within the deadline");
}

static void fx_init(struct fx *fx, const struct snm_http_opts *opts,
                    faultsrv_handler fn, void *data)
{
  struct snm_err err;

  memset(fx, 0, sizeof(*fx));
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  assert_int_equal(uv_timer_init(&fx->loop, &fx->guard), 0);
  assert_int_equal(uv_timer_start(&fx->guard, on_guard, 20000, 0), 0);
  uv_unref((uv_handle_t *)&fx->guard);
  assert_int_equal(snm_http_new(&fx->http, &fx->loop, opts, &err), 0);
  if (fn != NULL) {
    assert_int_equal(faultsrv_start(&fx->srv, fn, data), 0);
    snprintf(fx->base, sizeof(fx->base), "http://127.0.0.1:%d",
             faultsrv_port(fx->srv));
  }
}

static void on_closed(void *data)
{
  ((struct fx *)data)->closed = 1;
}

static void fx_run(struct fx *fx)
{
  uv_run(&fx->loop, UV_RUN_DEFAULT);
}

/* Close the engine (unless the test did), the server and the loop. */
static void fx_done(struct fx *fx)
{
  if (fx->http != NULL && !fx->closed)
    snm_http_close(fx->http, on_closed, fx);
  fx->http = NULL;
  uv_close((uv_handle_t *)&fx->guard, NULL);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(fx->closed, 1);
  faultsrv_stop(fx->srv);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

static void on_done(struct snm_http_response *resp, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;

  r->called++;
  r->code = err->code;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
  if (resp != NULL) {
    const char *ra = snm_http_response_header(resp, "retry-after");
    r->status = resp->status;
    r->attempts = resp->attempts;
    snprintf(r->body, sizeof(r->body), "%.*s", (int)resp->body_len, resp->body);
    assert_int_equal(resp->body[resp->body_len], '\0');
    if (ra != NULL)
      snprintf(r->retry_after, sizeof(r->retry_after), "%s", ra);
  }
}

static void send_get(struct fx *fx, const char *path,
                     const struct snm_http_request *tmpl, struct result *r,
                     struct snm_http_call **call)
{
  struct snm_http_request req;
  struct snm_err err;
  char url[256];

  if (tmpl != NULL)
    req = *tmpl;
  else
    memset(&req, 0, sizeof(req));
  if (req.method == NULL)
    req.method = "GET";
  snprintf(url, sizeof(url), "%s%s", fx->base, path);
  req.url = url;
  assert_int_equal(snm_http_send(fx->http, &req, on_done, r, call, &err), 0);
}

/* ---- handlers (run on the stand-in's thread) ---------------------------- */

static void reply_ok(void *data, const struct faultsrv_req *req,
                     struct faultsrv_reply *out)
{
  static char bodies[64][16];
  (void)data;
  snprintf(bodies[req->index % 64], 16, "ok %d", req->index);
  out->body = bodies[req->index % 64];
  out->body_len = strlen(out->body);
}

struct script {
  int statuses[8]; /* status of request i; 0 after the list: 200 */
  const char *headers[8];
  enum faultsrv_action actions[8]; /* action of request i (default reply) */
  enum faultsrv_action then;       /* action after the list */
  char heads[8][2048];             /* request heads as received */
  char bodies[8][256];
};

static void reply_script(void *data, const struct faultsrv_req *req,
                         struct faultsrv_reply *out)
{
  struct script *s = data;
  int i = req->index;

  if (i < 8) {
    snprintf(s->heads[i], sizeof(s->heads[i]), "%s", req->head);
    snprintf(s->bodies[i], sizeof(s->bodies[i]), "%.*s", (int)req->body_len,
             req->body);
    out->action = s->actions[i];
    out->status = s->statuses[i] != 0 ? s->statuses[i] : 200;
    out->headers = s->headers[i];
  } else {
    out->action = s->then;
  }
  out->body = "done";
  out->body_len = 4;
}

/* ---- tests -------------------------------------------------------------- */

static void test_concurrent_requests_share_connections(void **state)
{
  struct snm_http_opts opts = {.max_host_connections = 4};
  struct result r[50];
  struct fx fx;
  (void)state;

  memset(r, 0, sizeof(r));
  fx_init(&fx, &opts, reply_ok, NULL);
  for (int i = 0; i < 50; i++)
    send_get(&fx, "/_cluster/health", NULL, &r[i], NULL);
  fx_run(&fx);
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
  fx_done(&fx);
}

struct signlog {
  int calls;
  int attempts[4];
  char host[64];
  char path[128];
  char query[64];
  char headers[256];
  char body[64];
  int fail_at; /* attempt whose signing fails, 0: none */
};

static int sign_record(void *sign_data, const struct snm_http_sign_ctx *ctx,
                       struct snm_http_headers_out *add, struct snm_err *err)
{
  struct signlog *s = sign_data;
  char v[16];

  if (s->calls < 4)
    s->attempts[s->calls] = ctx->attempt;
  s->calls++;
  snprintf(s->host, sizeof(s->host), "%s", ctx->host);
  snprintf(s->path, sizeof(s->path), "%s", ctx->path);
  snprintf(s->query, sizeof(s->query), "%s", ctx->query);
  s->headers[0] = '\0';
  for (size_t i = 0; ctx->headers[i] != NULL; i++) {
    strncat(s->headers, ctx->headers[i],
            sizeof(s->headers) - strlen(s->headers) - 2);
    strcat(s->headers, "|");
  }
  snprintf(s->body, sizeof(s->body), "%.*s", (int)ctx->body_len,
           ctx->body != NULL ? (const char *)ctx->body : "");
  if (ctx->attempt == s->fail_at)
    return snm_err_set(err, SNM_EAUTH, "no credentials for attempt %d",
                       ctx->attempt);
  snprintf(v, sizeof(v), "%d", ctx->attempt);
  assert_int_equal(snm_http_headers_add(add, "X-Sig-Attempt", v), 0);
  assert_int_equal(snm_http_headers_add(add, "X-Bad", "a\r\nInjected: 1"),
                   SNM_EINVAL);
  assert_int_equal(snm_http_headers_add(add, "X Bad", "v"), SNM_EINVAL);
  assert_int_equal(snm_http_headers_add(add, "X\tBad", "v"), SNM_EINVAL);
  assert_int_equal(snm_http_headers_add(add, "", "v"), SNM_EINVAL);
  return 0;
}

static void test_503_then_200_is_retried_and_resigned(void **state)
{
  struct script sc = {.statuses = {503}};
  struct signlog sl = {0};
  struct snm_http_request req = {.max_attempts = 3,
                                 .backoff_base_ms = 1,
                                 .backoff_max_ms = 5,
                                 .sign = sign_record,
                                 .sign_data = &sl,
                                 .label = "source"};
  struct result r = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL, reply_script, &sc);
  send_get(&fx, "/_cat/indices", &req, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_OK);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 2);
  assert_int_equal(sl.calls, 2);
  assert_int_equal(sl.attempts[0], 1);
  assert_int_equal(sl.attempts[1], 2);
  assert_string_equal(sl.path, "/_cat/indices");
  fx_done(&fx);
  /* each attempt carried the headers its own signing produced */
  assert_non_null(strstr(sc.heads[0], "\r\nX-Sig-Attempt: 1\r\n"));
  assert_non_null(strstr(sc.heads[1], "\r\nX-Sig-Attempt: 2\r\n"));
  assert_null(strstr(sc.heads[1], "Injected"));
}

struct retries {
  int n;
  long delay_ms[4];
  int from_retry_after[4];
  long status[4];
  int cancel; /* cancel the call from the observer */
};

static void on_retry(struct snm_http_call *call,
                     const struct snm_http_retry_info *info, void *payload)
{
  struct retries *rt = payload;

  if (rt->n < 4) {
    rt->delay_ms[rt->n] = info->delay_ms;
    rt->from_retry_after[rt->n] = info->from_retry_after;
    rt->status[rt->n] = info->status;
  }
  rt->n++;
  if (rt->cancel)
    snm_http_cancel(call);
}

static void test_429_retry_after_is_honoured(void **state)
{
  struct script sc = {.statuses = {429}, .headers = {"Retry-After: 1\r\n"}};
  struct retries rt = {0};
  struct snm_http_opts opts = {.on_retry = on_retry, .retry_payload = &rt};
  struct snm_http_request req = {
      .max_attempts = 3, .backoff_base_ms = 1, .backoff_max_ms = 5000};
  struct result r = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, &opts, reply_script, &sc);
  send_get(&fx, "/", &req, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 2);
  assert_int_equal(rt.n, 1);
  assert_int_equal(rt.status[0], 429);
  assert_int_equal(rt.from_retry_after[0], 1);
  assert_int_equal(rt.delay_ms[0], 1000); /* not the 1..5000 ms backoff */
  fx_done(&fx);
}

static void test_retry_after_is_capped(void **state)
{
  struct script sc = {.statuses = {503, 503},
                      .headers = {"Retry-After: 30\r\n", "Retry-After: x\r\n"}};
  struct retries rt = {0};
  struct snm_http_opts opts = {.on_retry = on_retry, .retry_payload = &rt};
  struct snm_http_request req = {
      .max_attempts = 3, .backoff_base_ms = 1, .backoff_max_ms = 20};
  struct result r = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, &opts, reply_script, &sc);
  send_get(&fx, "/", &req, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(rt.n, 2);
  assert_int_equal(rt.from_retry_after[0], 1);
  assert_int_equal(rt.delay_ms[0], 20);
  /* unparseable Retry-After: jittered backoff, cap base*2 = 2 */
  assert_int_equal(rt.from_retry_after[1], 0);
  assert_in_range(rt.delay_ms[1], 0, 2);
  fx_done(&fx);
}

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
  struct script sc = {.statuses = {503}, .headers = {"Retry-After: 1\r\n"}};
  struct snm_http_request bad[] = {
      {.max_attempts = 3, .backoff_max_ms = -1, .label = "t"},
      {.backoff_base_ms = -250},
      {.connect_timeout_ms = -1},
      {.max_attempts = -2}};
  struct snm_http_request unlimited = {.timeout_ms = -1};
  struct result r = {0}, ok = {0};
  struct snm_http *h = NULL;
  struct snm_err err;
  struct fx fx;
  char url[128];
  (void)state;

  fx_init(&fx, NULL, reply_script, &sc);
  for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
    assert_int_equal(snm_http_new(&h, &fx.loop, &bad_opts[i], &err),
                     SNM_EINVAL);
    assert_null(h);
    assert_non_null(strstr(err.msg, "negative"));
  }
  snprintf(url, sizeof(url), "%s/x?X-Amz-Signature=abc", fx.base);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    bad[i].method = "GET";
    bad[i].url = url;
    snm_err_clear(&err);
    assert_int_equal(snm_http_send(fx.http, &bad[i], on_done, &r, NULL, &err),
                     SNM_EINVAL);
    assert_non_null(
        strstr(err.msg, "/x?X-Amz-Signature=" SNM_REDACTED ": negative "));
  }
  assert_non_null(strstr(err.msg, "negative max_attempts"));
  /* no limit on the reply time: fine (the 503 is retried after 1 s) */
  send_get(&fx, "/", &unlimited, &ok, NULL);
  fx_run(&fx);
  assert_int_equal(r.called, 0);
  assert_int_equal(ok.called, 1);
  assert_int_equal(ok.status, 200);
  fx_done(&fx);
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

static void test_timeout(void **state)
{
  struct script sc = {.then = FAULTSRV_HANG,
                      .actions = {FAULTSRV_HANG, FAULTSRV_HANG}};
  struct snm_http_request get = {.timeout_ms = 200,
                                 .max_attempts = 2,
                                 .backoff_base_ms = 1,
                                 .label = "source"};
  struct result r = {0};
  struct fx fx;
  char want[256];
  (void)state;

  fx_init(&fx, NULL, reply_script, &sc);
  send_get(&fx, "/slow", &get, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_ETIMEOUT);
  snprintf(want, sizeof(want),
           "source: GET %s/slow: no complete reply within 200 ms (after 2 "
           "attempts)",
           fx.base);
  assert_string_equal(r.msg, want);
  /* an idempotent request that timed out after it was sent is retried */
  assert_int_equal(faultsrv_requests(fx.srv), 2);
  fx_done(&fx);
}

static void test_timeout_post_not_replayed(void **state)
{
  struct script sc = {.then = FAULTSRV_HANG,
                      .actions = {FAULTSRV_HANG, FAULTSRV_HANG}};
  struct snm_http_request post = {.method = "POST",
                                  .body = "{}",
                                  .body_len = 2,
                                  .content_type = "application/json",
                                  .timeout_ms = 200,
                                  .max_attempts = 3,
                                  .backoff_base_ms = 1};
  struct result r = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL, reply_script, &sc);
  send_get(&fx, "/_snapshot/r/s", &post, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.code, SNM_ETIMEOUT);
  assert_null(strstr(r.msg, "attempts"));
  /* it may have run on the server: not sent again */
  assert_int_equal(faultsrv_requests(fx.srv), 1);
  fx_done(&fx);
}

static void test_reset_is_retried_then_fails(void **state)
{
  struct script sc = {.then = FAULTSRV_RESET,
                      .actions = {FAULTSRV_RESET, FAULTSRV_RESET,
                                  FAULTSRV_RESET, FAULTSRV_RESET}};
  struct snm_http_request req = {
      .max_attempts = 3, .backoff_base_ms = 1, .label = "target"};
  struct result r = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL, reply_script, &sc);
  send_get(&fx, "/_nodes", &req, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_ENET);
  assert_non_null(strstr(r.msg, "target: GET http://127.0.0.1:"));
  assert_non_null(strstr(r.msg, "/_nodes: connection reset by peer "
                                "(after 3 attempts)"));
  assert_true(faultsrv_requests(fx.srv) >= 3);
  fx_done(&fx);
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
  struct result fixed = {0}, chunked = {0}, fits = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, &opts, reply_big, NULL);
  send_get(&fx, "/big", NULL, &fixed, NULL);
  send_get(&fx, "/chunked", NULL, &chunked, NULL);
  send_get(&fx, "/fits", NULL, &fits, NULL);
  fx_run(&fx);
  assert_int_equal(fixed.code, SNM_EHTTP);
  assert_non_null(strstr(fixed.msg, "/big: reply larger than 1000 bytes"));
  assert_int_equal(chunked.code, SNM_EHTTP);
  assert_non_null(strstr(chunked.msg, "/chunked: reply larger than 1000"));
  assert_int_equal(fits.code, SNM_OK);
  assert_int_equal(fits.status, 200);
  fx_done(&fx);
}

static void test_connection_refused(void **state)
{
  struct snm_http_request req = {
      .max_attempts = 2, .backoff_base_ms = 1, .label = "source"};
  struct result r = {0};
  struct fx fx;
  char want[256];
  int port = faultsrv_closed_port();
  (void)state;

  assert_true(port > 0);
  fx_init(&fx, NULL, NULL, NULL);
  snprintf(fx.base, sizeof(fx.base), "http://127.0.0.1:%d", port);
  send_get(&fx, "/_cluster/health?X-Amz-Signature=abc123", &req, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_ENET);
  snprintf(want, sizeof(want),
           "source: GET http://127.0.0.1:%d/_cluster/health?X-Amz-Signature="
           "[REDACTED]: connection refused (after 2 attempts); is the domain "
           "reachable?",
           port);
  assert_string_equal(r.msg, want);
  fx_done(&fx);
}

/* Cancel a call once the stand-in has its request (condition + deadline). */
struct canceller {
  uv_timer_t t;
  struct fx *fx;
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
    snm_http_close(c->fx->http, on_closed, c->fx);
  } else {
    snm_http_cancel(c->call);
  }
}

static void test_cancel(void **state)
{
  struct script sc = {
      .statuses = {0, 503}, .actions = {FAULTSRV_HANG}, .then = FAULTSRV_HANG};
  struct retries rt = {.cancel = 1};
  struct snm_http_opts opts = {.on_retry = on_retry, .retry_payload = &rt};
  struct snm_http_request slow = {.backoff_base_ms = 10000,
                                  .backoff_max_ms = 10000};
  struct result now = {0}, sent = {0}, waiting = {0};
  struct snm_http_call *c_now, *c_sent, *c_waiting;
  struct canceller cc;
  struct fx fx;
  (void)state;

  fx_init(&fx, &opts, reply_script, &sc);
  /* request 0 hangs (cancelled when the server has it); request 1 gets a
   * 503 and is cancelled from the retry observer while backing off */
  send_get(&fx, "/hang", &slow, &sent, &c_sent);
  assert_non_null(c_sent);
  memset(&cc, 0, sizeof(cc));
  cc.fx = &fx;
  cc.call = c_sent;
  cc.want_requests = 1;
  uv_timer_init(&fx.loop, &cc.t);
  cc.t.data = &cc;
  uv_timer_start(&cc.t, on_check, 5, 5);
  fx_run(&fx); /* returns when request 0 was cancelled */
  assert_int_equal(sent.called, 1);
  assert_int_equal(sent.code, SNM_ECANCELED);
  assert_non_null(strstr(sent.msg, "/hang: canceled"));

  send_get(&fx, "/503", &slow, &waiting, &c_waiting);
  send_get(&fx, "/never", &slow, &now, &c_now);
  snm_http_cancel(c_now);          /* before it ever ran */
  assert_int_equal(now.called, 0); /* callbacks come from the loop */
  fx_run(&fx);
  assert_int_equal(now.called, 1);
  assert_int_equal(now.code, SNM_ECANCELED);
  assert_int_equal(waiting.called, 1);
  assert_int_equal(waiting.code, SNM_ECANCELED);
  assert_int_equal(rt.n, 1);
  assert_int_equal(faultsrv_requests(fx.srv), 2);
  fx_done(&fx);
}

static void test_close_with_requests_in_flight(void **state)
{
  struct script sc = {.statuses = {503},
                      .actions = {0, FAULTSRV_HANG, FAULTSRV_HANG,
                                  FAULTSRV_HANG, FAULTSRV_HANG},
                      .then = FAULTSRV_HANG};
  struct snm_http_request slow = {.backoff_base_ms = 10000,
                                  .backoff_max_ms = 10000};
  struct result r[5];
  struct canceller cc;
  struct fx fx;
  (void)state;

  memset(r, 0, sizeof(r));
  fx_init(&fx, NULL, reply_script, &sc);
  send_get(&fx, "/backoff", &slow, &r[0], NULL);
  for (int i = 1; i < 5; i++)
    send_get(&fx, "/hang", &slow, &r[i], NULL);
  memset(&cc, 0, sizeof(cc));
  cc.fx = &fx;
  cc.want_requests = 5;
  cc.close_engine = 1;
  uv_timer_init(&fx.loop, &cc.t);
  cc.t.data = &cc;
  uv_timer_start(&cc.t, on_check, 5, 5);
  fx_run(&fx);
  assert_int_equal(fx.closed, 1);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_ECANCELED);
  }
  fx.http = NULL;
  fx_done(&fx);
}

static void test_send_after_close_is_refused(void **state)
{
  struct snm_http_request req = {
      .method = "GET",
      .url = "http://127.0.0.1/_snapshot/r?X-Amz-Signature=abc",
      .label = "src"};
  struct result r = {0};
  struct snm_err err;
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL, NULL, NULL);
  snm_http_close(fx.http, on_closed, &fx);
  assert_int_equal(fx.closed, 0); /* from the loop, not from close */
  assert_int_equal(snm_http_send(fx.http, &req, on_done, &r, NULL, &err),
                   SNM_ECANCELED);
  /* named like every other message, the query's secrets redacted */
  assert_string_equal(err.msg, "src: GET http://127.0.0.1/_snapshot/r"
                               "?X-Amz-Signature=" SNM_REDACTED
                               ": the HTTP engine is closing");
  fx_run(&fx);
  assert_int_equal(r.called, 0);
  fx.http = NULL;
  fx_done(&fx);
}

static void test_exact_bytes_and_signing_view(void **state)
{
  struct script sc = {0};
  struct signlog sl = {0};
  const char *hdrs[] = {"Accept: application/json", NULL};
  struct snm_http_request req = {.method = "PUT",
                                 .headers = hdrs,
                                 .body = "{\"a\":1}",
                                 .body_len = 7,
                                 .content_type = "application/json",
                                 .sign = sign_record,
                                 .sign_data = &sl};
  const char *path = "/a%2Cb/*/_doc/..%2F/./x/../y";
  struct result r = {0};
  struct fx fx;
  char want[256];
  (void)state;

  fx_init(&fx, NULL, reply_script, &sc);
  snprintf(want, sizeof(want), "%s?q=%%2A&b=%%2f", path);
  send_get(&fx, want, &req, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.status, 200);
  /* what the signing hook saw */
  snprintf(want, sizeof(want), "127.0.0.1:%d", faultsrv_port(fx.srv));
  assert_string_equal(sl.host, want);
  assert_string_equal(sl.path, path);
  assert_string_equal(sl.query, "q=%2A&b=%2f");
  assert_string_equal(sl.headers, "Accept: application/json|Content-Type: "
                                  "application/json|");
  assert_string_equal(sl.body, "{\"a\":1}");
  fx_done(&fx);

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
  struct script sc = {0};
  struct snm_http_request head = {.method = "HEAD"};
  struct snm_http_request del = {.method = "DELETE"};
  struct snm_http_request post = {.method = "POST"};
  struct result r[3];
  struct fx fx;
  (void)state;

  memset(r, 0, sizeof(r));
  fx_init(&fx, &(struct snm_http_opts){.max_host_connections = 1}, reply_script,
          &sc);
  send_get(&fx, "/i", &head, &r[0], NULL);
  fx_run(&fx);
  send_get(&fx, "/i", &del, &r[1], NULL);
  fx_run(&fx);
  send_get(&fx, "/_refresh", &post, &r[2], NULL);
  fx_run(&fx);
  for (int i = 0; i < 3; i++) {
    if (r[i].code != SNM_OK)
      fail_msg("request %d: %s", i, r[i].msg);
    assert_int_equal(r[i].status, 200);
  }
  assert_string_equal(r[0].body, ""); /* HEAD: no body read */
  fx_done(&fx);
  assert_memory_equal(sc.heads[0], "HEAD /i HTTP/1.1\r\n", 18);
  assert_memory_equal(sc.heads[1], "DELETE /i HTTP/1.1\r\n", 20);
  assert_null(strstr(sc.heads[1], "Content-Length"));
  assert_memory_equal(sc.heads[2], "POST /_refresh HTTP/1.1\r\n", 25);
  assert_non_null(strstr(sc.heads[2], "\r\nContent-Length: 0\r\n"));
  assert_null(strstr(sc.heads[2], "Content-Type"));
}

static void test_trace_redacts_secrets(void **state)
{
  struct script sc = {0};
  const char *hdrs[] = {
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/"
      "us-east-1/es/aws4_request, SignedHeaders=host, Signature=deadbeef",
      "X-Amz-Security-Token: tok", NULL};
  struct snm_http_request req = {.headers = hdrs, .label = "source"};
  struct result r = {0};
  struct fx fx;
  char *trace = NULL;
  size_t trace_len = 0;
  FILE *fp;
  int level = snm_log_level();
  (void)state;

  fp = open_memstream(&trace, &trace_len);
  assert_non_null(fp);
  snm_log_set_stream(fp);
  snm_log_set_level(SNM_LOG_TRACE);
  fx_init(&fx, NULL, reply_script, &sc);
  send_get(&fx, "/trace", &req, &r, NULL);
  fx_run(&fx);
  fx_done(&fx);
  snm_log_set_level(level);
  snm_log_set_stream(NULL);
  fclose(fp);

  assert_int_equal(r.status, 200);
  /* the secrets reached the server but not the trace */
  assert_non_null(strstr(sc.heads[0], "Signature=deadbeef"));
  assert_non_null(strstr(sc.heads[0], "X-Amz-Security-Token: tok\r\n"));
  assert_non_null(strstr(trace, "source: > GET /trace HTTP/1.1"));
  assert_non_null(strstr(trace, "Authorization: AWS4-HMAC-SHA256 [REDACTED]"));
  assert_non_null(strstr(trace, "X-Amz-Security-Token: [REDACTED]"));
  assert_non_null(strstr(trace, "source: < HTTP/1.1 200 OK"));
  assert_null(strstr(trace, "deadbeef"));
  assert_null(strstr(trace, "tok"));
  free(trace);
}

static void test_invalid_requests_never_call_back(void **state)
{
  struct signlog sl = {.fail_at = 1};
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
                                      .sign = sign_record,
                                      .sign_data = &sl};
  struct result r = {0};
  struct snm_err err;
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL, NULL, NULL);
  for (size_t i = 0; i < sizeof(reqs) / sizeof(*reqs); i++) {
    snm_err_clear(&err);
    assert_int_equal(snm_http_send(fx.http, &reqs[i], on_done, &r, NULL, &err),
                     SNM_EINVAL);
    assert_int_equal(err.code, SNM_EINVAL);
    assert_null(strstr(err.msg, "pw"));
  }
  assert_int_equal(snm_http_send(fx.http, &signfail, on_done, &r, NULL, &err),
                   SNM_EAUTH);
  assert_string_equal(err.msg, "no credentials for attempt 1");
  fx_run(&fx);
  assert_int_equal(r.called, 0);
  fx_done(&fx);
}

static void test_sign_failure_on_retry_is_reported(void **state)
{
  struct script sc = {.statuses = {503}};
  struct signlog sl = {.fail_at = 2};
  struct snm_http_request req = {.max_attempts = 3,
                                 .backoff_base_ms = 1,
                                 .sign = sign_record,
                                 .sign_data = &sl};
  struct result r = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL, reply_script, &sc);
  send_get(&fx, "/", &req, &r, NULL);
  fx_run(&fx);
  assert_int_equal(r.called, 1);
  assert_int_equal(r.code, SNM_EAUTH);
  assert_string_equal(r.msg, "no credentials for attempt 2");
  assert_int_equal(faultsrv_requests(fx.srv), 1);
  fx_done(&fx);
}

/* A callback may start the next request and close the engine. */
struct chain {
  struct fx *fx;
  int step;
  struct result r;
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
    assert_int_equal(snm_http_send(ch->fx->http, &req, on_chain, ch, NULL, &e),
                     0);
  } else {
    snm_http_close(ch->fx->http, on_closed, ch->fx);
  }
}

static void test_callbacks_may_send_and_close(void **state)
{
  struct chain ch = {0};
  struct snm_http_request req = {.method = "GET"};
  struct snm_err err;
  struct fx fx;
  char url[128];
  (void)state;

  fx_init(&fx, NULL, reply_ok, NULL);
  ch.fx = &fx;
  snprintf(url, sizeof(url), "%s/step", fx.base);
  req.url = url;
  assert_int_equal(snm_http_send(fx.http, &req, on_chain, &ch, NULL, &err), 0);
  fx_run(&fx);
  assert_int_equal(ch.step, 3);
  assert_int_equal(fx.closed, 1);
  assert_int_equal(faultsrv_connections(fx.srv), 1);
  fx.http = NULL;
  fx_done(&fx);
}

/* If libcurl's socket callback fails, curl_multi_socket_action reports
 * CURLM_ABORTED_BY_CALLBACK and the transfers in the multi go nowhere:
 * each running call must still complete, once, with the reason. */
static void test_socket_callback_failure_fails_calls(void **state)
{
  struct snm_http_request req = {.max_attempts = 1, .label = "src"};
  struct result a = {0}, b = {0}, after = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL, reply_ok, NULL);
  fx.http->fail_sock_cb = 1; /* fault injection: the next sock_cb fails */
  send_get(&fx, "/a", &req, &a, NULL);
  send_get(&fx, "/b", &req, &b, NULL);
  fx_run(&fx);
  assert_int_equal(a.called, 1);
  assert_int_equal(b.called, 1);
  assert_int_equal(a.code, SNM_EIO);
  assert_non_null(strstr(a.msg, "src: GET http://127.0.0.1:"));
  assert_non_null(strstr(a.msg, "/a: HTTP engine failed: "));
  assert_int_equal(b.code, SNM_EIO);
  assert_non_null(strstr(b.msg, "HTTP engine failed: "));
  /* the engine is still usable */
  send_get(&fx, "/after", &req, &after, NULL);
  fx_run(&fx);
  assert_int_equal(after.called, 1);
  assert_int_equal(after.code, SNM_OK);
  assert_int_equal(after.status, 200);
  fx_done(&fx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_concurrent_requests_share_connections),
      cmocka_unit_test(test_503_then_200_is_retried_and_resigned),
      cmocka_unit_test(test_429_retry_after_is_honoured),
      cmocka_unit_test(test_retry_after_is_capped),
      cmocka_unit_test(test_backoff_and_retry_after_parsing),
      cmocka_unit_test(test_negative_options_are_refused),
      cmocka_unit_test(test_timeout),
      cmocka_unit_test(test_timeout_post_not_replayed),
      cmocka_unit_test(test_reset_is_retried_then_fails),
      cmocka_unit_test(test_reply_too_large),
      cmocka_unit_test(test_connection_refused),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_close_with_requests_in_flight),
      cmocka_unit_test(test_send_after_close_is_refused),
      cmocka_unit_test(test_exact_bytes_and_signing_view),
      cmocka_unit_test(test_methods_without_body),
      cmocka_unit_test(test_trace_redacts_secrets),
      cmocka_unit_test(test_invalid_requests_never_call_back),
      cmocka_unit_test(test_sign_failure_on_retry_is_reported),
      cmocka_unit_test(test_callbacks_may_send_and_close),
      cmocka_unit_test(test_socket_callback_failure_fails_calls),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
