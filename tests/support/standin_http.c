/* standin_http.c - the loopback HTTP/1.1 stand-in server (see the header).
 *
 * The test's thread only touches the script and the records, under
 * `mutex`; the server's thread owns the loop, the listener and the
 * connections.  Stopping is an uv_async_send; the loop then closes every
 * handle and uv_run returns. */
#include "standin_http.h"
#include "buf.h"

#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#define MAX_HEAD (64 * 1024)
#define MAX_REQUEST (16 * 1024 * 1024)

struct rule {
  struct rule *next;
  char *method; /* NULL or malloced */
  char *path;   /* NULL or malloced */
  int times;    /* 0: unlimited */
  int used;
  enum snm_standin_action action;
  unsigned delay_ms;
  int hold;
  int close_after;
  char *wire; /* malloced: the whole reply as sent */
  size_t wire_len;
  size_t head_len; /* bytes of wire before the body (for HEAD) */
};

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  struct snm_standin *s;
  struct conn *prev, *next; /* in s->conns */
  unsigned id;
  int open_handles; /* tcp + timer; freed at 0 */
  int closing;
  int busy;          /* a request is being answered (or never will be) */
  int sent_continue; /* "100 Continue" sent for the current request */
  struct snm_buf in; /* received, not yet consumed */
  /* the answer chosen for the current request */
  enum snm_standin_action action;
  char *wire; /* NULL or malloced */
  size_t wire_len;
  int close_after;
  unsigned delay_ms;
  int held; /* waiting for snm_standin_release */
};

struct write_req {
  uv_write_t req;
  struct conn *c;
  char *data; /* malloced */
  int final;  /* the reply to a request, not a "100 Continue" */
};

struct snm_standin {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t stop;
  uv_async_t release; /* snm_standin_release: act on held requests */
  uv_thread_t thread;
  uv_mutex_t mutex; /* guards everything below up to `conns` */
  uv_cond_t cond;   /* signalled when a request is recorded */
  struct rule *rules;
  struct snm_standin_request *records; /* malloced array */
  size_t n_records;
  size_t n_conns;
  int gate_open;      /* snm_standin_release was called */
  struct conn *conns; /* server thread only */
  unsigned next_id;
  int port;
  char url[64];
};

/* ---- small helpers ---- */

static char *dup_or_null(const char *s)
{
  return s != NULL ? strdup(s) : NULL;
}

static const char *find_crlf2(const char *p, size_t n)
{
  for (size_t i = 0; i + 3 < n; i++)
    if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
        p[i + 3] == '\n')
      return p + i;
  return NULL;
}

/* Value of header `name` in a block of "Name: value\r\n" lines. */
static int header_value(const char *block, const char *name, const char **value,
                        size_t *len)
{
  size_t nl = strlen(name);
  const char *line = block, *end, *v;

  while (*line != '\0') {
    end = strstr(line, "\r\n");
    if (end == NULL)
      end = line + strlen(line);
    if ((size_t)(end - line) > nl && line[nl] == ':' &&
        strncasecmp(line, name, nl) == 0) {
      v = line + nl + 1;
      while (v < end && (*v == ' ' || *v == '\t'))
        v++;
      while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
      *value = v;
      *len = (size_t)(end - v);
      return 1;
    }
    line = *end != '\0' ? end + 2 : end;
  }
  return 0;
}

static const char *reason(int status)
{
  static const struct {
    int status;
    const char *text;
  } reasons[] = {{200, "OK"},
                 {201, "Created"},
                 {204, "No Content"},
                 {400, "Bad Request"},
                 {401, "Unauthorized"},
                 {403, "Forbidden"},
                 {404, "Not Found"},
                 {429, "Too Many Requests"},
                 {500, "Internal Server Error"},
                 {502, "Bad Gateway"},
                 {503, "Service Unavailable"},
                 {504, "Gateway Timeout"}};

  for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
    if (reasons[i].status == status)
      return reasons[i].text;
  return "Status";
}

