/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the summary table's layout (workflow_table.c): column
 * widths follow the names within bounds, a terminal's width is met by
 * narrowing the widest name column, and names are cut in the middle with
 * "\u2026" on whole UTF-8 code points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "workflow.h"

#define ELL "\xe2\x80\xa6"

static size_t row_width(const struct snm_wf_table_widths *w)
{
  return w->target + 1 + w->source + 1 + w->restored + SNM_WF_TABLE_FIXED;
}

static void test_widths_plain(void **state)
{
  struct snm_wf_table_widths w;

  (void)state;
  /* short names: the headings set the width */
  snm_wf_table_widths(&w, 3, 2, 4, 0);
  assert_int_equal(w.target, 6);
  assert_int_equal(w.source, 6);
  assert_int_equal(w.restored, 11);
  /* as wide as the names */
  snm_wf_table_widths(&w, 8, 40, 45, 0);
  assert_int_equal(w.target, 8);
  assert_int_equal(w.source, 40);
  assert_int_equal(w.restored, 45);
  /* bounded (longer names overflow their cell in plain output) */
  snm_wf_table_widths(&w, 80, 200, 202, 0);
  assert_int_equal(w.target, 24);
  assert_int_equal(w.source, SNM_WF_NAME_COL_MAX);
  assert_int_equal(w.restored, SNM_WF_NAME_COL_MAX);
}

static void test_widths_terminal(void **state)
{
  struct snm_wf_table_widths w;

  (void)state;
  /* fits already: unchanged */
  snm_wf_table_widths(&w, 6, 20, 22, 120);
  assert_int_equal(w.source, 20);
  assert_int_equal(w.restored, 22);
  assert_true(row_width(&w) <= 119);
  /* too wide for 100 columns: the wider column gives first, then both */
  snm_wf_table_widths(&w, 6, 20, 60, 100);
  assert_int_equal(row_width(&w), 99);
  assert_int_equal(w.source, 20);
  assert_int_equal(w.restored, 25);
  snm_wf_table_widths(&w, 6, 200, 202, 110);
  assert_int_equal(row_width(&w), 109);
  assert_true(w.source == w.restored || w.source + 1 == w.restored ||
              w.restored + 1 == w.source);
  /* exactly fitting: columns - 1 */
  snm_wf_table_widths(&w, 6, 30, 30, (int)(6 + 1 + 30 + 1 + 30 + 46 + 1));
  assert_int_equal(w.source, 30);
  assert_int_equal(w.restored, 30);
  snm_wf_table_widths(&w, 6, 30, 30, (int)(6 + 1 + 30 + 1 + 30 + 46));
  assert_int_equal(w.source + w.restored, 59);
  /* a tiny terminal: never below the minimum */
  snm_wf_table_widths(&w, 6, 200, 202, 40);
  assert_int_equal(w.source, SNM_WF_NAME_COL_MIN);
  assert_int_equal(w.restored, SNM_WF_NAME_COL_MIN);
}

static void test_fit_name(void **state)
{
  char out[4 * SNM_WF_NAME_COL_MAX + 1];

  (void)state;
  snm_wf_fit_name(out, sizeof(out), "logs-2024.01.01", 15);
  assert_string_equal(out, "logs-2024.01.01");
  snm_wf_fit_name(out, sizeof(out), "logs-2024.01.01", 9);
  assert_string_equal(out, "logs" ELL "1.01");
  assert_int_equal(snm_wf_text_columns(out), 9);
  snm_wf_fit_name(out, sizeof(out), "logs-2024.01.01", 10);
  assert_string_equal(out, "logs-" ELL "1.01");
  snm_wf_fit_name(out, sizeof(out), "abcdef", 3);
  assert_string_equal(out, "a" ELL "f");
  /* multi-byte code points are kept whole and count as one column */
  snm_wf_fit_name(out, sizeof(out),
                  "\xc3\xa9t\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac"
                  "-\xc3\xbc\xc3\xbc",
                  6);
  assert_string_equal(out, "\xc3\xa9t\xc3\xa9" ELL "\xc3\xbc\xc3\xbc");
  assert_int_equal(snm_wf_text_columns(out), 6);
  assert_int_equal(snm_wf_text_columns("\xe6\x97\xa5\xe6\x9c\xac"), 2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_widths_plain),
      cmocka_unit_test(test_widths_terminal),
      cmocka_unit_test(test_fit_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
