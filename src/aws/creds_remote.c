/* creds_remote.c - credentials from the ECS/EKS container endpoint and from
 * EC2 instance metadata (IMDSv2), and the blocking request (snm__fetch)
 * that these and the STS call (creds_sts.c) use.
 *
 * Both are fetched with blocking libcurl easy handles: this runs once at
 * start and again only when temporary credentials are about to expire, so
 * a fetch blocks the caller for at most the connect timeout (opts.timeout_ms)
 * plus the reply deadline (twice that) per request.  On an event loop the
 * caller is a thread-pool thread (creds_async.c), never the loop.  Proxies are
 * not used for these link-local/loopback endpoints; TLS verification stays on
 * for https.
 *
 * An http AWS_CONTAINER_CREDENTIALS_FULL_URI host name is resolved here,
 * with a blocking getaddrinfo() (once per fetch, like the fetch itself),
 * to check that it only names allowed addresses; the request is then
 * pinned to those addresses with CURLOPT_RESOLVE, so a DNS answer that
 * changes between the check and the connect cannot redirect the
 * authorization token. */
#include "buf.h"
#include "creds.h"
#include "creds_int.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "timefmt.h"
#include "snm_version.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <yajl/yajl_tree.h>

#define REPLY_MAX (64 * 1024)
#define TOKEN_FILE_MAX (16 * 1024)

/* ---- one blocking HTTP request ---- */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct snm_buf *body = userdata;
  size_t n = size * nmemb;

  return snm_buf_append(body, ptr, n) == 0 ? n : 0;
}

static size_t on_read(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  return 0; /* the IMDS token PUT has an empty body */
}

/* On a worker: abort the transfer once the fetch was abandoned (libcurl
 * calls this at least about once a second, also while it waits). */
static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
  const struct snm__job_ctx *ctx = clientp;

  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  return atomic_load(&ctx->cancel) ? 1 : 0;
}

int snm__fetch(const struct snm__fetch *f, struct snm_buf *body, long *status,
               struct snm_err *err)
{
  const char *method = f->method, *url = f->url;
  char errbuf[CURL_ERROR_SIZE];
  curl_off_t connect_us = 0;
  long os_errno = 0;
  CURLcode cc;
  CURL *h;
  int rc = 0;

  struct snm__job_ctx *ctx = snm__job_ctx_current();

  errbuf[0] = '\0';
  *status = 0;
  if (ctx != NULL && atomic_load(&ctx->cancel))
    return snm_err_set(err, SNM_ECANCELED, "%s %s: abandoned", method, url);
  h = curl_easy_init();
  if (h == NULL)
    return snm_err_set(err, SNM_ENOMEM, "%s %s: cannot create a curl handle",
                       method, url);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (!f->use_proxy)
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, f->timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2 * f->timeout_ms);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "snapmig/" SNM_VERSION);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, f->headers);
  if (ctx != NULL) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, ctx);
  }
  if (f->resolve != NULL) /* the addresses that were checked, no others */
    curl_easy_setopt(h, CURLOPT_RESOLVE, f->resolve);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (strcmp(method, "PUT") == 0) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
  } else if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->body_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, f->body != NULL ? f->body : "");
  }
  cc = curl_easy_perform(h);
  if (cc == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
    rc = snm_err_set(err, SNM_ECANCELED, "%s %s: abandoned", method, url);
  } else if (cc == CURLE_OPERATION_TIMEDOUT) {
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
    if (connect_us == 0)
      rc = snm_err_set(err, SNM_ETIMEOUT,
                       "%s %s: connection timed out after %ld ms", method, url,
                       f->timeout_ms);
    else
      rc = snm_err_set(err, SNM_ETIMEOUT, "%s %s: no reply within %ld ms",
                       method, url, 2 * f->timeout_ms);
  } else if (cc == CURLE_COULDNT_CONNECT &&
             curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
             os_errno != 0) {
    rc = snm_err_set(err, SNM_ENET, "%s %s: cannot connect: %s", method, url,
                     strerror((int)os_errno));
  } else if (cc == CURLE_WRITE_ERROR) {
    rc = snm_err_set(err, SNM_ENET, "%s %s: reply larger than %zu bytes",
                     method, url, body->max);
  } else {
    rc = snm_err_set(err, SNM_ENET, "%s %s: %s", method, url,
                     errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
  }
  curl_easy_cleanup(h);
  return rc;
}

