/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the preflight's metadata checks (preflight_meta.c)
 * against stand-in clusters (pf_cluster.h): the plan's templates and
 * pipelines compared with the target's, the simulations the target
 * answers (and the read-only client lets through), missing components and
 * pipelines, two restores that disagree, unreadable lists, and the
 * lifecycle policy warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "es.h"
#include "http.h"
#include "loop_fixture.h"
#include "pf_cluster.h"
#include "plan.h"
#include "plan_fixture.h"
#include "preflight.h"
#include "preflight_int.h"
#include "standin_http.h"

struct fx {
  struct snm_test_loop lp;
  struct snm_standin *src, *dst;
  struct snm_plan *plan;
  struct snm_es es[2];
  struct snm_preflight pf;
  int done;
};

/* `restores`: the plan's restores array; `metadata`: its section. */
static void fx_init(struct fx *fx, const char *restores, const char *metadata)
{
  struct snm_http_opts hopts = {0};
  struct snm_err err;
  char text[2048];

  memset(fx, 0, sizeof(*fx));
  assert_int_equal(snm_standin_new(&fx->src), 0);
  assert_int_equal(snm_standin_new(&fx->dst), 0);
  snprintf(text, sizeof(text),
           "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
           "\"src\": {\"endpoint\": \"%s\"}, \"dst\": {\"endpoint\": \"%s\"}},"
           "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
           "{\"location\": \"/x\"}},"
           "\"snapshot\": {\"domain\": \"src\"}, \"restores\": %s, "
           "\"metadata\": %s}",
           snm_standin_url(fx->src), snm_standin_url(fx->dst),
           restores != NULL ? restores : "[{\"domain\": \"dst\"}]", metadata);
  fx->plan = snm_test_plan_parse(text, NULL);
  hopts.max_attempts = 1;
  snm_test_loop_init(&fx->lp, &hopts);
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(
        snm_es_init(&fx->es[i], &fx->plan->domains[i], fx->lp.http, &err), 0);
    fx->es[i].read_only = 1;
  }
}

static void fx_done(struct fx *fx)
{
  snm_preflight_dispose(&fx->pf);
  snm_test_loop_done(&fx->lp);
  for (size_t i = 0; i < 2; i++)
    snm_es_dispose(&fx->es[i]);
  snm_plan_free(fx->plan);
  assert_int_equal(snm_standin_free(fx->src), 0);
  assert_int_equal(snm_standin_free(fx->dst), 0);
}

static void on_done(struct snm_preflight *pf, void *data)
{
  struct fx *fx = data;

  (void)pf;
  fx->done = 1;
}

static void check(struct fx *fx)
{
  struct snm_preflight_opts opts = {0};
  struct snm_err err;

  opts.now = 1700000000;
  snm_test_loop_set_deadline(&fx->lp, 30000);
  assert_int_equal(snm_preflight_start(&fx->pf, &fx->lp.loop, fx->plan, fx->es,
                                       &opts, on_done, fx, &err),
                   0);
  snm_test_loop_run_until(&fx->lp, &fx->done);
  assert_int_equal(fx->pf.result, SNM_OK);
}

static const struct snm_pf_issue *find(const struct snm_preflight *pf,
                                       const char *code)
{
  for (size_t i = 0; i < pf->n_issues; i++)
    if (strcmp(pf->issues[i].code, code) == 0)
      return &pf->issues[i];
  return NULL;
}

static size_t count(const struct snm_preflight *pf, const char *prefix)
{
  size_t n = 0;

  for (size_t i = 0; i < pf->n_issues; i++)
    n += strncmp(pf->issues[i].code, prefix, strlen(prefix)) == 0;
  return n;
}

static void print_issues(const struct snm_preflight *pf)
{
  for (size_t i = 0; i < pf->n_issues; i++)
    fprintf(stderr, "  %s [%s] %s\n",
            snm_pf_severity_name(pf->issues[i].severity), pf->issues[i].code,
            pf->issues[i].message);
}

