/* http_req.c - one call's request: copying and checking what the caller
 * gave, the Host header and request target it will send, the easy handle's
 * options, the signing hook, reply capture, and the redacted trace. */
#include "http.h"
#include "http_int.h"
#include "token.h"
#include "log.h"

#include <assert.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TRACE_BODY_MAX 1024 /* body bytes traced per direction and attempt */
/* URLs in messages are shortened in the middle to about this many bytes,
 * so that the cause and the hint after them survive SNM_ERR_MSG_MAX. */
#define SNM_HTTP_URL_SHOWN_MAX 240

/* ---- small string helpers ----------------------------------------------- */

static int has_crlf(const char *s)
{
  return strpbrk(s, "\r\n") != NULL;
}

/* A header name the engine controls itself. */
static int reserved_header(const char *line)
{
  static const char *const names[] = {"host", "content-length",
                                      "transfer-encoding", "expect"};
  const char *colon = strchr(line, ':');
  size_t n = colon != NULL ? (size_t)(colon - line) : strlen(line);

  for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
    if (strlen(names[i]) == n && strncasecmp(line, names[i], n) == 0)
      return 1;
  return 0;
}

static int method_ok(const char *m)
{
  if (m == NULL || *m == '\0')
    return 0;
  for (; *m != '\0'; m++)
    if (!isupper((unsigned char)*m))
      return 0;
  return 1;
}

/* ---- URL -> scheme, Host header, path, query ---------------------------- */

/* Split `url` without decoding or normalising anything.  Returns 0 or
 * SNM_EINVAL / SNM_ENOMEM with `err` filled. */
static int parse_url(struct snm_http_call *c, struct snm_err *err)
{
  const char *url = c->url, *p, *auth, *auth_end, *host_end, *port = NULL;
  const char *q;
  size_t port_len = 0;
  const char *lbl = c->label[0] != '\0' ? c->label : "http";

  for (p = url; *p != '\0'; p++)
    if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
      return snm_err_set(err, SNM_EINVAL,
                         "%s: %s: the URL holds a space or control "
                         "character; percent-encode it",
                         lbl, c->method);
  p = strstr(url, "://");
  if (p == NULL)
    return snm_err_set(err, SNM_EINVAL, "%s: %s %s: not an http(s) URL", lbl,
                       c->method, url);
  c->scheme = strndup(url, (size_t)(p - url));
  if (c->scheme == NULL)
    return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  for (char *s = c->scheme; *s != '\0'; s++)
    *s = (char)tolower((unsigned char)*s);
  if (strcmp(c->scheme, "http") != 0 && strcmp(c->scheme, "https") != 0)
    return snm_err_set(err, SNM_EINVAL,
                       "%s: %s %s: scheme must be http or https", lbl,
                       c->method, url);
  if (strchr(url, '#') != NULL)
    return snm_err_set(err, SNM_EINVAL,
                       "%s: %s: the URL holds '#'; percent-encode it as %%23",
                       lbl, c->method);
  auth = p + 3;
  auth_end = auth + strcspn(auth, "/?");
  if (memchr(auth, '@', (size_t)(auth_end - auth)) != NULL)
    return snm_err_set(err, SNM_EINVAL,
                       "%s: %s: credentials in the URL are not supported; "
                       "send them in a header",
                       lbl, c->method);
  if (*auth == '[') {
    host_end = memchr(auth, ']', (size_t)(auth_end - auth));
    if (host_end == NULL)
      return snm_err_set(err, SNM_EINVAL, "%s: %s %s: bad IPv6 address", lbl,
                         c->method, url);
    host_end++;
  } else {
    host_end = memchr(auth, ':', (size_t)(auth_end - auth));
    if (host_end == NULL)
      host_end = auth_end;
  }
  if (host_end == auth)
    return snm_err_set(err, SNM_EINVAL, "%s: %s %s: no host in the URL", lbl,
                       c->method, url);
  if (host_end < auth_end) {
    if (*host_end != ':')
      return snm_err_set(err, SNM_EINVAL, "%s: %s %s: bad host in the URL", lbl,
                         c->method, url);
    port = host_end + 1;
    port_len = (size_t)(auth_end - port);
    for (size_t i = 0; i < port_len; i++)
      if (!isdigit((unsigned char)port[i]))
        return snm_err_set(err, SNM_EINVAL, "%s: %s %s: bad port in the URL",
                           lbl, c->method, url);
    /* the default port is not written in the Host header (as curl does) */
    if ((strcmp(c->scheme, "http") == 0 && port_len == 2 &&
         memcmp(port, "80", 2) == 0) ||
        (strcmp(c->scheme, "https") == 0 && port_len == 3 &&
         memcmp(port, "443", 3) == 0))
      port_len = 0;
  }
  c->host_header = malloc((size_t)(host_end - auth) + port_len + 2);
  if (c->host_header == NULL)
    return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  memcpy(c->host_header, auth, (size_t)(host_end - auth));
  c->host_header[host_end - auth] = '\0';
  if (port_len > 0) {
    strcat(c->host_header, ":");
    strncat(c->host_header, port, port_len);
  }
  q = strchr(auth_end, '?');
  if (q == NULL)
    q = auth_end + strlen(auth_end);
  c->path =
      q > auth_end ? strndup(auth_end, (size_t)(q - auth_end)) : strdup("/");
  c->query = strdup(*q == '?' ? q + 1 : q);
  if (c->path == NULL || c->query == NULL)
    return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  return 0;
}

