/* SPDX-License-Identifier: Apache-2.0 */
#include "es.h"
#include "jtree.h"
#include "buf.h"
#include "creds.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "es_domain.h"
#include "es_sign.h"
#include "secret.h"
#include "sigv4.h"

#include <assert.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <yajl/yajl_parse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* In error messages (at most SNM_ERR_MSG_MAX bytes) a request path is
 * shortened in the middle to about ES_PATH_SHOWN_MAX bytes and the
 * server's reason to ES_REASON_SHOWN_MAX, so that the domain, method,
 * status, reason and advice always fit. */
#define ES_PATH_SHOWN_MAX 200
#define ES_REASON_SHOWN_MAX 360

int snm_es_init(struct snm_es *es, const struct snm_domain *dom,
                struct snm_http *http, struct snm_err *err)
{
  memset(es, 0, sizeof(*es));
  es->dom = dom;
  es->http = http;
  if (dom->auth == SNM_AUTH_BASIC) {
    const char *pw = getenv(dom->password_env);
    struct snm_buf plain;
    size_t n;
    int rc;

    /* "user:password" is split at the first ':' by the server */
    if (strchr(dom->username, ':') != NULL)
      return snm_err_set(err, SNM_EINVAL,
                         "%s: the basic auth username \"%s\" holds a ':', "
                         "which HTTP basic auth cannot carry; use another "
                         "user",
                         dom->id, dom->username);
    if (pw == NULL)
      return snm_err_set(err, SNM_EAUTH,
                         "%s: the password for user \"%s\" is read from the "
                         "environment variable %s, which is not set; export "
                         "it and run again",
                         dom->id, dom->username, dom->password_env);
    if (pw[0] == '\0')
      return snm_err_set(err, SNM_EAUTH,
                         "%s: the password for user \"%s\" is read from the "
                         "environment variable %s, which is empty; set it "
                         "and run again",
                         dom->id, dom->username, dom->password_env);
    if (snm_secret_add(pw) != 0)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
    snm_buf_init(&plain, 0);
    rc = snm_buf_printf(&plain, "%s:%s", dom->username, pw);
    if (rc == 0) /* a server may quote the credentials it decoded */
      rc = snm_secret_add(plain.data);
    n = 6 + 4 * ((plain.len + 2) / 3) + 1;
    es->basic_auth = rc == 0 ? malloc(n) : NULL;
    if (es->basic_auth != NULL) {
      memcpy(es->basic_auth, "Basic ", 6);
      EVP_EncodeBlock((unsigned char *)es->basic_auth + 6,
                      (const unsigned char *)plain.data, (int)plain.len);
    }
    if (plain.data != NULL)
      OPENSSL_cleanse(plain.data, plain.len);
    snm_buf_dispose(&plain);
    if (es->basic_auth == NULL)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
    if (snm_secret_add(es->basic_auth + 6) != 0)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
  } else if (dom->auth == SNM_AUTH_AWS_SIGV4) {
    struct snm_creds_opts opts = {0};
    int rc;
    opts.profile = dom->profile;
    rc = snm_creds_provider_new(&es->creds, &opts, err);
    if (rc == 0)
      rc = snm_es_signer_new(&es->signer, es, err);
    return rc;
  }
  return 0;
}

void snm_es_dispose(struct snm_es *es)
{
  if (es->basic_auth != NULL) {
    OPENSSL_cleanse(es->basic_auth, strlen(es->basic_auth));
    free(es->basic_auth);
  }
  snm_es_signer_free(es->signer); /* before the provider it waits on */
  snm_creds_provider_free(es->creds);
  memset(es, 0, sizeof(*es));
}

/* --- paths ------------------------------------------------------------ */

int snm_es_path(struct snm_buf *out, const char *fmt, ...)
{
  va_list ap;
  int rc = 0;

  va_start(ap, fmt);
  for (const char *p = fmt; *p != '\0' && rc == 0; p++) {
    if (*p != '%') {
      rc = snm_buf_putc(out, *p);
      continue;
    }
    switch (*++p) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      rc = snm_sigv4_uri_encode(out, s, strlen(s), 1);
      break;
    }
    case 'l': {
      const char *const *items = va_arg(ap, const char *const *);
      size_t n = va_arg(ap, size_t);
      for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0)
          rc = snm_buf_putc(out, ',');
        if (rc == 0)
          rc = snm_sigv4_uri_encode(out, items[i], strlen(items[i]), 1);
      }
      break;
    }
    case '%':
      rc = snm_buf_putc(out, '%');
      break;
    default:
      rc = SNM_EINVAL;
      p--; /* stop at the bad conversion (the loop ends on rc) */
      break;
    }
  }
  va_end(ap);
  return rc;
}

