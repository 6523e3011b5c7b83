/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for plan*.c: typed fields, located diagnostics, snapshot
 * names, region derivation, the digest.  Fixtures: tests/plans/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "plan_fixture.h"

/* Where the plan fixtures are, relative to the source tree. */
#define PLANS "tests/plans/"

static void test_valid_full(void **state)
{
  struct snm_diag_list d;
  struct snm_plan *p;
  const struct snm_domain *eu, *us, *aoss, *v6;
  const struct snm_restore *r;
  char name[SNM_SNAPSHOT_NAME_MAX + 1], *renamed = NULL;
  struct snm_err err;
  (void)state;

  setenv("SNM_TEST_PW", "not-a-real-password", 1);
  p = snm_test_plan_load(PLANS "valid-full.json", &d);
  assert_int_equal(d.len, 0);
  assert_string_equal(p->name, "Logs-EU_to.US");
  assert_int_equal(p->n_domains, 4);

  eu = snm_plan_find_domain(p, "eu");
  assert_ptr_equal(eu, &p->domains[0]);
  assert_string_equal(eu->endpoint,
                      "https://search-logs-abc123.eu-central-1.es.amazonaws."
                      "com");
  assert_string_equal(eu->base_url, eu->endpoint);
  assert_int_equal(eu->tls, 1);
  assert_int_equal(eu->port, 443);
  assert_string_equal(eu->base_path, "");
  assert_int_equal(eu->auth, SNM_AUTH_AWS_SIGV4);
  assert_string_equal(eu->region, "eu-central-1");
  assert_int_equal(eu->region_derived, 1);
  assert_string_equal(eu->service, "es");
  assert_string_equal(eu->profile, "migrate");
  assert_int_equal(eu->timeout_s, 45);
  assert_int_equal(eu->pos.line, 6);
  assert_int_equal(eu->pos.col, 5);

  us = snm_plan_find_domain(p, "us");
  assert_string_equal(us->endpoint, "https://LOGS.example.com:9443/es");
  assert_string_equal(us->host, "logs.example.com");
  assert_int_equal(us->port, 9443);
  assert_string_equal(us->base_path, "/es");
  assert_string_equal(us->base_url, "https://logs.example.com:9443/es");
  assert_int_equal(us->auth, SNM_AUTH_BASIC);
  assert_string_equal(us->username, "admin");
  assert_string_equal(us->password_env, "SNM_TEST_PW");
  assert_null(us->region);
  assert_string_equal(us->ca_file, "/dev/null");
  assert_int_equal(us->timeout_s, 30);
  assert_int_equal(us->insecure, 0);

  aoss = snm_plan_find_domain(p, "aoss");
  assert_string_equal(aoss->region, "us-east-1");
  assert_string_equal(aoss->service, "aoss");
  assert_null(aoss->profile);

  v6 = snm_plan_find_domain(p, "v6");
  assert_string_equal(v6->host, "::1");
  assert_int_equal(v6->port, 9200);
  assert_int_equal(v6->tls, 0);
  assert_string_equal(v6->base_url, "http://[::1]:9200");
  assert_int_equal(v6->auth, SNM_AUTH_NONE);
  assert_null(snm_plan_find_domain(p, "nope"));

  assert_string_equal(p->repository.name, "snapmig-repo");
  assert_int_equal(p->repository.type, SNM_REPO_S3);
  assert_string_equal(p->repository.settings_json,
                      "{\"bucket\":\"b1\",\"region\":\"eu-central-1\","
                      "\"base_path\":\"p/q\",\"compress\":true}");
  assert_string_equal(snm_repository_setting(&p->repository, "bucket"), "b1");
  assert_string_equal(snm_repository_setting(&p->repository, "base_path"),
                      "p/q");
  assert_null(snm_repository_setting(&p->repository, "compress"));
  assert_null(snm_repository_setting(&p->repository, "location"));
  assert_int_equal(p->repository.readonly_on_targets, 0);

  assert_int_equal(p->snapshot.domain, 0);
  assert_string_equal(p->snapshot.name_template, "m-{plan}-{date}-{utc:%H%M}");
  assert_int_equal(p->snapshot.n_indices, 2);
  assert_string_equal(p->snapshot.indices[0], "logs-*");
  assert_string_equal(p->snapshot.indices[1], "-logs-debug-*");
  assert_int_equal(p->snapshot.include_global_state, 1);
  assert_int_equal(p->snapshot.allow_partial, 1);
  /* 1700000000 is 2023-11-14 22:13:20 UTC; {plan} is lowercased */
  assert_int_equal(
      snm_plan_snapshot_name(name, sizeof(name), p, 1700000000, &err), 0);
  assert_string_equal(name, "m-logs-eu_to.us-2023.11.14-2213");

  assert_int_equal(p->n_restores, 3);
  r = &p->restores[0];
  assert_int_equal(r->domain, 1);
  assert_int_equal(r->n_indices, 1);
  assert_string_equal(r->indices[0], "logs-2024*");
  assert_string_equal(r->rename_pattern, "logs-(.+)");
  assert_string_equal(r->rename_replacement, "old-logs-$1");
  assert_non_null(r->rename);
  assert_int_equal(snm_rename_apply(&renamed, r->rename, "logs-2024.01", &err),
                   0);
  assert_string_equal(renamed, "old-logs-2024.01");
  free(renamed);
  assert_string_equal(r->index_settings_json,
                      "{\"index.number_of_replicas\":0,\"index\":{\"refresh_"
                      "interval\":\"30s\"}}");
  assert_int_equal(r->n_ignore_index_settings, 1);
  assert_string_equal(r->ignore_index_settings[0],
                      "index.routing.allocation.require.box");
  assert_int_equal(r->include_aliases, 0);
  assert_int_equal(r->on_conflict, SNM_CONFLICT_SKIP);
  assert_int_equal(r->wait_for, SNM_WAIT_YELLOW);
  assert_int_equal(r->verify, SNM_VERIFY_NONE);
  assert_int_equal(r->pos.line, 37);
  assert_int_equal(r->pos.col, 5);

  r = &p->restores[1]; /* all defaults */
  assert_int_equal(r->domain, 2);
  assert_null(r->indices);
  assert_int_equal(r->n_indices, 0);
  assert_null(r->rename_pattern);
  assert_null(r->rename);
  assert_null(r->index_settings_json);
  assert_null(r->ignore_index_settings);
  assert_int_equal(r->include_aliases, 1);
  assert_int_equal(r->on_conflict, SNM_CONFLICT_FAIL);
  assert_int_equal(r->wait_for, SNM_WAIT_GREEN);
  assert_int_equal(r->verify, SNM_VERIFY_DOC_COUNT);

  assert_int_equal(p->polling.initial_ms, 100);
  assert_int_equal(p->polling.max_ms, 2000);
  assert_int_equal(p->polling.timeout_s, 600);
  snm_plan_free(p);
  snm_diag_list_dispose(&d);
  unsetenv("SNM_TEST_PW");
}

