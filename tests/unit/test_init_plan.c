/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for init_plan.c: auth specs, the probe plan, and the starter
 * plan written from hand-built facts (every written plan is parsed back
 * with snm_plan_parse: it must be a valid plan, and its fields are what
 * the facts call for). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "init_plan.h"
#include "plan.h"

static char *auth_json(const char *spec, const char *url, int want_rc,
                       const char *want_msg)
{
  struct snm_buf b;
  struct snm_err err;
  int rc;

  snm_buf_init(&b, 0);
  snm_err_clear(&err);
  rc = snm_init_auth_json(&b, spec, url, &err);
  assert_int_equal(rc, want_rc);
  if (rc != 0) {
    if (strstr(err.msg, want_msg) == NULL)
      fail_msg("\"%s\" lacks \"%s\"", err.msg, want_msg);
    snm_buf_dispose(&b);
    return NULL;
  }
  return snm_buf_steal(&b);
}

static void test_auth_specs(void **state)
{
  char *s;
  (void)state;

  s = auth_json(NULL, "http://127.0.0.1:9201", 0, NULL);
  assert_string_equal(s, "{\"type\": \"none\"}");
  free(s);
  s = auth_json(NULL, "https://search-a-b.eu-west-1.es.amazonaws.com", 0, NULL);
  assert_string_equal(s, "{\"type\": \"aws-sigv4\"}");
  free(s);
  s = auth_json("aws-sigv4,profile=prod,region=eu-west-1",
                "https://x.example.com", 0, NULL);
  assert_string_equal(s, "{\"type\": \"aws-sigv4\", \"profile\": \"prod\", "
                         "\"region\": \"eu-west-1\"}");
  free(s);
  s = auth_json("basic,username=ad\"min,password_env=ES_PW",
                "https://x.example.com", 0, NULL);
  assert_string_equal(s, "{\"type\": \"basic\", \"username\": \"ad\\\"min\", "
                         "\"password_env\": \"ES_PW\"}");
  free(s);
  assert_null(auth_json("kerberos", "http://h", SNM_EINVAL,
                        "auth: the type is none, aws-sigv4 or basic"));
  assert_null(auth_json("basic,username=u", "http://h", SNM_EINVAL,
                        "auth basic: needs username=USER and password_env"));
  assert_null(auth_json("basic,username=u,password=hunter2", "http://h",
                        SNM_EINVAL, "a password never goes in a plan"));
  assert_null(auth_json("aws-sigv4,username=u", "http://h", SNM_EINVAL,
                        "auth aws-sigv4: no key \"username\" (aws-sigv4 "
                        "auth takes region, service and profile)"));
  assert_null(auth_json("aws-sigv4,profile", "http://h", SNM_EINVAL,
                        "auth aws-sigv4: item 1 after the type is not "
                        "KEY=VALUE"));
  assert_null(auth_json("none,region=x", "http://h", SNM_EINVAL,
                        "auth none: no key \"region\""));
  /* a value is never quoted back, a secret typed by mistake included */
  {
    struct snm_buf b;
    struct snm_err err;
    const char *bad[] = {"basic,username=u,pasword=s3cr3t-value",
                         "basic,s3cr3t-value", "s3cr3t-value",
                         "basic,username=s3cr3t-value"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      snm_buf_init(&b, 0);
      snm_err_clear(&err);
      assert_int_equal(snm_init_auth_json(&b, bad[i], "http://h", &err),
                       SNM_EINVAL);
      if (strstr(err.msg, "s3cr3t") != NULL)
        fail_msg("%s: the message quotes a value: %s", bad[i], err.msg);
      snm_buf_dispose(&b);
    }
  }
}

static struct snm_plan *parse_ok(const char *text)
{
  struct snm_diag_list d;
  struct snm_plan *p = NULL;
  struct snm_err err;

