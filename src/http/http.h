/* http.h - asynchronous HTTP/1.1 engine: one libcurl multi handle driven by
 * a caller's libuv loop.  It knows nothing about Elasticsearch.
 *
 * Threading: everything runs on the loop's thread; no function here may be
 * called from another thread.
 *
 * Callback rules (libuv's): if a function that takes a callback returns an
 * error, that callback is never called.  Otherwise it is called exactly once,
 * always from the loop (never from inside the function that took it).
 *
 * Lifetime:
 *   snm_http_new()   -> engine
 *   snm_http_send()  -> call; `done` runs once; the call handle is valid until
 *                       `done` returns
 *   snm_http_close() -> pending calls finish with SNM_ECANCELED, then every
 *                       uv handle is closed, the engine is freed and
 *                       `on_closed` runs.  The caller then runs the loop until
 *                       it returns and may `uv_loop_close()` it (== 0).
 *
 * Retries (see docs/http-engine.md): a call makes up to `max_attempts`
 * attempts.  Failures that are retried:
 *   - always: the connection could not be made (refused, unreachable, DNS,
 *     connect timeout) and HTTP 429 and 503 (the server refused the work);
 *   - only when the request is replayable (idempotent): connection reset or
 *     closed without a reply, a timeout after the request went out, HTTP 502
 *     and 504.
 * Between attempts the call sleeps random(0, min(max, base * 2^(n-1))) ms
 * (full jitter), or what `Retry-After` asks for, capped at `backoff_max_ms`.
 * The signing hook runs again before every attempt.
 */
#ifndef SNM_HTTP_H
#define SNM_HTTP_H

#include "err.h"

#include <stddef.h>
#include <uv.h>

struct snm_err;
struct snm_http;      /* engine: one per loop */
struct snm_http_call; /* one request in flight (all its attempts) */

/* Observer told of every retry the engine schedules (progress display,
 * tests).  Called from the loop; it must not free or close the engine but
 * may cancel `call`. */
struct snm_http_retry_info {
  const char *label;    /* request's label, "" when none */
  const char *method;   /* "GET", ... */
  const char *url;      /* as given (may hold a query: redact before print) */
  int attempt;          /* the attempt that just failed, 1-based */
  long delay_ms;        /* sleep before the next attempt */
  int from_retry_after; /* 1: delay_ms comes from the Retry-After header */
  long status;          /* HTTP status that failed, 0 for a transport error */
  const char *reason;   /* short cause: "connection refused", "HTTP 503" */
};
typedef void (*snm_http_retry_fn)(struct snm_http_call *call,
                                  const struct snm_http_retry_info *info,
                                  void *payload);

/* Engine options.  Zero fields take the default in brackets. */
struct snm_http_opts {
  long max_total_connections; /* [16] CURLMOPT_MAX_TOTAL_CONNECTIONS */
  long max_host_connections;  /* [8] CURLMOPT_MAX_HOST_CONNECTIONS */
  size_t max_response_bytes;  /* [64 MiB] a longer body fails the call */
  const char *user_agent;     /* [none: no User-Agent header]; copied */
  /* Request defaults, used when a request leaves the field 0: */
  long timeout_ms;            /* [120000] per attempt; < 0: no limit */
  long connect_timeout_ms;    /* [10000] per attempt */
  int max_attempts;           /* [3] */
  long backoff_base_ms;       /* [250] */
  long backoff_max_ms;        /* [20000] also caps Retry-After */
  snm_http_retry_fn on_retry; /* NULL or observer of scheduled retries */
  void *retry_payload;
};

/* Whether a request may be sent again after it may have reached the
 * server. */
enum snm_http_replay {
  SNM_HTTP_REPLAY_AUTO = 0, /* by method: GET HEAD PUT DELETE OPTIONS yes */
  SNM_HTTP_REPLAY_YES,      /* caller vouches: repeat after any retryable
                               failure (the "retry_unsafe" flag for POST) */
  SNM_HTTP_REPLAY_NO        /* repeat only when it provably did not run:
                               connect failure, 429, 503 (e.g. a PUT that
                               creates a snapshot) */
};

