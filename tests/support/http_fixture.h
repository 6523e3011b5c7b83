/* http_fixture.h - what the HTTP engine's unit tests (test_http_*.c)
 * share: a loop fixture with a faultsrv stand-in server, a completion
 * callback that records the outcome, a scripted faultsrv handler, a
 * signing hook that records what it was shown, and a retry observer.
 */
#ifndef SNM_HTTP_FIXTURE_H
#define SNM_HTTP_FIXTURE_H

#include "err.h"
#include "faultsrv.h"
#include "http.h"
#include "loop_fixture.h"

struct http_fx {
  struct snm_test_loop lp; /* lp.loop, lp.http */
  struct faultsrv *srv;    /* NULL: no server */
  char base[64];           /* "http://127.0.0.1:PORT" of srv */
};

/* The loop and engine (`opts` may be NULL) and, when `fn` is not NULL, a
 * faultsrv with handler `fn(data, ...)`. */
void http_fx_init(struct http_fx *fx, const struct snm_http_opts *opts,
                  faultsrv_handler fn, void *data);
void http_fx_run(struct http_fx *fx);
/* snm_test_loop_done, then stop the server: afterwards what the handler
 * recorded may be read. */
void http_fx_done(struct http_fx *fx);

/* The outcome of one call, as http_on_done records it. */
struct http_result {
  int called; /* times `done` ran: 1 */
  int code;
  long status;
  int attempts;
  char msg[SNM_ERR_MSG_MAX];
  char body[256];       /* the start of the body */
  char retry_after[32]; /* the reply's Retry-After, or "" */
};
/* snm_http_done_fn; `data` is a struct http_result. */
void http_on_done(struct snm_http_response *resp, const struct snm_err *err,
                  void *data);

/* Send `tmpl` (NULL: a GET; method NULL: GET) to fx->base + `path`, done
 * with http_on_done(r).  `call` may be NULL.  Asserts the send succeeds. */
void http_fx_send(struct http_fx *fx, const char *path,
                  const struct snm_http_request *tmpl, struct http_result *r,
                  struct snm_http_call **call);

/* faultsrv handler: 200 "ok N" for the N-th request. */
void http_reply_ok(void *data, const struct faultsrv_req *req,
                   struct faultsrv_reply *out);

/* faultsrv handler for a struct http_script: request i (i < 8) gets
 * statuses[i] (0: 200), headers[i] and actions[i]; later ones `then`.  The
 * body is "done".  Heads and bodies of the first 8 are recorded. */
#define HTTP_SCRIPT_MAX 8
struct http_script {
  int statuses[HTTP_SCRIPT_MAX];
  const char *headers[HTTP_SCRIPT_MAX];
  enum faultsrv_action actions[HTTP_SCRIPT_MAX];
  enum faultsrv_action then;
  char heads[HTTP_SCRIPT_MAX][2048]; /* request heads as received */
  char bodies[HTTP_SCRIPT_MAX][256];
};
void http_reply_script(void *data, const struct faultsrv_req *req,
                       struct faultsrv_reply *out);

/* A signing hook (snm_http_sign_fn, sign_data a struct http_signlog) that
 * records what it was shown, adds "X-Sig-Attempt: N", checks that unsafe
 * header names and values are refused, and fails on attempt `fail_at`
 * with SNM_EAUTH "no credentials for attempt N". */
struct http_signlog {
  int calls;
  int attempts[4];
  char host[64];
  char path[128];
  char query[64];
  char headers[256]; /* "Name: value|" each */
  char body[64];
  int fail_at; /* 0: never */
};
int http_sign_record(void *sign_data, const struct snm_http_sign_ctx *ctx,
                     struct snm_http_headers_out *add, struct snm_err *err);

/* A retry observer (opts.on_retry, retry_payload a struct http_retries)
 * that records the first 4 retries and, with `cancel`, cancels the call. */
struct http_retries {
  int n;
  long delay_ms[4];
  int from_retry_after[4];
  long status[4];
  int cancel;
};
void http_on_retry(struct snm_http_call *call,
                   const struct snm_http_retry_info *info, void *payload);

#endif
