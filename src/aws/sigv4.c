/* SPDX-License-Identifier: Apache-2.0 */
/* sigv4.c - AWS Signature Version 4: the signing flow (canonical request,
 * string to sign, signing key, signature) for header signing and
 * presigning.  Pure computation; OpenSSL 3 one-shots (EVP_Digest, HMAC).
 * The canonical forms are in sigv4_canon.c; the contract is in sigv4.h.
 */
#include "sigv4.h"
#include "sigv4_canon.h"
#include "buf.h"
#include "token.h"
#include "reqfile.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHA256_LEN 32

/* Headers that intermediaries add, drop or rewrite: sent, never signed. */
static const char *const unsigned_headers[] = {
    "connection", "expect",         "keep-alive",        "proxy-authorization",
    "te",         "trailer",        "transfer-encoding", "upgrade",
    "user-agent", "x-amzn-trace-id"};

/* Headers only the signer sets. */
static const char *const signer_headers[] = {"authorization", "x-amz-date",
                                             "x-amz-security-token"};

/* Query parameters only presigning sets. */
static const char *const presign_params[] = {
    "X-Amz-Algorithm", "X-Amz-Credential",    "X-Amz-Date",
    "X-Amz-Expires",   "X-Amz-SignedHeaders", "X-Amz-Security-Token",
    "X-Amz-Signature"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One signing call's inputs and scratch state. */
struct signer {
  const struct snm_sigv4_request *req;
  const struct snm_sigv4_params *p;
  struct snm_err *err;
  const char *token;   /* NULL when there is no session token */
  int sign_token;      /* the token is part of the signature */
  int has_content_sha; /* the request carries x-amz-content-sha256 */
  char date8[9];       /* YYYYMMDD */
  char expires[24];    /* X-Amz-Expires as text */
  char *credential;    /* malloced: "AKID/scope" */
  struct snm__sigv4_headers hdrs;
  struct snm__sigv4_query query;
};

static int in_list(const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(s, list[i]) == 0)
      return 1;
  return 0;
}

static int is_token(const char *s)
{
  return snm_is_token(s, strlen(s));
}

/* Letters, digits, "-", "_", "." and "~": safe in a credential scope. */
static int is_scope_part(const char *s)
{
  for (; *s != '\0'; s++)
    if (strchr("-_.~", *s) == NULL &&
        !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
          (*s >= '0' && *s <= '9')))
      return 0;
  return 1;
}

static void hex_encode(char *out, const unsigned char *in, size_t len)
{
  static const char digits[] = "0123456789abcdef";

  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 0x0f];
  }
  out[2 * len] = '\0';
}

int snm_sigv4_sha256_hex(char hex[65], const void *data, size_t len)
{
  unsigned char md[SHA256_LEN];
  unsigned int md_len = 0;

  if (EVP_Digest(data != NULL ? data : "", len, md, &md_len, EVP_sha256(),
                 NULL) != 1 ||
      md_len != SHA256_LEN)
    return SNM_ENOMEM;
  hex_encode(hex, md, SHA256_LEN);
  return 0;
}

static int hmac(unsigned char out[SHA256_LEN], const void *key, size_t key_len,
                const char *data)
{
  unsigned int len = 0;

  if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data,
           strlen(data), out, &len) == NULL ||
      len != SHA256_LEN)
    return SNM_ENOMEM;
  return 0;
}

/* kSigning = HMAC chain "AWS4"+secret -> date -> region -> service ->
 * "aws4_request"; the signature is hex(HMAC(kSigning, string to sign)).
 * Key material is wiped before returning. */
static int compute_signature(char hex[65], const struct snm_sigv4_params *p,
                             const char *date8, const char *sts)
{
  unsigned char k[SHA256_LEN], k2[SHA256_LEN];
  size_t slen = strlen(p->secret_access_key);
  char *seed = malloc(slen + 5);
  int rc = SNM_ENOMEM;

  if (seed == NULL)
    return SNM_ENOMEM;
  memcpy(seed, "AWS4", 4);
  memcpy(seed + 4, p->secret_access_key, slen + 1);
  if (hmac(k, seed, slen + 4, date8) != 0 ||
      hmac(k2, k, SHA256_LEN, p->region) != 0 ||
      hmac(k, k2, SHA256_LEN, p->service) != 0 ||
      hmac(k2, k, SHA256_LEN, "aws4_request") != 0 ||
      hmac(k, k2, SHA256_LEN, sts) != 0)
    goto done;
  hex_encode(hex, k, SHA256_LEN);
  rc = 0;
done:
  OPENSSL_cleanse(seed, slen + 4);
  OPENSSL_cleanse(k, sizeof(k));
  OPENSSL_cleanse(k2, sizeof(k2));
  free(seed);
  return rc;
}