/* Headers the signing hook adds for one attempt. */
struct snm_http_headers_out;

/* What the signing hook sees: the request exactly as it will go out. */
struct snm_http_sign_ctx {
  const char *method; /* request-line method, e.g. "PUT" */
  const char *url;    /* the URL given to snm_http_send */
  const char *scheme; /* "http" or "https" (lower case) */
  const char *host;   /* the Host header the engine sends: the URL's host
                         as written (IPv6 in brackets) plus ":port" when the
                         URL names a port other than the scheme's default */
  const char *path;   /* path exactly as on the request line, "/" when the
                         URL has none; never decoded nor normalised */
  const char *query;  /* bytes after '?' exactly as sent, "" when none */
  const char *const *headers; /* NULL-terminated "Name: value" lines the
                                 engine sends besides Host and the hook's
                                 own: the request's headers, then
                                 "Content-Type: ..." when there is a body */
  const void *body; /* body bytes exactly as sent (NULL when body_len 0) */
  size_t body_len;
  int attempt; /* 1 for the first attempt */
};

/* Signing hook, called before each attempt (after the backoff sleep, so a
 * timestamp it adds is fresh).  It adds headers with
 * snm_http_headers_add().  Returns 0, or a negative SNM_E* code after
 * filling `err`; the call then fails with that error (from snm_http_send()
 * for the first attempt, through `done` for later ones). */
typedef int (*snm_http_sign_fn)(void *sign_data,
                                const struct snm_http_sign_ctx *ctx,
                                struct snm_http_headers_out *add,
                                struct snm_err *err);

/* Add "name: value" to the attempt's headers (both copied).  Returns 0,
 * SNM_EINVAL when the name is not an RFC 7230 token (empty, or holding
 * ':', a blank, a control character...) or the value holds CR or LF, or
 * SNM_ENOMEM. */
int snm_http_headers_add(struct snm_http_headers_out *out, const char *name,
                         const char *value) SNM_MUST_CHECK;

struct snm_http_request {
  const char *method; /* "GET", "HEAD", "PUT", "POST", "DELETE", ... */
  const char *url;    /* exact bytes of the request target: the caller has
                         already percent-encoded the path and query */
  const char *const *headers; /* NULL or NULL-terminated "Name: value" */
  const void *body;           /* NULL or body_len bytes */
  size_t body_len;
  const char *content_type; /* Content-Type of the body; required when
                               body_len > 0 */
  long timeout_ms;          /* per attempt; 0: engine default; < 0: none */
  long connect_timeout_ms;  /* 0: engine default */
  const char *ca_file;      /* NULL: system CA bundle; else PEM file */
  int insecure;             /* 1: skip TLS peer and host verification
                               (logs a warning once per label) */
  int max_attempts;         /* 0: engine default; 1: no retries */
  long backoff_base_ms;     /* 0: engine default */
  long backoff_max_ms;      /* 0: engine default */
  enum snm_http_replay replay;
  snm_http_sign_fn sign; /* NULL or signing hook */
  void *sign_data;       /* must outlive the call */
  const char *label;     /* NULL or e.g. "source": prefixes messages */
};

struct snm_http_header {
  const char *name;  /* as received */
  const char *value; /* leading/trailing blanks removed */
};

struct snm_http_response {
  long status;
  char *body;      /* engine-owned, NUL-terminated (never NULL); freed after
                      `done` returns unless `done` takes it by setting
                      body to NULL (then the callback owns the malloced
                      pointer) */
  size_t body_len; /* bytes before the NUL */
  const char *content_type;              /* NULL when absent */
  const struct snm_http_header *headers; /* final response's headers */
  size_t n_headers;
  int attempts;     /* attempts made, >= 1 */
  double elapsed_s; /* from snm_http_send to completion, backoffs included */
};

/* Value of the first response header `name` (case-insensitive), or NULL. */
const char *snm_http_response_header(const struct snm_http_response *resp,
                                     const char *name);

