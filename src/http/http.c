/* http.c - the engine: libcurl multi driven by a libuv loop, and the call
 * state machine (RUNNING -> WAITING -> RUNNING ... -> DONE -> REPORTED).
 *
 * libcurl calls sock_cb and timer_cb only from inside curl_multi_* calls;
 * they record what curl wants (start/stop a uv_poll, arm the uv_timer) and
 * never call back into the multi handle.  Finished transfers are collected
 * with curl_multi_info_read after every curl_multi_socket_action, and user
 * callbacks run from dispatch(), never while libcurl is on the stack.
 */
#include "http.h"
#include "http_int.h"
#include "log.h"

#include <assert.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_TOTAL_CONNECTIONS 16
#define DEFAULT_MAX_HOST_CONNECTIONS 8
#define DEFAULT_MAX_RESPONSE_BYTES ((size_t)64 << 20)
#define DEFAULT_TIMEOUT_MS 120000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_MAX_ATTEMPTS 3
#define DEFAULT_BACKOFF_BASE_MS 250L
#define DEFAULT_BACKOFF_MAX_MS 20000L

static void dispatch(struct snm_http *h);
static void on_idle(uv_idle_t *idle);

/* ---- engine teardown bookkeeping ---------------------------------------- */

static void handle_closed(struct snm_http *h)
{
  void (*on_closed)(void *);
  void *data;

  assert(h->open_handles > 0);
  if (--h->open_handles > 0 || !h->closing)
    return;
  on_closed = h->on_closed;
  data = h->closed_data;
  for (size_t i = 0; i < h->n_insecure_warned; i++)
    free(h->insecure_warned[i]);
  free(h->insecure_warned);
  free((char *)h->opts.user_agent);
  free(h);
  if (on_closed != NULL)
    on_closed(data);
}

static void on_engine_handle_closed(uv_handle_t *handle)
{
  handle_closed(handle->data);
}

/* ---- sockets ------------------------------------------------------------ */

static void on_sock_closed(uv_handle_t *handle)
{
  struct snm_http_sock *s = handle->data;
  struct snm_http *h = s->h;

  free(s);
  handle_closed(h);
}

static void sock_close(struct snm_http *h, struct snm_http_sock *s)
{
  struct snm_http_sock **pp;

  for (pp = &h->socks; *pp != NULL; pp = &(*pp)->next)
    if (*pp == s) {
      *pp = s->next;
      break;
    }
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static void drive(struct snm_http *h, curl_socket_t fd, int flags);

static void on_poll(uv_poll_t *poll, int status, int events)
{
  struct snm_http_sock *s = poll->data;
  int flags = 0;

  if (status < 0) {
    /* libuv says only UV_EBADF; keep the socket's own error for the
     * message ("connection reset by peer") */
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
        soerr != 0)
      for (struct snm_http_call *c = s->h->calls; c != NULL; c = c->next)
        if (c->easy == s->easy && c->state == CALL_RUNNING)
          c->sock_errno = soerr;
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  /* `s` may be closed during socket_action: pass copies */
  drive(s->h, s->fd, flags);
}

/* CURLMOPT_SOCKETFUNCTION: start, update or stop watching one socket.
 * One uv_poll per fd: a re-registration updates the existing handle. */
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                   void *socketp)
{
  struct snm_http *h = userp;
  struct snm_http_sock *s;
  int events = 0;

  (void)socketp;
  if (h->fail_sock_cb > 0 && what != CURL_POLL_REMOVE) {
    h->fail_sock_cb--; /* fault injection (tests) */
    return -1;
  }
  for (s = h->socks; s != NULL; s = s->next)
    if (s->fd == fd)
      break;
  if (what == CURL_POLL_REMOVE) {
    if (s != NULL)
      sock_close(h, s);
    return 0;
  }
  if (s == NULL) {
    s = calloc(1, sizeof(*s));
    if (s == NULL)
      return -1;
    if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
      free(s);
      return -1;
    }
    s->fd = fd;
    s->h = h;
    s->poll.data = s;
    s->next = h->socks;
    h->socks = s;
    h->open_handles++;
  }
  s->easy = easy;
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  if (uv_poll_start(&s->poll, events, on_poll) != 0)
    return -1;
  return 0;
}