  snm_diag_list_init(&d);
  snm_err_clear(&err);
  if (snm_plan_parse(&p, text, strlen(text), "init.json", &d, &err) != 0 ||
      d.errors != 0) {
    for (size_t i = 0; i < d.len; i++)
      snm_diag_print(stderr, "init.json", &d.items[i]);
    fail_msg("the written plan is not valid:\n%s", text);
  }
  snm_diag_list_dispose(&d);
  return p;
}

static void test_probe_plan(void **state)
{
  struct snm_init_opts o = {.name = "rig",
                            .source_url = "http://127.0.0.1:9201",
                            .target_url = "http://127.0.0.1:9202/",
                            .target_auth =
                                "basic,username=u,password_env=SNM_INIT_PW",
                            .indices = "logs-*,-logs-debug-*"};
  struct snm_buf b;
  struct snm_err err;
  struct snm_plan *p;
  (void)state;

  setenv("SNM_INIT_PW", "x", 1);
  snm_buf_init(&b, 0);
  snm_err_clear(&err);
  assert_int_equal(snm_init_probe_plan(&b, &o, &err), 0);
  p = parse_ok(snm_buf_str(&b));
  assert_int_equal(p->n_domains, 2);
  assert_string_equal(p->domains[0].id, "source");
  assert_string_equal(p->domains[1].id, "target");
  assert_int_equal(p->domains[1].auth, SNM_AUTH_BASIC);
  assert_int_equal(p->snapshot.n_indices, 2);
  assert_string_equal(p->snapshot.indices[1], "-logs-debug-*");
  snm_plan_free(p);
  snm_buf_dispose(&b);
  unsetenv("SNM_INIT_PW");

  o.source_auth = "basic";
  snm_buf_init(&b, 0);
  assert_int_equal(snm_init_probe_plan(&b, &o, &err), SNM_EINVAL);
  assert_non_null(strstr(err.msg, "auth basic: needs username=USER"));
  snm_buf_dispose(&b);
}

/* ---- hand-built facts --------------------------------------------------- */

static char **strv(const char *const *items)
{
  size_t n = 0;
  char **v;

  while (items[n] != NULL)
    n++;
  v = calloc(n + 1, sizeof(*v));
  assert_non_null(v);
  for (size_t i = 0; i < n; i++)
    v[i] = strdup(items[i]);
  return v;
}

static size_t count(const char *const *items)
{
  size_t n = 0;
  while (items[n] != NULL)
    n++;
  return n;
}

static void side(struct snm_init_side *s, const char *id, const char *url,
                 const char *region, long data_nodes)
{
  s->id = id;
  s->endpoint = strdup(url);
  s->auth_json =
      strdup(region[0] ? "{\"type\": \"aws-sigv4\"}" : "{\"type\": \"none\"}");
  snprintf(s->engine, sizeof(s->engine), "OpenSearch 2.19.6");
  snprintf(s->region, sizeof(s->region), "%s", region);
  s->data_nodes = data_nodes;
}

static void path_repo(struct snm_init_side *s, const char *const *dirs)
{
  s->path_repo = strv(dirs);
  s->n_path_repo = count(dirs);
  s->path_repo_known = 1;
}

static void repo(struct snm_init_side *s, const char *name, const char *type,
                 const char *settings)
{
  s->repos = realloc(s->repos, (s->n_repos + 1) * sizeof(*s->repos));
  assert_non_null(s->repos);
  s->repos[s->n_repos].name = strdup(name);
  s->repos[s->n_repos].type = strdup(type);
  s->repos[s->n_repos].settings_json = strdup(settings);
  s->n_repos++;
  s->repos_known = 1;
}

/* name, data stream?, excluded why ("" none), docs, replicas; sorted by
 * the caller */
static void index(struct snm_init_facts *f, const char *name, int ds,
                  const char *why, long long docs, long replicas)
{
  struct snm_init_index *ix;

  f->indices = realloc(f->indices, (f->n_indices + 1) * sizeof(*ix));
  assert_non_null(f->indices);
  ix = &f->indices[f->n_indices++];
  memset(ix, 0, sizeof(*ix));
  ix->name = strdup(name);
  ix->data_stream = ds;
  ix->excluded = why[0] != '\0';
  snprintf(ix->why, sizeof(ix->why), "%s", why);
  ix->docs = docs;
  ix->bytes = docs * 100;
  ix->replicas = replicas;
  f->indices_known = 1;
}