struct want {
  enum snm_severity sev;
  unsigned line, col;
  const char *text; /* must occur in the message */
};

#define E SNM_DIAG_ERROR
#define W SNM_DIAG_WARNING

static void expect_diags(const char *name, int want_rc, const struct want *w,
                         size_t n)
{
  char *path = snm_test_source_path(name);
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_err err;
  int ok = 1;

  snm_diag_list_init(&d);
  assert_int_equal(snm_plan_load(&p, path, &d, &err), want_rc);
  assert_true(want_rc == 0 ? p != NULL : p == NULL);
  for (size_t i = 0; i < d.len || i < n; i++) {
    const struct snm_diag *g = i < d.len ? &d.items[i] : NULL;
    if (g == NULL || i >= n || g->severity != w[i].sev ||
        g->line != w[i].line || g->col != w[i].col ||
        strstr(g->message, w[i].text) == NULL) {
      ok = 0;
      if (g != NULL)
        snm_diag_print(stderr, "got", g);
      if (i < n)
        fprintf(stderr, "want:%u:%u: %s: ...%s...\n", w[i].line, w[i].col,
                snm_diag_severity_name(w[i].sev), w[i].text);
    }
  }
  snm_plan_free(p);
  snm_diag_list_dispose(&d);
  free(path);
  if (!ok)
    fail_msg("%s: diagnostics differ (see above)", name);
}