/* ---- the multi timer ---------------------------------------------------- */

static void on_timer(uv_timer_t *timer)
{
  drive(timer->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: arm or stop the one timer. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
  struct snm_http *h = userp;

  (void)multi;
  if (timeout_ms < 0) {
    uv_timer_stop(&h->timer);
    return 0;
  }
  /* libuv 1.44 may run a 0 ms timer before polling for I/O; curl wants
   * "as soon as possible", which 1 ms is. */
  if (timeout_ms == 0)
    timeout_ms = 1;
  return uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0) == 0 ? 0
                                                                           : -1;
}

/* ---- the call state machine --------------------------------------------- */

static void call_unlink(struct snm_http_call *c)
{
  struct snm_http *h = c->h;

  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    h->calls = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

static void on_call_closed(uv_handle_t *handle)
{
  struct snm_http_call *c = handle->data;
  struct snm_http *h = c->h;

  snm_http__call_dispose(c);
  free(c);
  handle_closed(h);
}

/* Record a final result and queue the callback. */
static void call_complete(struct snm_http_call *c)
{
  struct snm_http *h = c->h;

  assert(c->state == CALL_RUNNING || c->state == CALL_WAITING);
  c->state = CALL_DONE;
  c->qnext = NULL;
  if (h->done_tail != NULL)
    h->done_tail->qnext = c;
  else
    h->done_head = c;
  h->done_tail = c;
  assert(!uv_is_closing((uv_handle_t *)&h->dispatcher));
  uv_idle_start(&h->dispatcher, on_idle);
}

static void cancel_result(struct snm_http_call *c)
{
  snm_http__call_err(c, &c->err, SNM_ECANCELED, "canceled");
}

/* Sign and hand the easy handle to the multi.  Returns 0 or SNM_E*. */
static int attempt_start(struct snm_http_call *c, struct snm_err *err)
{
  struct snm_http *h = c->h;
  CURLMcode mrc;
  int rc;

  c->attempts++;
  rc = snm_http__attempt_prepare(c, err);
  if (rc != 0)
    return rc;
  h->in_curl++;
  mrc = curl_multi_add_handle(h->multi, c->easy);
  h->in_curl--;
  if (mrc != CURLM_OK)
    return snm_http__call_err(
        c, err, mrc == CURLM_OUT_OF_MEMORY ? SNM_ENOMEM : SNM_EIO,
        "cannot start the transfer: %s", curl_multi_strerror(mrc));
  c->state = CALL_RUNNING;
  return 0;
}

static void on_retry_timer(uv_timer_t *timer)
{
  struct snm_http_call *c = timer->data;

  assert(c->state == CALL_WAITING);
  if (attempt_start(c, &c->err) != 0)
    call_complete(c);
}

static void schedule_retry(struct snm_http_call *c, const char *reason)
{
  struct snm_http *h = c->h;
  struct snm_http_retry_info info;
  long delay = -1;
  const char *ra;
  struct snm_buf what;

  memset(&info, 0, sizeof(info));
  if (c->status == 429 || c->status == 503) {
    ra = snm_http__call_header(c, "Retry-After");
    if (ra != NULL)
      delay = snm_http__retry_after_ms(ra, time(NULL));
  }
  if (delay >= 0) {
    info.from_retry_after = 1;
    if (delay > c->backoff_max_ms)
      delay = c->backoff_max_ms;
  } else {
    delay = snm_http__backoff_ms(c->attempts, c->backoff_base_ms,
                                 c->backoff_max_ms, snm_http__rand(&h->rng));
  }
  if (delay < 0) /* cannot happen with valid options; never wait forever */
    delay = 0;
  c->state = CALL_WAITING;
  uv_timer_start(&c->retry_timer, on_retry_timer, (uint64_t)delay, 0);

  snm_buf_init(&what, 0);
  snm_http__describe(c, &what);
  snm_log(SNM_LOG_DEBUG, "%s: %s; retrying in %ld ms (attempt %d of %d)",
          snm_buf_str(&what), reason, delay, c->attempts + 1, c->max_attempts);
  snm_buf_dispose(&what);

  if (h->opts.on_retry != NULL) {
    info.label = c->label;
    info.method = c->method;
    info.url = c->url;
    info.attempt = c->attempts;
    info.delay_ms = delay;
    info.status = c->status;
    info.reason = reason;
    h->opts.on_retry(c, &info, h->opts.retry_payload);
  }
}

/* An attempt's transfer ended (easy handle already out of the multi). */
static void attempt_ended(struct snm_http_call *c, CURLcode rc)
{
  const char *reason = "";
  int retry;

  /* nothing reads the reply before it is scrubbed */
  if (snm_http__attempt_ended(c) != 0) {
    snm_http__call_err(c, &c->err, SNM_ENOMEM,
                       "out of memory while scrubbing the reply");
    call_complete(c);
    return;
  }
  retry = snm_http__classify(c, rc, &reason);
  if (retry && c->attempts < c->max_attempts && !c->h->closing) {
    schedule_retry(c, reason);
    return;
  }
  if (rc != CURLE_OK)
    snm_http__fail(c, rc);
  call_complete(c);
}

/* Drain curl's finished transfers.  Called after every socket_action. */
static void collect(struct snm_http *h)
{
  CURLMsg *msg;
  int left;

  while (h->multi != NULL &&
         (msg = curl_multi_info_read(h->multi, &left)) != NULL) {
    struct snm_http_call *c = NULL;
    CURL *easy = msg->easy_handle;
    CURLcode rc = msg->data.result;

    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
    assert(c != NULL && c->easy == easy && c->state == CALL_RUNNING);
    h->in_curl++;
    curl_multi_remove_handle(h->multi, easy); /* invalidates msg */
    h->in_curl--;
    attempt_ended(c, rc);
  }
}

/* A curl multi handle with the engine's callbacks and limits, or NULL. */
static CURLM *multi_open(struct snm_http *h)
{
  CURLM *multi = curl_multi_init();

  if (multi == NULL)
    return NULL;
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, h);
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    h->opts.max_total_connections);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    h->opts.max_host_connections);
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, h->opts.max_total_connections);
  return multi;
}

