/* SPDX-License-Identifier: Apache-2.0 */
/* reqfile.c - raw HTTP/1.1 request text -> method, target, headers, body. */
#include "reqfile.h"
#include "buf.h"
#include "token.h"
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void snm_reqfile_init(struct snm_reqfile *r)
{
  memset(r, 0, sizeof(*r));
}

static void header_free(struct snm_reqfile_header *h)
{
  free(h->name);
  free(h->value);
  free(h->raw);
}

void snm_reqfile_dispose(struct snm_reqfile *r)
{
  if (r == NULL)
    return;
  free(r->method);
  free(r->target);
  free(r->version);
  for (size_t i = 0; i < r->n_headers; i++)
    header_free(&r->headers[i]);
  free(r->headers);
  free(r->body);
  snm_reqfile_init(r);
}

/* [s, s+len) without the blanks around it, copied. */
static char *dup_trimmed(const char *s, size_t len)
{
  while (len > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    len--;
  }
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  return snm_memdup0(s, len);
}

/* The next line of text at *pos: its start and length without LF/CRLF;
 * *pos moves past the line ending.  0 at the end of the text. */
static int next_line(const char *text, size_t len, size_t *pos,
                     const char **line, size_t *line_len)
{
  const char *nl;
  size_t l;

  if (*pos >= len)
    return 0;
  *line = text + *pos;
  nl = memchr(*line, '\n', len - *pos);
  l = nl != NULL ? (size_t)(nl - *line) : len - *pos;
  *pos += nl != NULL ? l + 1 : l;
  if (l > 0 && (*line)[l - 1] == '\r')
    l--;
  *line_len = l;
  return 1;
}

static int parse_request_line(struct snm_reqfile *r, const char *line,
                              size_t len, const char *origin,
                              struct snm_err *err)
{
  const char *sp1 = memchr(line, ' ', len), *sp2 = NULL;

