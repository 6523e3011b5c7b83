/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for preflight_fetch.c: the whole preflight (requests, replies,
 * verdicts) against two loopback stand-ins (tests/support/standin_http.h)
 * scripted as a healthy OpenSearch source and target, with one request at
 * a time answered by a fault a real cluster will not produce on demand:
 * a refusal (403), a server error, a 200 whose body is not what was asked
 * for.  None of them may read as "nothing there" (issue #8, item 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "diag.h"
#include "es.h"
#include "http.h"
#include "loop_fixture.h"
#include "plan.h"
#include "plan_fixture.h"
#include "preflight.h"
#include "pf_cluster.h"
#include "standin_http.h"

#define DENIED                                                                 \
  "{\"error\":{\"root_cause\":[{\"type\":\"security_exception\",\"reason\":"   \
  "\"no permissions for [indices:monitor/settings/get]\"}],\"type\":"          \
  "\"security_exception\",\"reason\":\"no permissions for "                    \
  "[indices:monitor/settings/get]\"},\"status\":403}"

struct fx {
  struct snm_test_loop lp; /* the loop, its deadline and the engine */
  struct snm_standin *src, *dst;
  struct snm_plan *plan;
  struct snm_es es[2];
  struct snm_preflight pf;
  int done;
};

/* `snapshot`: extra members of the plan's snapshot; `restore`: of its
 * restore (both after a comma, or NULL). */
static void fx_init_plan(struct fx *fx, const char *snapshot,
                         const char *restore)
{
  struct snm_http_opts hopts = {0};
  struct snm_err err;
  char text[1024];

  memset(fx, 0, sizeof(*fx));
  assert_int_equal(snm_standin_new(&fx->src), 0);
  assert_int_equal(snm_standin_new(&fx->dst), 0);
  snprintf(text, sizeof(text),
           "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
           "\"src\": {\"endpoint\": \"%s\"}, \"dst\": {\"endpoint\": \"%s\"}},"
           "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
           "{\"location\": \"/x\"}},"
           "\"snapshot\": {\"domain\": \"src\"%s%s}, "
           "\"restores\": [{\"domain\": \"dst\"%s%s}]}",
           snm_standin_url(fx->src), snm_standin_url(fx->dst),
           snapshot != NULL ? ", " : "", snapshot != NULL ? snapshot : "",
           restore != NULL ? ", " : "", restore != NULL ? restore : "");
  fx->plan = snm_test_plan_parse(text, NULL);
  hopts.max_attempts = 1; /* a 500 is answered once, not retried */
  snm_test_loop_init(&fx->lp, &hopts);
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(
        snm_es_init(&fx->es[i], &fx->plan->domains[i], fx->lp.http, &err), 0);
    fx->es[i].read_only = 1;
  }
}

static void fx_init(struct fx *fx, const char *rename)
{
  /* rename: ", \"rename\": {...}" as before */
  fx_init_plan(fx, NULL, rename != NULL ? rename + 2 : NULL);
}