static void target_names(struct snm_init_facts *f, const char *const *names)
{
  f->target_names = strv(names); /* sorted by the caller */
  f->n_target_names = count(names);
  f->target_names_known = 1;
}

static char *write_ok(const struct snm_init_facts *f,
                      const struct snm_init_opts *o)
{
  struct snm_buf b;
  struct snm_err err;

  snm_buf_init(&b, 0);
  snm_err_clear(&err);
  if (snm_init_write(&b, f, o, &err) != 0)
    fail_msg("snm_init_write: %s", err.msg);
  return snm_buf_steal(&b);
}

static void assert_indices(const struct snm_plan *p, const char *const *want)
{
  size_t n = count(want);

  if (p->snapshot.n_indices != n)
    fail_msg("%zu snapshot indices, want %zu", p->snapshot.n_indices, n);
  for (size_t i = 0; i < n; i++)
    assert_string_equal(p->snapshot.indices[i], want[i]);
}

static const struct snm_init_opts rig_opts = {
    .name = "Rig_Init",
    .source_url = "http://127.0.0.1:9201",
    .target_url = "http://127.0.0.1:9202"};

/* A local pair: groups, a data stream, a closed index left out, names
 * taken on the target (restored- taken too: migrated-), one data node. */
static void test_write_local(void **state)
{
  static const char *const dirs[] = {"/srv/repo", "/srv/other", NULL};
  static const char *const tdirs[] = {"/srv/other2", "/srv/repo", NULL};
  static const char *const taken[] = {"metrics", "restored-metrics", "zzz",
                                      NULL};
  static const char *const want[] = {"logs-app", "metrics", "rig-logs-*",
                                     "-old-1", NULL};
  struct snm_init_facts f;
  struct snm_plan *p;
  char *text;
  (void)state;

  memset(&f, 0, sizeof(f));
  side(&f.source, "source", "http://127.0.0.1:9201", "", 1);
  side(&f.target, "target", "http://127.0.0.1:9202", "", 1);
  path_repo(&f.source, dirs);
  path_repo(&f.target, tdirs);
  index(&f, "logs-app", 1, "", 10, 1);
  index(&f, "metrics", 0, "", 5, 0);
  index(&f, "old-1", 0, "closed", -1, 1);
  index(&f, "rig-logs-1", 0, "", 100, 1);
  index(&f, "rig-logs-2", 0, "", 200, 0);
  index(&f, "rig-logs-3", 0, "", 300, 0);
  target_names(&f, taken);

  text = write_ok(&f, &rig_opts);
  p = parse_ok(text);
  assert_string_equal(p->name, "Rig_Init");
  assert_string_equal(p->domains[p->snapshot.domain].id, "source");
  assert_string_equal(p->domains[p->restores[0].domain].id, "target");
  assert_int_equal(p->repository.type, SNM_REPO_FS);
  assert_string_equal(p->repository.name, "snapmig-rig_init");
  assert_string_equal(snm_repository_setting(&p->repository, "location"),
                      "/srv/repo/snapmig-rig_init");
  assert_indices(p, want);
  assert_int_equal(p->n_restores, 1);
  assert_string_equal(p->restores[0].rename_pattern, "^(.+)$");
  assert_string_equal(p->restores[0].rename_replacement, "migrated-$1");
  assert_non_null(p->restores[0].index_settings_json);
  assert_string_equal(p->restores[0].index_settings_json,
                      "{\"index.number_of_replicas\":0}");
  assert_int_equal(p->restores[0].include_aliases, 1);
  /* the comments say why */
  assert_non_null(strstr(text, "// 3 indices, 600 documents"));
  assert_non_null(strstr(text, "// closed on the source"));
  assert_non_null(strstr(text, "both clusters list /srv/repo in"));
  assert_non_null(strstr(text, "1 data node, fewer than the copies"));
  assert_null(strstr(text, "CHANGE-ME"));
  free(text);
  snm_plan_free(p);
  snm_init_facts_dispose(&f);
}

