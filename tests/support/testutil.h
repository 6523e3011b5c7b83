/* testutil.h - small helpers shared by the unit tests. */
#ifndef SNM_TESTUTIL_H
#define SNM_TESTUTIL_H

/* Line `n` (0-based) of `text`, malloced (the caller frees it).  Fails the
 * running cmocka test when `text` has fewer lines. */
char *snm_test_line_of(const char *text, int n);

#endif