static void test_invalid_many(void **state)
{
  /* every problem is reported in one pass, sorted by position */
  static const struct want w[] = {
      {E, 3, 11, "name: \"many errors\" may only use letters"},
      {E, 5, 11, "domains.eu: missing required key 'endpoint'"},
      {E, 6, 7, "domains.eu.endpont: unknown key (did you mean 'endpoint'?)"},
      {E, 7, 20, "domains.eu.timeout_s: 0 is out of range (1 to 3600)"},
      {E, 10, 19, "domains.us.endpoint: must start with https:// or http://"},
      {E, 11, 15, "domains.us.auth: missing required key 'password_env'"},
      {E, 11, 52, "domains.us.auth.password: a password must not be written"},
      {E, 12, 19, "domains.us.insecure: expected a boolean, got a string"},
      {E, 15, 26, "repository name \"_Repo\" must not start with '_'"},
      {E, 15, 43,
       "unknown value \"s4\" (expected \"s3\" or \"fs\"); did you "
       "mean 's3'?"},
      {E, 16, 46, "snapshot.name: unknown placeholder \"{plna}\""},
      {E, 18, 16, "restores[0].domain: \"eu\" is the snapshot's source"},
      {E, 18, 37,
       "unknown value \"overwrite\" (expected \"fail\", \"skip\" or "
       "\"replace\")"},
      {E, 19, 16,
       "restores[1].domain: unknown domain \"usa\" (did you mean "
       "'us'?)"},
      {E, 19, 54,
       "rename.pattern: missing closing parenthesis at offset 8: "
       "\"logs-(.+\""},
      {E, 20, 75, "rename.replacement: no group 3 (the pattern has 1)"},
      {E, 21, 43,
       "restores[3].wait_for: duplicate key (first at line 21, "
       "column 22)"},
      {E, 23, 45, "polling.max_ms: 500 is below initial_ms (1000)"},
  };
  (void)state;
  expect_diags(PLANS "invalid-many.json", SNM_EINVAL, w,
               sizeof(w) / sizeof(w[0]));
}

static void test_invalid_auth(void **state)
{
  static const struct want w[] = {
      {E, 2, 14, "unsupported plan format version"},
      {W, 6, 19, "aws-sigv4 over plain http"},
      {E, 7, 15, "missing required key 'region' (it cannot be derived"},
      {E, 7, 37, "auth.username: only used with auth type \"basic\""},
      {E, 9, 5, "domain id \"B\" may only use"},
      {E, 10, 19, "must not contain user info"},
      {E, 11, 66, "\"1BAD\" is not an environment variable name"},
      {E, 13, 23, "port must be 1 to 65535"},
      {E, 13, 60, "domains.c.auth: missing required key 'type'"},
      {E, 13, 61, "auth.tpye: unknown key (did you mean 'type'?)"},
      {E, 14, 23, "must not have a query or fragment"},
      {E, 14, 69,
       "unknown value \"kerberos\" (expected \"none\", "
       "\"aws-sigv4\" or \"basic\")"},
      {E, 16, 70, "settings.location: expected a non-empty string"},
      {E, 17, 43, "\"Logs\" must not contain uppercase"},
      {E, 17, 51, "\"a b\" must not contain whitespace"},
      {E, 17, 58, "\"-\" names no index"},
      {E, 19, 29, "polling.initial_ms: expected an integer, got 1.5"},
      {E, 19, 47, "polling.timeout_s: expected an integer, got a string"},
  };
  (void)state;
  expect_diags(PLANS "invalid-auth.json", SNM_EINVAL, w,
               sizeof(w) / sizeof(w[0]));
}

static void test_invalid_repo(void **state)
{
  static const struct want w[] = {
      {E, 11, 17, "missing required key 'bucket' (an s3 repository"},
      {E, 11, 18, "settings.secret_key: credentials must not be written"},
      {E, 11, 70, "base_path: duplicate key (first at line 11, column 52)"},
      {E, 13, 45, "empty strftime format in {utc:...}"},
      {E, 15, 31, "restores[0].rename: missing required key 'replacement'"},
      {E, 16, 64, "the pattern has no group named 'n'"},
      {E, 17, 24, "index_settings: expected an object, got an array"},
      {E, 19, 3, "restore: unknown key (did you mean 'restores'?)"},
  };
  (void)state;
  expect_diags(PLANS "invalid-repo.json", SNM_EINVAL, w,
               sizeof(w) / sizeof(w[0]));
}

