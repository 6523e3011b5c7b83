/* es_sign.c - AWS SigV4 for one domain: the signing hook, and requests
 * held while credentials are fetched on the thread pool (es_sign.h). */
#include "es_sign.h"
#include "buf.h"
#include "creds.h"
#include "es.h"
#include "es_domain.h"
#include "log.h"
#include "sigv4.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#define ES_MAX_SIGNED_HEADERS 32
/* A request path in messages is shortened in the middle to about this. */
#define ES_SIGN_PATH_SHOWN_MAX 200

/* A request held until the credentials are fetched: a copy of what
 * snm_http_send needs. */
struct held {
  struct held *next;
  struct snm_http_request req; /* its pointers point at the copies below */
  char *method;                /* malloced */
  char *url;                   /* malloced */
  char **headers;              /* NULL, or malloced and NULL-terminated */
  char *body;                  /* NULL or malloced, body_len bytes */
  char *content_type;          /* NULL or malloced */
  char *ca_file;               /* NULL or malloced */
  char *label;                 /* NULL or malloced */
  char *what;                  /* malloced: "DOMAIN: METHOD PATH" */
  snm_http_done_fn done;
  void *data;
};

struct snm_es_signer {
  struct snm_es *es;
  struct snm_creds_wait wait;        /* waiting for a fetch while held */
  struct snm_http_close_watch watch; /* learns that the engine closes */
  int closing;                       /* the engine is closing */
  struct held *held;                 /* oldest first */
  struct held **held_tail;
};

/* ---- held requests ---- */

static void held_free(struct held *h)
{
  if (h == NULL)
    return;
  for (size_t i = 0; h->headers != NULL && h->headers[i] != NULL; i++) {
    OPENSSL_cleanse(h->headers[i], strlen(h->headers[i]));
    free(h->headers[i]);
  }
  free(h->headers);
  free(h->method);
  free(h->url);
  free(h->body);
  free(h->content_type);
  free(h->ca_file);
  free(h->label);
  free(h->what);
  free(h);
}

static int dup_str(char **dst, const char *src)
{
  *dst = NULL;
  if (src == NULL)
    return 0;
  *dst = strdup(src);
  return *dst != NULL ? 0 : SNM_ENOMEM;
}

/* "DOMAIN: METHOD PATH", the path shortened in the middle. */
static int describe(char **out, const struct snm_es *es, const char *method,
                    const char *path)
{
  struct snm_buf b;

  snm_buf_init(&b, 0);
  if (snm_buf_printf(&b, "%s: %s ", es->dom->id, method) != 0 ||
      snm_err_append_middle(&b, path, strlen(path), ES_SIGN_PATH_SHOWN_MAX) !=
          0 ||
      b.data == NULL) {
    snm_buf_dispose(&b);
    return SNM_ENOMEM;
  }
  *out = b.data; /* moved */
  return 0;
}

static struct held *held_new(const struct snm_es_signer *s,
                             const struct snm_http_request *req,
                             const char *method, const char *path,
                             snm_http_done_fn done, void *data)
{
  struct held *h = calloc(1, sizeof(*h));
  size_t n = 0;

  if (h == NULL)
    return NULL;
  h->req = *req;
  h->done = done;
  h->data = data;
  if (dup_str(&h->method, req->method) < 0 || dup_str(&h->url, req->url) < 0 ||
      dup_str(&h->content_type, req->content_type) < 0 ||
      dup_str(&h->ca_file, req->ca_file) < 0 ||
      dup_str(&h->label, req->label) < 0 ||
      describe(&h->what, s->es, method, path) < 0)
    goto nomem;
  while (req->headers != NULL && req->headers[n] != NULL)
    n++;
  if (n > 0) {
    h->headers = calloc(n + 1, sizeof(*h->headers));
    if (h->headers == NULL)
      goto nomem;
    for (size_t i = 0; i < n; i++)
      if ((h->headers[i] = strdup(req->headers[i])) == NULL)
        goto nomem;
  }
  if (req->body_len > 0) {
    h->body = malloc(req->body_len);
    if (h->body == NULL)
      goto nomem;
    memcpy(h->body, req->body, req->body_len);
  }
  h->req.method = h->method;
  h->req.url = h->url;
  h->req.headers = (const char *const *)h->headers;
  h->req.body = h->body;
  h->req.content_type = h->content_type;
  h->req.ca_file = h->ca_file;
  h->req.label = h->label;
  return h;
nomem:
  held_free(h);
  return NULL;
}