/* The text of the first <name>...</name> in an XML body, or NULL. */
static const char *xml_element(const char *body, size_t len, const char *name,
                               size_t *out_len)
{
  char open[32], close[32];
  const char *end = body + len, *p, *q;
  size_t ol, cl;

  snprintf(open, sizeof(open), "<%s>", name);
  snprintf(close, sizeof(close), "</%s>", name);
  ol = strlen(open);
  cl = strlen(close);
  for (p = body; p + ol <= end; p++)
    if (memcmp(p, open, ol) == 0)
      break;
  if (p + ol > end)
    return NULL;
  p += ol;
  for (q = p; q + cl <= end; q++)
    if (memcmp(q, close, cl) == 0) {
      *out_len = (size_t)(q - p) > 300 ? 300 : (size_t)(q - p);
      return p;
    }
  return NULL;
}

static int error_reason(struct snm_buf *out, yajl_val json, const char *body,
                        size_t body_len)
{
  yajl_val e = snm_jget(json, "error", (char *)NULL);
  const char *type, *reason, *msg;

  if (YAJL_IS_OBJECT(e)) {
    yajl_val causes = snm_jget(e, "root_cause", (char *)NULL);
    type = snm_jstr(e, "type", (char *)NULL);
    reason = snm_jstr(e, "reason", (char *)NULL);
    /* The root cause is usually the more precise one. */
    if (YAJL_IS_ARRAY(causes) && causes->u.array.len > 0) {
      const char *rt = snm_jstr(causes->u.array.values[0], "type", (char *)0);
      const char *rr =
          snm_jstr(causes->u.array.values[0], "reason", (char *)NULL);
      if (rr != NULL && rt != NULL &&
          (reason == NULL || type == NULL || strcmp(rt, type) != 0)) {
        type = rt;
        reason = rr;
      }
    }
    if (type != NULL && reason != NULL)
      return snm_buf_printf(out, "%s: %s", type, reason);
    if (reason != NULL)
      return snm_buf_puts(out, reason);
    if (type != NULL)
      return snm_buf_puts(out, type);
  }
  if (YAJL_IS_STRING(e))
    return snm_buf_puts(out, e->u.string);
  msg = snm_jstr(json, "message", (char *)NULL);
  if (msg == NULL)
    msg = snm_jstr(json, "Message", (char *)NULL);
  if (msg != NULL)
    return snm_buf_puts(out, msg);
  if (json == NULL && body != NULL && body_len > 0) {
    /* S3-style XML error: <Code>..</Code> and <Message>..</Message>. */
    size_t clen, mlen;
    const char *code = xml_element(body, body_len, "Code", &clen);
    const char *message = xml_element(body, body_len, "Message", &mlen);
    if (code != NULL && message != NULL)
      return snm_buf_printf(out, "%.*s: %.*s", (int)clen, code, (int)mlen,
                            message);
    /* Not JSON (a proxy's page): the first line, shortened. */
    size_t n = 0;
    while (n < body_len && n < 160 && body[n] != '\n' && body[n] != '\r')
      n++;
    return snm_buf_append(out, body, n);
  }
  return 0;
}

int snm_es_error_reason(struct snm_buf *out, yajl_val json, const char *body,
                        size_t body_len)
{
  size_t start = out->len;
  int rc = error_reason(out, json, body, body_len);

  /* the server's words end up on a terminal and in reports */
  if (out->data != NULL)
    snm_sanitize_line(out->data + start, out->len - start);
  return rc;
}

int snm_es_parse_info(struct snm_es_info *out, yajl_val json,
                      const char *domain_id, struct snm_err *err)
{
  const char *number = snm_jstr(json, "version", "number", (char *)NULL);
  const char *dist = snm_jstr(json, "version", "distribution", (char *)NULL);
  const char *name = snm_jstr(json, "cluster_name", (char *)NULL);
  enum snm_engine engine = dist != NULL && strcmp(dist, "opensearch") == 0
                               ? SNM_ENGINE_OPENSEARCH
                               : SNM_ENGINE_ELASTICSEARCH;

  memset(out, 0, sizeof(*out));
  if (number == NULL || snm_version_parse(&out->version, engine, number) != 0)
    return snm_err_set(err, SNM_EPARSE,
                       "%s: GET / did not report a version number this tool "
                       "understands (%s); is the endpoint an Elasticsearch or "
                       "OpenSearch cluster?",
                       domain_id, number != NULL ? number : "none");
  snprintf(out->number, sizeof(out->number), "%s", number);
  snprintf(out->cluster_name, sizeof(out->cluster_name), "%s",
           name != NULL ? name : "");
  return 0;
}

