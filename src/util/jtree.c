/* SPDX-License-Identifier: Apache-2.0 */
#include "jtree.h"
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static yajl_val jwalk(yajl_val v, va_list ap)
{
  const char *key;

  while (v != NULL && (key = va_arg(ap, const char *)) != NULL) {
    yajl_val next = NULL;
    if (!YAJL_IS_OBJECT(v))
      return NULL;
    for (size_t i = 0; i < v->u.object.len; i++)
      if (strcmp(v->u.object.keys[i], key) == 0) {
        next = v->u.object.values[i];
        break;
      }
    v = next;
  }
  return v;
}

yajl_val snm_jget(yajl_val v, ...)
{
  va_list ap;
  yajl_val r;

  va_start(ap, v);
  r = jwalk(v, ap);
  va_end(ap);
  return r;
}

const char *snm_jstr(yajl_val v, ...)
{
  va_list ap;
  yajl_val r;

  va_start(ap, v);
  r = jwalk(v, ap);
  va_end(ap);
  return YAJL_IS_STRING(r) ? r->u.string : NULL;
}

long long snm_jint(long long def, yajl_val v, ...)
{
  va_list ap;
  yajl_val r;

  va_start(ap, v);
  r = jwalk(v, ap);
  va_end(ap);
  if (YAJL_IS_INTEGER(r))
    return YAJL_GET_INTEGER(r);
  if (YAJL_IS_DOUBLE(r)) {
    /* "1e3" or a number too big for yajl's integer: only integral values
     * a long long holds (NaN fails both comparisons) */
    double d = YAJL_GET_DOUBLE(r);
    if (d >= -0x1p63 && d < 0x1p63) {
      long long n = (long long)d;
      if ((double)n == d)
        return n;
    }
    return def;
  }
  if (YAJL_IS_STRING(r) && r->u.string[0] != '\0') {
    char *end;
    long long n;
    errno = 0;
    n = strtoll(r->u.string, &end, 10);
    if (*end == '\0' && errno != ERANGE)
      return n;
  }
  return def;
}

void snm_jgen(yajl_gen g, yajl_val v)
{
  if (YAJL_IS_OBJECT(v)) {
    yajl_gen_map_open(g);
    for (size_t i = 0; i < v->u.object.len; i++) {
      const char *k = v->u.object.keys[i];
      snm_gen_str(g, k);
      snm_jgen(g, v->u.object.values[i]);
    }
    yajl_gen_map_close(g);
  } else if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++)
      snm_jgen(g, v->u.array.values[i]);
    yajl_gen_array_close(g);
  } else if (YAJL_IS_STRING(v)) {
    snm_gen_str(g, v->u.string);
  } else if (YAJL_IS_NUMBER(v)) {
    yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
  } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
    yajl_gen_bool(g, YAJL_IS_TRUE(v));
  } else {
    yajl_gen_null(g);
  }
}