/* Reject what cannot be signed; the message never quotes a secret. */
static int check_inputs(const struct signer *s)
{
  const struct snm_sigv4_request *r = s->req;
  const struct snm_sigv4_params *p = s->p;
  const char *missing = NULL;

  if (!is_token(r->method))
    return snm_err_set(s->err, SNM_EINVAL, "cannot sign: '%s' is not a method",
                       r->method);
  if (r->path[0] != '/')
    return snm_err_set(s->err, SNM_EINVAL,
                       "cannot sign %s %s: the path must start with '/'",
                       r->method, r->path);
  if (p->access_key_id == NULL || *p->access_key_id == '\0')
    missing = "access key ID";
  else if (p->secret_access_key == NULL || *p->secret_access_key == '\0')
    missing = "secret access key";
  else if (p->region == NULL || *p->region == '\0')
    missing = "region";
  else if (p->service == NULL || *p->service == '\0')
    missing = "service name";
  if (missing != NULL)
    return snm_err_set(s->err, SNM_EINVAL, "cannot sign %s %s: no %s was given",
                       r->method, r->path, missing);
  if (strpbrk(p->access_key_id, "/,; \t\r\n") != NULL)
    return snm_err_set(s->err, SNM_EINVAL,
                       "cannot sign %s %s: the access key ID contains a "
                       "space, comma, semicolon or slash",
                       r->method, r->path);
  if (!is_scope_part(p->region) || !is_scope_part(p->service))
    return snm_err_set(s->err, SNM_EINVAL,
                       "cannot sign %s %s: region '%s' and service '%s' may "
                       "only hold letters, digits, '-', '_', '.' and '~'",
                       r->method, r->path, p->region, p->service);
  if (s->token != NULL && strpbrk(s->token, "\r\n") != NULL)
    return snm_err_set(s->err, SNM_EINVAL,
                       "cannot sign %s %s: the session token holds a line "
                       "break",
                       r->method, r->path);
  if (p->presign && (p->expires < 1 || p->expires > SNM_SIGV4_MAX_EXPIRES))
    return snm_err_set(s->err, SNM_EINVAL,
                       "cannot presign %s %s: expiry %ld s is outside "
                       "1..%ld",
                       r->method, r->path, p->expires, SNM_SIGV4_MAX_EXPIRES);
  if (r->payload_hash != NULL &&
      (*r->payload_hash == '\0' || strpbrk(r->payload_hash, " \t\r\n")))
    return snm_err_set(s->err, SNM_EINVAL,
                       "cannot sign %s %s: the payload hash is empty or "
                       "holds blanks",
                       r->method, r->path);
  return 0;
}

/* Does the (trimmed) header value equal `want`? -1 on allocation failure */
static int value_equals(const char *value, const char *want)
{
  struct snm_buf b;
  int eq;

  snm_buf_init(&b, 0);
  if (snm__sigv4_trimall(&b, value) != 0) {
    snm_buf_dispose(&b);
    return -1;
  }
  eq = strcmp(snm_buf_str(&b), want) == 0;
  snm_buf_dispose(&b);
  return eq;
}

/* Validate the request's headers and queue the signed ones. */
static int collect_headers(struct signer *s, const char *payload_hash)
{
  const struct snm_sigv4_request *r = s->req;

  for (size_t i = 0; i < r->n_headers; i++) {
    const struct snm_sigv4_header *h = &r->headers[i];

    assert(h->name != NULL && h->value != NULL);
    if (!is_token(h->name))
      return snm_err_set(s->err, SNM_EINVAL,
                         "cannot sign %s %s: '%s' is not a valid header "
                         "name",
                         r->method, r->path, h->name);
    if (strpbrk(h->value, "\r\n") != NULL)
      return snm_err_set(s->err, SNM_EINVAL,
                         "cannot sign %s %s: header %s holds a line break",
                         r->method, r->path, h->name);
    if (in_list(h->name, signer_headers, COUNT(signer_headers)))
      return snm_err_set(s->err, SNM_EINVAL,
                         "cannot sign %s %s: the request already carries "
                         "%s; the signer adds it",
                         r->method, r->path, h->name);
    if (strcasecmp(h->name, "x-amz-content-sha256") == 0) {
      int eq = value_equals(h->value, payload_hash);

      if (eq < 0)
        return snm_err_set(s->err, SNM_ENOMEM, "out of memory");
      if (!eq)
        return snm_err_set(s->err, SNM_EINVAL,
                           "cannot sign %s %s: header x-amz-content-sha256 "
                           "differs from the payload hash %s",
                           r->method, r->path, payload_hash);
      s->has_content_sha = 1;
    }
    if (in_list(h->name, unsigned_headers, COUNT(unsigned_headers)))
      continue;
    if (snm__sigv4_headers_add(&s->hdrs, h->name, h->value) != 0)
      return snm_err_set(s->err, SNM_ENOMEM, "out of memory");
  }
  return 0;
}