static void add(struct snm_standin *s, const char *method, const char *path,
                int status, const char *body)
{
  struct snm_standin_reply r = {.method = method,
                                .path = path,
                                .status = status,
                                .headers = SNM_TEST_JSON_CT,
                                .body = body};
  assert_int_equal(snm_standin_add(s, &r), 0);
}

#define T1                                                                     \
  "{\"index_patterns\":[\"logs-*\"],\"composed_of\":[\"c1\"],\"priority\":5,"  \
  "\"template\":{\"settings\":{\"index\":{\"number_of_shards\":\"1\","         \
  "\"default_pipeline\":\"p1\"}}}}"
#define C1 "{\"template\":{\"mappings\":{\"properties\":{}}}}"
#define P1 "{\"processors\":[{\"set\":{\"field\":\"a\",\"value\":1}}]}"

/* The source: index template t1 (made of c1, naming p1), component c1,
 * pipeline p1, and logs-1 with an ILM policy. */
static void source(struct snm_standin *s)
{
  add(s, "GET", "/_index_template", 200,
      "{\"index_templates\":[{\"name\":\"t1\",\"index_template\":" T1 "}]}");
  add(s, "GET", "/_component_template", 200,
      "{\"component_templates\":[{\"name\":\"c1\",\"component_template\":" C1
      "}]}");
  add(s, "GET", "/_ingest/pipeline", 200, "{\"p1\":" P1 "}");
  add(s, "GET", "/_template", 200, "{}");
  add(s, "GET", "/_all/_settings/index.lifecycle.name*", 200,
      "{\"logs-1\":{\"settings\":{\"index.lifecycle.name\":\"hot-warm\"}}}");
  add(s, "GET", "/_plugins/_ism/explain", 400,
      "{\"error\":\"no handler found\",\"status\":400}");
  snm_test_pf_cluster(s, 1, "7.10.2", NULL, NULL);
}

/* The target: nothing of it, unless added first. */
static void target_empty(struct snm_standin *s)
{
  add(s, "GET", "/_index_template", 200, "{\"index_templates\":[]}");
  add(s, "GET", "/_component_template", 200, "{\"component_templates\":[]}");
  add(s, "GET", "/_ingest/pipeline", 404, "{}");
  add(s, "GET", "/_template", 200, "{}");
  add(s, "POST", "/_index_template/_simulate", 200, "{\"template\":{}}");
  add(s, "POST", "/_ingest/pipeline/_simulate", 200, "{\"docs\":[]}");
  snm_test_pf_cluster(s, 0, "2.19.1", "opensearch", "status uuid pri index\n");
}

static const char *ALL =
    "{\"index_templates\": [\"t*\"], \"component_templates\": [\"c1\"], "
    "\"ingest_pipelines\": [\"p1\"]}";

/* Absent on the target: nothing in the way; each item simulated there
 * (three POSTs the read-only client let through); the ILM policy warned. */
static void test_absent_simulated(void **state)
{
  struct fx fx;
  size_t posts = 0;
  (void)state;

  fx_init(&fx, NULL, ALL);
  source(fx.src);
  target_empty(fx.dst);
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.n_blockers, 0);
  assert_int_equal(count(&fx.pf, "metadata"), 0);
  assert_non_null(find(&fx.pf, "lifecycle-not-copied"));
  assert_non_null(strstr(find(&fx.pf, "lifecycle-not-copied")->message,
                         "logs-1: ILM hot-warm"));
  for (size_t i = 0; i < snm_standin_request_count(fx.dst); i++) {
    struct snm_standin_request rq;
    assert_int_equal(snm_standin_request_get(fx.dst, i, &rq), 0);
    if (strcmp(rq.method, "POST") == 0 && strstr(rq.target, "_simulate"))
      posts++;
    snm_standin_request_dispose(&rq);
  }
  assert_int_equal(posts, 3);
  fx_done(&fx);
}

