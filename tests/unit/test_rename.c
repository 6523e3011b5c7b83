/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for rename.c.  Every expected result below was checked
 * against Java's String.replaceAll (OpenJDK 17), which is what
 * Elasticsearch and OpenSearch call on restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rename.h"

static void expect(const char *subject, const char *pattern,
                   const char *replacement, const char *want)
{
  struct snm_rename *r = NULL;
  struct snm_err err;
  char *got = NULL;

  snm_err_clear(&err);
  assert_int_equal(snm_rename_compile(&r, pattern, replacement, NULL, &err), 0);
  assert_int_equal(snm_rename_apply(&got, r, subject, &err), 0);
  if (strcmp(got, want) != 0)
    fail_msg("\"%s\".replaceAll(\"%s\", \"%s\") = \"%s\", want \"%s\"", subject,
             pattern, replacement, got, want);
  free(got);
  snm_rename_free(r);
}

static void test_groups_and_anchors(void **state)
{
  (void)state;
  expect("logs-2024", "logs-(.+)", "old-logs-$1", "old-logs-2024");
  expect("logs", "^", "p-", "p-logs");
  expect("logs", "$", "-s", "logs-s");
  expect("logs-eu", "^logs-(eu)$", "$1-logs", "eu-logs");
  expect("xlogs-eu", "^logs-(eu)$", "$1-logs", "xlogs-eu"); /* anchored */
  expect("aaa", "a", "$0$0", "aaaaaa");
  expect("nomatch", "zzz", "y", "nomatch");
}

static void test_named_groups(void **state)
{
  (void)state;
  expect("logs-eu", "(?<kind>[a-z]+)-(?<region>[a-z]+)", "${region}-${kind}",
         "eu-logs");
}

static void test_unmatched_group_is_empty(void **state)
{
  (void)state;
  expect("a1", "(a)(b)?(1)", "[$2|$3]", "[|1]");
}

static void test_escapes_and_multidigit(void **state)
{
  (void)state;
  expect("abc", "(b)", "\\$1\\\\$1", "a$1\\bc");
  /* one group: "$10" is group 1 followed by "0" */
  expect("abc", "(b)", "$10", "ab0c");
  /* eleven groups: "$11" is group 11 (empty here) */
  expect("logs-1", "(l)(o)(g)(s)(-)(1)(?<x>)()()()()", "$11", "");
}

static void test_multiple_and_empty_matches(void **state)
{
  (void)state;
  expect("logs-a-b", "-", "_", "logs_a_b");
  expect("abc", "b*", "X", "XaXXcX");
  expect("xaxbx", "x*", "-", "--a--b--");
  expect("abxd", "x*", "-", "-a-b--d-");
  expect("", "x*", "E", "E");
  expect("ab", "(?=b)", "^", "a^b");
  /* an empty match moves on one character, not one byte */
  expect("ééx", "x*", "-", "-é-é--");
}

static void expect_error(const char *pattern, const char *replacement,
                         enum snm_rename_part part, size_t offset,
                         const char *msg)
{
  struct snm_rename *r = (struct snm_rename *)1;
  struct snm_rename_errpos where;
  struct snm_err err;

  assert_int_equal(snm_rename_compile(&r, pattern, replacement, &where, &err),
                   SNM_EINVAL);
  assert_null(r);
  assert_int_equal(where.part, part);
  assert_int_equal(where.offset, offset);
  if (strstr(err.msg, msg) == NULL)
    fail_msg("error \"%s\" lacks \"%s\"", err.msg, msg);
}

