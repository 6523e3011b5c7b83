/* SPDX-License-Identifier: Apache-2.0 */
#include "err.h"
#include "buf.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int snm_err_setv(struct snm_err *err, int code, const char *fmt, va_list ap)
{
  char small[SNM_ERR_MSG_MAX];
  char *text = NULL;
  va_list again;
  int n;

  if (err == NULL)
    return code;
  err->code = code;
  err->http_status = 0;
  /* Format it whole, then scrub, then cut: a secret cut in two would not
   * be recognised.  Without memory for that, what fits is scrubbed. */
  va_copy(again, ap);
  n = vsnprintf(small, sizeof(small), fmt, ap);
  if (n >= (int)sizeof(small) && (text = malloc((size_t)n + 1)) != NULL)
    vsnprintf(text, (size_t)n + 1, fmt, again);
  va_end(again);
  if (n < 0)
    n = 0;
  if (text != NULL) {
    snm_secret_scrub_into(err->msg, sizeof(err->msg), text, (size_t)n);
    OPENSSL_cleanse(text, (size_t)n);
    free(text);
  } else {
    snm_secret_scrub_into(err->msg, sizeof(err->msg), small,
                          strnlen(small, sizeof(small)));
  }
  OPENSSL_cleanse(small, sizeof(small));
  return code;
}

int snm_err_set(struct snm_err *err, int code, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  snm_err_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

/* Back `i` up to the start of the UTF-8 sequence it is in. */
static size_t utf8_start(const char *s, size_t i)
{
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
    i--;
  return i;
}

int snm_err_append_middle(struct snm_buf *out, const char *s, size_t len,
                          size_t max)
{
  size_t keep, head, tail, h, t, items = 1;
  int rc;

  if (len <= max)
    return snm_buf_append(out, s, len);
  keep = max > 64 ? max - 24 : 40; /* room for the marker */
  head = keep / 2;
  tail = keep - head;
  /* whole items: the last ',' in the head, the first in the tail */
  for (h = head; h > 0 && s[h] != ','; h--)
    ;
  for (t = len - tail; t < len && s[t] != ','; t++)
    ;
  if (h > 0 && t < len && h < t) {
    for (size_t i = h + 1; i < t; i++)
      items += s[i] == ',';
    rc = snm_buf_append(out, s, h);
    if (rc == 0)
      rc = snm_buf_printf(out, ",...(%zu more)...,", items);
    if (rc == 0)
      rc = snm_buf_append(out, s + t + 1, len - t - 1);
    return rc;
  }
  h = utf8_start(s, head);
  t = utf8_start(s, len - tail);
  rc = snm_buf_append(out, s, h);
  if (rc == 0)
    rc = snm_buf_printf(out, "...(%zu bytes)...", t - h);
  if (rc == 0)
    rc = snm_buf_append(out, s + t, len - t);
  return rc;
}

void snm_err_clear(struct snm_err *err)
{
  if (err == NULL)
    return;
  err->code = SNM_OK;
  err->http_status = 0;
  err->msg[0] = '\0';
}

const char *snm_err_name(int code)
{
  switch (code) {
  case SNM_OK:
    return "ok";
  case SNM_EINVAL:
    return "invalid";
  case SNM_ENOMEM:
    return "out of memory";
  case SNM_EIO:
    return "io";
  case SNM_ENET:
    return "network";
  case SNM_ETIMEOUT:
    return "timeout";
  case SNM_EHTTP:
    return "http";
  case SNM_EAUTH:
    return "auth";
  case SNM_EPARSE:
    return "parse";
  case SNM_ECANCELED:
    return "canceled";
  }
  return "unknown";
}