/* Different on the target: a blocker with the paths; the simulate
 * refusal with the server's reason; a component neither copied nor there. */
static void test_conflict_rejected_missing(void **state)
{
  struct fx fx;
  const struct snm_pf_issue *is;
  (void)state;

  fx_init(&fx, NULL,
          "{\"index_templates\": [\"t1\"], \"ingest_pipelines\": [\"p1\"]}");
  source(fx.src);
  add(fx.dst, "GET", "/_ingest/pipeline", 200,
      "{\"p1\":{\"processors\":[{\"set\":{\"field\":\"b\",\"value\":1}}]}}");
  add(fx.dst, "POST", "/_index_template/_simulate", 400,
      "{\"error\":{\"type\":\"invalid_index_template_exception\",\"reason\":"
      "\"unknown setting [index.foo]\"},\"status\":400}");
  target_empty(fx.dst);
  check(&fx);
  print_issues(&fx.pf);
  is = find(&fx.pf, "metadata-conflict");
  assert_non_null(is);
  assert_int_equal(is->severity, SNM_PF_BLOCKER);
  assert_non_null(strstr(is->message, "ingest pipeline p1 on dst differs from "
                                      "the source's: processors[0].set.field"));
  is = find(&fx.pf, "metadata-rejected");
  assert_non_null(is);
  assert_non_null(strstr(is->message, "dst would refuse index template t1: "
                                      "invalid_index_template_exception: "
                                      "unknown setting [index.foo]"));
  is = find(&fx.pf, "metadata-component-missing");
  assert_non_null(is);
  assert_non_null(strstr(is->message, "component template c1"));
  assert_int_equal(fx.pf.n_blockers, 3);
  fx_done(&fx);

  /* skip: the conflict is a warning, nothing simulated for it */
  fx_init(&fx, NULL,
          "{\"ingest_pipelines\": [\"p1\"], \"on_conflict\": \"skip\"}");
  source(fx.src);
  add(fx.dst, "GET", "/_ingest/pipeline", 200, "{\"p1\":{\"processors\":[]}}");
  add(fx.dst, "POST", "/_ingest/pipeline/_simulate", 500, "{}");
  target_empty(fx.dst);
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.n_blockers, 0);
  assert_int_equal(find(&fx.pf, "metadata-conflict")->severity, SNM_PF_WARNING);
  assert_null(find(&fx.pf, "metadata-unchecked"));
  fx_done(&fx);
}

/* Identical despite form; a name the source lacks; a pattern matching
 * nothing; an unreadable target list is never "absent". */
static void test_identical_missing_unreadable(void **state)
{
  struct fx fx;
  const struct snm_pf_issue *is;
  (void)state;

  fx_init(&fx, NULL,
          "{\"index_templates\": [\"t1\"], \"component_templates\": [\"c1\", "
          "\"nope\"], \"legacy_templates\": [\"old-*\"], "
          "\"ingest_pipelines\": [\"p1\"]}");
  source(fx.src);
  add(fx.dst, "GET", "/_index_template", 200,
      "{\"index_templates\":[{\"name\":\"t1\",\"index_template\":{"
      "\"priority\":5,\"index_patterns\":[\"logs-*\"],\"composed_of\":[\"c1\"],"
      "\"template\":{\"settings\":{\"index.default_pipeline\":\"p1\","
      "\"number_of_shards\":1}}}}]}");
  add(fx.dst, "GET", "/_component_template", 200,
      "{\"component_templates\":[{\"name\":\"c1\",\"component_template\":" C1
      "}]}");
  add(fx.dst, "GET", "/_ingest/pipeline", 500,
      "{\"error\":{\"type\":\"x\",\"reason\":\"boom\"},\"status\":500}");
  target_empty(fx.dst);
  check(&fx);
  print_issues(&fx.pf);
  assert_null(find(&fx.pf, "metadata-conflict"));
  assert_null(find(&fx.pf, "metadata-rejected"));
  is = find(&fx.pf, "metadata-missing");
  assert_non_null(is);
  assert_non_null(strstr(is->message, "component template nope"));
  assert_int_equal(find(&fx.pf, "metadata-no-match")->severity, SNM_PF_WARNING);
  is = find(&fx.pf, "metadata-unreadable");
  assert_non_null(is);
  assert_int_equal(is->severity, SNM_PF_BLOCKER);
  assert_non_null(strstr(is->message, "ingest pipelines of dst"));
  assert_int_equal(fx.pf.n_blockers, 2);
  fx_done(&fx);
}