static void fx_done(struct fx *fx)
{
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

/* Run a preflight against the scripts as they are (the faults added
 * first win over snm_test_pf_cluster's replies). */
static void check(struct fx *fx)
{
  struct snm_preflight_opts opts = {0};
  struct snm_err err;

  snm_preflight_dispose(&fx->pf);
  fx->done = 0;
  opts.now = 1700000000;
  snm_test_loop_set_deadline(&fx->lp, 30000);
  assert_int_equal(snm_preflight_start(&fx->pf, &fx->lp.loop, fx->plan, fx->es,
                                       &opts, on_done, fx, &err),
                   0);
  snm_test_loop_run_until(&fx->lp, &fx->done);
  assert_int_equal(fx->pf.result, SNM_OK);
}

static const struct snm_pf_issue *
find_issue(const struct snm_preflight *pf, const char *code, const char *domain)
{
  for (size_t i = 0; i < pf->n_issues; i++)
    if (strcmp(pf->issues[i].code, code) == 0 &&
        (domain == NULL || (pf->issues[i].domain != NULL &&
                            strcmp(pf->issues[i].domain, domain) == 0)))
      return &pf->issues[i];
  return NULL;
}

static void print_issues(const struct snm_preflight *pf)
{
  for (size_t i = 0; i < pf->n_issues; i++)
    fprintf(stderr, "  %s [%s] %s: %s\n",
            snm_pf_severity_name(pf->issues[i].severity), pf->issues[i].code,
            pf->issues[i].domain ? pf->issues[i].domain : "-",
            pf->issues[i].message);
}

/* The scripts alone: no blocker but the closed index old-1 when the
 * restore renames onto it (the listing is read). */
static void test_healthy(void **state)
{
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL);
  snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                      "status uuid pri index\nclose  u-old-1 1 old-1\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.n_blockers, 0);
  assert_int_equal(fx.pf.n_indices, 1);
  assert_int_equal(fx.pf.indices[0].docs, 5);
  assert_int_equal(fx.pf.domains[1].n_existing, 1);
  assert_true(fx.pf.domains[1].disk_usable > 0);
  snm_preflight_dispose(&fx.pf);
  fx_done(&fx);

  fx_init(&fx, ", \"rename\": {\"pattern\": \"logs\", \"replacement\": "
               "\"old\"}");
  snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                      "status uuid pri index\nclose  u-old-1 1 old-1\n");
  check(&fx);
  assert_int_equal(fx.pf.n_blockers, 1);
  assert_non_null(find_issue(&fx.pf, "index-exists", "dst"));
  assert_non_null(strstr(find_issue(&fx.pf, "index-exists", "dst")->message,
                         "closed index old-1 already exists"));
  snm_preflight_dispose(&fx.pf);
  fx_done(&fx);
}

/* A closed source index has no count (400 index_closed_exception): that
 * is expected, not a fact that could not be read. */
static void test_closed_index_count(void **state)
{
  struct fx fx;
  (void)state;

  fx_init(&fx, NULL);
  snm_test_pf_add(fx.src, "/_cat/indices*", 200, SNM_TEST_TEXT_CT,
                  "status health pri.store.size index\n"
                  "close  green                logs-1\n");
  snm_test_pf_add(
      fx.src, "/_msearch", 200, SNM_TEST_JSON_CT,
      "{\"responses\":[{\"error\":{\"type\":\"index_closed_exception\","
      "\"reason\":\"closed\"},\"status\":400}]}");
  snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                      "status uuid pri index\nclose  u-old-1 1 old-1\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_null(find_issue(&fx.pf, "count-unreadable", NULL));
  assert_non_null(find_issue(&fx.pf, "index-closed", "src"));
  assert_int_equal(fx.pf.indices[0].closed, 1);
  assert_true(fx.pf.indices[0].docs == -1);
  assert_true(fx.pf.indices[0].pri_bytes == -1);
  snm_preflight_dispose(&fx.pf);
  fx_done(&fx);
}

/* The counts of many indices are one POST /_msearch (issue 13), read item
 * by item: an item that failed (not a closed index) leaves that index's
 * count unknown and says so, naming it; the others are counted. */
