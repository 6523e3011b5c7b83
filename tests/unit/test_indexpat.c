/* Unit tests for indexpat.c: Regex.simpleMatch and the restore-side
 * expression semantics (SnapshotUtils.filterIndices). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "indexpat.h"

static void test_simple_match(void **state)
{
  (void)state;
  assert_true(snm_indexpat_match("logs-*", "logs-2024"));
  assert_true(snm_indexpat_match("logs-*", "logs-"));
  assert_false(snm_indexpat_match("logs-*", "logs"));
  assert_true(snm_indexpat_match("*", ""));
  assert_true(snm_indexpat_match("*", ".kibana"));
  assert_true(snm_indexpat_match("*-2024-*", "app-2024-01"));
  assert_false(snm_indexpat_match("*-2024-*", "app-2023-01"));
  assert_true(snm_indexpat_match("a*b*c", "aXbYbZc"));
  assert_false(snm_indexpat_match("a*b*c", "aXbYbZ"));
  assert_true(snm_indexpat_match("**x", "x"));
  assert_true(snm_indexpat_match("exact", "exact"));
  assert_false(snm_indexpat_match("exact", "exactly"));
  /* '?' and '.' are not wildcards */
  assert_false(snm_indexpat_match("log?", "logs"));
  assert_false(snm_indexpat_match("l.gs", "logs"));
  assert_true(snm_indexpat_match("*a", "aaa"));
  assert_false(snm_indexpat_match("*ab", "aba"));
  assert_true(snm_indexpat_is_wildcard("a*"));
  assert_false(snm_indexpat_is_wildcard("a"));
  assert_true(snm_index_is_system(".kibana_1"));
  assert_true(snm_index_is_system(".opendistro-job-scheduler-lock"));
  assert_false(snm_index_is_system("logs"));
}

static const char *const names[] = {"logs-1",  "logs-2",  "logs-debug-1",
                                    "metrics", ".kibana", "logs-debug-2"};
#define N (sizeof(names) / sizeof(names[0]))

/* Selected names joined with ',' in list order. */
static const char *sel(const char *const *items, size_t n, unsigned char *hits)
{
  static char out[256];
  unsigned char s[N];
  size_t count = snm_indexpat_select(s, names, N, items, n, hits);
  size_t seen = 0;

  out[0] = '\0';
  for (size_t i = 0; i < N; i++)
    if (s[i]) {
      if (out[0] != '\0')
        strcat(out, ",");
      strcat(out, names[i]);
      seen++;
    }
  assert_int_equal(count, seen);
  return out;
}

static void test_select(void **state)
{
  unsigned char hits[4];
  (void)state;

  /* empty and _all: everything */
  assert_string_equal(sel(NULL, 0, NULL),
                      "logs-1,logs-2,logs-debug-1,metrics,.kibana,"
                      "logs-debug-2");
  assert_string_equal(sel((const char *[]){"_all"}, 1, hits),
                      "logs-1,logs-2,logs-debug-1,metrics,.kibana,"
                      "logs-debug-2");
  /* wildcard then exclusion of what came before */
  assert_string_equal(sel((const char *[]){"logs-*", "-logs-debug-*"}, 2, hits),
                      "logs-1,logs-2");
  assert_int_equal(hits[0], SNM_INDEXPAT_HIT);
  assert_int_equal(hits[1], SNM_INDEXPAT_HIT);
  /* an exclusion only removes what came before it */
  assert_string_equal(
      sel((const char *[]){"-logs-debug-*", "logs-debug-1"}, 2, hits),
      "logs-1,logs-2,logs-debug-1,metrics,.kibana");
  /* a leading exclusion starts from everything */
  assert_string_equal(sel((const char *[]){"-logs-*"}, 1, hits),
                      "metrics,.kibana");
  /* exact names; a missing exact name is reported, not fatal here */
  assert_string_equal(
      sel((const char *[]){"metrics", "nope", "logs-2"}, 3, hits),
      "logs-2,metrics");
  assert_int_equal(hits[0], SNM_INDEXPAT_HIT);
  assert_int_equal(hits[1], SNM_INDEXPAT_NOT_FOUND);
  assert_int_equal(hits[2], SNM_INDEXPAT_HIT);
  /* a wildcard matching nothing */
  assert_string_equal(sel((const char *[]){"nope-*", "metrics"}, 2, hits),
                      "metrics");
  assert_int_equal(hits[0], SNM_INDEXPAT_NO_MATCH);
  /* excluding a missing exact name is an error for the cluster too */
  sel((const char *[]){"logs-*", "-gone"}, 2, hits);
  assert_int_equal(hits[1], SNM_INDEXPAT_NOT_FOUND);
  /* '+' is an explicit add */
  assert_string_equal(sel((const char *[]){"+metrics"}, 1, hits), "metrics");
  /* '*' matches dot indices when matched locally (the snapshot holds only
   * what was selected on the source) */
  assert_string_equal(sel((const char *[]){"*", "-logs*"}, 2, hits),
                      "metrics,.kibana");
  /* order matters: re-adding after an exclusion */
  assert_string_equal(
      sel((const char *[]){"logs-*", "-logs-debug-*", "*-2"}, 3, hits),
      "logs-1,logs-2,logs-debug-2");
}

static void test_protected(void **state)
{
  static const char *const yes[] = {".opendistro_security",
                                    ".plugins-ml-config",
                                    ".opendistro-job-scheduler-lock",
                                    ".kibana",
                                    ".kibana_1",
                                    ".opensearch-notifications-config",
                                    ".ql-datasources",
                                    ".opensearch_dashboards_1",
                                    ".tasks",
                                    NULL};
  static const char *const no[] = {".my-own-data", "logs-1",         ".ql",
                                   "kibana",       ".tasks-archive", NULL};
  (void)state;

  for (size_t i = 0; yes[i] != NULL; i++)
    if (!snm_index_is_protected(yes[i]))
      fail_msg("%s should be protected", yes[i]);
  for (size_t i = 0; no[i] != NULL; i++)
    if (snm_index_is_protected(no[i]))
      fail_msg("%s should not be protected", no[i]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simple_match),
      cmocka_unit_test(test_select),
      cmocka_unit_test(test_protected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