void snm_http__describe_req(struct snm_buf *out, const char *label,
                            const char *method, const char *url)
{
  const char *q = strchr(url, '?');
  size_t n = q != NULL ? (size_t)(q - url) : strlen(url);
  struct snm_buf u;

  snm_buf_init(&u, 0);
  if (label != NULL && label[0] != '\0')
    snm_best_effort(snm_buf_printf(out, "%s: ", label));
  snm_best_effort(snm_buf_printf(out, "%s ", method));
  snm_best_effort(snm_buf_append(&u, url, n));
  if (q != NULL) /* presigned URLs carry signatures in the query */
    (void)snm_redact_text(&u, q, strlen(q));
  /* a long index list must not push the cause out of the message */
  snm_best_effort(snm_err_append_middle(out, snm_buf_str(&u), u.len,
                                        SNM_HTTP_URL_SHOWN_MAX));
  snm_buf_dispose(&u);
}

void snm_http__describe(const struct snm_http_call *c, struct snm_buf *out)
{
  snm_http__describe_req(out, c->label, c->method, c->url);
}

int snm_http__call_err(const struct snm_http_call *c, struct snm_err *err,
                       int code, const char *fmt, ...)
{
  struct snm_buf what;
  va_list ap;

  snm_buf_init(&what, 0);
  snm_http__describe(c, &what);
  snm_best_effort(snm_buf_puts(&what, ": "));
  va_start(ap, fmt);
  snm_best_effort(snm_buf_vprintf(&what, fmt, ap));
  va_end(ap);
  snm_err_set(err, code, "%s", snm_buf_str(&what));
  snm_buf_dispose(&what);
  return code;
}

/* ---- copying the request ------------------------------------------------ */

static long pick(long v, long dflt)
{
  return v != 0 ? v : dflt;
}