/* --- requests ---------------------------------------------------------- */

struct es_call {
  struct snm_es *es;
  snm_es_done_fn done;
  void *data;
  int raw;      /* 1: a 2xx body is left to the caller (snm_es_request_raw) */
  char *method; /* malloced */
  char *path;   /* malloced, as given (without the base path) */
};

static void es_call_free(struct es_call *c)
{
  free(c->method);
  free(c->path);
  free(c);
}

int snm_es_denied_permission(char *out, size_t out_size, const char *reason)
{
  static const char mark[] = "no permissions for [";
  const char *p = reason != NULL ? strstr(reason, mark) : NULL;
  size_t n;

  assert(out_size > 0);
  out[0] = '\0';
  if (p == NULL)
    return 0;
  p += sizeof(mark) - 1;
  n = strcspn(p, "],");
  if (n == 0 || p[n] == '\0')
    return 0;
  if (n >= out_size)
    n = out_size - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return 1;
}

const char *snm_es_role_granting(const char *permission)
{
  if (strncmp(permission, "cluster:admin/repository/", 25) == 0 ||
      strncmp(permission, "cluster:admin/snapshot/", 23) == 0)
    return "manage_snapshots";
  return NULL;
}

/* What to do about a 403 that names a permission: the role to map. */
static void permission_hint(struct snm_buf *msg, const char *who,
                            const char *perm, int aws)
{
  const char *role = snm_es_role_granting(perm);

  if (role != NULL)
    snm_best_effort(
        snm_buf_printf(msg,
                       " (%s lacks %s: map it to the %s role%s, or give one of "
                       "its roles that permission)",
                       who, perm, role,
                       aws ? " as a backend role (its IAM role or user ARN) in "
                             "fine-grained access control"
                           : ""));
  else
    snm_best_effort(snm_buf_printf(
        msg, " (%s lacks %s: map it to a role that grants it%s)", who, perm,
        aws ? " (its IAM role or user ARN as a backend role in "
              "fine-grained access control)"
            : ""));
}

static void auth_hint(struct snm_buf *msg, const struct snm_es *es,
                      const char *method, long status, const char *reason)
{
  const struct snm_domain *dom = es->dom;
  char perm[128], who[200];
  int has_perm =
      status == 403 && snm_es_denied_permission(perm, sizeof(perm), reason);

  switch (dom->auth) {
  case SNM_AUTH_NONE:
    snm_best_effort(snm_buf_printf(
        msg, " (the plan gives no credentials for this domain; add "
             "an \"auth\" section)"));
    break;
  case SNM_AUTH_BASIC:
    if (status == 401) {
      snm_best_effort(
          snm_buf_printf(msg,
                         " (the server refused user \"%s\" with the password "
                         "from $%s: check the user name and that variable)",
                         dom->username, dom->password_env));
    } else if (has_perm) {
      snprintf(who, sizeof(who), "user \"%s\"", dom->username);
      permission_hint(msg, who, perm, 0);
    } else {
      snm_best_effort(snm_buf_printf(
          msg,
          " (basic auth as \"%s\", password from $%s; check both, "
          "and that the user's role may do this)",
          dom->username, dom->password_env));
    }
    break;
  case SNM_AUTH_AWS_SIGV4: {
    const char *action = strcmp(method, "GET") == 0    ? "es:ESHttpGet"
                         : strcmp(method, "HEAD") == 0 ? "es:ESHttpHead"
                         : strcmp(method, "PUT") == 0  ? "es:ESHttpPut"
                         : strcmp(method, "POST") == 0 ? "es:ESHttpPost"
                                                       : "es:ESHttpDelete";
    if (has_perm) {
      snprintf(who, sizeof(who), "the identity from %s",
               es->creds_source[0] != '\0' ? es->creds_source
                                           : "the credential chain");
      permission_hint(msg, who, perm, 1);
      break;
    }
    snm_best_effort(snm_buf_printf(
        msg,
        " (signed with AWS credentials from %s for region %s, "
        "service %s; %s the identity likely lacks %s on this "
        "domain, or is not mapped to a role with this permission "
        "in fine-grained access control)",
        es->creds_source[0] != '\0' ? es->creds_source : "the credential chain",
        dom->region, dom->service,
        status == 401 ? "the signature was refused, or"
                      : "the request was refused:",
        action));
    break;
  }
  }
}