static void test_counts_batched(void **state)
{
  struct snm_standin_request rq;
  struct fx fx;
  size_t searches = 0;
  (void)state;

  fx_init_plan(&fx, "\"indices\": \"logs-*\"", NULL);
  snm_test_pf_add(fx.src, "/_cat/indices*", 200, SNM_TEST_TEXT_CT,
                  "status health pri.store.size index\n"
                  "open   green             100 logs-1\n"
                  "open   green             100 logs-2\n"
                  "open   green             100 logs-3\n");
  snm_test_pf_add(fx.src, "/logs-%2A/_settings*", 200, SNM_TEST_JSON_CT,
                  "{\"logs-1\":{\"settings\":{}},\"logs-2\":{\"settings\":{}},"
                  "\"logs-3\":{\"settings\":{}}}");
  snm_test_pf_add(
      fx.src, "/_msearch", 200, SNM_TEST_JSON_CT,
      "{\"responses\":[{\"_shards\":{\"total\":1,\"successful\":1,"
      "\"failed\":0},\"hits\":{\"total\":{\"value\":11,\"relation\":"
      "\"eq\"}}},{\"_shards\":{\"total\":2,\"successful\":1,\"failed\":1},"
      "\"hits\":{\"total\":{\"value\":3,\"relation\":\"eq\"}}},"
      "{\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0},"
      "\"hits\":{\"total\":{\"value\":0,\"relation\":\"eq\"}}}]}");
  snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                      "status uuid pri index\nclose  u-old-1 1 old-1\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.n_indices, 3);
  for (size_t i = 0; i < 3; i++) {
    const struct snm_pf_index *ix = &fx.pf.indices[i];
    long long want = strcmp(ix->name, "logs-1") == 0   ? 11
                     : strcmp(ix->name, "logs-2") == 0 ? -1
                                                       : 0;
    assert_true(ix->docs == want);
  }
  assert_non_null(find_issue(&fx.pf, "count-unreadable", "src"));
  assert_non_null(strstr(find_issue(&fx.pf, "count-unreadable", "src")->message,
                         "POST /_msearch: the count of logs-2: 1 of 2 "
                         "shards answered"));
  for (size_t i = 0; i < snm_standin_request_count(fx.src); i++) {
    assert_int_equal(snm_standin_request_get(fx.src, i, &rq), 0);
    assert_null(strstr(rq.target, "_count"));
    if (strcmp(rq.target, "/_msearch") == 0) {
      searches++;
      assert_string_equal(rq.method, "POST");
      assert_non_null(strstr(rq.body, "{\"index\":\"logs-1\"}\n"));
      assert_non_null(strstr(rq.body, "{\"index\":\"logs-3\"}\n"));
    }
    snm_standin_request_dispose(&rq);
  }
  assert_int_equal(searches, 1);
  snm_preflight_dispose(&fx.pf);
  fx_done(&fx);
}

struct fault {
  int on_source; /* which stand-in answers with the fault */
  const char *path;
  int status;
  const char *body;
  const char *code; /* the issue expected */
  enum snm_pf_severity sev;
  const char *needle; /* in its message */
};

/* The target's index listing fails in each way a server or proxy may make
 * it fail: the restore onto the closed index old-1 must be blocked, never
 * predicted as fine. */
static void test_target_listing_unknown(void **state)
{
  static const struct fault faults[] = {
      {0, "/_cat/indices*", 403, DENIED, "indices-unreadable", SNM_PF_BLOCKER,
       "HTTP 403 security_exception: no permissions for "
       "[indices:monitor/settings/get]"},
      {0, "/_cat/indices*", 500,
       "{\"error\":{\"type\":\"exception\",\"reason\":\"boom\"},\"status\":"
       "500}",
       "indices-unreadable", SNM_PF_BLOCKER, "HTTP 500 exception: boom"},
      {0, "/_cat/indices*", 200, "{\"index\":\"old-1\"}", "indices-unreadable",
       SNM_PF_BLOCKER, "HTTP 200"},
      {0, "/_cat/indices*", 200, "[{\"index\": \"old-", "indices-unreadable",
       SNM_PF_BLOCKER, "HTTP 200"},
      {0, "/_cat/indices*", 200, "", "indices-unreadable", SNM_PF_BLOCKER,
       "HTTP 200"},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
    const struct fault *f = &faults[i];
    const struct snm_pf_issue *is;
    struct fx fx;

    fx_init(&fx, ", \"rename\": {\"pattern\": \"logs\", \"replacement\": "
                 "\"old\"}");
    snm_test_pf_add(f->on_source ? fx.src : fx.dst, f->path, f->status,
                    SNM_TEST_JSON_CT, f->body);
    snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
    snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                        "status uuid pri index\nclose  u-old-1 1 old-1\n");
    check(&fx);
    is = find_issue(&fx.pf, f->code, f->on_source ? "src" : "dst");
    if (is == NULL || is->severity != f->sev ||
        strstr(is->message, f->needle) == NULL ||
        strstr(is->message, "GET /_cat/indices") == NULL) {
      print_issues(&fx.pf);
      fail_msg("fault %zu (%s -> %d): no %s %s naming the request and \"%s\"",
               i, f->path, f->status, snm_pf_severity_name(f->sev), f->code,
               f->needle);
    }
    if (getenv("SNM_TEST_VERBOSE") != NULL)
      print_issues(&fx.pf);
    assert_true(fx.pf.n_blockers >= 1);
    assert_int_equal(fx.pf.domains[1].existing_known, 0);
    assert_int_equal(fx.pf.restores[0].n_items, 1);
    assert_int_equal(fx.pf.restores[0].items[0].action, SNM_PF_BLOCKED);
    snm_preflight_dispose(&fx.pf);
    fx_done(&fx);
  }
}