int snm_http__call_copy(struct snm_http_call *c, struct snm_http *h,
                        const struct snm_http_request *req, struct snm_err *err)
{
  size_t n = 0, i;
  const char *lbl;
  int rc = 0;

  snm_buf_init(&c->resp_body, h->opts.max_response_bytes);
  snm_buf_init(&c->resp_head, 0);
  lbl = req->label != NULL && req->label[0] != '\0' ? req->label : "http";
  if (!method_ok(req->method))
    return snm_err_set(err, SNM_EINVAL, "%s: bad HTTP method \"%s\"", lbl,
                       req->method != NULL ? req->method : "(null)");
  if (req->url == NULL)
    return snm_err_set(err, SNM_EINVAL, "%s: %s: no URL", lbl, req->method);
  if (req->body_len > 0 && (req->body == NULL || req->content_type == NULL))
    return snm_err_set(err, SNM_EINVAL,
                       "%s: %s %s: a body needs bytes and a content type", lbl,
                       req->method, req->url);
  if (req->content_type != NULL && has_crlf(req->content_type))
    return snm_err_set(err, SNM_EINVAL, "%s: %s: bad content type", lbl,
                       req->method);
  c->method = strdup(req->method);
  c->url = strdup(req->url);
  c->label = strdup(req->label != NULL ? req->label : "");
  if (c->method == NULL || c->url == NULL || c->label == NULL ||
      snm_secret_set_add_query(&c->secrets, c->url) != 0)
    return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  rc = parse_url(c, err);
  if (rc != 0)
    return rc;
  /* a negative timeout_ms means "no limit"; nothing else may be negative
   * (a negative backoff cast to a uv timeout never fires) */
  if (req->connect_timeout_ms < 0 || req->max_attempts < 0 ||
      req->backoff_base_ms < 0 || req->backoff_max_ms < 0)
    return snm_http__call_err(c, err, SNM_EINVAL, "negative %s",
                              req->connect_timeout_ms < 0 ? "connect_timeout_ms"
                              : req->max_attempts < 0     ? "max_attempts"
                              : req->backoff_base_ms < 0  ? "backoff_base_ms"
                                                          : "backoff_max_ms");

  if (req->headers != NULL)
    while (req->headers[n] != NULL)
      n++;
  c->headers = calloc(n + 2, sizeof(*c->headers));
  if (c->headers == NULL)
    return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  for (i = 0; i < n; i++) {
    const char *line = req->headers[i];
    const char *colon = strchr(line, ':');
    if (colon == NULL || !snm_is_token(line, (size_t)(colon - line)) ||
        has_crlf(line))
      return snm_err_set(err, SNM_EINVAL, "%s: %s %s: bad header line", lbl,
                         c->method, c->url);
    if (reserved_header(line))
      return snm_err_set(err, SNM_EINVAL,
                         "%s: %s %s: the engine sets the %.*s header itself",
                         lbl, c->method, c->url, (int)strcspn(line, ":"), line);
    c->headers[i] = strdup(line);
    if (c->headers[i] == NULL)
      return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  }
  if (req->body_len > 0) {
    struct snm_buf ct;
    snm_buf_init(&ct, 0);
    if (snm_buf_printf(&ct, "Content-Type: %s", req->content_type) != 0 ||
        (c->headers[n] = snm_buf_steal(&ct)) == NULL) {
      snm_buf_dispose(&ct);
      return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
    }
    c->body = malloc(req->body_len);
    if (c->body == NULL)
      return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
    memcpy(c->body, req->body, req->body_len);
    c->body_len = req->body_len;
  }
  if (req->ca_file != NULL) {
    c->ca_file = strdup(req->ca_file);
    if (c->ca_file == NULL)
      return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  }
  c->timeout_ms = pick(req->timeout_ms, h->opts.timeout_ms);
  c->connect_timeout_ms =
      pick(req->connect_timeout_ms, h->opts.connect_timeout_ms);
  c->max_attempts = (int)pick(req->max_attempts, h->opts.max_attempts);
  if (c->max_attempts < 1)
    c->max_attempts = 1;
  c->backoff_base_ms = pick(req->backoff_base_ms, h->opts.backoff_base_ms);
  c->backoff_max_ms = pick(req->backoff_max_ms, h->opts.backoff_max_ms);
  c->insecure = req->insecure;
  c->sign = req->sign;
  c->sign_data = req->sign_data;
  switch (req->replay) {
  case SNM_HTTP_REPLAY_YES:
    c->replayable = 1;
    break;
  case SNM_HTTP_REPLAY_NO:
    c->replayable = 0;
    break;
  default:
    c->replayable =
        strcmp(c->method, "GET") == 0 || strcmp(c->method, "HEAD") == 0 ||
        strcmp(c->method, "PUT") == 0 || strcmp(c->method, "DELETE") == 0 ||
        strcmp(c->method, "OPTIONS") == 0;
  }
  c->easy = curl_easy_init();
  if (c->easy == NULL)
    return snm_err_set(err, SNM_ENOMEM, "http: cannot create a curl handle");
  return 0;
}