/* ---- fetching ---- */

/* Start a fetch nobody waits for (a refresh ahead of expiry), unless one
 * runs or the engine is closing. */
static void prefetch(struct snm_es_signer *s)
{
  struct snm_es *es = s->es;
  struct snm_err err;

  if (s->closing || snm_creds_provider_busy(es->creds))
    return;
  snm_log(SNM_LOG_DEBUG, "%s: refreshing AWS credentials", es->dom->id);
  if (snm_creds_provider_fetch(es->creds, snm_http_loop(es->http), NULL, NULL,
                               &err) != 0)
    snm_log(SNM_LOG_WARN, "%s: %s", es->dom->id, err.msg);
}

static int signer_send_now(struct snm_es_signer *s,
                           const struct snm_http_request *req,
                           snm_http_done_fn done, void *data,
                           struct snm_err *err);

/* The fetch the held requests waited for ended. */
static void on_creds(struct snm_creds_wait *w, int status,
                     const struct snm_err *ferr)
{
  struct snm_es_signer *s = w->data;
  struct held *list = s->held, *h;
  struct snm_err err;

  s->held = NULL;
  s->held_tail = &s->held;
  while ((h = list) != NULL) {
    list = h->next;
    snm_err_clear(&err);
    if (s->closing) {
      snm_err_set(&err, SNM_ECANCELED,
                  "%s: not sent: the HTTP engine closed while AWS "
                  "credentials were being fetched",
                  h->what);
    } else if (status < 0) {
      snm_err_set(&err, status, "%s: %s", h->what, ferr->msg);
      err.http_status = ferr->http_status;
    } else if (signer_send_now(s, &h->req, h->done, h->data, &err) == 0) {
      held_free(h);
      continue;
    }
    h->done(NULL, &err, h->data);
    held_free(h);
  }
}

static void on_engine_closing(struct snm_http_close_watch *w)
{
  struct snm_es_signer *s = w->data;

  s->closing = 1;
  /* shutdown need not wait for IMDS or STS: held requests fail when the
   * fetch, told to stop, ends */
  snm_creds_provider_cancel(s->es->creds);
}

/* ---- signing ---- */

/* SigV4 signing hook: sign exactly what the engine sends, with the cached
 * credentials (never fetching here: this runs on the loop). */
static int es_sign(void *sign_data, const struct snm_http_sign_ctx *ctx,
                   struct snm_http_headers_out *add, struct snm_err *err)
{
  struct snm_es_signer *s = sign_data;
  struct snm_es *es = s->es;
  const struct snm_domain *dom = es->dom;
  struct snm_sigv4_header hdrs[ES_MAX_SIGNED_HEADERS];
  char *copies[ES_MAX_SIGNED_HEADERS] = {NULL};
  struct snm_sigv4_request req = {0};
  struct snm_sigv4_params params = {0};
  struct snm_sigv4_result res = {0};
  struct snm_creds creds;
  struct snm_buf target;
  size_t n = 0;
  int rc;

