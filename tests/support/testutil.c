#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
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

void snm_test_log_start(struct snm_test_log *log, int level)
{
  memset(log, 0, sizeof(*log));
  log->fp = open_memstream(&log->text, &log->len);
  assert_non_null(log->fp);
  log->saved_level = snm_log_level();
  snm_log_set_stream(log->fp);
  snm_log_set_level(level);
}

void snm_test_log_stop(struct snm_test_log *log)
{
  assert_non_null(log->fp);
  snm_log_set_level(log->saved_level);
  snm_log_set_stream(NULL);
  assert_int_equal(fclose(log->fp), 0);
  log->fp = NULL;
  assert_non_null(log->text);
}