/* Header lines may carry credentials (Authorization, X-Amz-Security-Token):
 * wipe them before the memory goes back to the allocator. */
static void free_secret(char *s)
{
  if (s != NULL)
    OPENSSL_cleanse(s, strlen(s));
  free(s);
}

static void slist_free_secret(struct curl_slist *list)
{
  for (struct curl_slist *l = list; l != NULL; l = l->next)
    if (l->data != NULL)
      OPENSSL_cleanse(l->data, strlen(l->data));
  curl_slist_free_all(list);
}

void snm_http__call_dispose(struct snm_http_call *c)
{
  if (c->easy != NULL)
    curl_easy_cleanup(c->easy);
  c->easy = NULL;
  slist_free_secret(c->attempt_headers);
  c->attempt_headers = NULL;
  if (c->headers != NULL)
    for (size_t i = 0; c->headers[i] != NULL; i++)
      free_secret(c->headers[i]);
  free(c->headers);
  free(c->method);
  free(c->url);
  free(c->label);
  free(c->ca_file);
  free(c->body);
  free(c->scheme);
  free(c->host_header);
  free(c->path);
  free(c->query);
  if (c->resp_body.data != NULL)
    OPENSSL_cleanse(c->resp_body.data, c->resp_body.len);
  snm_buf_dispose(&c->resp_body);
  snm_buf_dispose(&c->resp_head);
  snm_secret_set_wipe(&c->secrets);
}

/* ---- signing hook ------------------------------------------------------- */

int snm_http_headers_add(struct snm_http_headers_out *out, const char *name,
                         const char *value)
{
  struct snm_buf line;
  struct curl_slist *l;

  assert(out != NULL && name != NULL && value != NULL);
  if (!snm_is_token(name, strlen(name)) || has_crlf(value))
    return SNM_EINVAL;
  snm_buf_init(&line, 0);
  if (snm_buf_printf(&line, "%s: %s", name, value) != 0) {
    snm_buf_dispose(&line);
    return SNM_ENOMEM;
  }
  l = curl_slist_append(out->list, snm_buf_str(&line));
  OPENSSL_cleanse(line.data, line.len); /* e.g. Authorization */
  snm_buf_dispose(&line);
  if (l == NULL)
    return SNM_ENOMEM;
  out->list = l;
  return 0;
}

static int append(struct curl_slist **list, const char *line)
{
  struct curl_slist *l = curl_slist_append(*list, line);

  if (l == NULL)
    return SNM_ENOMEM;
  *list = l;
  return 0;
}

/* ---- capture and trace -------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct snm_http_call *c = userdata;
  size_t n = size * nmemb;

  if (c->resp_body.len + n > c->resp_body.max) {
    c->too_large = 1;
    return CURL_WRITEFUNC_ERROR;
  }
  if (snm_buf_append(&c->resp_body, ptr, n) != 0)
    return CURL_WRITEFUNC_ERROR;
  return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct snm_http_call *c = userdata;
  size_t n = size * nmemb, name_len, v, end;
  const char *colon;

  if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
    snm_buf_reset(&c->resp_head); /* a new (possibly final) response */
    return n;
  }
  end = n;
  while (end > 0 && (ptr[end - 1] == '\r' || ptr[end - 1] == '\n'))
    end--;
  colon = memchr(ptr, ':', end);
  if (colon == NULL || ptr[0] == ' ' || ptr[0] == '\t')
    return n; /* blank line, or an obsolete folded continuation */
  name_len = (size_t)(colon - ptr);
  v = name_len + 1;
  while (v < end && (ptr[v] == ' ' || ptr[v] == '\t'))
    v++;
  while (end > v && (ptr[end - 1] == ' ' || ptr[end - 1] == '\t'))
    end--;
  /* a header line arrives whole: scrub its value before it is kept */
  if (snm_buf_append(&c->resp_head, ptr, name_len) != 0 ||
      snm_buf_putc(&c->resp_head, '\0') != 0 ||
      snm_secret_scrub(&c->resp_head, ptr + v, end - v, &c->secrets,
                       SNM_SCRUB_REPLY) != 0 ||
      snm_buf_putc(&c->resp_head, '\0') != 0)
    return 0; /* out of memory: abort the transfer */
  return n;
}

