/* http_fixture.c - see http_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http_fixture.h"

void http_fx_init(struct http_fx *fx, const struct snm_http_opts *opts,
                  faultsrv_handler fn, void *data)
{
  memset(fx, 0, sizeof(*fx));
  snm_test_loop_init(&fx->lp, opts);
  if (fn != NULL) {
    assert_int_equal(faultsrv_start(&fx->srv, fn, data), 0);
    snprintf(fx->base, sizeof(fx->base), "http://127.0.0.1:%d",
             faultsrv_port(fx->srv));
  }
}

void http_fx_run(struct http_fx *fx)
{
  snm_test_loop_run(&fx->lp);
}

void http_fx_done(struct http_fx *fx)
{
  snm_test_loop_done(&fx->lp);
  faultsrv_stop(fx->srv);
  fx->srv = NULL;
}

void http_on_done(struct snm_http_response *resp, const struct snm_err *err,
                  void *data)
{
  struct http_result *r = data;

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

void http_fx_send(struct http_fx *fx, const char *path,
                  const struct snm_http_request *tmpl, struct http_result *r,
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
  snm_err_clear(&err);
  if (snm_http_send(fx->lp.http, &req, http_on_done, r, call, &err) != 0)
    fail_msg("snm_http_send %s: %s", path, err.msg);
}

void http_reply_ok(void *data, const struct faultsrv_req *req,
                   struct faultsrv_reply *out)
{
  static char bodies[64][16];

  (void)data;
  snprintf(bodies[req->index % 64], 16, "ok %d", req->index);
  out->body = bodies[req->index % 64];
  out->body_len = strlen(out->body);
}

void http_reply_script(void *data, const struct faultsrv_req *req,
                       struct faultsrv_reply *out)
{
  struct http_script *s = data;
  int i = req->index;

  if (i < HTTP_SCRIPT_MAX) {
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

int http_sign_record(void *sign_data, const struct snm_http_sign_ctx *ctx,
                     struct snm_http_headers_out *add, struct snm_err *err)
{
  struct http_signlog *s = sign_data;
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

void http_on_retry(struct snm_http_call *call,
                   const struct snm_http_retry_info *info, void *payload)
{
  struct http_retries *rt = payload;

  if (rt->n < 4) {
    rt->delay_ms[rt->n] = info->delay_ms;
    rt->from_retry_after[rt->n] = info->from_retry_after;
    rt->status[rt->n] = info->status;
  }
  rt->n++;
  if (rt->cancel)
    snm_http_cancel(call);
}