/* GET or PUT (empty body) to a metadata service, without a proxy. */
static int fetch(const char *method, const char *url,
                 const struct curl_slist *headers,
                 const struct curl_slist *resolve, long timeout_ms,
                 struct snm_buf *body, long *status, struct snm_err *err)
{
  struct snm__fetch f = {.method = method,
                         .url = url,
                         .headers = headers,
                         .resolve = resolve,
                         .timeout_ms = timeout_ms};

  return snm__fetch(&f, body, status, err);
}

/* The error for a non-200 reply. */
static int status_error(struct snm_err *err, const char *prefix,
                        const char *method, const char *url, long status,
                        const char *hint)
{
  int code = status == 401 || status == 403 ? SNM_EAUTH : SNM_EHTTP;

  snm_err_set(err, code, "%s%s %s: HTTP %ld%s", prefix, method, url, status,
              hint);
  if (err != NULL)
    err->http_status = status;
  return code;
}

void snm__free_secret_headers(struct curl_slist *list)
{
  for (struct curl_slist *l = list; l != NULL; l = l->next)
    OPENSSL_cleanse(l->data, strlen(l->data));
  curl_slist_free_all(list);
}

int snm__add_header(struct curl_slist **list, const char *name,
                    const char *value)
{
  struct snm_buf line;
  struct curl_slist *n;

  snm_buf_init(&line, 0);
  if (snm_buf_printf(&line, "%s: %s", name, value) < 0) {
    snm_buf_dispose(&line);
    return SNM_ENOMEM;
  }
  n = curl_slist_append(*list, line.data);
  OPENSSL_cleanse(line.data, line.len);
  snm_buf_dispose(&line);
  if (n == NULL)
    return SNM_ENOMEM;
  *list = n;
  return 0;
}

static void dispose_secret_buf(struct snm_buf *b)
{
  if (b->data != NULL)
    OPENSSL_cleanse(b->data, b->cap);
  snm_buf_dispose(b);
}

/* ---- replies ---- */

static void cleanse_tree(yajl_val v)
{
  if (v == NULL)
    return;
  if (YAJL_IS_STRING(v)) {
    OPENSSL_cleanse(v->u.string, strlen(v->u.string));
  } else if (YAJL_IS_OBJECT(v)) {
    for (size_t i = 0; i < v->u.object.len; i++) {
      OPENSSL_cleanse((char *)v->u.object.keys[i], strlen(v->u.object.keys[i]));
      cleanse_tree(v->u.object.values[i]);
    }
  } else if (YAJL_IS_ARRAY(v)) {
    for (size_t i = 0; i < v->u.array.len; i++)
      cleanse_tree(v->u.array.values[i]);
  }
}

static const char *json_str(yajl_val root, const char *key)
{
  const char *path[2] = {key, NULL};
  yajl_val v = yajl_tree_get(root, path, yajl_t_string);

  return v != NULL ? YAJL_GET_STRING(v) : NULL;
}

/* Credentials from the metadata services' JSON reply.  `what` ("GET url")
 * prefixes errors; `need_code`: IMDS's "Code" must be "Success". */
static int creds_from_json(struct snm_creds *out, const char *json,
                           int need_code, const char *prefix, const char *what,
                           struct snm_err *err)
{
  char errbuf[128];
  const char *id, *secret, *token, *code, *exp;
  yajl_val root;
  int rc = 0;