/* Nothing taken, enough data nodes: no rename, no index_settings; a
 * repository both have alike is reused; $schema written when asked. */
static void test_write_plain(void **state)
{
  static const char *const taken[] = {"other", NULL};
  static const char *const want[] = {"a", "b", NULL};
  struct snm_init_opts o = rig_opts;
  struct snm_init_facts f;
  struct snm_plan *p;
  char *text;
  (void)state;

  memset(&f, 0, sizeof(f));
  side(&f.source, "source", "http://127.0.0.1:9201", "", 3);
  side(&f.target, "target", "http://127.0.0.1:9202", "", 3);
  repo(&f.source, "cs-automated", "s3", "{\"bucket\":\"aws\"}");
  repo(&f.source, "shared", "s3", "{\"bucket\":\"b\",\"base_path\":\"p\"}");
  repo(&f.target, "shared", "s3", "{\"bucket\":\"b\",\"base_path\":\"p\"}");
  index(&f, "a", 0, "", 1, 1);
  index(&f, "b", 0, "", 1, 2);
  target_names(&f, taken);
  o.schema_uri = "file:///usr/share/snapmig/plan.schema.json";

  text = write_ok(&f, &o);
  p = parse_ok(text);
  assert_non_null(strstr(text, "\"$schema\": \"file:///usr/share/snapmig/"
                               "plan.schema.json\""));
  assert_indices(p, want);
  assert_int_equal(p->repository.type, SNM_REPO_S3);
  assert_string_equal(p->repository.name, "shared");
  assert_string_equal(snm_repository_setting(&p->repository, "base_path"), "p");
  assert_null(p->restores[0].rename_pattern);
  assert_null(p->restores[0].index_settings_json);
  assert_non_null(strstr(text, "No rename: none of these names is taken"));
  free(text);
  snm_plan_free(p);
  snm_init_facts_dispose(&f);
}

/* Both on AWS: s3 in the source's region, placeholders to fill in; with a
 * manual-snapshot repository on the source, that one. */
static void test_write_aws(void **state)
{
  struct snm_init_opts o = rig_opts;
  struct snm_init_facts f;
  struct snm_plan *p;
  char *text;
  (void)state;

  o.source_url = "https://search-a-x.eu-west-1.es.amazonaws.com";
  o.target_url = "https://search-b-y.us-east-1.es.amazonaws.com";
  memset(&f, 0, sizeof(f));
  side(&f.source, "source", o.source_url, "eu-west-1", 2);
  side(&f.target, "target", o.target_url, "us-east-1", 2);
  index(&f, "logs-1", 0, "", 1, 1);
  f.target_names_known = 1;
  text = write_ok(&f, &o);
  p = parse_ok(text);
  assert_int_equal(p->repository.type, SNM_REPO_S3);
  assert_string_equal(snm_repository_setting(&p->repository, "region"),
                      "eu-west-1");
  assert_string_equal(snm_repository_setting(&p->repository, "bucket"),
                      "CHANGE-ME-snapshot-bucket");
  assert_non_null(strstr(text, "// Fill in every CHANGE-ME"));
  assert_int_equal(p->domains[0].auth, SNM_AUTH_AWS_SIGV4);
  free(text);
  snm_plan_free(p);

  repo(&f.source, "cs-automated-enc", "s3", "{\"bucket\":\"aws\"}");
  repo(&f.source, "manual", "s3",
       "{\"bucket\":\"mine\",\"region\":\"eu-west-1\",\"role_arn\":"
       "\"arn:aws:iam::123456789012:role/Snap\"}");
  text = write_ok(&f, &o);
  p = parse_ok(text);
  assert_string_equal(p->repository.name, "manual");
  assert_string_equal(snm_repository_setting(&p->repository, "bucket"), "mine");
  assert_null(strstr(text, "CHANGE-ME"));
  free(text);
  snm_plan_free(p);
  snm_init_facts_dispose(&f);
}