static int build_wire(struct rule *r, const struct snm_standin_reply *in)
{
  const char *hdrs = in->headers != NULL ? in->headers : "";
  const char *body = in->body != NULL ? in->body : "";
  const char *v;
  size_t vl, hl = strlen(hdrs);
  struct snm_buf b;
  int rc = 0;

  if (in->raw != NULL) {
    r->wire_len = in->raw_len != 0 ? in->raw_len : strlen(in->raw);
    r->wire = malloc(r->wire_len + 1);
    if (r->wire == NULL)
      return -1;
    memcpy(r->wire, in->raw, r->wire_len);
    r->head_len = r->wire_len;
    return 0;
  }
  snm_buf_init(&b, 0);
  rc |=
      snm_buf_printf(&b, "HTTP/1.1 %d %s\r\n", in->status, reason(in->status));
  if (!header_value(hdrs, "Content-Length", &v, &vl) &&
      !header_value(hdrs, "Transfer-Encoding", &v, &vl))
    rc |= snm_buf_printf(&b, "Content-Length: %zu\r\n", strlen(body));
  if (in->close_after && !header_value(hdrs, "Connection", &v, &vl))
    rc |= snm_buf_puts(&b, "Connection: close\r\n");
  rc |= snm_buf_puts(&b, hdrs);
  if (hl > 0 && (hl < 2 || strcmp(hdrs + hl - 2, "\r\n") != 0))
    rc |= snm_buf_puts(&b, "\r\n");
  rc |= snm_buf_puts(&b, "\r\n");
  r->head_len = b.len;
  rc |= snm_buf_puts(&b, body);
  if (rc != 0) {
    snm_buf_dispose(&b);
    return -1;
  }
  r->wire_len = b.len;
  r->wire = snm_buf_steal(&b);
  return r->wire != NULL ? 0 : -1;
}

static void rule_free(struct rule *r)
{
  free(r->method);
  free(r->path);
  free(r->wire);
  free(r);
}

static int path_matches(const char *pattern, const char *target)
{
  size_t n = strlen(pattern);

  if (n > 0 && pattern[n - 1] == '*')
    return strncmp(pattern, target, n - 1) == 0;
  return strcmp(pattern, target) == 0;
}

/* ---- connections (server thread) ---- */

static void process(struct conn *c);

static void on_conn_close(uv_handle_t *h)
{
  struct conn *c = h->data;

  if (--c->open_handles > 0)
    return;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    c->s->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  snm_buf_dispose(&c->in);
  free(c->wire);
  free(c);
}