/* The sent query's parameters plus, when presigning, the X-Amz-* ones. */
static int collect_query(struct signer *s, struct snm_sigv4_result *out,
                         const char *query)
{
  const struct snm_sigv4_params *p = s->p;

  if (snm__sigv4_query_parse(&s->query, query) != 0)
    return snm_err_set(s->err, SNM_ENOMEM, "out of memory");
  if (!p->presign)
    return 0;
  for (size_t i = 0; i < s->query.n; i++)
    if (in_list(s->query.v[i].name, presign_params, COUNT(presign_params)))
      return snm_err_set(s->err, SNM_EINVAL,
                         "cannot presign %s %s: the query already carries "
                         "%s; remove the old signature first",
                         s->req->method, s->req->path, s->query.v[i].name);
  if (snm__sigv4_query_add(&s->query, "X-Amz-Algorithm", SNM_SIGV4_ALGORITHM) !=
          0 ||
      snm__sigv4_query_add(&s->query, "X-Amz-Credential", s->credential) ||
      snm__sigv4_query_add(&s->query, "X-Amz-Date", out->amz_date) != 0 ||
      snm__sigv4_query_add(&s->query, "X-Amz-Expires", s->expires) != 0 ||
      snm__sigv4_query_add(&s->query, "X-Amz-SignedHeaders",
                           out->signed_headers) != 0 ||
      (s->token != NULL && s->sign_token &&
       snm__sigv4_query_add(&s->query, "X-Amz-Security-Token", s->token)))
    return snm_err_set(s->err, SNM_ENOMEM, "out of memory");
  return 0;
}

/* Fill amz_date, payload_hash, credential_scope and s->credential. */
static int prepare(struct signer *s, struct snm_sigv4_result *out)
{
  const struct snm_sigv4_request *r = s->req;
  const struct snm_sigv4_params *p = s->p;
  struct snm_buf b;
  char hash[65];

  if (snm_sigv4_format_amz_date(out->amz_date, p->when) != 0)
    return snm_err_set(s->err, SNM_EINVAL,
                       "cannot sign %s %s: time %lld is outside years "
                       "0000-9999",
                       r->method, r->path, (long long)p->when);
  memcpy(s->date8, out->amz_date, 8);
  s->date8[8] = '\0';
  snprintf(s->expires, sizeof(s->expires), "%ld", p->expires);
  if (r->payload_hash != NULL)
    out->payload_hash = strdup(r->payload_hash);
  else if (p->unsigned_payload)
    out->payload_hash = strdup(SNM_SIGV4_UNSIGNED_PAYLOAD);
  else if (snm_sigv4_sha256_hex(hash, r->body, r->body_len) == 0)
    out->payload_hash = strdup(hash);
  snm_buf_init(&b, 0);
  if (out->payload_hash == NULL ||
      snm_buf_printf(&b, "%s/%s/%s/aws4_request", s->date8, p->region,
                     p->service) != 0 ||
      (out->credential_scope = snm_buf_steal(&b)) == NULL ||
      snm_buf_printf(&b, "%s/%s", p->access_key_id, out->credential_scope) ||
      (s->credential = snm_buf_steal(&b)) == NULL) {
    snm_buf_dispose(&b);
    return snm_err_set(s->err, SNM_ENOMEM, "out of memory");
  }
  return 0;
}

