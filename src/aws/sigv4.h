/* sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256), pure computation.
 *
 * No I/O, no clock, no curl: the caller passes the request exactly as it
 * will go on the wire plus the credentials and the signing time, and gets
 * back every intermediate (canonical request, string to sign) along with
 * what to add to the request (headers, or presigned query parameters).
 *
 * Path contract (what the HTTP/ES/S3 layers must follow)
 * ------------------------------------------------------
 * `snm_sigv4_request.path` is the request-target as sent: the path, already
 * percent-encoded by the caller, optionally followed by "?query".  Build it
 * with snm_sigv4_uri_encode(): encode every path segment (index names,
 * snapshot names, object keys) with encode_slash = 1 and join the encoded
 * segments with "/"; encode each query name and value with encode_slash = 1
 * too.  Then send exactly that string (tell curl not to touch it) and sign
 * exactly that string.
 *
 *  - Every service but S3 (params.s3_rules = 0): the path is normalised
 *    (empty, "." and ".." segments removed, RFC 3986 style; a trailing "/"
 *    is kept) and then percent-encoded AGAIN, so "%" becomes "%25": the
 *    index "<logs-{now/d}>" is sent as "/%3Clogs-%7Bnow%2Fd%7D%3E" and
 *    signed as "/%253Clogs-%257Bnow%252Fd%257D%253E", which is what the
 *    service computes from the bytes it receives.
 *  - S3 (params.s3_rules = 1): no normalisation, and the sent path is
 *    encoded ONCE: bytes outside the unreserved set are encoded, but a
 *    valid "%XX" escape is kept as is, so a path built with
 *    snm_sigv4_uri_encode() is signed unchanged (never double-encoded).
 *  - Query (both rules): parameters are split on "&" and the first "=",
 *    "%XX" escapes are decoded, names and values are re-encoded with the
 *    unreserved set and sorted by name, then value.  "+" is a literal plus
 *    (signed as %2B), never a space: encode spaces as %20 when building.
 *
 * Signed headers are every request header the caller passes except the
 * hop-by-hop and proxy-mutated ones (Connection, Expect, Keep-Alive,
 * Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade, User-Agent,
 * X-Amzn-Trace-Id).  Pass Host, and Content-Type/Content-Length when sent.
 */
#ifndef SNM_SIGV4_H
#define SNM_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "err.h"

struct snm_buf;

#define SNM_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SNM_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SNM_SIGV4_MAX_EXPIRES 604800L /* seven days, AWS's limit */

/* One request header.  In a request, the strings are borrowed from the
 * caller; in a result, they belong to the result. */
struct snm_sigv4_header {
  const char *name;
  const char *value;
};

/* The request as it will be sent.  All pointers are borrowed for the call. */
struct snm_sigv4_request {
  const char *method; /* "GET", "PUT", ...: sent as is */
  const char *path;   /* "/a%2Cb/_search?q=x": path[?query] as sent */
  const struct snm_sigv4_header *headers; /* as sent, in order; may repeat */
  size_t n_headers;
  const void *body; /* may be NULL when body_len is 0 */
  size_t body_len;
  /* NULL: hex SHA-256 of body (or UNSIGNED-PAYLOAD, see params); else
   * used as is: the hex SHA-256 of a body the caller streams and hashed
   * itself, or a literal such as STREAMING-AWS4-HMAC-SHA256-PAYLOAD. */
  const char *payload_hash;
};

struct snm_sigv4_params {
  const char *access_key_id;     /* required */
  const char *secret_access_key; /* required; never copied into results */
  const char *session_token;     /* NULL or "": none */
  const char *region;            /* required, e.g. "us-east-1" */
  const char *service;           /* required: "es", "s3", "sts", ... */
  time_t when;                   /* signing time (UTC seconds) */
  int s3_rules;         /* 1: no path normalisation, encode once (S3) */
  int unsigned_payload; /* 1: payload hash is UNSIGNED-PAYLOAD */
  /* 1: add and sign "x-amz-content-sha256: <payload hash>" (S3 requires
   * it; ignored when presigning).  If the request already carries the
   * header it must equal the payload hash. */
  int add_content_sha256_header;
  /* 1: send the session token but leave it out of the signature (added
   * after signing), as some services require. */
  int omit_session_token_from_signature;
  int presign;  /* 1: sign in the query string instead of a header */
  long expires; /* presign: X-Amz-Expires, 1..SNM_SIGV4_MAX_EXPIRES */
};

