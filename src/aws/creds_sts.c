/* creds_sts.c - STS AssumeRole for assume-role profiles: where STS is, the
 * signed form POST (a blocking easy handle, snm__fetch; on an event loop
 * it runs on a thread-pool thread, creds_async.c), and a tiny strict
 * reader for the few elements of its XML replies we need.
 *
 * The XML reader is not a general parser: it accepts one root element,
 * elements with attributes, character and the five predefined entity
 * references, and processing instructions and comments outside the root;
 * anything else (DOCTYPE, CDATA, comments inside the root, mismatched or
 * unclosed tags, nesting deeper than XML_MAX_DEPTH) makes the reply
 * malformed.  It extracts the text of leaf elements by their path from the
 * root ("AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId"); a
 * wanted path that appears twice is malformed too. */
#include "buf.h"
#include "creds.h"
#include "creds_int.h"
#include "log.h"
#include "secret.h"
#include "sigv4.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#define STS_REPLY_MAX (64 * 1024)
#define STS_GLOBAL_HOST "sts.amazonaws.com"
#define STS_GLOBAL_REGION "us-east-1"
#define STS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define XML_MAX_DEPTH 16
#define XML_PATH_MAX 256

#define CREDS_PATH "AssumeRoleResponse/AssumeRoleResult/Credentials/"

/* ---- the XML reader ---- */

struct xml_want {
  const char *path; /* "A/B/C" from the root */
  char *value;      /* NULL (not seen) or malloced, decoded */
};

static void xml_want_dispose(struct xml_want *w, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    snm__free_secret(w[i].value);
    w[i].value = NULL;
  }
}

static int xml_name_start(int c)
{
  return isalpha(c) || c == '_' || c == ':' || c >= 0x80;
}

static int xml_name_char(int c)
{
  return xml_name_start(c) || isdigit(c) || c == '-' || c == '.';
}

static int put_utf8(struct snm_buf *b, unsigned long cp)
{
  char u[4];
  size_t n;

  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return SNM_EPARSE;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return snm_buf_append(b, u, n);
}

/* Decode the `n` bytes of character data at `s` into *out (malloced).
 * Returns 0, SNM_EPARSE (a bad reference) or SNM_ENOMEM. */
static int xml_decode(char **out, const char *s, size_t n)
{
  static const struct {
    const char *name;
    char c;
  } ents[] = {{"lt;", '<'},
              {"gt;", '>'},
              {"amp;", '&'},
              {"quot;", '"'},
              {"apos;", '\''}};
  struct snm_buf b;
  unsigned long cp;
  size_t i = 0, k;
  int rc = 0;

  *out = NULL;
  snm_buf_init(&b, 0);
  while (rc == 0 && i < n) {
    if (s[i] != '&') {
      k = i;
      while (k < n && s[k] != '&')
        k++;
      rc = snm_buf_append(&b, s + i, k - i);
      i = k;
      continue;
    }
    i++;
    for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
      size_t el = strlen(ents[k].name);
      if (n - i >= el && memcmp(s + i, ents[k].name, el) == 0) {
        rc = snm_buf_putc(&b, ents[k].c);
        i += el;
        break;
      }
    }
    if (k < sizeof(ents) / sizeof(ents[0]))
      continue;
    if (i >= n || s[i] != '#') {
      rc = SNM_EPARSE;
      break;
    }
    i++;
    {
      int hex = i < n && s[i] == 'x';
      size_t digits = 0;

      i += (size_t)hex;
      cp = 0;
      while (i < n &&
             (hex ? isxdigit((unsigned char)s[i])
                  : isdigit((unsigned char)s[i])) &&
             digits < 8) {
        cp = cp * (hex ? 16 : 10) +
             (unsigned long)(isdigit((unsigned char)s[i])
                                 ? s[i] - '0'
                                 : tolower((unsigned char)s[i]) - 'a' + 10);
        i++;
        digits++;
      }
      if (digits == 0 || i >= n || s[i] != ';') {
        rc = SNM_EPARSE;
        break;
      }
      i++;
      rc = put_utf8(&b, cp);
    }
  }
  if (rc == 0 && b.data == NULL)
    rc = snm_buf_puts(&b, ""); /* an empty element: "" */
  if (rc == 0) {
    *out = b.data; /* moved */
    return 0;
  }
  if (b.data != NULL)
    OPENSSL_cleanse(b.data, b.cap);
  snm_buf_dispose(&b);
  return rc;
}