/* Log one line of trace, redacted before it is combined with the label:
 * header and query rules and the registry (snm_redact_text), then what
 * this call sent. */
static void trace_line(const struct snm_http_call *c, char dir,
                       const char *text, size_t len)
{
  struct snm_buf redacted, clean;

  snm_buf_init(&redacted, 0);
  snm_buf_init(&clean, 0);
  if (snm_redact_text(&redacted, text, len) == 0 &&
      snm_secret_scrub(&clean, snm_buf_str(&redacted), redacted.len,
                       &c->secrets, SNM_SCRUB_ALL) == 0)
    snm_log(SNM_LOG_TRACE, "%s%s%c %s", c->label, c->label[0] ? ": " : "", dir,
            snm_buf_str(&clean));
  snm_buf_dispose(&redacted);
  snm_buf_dispose(&clean);
}

static void trace_lines(const struct snm_http_call *c, char dir,
                        const char *data, size_t size)
{
  while (size > 0) {
    const char *nl = memchr(data, '\n', size);
    size_t len = nl != NULL ? (size_t)(nl - data) : size;
    size_t next = nl != NULL ? len + 1 : len;
    if (len > 0 && data[len - 1] == '\r')
      len--;
    if (len > 0)
      trace_line(c, dir, data, len);
    data += next;
    size -= next;
  }
}

/* Trace up to TRACE_BODY_MAX bytes of a body (`size` bytes at `data`)
 * in total over the calls that share `done`. */
static void trace_body(const struct snm_http_call *c, char dir, int *done,
                       const char *data, size_t size)
{
  struct snm_buf b;
  size_t n;

  if (*done >= TRACE_BODY_MAX)
    return;
  n = size < (size_t)(TRACE_BODY_MAX - *done)
          ? size
          : (size_t)(TRACE_BODY_MAX - *done);
  snm_buf_init(&b, 0);
  snm_best_effort(snm_buf_printf(&b, "[%zu body bytes%s] ", size,
                                 n < size ? ", truncated" : ""));
  for (size_t i = 0; i < n; i++)
    snm_best_effort(
        snm_buf_putc(&b, isprint((unsigned char)data[i]) ? data[i] : '.'));
  *done += (int)n;
  trace_line(c, dir, snm_buf_str(&b), b.len);
  snm_buf_dispose(&b);
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size,
                    void *userdata)
{
  struct snm_http_call *c = userdata;

  (void)easy;
  switch (type) {
  case CURLINFO_TEXT:
    trace_lines(c, '*', data, size);
    break;
  case CURLINFO_HEADER_OUT:
    trace_lines(c, '>', data, size);
    break;
  case CURLINFO_HEADER_IN:
    trace_lines(c, '<', data, size);
    break;
  case CURLINFO_DATA_OUT:
    trace_body(c, '>', &c->trace_out, data, size);
    break;
  case CURLINFO_DATA_IN:
    /* traced whole, once scrubbed, when the transfer ends: a secret may
     * be split over two pieces (snm_http__attempt_ended) */
    break;
  default:
    break; /* TLS records */
  }
  return 0;
}

/* ---- one attempt -------------------------------------------------------- */