  /* yajl's tree has no depth limit; it and cleanse_tree() recurse */
  if (!snm_json_depth_ok(json, strlen(json), SNM_JSON_MAX_DEPTH))
    return snm_err_set(err, SNM_EPARSE,
                       "%s%s: the reply is nested deeper than %d levels",
                       prefix, what, SNM_JSON_MAX_DEPTH);
  root = yajl_tree_parse(json, errbuf, sizeof(errbuf));
  OPENSSL_cleanse(errbuf, sizeof(errbuf)); /* yajl quotes the input */
  if (root == NULL || !YAJL_IS_OBJECT(root)) {
    rc = snm_err_set(err, SNM_EPARSE, "%s%s: the reply is not a JSON object",
                     prefix, what);
    goto done;
  }
  id = json_str(root, "AccessKeyId");
  secret = json_str(root, "SecretAccessKey");
  token = json_str(root, "Token");
  if (snm_secret_add(secret) < 0 || snm_secret_add(token) < 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "%s%s: out of memory", prefix, what);
    goto done;
  }
  code = json_str(root, "Code");
  if (need_code && (code == NULL || strcmp(code, "Success") != 0)) {
    rc = snm_err_set(err, SNM_EAUTH,
                     "%s%s: the reply's Code is \"%.64s\", not \"Success\"",
                     prefix, what, code != NULL ? code : "(missing)");
    goto done;
  }
  if (id == NULL || id[0] == '\0' || secret == NULL || secret[0] == '\0') {
    rc = snm_err_set(err, SNM_EPARSE,
                     "%s%s: the reply has no AccessKeyId or SecretAccessKey",
                     prefix, what);
    goto done;
  }
  exp = json_str(root, "Expiration");
  if (exp != NULL && snm__parse_iso8601(exp, &out->expiration) < 0) {
    rc = snm_err_set(err, SNM_EPARSE,
                     "%s%s: the reply's Expiration \"%.40s\" is not an ISO "
                     "8601 time",
                     prefix, what, exp);
    goto done;
  }
  out->access_key_id = strdup(id);
  out->secret_access_key = strdup(secret);
  out->session_token = token != NULL && token[0] ? strdup(token) : NULL;
  if (out->access_key_id == NULL || out->secret_access_key == NULL ||
      (token != NULL && token[0] && out->session_token == NULL)) {
    rc = snm_err_set(err, SNM_ENOMEM, "%s%s: out of memory", prefix, what);
    goto done;
  }
done:
  if (rc < 0)
    snm_creds_dispose(out);
  cleanse_tree(root);
  yajl_tree_free(root);
  return rc;
}

int snm__parse_iso8601(const char *s, time_t *out)
{
  long long ms;

  if (snm_time_parse(s, &ms) != 0)
    return SNM_EPARSE;
  /* whole seconds, rounded down (the fraction is dropped) */
  *out = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
  return 0;
}

/* ---- ECS / EKS container credentials ---- */

#define ECS_PREFIX "ECS container credentials: "

static int allowed_addr(const struct sockaddr *sa)
{
  static const unsigned char eks_v6[16] = {
      0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
  const unsigned char *b;
  unsigned long a;

  if (sa->sa_family == AF_INET) {
    a = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);
    return (a >> 24) == 127 || a == 0xA9FEAA02UL /* 169.254.170.2 */ ||
           a == 0xA9FEAA17UL /* 169.254.170.23 */;
  }
  if (sa->sa_family == AF_INET6) {
    b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    return IN6_IS_ADDR_LOOPBACK(
               &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr) ||
           memcmp(b, eks_v6, 16) == 0;
  }
  return 0;
}

/* http is allowed only to hosts whose every address is allowed.  For a
 * name (not an address literal) *resolve gets the CURLOPT_RESOLVE entry
 * "host:port:addr,addr..." that pins curl to exactly those addresses, so
 * a second DNS answer (rebinding) cannot send the token elsewhere.
 * Returns 1 (allowed), 0 (not allowed) or SNM_ENOMEM. */