static void test_invalid_missing_and_syntax(void **state)
{
  static const struct want missing[] = {
      {E, 2, 3, "missing required key 'snapmig'"},
      {E, 2, 3, "missing required key 'name'"},
      {E, 2, 3, "missing required key 'domains'"},
      {E, 2, 3, "missing required key 'repository'"},
      {E, 2, 3, "missing required key 'snapshot'"},
      {E, 2, 3, "missing required key 'restores'"},
  };
  static const struct want syntax[] = {
      {E, 5, 1, "JSON syntax error: invalid object key"},
  };
  (void)state;
  expect_diags(PLANS "invalid-missing.json", SNM_EINVAL, missing, 6);
  expect_diags(PLANS "invalid-syntax.json", SNM_EINVAL, syntax, 1);
}

static void test_warnings_only(void **state)
{
  static const struct want w[] = {
      {W, 6, 19, "aws-sigv4 over plain http"},
      {W, 7, 47,
       "\"eu-west-2\" differs from the endpoint's region "
       "\"eu-west-1\""},
      {W, 8, 19, "TLS certificate verification is off"},
      {W, 12, 66, "environment variable SNM_TEST_SURELY_UNSET is not set"},
      {W, 14, 5, "domains.spare: not used"},
  };
  (void)state;
  unsetenv("SNM_TEST_SURELY_UNSET");
  expect_diags(PLANS "warnings.json", 0, w, sizeof(w) / sizeof(w[0]));
}

static void test_password_never_quoted(void **state)
{
  char *path = snm_test_source_path(PLANS "invalid-many.json");
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  (void)state;

  snm_diag_list_init(&d);
  assert_int_equal(snm_plan_load(&p, path, &d, NULL), SNM_EINVAL);
  assert_true(d.errors > 0);
  for (size_t i = 0; i < d.len; i++)
    assert_null(strstr(d.items[i].message, "hunter2"));
  snm_diag_list_dispose(&d);
  free(path);
}

/* yajl takes '\v' and '\f' as blanks between tokens; the plan reader got
 * a value's offset wrong (on the blank) and asserted on it. */
static void test_vertical_tab_and_form_feed(void **state)
{
  static const char text[] = "{\"snapshot\":{\"name\":\v\"{\"}}";
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_err err;
  int found = 0;
  (void)state;

  snm_diag_list_init(&d);
  assert_int_equal(
      snm_plan_parse(&p, text, sizeof(text) - 1, "p.json", &d, &err),
      SNM_EINVAL);
  assert_null(p);
  for (size_t i = 0; i < d.len; i++) {
    if (strstr(d.items[i].message, "snapshot.name: ") == NULL)
      continue;
    /* at the '{' inside the string: column 23 (the '\v' is 21) */
    assert_int_equal(d.items[i].line, 1);
    assert_int_equal(d.items[i].col, 23);
    found = 1;
  }
  assert_true(found);
  snm_diag_list_dispose(&d);
}

/* A plan written on one line with thousands of unknown keys: every key is
 * reported at its column, and locating each costs a bounded number of
 * steps, not a walk from the start of the line (that was quadratic: 300k
 * keys took minutes). */
static void test_one_line_plan_is_linear(void **state)
{
  enum { KEYS = 3000 };
  struct snm_buf b;
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_err err;
  size_t before, steps, unknown = 0;
  (void)state;

  snm_buf_init(&b, 0);
  assert_int_equal(snm_buf_puts(&b, "{\"snapmig\":1"), 0);
  for (int i = 0; i < KEYS; i++)
    assert_int_equal(snm_buf_printf(&b, ",\"k%d\":0", i), 0);
  assert_int_equal(snm_buf_puts(&b, "}"), 0);
  snm_diag_list_init(&d);
  before = snm_json_pos_steps();
  assert_int_equal(
      snm_plan_parse(&p, snm_buf_str(&b), b.len, "one.json", &d, &err),
      SNM_EINVAL);
  steps = snm_json_pos_steps() - before;
  for (size_t i = 0; i < d.len; i++) {
    const struct snm_diag *g = &d.items[i];
    char want[64];
    const char *at;

    if (strstr(g->message, ": unknown key") == NULL)
      continue;
    /* "kN: unknown key": the key's quote is at column N's offset + 1 */
    snprintf(want, sizeof(want), "\"k%zu\":", unknown);
    at = strstr(snm_buf_str(&b), want);
    assert_non_null(at);
    assert_int_equal(g->line, 1);
    assert_int_equal(g->col, (unsigned)(at - snm_buf_str(&b)) + 1);
    unknown++;
  }
  assert_int_equal(unknown, KEYS);
  if (steps >= 2 * SNM_JSON_POS_BLOCK * (d.len + 8))
    fail_msg("%zu steps to locate %zu diagnostics", steps, d.len);
  snm_diag_list_dispose(&d);
  snm_buf_dispose(&b);
}