/* The canonical request, in out->canonical_request. */
static int build_canonical(struct signer *s, struct snm_sigv4_result *out)
{
  const struct snm_sigv4_request *r = s->req;
  const struct snm_sigv4_params *p = s->p;
  const char *q = strchr(r->path, '?');
  size_t path_len = q != NULL ? (size_t)(q - r->path) : strlen(r->path);
  struct snm_buf head, names, cr;
  int rc;

  snm_buf_init(&head, 0);
  snm_buf_init(&names, 0);
  snm_buf_init(&cr, 0);
  if ((rc = collect_headers(s, out->payload_hash)) != 0)
    goto done;
  rc = SNM_ENOMEM;
  if (!p->presign &&
      ((s->token != NULL && s->sign_token &&
        snm__sigv4_headers_add(&s->hdrs, "X-Amz-Security-Token", s->token)) ||
       snm__sigv4_headers_add(&s->hdrs, "X-Amz-Date", out->amz_date) != 0 ||
       (p->add_content_sha256_header && !s->has_content_sha &&
        snm__sigv4_headers_add(&s->hdrs, "x-amz-content-sha256",
                               out->payload_hash) != 0)))
    goto nomem;
  /* The header list comes first: presigning puts it in the query. */
  if (snm__sigv4_headers_write(&head, &names, &s->hdrs) != 0 ||
      (out->signed_headers = snm_buf_steal(&names)) == NULL)
    goto nomem;
  if ((rc = collect_query(s, out, q != NULL ? q + 1 : "")) != 0)
    goto done;
  if (snm_buf_printf(&cr, "%s\n", r->method) != 0 ||
      snm__sigv4_canon_uri(&cr, r->path, path_len, p->s3_rules) != 0 ||
      snm_buf_putc(&cr, '\n') != 0 ||
      snm__sigv4_query_write(&cr, &s->query) != 0 ||
      snm_buf_putc(&cr, '\n') != 0 ||
      snm_buf_append(&cr, snm_buf_str(&head), head.len) != 0 ||
      snm_buf_printf(&cr, "\n%s\n%s", out->signed_headers, out->payload_hash) !=
          0 ||
      (out->canonical_request = snm_buf_steal(&cr)) == NULL)
    goto nomem;
  rc = 0;
  goto done;
nomem:
  rc = snm_err_set(s->err, SNM_ENOMEM, "out of memory");
done:
  snm_buf_dispose(&head);
  snm_buf_dispose(&names);
  snm_buf_dispose(&cr);
  return rc;
}

/* Append "name=<value encoded>" to the sent query, "&" first unless
 * `first`. */
static int put_sent_param(struct snm_buf *b, int first, const char *name,
                          const char *value)
{
  if ((!first && snm_buf_putc(b, '&') != 0) || snm_buf_puts(b, name) != 0 ||
      snm_buf_putc(b, '=') != 0 ||
      snm_sigv4_uri_encode(b, value, strlen(value), 1) != 0)
    return SNM_ENOMEM;
  return 0;
}

/* The request-target to send when presigning: the path as given with the
 * X-Amz-* parameters appended; an unsigned token goes last. */
static int build_presigned_path(struct snm_sigv4_result *out,
                                const struct signer *s)
{
  const char *path = s->req->path, *q = strchr(path, '?');
  size_t len = strlen(path);
  int first = q == NULL || q[1] == '\0' || path[len - 1] == '&';
  struct snm_buf b;
  int bad;

  snm_buf_init(&b, 0);
  bad = snm_buf_append(&b, path, len) != 0 ||
        (q == NULL && snm_buf_putc(&b, '?') != 0) ||
        put_sent_param(&b, first, "X-Amz-Algorithm", SNM_SIGV4_ALGORITHM) ||
        put_sent_param(&b, 0, "X-Amz-Credential", s->credential) ||
        put_sent_param(&b, 0, "X-Amz-Date", out->amz_date) ||
        put_sent_param(&b, 0, "X-Amz-SignedHeaders", out->signed_headers) ||
        put_sent_param(&b, 0, "X-Amz-Expires", s->expires) ||
        (s->token != NULL && s->sign_token &&
         put_sent_param(&b, 0, "X-Amz-Security-Token", s->token)) ||
        put_sent_param(&b, 0, "X-Amz-Signature", out->signature) ||
        (s->token != NULL && !s->sign_token &&
         put_sent_param(&b, 0, "X-Amz-Security-Token", s->token)) ||
        (out->presigned_path = snm_buf_steal(&b)) == NULL;
  snm_buf_dispose(&b);
  return bad ? SNM_ENOMEM : 0;
}

static int add_out_header(struct snm_sigv4_result *out, const char *name,
                          const char *value)
{
  struct snm_sigv4_header *v;
  char *n, *val;

  v = realloc(out->add_headers, (out->n_add_headers + 1) * sizeof(*v));
  if (v == NULL)
    return SNM_ENOMEM;
  out->add_headers = v;
  n = strdup(name);
  val = strdup(value);
  if (n == NULL || val == NULL) {
    free(n);
    free(val);
    return SNM_ENOMEM;
  }
  v[out->n_add_headers].name = n;
  v[out->n_add_headers].value = val;
  out->n_add_headers++;
  return 0;
}