  for (size_t i = len; i > 0; i--)
    if (line[i - 1] == ' ') {
      sp2 = line + i - 1;
      break;
    }
  if (sp1 == NULL || sp2 == sp1 || !snm_is_token(line, (size_t)(sp1 - line)) ||
      sp2 + 1 == line + len || len - (size_t)(sp2 + 1 - line) < 6 ||
      memcmp(sp2 + 1, "HTTP/", 5) != 0 || sp2 == sp1 + 1)
    return snm_err_set(err, SNM_EPARSE,
                       "%s:1: expected a request line like "
                       "'GET /path?query HTTP/1.1'",
                       origin);
  if (sp1[1] != '/')
    return snm_err_set(err, SNM_EPARSE,
                       "%s:1: the request target must be a path starting "
                       "with '/' (give the host in a Host header)",
                       origin);
  r->method = snm_memdup0(line, (size_t)(sp1 - line));
  r->target = snm_memdup0(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  r->version = snm_memdup0(sp2 + 1, len - (size_t)(sp2 + 1 - line));
  if (r->method == NULL || r->target == NULL || r->version == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  return 0;
}

/* A folded line (starting with SP or HT) continues the value of the header
 * above it: the fold, the line break with the blanks around it, becomes
 * one space (RFC 7230's obs-fold; AWS signs the value that way), and the
 * line joins the header's raw text. */
static int fold_into(struct snm_reqfile_header *h, const char *line, size_t len)
{
  size_t vlen = strlen(h->value), rlen = strlen(h->raw), add;
  const char *s = line;
  char *value, *raw;

  while (len > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    len--;
  }
  add = len;
  while (add > 0 && (s[add - 1] == ' ' || s[add - 1] == '\t'))
    add--;
  raw = realloc(h->raw, rlen + 1 + (size_t)(s - line) + len + 1);
  if (raw == NULL)
    return SNM_ENOMEM;
  h->raw = raw;
  raw[rlen] = '\n';
  memcpy(raw + rlen + 1, line, (size_t)(s - line) + len);
  raw[rlen + 1 + (size_t)(s - line) + len] = '\0';
  if (add == 0)
    return 0; /* a blank line adds nothing to the value */
  value = realloc(h->value, vlen + 1 + add + 1);
  if (value == NULL)
    return SNM_ENOMEM;
  h->value = value;
  if (vlen > 0)
    value[vlen++] = ' ';
  memcpy(value + vlen, s, add);
  value[vlen + add] = '\0';
  return 0;
}

static int add_header(struct snm_reqfile *r, const char *line, size_t len,
                      size_t lineno, const char *origin, struct snm_err *err)
{
  struct snm_reqfile_header h = {NULL, NULL, NULL}, *v;
  const char *colon;

  if (line[0] == ' ' || line[0] == '\t') {
    if (r->n_headers == 0)
      return snm_err_set(err, SNM_EPARSE,
                         "%s:%zu: a folded line (starting with a blank) "
                         "needs a header line before it",
                         origin, lineno);
    if (fold_into(&r->headers[r->n_headers - 1], line, len) != 0)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
    return 0;
  }
  colon = memchr(line, ':', len);
  if (colon == NULL || !snm_is_token(line, (size_t)(colon - line)))
    return snm_err_set(err, SNM_EPARSE,
                       "%s:%zu: expected a header line 'Name: value' "
                       "(names hold no blanks)",
                       origin, lineno);
  h.name = snm_memdup0(line, (size_t)(colon - line));
  h.value = dup_trimmed(colon + 1, len - (size_t)(colon + 1 - line));
  h.raw = snm_memdup0(line, len);
  v = realloc(r->headers, (r->n_headers + 1) * sizeof(*v));
  if (h.name == NULL || h.value == NULL || h.raw == NULL || v == NULL) {
    header_free(&h);
    if (v != NULL)
      r->headers = v;
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  r->headers = v;
  r->headers[r->n_headers++] = h;
  return 0;
}

/* Apply Content-Length: drop trailing line breaks beyond it, refuse any
 * other mismatch. */
static int check_length(struct snm_reqfile *r, const char *origin,
                        struct snm_err *err)
{
  const char *cl = snm_reqfile_header(r, "Content-Length");
  char *end;
  unsigned long long n;

  if (cl == NULL)
    return 0;
  n = strtoull(cl, &end, 10);
  if (*cl < '0' || *cl > '9' || *end != '\0')
    return snm_err_set(err, SNM_EPARSE,
                       "%s: Content-Length '%s' is not a number", origin, cl);
  while (r->body_len > n &&
         (r->body[r->body_len - 1] == '\n' || r->body[r->body_len - 1] == '\r'))
    r->body[--r->body_len] = '\0';
  if (r->body_len != n)
    return snm_err_set(err, SNM_EPARSE,
                       "%s: Content-Length is %llu but the body after the "
                       "empty line has %zu bytes",
                       origin, n, r->body_len);
  return 0;
}

int snm_reqfile_parse(struct snm_reqfile *out, const char *text, size_t len,
                      const char *origin, struct snm_err *err)
{
  const char *line;
  size_t pos = 0, line_len, lineno = 1;
  int rc;

  snm_reqfile_init(out);
  if (!next_line(text, len, &pos, &line, &line_len) || line_len == 0)
    return snm_err_set(err, SNM_EPARSE,
                       "%s:1: empty request: expected a line like "
                       "'GET /path HTTP/1.1'",
                       origin);
  if ((rc = parse_request_line(out, line, line_len, origin, err)) != 0)
    return rc;
  while (next_line(text, len, &pos, &line, &line_len)) {
    lineno++;
    if (line_len == 0)
      break;
    if ((rc = add_header(out, line, line_len, lineno, origin, err)) != 0)
      return rc;
  }
  out->body_len = len - pos;
  if ((out->body = snm_memdup0(text + pos, out->body_len)) == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  return check_length(out, origin, err);
}

const char *snm_reqfile_header(const struct snm_reqfile *r, const char *name)
{
  for (size_t i = 0; i < r->n_headers; i++)
    if (strcasecmp(r->headers[i].name, name) == 0)
      return r->headers[i].value;
  return NULL;
}

size_t snm_reqfile_remove_header(struct snm_reqfile *r, const char *name)
{
  size_t kept = 0, removed = 0;

  for (size_t i = 0; i < r->n_headers; i++) {
    if (strcasecmp(r->headers[i].name, name) == 0) {
      removed++; /* its first line, then one per fold */
      for (const char *p = r->headers[i].raw; *p != '\0'; p++)
        removed += *p == '\n';
      header_free(&r->headers[i]);
    } else {
      r->headers[kept++] = r->headers[i];
    }
  }
  r->n_headers = kept;
  return removed;
}

int snm_reqfile_write(struct snm_buf *out, const struct snm_reqfile *r,
                      const char *target, const struct snm_sigv4_header *extra,
                      size_t n_extra)
{
  if (snm_buf_printf(out, "%s %s %s\n", r->method,
                     target != NULL ? target : r->target, r->version) != 0)
    return SNM_ENOMEM;
  for (size_t i = 0; i < r->n_headers; i++)
    if (snm_buf_printf(out, "%s\n", r->headers[i].raw) != 0)
      return SNM_ENOMEM;
  for (size_t i = 0; i < n_extra; i++)
    if (snm_buf_printf(out, "%s:%s\n", extra[i].name, extra[i].value) != 0)
      return SNM_ENOMEM;
  if (snm_buf_putc(out, '\n') != 0 ||
      snm_buf_append(out, r->body, r->body_len) != 0)
    return SNM_ENOMEM;
  return 0;
}