struct snm_sigv4_result {
  char *canonical_request; /* malloced */
  char *string_to_sign;    /* malloced */
  char *signature;         /* malloced, 64 lowercase hex digits */
  char *signed_headers;    /* malloced, "host;x-amz-date" */
  char *credential_scope;  /* malloced, "20150830/us-east-1/es/aws4_request" */
  char *payload_hash;      /* malloced: hex SHA-256 or UNSIGNED-PAYLOAD */
  char amz_date[17];       /* "20150830T123600Z" */
  /* Header signing: the Authorization header value (malloced); presigning:
   * NULL. */
  char *authorization;
  /* Headers to append to the request, in this order (header signing):
   * X-Amz-Security-Token (when a token is set and signed), X-Amz-Date,
   * x-amz-content-sha256 (when asked for and not already present),
   * Authorization, X-Amz-Security-Token (when a token is set but omitted
   * from the signature).  Presigning adds none.  Malloced array; each name
   * and value is malloced and owned by the result. */
  struct snm_sigv4_header *add_headers;
  size_t n_add_headers;
  /* Presigning: the request-target to send instead of request.path, with
   * X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Expires,
   * -Security-Token and -Signature appended to its query (malloced);
   * header signing: NULL. */
  char *presigned_path;
};

/* Sign `req`.  On success fills `out` (which the caller disposes with
 * snm_sigv4_result_dispose) and returns 0.  On failure returns SNM_EINVAL
 * (a missing credential field, region or service, an invalid method,
 * header or path, expires out of range, or a request that already carries
 * Authorization, X-Amz-Date, X-Amz-Security-Token or X-Amz-* presigning
 * parameters) or SNM_ENOMEM, fills `err` and leaves `out` empty (safe to
 * dispose).  The secret key is never copied into `out` or `err`. */
int snm_sigv4_sign(struct snm_sigv4_result *out,
                   const struct snm_sigv4_request *req,
                   const struct snm_sigv4_params *p, struct snm_err *err);

/* Free everything `r` owns and zero it.  Safe on a zeroed result. */
void snm_sigv4_result_dispose(struct snm_sigv4_result *r);

/* Append `len` bytes percent-encoded for SigV4 (and for building the path
 * and query that are sent): every byte but A-Z a-z 0-9 - _ . ~ becomes
 * "%XX" with upper-case hex; "/" is kept when encode_slash is 0.  UTF-8 is
 * encoded byte by byte.  Returns 0 or SNM_ENOMEM (cap of `out`). */
int snm_sigv4_uri_encode(struct snm_buf *out, const void *bytes, size_t len,
                         int encode_slash);

/* Hex SHA-256 of `len` bytes into `hex` (65 bytes with the NUL).  Returns
 * 0, or SNM_ENOMEM if OpenSSL fails. */
int snm_sigv4_sha256_hex(char hex[65], const void *data, size_t len);

/* Parse "YYYY-MM-DDTHH:MM:SSZ" (the --time format) or, when `compact` is
 * 1, "YYYYMMDDTHHMMSSZ" (X-Amz-Date) into UTC seconds.  Returns 0, or
 * SNM_EINVAL with a message quoting `s` when it is malformed or names an
 * impossible date. */
int snm_sigv4_parse_time(time_t *out, const char *s, int compact,
                         struct snm_err *err) SNM_MUST_CHECK;

/* Format `t` as X-Amz-Date "YYYYMMDDTHHMMSSZ".  Returns 0, or SNM_EINVAL
 * when `t` is outside years 0000..9999. */
int snm_sigv4_format_amz_date(char out[17], time_t t);

#endif