/* Authorization and the headers to add, in the order sigv4.h lists. */
static int build_header_auth(struct snm_sigv4_result *out,
                             const struct signer *s)
{
  struct snm_buf b;
  int bad;

  snm_buf_init(&b, 0);
  bad = snm_buf_printf(&b, "%s Credential=%s, SignedHeaders=%s, Signature=%s",
                       SNM_SIGV4_ALGORITHM, s->credential, out->signed_headers,
                       out->signature) != 0 ||
        (out->authorization = snm_buf_steal(&b)) == NULL;
  snm_buf_dispose(&b);
  if (bad ||
      (s->token != NULL && s->sign_token &&
       add_out_header(out, "X-Amz-Security-Token", s->token) != 0) ||
      add_out_header(out, "X-Amz-Date", out->amz_date) != 0 ||
      (s->p->add_content_sha256_header && !s->has_content_sha &&
       add_out_header(out, "x-amz-content-sha256", out->payload_hash) != 0) ||
      add_out_header(out, "Authorization", out->authorization) != 0 ||
      (s->token != NULL && !s->sign_token &&
       add_out_header(out, "X-Amz-Security-Token", s->token) != 0))
    return SNM_ENOMEM;
  return 0;
}

int snm_sigv4_sign(struct snm_sigv4_result *out,
                   const struct snm_sigv4_request *req,
                   const struct snm_sigv4_params *p, struct snm_err *err)
{
  struct signer s;
  struct snm_buf b;
  char hash[65], sig[65];
  int rc;

  assert(out != NULL && req != NULL && p != NULL);
  assert(req->method != NULL && req->path != NULL);
  assert(req->n_headers == 0 || req->headers != NULL);
  assert(req->body_len == 0 || req->body != NULL);
  memset(out, 0, sizeof(*out));
  memset(&s, 0, sizeof(s));
  snm__sigv4_headers_init(&s.hdrs);
  snm__sigv4_query_init(&s.query);
  snm_buf_init(&b, 0);
  s.req = req;
  s.p = p;
  s.err = err;
  if (p->session_token != NULL && *p->session_token != '\0')
    s.token = p->session_token;
  s.sign_token = !p->omit_session_token_from_signature;

  if ((rc = check_inputs(&s)) != 0 || (rc = prepare(&s, out)) != 0 ||
      (rc = build_canonical(&s, out)) != 0)
    goto done;
  if (snm_sigv4_sha256_hex(hash, out->canonical_request,
                           strlen(out->canonical_request)) != 0 ||
      snm_buf_printf(&b, "%s\n%s\n%s\n%s", SNM_SIGV4_ALGORITHM, out->amz_date,
                     out->credential_scope, hash) != 0 ||
      (out->string_to_sign = snm_buf_steal(&b)) == NULL ||
      compute_signature(sig, p, s.date8, out->string_to_sign) != 0 ||
      (out->signature = strdup(sig)) == NULL ||
      (p->presign ? build_presigned_path(out, &s)
                  : build_header_auth(out, &s)) != 0) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory while signing");
    goto done;
  }
  rc = 0;
done:
  if (rc != 0)
    snm_sigv4_result_dispose(out);
  snm__sigv4_headers_dispose(&s.hdrs);
  snm__sigv4_query_dispose(&s.query);
  snm_buf_dispose(&b);
  free(s.credential);
  return rc;
}

/* Free a string that may carry a credential (the security token, a
 * signature), wiping it first. */
static void free_secret(char *s)
{
  if (s != NULL)
    OPENSSL_cleanse(s, strlen(s));
  free(s);
}

void snm_sigv4_result_dispose(struct snm_sigv4_result *r)
{
  if (r == NULL)
    return;
  free_secret(r->canonical_request); /* may hold the security token */
  free(r->string_to_sign);
  free_secret(r->signature);
  free(r->signed_headers);
  free(r->credential_scope);
  free(r->payload_hash);
  free_secret(r->authorization);
  for (size_t i = 0; i < r->n_add_headers; i++) {
    free((char *)r->add_headers[i].name);
    free_secret((char *)r->add_headers[i].value);
  }
  free(r->add_headers);
  free_secret(r->presigned_path); /* signature and token in the query */
  OPENSSL_cleanse(r, sizeof(*r));
}