static void test_unreadable(void **state)
{
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_err err;
  (void)state;

  snm_diag_list_init(&d);
  assert_int_equal(snm_plan_load(&p, "/nonexistent/plan.json", &d, &err),
                   SNM_EIO);
  assert_null(p);
  assert_int_equal(d.len, 0);
  assert_string_equal(err.msg, "cannot read /nonexistent/plan.json: No such "
                               "file or directory");
}

static void test_region_derivation(void **state)
{
  static const struct {
    const char *host, *region, *service;
  } ok[] = {
      {"search-logs-abc123.eu-central-1.es.amazonaws.com", "eu-central-1",
       "es"},
      {"vpc-x-0123abcd.us-gov-west-1.es.amazonaws.com", "us-gov-west-1", "es"},
      {"search-x-y.cn-north-1.es.amazonaws.com.cn", "cn-north-1", "es"},
      {"abcdef123.us-east-1.aoss.amazonaws.com", "us-east-1", "aoss"},
      {"SEARCH-X-Y.AP-SOUTHEAST-2.ES.AMAZONAWS.COM", "ap-southeast-2", "es"},
  };
  static const char *const not_aws[] = {
      "es.amazonaws.com", "eu-central-1.es.amazonaws.com",
      "example.com",      "search-x.es.amazonaws.com",
      "127.0.0.1",        "x.eu-central-1.es.example.com"};
  char region[64], service[16];
  (void)state;

  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    assert_int_equal(snm_aws_host_info(ok[i].host, region, sizeof(region),
                                       service, sizeof(service)),
                     1);
    assert_string_equal(region, ok[i].region);
    assert_string_equal(service, ok[i].service);
  }
  for (size_t i = 0; i < sizeof(not_aws) / sizeof(not_aws[0]); i++)
    assert_int_equal(snm_aws_host_info(not_aws[i], region, sizeof(region),
                                       service, sizeof(service)),
                     0);
}

static void test_snapshot_names(void **state)
{
  static const struct {
    const char *tmpl;
    size_t at; /* (size_t)-1: the whole name */
    const char *msg;
  } bad[] = {
      {"x-{utc:}", 2, "empty strftime format"},
      {"x-{nope}", 2, "unknown placeholder \"{nope}\""},
      {"x-{utc:%Y%Q}", 9, "unknown strftime conversion \"%Q\""},
      {"x-{plan", 2, "unterminated placeholder"},
      {"x-{utc:%b}", (size_t)-1, "\"x-nov\"" /* never: see below */},
      {"x y", (size_t)-1, "must not contain whitespace"},
      {"_x", (size_t)-1, "must not start with '_'"},
      {"a,b", (size_t)-1, "must not contain ','"},
  };
  char out[SNM_SNAPSHOT_NAME_MAX + 1];
  struct snm_err err;
  size_t at;
  (void)state;

  assert_int_equal(snm_snapshot_name_expand(out, sizeof(out),
                                            SNM_PLAN_DEFAULT_SNAPSHOT_NAME,
                                            "Logs-EU", 1700000000, &at, &err),
                   0);
  assert_string_equal(out, "snapmig-logs-eu-20231114-221320");
  assert_int_equal(snm_snapshot_name_expand(out, sizeof(out), "{date}.{plan}",
                                            "p", 86400 * 365, &at, &err),
                   0);
  assert_string_equal(out, "1971.01.01.p");
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int rc = snm_snapshot_name_expand(out, sizeof(out), bad[i].tmpl, "p",
                                      1700000000, &at, &err);
    if (i == 4) {
      /* %b gives "Nov": uppercase, refused */
      assert_int_equal(rc, SNM_EINVAL);
      assert_non_null(strstr(err.msg, "\"x-Nov\" must be lowercase"));
      assert_true(at == (size_t)-1);
      continue;
    }
    assert_int_equal(rc, SNM_EINVAL);
    assert_true(at == bad[i].at);
    if (strstr(err.msg, bad[i].msg) == NULL)
      fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].tmpl, err.msg, bad[i].msg);
  }
  /* too small an output buffer is an error, not an overflow */
  assert_int_equal(snm_snapshot_name_expand(out, 4, "abcd", "p", 0, &at, &err),
                   SNM_EINVAL);
}