  snm_buf_init(&target, 0);
  rc = snm_creds_provider_peek(es->creds, &creds, err);
  if (rc < 0)
    goto done;
  if (rc == SNM_CREDS_NEEDED) {
    /* a retry after the credentials expired (and their refresh failed or
     * is not through yet) */
    prefetch(s);
    rc = snm_err_set(err, SNM_EAUTH,
                     "%s: %s %s: no valid AWS credentials to sign attempt %d "
                     "with (%s expired); new ones are being fetched",
                     dom->id, ctx->method, ctx->path, ctx->attempt,
                     es->creds_source[0] != '\0' ? es->creds_source
                                                 : "the last ones");
    goto done;
  }
  if (rc == SNM_CREDS_STALE)
    prefetch(s);
  rc = 0;
  snprintf(es->creds_source, sizeof(es->creds_source), "%s", creds.source);
  hdrs[n].name = "Host";
  hdrs[n++].value = ctx->host;
  for (size_t i = 0; ctx->headers != NULL && ctx->headers[i] != NULL; i++) {
    char *colon;
    if (n == ES_MAX_SIGNED_HEADERS) {
      rc =
          snm_err_set(err, SNM_EINVAL, "%s: too many headers to sign", dom->id);
      goto done;
    }
    copies[n] = strdup(ctx->headers[i]);
    if (copies[n] == NULL) {
      rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
      goto done;
    }
    colon = strchr(copies[n], ':');
    assert(colon != NULL);
    *colon++ = '\0';
    while (*colon == ' ')
      colon++;
    hdrs[n].name = copies[n];
    hdrs[n++].value = colon;
  }
  if (snm_buf_puts(&target, ctx->path) != 0 ||
      (ctx->query[0] != '\0' && snm_buf_printf(&target, "?%s", ctx->query))) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  req.method = ctx->method;
  req.path = target.data;
  req.headers = hdrs;
  req.n_headers = n;
  req.body = ctx->body;
  req.body_len = ctx->body_len;
  params.access_key_id = creds.access_key_id;
  params.secret_access_key = creds.secret_access_key;
  params.session_token = creds.session_token;
  params.region = dom->region;
  params.service = dom->service;
  params.when = time(NULL);
  params.s3_rules = strcmp(dom->service, "s3") == 0;
  params.add_content_sha256_header = 1;
  rc = snm_sigv4_sign(&res, &req, &params, err);
  for (size_t i = 0; rc == 0 && i < res.n_add_headers; i++)
    rc = snm_http_headers_add(add, res.add_headers[i].name,
                              res.add_headers[i].value);
  if (rc != 0 && err != NULL && err->code == SNM_OK)
    snm_err_set(err, rc, "%s: cannot add signature headers", dom->id);
done:
  snm_sigv4_result_dispose(&res);
  snm_creds_dispose(&creds);
  for (size_t i = 0; i < ES_MAX_SIGNED_HEADERS; i++)
    free(copies[i]);
  snm_buf_dispose(&target);
  return rc;
}

/* ---- the signer ---- */

int snm_es_signer_new(struct snm_es_signer **out, struct snm_es *es,
                      struct snm_err *err)
{
  struct snm_es_signer *s;

  assert(es->http != NULL && es->creds != NULL);
  *out = NULL;
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  s->es = es;
  s->held_tail = &s->held;
  s->wait.data = s;
  s->watch.cb = on_engine_closing;
  s->watch.data = s;
  snm_http_watch_close(es->http, &s->watch);
  *out = s;
  return 0;
}

void snm_es_signer_free(struct snm_es_signer *s)
{
  struct held *h;
  struct snm_err err;

  if (s == NULL)
    return;
  snm_http_unwatch_close(&s->watch);
  snm_creds_wait_cancel(&s->wait);
  while ((h = s->held) != NULL) {
    s->held = h->next;
    snm_err_set(&err, SNM_ECANCELED,
                "%s: not sent: the domain was closed while AWS credentials "
                "were being fetched",
                h->what);
    h->done(NULL, &err, h->data);
    held_free(h);
  }
  free(s);
}

static int signer_send_now(struct snm_es_signer *s,
                           const struct snm_http_request *req,
                           snm_http_done_fn done, void *data,
                           struct snm_err *err)
{
  struct snm_http_request r = *req;

  r.sign = es_sign;
  r.sign_data = s;
  return snm_http_send(s->es->http, &r, done, data, NULL, err);
}

int snm_es_signer_send(struct snm_es_signer *s,
                       const struct snm_http_request *req, const char *method,
                       const char *path, snm_http_done_fn done, void *data,
                       struct snm_err *err)
{
  struct snm_es *es = s->es;
  struct snm_creds creds;
  struct held *h;
  int state, rc;

  if (s->closing) /* the engine may be gone already */
    return snm_err_set(err, SNM_ECANCELED,
                       "%s: %s %s: not sent: the HTTP engine is closing",
                       es->dom->id, method, path);
  state = snm_creds_provider_peek(es->creds, &creds, err);
  snm_creds_dispose(&creds);
  if (state < 0)
    return state;
  if (state != SNM_CREDS_NEEDED)
    return signer_send_now(s, req, done, data, err);

  h = held_new(s, req, method, path, done, data);
  if (h == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  if (s->wait.p == NULL) {
    if (!snm_creds_provider_busy(es->creds))
      snm_log(SNM_LOG_DEBUG, "%s: fetching AWS credentials", es->dom->id);
    rc = snm_creds_provider_fetch(es->creds, snm_http_loop(es->http), &s->wait,
                                  on_creds, err);
    if (rc != 0) {
      held_free(h);
      return rc;
    }
  }
  *s->held_tail = h;
  s->held_tail = &h->next;
  return 0;
}
