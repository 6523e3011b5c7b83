/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for preflight_security.c: what the OpenSearch security
 * plugin's authinfo says of check's identity, and the verdict on the
 * snapshot permissions the run needs.  The parser and the grant on their
 * own; then whole preflights against two loopback stand-ins
 * (tests/support/standin_http.h) scripted as OpenSearch with the plugin
 * (roles that grant the permissions, roles that lack them, roles snapmig
 * cannot know), without it, and answering authinfo with something else:
 * never may an unreadable answer pass for "nothing missing", and a
 * cluster without the plugin gets no word about it. */
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
#include <yajl/yajl_tree.h>

#include "es.h"
#include "http.h"
#include "plan.h"
#include "loop_fixture.h"
#include "plan_fixture.h"
#include "preflight.h"
#include "preflight_int.h"
#include "report_check.h"
#include "pf_cluster.h"
#include "standin_http.h"

#define AUTHINFO_PATH "/_plugins/_security/authinfo"

/* An authinfo reply as OpenSearch 2.19 words it, for `user` mapped to
 * `roles` (a JSON list's inside). */
static char *authinfo(const char *user, const char *roles)
{
  static char buf[1024];

  snprintf(buf, sizeof(buf),
           "{\"user\":\"User [name=%s, backend_roles=[], "
           "requestedTenant=null]\",\"user_name\":\"%s\","
           "\"user_requested_tenant\":null,\"remote_address\":"
           "\"127.0.0.1:5000\",\"backend_roles\":[],"
           "\"custom_attribute_names\":[],\"roles\":[%s],\"tenants\":"
           "{\"%s\":true},\"principal\":null,\"peer_certificates\":\"0\","
           "\"sso_logout_url\":null}",
           user, user, roles, user);
  return buf;
}

/* ---- parser, record, grant -------------------------------------------- */

static int parse(struct snm_pf_security *sec, const char *text, char *why,
                 size_t whysz)
{
  char errbuf[128];
  yajl_val j = yajl_tree_parse(text, errbuf, sizeof(errbuf));
  int rc;

  assert_non_null(j);
  rc = snm__pf_parse_authinfo(sec, j, why, whysz);
  yajl_tree_free(j);
  return rc;
}

static void test_parse_authinfo(void **state)
{
  static const struct {
    const char *text, *why;
  } bad[] = {
      {"[]", "not an object"},
      {"\"reader\"", "not an object"},
      {"{\"user_name\":\"r\",\"backend_roles\":[]}", "\"roles\" is missing"},
      {"{\"user_name\":\"r\",\"roles\":\"readall\",\"backend_roles\":[]}",
       "\"roles\" is of another type"},
      {"{\"user_name\":\"r\",\"roles\":[\"a\",1],\"backend_roles\":[]}",
       "\"roles\" holds something other than names"},
      {"{\"user_name\":\"r\",\"roles\":[]}", "\"backend_roles\" is missing"},
      {"{\"user_name\":7,\"roles\":[],\"backend_roles\":[]}",
       "\"user_name\" is not a string"},
  };
  struct snm_pf_security sec;
  char why[200];
  (void)state;

  memset(&sec, 0, sizeof(sec));
  assert_int_equal(
      parse(&sec, authinfo("reader", "\"readall\",\"x\""), why, sizeof(why)),
      0);
  assert_int_equal(sec.state, SNM_PF_SEC_KNOWN);
  assert_string_equal(sec.user, "reader");
  assert_int_equal(sec.n_roles, 2);
  assert_string_equal(sec.roles[0], "readall");
  assert_string_equal(sec.roles[1], "x");
  assert_int_equal(sec.n_backend_roles, 0);
  snm__pf_security_dispose(&sec);

  /* AWS: the IAM ARN as user and backend role; no user_name is "" */
  assert_int_equal(
      parse(&sec,
            "{\"user_name\":null,\"backend_roles\":[\"arn:aws:iam::1:role/"
            "m\"],\"roles\":[]}",
            why, sizeof(why)),
      0);
  assert_string_equal(sec.user, "");
  assert_int_equal(sec.n_backend_roles, 1);
  assert_string_equal(sec.backend_roles[0], "arn:aws:iam::1:role/m");
  snm__pf_security_dispose(&sec);

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    why[0] = '\0';
    assert_int_equal(parse(&sec, bad[i].text, why, sizeof(why)), -1);
    assert_int_equal(sec.state, SNM_PF_SEC_UNKNOWN);
    assert_null(sec.roles);
    assert_null(sec.user);
    if (strstr(why, bad[i].why) == NULL)
      fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].text, why, bad[i].why);
  }
}

