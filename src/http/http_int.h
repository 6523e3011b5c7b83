/* http_int.h - internals shared by http.c, http_req.c and http_retry.c.
 * Not for use outside the HTTP engine (tests may use the pure helpers at
 * the bottom). */
#ifndef SNM_HTTP_INT_H
#define SNM_HTTP_INT_H

#include <curl/curl.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "secret.h"

/* A call's life: one dispatcher (http.c) moves it along. */
enum snm_http_call_state {
  CALL_RUNNING,  /* easy handle is in the multi */
  CALL_WAITING,  /* backing off; retry_timer armed */
  CALL_DONE,     /* result recorded; queued for its callback */
  CALL_REPORTED, /* callback running or ran; retry_timer closing */
};

/* One socket curl asked us to watch.  Freed in the poll's close callback. */
struct snm_http_sock {
  uv_poll_t poll;
  curl_socket_t fd;
  CURL *easy; /* transfer that last registered it; compared, never used */
  struct snm_http *h;
  struct snm_http_sock *next; /* h->socks: sockets still watched */
};

struct snm_http_headers_out {
  struct curl_slist *list; /* owned: appended to the attempt's list */
};

struct snm_http_call {
  struct snm_http *h;
  enum snm_http_call_state state;
  struct snm_http_call *prev, *next; /* h->calls: every call not reported */
  struct snm_http_call *qnext;       /* h->done_head queue */
  uv_timer_t retry_timer; /* backoff; the call is freed in its close cb */
  CURL *easy;             /* owned */

  /* copies of the request (all malloced, owned) */
  char *method;
  char *url;
  char *label;   /* "" when none */
  char *ca_file; /* NULL or copy */
  char *body;    /* NULL or body_len bytes */
  size_t body_len;
  char **headers;    /* NULL-terminated: the request's + Content-Type */
  char *scheme;      /* parsed from url */
  char *host_header; /* Host value sent */
  char *path;        /* exact */
  char *query;       /* exact, "" when none */
  long timeout_ms, connect_timeout_ms, backoff_base_ms, backoff_max_ms;
  int max_attempts;
  int insecure;
  int replayable;
  snm_http_sign_fn sign;
  void *sign_data;
  snm_http_done_fn done;
  void *data;
  /* Credentials this call sent (header values, presigned query values, of
   * every attempt so far): scrubbed from its replies and traces. */
  struct snm_secret_set secrets;

  /* per attempt */
  struct curl_slist *attempt_headers; /* owned; in use while RUNNING */
  struct snm_buf resp_body;           /* capped at max_response_bytes */
  struct snm_buf resp_head;           /* "name\0value\0" pairs */
  int too_large;                      /* body passed the cap */
  int sock_errno; /* SO_ERROR seen when libuv reported a poll error */
  int trace_out;  /* request body bytes traced so far */
  char errbuf[CURL_ERROR_SIZE];

  /* result */
  int attempts;
  uint64_t start_ns;
  long status;
  struct snm_err err; /* code SNM_OK when an HTTP reply is the result */
};

struct snm_http {
  uv_loop_t *loop;
  CURLM *multi;              /* owned; NULL once cleaned up */
  uv_timer_t timer;          /* CURLMOPT_TIMERFUNCTION */
  uv_idle_t dispatcher;      /* runs queued callbacks from the loop */
  struct snm_http_opts opts; /* defaults filled; user_agent copied */
  struct snm_http_sock *socks;
  struct snm_http_call *calls;     /* not yet reported */
  struct snm_http_call *done_head; /* queue of CALL_DONE */
  struct snm_http_call *done_tail;
  char **insecure_warned; /* labels warned about; malloced array */
  size_t n_insecure_warned;
  uint64_t rng; /* xorshift state for jitter */
  int in_curl;  /* > 0 while inside a curl_multi_* call */
  int closing;
  unsigned open_handles; /* uv handles not yet through their close cb */
  int fail_sock_cb;      /* tests: make the next N socket callbacks fail */
  void (*on_closed)(void *data);
  void *closed_data;
  struct snm_http_close_watch *watchers; /* told at snm_http_close */
};

/* http_req.c */
int snm_http__call_copy(struct snm_http_call *c, struct snm_http *h,
                        const struct snm_http_request *req,
                        struct snm_err *err);
void snm_http__call_dispose(struct snm_http_call *c);
/* Sign and configure the easy handle for the next attempt. */
int snm_http__attempt_prepare(struct snm_http_call *c, struct snm_err *err);
/* The attempt's transfer ended: scrub the reply body of every secret
 * (registry and c->secrets) before anything reads it, and trace it.
 * Returns 0, or SNM_ENOMEM (the body is then emptied: never handed out
 * unscrubbed). */
int snm_http__attempt_ended(struct snm_http_call *c);
/* Fill *resp from the finished attempt (headers parsed into `hdrs`, which
 * the caller frees). */
int snm_http__response_fill(struct snm_http_call *c,
                            struct snm_http_response *resp,
                            struct snm_http_header **hdrs);
/* Value of a header of the attempt's reply, or NULL. */
const char *snm_http__call_header(const struct snm_http_call *c,
                                  const char *name);
/* "label: METHOD url" for messages (no label when NULL or ""), secrets in
 * the query redacted. */
void snm_http__describe_req(struct snm_buf *out, const char *label,
                            const char *method, const char *url);
/* The same for a call. */
void snm_http__describe(const struct snm_http_call *c, struct snm_buf *out);
/* snm_err_set with "<label>: <METHOD> <url>: " before the message. */
int snm_http__call_err(const struct snm_http_call *c, struct snm_err *err,
                       int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* http_retry.c */
/* After an attempt ended with `rc`: record the result in c->err/c->status
 * and say whether to try again (1) and why (`reason`, static storage). */
int snm_http__classify(struct snm_http_call *c, CURLcode rc,
                       const char **reason);
/* Fill c->err for a transport failure that is final. */
void snm_http__fail(struct snm_http_call *c, CURLcode rc);

/* Pure helpers (unit-tested). */
/* Full-jitter backoff: random(0, min(max_ms, base_ms * 2^(attempt-1))),
 * with `r` a uniform 64-bit random number. */
long snm_http__backoff_ms(int attempt, long base_ms, long max_ms, uint64_t r);
/* Milliseconds a Retry-After value asks for (delta-seconds or HTTP-date
 * relative to `now`), or -1 when it cannot be parsed. */
long snm_http__retry_after_ms(const char *value, time_t now);
uint64_t snm_http__rand(uint64_t *state);

#endif