static void digest_of(const char *text, char out[65])
{
  struct snm_plan *p = snm_test_plan_parse(text, NULL);

  assert_int_equal(snm_plan_digest(out, p), 0);
  assert_int_equal(strlen(out), 64);
  snm_plan_free(p);
}

static void test_digest(void **state)
{
  const char *a =
      "{\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{\"endpoint\":"
      "\"https://s.example.com\"},\"t\":{\"endpoint\":\"https://t.example."
      "com\"}},\"repository\":{\"name\":\"r\",\"type\":\"s3\",\"settings\":"
      "{\"bucket\":\"b\",\"base_path\":\"x\"}},\"snapshot\":{\"domain\":\"s\"}"
      ",\"restores\":[{\"domain\":\"t\"}]}";
  /* the same plan: comments, whitespace, key order, a trailing '/', and
   * defaults written out */
  const char *same =
      "// comment\n{\n  \"name\": \"d\", \"snapmig\": 1,\n"
      "  \"restores\": [ {\"domain\": \"t\", \"on_conflict\": \"fail\"} ],\n"
      "  \"domains\": {\"s\": {\"endpoint\": \"https://s.example.com/\"},\n"
      "              \"t\": {\"endpoint\": \"https://t.example.com\", "
      "\"timeout_s\": 99}},\n"
      "  /* settings keys in another order */\n"
      "  \"repository\": {\"type\": \"s3\", \"name\": \"r\", \"settings\": "
      "{\"base_path\": \"x\", \"bucket\": \"b\"}},\n"
      "  \"snapshot\": {\"domain\": \"s\", \"name\": "
      "\"snapmig-{plan}-{utc:%Y%m%d-%H%M%S}\"},\n"
      "  \"polling\": {\"timeout_s\": 10}\n}\n";
  const char *changed_bucket =
      "{\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{\"endpoint\":"
      "\"https://s.example.com\"},\"t\":{\"endpoint\":\"https://t.example."
      "com\"}},\"repository\":{\"name\":\"r\",\"type\":\"s3\",\"settings\":"
      "{\"bucket\":\"c\",\"base_path\":\"x\"}},\"snapshot\":{\"domain\":\"s\"}"
      ",\"restores\":[{\"domain\":\"t\"}]}";
  const char *changed_target =
      "{\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{\"endpoint\":"
      "\"https://s.example.com\"},\"t\":{\"endpoint\":\"https://t.example."
      "com:9200\"}},\"repository\":{\"name\":\"r\",\"type\":\"s3\","
      "\"settings\":{\"bucket\":\"b\",\"base_path\":\"x\"}},\"snapshot\":{"
      "\"domain\":\"s\"},\"restores\":[{\"domain\":\"t\"}]}";
  char da[65], ds[65], db[65], dt[65];
  (void)state;

  digest_of(a, da);
  digest_of(same, ds);
  digest_of(changed_bucket, db);
  digest_of(changed_target, dt);
  assert_string_equal(da, ds);
  assert_string_not_equal(da, db);
  assert_string_not_equal(da, dt);
  assert_string_not_equal(db, dt);
}

/* "$schema" (an editor's JSON Schema) is accepted when it is a string and
 * changes nothing the plan asks for. */