static void test_grant(void **state)
{
  static const struct {
    const char *roles[3];
    enum snm_pf_grant grant;
    const char *granting;
  } cases[] = {
      {{"manage_snapshots", "custom", NULL},
       SNM_PF_GRANT_YES,
       "manage_snapshots"},
      {{"custom", "all_access", NULL}, SNM_PF_GRANT_YES, "all_access"},
      {{"readall", "kibana_user", "own_index"}, SNM_PF_GRANT_NO, NULL},
      {{"readall_and_monitor", NULL, NULL}, SNM_PF_GRANT_NO, NULL},
      {{NULL, NULL, NULL}, SNM_PF_GRANT_NO, NULL}, /* mapped to nothing */
      /* a role of the cluster's own: cannot tell */
      {{"readall", "snapmig_rig_read_monitor", NULL},
       SNM_PF_GRANT_UNKNOWN,
       NULL},
      /* names are exact */
      {{"Manage_Snapshots", NULL, NULL}, SNM_PF_GRANT_UNKNOWN, NULL},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct snm_pf_security sec;
    char *roles[3];
    const char *granting = "x";

    memset(&sec, 0, sizeof(sec));
    sec.state = SNM_PF_SEC_KNOWN;
    for (size_t k = 0; k < 3 && cases[i].roles[k] != NULL; k++)
      roles[sec.n_roles++] = (char *)cases[i].roles[k];
    sec.roles = roles;
    assert_int_equal(snm__pf_security_grant(&sec, &granting), cases[i].grant);
    if (cases[i].granting != NULL)
      assert_string_equal(granting, cases[i].granting);
    else
      assert_null(granting);
    /* nothing read: never "granted", never "missing" */
    sec.state = SNM_PF_SEC_UNKNOWN;
    assert_int_equal(snm__pf_security_grant(&sec, NULL), SNM_PF_GRANT_UNKNOWN);
    sec.state = SNM_PF_SEC_ABSENT;
    assert_int_equal(snm__pf_security_grant(&sec, NULL), SNM_PF_GRANT_UNKNOWN);
  }
}