/* Clean up the multi handle (closing its connections) and stop watching
 * its sockets and its timer. */
static void multi_close(struct snm_http *h)
{
  /* stop watching before curl closes the sockets it still caches */
  for (struct snm_http_sock *s = h->socks; s != NULL; s = s->next)
    uv_poll_stop(&s->poll);
  h->in_curl++;
  curl_multi_cleanup(h->multi); /* may call sock_cb with CURL_POLL_REMOVE */
  h->in_curl--;
  h->multi = NULL;
  while (h->socks != NULL)
    sock_close(h, h->socks);
  uv_timer_stop(&h->timer);
}

/* curl_multi_socket_action failed, e.g. with CURLM_ABORTED_BY_CALLBACK when
 * sock_cb or timer_cb could not do what curl asked: the multi handle is
 * dead (curl >= 7.84) and no transfer in it will make progress.  Fail every
 * running call now, rather than let it wait forever, and start over with a
 * new multi handle; calls backing off use it for their next attempt. */
static void engine_failed(struct snm_http *h, CURLMcode mrc)
{
  snm_log(SNM_LOG_DEBUG, "http: curl_multi_socket_action: %s",
          curl_multi_strerror(mrc));
  for (struct snm_http_call *c = h->calls; c != NULL; c = c->next) {
    if (c->state != CALL_RUNNING)
      continue;
    h->in_curl++;
    curl_multi_remove_handle(h->multi, c->easy);
    h->in_curl--;
    snm_http__call_err(c, &c->err, SNM_EIO, "HTTP engine failed: %s",
                       curl_multi_strerror(mrc));
    call_complete(c);
  }
  multi_close(h);
  /* NULL when out of memory: later attempts then fail to start */
  h->multi = multi_open(h);
}

static void drive(struct snm_http *h, curl_socket_t fd, int flags)
{
  CURLMcode mrc;
  int running;

  if (h->multi == NULL)
    return;
  h->in_curl++;
  mrc = curl_multi_socket_action(h->multi, fd, flags, &running);
  h->in_curl--;
  collect(h);
  if (mrc != CURLM_OK)
    engine_failed(h, mrc);
  dispatch(h);
}