static int allowed_host(const char *host, const char *port,
                        struct curl_slist **resolve)
{
  struct addrinfo hints, *res = NULL;
  struct snm_buf entry;
  int ok, literal;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  literal = getaddrinfo(host, NULL, &hints, &res) == 0;
  if (!literal) {
    hints.ai_flags = 0;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
      return 0;
  }
  ok = res != NULL;
  snm_buf_init(&entry, 0);
  if (snm_buf_printf(&entry, "%s:%s:", host, port) != 0)
    ok = SNM_ENOMEM;
  for (struct addrinfo *ai = res; ai != NULL && ok == 1; ai = ai->ai_next) {
    char addr[INET6_ADDRSTRLEN];
    const void *a =
        ai->ai_family == AF_INET6
            ? (const void *)&(
                  (const struct sockaddr_in6 *)(const void *)ai->ai_addr)
                  ->sin6_addr
            : (const void *)&(
                  (const struct sockaddr_in *)(const void *)ai->ai_addr)
                  ->sin_addr;

    if (!allowed_addr(ai->ai_addr)) {
      ok = 0;
      break;
    }
    if (inet_ntop(ai->ai_family, a, addr, sizeof(addr)) == NULL ||
        snm_buf_printf(&entry, ai == res ? "%s%s%s" : ",%s%s%s",
                       ai->ai_family == AF_INET6 ? "[" : "", addr,
                       ai->ai_family == AF_INET6 ? "]" : "") != 0)
      ok = SNM_ENOMEM;
  }
  freeaddrinfo(res);
  if (ok == 1 && !literal) {
    struct curl_slist *l = curl_slist_append(*resolve, snm_buf_str(&entry));
    if (l == NULL)
      ok = SNM_ENOMEM;
    else
      *resolve = l;
  }
  snm_buf_dispose(&entry);
  return ok;
}

int snm__ecs_check_full_uri(const char *uri, struct curl_slist **resolve,
                            struct snm_err *err)
{
  char *scheme = NULL, *host = NULL, *port = NULL, *h;
  size_t n;
  CURLU *u;
  int rc = 0, ok;

  *resolve = NULL;
  u = curl_url();
  if (u == NULL)
    return snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
  if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
    rc = snm_err_set(err, SNM_EINVAL,
                     ECS_PREFIX "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%s\" is "
                                "not a valid URL",
                     uri);
    goto done;
  }
  if (strcmp(scheme, "https") == 0)
    goto done;
  h = host;
  n = strlen(h);
  if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
    h[n - 1] = '\0';
    h++;
  }
  ok = strcmp(scheme, "http") == 0 ? allowed_host(h, port, resolve) : 0;
  if (ok < 0)
    rc = snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
  else if (ok == 0)
    rc = snm_err_set(err, SNM_EINVAL,
                     ECS_PREFIX "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%s\" is "
                                "not allowed: use https, or http to a loopback "
                                "address, 169.254.170.2, 169.254.170.23 or "
                                "fd00:ec2::23",
                     uri);
done:
  if (rc != 0) {
    curl_slist_free_all(*resolve);
    *resolve = NULL;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return rc;
}