/* How many requests `s` received whose target starts with `prefix`. */
static size_t requests_to(struct snm_standin *s, const char *prefix)
{
  size_t n = 0;

  for (size_t i = 0; i < snm_standin_request_count(s); i++) {
    struct snm_standin_request r;

    assert_int_equal(snm_standin_request_get(s, i, &r), 0);
    n += strncmp(r.target, prefix, strlen(prefix)) == 0;
    snm_standin_request_dispose(&r);
  }
  return n;
}

/* The target's index listing answered 200 with a row short of a cell (an
 * index created or deleted while the server joined its reads): asked for
 * again, and the next answer counts; one that stays unreadable is a
 * blocker after PF_CAT_TRIES (3) requests, never read short. */
static void test_target_listing_again(void **state)
{
  static const char short_row[] = "status uuid pri index\n"
                                  "close  u-old-1 1 old-1\n"
                                  "open   1 new-1\n";
  (void)state;

  for (int persistent = 0; persistent < 2; persistent++) {
    struct snm_standin_reply r = {.method = "GET",
                                  .path = "/_cat/indices*",
                                  .times = persistent ? 0 : 1,
                                  .status = 200,
                                  .headers = SNM_TEST_TEXT_CT,
                                  .body = short_row};
    const struct snm_pf_issue *is;
    struct fx fx;

    fx_init(&fx, NULL);
    assert_int_equal(snm_standin_add(fx.dst, &r), 0);
    snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
    snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                        "status uuid pri index\nclose  u-old-1 1 old-1\n");
    check(&fx);
    is = find_issue(&fx.pf, "indices-unreadable", "dst");
    if (persistent) {
      assert_non_null(is);
      assert_int_equal(is->severity, SNM_PF_BLOCKER);
      assert_non_null(strstr(is->message, "3 cells"));
      assert_int_equal(fx.pf.domains[1].existing_known, 0);
      assert_int_equal(requests_to(fx.dst, "/_cat/indices"), 3);
    } else {
      if (is != NULL)
        print_issues(&fx.pf);
      assert_null(is);
      assert_int_equal(fx.pf.domains[1].existing_known, 1);
      assert_int_equal(fx.pf.domains[1].n_existing, 1);
      assert_int_equal(requests_to(fx.dst, "/_cat/indices"), 2);
    }
    snm_preflight_dispose(&fx.pf);
    fx_done(&fx);
  }
}

/* Every other request of the preflight, refused or answered with a body
 * of the wrong shape: a blocker when a verdict relies on the fact, a
 * warning when the fact is only reported. */