static int warn_insecure(struct snm_http *h, const char *label)
{
  char **n;

  for (size_t i = 0; i < h->n_insecure_warned; i++)
    if (strcmp(h->insecure_warned[i], label) == 0)
      return 0;
  n = realloc(h->insecure_warned, (h->n_insecure_warned + 1) * sizeof(*n));
  if (n == NULL)
    return SNM_ENOMEM;
  h->insecure_warned = n;
  n[h->n_insecure_warned] = strdup(label);
  if (n[h->n_insecure_warned] == NULL)
    return SNM_ENOMEM;
  h->n_insecure_warned++;
  snm_log(SNM_LOG_WARN,
          "%s%sTLS certificate verification is off (insecure); the "
          "connection can be intercepted",
          label, label[0] ? ": " : "");
  return 0;
}

/* Options that stay the same for every attempt. */
static void set_static_options(struct snm_http_call *c)
{
  CURL *e = c->easy;
  struct snm_http *h = c->h;
  static char empty[] = "";

  curl_easy_setopt(e, CURLOPT_URL, c->url);
  curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  /* libcurl silently sends a request again (up to 5 times) when a reused
   * connection dies before an answer; a request that must not be replayed
   * gets a connection of its own, so what failed is not resent */
  if (!c->replayable)
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                   (curl_off_t)h->opts.max_response_bytes);
  if (c->timeout_ms > 0)
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
  if (c->connect_timeout_ms > 0)
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  if (h->opts.user_agent != NULL)
    curl_easy_setopt(e, CURLOPT_USERAGENT, h->opts.user_agent);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
  if (c->ca_file != NULL)
    curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);

  if (strcmp(c->method, "HEAD") == 0) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (c->body_len > 0 || strcmp(c->method, "POST") == 0 ||
             strcmp(c->method, "PUT") == 0 || strcmp(c->method, "PATCH") == 0) {
    /* exact bytes, Content-Length always sent (also 0) */
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body != NULL ? c->body : empty);
    if (strcmp(c->method, "POST") != 0)
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
  } else {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (strcmp(c->method, "GET") != 0)
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
  }
}

int snm_http__attempt_prepare(struct snm_http_call *c, struct snm_err *err)
{
  struct curl_slist *list = NULL, *tail;
  struct snm_http_headers_out add = {NULL};
  struct snm_buf line;
  int rc = 0;

  if (c->attempts > 1) /* the easy handle must not keep a freed list */
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  slist_free_secret(c->attempt_headers);
  c->attempt_headers = NULL;
  snm_buf_reset(&c->resp_body);
  snm_buf_reset(&c->resp_head);
  c->too_large = 0;
  c->sock_errno = 0;
  c->trace_out = 0;
  c->errbuf[0] = '\0';
  c->status = 0;
  snm_err_clear(&c->err);

  if (c->attempts == 1) {
    set_static_options(c);
    if (c->insecure && warn_insecure(c->h, c->label) != 0)
      return snm_err_set(err, SNM_ENOMEM, "http: out of memory");
  }

  snm_buf_init(&line, 0);
  if (snm_buf_printf(&line, "Host: %s", c->host_header) != 0 ||
      append(&list, snm_buf_str(&line)) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "http: out of memory");
    goto done;
  }
  for (size_t i = 0; c->headers[i] != NULL; i++)
    if (append(&list, c->headers[i]) != 0) {
      rc = snm_err_set(err, SNM_ENOMEM, "http: out of memory");
      goto done;
    }
  /* no "Expect: 100-continue", and no Content-Type curl would invent */
  if (append(&list, "Expect:") != 0 ||
      (c->body_len == 0 && append(&list, "Content-Type:") != 0)) {
    rc = snm_err_set(err, SNM_ENOMEM, "http: out of memory");
    goto done;
  }

  if (c->sign != NULL) {
    struct snm_http_sign_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.method = c->method;
    ctx.url = c->url;
    ctx.scheme = c->scheme;
    ctx.host = c->host_header;
    ctx.path = c->path;
    ctx.query = c->query;
    ctx.headers = (const char *const *)c->headers;
    ctx.body = c->body_len > 0 ? c->body : NULL;
    ctx.body_len = c->body_len;
    ctx.attempt = c->attempts;
    snm_err_clear(err);
    rc = c->sign(c->sign_data, &ctx, &add, err);
    if (rc != 0) {
      if (err != NULL && err->code == SNM_OK)
        snm_http__call_err(c, err, rc, "signing failed");
      goto done;
    }
    for (tail = list; tail->next != NULL; tail = tail->next)
      ;
    tail->next = add.list;
    add.list = NULL;
  }

  /* remember what this attempt gives away, to scrub it from the reply */
  for (tail = list; tail != NULL; tail = tail->next)
    if (snm_secret_set_add_header(&c->secrets, tail->data) != 0) {
      rc = snm_err_set(err, SNM_ENOMEM, "http: out of memory");
      goto done;
    }
  c->attempt_headers = list;
  list = NULL;
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->attempt_headers);
  if (snm_log_enabled(SNM_LOG_TRACE)) {
    curl_easy_setopt(c->easy, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(c->easy, CURLOPT_DEBUGDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_VERBOSE, 1L);
  } else {
    curl_easy_setopt(c->easy, CURLOPT_VERBOSE, 0L);
  }
done:
  snm_buf_dispose(&line);
  slist_free_secret(list);
  slist_free_secret(add.list);
  return rc;
}