/* Skip past the first `end` at or after *i; 0, or SNM_EPARSE if none. */
static int skip_past(const char *xml, size_t len, size_t *i, const char *end)
{
  size_t el = strlen(end);

  for (size_t k = *i; k + el <= len; k++)
    if (memcmp(xml + k, end, el) == 0) {
      *i = k + el;
      return 0;
    }
  return SNM_EPARSE;
}

/* Store the text of the leaf element at `path` if it is wanted. */
static int xml_take(struct xml_want *want, size_t n_want, const char *path,
                    const char *text, size_t text_len)
{
  for (size_t k = 0; k < n_want; k++) {
    if (strcmp(want[k].path, path) != 0)
      continue;
    if (want[k].value != NULL)
      return SNM_EPARSE; /* twice */
    return xml_decode(&want[k].value, text, text_len);
  }
  return 0;
}

/* Fill `want` from the document.  Returns 0 (paths not present stay NULL),
 * SNM_EPARSE (malformed; `want` emptied) or SNM_ENOMEM. */
static int xml_extract(const char *xml, size_t len, struct xml_want *want,
                       size_t n_want)
{
  char path[XML_PATH_MAX];
  size_t plen[XML_MAX_DEPTH + 1], depth = 0, i = 0, text_at = 0, name_at, nl;
  int root_done = 0, leaf = 0, rc = 0;

  path[0] = '\0';
  plen[0] = 0;
  if (len >= 3 && memcmp(xml, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  while (rc == 0 && i < len) {
    if (xml[i] != '<') {
      if (depth == 0 && !isspace((unsigned char)xml[i]))
        rc = SNM_EPARSE; /* text outside the root */
      i++;
      continue;
    }
    if (len - i >= 2 && xml[i + 1] == '?') {
      rc = depth == 0 ? skip_past(xml, len, &i, "?>") : SNM_EPARSE;
    } else if (len - i >= 4 && memcmp(xml + i, "<!--", 4) == 0) {
      rc = depth == 0 ? skip_past(xml, len, &i, "-->") : SNM_EPARSE;
    } else if (len - i >= 2 && xml[i + 1] == '!') {
      rc = SNM_EPARSE; /* DOCTYPE, CDATA */
    } else if (len - i >= 2 && xml[i + 1] == '/') {
      /* an end tag: it must close the innermost element */
      size_t text_end = i;

      name_at = i + 2;
      nl = 0;
      while (name_at + nl < len &&
             xml_name_char((unsigned char)xml[name_at + nl]))
        nl++;
      i = name_at + nl;
      while (i < len && isspace((unsigned char)xml[i]))
        i++;
      if (depth == 0 || i >= len || xml[i] != '>' ||
          nl != plen[depth] - plen[depth - 1] - (depth > 1) ||
          memcmp(xml + name_at, path + plen[depth] - nl, nl) != 0) {
        rc = SNM_EPARSE;
        break;
      }
      i++;
      if (leaf)
        rc = xml_take(want, n_want, path, xml + text_at, text_end - text_at);
      leaf = 0;
      depth--;
      path[plen[depth]] = '\0';
      root_done = depth == 0;
    } else {
      /* a start tag, or an empty element */
      int empty = 0;

      name_at = i + 1;
      nl = 0;
      if (name_at < len && xml_name_start((unsigned char)xml[name_at]))
        while (name_at + nl < len &&
               xml_name_char((unsigned char)xml[name_at + nl]))
          nl++;
      if (nl == 0 || root_done || depth == XML_MAX_DEPTH ||
          plen[depth] + nl + 2 > sizeof(path)) {
        rc = SNM_EPARSE;
        break;
      }
      /* attributes: skip to '>' or "/>", quotes respected */
      for (i = name_at + nl; i < len && xml[i] != '>'; i++) {
        if (xml[i] == '<') {
          rc = SNM_EPARSE;
          break;
        }
        if (xml[i] == '"' || xml[i] == '\'') {
          const char *q = memchr(xml + i + 1, xml[i], len - i - 1);
          if (q == NULL) {
            rc = SNM_EPARSE;
            break;
          }
          i = (size_t)(q - xml);
        }
      }
      if (rc < 0 || i >= len) {
        rc = SNM_EPARSE;
        break;
      }
      empty = xml[i - 1] == '/';
      i++;
      /* push: path becomes "parent/name" */
      plen[depth + 1] = plen[depth] + (depth > 0) + nl;
      if (depth > 0)
        path[plen[depth]] = '/';
      memcpy(path + plen[depth + 1] - nl, xml + name_at, nl);
      depth++;
      path[plen[depth]] = '\0';
      if (empty) {
        rc = xml_take(want, n_want, path, "", 0);
        depth--;
        path[plen[depth]] = '\0';
        root_done = depth == 0;
        leaf = 0;
      } else {
        leaf = 1;
        text_at = i;
      }
    }
  }
  if (rc == 0 && (depth != 0 || !root_done))
    rc = SNM_EPARSE;
  if (rc < 0)
    xml_want_dispose(want, n_want);
  return rc;
}

/* ---- replies ---- */

int snm__sts_parse_credentials(struct snm_creds *out, const char *xml,
                               size_t len, const char *what,
                               struct snm_err *err)
{
  struct xml_want w[] = {{CREDS_PATH "AccessKeyId", NULL},
                         {CREDS_PATH "SecretAccessKey", NULL},
                         {CREDS_PATH "SessionToken", NULL},
                         {CREDS_PATH "Expiration", NULL}};
  size_t n = sizeof(w) / sizeof(w[0]);
  int rc;

  rc = xml_extract(xml, len, w, n);
  if (rc == SNM_ENOMEM)
    return snm_err_set(err, rc, "%s: out of memory", what);
  if (rc < 0)
    return snm_err_set(err, SNM_EPARSE,
                       "%s: the reply is not well-formed XML (expected an "
                       "AssumeRoleResponse)",
                       what);
  if (snm_secret_add(w[1].value) < 0 || snm_secret_add(w[2].value) < 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "%s: out of memory", what);
    goto done;
  }
  for (size_t k = 0; k < n; k++)
    if (w[k].value == NULL || w[k].value[0] == '\0') {
      rc = snm_err_set(err, SNM_EPARSE, "%s: the reply has no %s", what,
                       w[k].path);
      goto done;
    }
  if (snm__parse_iso8601(w[3].value, &out->expiration) < 0) {
    rc = snm_err_set(err, SNM_EPARSE,
                     "%s: the reply's Expiration \"%.40s\" is not an ISO 8601 "
                     "time",
                     what, w[3].value);
    goto done;
  }
  out->access_key_id = w[0].value;
  out->secret_access_key = w[1].value;
  out->session_token = w[2].value;
  w[0].value = w[1].value = w[2].value = NULL; /* moved */
done:
  if (rc < 0)
    snm_creds_dispose(out);
  xml_want_dispose(w, n);
  return rc;
}

static void copy_text(char *dst, size_t size, const char *src)
{
  snprintf(dst, size, "%s", src != NULL ? src : "");
  snm_sanitize_line(dst, strlen(dst));
}

int snm__sts_parse_error(char *code, size_t code_size, char *message,
                         size_t message_size, const char *xml, size_t len)
{
  struct xml_want w[] = {{"ErrorResponse/Error/Code", NULL},
                         {"ErrorResponse/Error/Message", NULL}};
  int rc;

  code[0] = message[0] = '\0';
  rc = xml_extract(xml, len, w, 2);
  if (rc == 0 && (w[0].value == NULL || w[0].value[0] == '\0'))
    rc = SNM_EPARSE;
  if (rc == 0) {
    copy_text(code, code_size, w[0].value);
    copy_text(message, message_size, w[1].value);
  }
  xml_want_dispose(w, 2);
  return rc < 0 ? SNM_EPARSE : 0;
}

/* ---- the endpoint ---- */

static int valid_region(const char *r)
{
  size_t n = strlen(r);

  if (n == 0 || n > 40 || !islower((unsigned char)r[0]))
    return 0;
  for (; *r; r++)
    if (!islower((unsigned char)*r) && !isdigit((unsigned char)*r) && *r != '-')
      return 0;
  return 1;
}

/* The regions botocore's "legacy" mode sends to the global endpoint. */
static int legacy_global_region(const char *r)
{
  static const char *const legacy[] = {
      "ap-northeast-1", "ap-south-1",   "ap-southeast-1", "ap-southeast-2",
      "aws-global",     "ca-central-1", "eu-central-1",   "eu-north-1",
      "eu-west-1",      "eu-west-2",    "eu-west-3",      "sa-east-1",
      "us-east-1",      "us-east-2",    "us-west-1",      "us-west-2"};

  for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
    if (strcmp(r, legacy[i]) == 0)
      return 1;
  return 0;
}

static int loopback_literal(const char *host)
{
  unsigned char a[16];
  char h[64];
  size_t n = strlen(host);

  if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(h)) {
    memcpy(h, host + 1, n - 2);
    h[n - 2] = '\0';
    return inet_pton(AF_INET6, h, a) == 1 &&
           memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
  }
  return inet_pton(AF_INET, host, a) == 1 && a[0] == 127;
}