/* "DOMAIN: METHOD PATH" for messages, the path shortened in the middle so
 * that what follows it survives the SNM_ERR_MSG_MAX cut. */
static void describe(struct snm_buf *msg, const struct snm_es *es,
                     const char *method, const char *path)
{
  snm_best_effort(snm_buf_printf(msg, "%s: %s ", es->dom->id, method));
  snm_best_effort(
      snm_err_append_middle(msg, path, strlen(path), ES_PATH_SHOWN_MAX));
}

/* The status of a reply body that is an error object, {"error": {...} or
 * "...", "status": N} with N an error status; 0 for any other body (a
 * task's "error" comes without "status"). */
static long error_body_status(yajl_val json)
{
  yajl_val e = snm_jget(json, "error", (char *)NULL);
  long long status = snm_jint(0, json, "status", (char *)NULL);

  if (!YAJL_IS_OBJECT(e) && !YAJL_IS_STRING(e))
    return 0;
  return status >= 400 && status <= 599 ? (long)status : 0;
}

/* Fill `err` for a reply that failed: an error status, or (body_status
 * != 0) a 2xx whose body is an error object.  The message reads
 * "DOMAIN: METHOD PATH: HTTP 404 type: reason (hint)". */
static void reply_failed(struct snm_err *err, const struct es_call *c,
                         const struct snm_http_response *resp, yajl_val json,
                         long body_status)
{
  long status = body_status != 0 ? body_status : resp->status;
  struct snm_buf msg, reason;

  snm_buf_init(&msg, 0);
  snm_buf_init(&reason, 0);
  snm_best_effort(
      snm_es_error_reason(&reason, json, resp->body, resp->body_len));
  describe(&msg, c->es, c->method, c->path);
  snm_best_effort(snm_buf_printf(&msg, ": HTTP %ld", resp->status));
  if (body_status != 0)
    snm_best_effort(snm_buf_printf(&msg, " with an error body (status %ld)%s",
                                   body_status, reason.len > 0 ? ":" : ""));
  if (reason.len > 0) {
    snm_best_effort(snm_buf_putc(&msg, ' '));
    snm_best_effort(snm_err_append_middle(&msg, reason.data, reason.len,
                                          ES_REASON_SHOWN_MAX));
  }
  if (status == 401 || status == 403)
    auth_hint(&msg, c->es, c->method, status, snm_buf_str(&reason));
  snm_err_set(err, status == 401 || status == 403 ? SNM_EAUTH : SNM_EHTTP, "%s",
              snm_buf_str(&msg));
  err->http_status = status;
  snm_buf_dispose(&reason);
  snm_buf_dispose(&msg);
}

/* Could `body` (a reply of the raw kind) be an error object, {"error":
 * {...} or "...", "status": N}?  A scan of its top level with yajl's
 * callback parser, building nothing: 1 when the root is an object with a
 * "status" member and whose first "error" member is an object or a string
 * (what error_body_status needs), else 0.  Only such a body is then parsed into
 * a tree, so that a big listing never is. */
struct top_scan {
  unsigned depth;  /* containers open */
  int root_map;    /* the root is an object */
  int error_next;  /* the next value is the first "error" member */
  int error_seen;  /* "error" was a key at the top level */
  int error_shape; /* its value is an object or a string */
  int status_seen; /* "status" was a key at the top level */
};

static int ts_value(struct top_scan *t, int shape)
{
  if (t->error_next && shape)
    t->error_shape = 1;
  t->error_next = 0;
  return 1;
}

static int ts_null(void *ctx)
{
  return ts_value(ctx, 0);
}

static int ts_bool(void *ctx, int b)
{
  (void)b;
  return ts_value(ctx, 0);
}

static int ts_number(void *ctx, const char *s, size_t n)
{
  (void)s;
  (void)n;
  return ts_value(ctx, 0);
}

static int ts_string(void *ctx, const unsigned char *s, size_t n)
{
  (void)s;
  (void)n;
  return ts_value(ctx, 1);
}