/* How each reply is recorded: absent, known, or unknown with the reason. */
static void test_record(void **state)
{
  static const struct {
    long status;
    int code; /* the es layer's err->code */
    const char *body;
    enum snm_pf_sec_state want;
    const char *needle; /* in sec.error */
  } cases[] = {
      {400, SNM_EHTTP,
       "{\"error\":\"no handler found for uri [/_plugins/_security/authinfo] "
       "and method [GET]\"}",
       SNM_PF_SEC_ABSENT, NULL},
      {404, SNM_EHTTP,
       "{\"error\":{\"type\":\"index_not_found_exception\",\"reason\":\"no "
       "such index [_opendistro]\"},\"status\":404}",
       SNM_PF_SEC_ABSENT, NULL},
      {400, SNM_EHTTP,
       "{\"error\":{\"type\":\"illegal_argument_exception\",\"reason\":"
       "\"x\"},\"status\":400}",
       SNM_PF_SEC_UNKNOWN, "the es message"},
      {403, SNM_EAUTH, "{}", SNM_PF_SEC_UNKNOWN, "the es message"},
      {500, SNM_EHTTP, "{}", SNM_PF_SEC_UNKNOWN, "the es message"},
      {200, SNM_OK, "{\"roles\":\"all_access\"}", SNM_PF_SEC_UNKNOWN,
       "s: GET " AUTHINFO_PATH ": HTTP 200, but \"roles\" is of another type"},
      {200, SNM_OK, NULL, SNM_PF_SEC_UNKNOWN,
       "HTTP 200, but the reply is "
       "empty"},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct snm_pf_security sec;
    struct snm_es_reply reply;
    struct snm_err err;
    char errbuf[64];

    memset(&sec, 0, sizeof(sec));
    memset(&reply, 0, sizeof(reply));
    sec.path = strdup(AUTHINFO_PATH);
    reply.status = cases[i].status;
    reply.body = cases[i].body != NULL ? cases[i].body : "";
    reply.body_len = strlen(reply.body);
    reply.json = cases[i].body != NULL
                     ? yajl_tree_parse(cases[i].body, errbuf, sizeof(errbuf))
                     : NULL;
    snm_err_clear(&err);
    if (cases[i].code != SNM_OK)
      snm_err_set(&err, cases[i].code, "the es message");
    assert_int_equal(snm__pf_security_record(&sec, "s", &reply, &err), 0);
    assert_int_equal(sec.state, cases[i].want);
    if (cases[i].needle != NULL) {
      assert_non_null(sec.error);
      if (strstr(sec.error, cases[i].needle) == NULL)
        fail_msg("case %zu: \"%s\" lacks \"%s\"", i, sec.error,
                 cases[i].needle);
    } else {
      assert_null(sec.error);
    }
    yajl_tree_free(reply.json);
    snm__pf_security_dispose(&sec);
  }
  /* a transport failure: no reply at all */
  {
    struct snm_pf_security sec;
    struct snm_err err;

    memset(&sec, 0, sizeof(sec));
    snm_err_set(&err, SNM_ETIMEOUT, "s: GET x: timed out");
    assert_int_equal(snm__pf_security_record(&sec, "s", NULL, &err), 0);
    assert_int_equal(sec.state, SNM_PF_SEC_UNKNOWN);
    assert_string_equal(sec.error, "s: GET x: timed out");
    snm__pf_security_dispose(&sec);
  }
}

/* ---- whole preflights --------------------------------------------------- */

struct fx {
  struct snm_test_loop lp; /* the loop, its deadline and the engine */
  struct snm_standin *src, *dst;
  struct snm_plan *plan;
  struct snm_es es[2];
  struct snm_preflight pf;
  int done;
};

/* A plan src -> dst, both with basic auth as `user`; `restore` is more
 * of the restore's members (", ..." or ""). */
static void fx_init_plan(struct fx *fx, const char *user, const char *restore,
                         const char *top)
{
  struct snm_http_opts hopts = {0};
  struct snm_err err;
  char auth[160];

  memset(fx, 0, sizeof(*fx));
  setenv("SNM_T_SEC_PW", "pw", 1);
  assert_int_equal(snm_standin_new(&fx->src), 0);
  assert_int_equal(snm_standin_new(&fx->dst), 0);
  snprintf(auth, sizeof(auth),
           "\"auth\": {\"type\": \"basic\", \"username\": \"%s\", "
           "\"password_env\": \"SNM_T_SEC_PW\"}",
           user);
  fx->plan = snm_test_plan_parsef(
      "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
      "\"src\": {\"endpoint\": \"%s\", %s}, \"dst\": {\"endpoint\": \"%s\", "
      "%s}}, \"repository\": {\"name\": \"r\", \"type\": \"fs\", "
      "\"settings\": {\"location\": \"/x\"}}, \"snapshot\": {\"domain\": "
      "\"src\"}, \"restores\": [{\"domain\": \"dst\"%s}]%s}",
      snm_standin_url(fx->src), auth, snm_standin_url(fx->dst), auth, restore,
      top);
  hopts.max_attempts = 1;
  snm_test_loop_init(&fx->lp, &hopts);
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(
        snm_es_init(&fx->es[i], &fx->plan->domains[i], fx->lp.http, &err), 0);
    fx->es[i].read_only = 1;
  }
}

static void fx_init_restore(struct fx *fx, const char *user,
                            const char *restore)
{
  fx_init_plan(fx, user, restore, "");
}