/* The override URL into `out` (region already set). */
static int endpoint_override(struct snm__sts_endpoint *out, const char *url,
                             const char *name, struct snm_err *err)
{
  char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL,
       *user = NULL, *full = NULL;
  CURLU *u = curl_url();
  int rc = 0;

  if (u == NULL)
    return snm_err_set(err, SNM_ENOMEM, "STS endpoint: out of memory");
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
    rc =
        snm_err_set(err, SNM_EINVAL, "%s \"%s\" is not a valid URL", name, url);
    goto done;
  }
  curl_url_get(u, CURLUPART_PORT, &port, 0); /* NULL: none given */
  curl_url_get(u, CURLUPART_QUERY, &query, 0);
  curl_url_get(u, CURLUPART_USER, &user, 0);
  if (query != NULL || user != NULL ||
      !(strcmp(scheme, "https") == 0 ||
        (strcmp(scheme, "http") == 0 && loopback_literal(host)))) {
    rc = snm_err_set(err, SNM_EINVAL,
                     "%s \"%s\" is not allowed: use https://HOST[:PORT][/PATH] "
                     "(http only to a loopback address), without user or "
                     "query",
                     name, url);
    goto done;
  }
  if ((size_t)snprintf(out->url, sizeof(out->url), "%s", full) >=
          sizeof(out->url) ||
      (size_t)snprintf(out->host, sizeof(out->host), "%s%s%s", host,
                       port != NULL ? ":" : "",
                       port != NULL ? port : "") >= sizeof(out->host) ||
      (size_t)snprintf(out->path, sizeof(out->path), "%s", path) >=
          sizeof(out->path))
    rc = snm_err_set(err, SNM_EINVAL, "%s \"%s\" is too long", name, url);
