/* SPDX-License-Identifier: Apache-2.0 */
/* sigv4_canon.h - internal to sigv4.c: the canonical forms SigV4 signs.
 *
 * Percent-encoding rules, the canonical URI, the canonical query and the
 * canonical header block.  Exposed (with the snm__ prefix) only so that
 * sigv4.c and the unit tests share them; not for other modules.
 */
#ifndef SNM_SIGV4_CANON_H
#define SNM_SIGV4_CANON_H

#include <stddef.h>

struct snm_buf;

/* Canonical URI of the `len`-byte path as sent (no query).  s3_rules 0:
 * normalise, then encode every byte but the unreserved set and "/" (so
 * "%" becomes "%25"); 1: keep the path, encode what is not unreserved,
 * "/" or a valid "%XX".  An empty path is "/".  0 or SNM_ENOMEM. */
int snm__sigv4_canon_uri(struct snm_buf *out, const char *path, size_t len,
                         int s3_rules);

/* Append `v` with leading and trailing blanks removed and each run of
 * spaces and tabs inside collapsed to one space.  0 or SNM_ENOMEM. */
int snm__sigv4_trimall(struct snm_buf *out, const char *v);

/* Query parameters, each name and value decoded from %XX and re-encoded
 * with the unreserved set. */
struct snm__sigv4_qparam {
  char *name;  /* malloced, encoded */
  char *value; /* malloced, encoded */
};

struct snm__sigv4_query {
  struct snm__sigv4_qparam *v; /* malloced array */
  size_t n;
};

void snm__sigv4_query_init(struct snm__sigv4_query *q);
void snm__sigv4_query_dispose(struct snm__sigv4_query *q);
/* Add the parameters of a sent query string (without "?"): split on "&"
 * and the first "="; empty pieces are skipped, "name" means "name=".
 * 0 or SNM_ENOMEM. */
int snm__sigv4_query_parse(struct snm__sigv4_query *q, const char *query);
/* Add one parameter given raw (unencoded) bytes.  0 or SNM_ENOMEM. */
int snm__sigv4_query_add(struct snm__sigv4_query *q, const char *name,
                         const char *value);
/* Sort by name, then value, and append "n1=v1&n2=v2".  0 or SNM_ENOMEM. */
int snm__sigv4_query_write(struct snm_buf *out, struct snm__sigv4_query *q);

/* Headers to sign: lower-case names, values borrowed. */
struct snm__sigv4_hdr {
  char *name;        /* malloced, lower case */
  const char *value; /* borrowed from the caller */
  size_t order;      /* insertion order, keeps repeated names in order */
};

struct snm__sigv4_headers {
  struct snm__sigv4_hdr *v; /* malloced array */
  size_t n;
};

void snm__sigv4_headers_init(struct snm__sigv4_headers *h);
void snm__sigv4_headers_dispose(struct snm__sigv4_headers *h);
/* Add a header (name copied and lower-cased, value borrowed).  0 or
 * SNM_ENOMEM. */
int snm__sigv4_headers_add(struct snm__sigv4_headers *h, const char *name,
                           const char *value);
/* Drop the most recently added header. */
void snm__sigv4_headers_pop(struct snm__sigv4_headers *h);
/* Sort by name (repeats keep their order) and append the canonical block
 * ("name:v1,v2\n" per name) to `canon` and "a;b;c" to `names`.  0 or
 * SNM_ENOMEM. */
int snm__sigv4_headers_write(struct snm_buf *canon, struct snm_buf *names,
                             struct snm__sigv4_headers *h);

#endif