static void test_schema_key(void **state)
{
  const char *plain =
      "{\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{\"endpoint\":"
      "\"https://s.example.com\"},\"t\":{\"endpoint\":\"https://t.example."
      "com\"}},\"repository\":{\"name\":\"r\",\"type\":\"fs\",\"settings\":"
      "{\"location\":\"/x\"}},\"snapshot\":{\"domain\":\"s\"},"
      "\"restores\":[{\"domain\":\"t\"}]}";
  const char *with_schema =
      "{\"$schema\":\"../docs/plan.schema.json\",\"snapmig\":1,\"name\":"
      "\"d\",\"domains\":{\"s\":{\"endpoint\":\"https://s.example.com\"},"
      "\"t\":{\"endpoint\":\"https://t.example.com\"}},\"repository\":{"
      "\"name\":\"r\",\"type\":\"fs\",\"settings\":{\"location\":\"/x\"}"
      "},\"snapshot\":{\"domain\":\"s\"},\"restores\":[{\"domain\":\"t\"}]}";
  const char *not_string =
      "{\"$schema\":1,\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{"
      "\"endpoint\":\"https://s.example.com\"},\"t\":{\"endpoint\":\"https:"
      "//t.example.com\"}},\"repository\":{\"name\":\"r\",\"type\":\"fs\","
      "\"settings\":{\"location\":\"/x\"}},\"snapshot\":{\"domain\":\"s\"},"
      "\"restores\":[{\"domain\":\"t\"}]}";
  char d1[65], d2[65];
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  (void)state;

  digest_of(plain, d1);
  digest_of(with_schema, d2);
  assert_string_equal(d1, d2);

  snm_diag_list_init(&d);
  assert_int_equal(
      snm_plan_parse(&p, not_string, strlen(not_string), "t.json", &d, NULL),
      SNM_EINVAL);
  assert_null(p);
  assert_int_equal(d.errors, 1);
  assert_int_equal(d.items[0].line, 1);
  assert_int_equal(d.items[0].col, 12);
  assert_non_null(
      strstr(d.items[0].message, "$schema: expected a string, got a number"));
  snm_diag_list_dispose(&d);
}

static void test_cutover_section(void **state)
{
  struct snm_diag_list d;
  struct snm_plan *p;
  char d1[65], d2[65];
  (void)state;

  p = snm_test_plan_load(PLANS "valid-cutover.json", &d);
  assert_int_equal(d.len, 0);
  assert_true(p->cutover.present);
  assert_int_equal(p->cutover.n_aliases, 1);
  assert_string_equal(p->cutover.aliases[0].alias, "logs");
  assert_string_equal(p->cutover.aliases[0].index, "logs-2024");
  /* one target: "target" may be left out */
  assert_int_equal(p->cutover.aliases[0].domain, 1);
  assert_int_equal(p->cutover.unblock_source, 1);
  assert_int_equal(p->cutover.keep_blocked_on_failure, 0);
  assert_int_equal(p->restores[0].verify, SNM_VERIFY_SAMPLE);
  assert_int_equal(p->restores[0].sample_size, 25);
  assert_string_equal(snm_verify_name(SNM_VERIFY_SAMPLE), "sample");
  snm_diag_list_dispose(&d);
  snm_plan_free(p);

  /* defaults: no cutover section, sample_size 10 */
  p = snm_test_plan_parse(
      "{\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{\"endpoint\":"
      "\"https://s.example.com\"},\"t\":{\"endpoint\":\"https://t.example."
      "com\"}},\"repository\":{\"name\":\"r\",\"type\":\"fs\",\"settings\":"
      "{\"location\":\"/x\"}},\"snapshot\":{\"domain\":\"s\"},"
      "\"restores\":[{\"domain\":\"t\",\"verify\":\"sample\"}],"
      "\"cutover\":{}}",
      NULL);
  assert_true(p->cutover.present);
  assert_int_equal(p->cutover.n_aliases, 0);
  assert_int_equal(p->cutover.unblock_source, 0);
  assert_int_equal(p->restores[0].sample_size, 10);
  snm_plan_free(p);

  /* neither the cutover section nor "sample" (vs doc-count) changes the
   * digest: they may be added between rounds */
  digest_of("{\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{"
            "\"endpoint\":\"https://s.example.com\"},\"t\":{\"endpoint\":"
            "\"https://t.example.com\"}},\"repository\":{\"name\":\"r\","
            "\"type\":\"fs\",\"settings\":{\"location\":\"/x\"}},"
            "\"snapshot\":{\"domain\":\"s\"},\"restores\":[{\"domain\":"
            "\"t\"}]}",
            d1);
  digest_of("{\"snapmig\":1,\"name\":\"d\",\"domains\":{\"s\":{"
            "\"endpoint\":\"https://s.example.com\"},\"t\":{\"endpoint\":"
            "\"https://t.example.com\"}},\"repository\":{\"name\":\"r\","
            "\"type\":\"fs\",\"settings\":{\"location\":\"/x\"}},"
            "\"snapshot\":{\"domain\":\"s\"},\"restores\":[{\"domain\":"
            "\"t\",\"verify\":\"sample\",\"sample_size\":5}],\"cutover\":"
            "{\"aliases\":[{\"alias\":\"a\",\"index\":\"i\"}]}}",
            d2);
  assert_string_equal(d1, d2);
}