done:
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_free(path);
  curl_free(query);
  curl_free(user);
  curl_free(full);
  curl_url_cleanup(u);
  return rc;
}

int snm__sts_endpoint(struct snm__sts_endpoint *out, const char *region,
                      int legacy_global, const char *override,
                      struct snm_err *err)
{
  const char *ignore = snm__getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  const char *name = "the STS endpoint override";

  memset(out, 0, sizeof(*out));
  if (region != NULL && !valid_region(region))
    return snm_err_set(err, SNM_EINVAL,
                       "the AWS region for STS \"%.64s\" (AWS_REGION, "
                       "AWS_DEFAULT_REGION or the profile's region) is not a "
                       "region name such as eu-west-1",
                       region);
  snprintf(out->region, sizeof(out->region), "%s",
           region != NULL ? region : STS_GLOBAL_REGION);
  if (override == NULL && (ignore == NULL || strcasecmp(ignore, "true") != 0)) {
    override = snm__getenv("AWS_ENDPOINT_URL_STS");
    name = "AWS_ENDPOINT_URL_STS";
  }
  if (override != NULL)
    return endpoint_override(out, override, name, err);
  if (region == NULL || (legacy_global && legacy_global_region(region))) {
    snprintf(out->host, sizeof(out->host), STS_GLOBAL_HOST);
    snprintf(out->region, sizeof(out->region), STS_GLOBAL_REGION);
  } else {
    snprintf(out->host, sizeof(out->host), "sts.%s.amazonaws.com%s", region,
             strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
  }
  snprintf(out->path, sizeof(out->path), "/");
  snprintf(out->url, sizeof(out->url), "https://%s/", out->host);
  return 0;
}

/* ---- the call ---- */

static int form_param(struct snm_buf *b, const char *name, const char *value)
{
  if (snm_buf_printf(b, "&%s=", name) < 0)
    return SNM_ENOMEM;
  return snm_sigv4_uri_encode(b, value, strlen(value), 1);
}

/* Action=AssumeRole&Version=...&RoleArn=...&RoleSessionName=...&... */
static int build_form(struct snm_buf *b, const struct snm__assume_role *ar)
{
  char session[64];

  if (ar->session_name == NULL)
    snprintf(session, sizeof(session), "snapmig-%lld", (long long)time(NULL));
  if (snm_buf_puts(b, "Action=AssumeRole&Version=2011-06-15") < 0 ||
      form_param(b, "RoleArn", ar->role_arn) < 0 ||
      form_param(b, "RoleSessionName",
                 ar->session_name != NULL ? ar->session_name : session) < 0 ||
      snm_buf_printf(b, "&DurationSeconds=%ld", ar->duration_s) < 0 ||
      (ar->external_id != NULL &&
       form_param(b, "ExternalId", ar->external_id) < 0))
    return SNM_ENOMEM;
  return 0;
}

/* Sign the POST and build its header list into *headers. */
static int sign(struct curl_slist **headers, const struct snm__sts_endpoint *ep,
                const struct snm_buf *form, const struct snm_creds *src,
                struct snm_err *err)
{
  struct snm_sigv4_header h[] = {{"Host", ep->host},
                                 {"Content-Type", STS_CONTENT_TYPE}};
  struct snm_sigv4_request req = {.method = "POST",
                                  .path = ep->path,
                                  .headers = h,
                                  .n_headers = 2,
                                  .body = form->data,
                                  .body_len = form->len};
  struct snm_sigv4_params p = {.access_key_id = src->access_key_id,
                               .secret_access_key = src->secret_access_key,
                               .session_token = src->session_token,
                               .region = ep->region,
                               .service = "sts",
                               .when = time(NULL)};
  struct snm_sigv4_result res = {0};
  int rc;

