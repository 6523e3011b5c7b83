/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test: the human check report (printed by `snapmig run` when the
 * preflight blocks, and by `snapmig check`) replaces control characters in
 * text from the servers - index, cluster and data stream names, issue
 * messages - with '?', like every log line, while its own newlines stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "preflight.h"
#include "report_check.h"

static void test_control_chars_replaced(void **state)
{
  struct snm_domain dom;
  struct snm_plan plan;
  struct snm_pf_domain d;
  struct snm_pf_index ix;
  struct snm_pf_issue is;
  struct snm_preflight pf;
  char *text = NULL;
  size_t len = 0, lines = 0;
  FILE *fp;

  (void)state;
  memset(&dom, 0, sizeof(dom));
  memset(&plan, 0, sizeof(plan));
  memset(&d, 0, sizeof(d));
  memset(&ix, 0, sizeof(ix));
  memset(&is, 0, sizeof(is));
  memset(&pf, 0, sizeof(pf));
  dom.id = "src";
  dom.base_url = "http://127.0.0.1:9200";
  plan.name = "p";
  plan.path = "p.json";
  plan.domains = &dom;
  plan.n_domains = 1;
  d.dom = &dom;
  d.reached = 1;
  d.same_as = -1;
  snprintf(d.info.cluster_name, sizeof(d.info.cluster_name), "c\x1b]0;x\x07");
  snprintf(d.health, sizeof(d.health), "green");
  ix.name = "logs\x1b[2J\r\nx\x7f";
  ix.selected = 1;
  ix.docs = 3;
  ix.pri_bytes = 10;
  ix.data_stream = "ds\t1";
  is.severity = SNM_PF_WARNING;
  is.code = "test";
  is.message = "index logs\x1b[2J\r\nx\x7f: something";
  pf.plan = &plan;
  pf.domains = &d;
  pf.n_domains = 1;
  pf.indices_known = 1;
  pf.indices = &ix;
  pf.n_indices = 1;
  pf.issues = &is;
  pf.n_issues = 1;
  pf.n_warnings = 1;

  fp = open_memstream(&text, &len);
  assert_non_null(fp);
  snm_report_check_human(fp, &pf, 0);
  assert_int_equal(fclose(fp), 0);
  assert_non_null(text);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    assert_false((c < 0x20 && c != '\n') || c == 0x7f);
    lines += c == '\n';
  }
  assert_non_null(strstr(text, "logs?[2J??x?"));
  assert_non_null(strstr(text, "cluster \"c?]0;x?\""));
  assert_non_null(strstr(text, "data stream ds?1"));
  assert_non_null(strstr(text, "index logs?[2J??x?: something"));
  /* the report's own line breaks are kept: blank lines and one per row */
  assert_non_null(strstr(text, "\n\nDomains\n"));
  assert_true(lines >= 10);
  free(text);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_control_chars_replaced),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