static void fx_init(struct fx *fx, const char *user)
{
  fx_init_restore(fx, user, "");
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
  unsetenv("SNM_T_SEC_PW");
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

static size_t count_issues(const struct snm_preflight *pf, const char *code,
                           const char *domain)
{
  size_t n = 0;

  for (size_t i = 0; i < pf->n_issues; i++)
    n += strcmp(pf->issues[i].code, code) == 0 &&
         (domain == NULL || (pf->issues[i].domain != NULL &&
                             strcmp(pf->issues[i].domain, domain) == 0));
  return n;
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
    fprintf(stderr, "  %s [%s] %s: %s\n    hint: %s\n",
            snm_pf_severity_name(pf->issues[i].severity), pf->issues[i].code,
            pf->issues[i].domain ? pf->issues[i].domain : "-",
            pf->issues[i].message, pf->issues[i].hint);
}

/* Whether stand-in `s` received GET `path`. */
static int was_asked(struct snm_standin *s, const char *path)
{
  size_t n = snm_standin_request_count(s);
  int found = 0;

  for (size_t i = 0; i < n; i++) {
    struct snm_standin_request r;
    assert_int_equal(snm_standin_request_get(s, i, &r), 0);
    found |= strcmp(r.method, "GET") == 0 && strcmp(r.target, path) == 0;
    snm_standin_request_dispose(&r);
  }
  return found;
}

static char *report(const struct snm_preflight *pf, int json)
{
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);

  assert_non_null(fp);
  if (json)
    assert_int_equal(snm_report_check_json(fp, pf), 0);
  else
    snm_report_check_human(fp, pf, 0);
  fclose(fp);
  return text;
}

/* Roles that lack the snapshot permissions (static roles only): a blocker
 * per domain that names what is missing there and the roles, before any
 * request of the run; the human and JSON reports say so. */
static void test_roles_lack_permissions(void **state)
{
  const struct snm_pf_issue *is;
  struct fx fx;
  char *text;
  (void)state;

  fx_init(&fx, "reader");
  snm_test_pf_add(fx.src, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("reader", "\"readall_and_monitor\""));
  snm_test_pf_add(fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("reader", "\"readall\",\"kibana_user\""));
  snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                      "status uuid pri index\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(count_issues(&fx.pf, "permission-missing", NULL), 2);
  is = find_issue(&fx.pf, "permission-missing", "src");
  assert_int_equal(is->severity, SNM_PF_BLOCKER);
  assert_non_null(strstr(is->message,
                         "user \"reader\" on src lacks "
                         "cluster:admin/repository/put, "
                         "cluster:admin/snapshot/create, "
                         "cluster:admin/snapshot/get, "
                         "cluster:admin/snapshot/status, which the run needs "
                         "there: the security plugin maps it to the roles "
                         "readall_and_monitor (backend roles: none)"));
  assert_non_null(strstr(is->hint, "map user \"reader\" to the "
                                   "manage_snapshots role"));
  assert_non_null(strstr(is->hint, "PUT _plugins/_security/api/rolesmapping/"
                                   "manage_snapshots"));
  is = find_issue(&fx.pf, "permission-missing", "dst");
  assert_non_null(strstr(is->message, "cluster:admin/snapshot/restore, "
                                      "indices:admin/create, "
                                      "indices:data/write/index"));
  assert_null(strstr(is->message, "snapshot/create"));
  assert_non_null(strstr(is->message, "roles readall, kibana_user"));
  assert_int_equal(fx.pf.domains[0].sec.grant, SNM_PF_GRANT_NO);

  text = report(&fx.pf, 0);
  assert_non_null(strstr(text, "    security plugin: user \"reader\", roles "
                               "readall_and_monitor\n"));
  assert_non_null(strstr(text, "    snapshot permissions: MISSING "
                               "cluster:admin/repository/put"));
  free(text);
  text = report(&fx.pf, 1);
  assert_non_null(strstr(text, "\"security\":{\"path\":\"" AUTHINFO_PATH
                               "\",\"state\":\"known\",\"error\":null,"
                               "\"user\":\"reader\",\"roles\":["
                               "\"readall_and_monitor\"],\"backend_roles\":[],"
                               "\"snapshot_permissions\":\"missing\""));
  free(text);
  fx_done(&fx);
}