/* Run queued callbacks.  Only from top-level loop callbacks. */
static void dispatch(struct snm_http *h)
{
  struct snm_http_call *c;

  while ((c = h->done_head) != NULL) {
    struct snm_http_response resp;
    struct snm_http_header *hdrs = NULL;

    h->done_head = c->qnext;
    if (h->done_head == NULL)
      h->done_tail = NULL;
    c->qnext = NULL;
    c->state = CALL_REPORTED;
    call_unlink(c);

    memset(&resp, 0, sizeof(resp));
    if (c->err.code == SNM_OK && snm_http__response_fill(c, &resp, &hdrs) != 0)
      snm_http__call_err(c, &c->err, SNM_ENOMEM, "out of memory for the reply");
    if (c->err.code == SNM_OK) {
      resp.attempts = c->attempts;
      resp.elapsed_s = (double)(uv_hrtime() - c->start_ns) / 1e9;
      c->done(&resp, &c->err, c->data);
    } else {
      c->done(NULL, &c->err, c->data);
    }
    free(resp.body);
    free(hdrs);
    uv_close((uv_handle_t *)&c->retry_timer, on_call_closed);
  }
  uv_idle_stop(&h->dispatcher);
  if (h->closing && h->calls == NULL &&
      !uv_is_closing((uv_handle_t *)&h->dispatcher))
    uv_close((uv_handle_t *)&h->dispatcher, on_engine_handle_closed);
}

static void on_idle(uv_idle_t *idle)
{
  dispatch(idle->data);
}

/* ---- public API --------------------------------------------------------- */

int snm_http_new(struct snm_http **out, uv_loop_t *loop,
                 const struct snm_http_opts *opts, struct snm_err *err)
{
  struct snm_http *h;
  int rc = 0;

  assert(out != NULL && loop != NULL);
  *out = NULL;
  /* a negative timeout_ms means "no limit"; nothing else may be negative */
  if (opts != NULL &&
      (opts->max_total_connections < 0 || opts->max_host_connections < 0 ||
       opts->connect_timeout_ms < 0 || opts->max_attempts < 0 ||
       opts->backoff_base_ms < 0 || opts->backoff_max_ms < 0))
    return snm_err_set(err, SNM_EINVAL,
                       "http: negative engine option (connections, "
                       "connect_timeout_ms, max_attempts or backoff)");
  h = calloc(1, sizeof(*h));
  if (h == NULL)
    return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  if (opts != NULL)
    h->opts = *opts;
  h->opts.user_agent = NULL;
  if (opts != NULL && opts->user_agent != NULL) {
    h->opts.user_agent = strdup(opts->user_agent);
    if (h->opts.user_agent == NULL) {
      rc = snm_err_set(err, SNM_ENOMEM, "http: out of memory");
      goto done;
    }
  }
#define SNM_DEFAULT(field, value)                                              \
  if (h->opts.field == 0)                                                      \
  h->opts.field = (value)
  SNM_DEFAULT(max_total_connections, DEFAULT_MAX_TOTAL_CONNECTIONS);
  SNM_DEFAULT(max_host_connections, DEFAULT_MAX_HOST_CONNECTIONS);
  SNM_DEFAULT(max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES);
  SNM_DEFAULT(timeout_ms, DEFAULT_TIMEOUT_MS);
  SNM_DEFAULT(connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
  SNM_DEFAULT(max_attempts, DEFAULT_MAX_ATTEMPTS);
  SNM_DEFAULT(backoff_base_ms, DEFAULT_BACKOFF_BASE_MS);
  SNM_DEFAULT(backoff_max_ms, DEFAULT_BACKOFF_MAX_MS);
#undef SNM_DEFAULT
  h->loop = loop;
  h->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)h;
  if (h->rng == 0)
    h->rng = 0x9e3779b97f4a7c15ULL;

  h->multi = multi_open(h);
  if (h->multi == NULL) {
    rc = snm_err_set(err, SNM_EIO, "http: cannot create a curl multi handle");
    goto done;
  }

  /* cannot fail on Unix: they only link the handle into the loop */
  uv_timer_init(loop, &h->timer);
  h->timer.data = h;
  uv_idle_init(loop, &h->dispatcher);
  h->dispatcher.data = h;
  h->open_handles = 2;

done:
  if (rc != 0) {
    if (h->multi != NULL)
      curl_multi_cleanup(h->multi);
    free((char *)h->opts.user_agent);
    free(h);
    return rc;
  }
  *out = h;
  return 0;
}