static void conn_close(struct conn *c, int reset)
{
  if (c->closing)
    return;
  c->closing = 1;
  uv_close((uv_handle_t *)&c->timer, on_conn_close);
  if (!reset || uv_tcp_close_reset(&c->tcp, on_conn_close) != 0)
    uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

static void on_written(uv_write_t *req, int status)
{
  struct write_req *w = (struct write_req *)req;
  struct conn *c = w->c;
  int final = w->final;

  free(w->data);
  free(w);
  if (c->closing)
    return;
  if (status < 0) {
    conn_close(c, 0);
    return;
  }
  if (!final)
    return;
  c->busy = 0;
  if (c->close_after)
    conn_close(c, 0);
  else
    process(c);
}

static void send_bytes(struct conn *c, const char *data, size_t len, int final)
{
  struct write_req *w = calloc(1, sizeof(*w));
  uv_buf_t buf;

  if (w == NULL || (w->data = malloc(len ? len : 1)) == NULL) {
    free(w);
    conn_close(c, 0);
    return;
  }
  memcpy(w->data, data, len);
  w->c = c;
  w->final = final;
  buf = uv_buf_init(w->data, (unsigned)len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
    free(w->data);
    free(w);
    conn_close(c, 0);
  }
}

static void act(struct conn *c)
{
  switch (c->action) {
  case SNM_STANDIN_ANSWER:
    send_bytes(c, c->wire, c->wire_len, 1);
    break;
  case SNM_STANDIN_CLOSE:
    conn_close(c, 0);
    break;
  case SNM_STANDIN_RESET:
    conn_close(c, 1);
    break;
  case SNM_STANDIN_SILENT:
    break; /* stays busy: later requests on it are never answered */
  }
}

static void on_delay(uv_timer_t *t)
{
  act(t->data);
}

/* Decode a chunked body at p[0..n).  Returns 1 (complete, *used bytes),
 * 0 (need more) or -1 (malformed). */
static int dechunk(const char *p, size_t n, struct snm_buf *out, size_t *used)
{
  size_t pos = 0, size;
  const char *eol, *end;
  char *stop;

  for (;;) {
    eol = NULL;
    for (size_t i = pos; i + 1 < n; i++)
      if (p[i] == '\r' && p[i + 1] == '\n') {
        eol = p + i;
        break;
      }
    if (eol == NULL)
      return 0;
    if (!isxdigit((unsigned char)p[pos]))
      return -1;
    size = strtoul(p + pos, &stop, 16);
    if (stop > eol || (stop < eol && *stop != ';' && *stop != ' '))
      return -1;
    pos = (size_t)(eol - p) + 2;
    if (size == 0) {
      if (n >= pos + 2 && p[pos] == '\r' && p[pos + 1] == '\n') {
        *used = pos + 2;
        return 1;
      }
      end = find_crlf2(p + pos - 2, n - (pos - 2));
      if (end == NULL)
        return 0;
      *used = (size_t)(end - p) + 4;
      return 1;
    }
    if (n < pos + size + 2)
      return 0;
    if (p[pos + size] != '\r' || p[pos + size + 1] != '\n')
      return -1;
    if (snm_buf_append(out, p + pos, size) < 0)
      return -1;
    pos += size + 2;
  }
}

/* Try to take one complete request off c->in.  Returns 1 (rec filled,
 * *used bytes), 0 (need more), -1 (malformed). */
static int parse_request(struct conn *c, struct snm_standin_request *rec,
                         size_t *used, int *wants_continue)
{
  const char *p = c->in.data, *end, *eol, *sp1, *sp2, *v;
  size_t n = c->in.len, head, vl, cl = 0;
  struct snm_buf body;
  int chunked, r;

  *wants_continue = 0;
  if (p == NULL)
    return 0;
  end = find_crlf2(p, n);
  if (end == NULL)
    return n > MAX_HEAD ? -1 : 0;
  head = (size_t)(end - p) + 4;
  eol = strstr(p, "\r\n");
  if (eol == NULL || eol > end)
    return -1; /* a NUL byte in the head */
  sp1 = memchr(p, ' ', (size_t)(eol - p));
  sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
  if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
    return -1;
  memset(rec, 0, sizeof(*rec));
  rec->method = strndup(p, (size_t)(sp1 - p));
  rec->target = strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  rec->headers = strndup(eol + 2, (size_t)(end + 2 - (eol + 2)));
  if (rec->method == NULL || rec->target == NULL || rec->headers == NULL)
    goto bad;
  chunked = header_value(rec->headers, "Transfer-Encoding", &v, &vl) &&
            vl >= 7 && strncasecmp(v + vl - 7, "chunked", 7) == 0;
  if (!chunked && header_value(rec->headers, "Content-Length", &v, &vl)) {
    cl = strtoul(v, NULL, 10);
    if (cl > MAX_REQUEST)
      goto bad;
  }
  *wants_continue = header_value(rec->headers, "Expect", &v, &vl) && vl == 12 &&
                    strncasecmp(v, "100-continue", 12) == 0;
  snm_buf_init(&body, MAX_REQUEST);
  if (chunked) {
    r = dechunk(p + head, n - head, &body, used);
    if (r == 1)
      *used += head;
  } else {
    r = n - head >= cl ? 1 : 0;
    if (r == 1 && snm_buf_append(&body, p + head, cl) < 0)
      r = -1;
    *used = head + cl;
  }
  if (r != 1) {
    snm_buf_dispose(&body);
    snm_standin_request_dispose(rec);
    return r;
  }
  rec->body_len = body.len;
  rec->body = body.data != NULL ? snm_buf_steal(&body) : strdup("");
  snm_buf_dispose(&body);
  rec->conn = c->id;
  if (rec->body == NULL)
    goto bad;
  *wants_continue = 0;
  return 1;
bad:
  snm_standin_request_dispose(rec);
  return -1;
}

static int record(struct snm_standin *s, struct snm_standin_request *rec)
{
  struct snm_standin_request *n;

  n = realloc(s->records, (s->n_records + 1) * sizeof(*n));
  if (n == NULL)
    return -1;
  s->records = n;
  s->records[s->n_records++] = *rec;
  uv_cond_broadcast(&s->cond);
  return 0;
}

/* Choose the answer for `rec` (under the mutex). */
static void choose(struct conn *c, const struct snm_standin_request *rec)
{
  static const char not_found[] = "HTTP/1.1 404 Not Found\r\n"
                                  "Content-Length: 17\r\n\r\n"
                                  "no scripted reply";
  struct rule *r;
  int head = strcmp(rec->method, "HEAD") == 0;

  free(c->wire);
  c->wire = NULL;
  c->action = SNM_STANDIN_ANSWER;
  c->close_after = 0;
  c->delay_ms = 0;
  c->held = 0;
  for (r = c->s->rules; r != NULL; r = r->next) {
    if ((r->method == NULL || strcmp(r->method, rec->method) == 0) &&
        (r->path == NULL || path_matches(r->path, rec->target)) &&
        (r->times == 0 || r->used < r->times))
      break;
  }
  if (r == NULL) {
    c->wire_len = sizeof(not_found) - 1;
    c->wire = malloc(c->wire_len);
    if (c->wire != NULL)
      memcpy(c->wire, not_found, c->wire_len);
    return;
  }
  r->used++;
  c->action = r->action;
  c->close_after = r->close_after;
  c->wire_len = head ? r->head_len : r->wire_len;
  c->wire = malloc(c->wire_len ? c->wire_len : 1);
  if (c->wire != NULL)
    memcpy(c->wire, r->wire, c->wire_len);
  c->delay_ms = r->delay_ms;
  c->held = r->hold && !c->s->gate_open;
}

static void process(struct conn *c)
{
  static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n";
  static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
  struct snm_standin_request rec;
  struct snm_standin *s = c->s;
  size_t used = 0;
  int r, wants_continue, keep;
  const char *v;
  size_t vl;

  if (c->busy || c->closing)
    return;
  r = parse_request(c, &rec, &used, &wants_continue);
  if (r == 0) {
    if (wants_continue && !c->sent_continue) {
      c->sent_continue = 1;
      send_bytes(c, cont, sizeof(cont) - 1, 0);
    }
    return;
  }
  c->busy = 1;
  c->sent_continue = 0;
  if (r < 0) {
    c->action = SNM_STANDIN_ANSWER;
    c->close_after = 1;
    free(c->wire);
    c->wire_len = sizeof(bad) - 1;
    c->wire = malloc(c->wire_len);
    if (c->wire == NULL) {
      conn_close(c, 0);
      return;
    }
    memcpy(c->wire, bad, c->wire_len);
    act(c);
    return;
  }
  memmove(c->in.data, c->in.data + used, c->in.len - used);
  c->in.len -= used;
  c->in.data[c->in.len] = '\0';
  keep = !(header_value(rec.headers, "Connection", &v, &vl) && vl == 5 &&
           strncasecmp(v, "close", 5) == 0);

  uv_mutex_lock(&s->mutex);
  choose(c, &rec);
  if (record(s, &rec) < 0)
    snm_standin_request_dispose(&rec);
  uv_mutex_unlock(&s->mutex);

  if (!keep)
    c->close_after = 1;
  if (c->wire == NULL) {
    conn_close(c, 0);
    return;
  }
  if (c->held)
    return; /* on_release acts */
  if (c->delay_ms > 0)
    uv_timer_start(&c->timer, on_delay, c->delay_ms, 0);
  else
    act(c);
}

static void on_release(uv_async_t *a)
{
  struct snm_standin *s = a->data;

  for (struct conn *c = s->conns; c != NULL; c = c->next) {
    if (!c->held || c->closing)
      continue;
    c->held = 0;
    if (c->delay_ms > 0)
      uv_timer_start(&c->timer, on_delay, c->delay_ms, 0);
    else
      act(c);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  buf->base = malloc(suggested);
  buf->len = buf->base != NULL ? suggested : 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
  struct conn *c = stream->data;

  if (nread < 0) {
    conn_close(c, 0);
  } else if (nread > 0 && !c->closing) {
    if (snm_buf_append(&c->in, buf->base, (size_t)nread) < 0)
      conn_close(c, 0);
    else
      process(c);
  }
  free(buf->base);
}

static void on_connection(uv_stream_t *listener, int status)
{
  struct snm_standin *s = listener->data;
  struct conn *c;

  if (status < 0)
    return;
  c = calloc(1, sizeof(*c));
  if (c == NULL)
    return;
  c->s = s;
  snm_buf_init(&c->in, MAX_REQUEST + MAX_HEAD);
  uv_tcp_init(&s->loop, &c->tcp);
  uv_timer_init(&s->loop, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  c->open_handles = 2;
  c->next = s->conns;
  if (s->conns != NULL)
    s->conns->prev = c;
  s->conns = c;
  uv_mutex_lock(&s->mutex);
  c->id = ++s->next_id;
  s->n_conns++;
  uv_mutex_unlock(&s->mutex);
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
    conn_close(c, 0);
}

static void on_stop(uv_async_t *a)
{
  struct snm_standin *s = a->data;
  struct conn *c, *next;

  uv_close((uv_handle_t *)&s->listener, NULL);
  uv_close((uv_handle_t *)&s->stop, NULL);
  uv_close((uv_handle_t *)&s->release, NULL);
  for (c = s->conns; c != NULL; c = next) {
    next = c->next;
    conn_close(c, 0);
  }
}

static void run(void *arg)
{
  struct snm_standin *s = arg;

  uv_run(&s->loop, UV_RUN_DEFAULT);
}

/* ---- the public API (test thread) ---- */

int snm_standin_new(struct snm_standin **out)
{
  struct snm_standin *s;
  struct sockaddr_storage ss;
  struct sockaddr_in addr;
  int rc, len = sizeof(ss);

  *out = NULL;
  signal(SIGPIPE, SIG_IGN);
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return UV_ENOMEM;
  rc = uv_loop_init(&s->loop);
  if (rc < 0) {
    free(s);
    return rc;
  }
  uv_mutex_init(&s->mutex);
  uv_cond_init(&s->cond);
  uv_tcp_init(&s->loop, &s->listener);
  uv_async_init(&s->loop, &s->stop, on_stop);
  uv_async_init(&s->loop, &s->release, on_release);
  s->listener.data = s;
  s->stop.data = s;
  s->release.data = s;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
  if (rc == 0)
    rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
  if (rc == 0) {
    s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
    rc = uv_thread_create(&s->thread, run, s);
  }
  if (rc < 0) {
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_close((uv_handle_t *)&s->stop, NULL);
    uv_close((uv_handle_t *)&s->release, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    uv_cond_destroy(&s->cond);
    uv_mutex_destroy(&s->mutex);
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int snm_standin_free(struct snm_standin *s)
{
  int rc;

  if (s == NULL)
    return 0;
  uv_async_send(&s->stop);
  uv_thread_join(&s->thread);
  rc = uv_loop_close(&s->loop);
  snm_standin_clear(s);
  uv_cond_destroy(&s->cond);
  uv_mutex_destroy(&s->mutex);
  free(s);
  return rc;
}

int snm_standin_port(const struct snm_standin *s)
{
  return s->port;
}

const char *snm_standin_url(const struct snm_standin *s)
{
  return s->url;
}

int snm_standin_add(struct snm_standin *s, const struct snm_standin_reply *in)
{
  struct rule *r, **tail;

  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return -1;
  r->method = dup_or_null(in->method);
  r->path = dup_or_null(in->path);
  r->times = in->times;
  r->action = in->action;
  r->delay_ms = in->delay_ms;
  r->hold = in->hold;
  r->close_after = in->close_after;
  if ((in->method != NULL && r->method == NULL) ||
      (in->path != NULL && r->path == NULL) || build_wire(r, in) < 0) {
    rule_free(r);
    return -1;
  }
  uv_mutex_lock(&s->mutex);
  for (tail = &s->rules; *tail != NULL; tail = &(*tail)->next)
    ;
  *tail = r;
  uv_mutex_unlock(&s->mutex);
  return 0;
}

void snm_standin_clear(struct snm_standin *s)
{
  struct rule *r, *next;

  uv_mutex_lock(&s->mutex);
  for (r = s->rules; r != NULL; r = next) {
    next = r->next;
    rule_free(r);
  }
  s->rules = NULL;
  for (size_t i = 0; i < s->n_records; i++)
    snm_standin_request_dispose(&s->records[i]);
  free(s->records);
  s->records = NULL;
  s->n_records = 0;
  s->n_conns = 0;
  s->gate_open = 0;
  uv_mutex_unlock(&s->mutex);
}

void snm_standin_release(struct snm_standin *s)
{
  uv_mutex_lock(&s->mutex);
  s->gate_open = 1;
  uv_mutex_unlock(&s->mutex);
  uv_async_send(&s->release);
}

size_t snm_standin_request_count(struct snm_standin *s)
{
  size_t n;

  uv_mutex_lock(&s->mutex);
  n = s->n_records;
  uv_mutex_unlock(&s->mutex);
  return n;
}

size_t snm_standin_connection_count(struct snm_standin *s)
{
  size_t n;

  uv_mutex_lock(&s->mutex);
  n = s->n_conns;
  uv_mutex_unlock(&s->mutex);
  return n;
}

int snm_standin_wait_requests(struct snm_standin *s, size_t n,
                              unsigned timeout_ms)
{
  uint64_t deadline = uv_hrtime() + (uint64_t)timeout_ms * 1000000u, now;
  int rc = 0;

  uv_mutex_lock(&s->mutex);
  while (s->n_records < n) {
    now = uv_hrtime();
    if (now >= deadline) {
      rc = -1;
      break;
    }
    uv_cond_timedwait(&s->cond, &s->mutex, deadline - now);
  }
  uv_mutex_unlock(&s->mutex);
  return rc;
}

int snm_standin_request_get(struct snm_standin *s, size_t i,
                            struct snm_standin_request *out)
{
  const struct snm_standin_request *r;
  int rc = -1;

  memset(out, 0, sizeof(*out));
  uv_mutex_lock(&s->mutex);
  if (i < s->n_records) {
    r = &s->records[i];
    out->method = strdup(r->method);
    out->target = strdup(r->target);
    out->headers = strdup(r->headers);
    out->body = malloc(r->body_len + 1);
    if (out->body != NULL) {
      memcpy(out->body, r->body, r->body_len + 1);
      out->body_len = r->body_len;
    }
    out->conn = r->conn;
    rc = out->method && out->target && out->headers && out->body ? 0 : -1;
  }
  uv_mutex_unlock(&s->mutex);
  if (rc < 0)
    snm_standin_request_dispose(out);
  return rc;
}

void snm_standin_request_dispose(struct snm_standin_request *r)
{
  free(r->method);
  free(r->target);
  free(r->headers);
  free(r->body);
  memset(r, 0, sizeof(*r));
}

char *snm_standin_request_header(const struct snm_standin_request *r,
                                 const char *name)
{
  const char *v;
  size_t vl;

  if (r->headers == NULL || !header_value(r->headers, name, &v, &vl))
    return NULL;
  return strndup(v, vl);
}

int snm_standin_unused_port(void)
{
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  int fd, port = -1;

  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
      getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}
