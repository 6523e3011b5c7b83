#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int snm_err_setv(struct snm_err *err, int code, const char *fmt, va_list ap)
{
  if (err == NULL)
    return code;
  err->code = code;
  err->http_status = 0;
  vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
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
