#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

char *snm_test_line_of(const char *text, int n)
{
  const char *s = text, *e;
  char *out;

  for (int i = 0; i < n; i++) {
    s = strchr(s, '\n');
    assert_non_null(s);
    s++;
  }
  e = strchr(s, '\n');
  if (e == NULL)
    e = s + strlen(s);
  out = malloc((size_t)(e - s) + 1);
  assert_non_null(out);
  memcpy(out, s, (size_t)(e - s));
  out[e - s] = '\0';
  return out;
}
