/* testutil.h - small helpers shared by the unit tests. */
#ifndef SNM_TESTUTIL_H
#define SNM_TESTUTIL_H

#include <stddef.h>
#include <stdio.h>

/* Line `n` (0-based) of `text`, malloced (the caller frees it).  Fails the
 * running cmocka test when `text` has fewer lines. */
char *snm_test_line_of(const char *text, int n);

/* The log, captured: between snm_test_log_start and snm_test_log_stop,
 * messages at `level` (enum snm_log_level) or more severe go to `text`
 * instead of stderr.  After stop, `text` holds all of it (malloced, the
 * caller frees it) and the previous level is back. */
struct snm_test_log {
  char *text;
  size_t len;
  FILE *fp;        /* open between start and stop */
  int saved_level; /* the level before start */
};
void snm_test_log_start(struct snm_test_log *log, int level);
void snm_test_log_stop(struct snm_test_log *log);

#endif