  rc = snm_sigv4_sign(&res, &req, &p, err);
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < 2 && rc == 0; i++)
    rc = snm__add_header(headers, h[i].name, h[i].value);
  for (size_t i = 0; i < res.n_add_headers && rc == 0; i++)
    rc = snm__add_header(headers, res.add_headers[i].name,
                         res.add_headers[i].value);
  if (rc == 0)
    rc = snm__add_header(headers, "Expect", ""); /* no 100-continue */
  snm_sigv4_result_dispose(&res);
  if (rc < 0)
    return snm_err_set(err, SNM_ENOMEM, "STS: out of memory");
  return 0;
}

/* The error for a reply other than 200. */
static int refused(const struct snm__assume_role *ar,
                   const struct snm__sts_endpoint *ep, long status,
                   const struct snm_buf *body, struct snm_err *err)
{
  char code[64], message[400];
  int rc;

  if (snm__sts_parse_error(code, sizeof(code), message, sizeof(message),
                           snm_buf_str(body), body->len) < 0) {
    rc = status == 401 || status == 403 ? SNM_EAUTH : SNM_EHTTP;
    snm_err_set(err, rc,
                "AWS profile \"%s\": assuming role %s with the credentials of "
                "%s failed: POST %s: HTTP %ld (not an STS error reply)",
                ar->profile, ar->role_arn, ar->source, ep->url, status);
  } else if (status >= 500 || strstr(code, "Throttl") != NULL) {
    rc = snm_err_set(err, SNM_EHTTP,
                     "AWS profile \"%s\": assuming role %s failed: POST %s: "
                     "HTTP %ld %s: %s; try again later",
                     ar->profile, ar->role_arn, ep->url, status, code, message);
  } else {
    rc = snm_err_set(
        err, SNM_EAUTH,
        "AWS profile \"%s\": STS refused to let %s assume role %s: %s: %s "
        "(HTTP %ld from %s). The role's trust policy must allow the source "
        "identity to call sts:AssumeRole%s, and the source identity's IAM "
        "policy must allow sts:AssumeRole on the role",
        ar->profile, ar->source, ar->role_arn, code,
        message[0] ? message : "(no message)", status, ep->url,
        ar->external_id != NULL ? " with this external_id (its "
                                  "sts:ExternalId condition)"
                                : "");
  }
  if (err != NULL)
    err->http_status = status;
  return rc;
}