static int ts_start_map(void *ctx)
{
  struct top_scan *t = ctx;

  if (t->depth == 0)
    t->root_map = 1;
  ts_value(t, 1);
  t->depth++;
  return 1;
}

static int ts_key(void *ctx, const unsigned char *k, size_t n)
{
  struct top_scan *t = ctx;
  /* a key compares as the C string the tree keeps (up to a \u0000) */
  size_t len = strnlen((const char *)k, n);

  if (t->depth == 1 && t->root_map && !t->error_seen && len == 5 &&
      memcmp(k, "error", 5) == 0) {
    t->error_seen = 1;
    t->error_next = 1;
  } else if (t->depth == 1 && len == 6 && memcmp(k, "status", 6) == 0) {
    t->status_seen = 1;
  }
  return 1;
}

static int ts_end(void *ctx)
{
  ((struct top_scan *)ctx)->depth--;
  return 1;
}

static int ts_start_array(void *ctx)
{
  struct top_scan *t = ctx;

  ts_value(t, 0);
  t->depth++;
  return 1;
}

static int maybe_error_body(const char *body, size_t len)
{
  static const yajl_callbacks cb = {
      ts_null,      ts_bool, NULL,   NULL,           ts_number, ts_string,
      ts_start_map, ts_key,  ts_end, ts_start_array, ts_end};
  struct top_scan t = {0};
  yajl_handle h = yajl_alloc(&cb, NULL, &t);
  int ok;

  if (h == NULL)
    return 1;                             /* let the tree decide */
  yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse */
  /* yajl_tree_parse reads up to the first NUL */
  ok = yajl_parse(h, (const unsigned char *)body, strnlen(body, len)) ==
           yajl_status_ok &&
       yajl_complete_parse(h) == yajl_status_ok;
  yajl_free(h);
  return ok && t.error_shape && t.status_seen;
}

static void es_done(struct snm_http_response *resp, const struct snm_err *herr,
                    void *data)
{
  struct es_call *c = data;
  struct snm_es_reply reply = {0};
  struct snm_err err;
  yajl_val json = NULL;
  long body_status;
  int too_deep = 0;

  if (resp == NULL) {
    c->done(NULL, herr, c->data);
    es_call_free(c);
    return;
  }
  snm_err_clear(&err);
  if (resp->body_len > 0) {
    const char *ct = resp->content_type;
    if (ct == NULL || strstr(ct, "json") != NULL || resp->body[0] == '{' ||
        resp->body[0] == '[') {
      /* yajl's tree has no depth limit and is freed recursively */
      if (!snm_json_depth_ok(resp->body, resp->body_len, SNM_JSON_MAX_DEPTH))
        too_deep = 1;
      else if (!c->raw || resp->status < 200 || resp->status > 299 ||
               maybe_error_body(resp->body, resp->body_len))
        json = yajl_tree_parse(resp->body, NULL, 0);
    }
  }
  reply.status = resp->status;
  reply.json = json;
  reply.body = resp->body;
  reply.body_len = resp->body_len;
  reply.attempts = resp->attempts;
  reply.elapsed_s = resp->elapsed_s;
  if (too_deep) {
    struct snm_buf what;
    snm_buf_init(&what, 0);
    describe(&what, c->es, c->method, c->path);
    snm_err_set(&err, SNM_EPARSE, "%s: reply nested deeper than %d levels",
                snm_buf_str(&what), SNM_JSON_MAX_DEPTH);
    err.http_status = resp->status;
    snm_buf_dispose(&what);
  } else if (resp->status < 200 || resp->status > 299) {
    reply_failed(&err, c, resp, json, 0);
  } else if ((body_status = error_body_status(json)) != 0) {
    /* a 2xx that says it failed (some proxies answer so) */
    reply_failed(&err, c, resp, json, body_status);
  }
  snm_log(SNM_LOG_DEBUG, "%s: %s %s -> %ld (%.0f ms, %d attempt%s)",
          c->es->dom->id, c->method, c->path, resp->status,
          resp->elapsed_s * 1000.0, resp->attempts,
          resp->attempts == 1 ? "" : "s");
  c->done(&reply, &err, c->data);
  yajl_tree_free(json);
  es_call_free(c);
}