/* manage_snapshots (or all_access) grants it: no blocker, and the report
 * names the role; a refused repository read still says what it says (the
 * fallback), the roles do not hide it. */
static void test_roles_grant_permissions(void **state)
{
  struct fx fx;
  char *text;
  (void)state;

  fx_init(&fx, "migrator");
  snm_test_pf_add(
      fx.src, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
      authinfo("migrator", "\"snapmig_read\",\"manage_snapshots\""));
  snm_test_pf_add(fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("migrator", "\"all_access\""));
  snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                      "status uuid pri index\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.n_blockers, 0);
  assert_int_equal(count_issues(&fx.pf, "permission-missing", NULL), 0);
  assert_int_equal(fx.pf.domains[0].sec.grant, SNM_PF_GRANT_YES);
  assert_int_equal(fx.pf.domains[1].sec.grant, SNM_PF_GRANT_YES);
  text = report(&fx.pf, 0);
  assert_non_null(strstr(text, "snapshot permissions: granted (role "
                               "manage_snapshots)"));
  assert_non_null(strstr(text, "snapshot permissions: granted (role "
                               "all_access)"));
  free(text);
  fx_done(&fx);
}

/* A restore over an existing target index (on_conflict "replace") closes
 * it first: indices:admin/close, which manage_snapshots lacks.  Roles all
 * known: a permission-missing blocker on the target naming it; a role of
 * the cluster's own beside: a warning (cannot tell); all_access: nothing.
 * Without an index to replace nothing is said. */
static void test_close_permission(void **state)
{
  static const struct {
    const char *roles;   /* the target's, as JSON list members */
    const char *restore; /* the restore's other members */
    const char *target;  /* the target's _cat/indices */
    const char *code;    /* the issue on dst, or NULL */
    int blocker;
  } cases[] = {
      {"\"manage_snapshots\"", ", \"on_conflict\": \"replace\"",
       "status uuid pri index\nopen u-1 1 logs-1\n", "permission-missing", 1},
      {"\"manage_snapshots\",\"snapmig_read\"",
       ", \"on_conflict\": \"replace\"",
       "status uuid pri index\nopen u-1 1 logs-1\n", "permission-unknown", 0},
      {"\"all_access\"", ", \"on_conflict\": \"replace\"",
       "status uuid pri index\nopen u-1 1 logs-1\n", NULL, 0},
      /* nothing to replace: no word about closing */
      {"\"manage_snapshots\"", ", \"on_conflict\": \"replace\"",
       "status uuid pri index\n", NULL, 0},
  };
  (void)state;

  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    const struct snm_pf_issue *is;
    struct fx fx;

    fx_init_restore(&fx, "migrator", cases[k].restore);
    snm_test_pf_add(fx.src, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                    authinfo("migrator", "\"manage_snapshots\""));
    snm_test_pf_add(fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                    authinfo("migrator", cases[k].roles));
    snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
    snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch", cases[k].target);
    check(&fx);
    print_issues(&fx.pf);
    assert_int_equal(count_issues(&fx.pf, "permission-missing", "src"), 0);
    if (cases[k].target[strlen("status uuid pri index\n")] != '\0')
      assert_int_equal(fx.pf.restores[0].n_replace, 1);
    if (cases[k].code == NULL) {
      assert_int_equal(count_issues(&fx.pf, "permission-missing", NULL) +
                           count_issues(&fx.pf, "permission-unknown", NULL),
                       0);
      fx_done(&fx);
      continue;
    }
    is = find_issue(&fx.pf, cases[k].code, "dst");
    assert_non_null(is);
    assert_int_equal(is->severity,
                     cases[k].blocker ? SNM_PF_BLOCKER : SNM_PF_WARNING);
    assert_non_null(strstr(is->message, "indices:admin/close"));
    assert_non_null(strstr(is->message, "user \"migrator\" on dst"));
    assert_non_null(strstr(is->message, "restoring over 1 index"));
    assert_non_null(strstr(is->hint, "indices:admin/close"));
    fx_done(&fx);
  }
}

