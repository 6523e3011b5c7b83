/* SPDX-License-Identifier: Apache-2.0 */
/* sigv4_canon.c - percent-encoding, canonical URI, query and headers, and
 * the SigV4 time formats.  See sigv4.h for the contract and sigv4_canon.h
 * for the internal API. */
#include "sigv4.h"
#include "sigv4_canon.h"
#include "buf.h"
#include "timefmt.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

static int hexval(unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* s[i] starts a "%XX" escape within len bytes. */
static int is_escape(const unsigned char *s, size_t i, size_t len)
{
  return s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
         hexval(s[i + 2]) >= 0;
}

int snm_sigv4_uri_encode(struct snm_buf *out, const void *bytes, size_t len,
                         int encode_slash)
{
  static const char digits[] = "0123456789ABCDEF";
  const unsigned char *s = bytes;
  size_t run = 0; /* start of the bytes still to copy as they are */

  for (size_t i = 0; i < len; i++) {
    char esc[3];

    if (is_unreserved(s[i]) || (s[i] == '/' && !encode_slash))
      continue;
    esc[0] = '%';
    esc[1] = digits[s[i] >> 4];
    esc[2] = digits[s[i] & 0x0f];
    if (snm_buf_append(out, s + run, i - run) != 0 ||
        snm_buf_append(out, esc, 3) != 0)
      return SNM_ENOMEM;
    run = i + 1;
  }
  return snm_buf_append(out, s + run, len - run);
}

/* ---- canonical URI ---------------------------------------------------- */

static int canon_uri_s3(struct snm_buf *out, const char *path, size_t len)
{
  const unsigned char *s = (const unsigned char *)path;

  for (size_t i = 0; i < len; i++) {
    if (is_escape(s, i, len)) {
      if (snm_buf_append(out, s + i, 3) != 0)
        return SNM_ENOMEM;
      i += 2;
    } else if (snm_sigv4_uri_encode(out, s + i, 1, 0) != 0) {
      return SNM_ENOMEM;
    }
  }
  return 0;
}

/* Drop empty and "." segments, let ".." drop the segment before it, keep a
 * trailing "/" (also after a final "." or ".."), encode each segment. */
static int canon_uri_normalized(struct snm_buf *out, const char *path,
                                size_t len)
{
  size_t *starts, *lens, n = 0, cap = 1;
  int trailing = len > 0 && path[len - 1] == '/';
  int rc = SNM_ENOMEM;

  for (size_t i = 0; i < len; i++)
    cap += path[i] == '/';
  starts = malloc(cap * sizeof(*starts));
  lens = malloc(cap * sizeof(*lens));
  if (starts == NULL || lens == NULL)
    goto done;
  for (size_t i = 0, j; i < len; i = j + 1) {
    j = i;
    while (j < len && path[j] != '/')
      j++;
    if (j == i)
      continue;
    if ((j - i == 1 && path[i] == '.') ||
        (j - i == 2 && path[i] == '.' && path[i + 1] == '.')) {
      if (j - i == 2 && n > 0)
        n--;
      trailing = trailing || j == len;
      continue;
    }
    starts[n] = i;
    lens[n++] = j - i;
  }
  for (size_t k = 0; k < n; k++)
    if (snm_buf_putc(out, '/') != 0 ||
        snm_sigv4_uri_encode(out, path + starts[k], lens[k], 1) != 0)
      goto done;
  if ((n == 0 || trailing) && snm_buf_putc(out, '/') != 0)
    goto done;
  rc = 0;
done:
  free(starts);
  free(lens);
  return rc;
}

int snm__sigv4_canon_uri(struct snm_buf *out, const char *path, size_t len,
                         int s3_rules)
{
  if (len == 0)
    return snm_buf_putc(out, '/');
  return s3_rules ? canon_uri_s3(out, path, len)
                  : canon_uri_normalized(out, path, len);
}

/* ---- canonical query -------------------------------------------------- */

void snm__sigv4_query_init(struct snm__sigv4_query *q)
{
  q->v = NULL;
  q->n = 0;
}

void snm__sigv4_query_dispose(struct snm__sigv4_query *q)
{
  for (size_t i = 0; i < q->n; i++) {
    free(q->v[i].name);
    free(q->v[i].value);
  }
  free(q->v);
  snm__sigv4_query_init(q);
}

/* Decode the %XX escapes of `len` bytes (if `decode`), then encode them
 * again; a new string or NULL. */
static char *reencode(const char *s, size_t len, int decode)
{
  struct snm_buf dec, enc;
  const unsigned char *u = (const unsigned char *)s;
  char *res = NULL;

  snm_buf_init(&dec, 0);
  snm_buf_init(&enc, 0);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = u[i];

    if (decode && is_escape(u, i, len)) {
      c = (unsigned char)(hexval(u[i + 1]) << 4 | hexval(u[i + 2]));
      i += 2;
    }
    if (snm_buf_append(&dec, &c, 1) != 0)
      goto done;
  }
  if (snm_sigv4_uri_encode(&enc, snm_buf_str(&dec), dec.len, 1) == 0)
    res = snm_buf_steal(&enc);
done:
  snm_buf_dispose(&dec);
  snm_buf_dispose(&enc);
  return res;
}