/* ---- the reply ---------------------------------------------------------- */

int snm_http__attempt_ended(struct snm_http_call *c)
{
  int done = 0;

  if (snm_secret_scrub_buf(&c->resp_body, &c->secrets, SNM_SCRUB_REPLY) < 0) {
    OPENSSL_cleanse(c->resp_body.data, c->resp_body.len);
    snm_buf_reset(&c->resp_body);
    return SNM_ENOMEM;
  }
  if (snm_log_enabled(SNM_LOG_TRACE) && c->resp_body.len > 0)
    trace_body(c, '<', &done, c->resp_body.data, c->resp_body.len);
  return 0;
}

const char *snm_http__call_header(const struct snm_http_call *c,
                                  const char *name)
{
  const char *p = c->resp_head.data, *end = p + c->resp_head.len;

  while (p != NULL && p < end) {
    const char *value = p + strlen(p) + 1;
    if (strcasecmp(p, name) == 0)
      return value;
    p = value + strlen(value) + 1;
  }
  return NULL;
}

const char *snm_http_response_header(const struct snm_http_response *resp,
                                     const char *name)
{
  for (size_t i = 0; i < resp->n_headers; i++)
    if (strcasecmp(resp->headers[i].name, name) == 0)
      return resp->headers[i].value;
  return NULL;
}

int snm_http__response_fill(struct snm_http_call *c,
                            struct snm_http_response *resp,
                            struct snm_http_header **hdrs)
{
  const char *p = c->resp_head.data, *end = p + c->resp_head.len;
  size_t n = 0;

  *hdrs = NULL;
  for (const char *q = p; q != NULL && q < end; n++) {
    q += strlen(q) + 1;
    q += strlen(q) + 1;
  }
  if (n > 0) {
    *hdrs = calloc(n, sizeof(**hdrs));
    if (*hdrs == NULL)
      return SNM_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    (*hdrs)[i].name = p;
    p += strlen(p) + 1;
    (*hdrs)[i].value = p;
    p += strlen(p) + 1;
  }
  resp->headers = *hdrs;
  resp->n_headers = n;
  resp->status = c->status;
  resp->content_type = snm_http_response_header(resp, "Content-Type");
  resp->body_len = c->resp_body.len;
  resp->body = snm_buf_steal(&c->resp_body);
  if (resp->body == NULL) {
    free(*hdrs);
    *hdrs = NULL;
    return SNM_ENOMEM;
  }
  return 0;
}