/* A plan with a "cutover" section: the cutover write-blocks the source
 * and moves aliases on the target, which manage_snapshots does not grant:
 * a cutover-permission warning per domain (never a blocker: run and sync
 * do not need them), none with all_access or without the section. */
static void test_cutover_permission(void **state)
{
  static const char *cut =
      ", \"cutover\": {\"aliases\": [{\"alias\": \"live\", \"index\": "
      "\"logs-1\"}]}";
  static const struct {
    const char *roles, *top;
    size_t want;
    const char *needle;
  } cases[] = {
      {"\"manage_snapshots\"", NULL, 2, "lacks"},
      {"\"manage_snapshots\",\"snapmig_read\"", NULL, 2, "cannot tell"},
      {"\"all_access\"", NULL, 0, NULL},
      {"\"manage_snapshots\"", "", 0, NULL},
  };
  (void)state;

  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    const struct snm_pf_issue *is;
    struct fx fx;

    fx_init_plan(&fx, "migrator", "", cases[k].top ? cases[k].top : cut);
    snm_test_pf_add(fx.src, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                    authinfo("migrator", cases[k].roles));
    snm_test_pf_add(fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                    authinfo("migrator", cases[k].roles));
    snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
    snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                        "status uuid pri index\n");
    check(&fx);
    print_issues(&fx.pf);
    assert_int_equal(count_issues(&fx.pf, "cutover-permission", NULL),
                     cases[k].want);
    assert_int_equal(fx.pf.n_blockers, 0);
    if (cases[k].want > 0) {
      is = find_issue(&fx.pf, "cutover-permission", "src");
      assert_int_equal(is->severity, SNM_PF_WARNING);
      assert_non_null(strstr(is->message, cases[k].needle));
      assert_non_null(strstr(is->message, "indices:admin/block/add"));
      assert_null(strstr(is->message, "indices:admin/aliases"));
      is = find_issue(&fx.pf, "cutover-permission", "dst");
      assert_non_null(strstr(is->message, "indices:admin/aliases"));
      assert_null(strstr(is->message, "block/add"));
    }
    fx_done(&fx);
  }
}

/* A role of the cluster's own, whose definition a non-admin cannot read:
 * no blocker from the roles (cannot tell), the report says so; the
 * refused repository read remains the blocker. */
static void test_roles_unknown(void **state)
{
  static const char denied[] =
      "{\"error\":{\"type\":\"security_exception\",\"reason\":\"no "
      "permissions for [cluster:admin/repository/get] and User "
      "[name=reader, backend_roles=[], requestedTenant=null]\"},"
      "\"status\":403}";
  const struct snm_pf_issue *is;
  struct fx fx;
  char *text;
  (void)state;

  fx_init(&fx, "reader");
  snm_test_pf_add(fx.src, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("reader", "\"snapmig_rig_read_monitor\""));
  snm_test_pf_add(
      fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
      authinfo("reader", "\"snapmig_rig_read_monitor\",\"readall\""));
  snm_test_pf_add(fx.src, "/_snapshot/r", 403, SNM_TEST_JSON_CT, denied);
  snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                      "status uuid pri index\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.domains[0].sec.grant, SNM_PF_GRANT_UNKNOWN);
  assert_int_equal(fx.pf.domains[1].sec.grant, SNM_PF_GRANT_UNKNOWN);
  assert_string_equal(fx.pf.domains[1].sec.unknown_roles,
                      "snapmig_rig_read_monitor");
  assert_null(fx.pf.domains[1].sec.missing);
  /* the fallback, on the source only; nothing made up for the target */
  assert_int_equal(count_issues(&fx.pf, "permission-missing", NULL), 1);
  is = find_issue(&fx.pf, "permission-missing", "src");
  assert_non_null(strstr(is->message, "lacks cluster:admin/repository/get"));
  assert_int_equal(fx.pf.n_blockers, 1);
  text = report(&fx.pf, 0);
  assert_non_null(strstr(text, "snapshot permissions: cannot tell (what role "
                               "snapmig_rig_read_monitor grants is readable "
                               "only with the security REST API's rights)"));
  free(text);
  text = report(&fx.pf, 1);
  assert_non_null(strstr(text, "\"snapshot_permissions\":\"unknown\""));
  assert_non_null(strstr(text, "\"roles_not_known\":"
                               "\"snapmig_rig_read_monitor\""));
  free(text);
  fx_done(&fx);

  /* the same refusal with roles known to lack it: one blocker, from the
   * roles, not two */
  fx_init(&fx, "reader");
  snm_test_pf_add(fx.src, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("reader", "\"readall\""));
  snm_test_pf_add(fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("reader", "\"readall\""));
  snm_test_pf_add(fx.src, "/_snapshot/r", 403, SNM_TEST_JSON_CT, denied);
  snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                      "status uuid pri index\n");
  check(&fx);
  assert_int_equal(count_issues(&fx.pf, "permission-missing", "src"), 1);
  assert_non_null(
      strstr(find_issue(&fx.pf, "permission-missing", "src")->message,
             "maps it to the roles readall"));
  fx_done(&fx);
}