static void test_compile_errors(void **state)
{
  (void)state;
  expect_error("logs-(.+", "x", SNM_RENAME_PATTERN, 8,
               "missing closing parenthesis at offset 8: \"logs-(.+\"");
  expect_error("[a-", "x", SNM_RENAME_PATTERN, 3, "offset 3");
  expect_error("(?<my_n>a)", "x", SNM_RENAME_PATTERN, 3,
               "group name 'my_n' is not valid in Java");
  expect_error("(a)", "x-$3", SNM_RENAME_REPLACEMENT, 2,
               "no group 3 (the pattern has 1)");
  expect_error("(a)", "${nm}", SNM_RENAME_REPLACEMENT, 0,
               "no group named 'nm'");
  expect_error("(a)", "x$", SNM_RENAME_REPLACEMENT, 1,
               "group index is missing");
  expect_error("(a)", "x\\", SNM_RENAME_REPLACEMENT, 1,
               "character to be escaped is missing");
  expect_error("(a)", "$x", SNM_RENAME_REPLACEMENT, 0,
               "illegal group reference");
  expect_error("(a)", "${}", SNM_RENAME_REPLACEMENT, 0, "empty name");
  expect_error("(a)", "${ab", SNM_RENAME_REPLACEMENT, 0, "closing '}'");
}

static void test_group_count_and_bad_subject(void **state)
{
  struct snm_rename *r = NULL;
  struct snm_err err;
  char *out = NULL;
  (void)state;

  assert_int_equal(snm_rename_compile(&r, "(a)(?:b)(?<c>c)", "", NULL, &err),
                   0);
  assert_int_equal(snm_rename_groups(r), 2);
  /* invalid UTF-8 is an error, not a crash */
  assert_int_equal(snm_rename_apply(&out, r, "ab\xff", &err), SNM_EINVAL);
  assert_null(out);
  assert_int_equal(snm_rename_apply(&out, r, "xabcx", &err), 0);
  assert_string_equal(out, "xx");
  free(out);
  snm_rename_free(r);
}

static void expect_backing(const char *subject, const char *pattern,
                           const char *replacement, const char *want)
{
  struct snm_rename *r = NULL;
  struct snm_err err;
  char *got = NULL;

  snm_err_clear(&err);
  assert_int_equal(snm_rename_compile(&r, pattern, replacement, NULL, &err), 0);
  assert_int_equal(snm_rename_apply_backing(&got, r, subject, &err), 0);
  if (strcmp(got, want) != 0)
    fail_msg("backing %s with \"%s\" -> \"%s\" = \"%s\", want \"%s\"", subject,
             pattern, replacement, got, want);
  free(got);
  snm_rename_free(r);
}

/* Backing indices of a data stream restored as a stream: ".ds-" comes off,
 * the pattern applies, ".ds-" goes back.  Each case was checked against a
 * real restore on OpenSearch 2.19 and 3.6 (tests/integration/
 * run_data_stream.sh does it again). */
static void test_backing_indices(void **state)
{
  (void)state;
  expect_backing(".ds-app-logs-000001", "(.+)", "m-$1",
                 ".ds-m-app-logs-000001");
  expect_backing(".ds-app-logs-000002", "app", "new", ".ds-new-logs-000002");
  /* an anchored pattern sees the name without ".ds-" */
  expect_backing(".ds-app-logs-000001", "^app-(.*)$", "b-$1",
                 ".ds-b-logs-000001");
  /* no match: unchanged, prefix included */
  expect_backing(".ds-app-logs-000001", "^zzz", "y", ".ds-app-logs-000001");
  /* a pattern naming the prefix no longer sees it */
  expect_backing(".ds-app-000001", "^\\.ds-(.*)", "x-$1", ".ds-app-000001");
  /* not a ".ds-" name: the plain rule */
  expect_backing("plain-1", "(.+)", "m-$1", "m-plain-1");
  expect_backing(".dsx", "(.+)", "m-$1", "m-.dsx");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_groups_and_anchors),
      cmocka_unit_test(test_named_groups),
      cmocka_unit_test(test_unmatched_group_is_empty),
      cmocka_unit_test(test_escapes_and_multidigit),
      cmocka_unit_test(test_multiple_and_empty_matches),
      cmocka_unit_test(test_compile_errors),
      cmocka_unit_test(test_group_count_and_bad_subject),
      cmocka_unit_test(test_backing_indices),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
