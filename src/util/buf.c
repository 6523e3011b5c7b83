/* SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snm_buf_init(struct snm_buf *b, size_t max)
{
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void snm_buf_dispose(struct snm_buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void snm_buf_reset(struct snm_buf *b)
{
  b->len = 0;
  if (b->data != NULL)
    b->data[0] = '\0';
}

static int buf_reserve(struct snm_buf *b, size_t extra)
{
  size_t need, ncap;
  char *p;

  if (extra > (size_t)-1 - b->len - 1)
    return SNM_ENOMEM;
  need = b->len + extra + 1;
  if (b->max != 0 && b->len + extra > b->max)
    return SNM_ENOMEM;
  if (need <= b->cap)
    return 0;
  ncap = b->cap != 0 ? b->cap : 64;
  while (ncap < need)
    ncap = ncap > (size_t)-1 / 2 ? need : ncap * 2;
  if (b->max != 0 && ncap > b->max + 1)
    ncap = b->max + 1; /* never more than the cap can use (need fits) */
  p = realloc(b->data, ncap);
  if (p == NULL)
    return SNM_ENOMEM;
  b->data = p;
  b->cap = ncap;
  return 0;
}

int snm_buf_append(struct snm_buf *b, const void *data, size_t len)
{
  if (buf_reserve(b, len) != 0)
    return SNM_ENOMEM;
  if (len > 0)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int snm_buf_puts(struct snm_buf *b, const char *s)
{
  return snm_buf_append(b, s, strlen(s));
}

int snm_buf_putc(struct snm_buf *b, char c)
{
  return snm_buf_append(b, &c, 1);
}

int snm_buf_vprintf(struct snm_buf *b, const char *fmt, va_list ap)
{
  va_list cp;
  int n;

  va_copy(cp, ap);
  n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n < 0)
    return SNM_EINVAL;
  if (buf_reserve(b, (size_t)n) != 0)
    return SNM_ENOMEM;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int snm_buf_printf(struct snm_buf *b, const char *fmt, ...)
{
  va_list ap;
  int rc;

  va_start(ap, fmt);
  rc = snm_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

char *snm_buf_steal(struct snm_buf *b)
{
  char *p;

  if (b->data == NULL)
    return strdup("");
  p = b->data;
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  return p;
}

const char *snm_buf_str(const struct snm_buf *b)
{
  return b->data != NULL ? b->data : "";
}

char *snm_memdup0(const void *p, size_t len)
{
  char *s = malloc(len + 1);

  if (s == NULL)
    return NULL;
  if (len > 0)
    memcpy(s, p, len);
  s[len] = '\0';
  return s;
}