int snm_es_may_send(const struct snm_es *es, const char *method,
                    const char *path)
{
  /* the POSTs a read-only client may send, each an exact path with no
   * query string: /_msearch, searches that only read (the batched
   * document counts); /_index_template/_simulate and
   * /_ingest/pipeline/_simulate, which check a template or pipeline given
   * in the body against the cluster and store nothing (the metadata
   * check).  Not /_index_template/_simulate/NAME nor _simulate_index,
   * nor a pipeline's own ID/_simulate: only the bodies check sends. */
  static const char *const read_posts[] = {
      "/_msearch", "/_index_template/_simulate", "/_ingest/pipeline/_simulate"};

  if (!es->read_only || strcmp(method, "GET") == 0 ||
      strcmp(method, "HEAD") == 0)
    return 1;
  if (strcmp(method, "POST") != 0)
    return 0;
  for (size_t i = 0; i < sizeof(read_posts) / sizeof(read_posts[0]); i++)
    if (strcmp(path, read_posts[i]) == 0)
      return 1;
  return 0;
}

static int es_send(struct snm_es *es, const char *method, const char *path,
                   const char *json_body, const char *content_type, int replay,
                   int raw, snm_es_done_fn done, void *data,
                   struct snm_err *err)
{
  const struct snm_domain *dom = es->dom;
  struct snm_http_request req = {0};
  const char *headers[3] = {NULL};
  struct snm_buf url, auth;
  struct es_call *c;
  int rc;

  assert(path[0] == '/');
  if (!snm_es_may_send(es, method, path)) {
    struct snm_buf what;
    snm_buf_init(&what, 0);
    describe(&what, es, method, path);
    rc = snm_err_set(
        err, SNM_EINVAL,
        "%s refused: this command only reads (GET, HEAD, POST /_msearch "
        "and the simulate APIs)",
        snm_buf_str(&what));
    snm_buf_dispose(&what);
    return rc;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  c->es = es;
  c->done = done;
  c->data = data;
  c->raw = raw;
  c->method = strdup(method);
  c->path = strdup(path);
  snm_buf_init(&url, 0);
  snm_buf_init(&auth, 0);
  if (c->method == NULL || c->path == NULL ||
      snm_buf_printf(&url, "%s%s", dom->base_url, path) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto fail;
  }
  if (es->basic_auth != NULL) {
    if (snm_buf_printf(&auth, "Authorization: %s", es->basic_auth) != 0) {
      rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
      goto fail;
    }
    headers[0] = auth.data;
  }
  req.method = method;
  req.url = url.data;
  req.headers = headers;
  if (json_body != NULL) {
    req.body = json_body;
    req.body_len = strlen(json_body);
    req.content_type = content_type;
  }
  req.timeout_ms = dom->timeout_s * 1000;
  req.ca_file = dom->ca_file;
  req.insecure = dom->insecure;
  req.replay = (enum snm_http_replay)replay;
  req.label = dom->id;
  if (es->trace != NULL)
    es->trace(dom->id, method, path, es->trace_payload);
  if (es->signer != NULL) /* aws-sigv4: may wait for credentials */
    rc = snm_es_signer_send(es->signer, &req, method, path, es_done, c, err);
  else
    rc = snm_http_send(es->http, &req, es_done, c, NULL, err);
  if (rc != 0)
    goto fail;
  es->requests++;
  snm_buf_dispose(&url);
  if (auth.data != NULL)
    OPENSSL_cleanse(auth.data, auth.len);
  snm_buf_dispose(&auth);
  return 0;
fail:
  snm_buf_dispose(&url);
  if (auth.data != NULL)
    OPENSSL_cleanse(auth.data, auth.len);
  snm_buf_dispose(&auth);
  es_call_free(c);
  return rc;
}

int snm_es_request(struct snm_es *es, const char *method, const char *path,
                   const char *json_body, int replay, snm_es_done_fn done,
                   void *data, struct snm_err *err)
{
  return es_send(es, method, path, json_body, "application/json", replay, 0,
                 done, data, err);
}

int snm_es_request_ndjson(struct snm_es *es, const char *method,
                          const char *path, const char *ndjson_body, int replay,
                          snm_es_done_fn done, void *data, struct snm_err *err)
{
  return es_send(es, method, path, ndjson_body, "application/x-ndjson", replay,
                 0, done, data, err);
}

int snm_es_request_raw(struct snm_es *es, const char *method, const char *path,
                       const char *json_body, int replay, snm_es_done_fn done,
                       void *data, struct snm_err *err)
{
  return es_send(es, method, path, json_body, "application/json", replay, 1,
                 done, data, err);
}