static int query_push(struct snm__sigv4_query *q, const char *name, size_t nlen,
                      const char *value, size_t vlen, int decode)
{
  struct snm__sigv4_qparam *v = realloc(q->v, (q->n + 1) * sizeof(*v));
  char *n, *val;

  if (v == NULL)
    return SNM_ENOMEM;
  q->v = v;
  n = reencode(name, nlen, decode);
  val = reencode(value, vlen, decode);
  if (n == NULL || val == NULL) {
    free(n);
    free(val);
    return SNM_ENOMEM;
  }
  v[q->n].name = n;
  v[q->n].value = val;
  q->n++;
  return 0;
}

int snm__sigv4_query_parse(struct snm__sigv4_query *q, const char *query)
{
  while (*query != '\0') {
    size_t len = strcspn(query, "&");
    const char *eq = memchr(query, '=', len);
    size_t nlen = eq != NULL ? (size_t)(eq - query) : len;

    if (len > 0 && query_push(q, query, nlen, eq != NULL ? eq + 1 : "",
                              eq != NULL ? len - nlen - 1 : 0, 1) != 0)
      return SNM_ENOMEM;
    query += len;
    if (*query == '&')
      query++;
  }
  return 0;
}

int snm__sigv4_query_add(struct snm__sigv4_query *q, const char *name,
                         const char *value)
{
  return query_push(q, name, strlen(name), value, strlen(value), 0);
}

static int cmp_param(const void *a, const void *b)
{
  const struct snm__sigv4_qparam *x = a, *y = b;
  int c = strcmp(x->name, y->name);

  return c != 0 ? c : strcmp(x->value, y->value);
}

int snm__sigv4_query_write(struct snm_buf *out, struct snm__sigv4_query *q)
{
  if (q->n > 1)
    qsort(q->v, q->n, sizeof(*q->v), cmp_param);
  for (size_t i = 0; i < q->n; i++)
    if (snm_buf_printf(out, "%s%s=%s", i > 0 ? "&" : "", q->v[i].name,
                       q->v[i].value) != 0)
      return SNM_ENOMEM;
  return 0;
}

/* ---- canonical headers ------------------------------------------------ */

void snm__sigv4_headers_init(struct snm__sigv4_headers *h)
{
  h->v = NULL;
  h->n = 0;
}

void snm__sigv4_headers_dispose(struct snm__sigv4_headers *h)
{
  for (size_t i = 0; i < h->n; i++)
    free(h->v[i].name);
  free(h->v);
  snm__sigv4_headers_init(h);
}

