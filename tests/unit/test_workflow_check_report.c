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

#include "journal.h"
#include "jtree.h"
#include "plan.h"
#include "preflight.h"
#include "report_check.h"

#include <yajl/yajl_tree.h>

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

/* With earlier rounds (pf->rounds): the items' actions ("replace" for an
 * index closed and restored over), the "Next sync" table and the JSON
 * fields (next_round, round, docs_last, docs_changed). */
static void test_next_round_report(void **state)
{
  struct snm_domain dom[2];
  struct snm_restore rs;
  struct snm_plan plan;
  struct snm_pf_domain d[2];
  struct snm_pf_index ix[2];
  struct snm_pf_item it[2];
  struct snm_pf_restore pr;
  struct snm_preflight pf;
  struct snm_state st;
  char *text = NULL, *json = NULL;
  size_t len = 0, jlen = 0;
  yajl_val j;
  FILE *fp;

  (void)state;
  memset(dom, 0, sizeof(dom));
  memset(&rs, 0, sizeof(rs));
  memset(&plan, 0, sizeof(plan));
  memset(d, 0, sizeof(d));
  memset(ix, 0, sizeof(ix));
  memset(it, 0, sizeof(it));
  memset(&pr, 0, sizeof(pr));
  memset(&pf, 0, sizeof(pf));
  snm_state_init(&st);
  assert_int_equal(snm_state_push_round(&st, NULL), 0);
  st.step = SNM_STEP_DONE;
  dom[0].id = "src";
  dom[1].id = "dst";
  dom[0].base_url = dom[1].base_url = "http://127.0.0.1:9200";
  rs.domain = 1;
  plan.name = "p";
  plan.path = "p.json";
  plan.domains = dom;
  plan.n_domains = 2;
  plan.restores = &rs;
  plan.n_restores = 1;
  for (int k = 0; k < 2; k++) {
    d[k].dom = &dom[k];
    d[k].same_as = -1;
    d[k].data_nodes = d[k].open_shards = d[k].max_shards_per_node = -1;
    d[k].disk_avail = d[k].disk_usable = -1;
  }
  ix[0].name = "a";
  ix[1].name = "b";
  ix[0].docs = 10;
  ix[1].docs = 4;
  ix[0].pri_bytes = ix[1].pri_bytes = 100;
  it[0].index = 0;
  it[0].target_name = "a";
  it[0].verdict = "replace";
  it[0].replace = 2;
  it[0].uuid = "u-a";
  it[0].round = 1;
  it[0].docs_last = 7;
  it[0].bytes_last = 90;
  it[1].index = 1;
  it[1].target_name = "b";
  it[1].verdict = "new";
  it[1].docs_last = it[1].bytes_last = -1;
  pr.domain = 1;
  pr.items = it;
  pr.n_items = 2;
  pr.n_replace = 1;
  pr.replicas = -1;
  pf.plan = &plan;
  pf.domains = d;
  pf.n_domains = 2;
  pf.indices_known = 1;
  pf.indices = ix;
  pf.n_indices = 2;
  pf.restores = &pr;
  pf.n_restores = 1;
  pf.rounds = &st;

  fp = open_memstream(&text, &len);
  assert_non_null(fp);
  snm_report_check_human(fp, &pf, 0);
  assert_int_equal(fclose(fp), 0);
  assert_non_null(
      strstr(text, "Next sync: round 2: 1 index replaced, 1 new, 0 blocked"));
  assert_non_null(strstr(text, "replace  replace")); /* action, verdict */
  assert_non_null(strstr(text, "+3"));               /* 7 then, 10 now */

  fp = open_memstream(&json, &jlen);
  assert_non_null(fp);
  assert_int_equal(snm_report_check_json(fp, &pf), 0);
  assert_int_equal(fclose(fp), 0);
  j = yajl_tree_parse(json, NULL, 0);
  assert_non_null(j);
  assert_int_equal(snm_jint(-1, j, "next_round", "round", (char *)NULL), 2);
  assert_int_equal(snm_jint(-1, j, "next_round", "replace", (char *)NULL), 1);
  assert_int_equal(snm_jint(-1, j, "next_round", "new", (char *)NULL), 1);
  {
    yajl_val items =
        yajl_tree_get(j, (const char *[]){"restores", NULL}, yajl_t_array);
    yajl_val r0, i0, i1;
    assert_non_null(items);
    r0 = items->u.array.values[0];
    items = yajl_tree_get(r0, (const char *[]){"items", NULL}, yajl_t_array);
    assert_non_null(items);
    i0 = items->u.array.values[0];
    i1 = items->u.array.values[1];
    assert_string_equal(snm_jstr(i0, "action", (char *)NULL), "replace");
    assert_string_equal(snm_jstr(i0, "replace", (char *)NULL), "round");
    assert_string_equal(snm_jstr(i0, "target_uuid", (char *)NULL), "u-a");
    assert_int_equal(snm_jint(-1, i0, "docs_changed", (char *)NULL), 3);
    assert_int_equal(snm_jint(-1, i0, "docs_last", (char *)NULL), 7);
    assert_int_equal(snm_jint(-1, i0, "round", (char *)NULL), 1);
    assert_string_equal(snm_jstr(i1, "action", (char *)NULL), "restore");
    assert_true(YAJL_IS_NULL(
        yajl_tree_get(i1, (const char *[]){"docs_changed", NULL}, yajl_t_any)));
    assert_true(YAJL_IS_NULL(
        yajl_tree_get(i1, (const char *[]){"replace", NULL}, yajl_t_any)));
  }
  yajl_tree_free(j);
  free(json);
  free(text);
  snm_state_dispose(&st);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_control_chars_replaced),
      cmocka_unit_test(test_next_round_report),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