static void test_each_fact_unknown(void **state)
{
  static const char *const bodies[] = {DENIED, "\"not what was asked\""};
  static const struct fault faults[] = {
      /* target */
      {0, "/_cluster/health", 0, NULL, "health-unreadable", SNM_PF_BLOCKER,
       "GET /_cluster/health"},
      {0, "/_cat/aliases*", 0, NULL, "aliases-unreadable", SNM_PF_BLOCKER,
       "GET /_cat/aliases"},
      {0, "/_cat/allocation*", 0, NULL, "disk-unreadable", SNM_PF_BLOCKER,
       "GET /_cat/allocation"},
      {0, "/_cluster/settings*", 0, NULL, "cluster-settings-unreadable",
       SNM_PF_BLOCKER, "GET /_cluster/settings"},
      {0, "/_snapshot/r", 0, NULL, "repo-unusable", SNM_PF_BLOCKER,
       "GET /_snapshot/r"},
      /* source */
      {1, "/_cluster/health", 0, NULL, "health-unreadable", SNM_PF_WARNING,
       "GET /_cluster/health"},
      {1, "/_cat/indices*", 0, NULL, "indices-unreadable", SNM_PF_BLOCKER,
       "GET /_cat/indices"},
      {1, "/_cat/aliases*", 0, NULL, "aliases-unreadable", SNM_PF_BLOCKER,
       "GET /_cat/aliases"},
      {1, "/_cat/snapshots/r*", 0, NULL, "repo-unusable", SNM_PF_BLOCKER,
       "GET /_cat/snapshots/r"},
      {1, "/_snapshot/_status", 0, NULL, "snapshot-status-unreadable",
       SNM_PF_WARNING, "GET /_snapshot/_status"},
      {1, "/_data_stream", 0, NULL, "data-streams-unreadable", SNM_PF_WARNING,
       "GET /_data_stream"},
      {1, "/_all/_settings*", 0, NULL, "source-indices", SNM_PF_BLOCKER,
       "GET /_all/_settings"},
      {1, "/_msearch", 0, NULL, "count-unreadable", SNM_PF_WARNING,
       "POST /_msearch"},
      {1, "/_snapshot/r", 0, NULL, "repo-unusable", SNM_PF_BLOCKER,
       "GET /_snapshot/r"},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
    for (size_t b = 0; b < 2; b++) {
      const struct fault *f = &faults[i];
      const char *dom = f->on_source ? "src" : "dst";
      const struct snm_pf_issue *is;
      const char *code;
      struct fx fx;

      fx_init(&fx, NULL);
      snm_test_pf_add(f->on_source ? fx.src : fx.dst, f->path,
                      b == 0 ? 403 : 200, SNM_TEST_JSON_CT, bodies[b]);
      snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
      snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                          "status uuid pri index\nclose  u-old-1 1 old-1\n");
      check(&fx);
      /* a refused repository read names the permission the identity
       * lacks (the security plugin's reason) */
      code = b == 0 && strcmp(f->code, "repo-unusable") == 0
                 ? "permission-missing"
                 : f->code;
      is = find_issue(&fx.pf, code, dom);
      if (is == NULL || is->severity != f->sev ||
          strstr(is->message, f->needle) == NULL ||
          strstr(is->message,
                 b == 0 ? "HTTP 403 security_exception" : "HTTP 200") == NULL ||
          is->hint == NULL || is->hint[0] == '\0') {
        print_issues(&fx.pf);
        fail_msg("%s %s answered %s: no %s %s naming the request and the "
                 "cause",
                 dom, f->path, b == 0 ? "403" : "200 with a string",
                 snm_pf_severity_name(f->sev), code);
      }
      snm_preflight_dispose(&fx.pf);
      fx_done(&fx);
    }
}

/* The source's listing is one request for every index (never narrowed by
 * name: OpenSearch 2.19 leaves GET _cat/indices/NAMES?ignore_unavailable
 * unanswered when a name does not exist), a text table of the columns
 * used.  It, the aliases and the data streams are asked for once the
 * settings resolved the indices, and only what concerns those indices is
 * kept (issue #8, item 13). */