int snm__sigv4_headers_add(struct snm__sigv4_headers *h, const char *name,
                           const char *value)
{
  struct snm__sigv4_hdr *v = realloc(h->v, (h->n + 1) * sizeof(*v));
  char *lower;

  if (v == NULL)
    return SNM_ENOMEM;
  h->v = v;
  if ((lower = strdup(name)) == NULL)
    return SNM_ENOMEM;
  for (char *c = lower; *c != '\0'; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  v[h->n].name = lower;
  v[h->n].value = value;
  v[h->n].order = h->n;
  h->n++;
  return 0;
}

void snm__sigv4_headers_pop(struct snm__sigv4_headers *h)
{
  assert(h->n > 0);
  free(h->v[--h->n].name);
}

int snm__sigv4_trimall(struct snm_buf *out, const char *v)
{
  int blank = 0;

  while (*v == ' ' || *v == '\t')
    v++;
  for (; *v != '\0'; v++) {
    if (*v == ' ' || *v == '\t') {
      blank = 1;
      continue;
    }
    if ((blank && snm_buf_putc(out, ' ') != 0) || snm_buf_putc(out, *v) != 0)
      return SNM_ENOMEM;
    blank = 0;
  }
  return 0;
}

static int cmp_header(const void *a, const void *b)
{
  const struct snm__sigv4_hdr *x = a, *y = b;
  int c = strcmp(x->name, y->name);

  if (c != 0)
    return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

int snm__sigv4_headers_write(struct snm_buf *canon, struct snm_buf *names,
                             struct snm__sigv4_headers *h)
{
  if (h->n > 1)
    qsort(h->v, h->n, sizeof(*h->v), cmp_header);
  for (size_t i = 0; i < h->n; i++) {
    const char *name = h->v[i].name;
    int first = i == 0 || strcmp(h->v[i - 1].name, name) != 0;
    int last = i + 1 == h->n || strcmp(h->v[i + 1].name, name) != 0;

    if (first && ((names->len > 0 && snm_buf_putc(names, ';') != 0) ||
                  snm_buf_puts(names, name) != 0 ||
                  snm_buf_printf(canon, "%s:", name) != 0))
      return SNM_ENOMEM;
    if ((!first && snm_buf_putc(canon, ',') != 0) ||
        snm__sigv4_trimall(canon, h->v[i].value) != 0 ||
        (last && snm_buf_putc(canon, '\n') != 0))
      return SNM_ENOMEM;
  }
  return 0;
}

/* ---- time ------------------------------------------------------------- */

static int days_in_month(int y, int m)
{
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

  return m == 2 && leap ? 29 : mdays[m - 1];
}

int snm_sigv4_parse_time(time_t *out, const char *s, int compact,
                         struct snm_err *err)
{
  /* where year, month, day, hour, minute and second start */
  static const int ext[] = {0, 5, 8, 11, 14, 17};
  static const int cmp[] = {0, 4, 6, 9, 11, 13};
  const char *want = compact ? "YYYYMMDDTHHMMSSZ" : "YYYY-MM-DDTHH:MM:SSZ";
  const int *off = compact ? cmp : ext;
  int v[6];

  assert(out != NULL);
  if (s == NULL || strlen(s) != strlen(want))
    goto bad;
  for (size_t i = 0; want[i] != '\0'; i++) {
    int pattern_digit = strchr("YMDHS", want[i]) != NULL;
    int is_digit = s[i] >= '0' && s[i] <= '9';

    if (pattern_digit != is_digit || (!pattern_digit && s[i] != want[i]))
      goto bad;
  }
  for (int i = 0; i < 6; i++) {
    v[i] = 0;
    for (int k = 0; k < (i == 0 ? 4 : 2); k++)
      v[i] = v[i] * 10 + (s[off[i] + k] - '0');
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > days_in_month(v[0], v[1]) ||
      v[3] > 23 || v[4] > 59 || v[5] > 59)
    goto bad;
  *out = (time_t)(snm_time_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) *
                      86400LL +
                  v[3] * 3600LL + v[4] * 60LL + v[5]);
  return 0;
bad:
  return snm_err_set(err, SNM_EINVAL,
                     "invalid time '%s': expected %s (UTC), e.g. %s",
                     s != NULL ? s : "", want,
                     compact ? "20150830T123600Z" : "2015-08-30T12:36:00Z");
}

int snm_sigv4_format_amz_date(char out[17], time_t t)
{
  struct tm tm;

  if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
      tm.tm_year > 9999 - 1900)
    return SNM_EINVAL;
  /* The modulos only tell the compiler the fields' widths. */
  snprintf(out, 17, "%04u%02u%02uT%02u%02u%02uZ",
           (unsigned)(tm.tm_year + 1900) % 10000u,
           (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
           (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
           (unsigned)tm.tm_sec % 100u);
  return 0;
}