int snm__sts_assume_role(struct snm_creds *out, const struct snm_creds *src,
                         const struct snm__assume_role *ar,
                         const struct snm_creds_opts *opts, struct snm_err *err)
{
  struct snm__sts_endpoint ep;
  struct curl_slist *headers = NULL;
  struct snm_buf form, body;
  struct snm__fetch f = {0};
  char what[700];
  long status = 0;
  int rc;

  snm_buf_init(&form, 0);
  snm_buf_init(&body, STS_REPLY_MAX);
  rc = snm__sts_endpoint(&ep, ar->region, ar->legacy_global, opts->sts_endpoint,
                         err);
  if (rc < 0)
    goto done;
  if (build_form(&form, ar) < 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "STS: out of memory");
    goto done;
  }
  rc = sign(&headers, &ep, &form, src, err);
  if (rc < 0)
    goto done;
  f.method = "POST";
  f.url = ep.url;
  f.headers = headers;
  f.body = form.data;
  f.body_len = form.len;
  f.timeout_ms = opts->sts_timeout_ms > 0 ? opts->sts_timeout_ms
                                          : SNM__DEFAULT_STS_TIMEOUT_MS;
  f.use_proxy = 1;
  snm__creds_log(SNM_LOG_DEBUG,
                 "assuming role %s for AWS profile \"%s\" with %s",
                 ar->role_arn, ar->profile, ar->source);
  rc = snm__fetch(&f, &body, &status, err);
  if (rc < 0) {
    if (err != NULL && rc != SNM_ENOMEM) {
      struct snm_err sub = *err;
      snm_err_set(err, rc, "AWS profile \"%s\": assuming role %s: %s",
                  ar->profile, ar->role_arn, sub.msg);
    }
    goto done;
  }
  if (status != 200) {
    /* STS's words may quote the request: not its credentials */
    struct snm_secret_set sent;
    snm_secret_set_init(&sent);
    for (const struct curl_slist *l = headers; l != NULL && rc == 0;
         l = l->next)
      rc = snm_secret_set_add_header(&sent, l->data);
    if (rc == 0 && snm_secret_scrub_buf(&body, &sent, SNM_SCRUB_REPLY) < 0)
      rc = SNM_ENOMEM;
    snm_secret_set_wipe(&sent);
    if (rc < 0)
      rc = snm_err_set(err, SNM_ENOMEM, "STS: out of memory");
    else
      rc = refused(ar, &ep, status, &body, err);
    goto done;
  }
  snprintf(what, sizeof(what), "AWS profile \"%s\": assuming role %s: POST %s",
           ar->profile, ar->role_arn, ep.url);
  rc = snm__sts_parse_credentials(out, snm_buf_str(&body), body.len, what, err);
done:
  snm__free_secret_headers(headers);
  snm_buf_dispose(&form);
  if (body.data != NULL)
    OPENSSL_cleanse(body.data, body.cap);
  snm_buf_dispose(&body);
  return rc;
}