static void test_source_narrowed(void **state)
{
  static const char cat_path[] =
      "/_cat/indices?v=true&bytes=b&h=status,health,pri.store.size,index"
      "&expand_wildcards=all";
  struct snm_standin_request rq;
  struct fx fx;
  int found = 0;
  long settings_at = -1;
  (void)state;

  fx_init_plan(&fx, "\"indices\": \"logs-*\"", NULL);
  snm_test_pf_add(fx.src, "/_cat/aliases*", 200, SNM_TEST_TEXT_CT,
                  "alias    index\n"
                  "logs     logs-1\n"
                  "other    other-1\n");
  snm_test_pf_add(fx.src, "/_cat/indices*", 200, SNM_TEST_TEXT_CT,
                  "status health pri.store.size index\n"
                  "open   green             100 logs-1\n"
                  "open   green             200 other-1\n");
  snm_test_pf_add(
      fx.src, "/_data_stream", 200, SNM_TEST_JSON_CT,
      "{\"data_streams\":[{\"name\":\"app\",\"indices\":[{\"index_name\":"
      "\"logs-1\"}]},{\"name\":\"other\",\"indices\":[{\"index_name\":"
      "\"other-1\"}]}]}");
  snm_test_pf_add(fx.src, "/logs-%2A/_settings*", 200, SNM_TEST_JSON_CT,
                  "{\"logs-1\":{\"settings\":{\"index.number_of_shards\":\"1\","
                  "\"index.number_of_replicas\":\"0\"}}}");
  snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
  snm_test_pf_add(fx.dst, "/_index_template", 200, SNM_TEST_JSON_CT,
                  "{\"index_templates\":[{\"name\":\"t-app\",\"index_"
                  "template\":{\"index_patterns\":[\"ap*\"],\"data_"
                  "stream\":{}}}]}");
  snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                      "status uuid pri index\nclose  u-old-1 1 old-1\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.n_blockers, 0);
  for (size_t i = 0; i < snm_standin_request_count(fx.src); i++) {
    assert_int_equal(snm_standin_request_get(fx.src, i, &rq), 0);
    found += strcmp(rq.target, cat_path) == 0;
    /* nor for named ones */
    assert_true(strncmp(rq.target, "/_cat/indices/", 14) != 0);
    /* the settings first, then the listings */
    if (strstr(rq.target, "/_settings") != NULL)
      settings_at = i;
    if (strncmp(rq.target, "/_cat/indices", 13) == 0 ||
        strncmp(rq.target, "/_cat/aliases", 13) == 0 ||
        strcmp(rq.target, "/_data_stream") == 0)
      assert_true(settings_at >= 0 && (size_t)settings_at < i);
    snm_standin_request_dispose(&rq);
  }
  assert_int_equal(found, 1);
  assert_int_equal(fx.pf.domains[0].n_aliases, 1);
  assert_string_equal(fx.pf.domains[0].aliases[0].alias, "logs");
  assert_int_equal(fx.pf.domains[0].existing_known, 1);
  assert_int_equal(fx.pf.domains[0].n_existing, 1);
  assert_string_equal(fx.pf.domains[0].existing[0].name, "logs-1");
  assert_true(fx.pf.indices[0].pri_bytes == 100);
  assert_int_equal(fx.pf.n_data_streams, 1);
  assert_string_equal(fx.pf.data_streams[0].name, "app");
  assert_string_equal(fx.pf.indices[0].data_stream, "app");
  /* restored as a stream, whose template the target has */
  assert_int_equal(fx.pf.restores[0].n_streams, 1);
  assert_string_equal(fx.pf.restores[0].streams[0].target_name, "app");
  assert_string_equal(fx.pf.restores[0].streams[0].template_name, "t-app");
  assert_int_equal(fx.pf.domains[1].templates_known, 1);
  assert_int_equal(fx.pf.domains[1].streams_known, 1);
  snm_preflight_dispose(&fx.pf);
  fx_done(&fx);

  /* settings resolve logs-2 too, the listing does not have it */
  fx_init_plan(&fx, "\"indices\": \"logs-*\"", NULL);
  snm_test_pf_add(
      fx.src, "/logs-%2A/_settings*", 200, SNM_TEST_JSON_CT,
      "{\"logs-1\":{\"settings\":{}},\"logs-2\":{\"settings\":{}}}");
  snm_test_pf_cluster(fx.src, 1, "2.19.1", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.1", "opensearch",
                      "status uuid pri index\nclose  u-old-1 1 old-1\n");
  check(&fx);
  assert_non_null(find_issue(&fx.pf, "indices-unreadable", "src"));
  assert_non_null(
      strstr(find_issue(&fx.pf, "indices-unreadable", "src")->message,
             "index logs-2, which GET _settings found, is not listed"));
  assert_int_equal(find_issue(&fx.pf, "indices-unreadable", "src")->severity,
                   SNM_PF_BLOCKER);
  snm_preflight_dispose(&fx.pf);
  fx_done(&fx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_healthy),
      cmocka_unit_test(test_target_listing_unknown),
      cmocka_unit_test(test_target_listing_again),
      cmocka_unit_test(test_each_fact_unknown),
      cmocka_unit_test(test_source_narrowed),
      cmocka_unit_test(test_closed_index_count),
      cmocka_unit_test(test_counts_batched),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