/* No plugin: OpenSearch's 400 "no handler found", Elasticsearch's 404 on
 * the _opendistro path, or nothing scripted (the stand-in's 404): nothing
 * is said, in the issues or the report. */
static void test_plugin_absent(void **state)
{
  struct fx fx;
  char *text;
  (void)state;

  fx_init(&fx, "u");
  snm_test_pf_add(
      fx.src, AUTHINFO_PATH, 400, SNM_TEST_JSON_CT,
      "{\"error\":\"no handler found for uri [/_plugins/_security/authinfo] "
      "and method [GET]\"}");
  snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                      "status uuid pri index\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_true(was_asked(fx.src, AUTHINFO_PATH));
  assert_true(was_asked(fx.dst, AUTHINFO_PATH));
  assert_int_equal(fx.pf.n_issues, 0);
  assert_int_equal(fx.pf.domains[0].sec.state, SNM_PF_SEC_ABSENT);
  assert_int_equal(fx.pf.domains[1].sec.state, SNM_PF_SEC_ABSENT);
  text = report(&fx.pf, 0);
  assert_null(strstr(text, "security plugin"));
  assert_null(strstr(text, "snapshot permissions"));
  free(text);
  text = report(&fx.pf, 1);
  assert_non_null(strstr(text, "\"security\":null"));
  free(text);
  fx_done(&fx);

  /* Elasticsearch 7.10: the Open Distro path */
  fx_init(&fx, "u");
  snm_test_pf_add(
      fx.src, "/_opendistro/_security/authinfo", 404, SNM_TEST_JSON_CT,
      "{\"error\":{\"type\":\"index_not_found_exception\",\"reason\":\"no "
      "such index [_opendistro]\"},\"status\":404}");
  snm_test_pf_cluster(fx.src, 1, "7.10.2", NULL, NULL);
  snm_test_pf_cluster(fx.dst, 0, "7.10.2", NULL, "status uuid pri index\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_true(was_asked(fx.src, "/_opendistro/_security/authinfo"));
  assert_false(was_asked(fx.src, AUTHINFO_PATH));
  assert_int_equal(fx.pf.domains[0].sec.state, SNM_PF_SEC_ABSENT);
  assert_int_equal(count_issues(&fx.pf, "permission-missing", NULL), 0);
  fx_done(&fx);
}

/* An authinfo the preflight cannot read (a refusal, a server error, a 200
 * of another shape, not JSON): unknown, never "nothing missing" and never
 * a made-up blocker; the report says why. */
static void test_authinfo_unreadable(void **state)
{
  static const struct {
    int status;
    const char *body, *needle;
  } cases[] = {
      {200, "[\"readall\"]", "HTTP 200, but the reply is not an object"},
      {200, "{\"user_name\":\"u\",\"roles\":{}}",
       "HTTP 200, but \"roles\" is of another type"},
      {200, "roles: readall", "HTTP 200, but the reply is not JSON"},
      {403,
       "{\"error\":{\"type\":\"security_exception\",\"reason\":\"no "
       "permissions for [cluster:monitor/x]\"},\"status\":403}",
       "HTTP 403"},
      {500,
       "{\"error\":{\"type\":\"exception\",\"reason\":\"boom\"},\"status\":"
       "500}",
       "HTTP 500 exception: boom"},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct fx fx;
    char *text;

    fx_init(&fx, "u");
    snm_test_pf_add(fx.src, AUTHINFO_PATH, cases[i].status, SNM_TEST_JSON_CT,
                    cases[i].body);
    snm_test_pf_add(fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                    authinfo("u", "\"manage_snapshots\""));
    snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
    snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                        "status uuid pri index\n");
    check(&fx);
    print_issues(&fx.pf);
    assert_int_equal(fx.pf.domains[0].sec.state, SNM_PF_SEC_UNKNOWN);
    assert_int_equal(fx.pf.domains[0].sec.grant, SNM_PF_GRANT_UNKNOWN);
    assert_non_null(fx.pf.domains[0].sec.error);
    if (strstr(fx.pf.domains[0].sec.error, cases[i].needle) == NULL)
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, fx.pf.domains[0].sec.error,
               cases[i].needle);
    assert_non_null(
        strstr(fx.pf.domains[0].sec.error, "src: GET " AUTHINFO_PATH ": HTTP"));
    assert_int_equal(count_issues(&fx.pf, "permission-missing", NULL), 0);
    assert_int_equal(fx.pf.n_blockers, 0);
    text = report(&fx.pf, 0);
    assert_non_null(strstr(text, "    security plugin: identity not read: "
                                 "src: GET " AUTHINFO_PATH));
    free(text);
    text = report(&fx.pf, 1);
    assert_non_null(strstr(text, "\"state\":\"unknown\""));
    assert_null(strstr(text, "\"snapshot_permissions\":\"missing\""));
    free(text);
    fx_done(&fx);
  }
}