/* Completion callback, called exactly once per successful snm_http_send.
 * - An HTTP reply arrived (any status, after retries): err->code == SNM_OK,
 *   resp != NULL.
 * - Otherwise resp == NULL and err says why, naming label, method and URL:
 *   SNM_ENET (connect, reset, DNS, TLS; TLS verification failures suggest
 *   ca_file), SNM_ETIMEOUT, SNM_EHTTP with err->http_status set (the reply
 *   passed max_response_bytes: "reply larger than N bytes"), SNM_EIO
 *   (ca_file unreadable), SNM_ECANCELED (snm_http_cancel/snm_http_close), or
 *   what the signing hook returned.
 * `resp` and `err` are valid only during the callback.  The callback may
 * send new requests, cancel others, and close the engine. */
typedef void (*snm_http_done_fn)(struct snm_http_response *resp,
                                 const struct snm_err *err, void *data);

/* Create an engine on `loop` (which must outlive it).  `opts` may be NULL;
 * it is copied.  Returns 0, SNM_EINVAL when an option other than
 * timeout_ms is negative, SNM_ENOMEM, or SNM_EIO when libcurl or libuv
 * refuse (err filled).  curl_global_init() must have been called. */
int snm_http_new(struct snm_http **out, uv_loop_t *loop,
                 const struct snm_http_opts *opts, struct snm_err *err);

/* Start a request.  Everything `req` points to is copied (except
 * sign_data): the caller may free it when this returns.  The first
 * attempt's signing hook runs before this returns.
 * On success returns 0, stores the call in *out_call when out_call is not
 * NULL, and `done` will run once.  On failure returns SNM_EINVAL (bad
 * method, URL, header (the name must be an RFC 7230 token, with no blank
 * before the ':'), a body without content_type, or a negative
 * connect_timeout_ms, max_attempts or backoff_*), SNM_ENOMEM,
 * SNM_ECANCELED (engine closing) or the signing hook's error, fills `err`,
 * and `done` is never called. */
int snm_http_send(struct snm_http *h, const struct snm_http_request *req,
                  snm_http_done_fn done, void *data,
                  struct snm_http_call **out_call, struct snm_err *err);

/* Stop a call: its `done` runs once, later from the loop, with
 * SNM_ECANCELED (unless it already completed and is only waiting for its
 * callback, which then still reports SNM_ECANCELED).  A no-op when called
 * from the call's own `done`.  Never call it after `done` has returned. */
void snm_http_cancel(struct snm_http_call *call);

/* Close the engine: every pending call's `done` runs with SNM_ECANCELED,
 * connections are closed, uv handles are closed; then the engine is freed
 * and `on_closed(data)` (may be NULL) runs from the loop.  Call once.
 * Close watchers (below) are told first. */
void snm_http_close(struct snm_http *h, void (*on_closed)(void *data),
                    void *data);

/* The loop the engine runs on. */
uv_loop_t *snm_http_loop(const struct snm_http *h);

/* A close watcher, for a layer above that holds requests back before
 * sending them (es.c, while credentials are fetched) and so must learn
 * that the engine is closing before it may be freed.  Embedded in the
 * owner's struct; it must stay put while watching. */
struct snm_http_close_watch {
  void (*cb)(struct snm_http_close_watch *w); /* called once, from inside
                                                 snm_http_close; it must
                                                 not send (the engine is
                                                 closing) */
  void *data;                                 /* the owner's */
  /* private */
  struct snm_http *h; /* NULL: not watching (or already told) */
  struct snm_http_close_watch *prev, *next;
};

/* Start watching `h` (not closing yet); `w->cb` must be set.  The engine
 * forgets the watcher when it calls it. */
void snm_http_watch_close(struct snm_http *h, struct snm_http_close_watch *w);
/* Stop watching; a no-op when the watcher was already called (the engine
 * may be gone then) or never started. */
void snm_http_unwatch_close(struct snm_http_close_watch *w);

#endif