/* The authorization token, from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 * (read on every fetch: EKS rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 * *out is NULL (no token) or malloced (caller zeroes and frees). */
static int ecs_token(char **out, struct snm_err *err)
{
  const char *path = snm__getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const char *env = snm__getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  struct snm_buf b;
  char chunk[512];
  size_t n;
  FILE *fp;
  int rc = 0;

  *out = NULL;
  snm_buf_init(&b, TOKEN_FILE_MAX);
  if (path != NULL) {
    fp = fopen(path, "rb");
    if (fp == NULL)
      return snm_err_set(err, SNM_EIO,
                         ECS_PREFIX "cannot open "
                                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
                                    "%s: %s",
                         path, strerror(errno));
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
      rc = snm_buf_append(&b, chunk, n);
    OPENSSL_cleanse(chunk, sizeof(chunk));
    if (rc == 0 && ferror(fp))
      rc = SNM_EIO;
    fclose(fp);
    if (rc < 0) {
      rc = snm_err_set(err, SNM_EIO,
                       ECS_PREFIX "cannot read "
                                  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s "
                                  "(or larger than %d bytes)",
                       path, TOKEN_FILE_MAX);
      goto done;
    }
    while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
      b.data[--b.len] = '\0';
  } else if (env != NULL) {
    if (snm_buf_puts(&b, env) < 0) {
      rc = snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
      goto done;
    }
  } else {
    goto done;
  }
  if (b.len == 0 || strpbrk(snm_buf_str(&b), "\r\n") != NULL) {
    rc = snm_err_set(err, SNM_EINVAL,
                     ECS_PREFIX "the authorization token from %s is empty or "
                                "has a line break",
                     path != NULL ? path : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    goto done;
  }
  if (snm_secret_add(b.data) < 0 || (*out = strdup(snm_buf_str(&b))) == NULL)
    rc = snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
done:
  dispose_secret_buf(&b);
  return rc;
}

int snm__creds_from_ecs(struct snm_creds *out,
                        const struct snm_creds_opts *opts,
                        struct snm_buf *tried, struct snm_err *err)
{
  const char *rel = snm__getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = snm__getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const char *base = opts->ecs_endpoint != NULL ? opts->ecs_endpoint
                                                : SNM__ECS_DEFAULT_ENDPOINT;
  struct curl_slist *headers = NULL, *resolve = NULL;
  struct snm_buf url, body;
  char *token = NULL;
  long status;
  int rc = 0;

  snm_buf_init(&url, 0);
  snm_buf_init(&body, REPLY_MAX);
  if (rel == NULL && full == NULL) {
    snm__tried(tried, "ECS (not in a container)");
    goto done;
  }
  if (rel != NULL) { /* the relative URI wins, as in the CLI */
    if (snm_buf_printf(&url, "%s%s%s", base, rel[0] == '/' ? "" : "/", rel) <
        0) {
      rc = snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
      goto done;
    }
  } else {
    rc = snm__ecs_check_full_uri(full, &resolve, err);
    if (rc < 0)
      goto done;
    if (snm_buf_puts(&url, full) < 0) {
      rc = snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
      goto done;
    }
  }
  rc = ecs_token(&token, err);
  if (rc < 0)
    goto done;
  if (token != NULL && snm__add_header(&headers, "Authorization", token) < 0) {
    rc = snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
    goto done;
  }
  if (snm__add_header(&headers, "Accept", "application/json") < 0) {
    rc = snm_err_set(err, SNM_ENOMEM, ECS_PREFIX "out of memory");
    goto done;
  }
  rc = fetch("GET", snm_buf_str(&url), headers, resolve, opts->timeout_ms,
             &body, &status, err);
  if (rc < 0) {
    if (err != NULL && rc != SNM_ENOMEM) {
      struct snm_err sub = *err;
      snm_err_set(err, rc, ECS_PREFIX "%s", sub.msg);
    }
    goto done;
  }
  if (status != 200) {
    rc = status_error(err, ECS_PREFIX, "GET", snm_buf_str(&url), status, "");
    goto done;
  }
  rc = creds_from_json(out, snm_buf_str(&body), 0, ECS_PREFIX "GET ",
                       snm_buf_str(&url), err);
  if (rc == 0)
    snm__set_source(out, "ECS container credentials");
done:
  snm__free_secret_headers(headers);
  curl_slist_free_all(resolve);
  snm__free_secret(token);
  dispose_secret_buf(&body);
  snm_buf_dispose(&url);
  return rc;
}

/* ---- EC2 instance metadata, IMDSv2 ---- */

static int valid_role(const char *r)
{
  if (r[0] == '\0')
    return 0;
  for (; *r; r++)
    if (!isalnum((unsigned char)*r) && strchr("+=,.@_-", *r) == NULL)
      return 0;
  return 1;
}

int snm__creds_from_imds(struct snm_creds *out,
                         const struct snm_creds_opts *opts, struct snm_err *err)
{
  const char *base = opts->imds_endpoint;
  struct curl_slist *put_headers = NULL, *headers = NULL;
  struct snm_buf url, body;
  char *token = NULL, *role = NULL;
  size_t blen, n;
  long status;
  int rc;

  snm_buf_init(&url, 0);
  snm_buf_init(&body, REPLY_MAX);
  if (base == NULL)
    base = snm__getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (base == NULL)
    base = SNM__IMDS_DEFAULT_ENDPOINT;
  blen = strlen(base);
  while (blen > 0 && base[blen - 1] == '/')
    blen--;

  /* 1. a session token */
  if (snm_buf_printf(&url, "%.*s/latest/api/token", (int)blen, base) < 0 ||
      snm__add_header(&put_headers, "X-aws-ec2-metadata-token-ttl-seconds",
                      SNM__IMDS_TOKEN_TTL) < 0)
    goto nomem;
  rc = fetch("PUT", snm_buf_str(&url), put_headers, NULL, opts->timeout_ms,
             &body, &status, err);
  if (rc < 0)
    goto done;
  if (status != 200) {
    rc = status_error(err, "", "PUT", snm_buf_str(&url), status,
                      " (no IMDSv2 session token; snapmig does not fall back "
                      "to IMDSv1)");
    goto done;
  }
  n = body.len;
  while (n > 0 && isspace((unsigned char)body.data[n - 1]))
    n--;
  if (n == 0 || memchr(body.data, '\r', n) || memchr(body.data, '\n', n)) {
    rc = snm_err_set(err, SNM_EPARSE,
                     "PUT %s: the session token is empty or "
                     "has a line break",
                     snm_buf_str(&url));
    goto done;
  }
  body.data[n] = '\0';
  if (snm_secret_add(body.data) < 0 || (token = strdup(body.data)) == NULL ||
      snm__add_header(&headers, "X-aws-ec2-metadata-token", token) < 0)
    goto nomem;

  /* 2. the role name */
  dispose_secret_buf(&body);
  snm_buf_init(&body, REPLY_MAX);
  snm_buf_reset(&url);
  if (snm_buf_printf(&url, "%.*s/latest/meta-data/iam/security-credentials/",
                     (int)blen, base) < 0)
    goto nomem;
  rc = fetch("GET", snm_buf_str(&url), headers, NULL, opts->timeout_ms, &body,
             &status, err);
  if (rc < 0)
    goto done;
  if (status != 200) {
    rc = status_error(err, "", "GET", snm_buf_str(&url), status,
                      status == 404 ? " (no IAM role is attached to this "
                                      "instance)"
                                    : "");
    goto done;
  }
  n = strcspn(snm_buf_str(&body), "\r\n");
  if (body.data != NULL)
    body.data[n] = '\0';
  if (!valid_role(snm_buf_str(&body))) {
    rc = snm_err_set(err, SNM_EPARSE,
                     "GET %s: the reply is not an IAM role name",
                     snm_buf_str(&url));
    goto done;
  }
  role = strdup(body.data);
  if (role == NULL)
    goto nomem;

  /* 3. the role's credentials */
  snm_buf_reset(&body);
  snm_buf_reset(&url);
  if (snm_buf_printf(&url, "%.*s/latest/meta-data/iam/security-credentials/%s",
                     (int)blen, base, role) < 0)
    goto nomem;
  rc = fetch("GET", snm_buf_str(&url), headers, NULL, opts->timeout_ms, &body,
             &status, err);
  if (rc < 0)
    goto done;
  if (status != 200) {
    rc = status_error(err, "", "GET", snm_buf_str(&url), status, "");
    goto done;
  }
  rc = creds_from_json(out, snm_buf_str(&body), 1, "GET ", snm_buf_str(&url),
                       err);
  if (rc == 0)
    snm__set_source(out, "EC2 instance metadata (role \"%.60s\")", role);
  goto done;
nomem:
  rc = snm_err_set(err, SNM_ENOMEM, "instance metadata: out of memory");
done:
  snm__free_secret_headers(put_headers);
  snm__free_secret_headers(headers);
  snm__free_secret(token);
  free(role);
  dispose_secret_buf(&body);
  snm_buf_dispose(&url);
  return rc;
}