static void test_cutover_errors(void **state)
{
  static const struct want w[] = {
      {E, 12, 31,
       "restores[0].verify: unknown value \"samples\" (expected "
       "\"doc-count\", \"none\" or \"sample\"); did you mean 'sample'?"},
      {E, 12, 57, "restores[0].sample_size: 0 is out of range (1 to 1000)"},
      {E, 13, 56, "restores[1].sample_size: 1001 is out of range (1 to 1000)"},
      {E, 17, 7,
       "cutover.aliases[0]: missing \"target\" (the plan restores onto 2 "
       "domains"},
      {E, 18, 17, "cutover.aliases[1].alias: \"_x\" is not a valid alias name"},
      {E, 18, 32, "cutover.aliases[1].index: \"logs-*\" is not an index name"},
      {E, 19, 17, "cutover.aliases[2].alias: \"y\" is the index's own name"},
      {E, 19, 46,
       "cutover.aliases[2].target: \"old\" is not the domain of any restore"},
      {E, 20, 17, "cutover.aliases[3].alias: \"z\" is the index's own name"},
      {E, 20, 51,
       "cutover.aliases[3].targte: unknown key (did you mean 'target'?)"},
      {E, 21, 7, "cutover.aliases[4]: expected an object, got string"},
      {E, 23, 23, "cutover.unblock_source: expected a boolean, got a string"},
      {E, 24, 5, "cutover.keep_blocked: unknown key"},
  };
  (void)state;
  expect_diags(PLANS "invalid-cutover.json", SNM_EINVAL, w,
               sizeof(w) / sizeof(w[0]));
}

static void test_describe(void **state)
{
  struct snm_diag_list d;
  struct snm_plan *p;
  struct snm_buf b;
  (void)state;

  setenv("SNM_TEST_PW", "x", 1);
  p = snm_test_plan_load(PLANS "valid-full.json", &d);
  snm_buf_init(&b, 0);
  assert_int_equal(snm_plan_describe(&b, p), 0);
  assert_string_equal(snm_buf_str(&b),
                      "plan \"Logs-EU_to.US\", source \"eu\", 3 restores onto "
                      "\"us\",\"aoss\",\"v6\", repository \"snapmig-repo\" "
                      "(s3, bucket b1)");
  snm_buf_dispose(&b);
  snm_plan_free(p);
  snm_diag_list_dispose(&d);
  unsetenv("SNM_TEST_PW");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_full),
      cmocka_unit_test(test_invalid_many),
      cmocka_unit_test(test_invalid_auth),
      cmocka_unit_test(test_invalid_repo),
      cmocka_unit_test(test_invalid_missing_and_syntax),
      cmocka_unit_test(test_warnings_only),
      cmocka_unit_test(test_password_never_quoted),
      cmocka_unit_test(test_unreadable),
      cmocka_unit_test(test_vertical_tab_and_form_feed),
      cmocka_unit_test(test_one_line_plan_is_linear),
      cmocka_unit_test(test_region_derivation),
      cmocka_unit_test(test_snapshot_names),
      cmocka_unit_test(test_digest),
      cmocka_unit_test(test_schema_key),
      cmocka_unit_test(test_cutover_section),
      cmocka_unit_test(test_cutover_errors),
      cmocka_unit_test(test_describe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