/* Two restores onto one target whose renames give t1 two bodies. */
static void test_clash(void **state)
{
  struct fx fx;
  (void)state;

  fx_init(&fx,
          "[{\"domain\": \"dst\", \"rename\": {\"pattern\": \"(.+)\", "
          "\"replacement\": \"a-$1\"}}, {\"domain\": \"dst\", \"rename\": "
          "{\"pattern\": \"(.+)\", \"replacement\": \"b-$1\"}}]",
          "{\"index_templates\": [\"t1\"], \"component_templates\": [\"c1\"], "
          "\"ingest_pipelines\": [\"p1\"], \"rename_patterns\": true}");
  source(fx.src);
  target_empty(fx.dst);
  check(&fx);
  print_issues(&fx.pf);
  assert_non_null(find(&fx.pf, "metadata-clash"));
  assert_non_null(strstr(find(&fx.pf, "metadata-clash")->message,
                         "restores 1 and 2 both copy index template t1"));
  fx_done(&fx);
}

/* For the data stream check: the template the plan brings, renamed, is
 * found for the renamed stream (also by snm__pf_stream_template, which
 * the stream verdict uses); not for the original name. */
static void test_stream_template(void **state)
{
  struct fx fx;
  const char *tmpl;
  long long prio;
  int ds;
  (void)state;

  fx_init(&fx,
          "[{\"domain\": \"dst\", \"rename\": {\"pattern\": \"(.+)\", "
          "\"replacement\": \"m-$1\"}}]",
          "{\"index_templates\": [\"ds1\"], \"rename_patterns\": true}");
  add(fx.src, "GET", "/_index_template", 200,
      "{\"index_templates\":[{\"name\":\"ds1\",\"index_template\":{"
      "\"index_patterns\":[\"app-*\"],\"priority\":9,\"data_stream\":{}}}]}");
  source(fx.src);
  target_empty(fx.dst);
  check(&fx);
  assert_int_equal(fx.pf.n_blockers, 0);
  assert_int_equal(
      snm__pf_meta_stream_template(&fx.pf, 1, "m-app-logs", &tmpl, &prio, &ds),
      1);
  assert_string_equal(tmpl, "ds1");
  assert_int_equal(prio, 9);
  assert_true(ds);
  assert_int_equal(
      snm__pf_meta_stream_template(&fx.pf, 1, "app-logs", &tmpl, &prio, &ds),
      0);
  /* the data stream check counts it: the target has no template of its
   * own, the plan's brings data_stream for the renamed name only */
  assert_int_equal(snm__pf_stream_template(&fx.pf, 1, "m-app-logs", &tmpl),
                   SNM_PF_TMPL_DS);
  assert_string_equal(tmpl, "ds1");
  assert_int_equal(snm__pf_stream_template(&fx.pf, 1, "app-logs", &tmpl),
                   SNM_PF_TMPL_NONE);
  fx_done(&fx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_absent_simulated),
      cmocka_unit_test(test_conflict_rejected_missing),
      cmocka_unit_test(test_identical_missing_unreadable),
      cmocka_unit_test(test_clash),
      cmocka_unit_test(test_stream_template),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