/* A repository registered as the plan says is not registered again: the
 * missing permissions then leave out cluster:admin/repository/put. */
static void test_registered_repository_not_needed(void **state)
{
  struct fx fx;
  const struct snm_pf_issue *is;
  (void)state;

  fx_init(&fx, "reader");
  snm_test_pf_add(fx.dst, "/_snapshot/r", 200, SNM_TEST_JSON_CT,
                  "{\"r\":{\"type\":\"fs\",\"settings\":{\"location\":\"/x\","
                  "\"readonly\":\"true\"}}}");
  snm_test_pf_add(fx.dst, "/_cat/snapshots/r*", 200, SNM_TEST_TEXT_CT, "id\n");
  snm_test_pf_add(fx.src, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("reader", "\"readall\""));
  snm_test_pf_add(fx.dst, AUTHINFO_PATH, 200, SNM_TEST_JSON_CT,
                  authinfo("reader", "\"readall\""));
  snm_test_pf_cluster(fx.src, 1, "2.19.4", "opensearch", NULL);
  snm_test_pf_cluster(fx.dst, 0, "2.19.4", "opensearch",
                      "status uuid pri index\n");
  check(&fx);
  print_issues(&fx.pf);
  assert_int_equal(fx.pf.domains[1].repo_state, SNM_PF_REPO_MATCHES);
  is = find_issue(&fx.pf, "permission-missing", "dst");
  assert_non_null(is);
  assert_non_null(strstr(is->message, "lacks cluster:admin/snapshot/restore,"));
  assert_null(strstr(is->message, "repository/put"));
  assert_non_null(
      strstr(find_issue(&fx.pf, "permission-missing", "src")->message,
             "lacks cluster:admin/repository/put"));
  fx_done(&fx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_authinfo),
      cmocka_unit_test(test_grant),
      cmocka_unit_test(test_record),
      cmocka_unit_test(test_roles_lack_permissions),
      cmocka_unit_test(test_roles_grant_permissions),
      cmocka_unit_test(test_roles_unknown),
      cmocka_unit_test(test_close_permission),
      cmocka_unit_test(test_cutover_permission),
      cmocka_unit_test(test_plugin_absent),
      cmocka_unit_test(test_authinfo_unreadable),
      cmocka_unit_test(test_registered_repository_not_needed),
  };

  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