/* The target's names unknown: renamed to be safe, aliases left out; data
 * nodes unknown: said so; no repository found: a placeholder. */
static void test_write_unknowns(void **state)
{
  struct snm_init_facts f;
  struct snm_plan *p;
  char *text;
  (void)state;

  memset(&f, 0, sizeof(f));
  side(&f.source, "source", "http://127.0.0.1:9201", "", 1);
  side(&f.target, "target", "http://127.0.0.1:9202", "", -1);
  index(&f, "x", 0, "", 1, 1);
  f.indices[0].aliases = calloc(1, sizeof(char *));
  f.indices[0].aliases[0] = strdup("x-alias");
  f.indices[0].n_aliases = 1;
  text = write_ok(&f, &rig_opts);
  p = parse_ok(text);
  assert_string_equal(p->restores[0].rename_replacement, "restored-$1");
  assert_int_equal(p->restores[0].include_aliases, 0);
  assert_non_null(strstr(text, "could not be read: every name is restored"));
  assert_non_null(strstr(text, "data nodes could not be counted"));
  assert_non_null(strstr(text, "CHANGE-ME"));
  free(text);
  snm_plan_free(p);
  snm_init_facts_dispose(&f);
}

/* --indices: the user's patterns as given; exclusions added. */
static void test_write_indices_option(void **state)
{
  static const char *const want[] = {"logs-*", "-logs-debug-*", "-logs-old",
                                     NULL};
  struct snm_init_opts o = rig_opts;
  struct snm_init_facts f;
  struct snm_plan *p;
  char *text;
  (void)state;

  o.indices = " logs-* , -logs-debug-*";
  memset(&f, 0, sizeof(f));
  side(&f.source, "source", "http://127.0.0.1:9201", "", 1);
  side(&f.target, "target", "http://127.0.0.1:9202", "", 2);
  index(&f, "logs-a", 0, "", 1, 0);
  index(&f, "logs-old", 0, "red", 1, 0);
  f.target_names_known = 1;
  text = write_ok(&f, &o);
  p = parse_ok(text);
  assert_indices(p, want);
  assert_non_null(strstr(text, "// --indices: 1 name, 1 document"));
  assert_non_null(strstr(text, "// red on the source"));
  free(text);
  snm_plan_free(p);
  snm_init_facts_dispose(&f);
}

static void test_write_refusals(void **state)
{
  struct snm_init_facts f;
  struct snm_buf b;
  struct snm_err err;
  (void)state;

  memset(&f, 0, sizeof(f));
  side(&f.source, "source", "http://127.0.0.1:9201", "", 1);
  side(&f.target, "target", "http://127.0.0.1:9202", "", 1);
  f.source.error = strdup("source: GET /: connection refused");
  snm_buf_init(&b, 0);
  snm_err_clear(&err);
  assert_int_equal(snm_init_write(&b, &f, &rig_opts, &err), SNM_EINVAL);
  assert_string_equal(err.msg, "the source's indices could not be read: "
                               "source: GET /: connection refused");
  f.indices_known = 1;
  assert_int_equal(snm_init_write(&b, &f, &rig_opts, &err), SNM_EINVAL);
  assert_non_null(strstr(err.msg, "holds no index or data stream"));
  index(&f, "closed-one", 0, "closed", -1, 0);
  assert_int_equal(snm_init_write(&b, &f, &rig_opts, &err), SNM_EINVAL);
  assert_non_null(strstr(err.msg, "(only closed or red ones)"));
  assert_int_equal(b.len, 0);
  snm_buf_dispose(&b);
  snm_init_facts_dispose(&f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_auth_specs),
      cmocka_unit_test(test_probe_plan),
      cmocka_unit_test(test_write_local),
      cmocka_unit_test(test_write_plain),
      cmocka_unit_test(test_write_aws),
      cmocka_unit_test(test_write_unknowns),
      cmocka_unit_test(test_write_indices_option),
      cmocka_unit_test(test_write_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
