/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for metadata.c: reading the GET replies of templates and
 * pipelines, the semantic comparison and its JSON paths, renames of
 * index_patterns, references and simulate bodies; and the plan's
 * "metadata" section (plan_meta.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "journal.h"
#include "metadata.h"
#include "plan.h"
#include "rename.h"

static struct snm_meta_list parse(enum snm_meta_kind k, const char *text)
{
  struct snm_meta_list l = {0};
  yajl_val j = yajl_tree_parse(text, NULL, 0);
  char why[128];

  assert_non_null(j);
  assert_int_equal(snm_meta_parse_list(&l, k, j, why, sizeof(why)), 0);
  yajl_tree_free(j);
  return l;
}

static void test_parse_lists(void **state)
{
  struct snm_meta_list l;
  char why[128];
  yajl_val j;
  (void)state;

  l = parse(SNM_META_TEMPLATE,
            "{\"index_templates\":[{\"name\":\"b\",\"index_template\":"
            "{\"index_patterns\":[\"b-*\"],\"composed_of\":[]}},{\"name\":"
            "\"a\",\"index_template\":{\"index_patterns\":[\"a-*\"]}}]}");
  assert_int_equal(l.len, 2);
  assert_string_equal(l.items[0].name, "a"); /* sorted */
  assert_string_equal(l.items[0].body, "{\"index_patterns\":[\"a-*\"]}");
  assert_non_null(snm_meta_list_find(&l, "b"));
  assert_null(snm_meta_list_find(&l, "c"));
  snm_meta_list_dispose(&l);

  l = parse(
      SNM_META_PIPELINE,
      "{\"p1\":{\"processors\":[{\"set\":{\"field\":\"x\",\"value\":1}}]}}");
  assert_int_equal(l.len, 1);
  assert_int_equal(l.items[0].kind, SNM_META_PIPELINE);
  snm_meta_list_dispose(&l);

  l = parse(SNM_META_COMPONENT,
            "{\"component_templates\":[{\"name\":\"c\",\"component_template\":"
            "{\"template\":{\"settings\":{\"index\":{\"number_of_shards\":"
            "\"1\"}}}}}]}");
  assert_int_equal(l.len, 1);
  snm_meta_list_dispose(&l);

  /* not what was asked for: refused, nothing kept */
  j = yajl_tree_parse("{\"index_templates\":{}}", NULL, 0);
  assert_int_equal(
      snm_meta_parse_list(&l, SNM_META_TEMPLATE, j, why, sizeof(why)), -1);
  assert_non_null(strstr(why, "index_templates"));
  assert_int_equal(l.len, 0);
  yajl_tree_free(j);
  j = yajl_tree_parse("{\"ok\":{},\"bad\":3}", NULL, 0);
  assert_int_equal(
      snm_meta_parse_list(&l, SNM_META_LEGACY, j, why, sizeof(why)), -1);
  assert_int_equal(l.len, 0);
  yajl_tree_free(j);
}

static void test_select(void **state)
{
  struct snm_meta_list l =
      parse(SNM_META_LEGACY, "{\"logs\":{},\"logs-debug\":{},\"metrics\":{}}");
  char *items[] = {"logs*", "-logs-debug", "nope"};
  unsigned char hits[3], *sel = NULL;
  (void)state;

  assert_int_equal(snm_meta_select(&sel, &l, items, 3, hits), 1);
  assert_int_equal(sel[0], 1);
  assert_int_equal(sel[1], 0);
  assert_int_equal(sel[2], 0);
  assert_int_equal(hits[2], 2); /* SNM_INDEXPAT_NOT_FOUND */
  free(sel);
  snm_meta_list_dispose(&l);
}

static long diff(enum snm_meta_kind k, const char *a, const char *b,
                 const char *want)
{
  struct snm_buf out;
  long n;

  snm_buf_init(&out, 0);
  n = snm_meta_diff(&out, k, a, b, 3);
  if (want != NULL)
    assert_string_equal(snm_buf_str(&out), want);
  snm_buf_dispose(&out);
  return n;
}

static void test_identical_despite_form(void **state)
{
  (void)state;
  /* key order, settings nested or flat, numbers or strings, index.
   * prefix, engine defaults */
  assert_int_equal(
      diff(SNM_META_TEMPLATE,
           "{\"index_patterns\":[\"l-*\"],\"priority\":5,\"template\":{"
           "\"settings\":{\"index\":{\"number_of_shards\":2,\"default_"
           "pipeline\":\"p\"}},\"mappings\":{\"properties\":{\"a\":{\"type\":"
           "\"keyword\"}}}},\"data_stream\":{}}",
           "{\"template\":{\"mappings\":{\"properties\":{\"a\":{\"type\":"
           "\"keyword\"}}},\"settings\":{\"index.default_pipeline\":\"p\","
           "\"number_of_shards\":\"2\"},\"aliases\":{}},\"composed_of\":[],"
           "\"priority\":5,\"index_patterns\":[\"l-*\"],\"data_stream\":{"
           "\"timestamp_field\":{\"name\":\"@timestamp\"},\"hidden\":false}}",
           NULL),
      0);
  assert_int_equal(diff(SNM_META_LEGACY,
                        "{\"order\":0,\"index_patterns\":[\"x*\"],\"settings\":"
                        "{},\"mappings\":{},\"aliases\":{}}",
                        "{\"index_patterns\":[\"x*\"]}", NULL),
                   0);
  assert_int_equal(diff(SNM_META_LEGACY,
                        "{\"index_patterns\":[\"x*\"],\"mappings\":{\"_doc\":{"
                        "\"properties\":{}}}}",
                        "{\"index_patterns\":[\"x*\"],\"mappings\":{"
                        "\"properties\":{}}}",
                        NULL),
                   0);
  assert_int_equal(diff(SNM_META_PIPELINE,
                        "{\"processors\":[{\"set\":{\"value\":1.0,\"f\":1}}]}",
                        "{\"processors\":[{\"set\":{\"f\":1,\"value\":1}}]}",
                        NULL),
                   0);
}

static void test_differences_as_paths(void **state)
{
  (void)state;
  assert_int_equal(
      diff(SNM_META_TEMPLATE,
           "{\"index_patterns\":[\"a-*\",\"b-*\"],\"template\":{\"settings\":"
           "{\"number_of_shards\":1}}}",
           "{\"index_patterns\":[\"a-*\",\"c-*\"],\"template\":{\"settings\":"
           "{\"number_of_shards\":3}},\"priority\":9}",
           "index_patterns[1], priority, "
           "template.settings.index.number_of_shards"),
      3);
  /* an array of another length is one path; more than 3: counted */
  assert_int_equal(
      diff(SNM_META_PIPELINE,
           "{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"processors\":[{}]}",
           "{\"a\":2,\"b\":2,\"c\":2,\"d\":2,\"processors\":[{},{}]}",
           "a, b, c, ... (2 more)"),
      5);
  /* order of composed_of matters */
  assert_int_equal(diff(SNM_META_TEMPLATE, "{\"composed_of\":[\"x\",\"y\"]}",
                        "{\"composed_of\":[\"y\",\"x\"]}", NULL),
                   2);
  assert_int_equal(diff(SNM_META_TEMPLATE, "[]", "{}", NULL), -1);
}

static void test_rename_patterns(void **state)
{
  struct snm_rename *rn = NULL;
  struct snm_err err;
  char *out = NULL;
  size_t changed;
  (void)state;

  assert_int_equal(snm_rename_compile(&rn, "(.+)", "m-$1", NULL, &err), 0);
  assert_int_equal(snm_meta_rename(&out, &changed, SNM_META_TEMPLATE,
                                   "{\"index_patterns\":[\"logs-*\",\"x\"],"
                                   "\"priority\":1,\"data_stream\":{}}",
                                   rn, &err),
                   0);
  assert_string_equal(out, "{\"index_patterns\":[\"m-logs-*\",\"m-x\"],"
                           "\"priority\":1,\"data_stream\":{}}");
  assert_int_equal(changed, 2);
  free(out);
  /* legacy templates too; a pipeline is copied as it is */
  assert_int_equal(snm_meta_rename(&out, &changed, SNM_META_LEGACY,
                                   "{\"index_patterns\":\"a*\"}", rn, &err),
                   0);
  assert_string_equal(out, "{\"index_patterns\":\"m-a*\"}");
  free(out);
  assert_int_equal(snm_meta_rename(&out, &changed, SNM_META_PIPELINE,
                                   "{\"index_patterns\":[\"a\"]}", rn, &err),
                   0);
  assert_string_equal(out, "{\"index_patterns\":[\"a\"]}");
  assert_int_equal(changed, 0);
  free(out);
  snm_rename_free(rn);
  /* a rename that does not match a pattern leaves it */
  assert_int_equal(
      snm_rename_compile(&rn, "^logs-([a-z]+)$", "old-$1", NULL, &err), 0);
  assert_int_equal(snm_meta_rename(&out, &changed, SNM_META_TEMPLATE,
                                   "{\"index_patterns\":[\"logs-*\"]}", rn,
                                   &err),
                   0);
  assert_string_equal(out, "{\"index_patterns\":[\"logs-*\"]}");
  assert_int_equal(changed, 0);
  free(out);
  snm_rename_free(rn);
}

struct refs {
  char got[256];
};

static void on_ref(enum snm_meta_kind k, const char *name, void *data)
{
  struct refs *r = data;
  size_t n = strlen(r->got);

  snprintf(r->got + n, sizeof(r->got) - n, "%s:%s ",
           k == SNM_META_PIPELINE ? "p" : "c", name);
}

static void test_refs_and_simulate(void **state)
{
  struct refs r = {""};
  char *out = NULL;
  (void)state;

  assert_int_equal(
      snm_meta_refs(
          SNM_META_TEMPLATE,
          "{\"composed_of\":[\"c1\",\"c2\"],\"template\":{\"settings\":"
          "{\"index\":{\"default_pipeline\":\"p1\",\"final_pipeline\":"
          "\"_none\"}}}}",
          on_ref, &r),
      0);
  assert_string_equal(r.got, "p:p1 c:c1 c:c2 ");
  r.got[0] = '\0';
  assert_int_equal(snm_meta_refs(SNM_META_LEGACY,
                                 "{\"settings\":{\"index.final_pipeline\":"
                                 "\"p2\"}}",
                                 on_ref, &r),
                   0);
  assert_string_equal(r.got, "p:p2 ");
  assert_true(
      snm_meta_is_data_stream(SNM_META_TEMPLATE, "{\"data_stream\":{}}"));
  assert_false(snm_meta_is_data_stream(SNM_META_TEMPLATE, "{}"));

  assert_int_equal(snm_meta_simulate_body(&out, SNM_META_TEMPLATE,
                                          "{\"index_patterns\":[\"a\"],"
                                          "\"composed_of\":[\"c\"],"
                                          "\"priority\":3}",
                                          NULL),
                   0);
  assert_string_equal(out, "{\"index_patterns\":[\"a\"],\"priority\":3}");
  free(out);
  assert_int_equal(snm_meta_simulate_body(&out, SNM_META_LEGACY,
                                          "{\"order\":1,\"index_patterns\":["
                                          "\"a\"],\"mappings\":{\"_doc\":{}},"
                                          "\"settings\":{}}",
                                          "sim-*"),
                   0);
  assert_string_equal(out, "{\"index_patterns\":[\"sim-*\"],\"template\":{"
                           "\"mappings\":{},\"settings\":{}}}");
  free(out);
  assert_int_equal(snm_meta_simulate_body(&out, SNM_META_PIPELINE,
                                          "{\"processors\":[]}", NULL),
                   0);
  assert_string_equal(out, "{\"pipeline\":{\"processors\":[]},\"docs\":[{"
                           "\"_source\":{}}]}");
  free(out);
  assert_string_equal(snm_meta_simulate_path(SNM_META_COMPONENT),
                      "/_index_template/_simulate");
}

/* ---- the plan section --------------------------------------------------- */

#define PLAN_HEAD                                                              \
  "{\"snapmig\":1,\"name\":\"p\",\"domains\":{\"a\":{\"endpoint\":"            \
  "\"http://127.0.0.1:1\"},\"b\":{\"endpoint\":\"http://127.0.0.1:2\"}},"      \
  "\"repository\":{\"name\":\"r\",\"type\":\"fs\",\"settings\":{"              \
  "\"location\":\"/x\"}},\"snapshot\":{\"domain\":\"a\"},"                     \
  "\"restores\":[{\"domain\":\"b\"}]"

static int parse_plan(const char *text, struct snm_plan **p,
                      struct snm_diag_list *d)
{
  struct snm_err err;

  snm_diag_list_init(d);
  return snm_plan_parse(p, text, strlen(text), "t.json", d, &err);
}

static void test_plan_section(void **state)
{
  struct snm_diag_list d;
  struct snm_plan *p = NULL, *q = NULL;
  char h1[65], h2[65];
  (void)state;

  assert_int_equal(parse_plan(PLAN_HEAD
                              ",\"metadata\":{\"index_templates\":[\"logs-*\"],"
                              "\"ingest_pipelines\":\"a, b\",\"on_conflict\":"
                              "\"replace\",\"rename_patterns\":true}}",
                              &p, &d),
                   0);
  assert_true(p->metadata.present);
  assert_int_equal(p->metadata.n_names[SNM_META_TEMPLATE], 1);
  assert_int_equal(p->metadata.n_names[SNM_META_PIPELINE], 2);
  assert_string_equal(p->metadata.names[SNM_META_PIPELINE][1], "b");
  assert_int_equal(p->metadata.on_conflict, SNM_META_REPLACE);
  assert_true(p->metadata.rename_patterns);
  assert_int_equal(d.warnings, 1); /* rename_patterns with no rename */
  snm_diag_list_dispose(&d);
  /* the digest covers the section, and plans without one keep theirs */
  assert_int_equal(parse_plan(PLAN_HEAD "}", &q, &d), 0);
  snm_diag_list_dispose(&d);
  assert_false(q->metadata.present);
  assert_int_equal(snm_plan_digest(h1, p), 0);
  assert_int_equal(snm_plan_digest(h2, q), 0);
  assert_string_not_equal(h1, h2);
  snm_plan_free(p);
  snm_plan_free(q);

  /* errors, located */
  assert_int_equal(parse_plan(PLAN_HEAD
                              ",\n\"metadata\":{\"index_template\":[\"x\"],"
                              "\"legacy_templates\":[\"a b\"],\"on_conflict\":"
                              "\"fail\",\"component_templates\":[\"-x\"]}}",
                              &p, &d),
                   SNM_EINVAL);
  assert_null(p);
  assert_int_equal(d.errors, 4);
  assert_non_null(strstr(d.items[0].message,
                         "metadata.index_template: unknown key (did you mean "
                         "'index_templates'?)"));
  assert_int_equal(d.items[0].line, 2);
  {
    int seen = 0;
    for (size_t i = 0; i < d.len; i++) {
      seen |= strstr(d.items[i].message, "must not contain whitespace") != NULL;
      seen |= (strstr(d.items[i].message, "unknown value \"fail\"") != NULL)
              << 1;
      seen |= (strstr(d.items[i].message, "excludes from nothing") != NULL)
              << 2;
    }
    assert_int_equal(seen, 7);
  }
  snm_diag_list_dispose(&d);
  /* an empty section copies nothing: a warning */
  assert_int_equal(parse_plan(PLAN_HEAD ",\"metadata\":{}}", &p, &d), 0);
  assert_int_equal(d.warnings, 1);
  assert_non_null(strstr(d.items[0].message, "nothing is copied"));
  snm_diag_list_dispose(&d);
  snm_plan_free(p);
}

/* The state file keeps each restore's metadata items (kind, name, state)
 * and reads them back; a state it does not know is refused. */
static void test_state_file(void **state)
{
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_state st, back;
  struct snm_state_meta *m;
  struct snm_err err;
  char *text = NULL, *bad;
  (void)state;

  assert_int_equal(parse_plan(PLAN_HEAD "}", &p, &d), 0);
  snm_diag_list_dispose(&d);
  snm_state_init(&st);
  assert_int_equal(snm_state_begin(&st, p, "t.json", "snap-1", 1000, &err), 0);
  assert_int_equal(snm_state_add_meta(&snm_state_cur(&st)->restores[0],
                                      "pipeline", "p1", &m),
                   0);
  m->state = SNM_MSTATE_CREATED;
  assert_int_equal(snm_state_add_meta(&snm_state_cur(&st)->restores[0],
                                      "index_template", "t1", &m),
                   0);
  m->state = SNM_MSTATE_CREATING;
  /* adding it again returns the entry as it is */
  assert_int_equal(snm_state_add_meta(&snm_state_cur(&st)->restores[0],
                                      "index_template", "t1", &m),
                   0);
  assert_int_equal(m->state, SNM_MSTATE_CREATING);
  assert_int_equal(snm_state_to_json(&text, &st, &err), 0);
  assert_non_null(strstr(text, "\"metadata\""));
  snm_state_init(&back);
  assert_int_equal(snm_state_parse(&back, text, strlen(text), "s.json", &err),
                   0);
  assert_int_equal(snm_state_cur(&back)->restores[0].n_meta, 2);
  m = snm_state_find_meta(&snm_state_cur(&back)->restores[0], "index_template",
                          "t1");
  assert_non_null(m);
  assert_int_equal(m->state, SNM_MSTATE_CREATING);
  assert_string_equal(
      snm_meta_state_name(snm_state_cur(&back)->restores[0].meta[0].state),
      "created");
  snm_state_dispose(&back);
  /* an unknown state is refused, with its place */
  bad = strdup(text);
  assert_non_null(bad);
  memcpy(strstr(bad, "\"creating\""), "\"creatinx\"", 10);
  snm_state_init(&back);
  assert_int_equal(snm_state_parse(&back, bad, strlen(bad), "s.json", &err),
                   SNM_EPARSE);
  assert_non_null(strstr(err.msg, "metadata[1].state: unknown state"));
  snm_state_dispose(&back);
  free(bad);
  free(text);
  /* none: no "metadata" key (files of plans without one do not change) */
  snm_state_meta_dispose(&snm_state_cur(&st)->restores[0]);
  assert_int_equal(snm_state_to_json(&text, &st, &err), 0);
  assert_null(strstr(text, "\"metadata\""));
  free(text);
  snm_state_dispose(&st);
  snm_plan_free(p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_lists),
      cmocka_unit_test(test_select),
      cmocka_unit_test(test_identical_despite_form),
      cmocka_unit_test(test_differences_as_paths),
      cmocka_unit_test(test_rename_patterns),
      cmocka_unit_test(test_refs_and_simulate),
      cmocka_unit_test(test_plan_section),
      cmocka_unit_test(test_state_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