int snm_http_send(struct snm_http *h, const struct snm_http_request *req,
                  snm_http_done_fn done, void *data,
                  struct snm_http_call **out_call, struct snm_err *err)
{
  struct snm_http_call *c;
  int rc;

  assert(h != NULL && req != NULL && done != NULL);
  assert(h->in_curl == 0);
  if (out_call != NULL)
    *out_call = NULL;
  if (h->closing) {
    struct snm_buf what;
    snm_buf_init(&what, 0);
    snm_http__describe_req(&what, req->label,
                           req->method != NULL ? req->method : "?",
                           req->url != NULL ? req->url : "(no URL)");
    rc = snm_err_set(err, SNM_ECANCELED, "%s: the HTTP engine is closing",
                     snm_buf_str(&what));
    snm_buf_dispose(&what);
    return rc;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL)
    return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  c->h = h;
  c->done = done;
  c->data = data;
  rc = snm_http__call_copy(c, h, req, err);
  if (rc != 0) {
    snm_http__call_dispose(c);
    free(c);
    return rc;
  }
  c->start_ns = uv_hrtime();
  uv_timer_init(h->loop, &c->retry_timer);
  c->retry_timer.data = c;
  h->open_handles++;
  c->next = h->calls;
  if (h->calls != NULL)
    h->calls->prev = c;
  h->calls = c;

  rc = attempt_start(c, err);
  if (rc != 0) {
    c->state = CALL_REPORTED;
    call_unlink(c);
    uv_close((uv_handle_t *)&c->retry_timer, on_call_closed);
    return rc;
  }
  if (out_call != NULL)
    *out_call = c;
  return 0;
}

void snm_http_cancel(struct snm_http_call *c)
{
  struct snm_http *h;

  assert(c != NULL);
  h = c->h;
  assert(h->in_curl == 0);
  switch (c->state) {
  case CALL_RUNNING:
    h->in_curl++;
    curl_multi_remove_handle(h->multi, c->easy);
    h->in_curl--;
    cancel_result(c);
    call_complete(c);
    break;
  case CALL_WAITING:
    uv_timer_stop(&c->retry_timer);
    cancel_result(c);
    call_complete(c);
    break;
  case CALL_DONE:
    cancel_result(c); /* not reported yet: report the cancellation */
    break;
  case CALL_REPORTED:
    break; /* from its own callback */
  }
}

void snm_http_close(struct snm_http *h, void (*on_closed)(void *data),
                    void *data)
{
  struct snm_http_call *c;

  assert(h != NULL && !h->closing);
  assert(h->in_curl == 0);
  h->closing = 1;
  h->on_closed = on_closed;
  h->closed_data = data;

  while (h->watchers != NULL) {
    struct snm_http_close_watch *w = h->watchers;
    snm_http_unwatch_close(w);
    w->cb(w);
  }

  for (c = h->calls; c != NULL; c = c->next)
    if (c->state == CALL_RUNNING || c->state == CALL_WAITING)
      snm_http_cancel(c);

  multi_close(h);
  uv_close((uv_handle_t *)&h->timer, on_engine_handle_closed);

  if (h->done_head != NULL)
    uv_idle_start(&h->dispatcher, on_idle);
  else if (h->calls == NULL)
    uv_close((uv_handle_t *)&h->dispatcher, on_engine_handle_closed);
}

uv_loop_t *snm_http_loop(const struct snm_http *h)
{
  return h->loop;
}

void snm_http_watch_close(struct snm_http *h, struct snm_http_close_watch *w)
{
  assert(h != NULL && !h->closing && w->cb != NULL && w->h == NULL);
  w->h = h;
  w->prev = NULL;
  w->next = h->watchers;
  if (h->watchers != NULL)
    h->watchers->prev = w;
  h->watchers = w;
}

void snm_http_unwatch_close(struct snm_http_close_watch *w)
{
  if (w->h == NULL)
    return;
  if (w->prev != NULL)
    w->prev->next = w->next;
  else
    w->h->watchers = w->next;
  if (w->next != NULL)
    w->next->prev = w->prev;
  w->h = NULL;
  w->prev = w->next = NULL;
}
