/* Unit tests of snm_es: how replies turn into results, against the
 * loopback stand-in server (tests/support/standin_http.h) for replies a real
 * Elasticsearch will not produce on demand (hostile nesting), and the
 * basic auth settings snm_es_init refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "http.h"
#include "log.h"
#include "loop_fixture.h"
#include "plan_fixture.h"
#include "standin_http.h"

struct result {
  int called;
  int had_reply;
  int had_json;
  size_t body_len;
  long status;
  int code;
  long http_status;
  char msg[SNM_ERR_MSG_MAX];
};

struct fx {
  struct snm_standin *srv; /* the "src" domain */
  struct snm_test_loop lp; /* lp.es on "src" */
};

static void fx_init(struct fx *fx)
{
  memset(fx, 0, sizeof(*fx));
  assert_int_equal(snm_standin_new(&fx->srv), 0);
  snm_test_loop_init_es(&fx->lp,
                        snm_test_plan_src_dst(snm_standin_url(fx->srv), NULL),
                        "src", NULL);
}

static void fx_done(struct fx *fx)
{
  snm_test_loop_done(&fx->lp);
  assert_int_equal(snm_standin_free(fx->srv), 0);
}

static void on_done(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;

  r->called++;
  r->had_reply = reply != NULL;
  r->had_json = reply != NULL && reply->json != NULL;
  r->body_len = reply != NULL ? reply->body_len : 0;
  r->status = reply != NULL ? reply->status : 0;
  r->code = err->code;
  r->http_status = err->http_status;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
}

static void on_http_done(struct snm_http_response *resp,
                         const struct snm_err *err, void *data)
{
  struct {
    int called;
    struct snm_err err;
  } *d = data;

  (void)resp;
  d->called++;
  d->err = *err;
}

/* GET `path` (snm_es_request_raw with `raw`) and run the loop until the
 * reply is in. */
static void get_as(struct fx *fx, const char *path, int raw, struct result *r)
{
  struct snm_err err;

  memset(r, 0, sizeof(*r));
  if (raw)
    assert_int_equal(
        snm_es_request_raw(fx->lp.es, "GET", path, NULL, 0, on_done, r, &err),
        0);
  else
    assert_int_equal(
        snm_es_request(fx->lp.es, "GET", path, NULL, 0, on_done, r, &err), 0);
  snm_test_loop_run_until(&fx->lp, &r->called);
  assert_int_equal(r->called, 1);
}

static void get(struct fx *fx, const char *path, struct result *r)
{
  get_as(fx, path, 0, r);
}

static char *nested(size_t levels)
{
  char *s = malloc(2 * levels + 1);

  assert_non_null(s);
  memset(s, '[', levels);
  memset(s + levels, ']', levels);
  s[2 * levels] = '\0';
  return s;
}

static void test_deeply_nested_reply_is_refused(void **state)
{
  struct snm_standin_reply deep = {.path = "/deep",
                                   .status = 200,
                                   .headers =
                                       "Content-Type: application/json\r\n"};
  struct snm_standin_reply limit = deep;
  struct snm_standin_reply error = deep;
  char *deep_body = nested(300000), *limit_body = nested(128);
  struct result r;
  struct fx fx;
  (void)state;

  fx_init(&fx);
  deep.body = deep_body;
  assert_int_equal(snm_standin_add(fx.srv, &deep), 0);
  limit.path = "/limit";
  limit.body = limit_body;
  assert_int_equal(snm_standin_add(fx.srv, &limit), 0);
  error.path = "/error";
  error.status = 500;
  error.body = deep_body;
  assert_int_equal(snm_standin_add(fx.srv, &error), 0);

  /* 300000 levels used to crash yajl_tree_free (and may crash the parser) */
  get(&fx, "/deep", &r);
  assert_true(r.had_reply);
  assert_false(r.had_json);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.code, SNM_EPARSE);
  assert_int_equal(r.http_status, 200);
  assert_string_equal(r.msg,
                      "src: GET /deep: reply nested deeper than 128 levels");
  /* 128 levels are fine */
  get(&fx, "/limit", &r);
  assert_true(r.had_json);
  assert_int_equal(r.code, SNM_OK);
  /* an error status with such a body fails the same way */
  get(&fx, "/error", &r);
  assert_true(r.had_reply);
  assert_false(r.had_json);
  assert_int_equal(r.code, SNM_EPARSE);
  assert_int_equal(r.http_status, 500);
  assert_non_null(strstr(r.msg, "nested deeper than 128 levels"));

  free(deep_body);
  free(limit_body);
  fx_done(&fx);
}

/* "/idx-0000,idx-0001,...,idx-NNNN/_count": about 3000 bytes. */
static char *long_path(size_t n)
{
  char *p = malloc(n * 9 + 16), *w = p;

  assert_non_null(p);
  *w++ = '/';
  for (size_t i = 0; i < n; i++)
    w += sprintf(w, "%sidx-%04zu", i > 0 ? "," : "", i);
  strcpy(w, "/_count");
  return p;
}

/* Error messages are cut at SNM_ERR_MSG_MAX: a long path is shortened in
 * the middle so that the status, the server's reason and the advice
 * survive. */
static void test_long_path_keeps_reason_and_advice(void **state)
{
  struct snm_standin_reply denied = {
      .path = "/idx-*",
      .status = 403,
      .headers = "Content-Type: application/json\r\n",
      .body = "{\"error\":{\"type\":\"security_exception\",\"reason\":"
              "\"no permissions for [indices:data/read/search]\"},"
              "\"status\":403}"};
  char *path = long_path(333);
  struct result r;
  struct fx fx;
  (void)state;

  assert_true(strlen(path) > 3000);
  fx_init(&fx);
  assert_int_equal(snm_standin_add(fx.srv, &denied), 0);
  get(&fx, path, &r);
  assert_int_equal(r.code, SNM_EAUTH);
  assert_int_equal(r.http_status, 403);
  assert_true(strlen(r.msg) < SNM_ERR_MSG_MAX - 1); /* nothing was cut */
  /* domain, method, both ends of the path, what was left out */
  assert_non_null(strstr(r.msg, "src: GET /idx-0000,idx-0001,"));
  assert_non_null(strstr(r.msg, ",idx-0332/_count: HTTP 403 "));
  assert_non_null(strstr(r.msg, " more)"));
  assert_non_null(strstr(r.msg, "security_exception: no permissions for "
                                "[indices:data/read/search]"));
  assert_non_null(strstr(r.msg, "add an \"auth\" section)"));
  fx_done(&fx);
  free(path);
}

/* The same for a transport failure, which the HTTP engine words. */
static void test_long_url_keeps_cause_and_advice(void **state)
{
  struct snm_http_request req = {.method = "GET", .max_attempts = 1};
  struct snm_http_call *call = NULL;
  char *path = long_path(333), *url;
  struct snm_err err;
  struct fx fx;
  struct {
    int called;
    struct snm_err err;
  } done = {0};
  (void)state;

  fx_init(&fx);
  url = malloc(strlen(path) + 64);
  assert_non_null(url);
  sprintf(url, "http://127.0.0.1:%d%s?pretty", snm_standin_unused_port(), path);
  req.url = url;
  req.label = "dst";
  assert_int_equal(
      snm_http_send(fx.lp.http, &req, on_http_done, &done, &call, &err), 0);
  snm_test_loop_run_until(&fx.lp, &done.called);
  assert_int_equal(done.err.code, SNM_ENET);
  assert_true(strlen(done.err.msg) < SNM_ERR_MSG_MAX - 1);
  assert_non_null(strstr(done.err.msg, "dst: GET http://127.0.0.1:"));
  assert_non_null(strstr(done.err.msg, "/idx-0000,idx-0001,"));
  assert_non_null(strstr(done.err.msg, " more)"));
  assert_non_null(strstr(done.err.msg, ",idx-0332/_count?pretty: "
                                       "connection refused; is the domain "
                                       "reachable?"));
  fx_done(&fx);
  free(url);
  free(path);
}

/* A 2xx whose body is an error object ({"error": ..., "status": N}, as a
 * proxy may send it) is a failure with the server's reason. */
static void test_ok_status_with_an_error_body(void **state)
{
  static const struct {
    const char *path, *body;
    int code;
    long http_status;
    const char *needle;
  } cases[] = {
      {"/a",
       "{\"error\":{\"root_cause\":[{\"type\":\"index_not_found_"
       "exception\",\"reason\":\"no such index [x]\"}],\"type\":"
       "\"index_not_found_exception\",\"reason\":\"no such index [x]\"},"
       "\"status\":404}",
       SNM_EHTTP, 404,
       "src: GET /a: HTTP 200 with an error body (status 404): "
       "index_not_found_exception: no such index [x]"},
      {"/b", "{\"error\":\"Incorrect HTTP method\",\"status\":405}", SNM_EHTTP,
       405, "(status 405): Incorrect HTTP method"},
      {"/c",
       "{\"error\":{\"type\":\"security_exception\",\"reason\":\"no "
       "permissions\"},\"status\":403}",
       SNM_EAUTH, 403, "security_exception: no permissions (the plan gives"},
      /* a task that failed is an answer, not an error reply */
      {"/d", "{\"completed\":true,\"task\":{},\"error\":{\"type\":\"x\"}}",
       SNM_OK, 0, ""},
      {"/e", "{\"error\":null,\"status\":200}", SNM_OK, 0, ""},
      /* the error object after a big member, or twice (the first wins) */
      {"/f",
       "{\"data_streams\":[{\"name\":\"a\"}],\"error\":\"gateway\","
       "\"status\":502}",
       SNM_EHTTP, 502, "(status 502): gateway"},
      {"/g", "{\"error\":5,\"error\":\"x\",\"status\":500}", SNM_OK, 0, ""},
      {"/h", "[{\"error\":\"x\",\"status\":500}]", SNM_OK, 0, ""},
      {"/i", "{\"x\":{\"error\":\"x\",\"status\":500}}", SNM_OK, 0, ""},
      {"/j", "{\"error\":{\"type\":\"t\"},\"status\":\"503\"}", SNM_EHTTP, 503,
       "(status 503): t"},
  };
  struct fx fx;
  (void)state;

  fx_init(&fx);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct snm_standin_reply rep = {.path = cases[i].path,
                                    .status = 200,
                                    .headers =
                                        "Content-Type: application/json\r\n",
                                    .body = cases[i].body};
    assert_int_equal(snm_standin_add(fx.srv, &rep), 0);
  }
  /* the same with a raw reply (no tree of a 2xx unless it is an error) */
  for (int raw = 0; raw <= 1; raw++)
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      struct result r;
      get_as(&fx, cases[i].path, raw, &r);
      assert_true(r.had_reply);
      assert_int_equal(r.status, 200);
      assert_int_equal(r.code, cases[i].code);
      assert_int_equal(r.http_status, cases[i].http_status);
      if (strstr(r.msg, cases[i].needle) == NULL)
        fail_msg("%s%s: \"%s\" lacks \"%s\"", raw ? "raw " : "", cases[i].path,
                 r.msg, cases[i].needle);
      if (raw && cases[i].code == SNM_OK)
        assert_false(r.had_json);
      assert_int_equal(r.body_len, strlen(cases[i].body));
    }
  fx_done(&fx);
}

/* snm_es_request_raw: a 2xx listing comes as bytes, never a tree; other
 * statuses and the depth limit as with snm_es_request. */
static void test_raw_reply(void **state)
{
  static const struct {
    const char *path;
    int status;
    const char *body;
  } replies[] = {
      {"/list", 200, "{\"data_streams\":[]}"},
      {"/missing", 404,
       "{\"error\":{\"type\":\"repository_missing_exception\",\"reason\":"
       "\"[r] missing\"},\"status\":404}"},
      {"/text", 200, "id\nsnap-1\n"},
      {"/broken", 200, "{\"error\":\"x\",\"status\":500"},
  };
  char *deep = nested(200);
  struct result r;
  struct fx fx;
  (void)state;

  fx_init(&fx);
  for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
    struct snm_standin_reply rep = {.path = replies[i].path,
                                    .status = replies[i].status,
                                    .headers =
                                        "Content-Type: application/json\r\n",
                                    .body = replies[i].body};
    assert_int_equal(snm_standin_add(fx.srv, &rep), 0);
  }
  {
    struct snm_standin_reply rep = {.path = "/deep",
                                    .status = 200,
                                    .headers =
                                        "Content-Type: application/json\r\n",
                                    .body = deep};
    assert_int_equal(snm_standin_add(fx.srv, &rep), 0);
  }
  get_as(&fx, "/list", 1, &r);
  assert_int_equal(r.code, SNM_OK);
  assert_false(r.had_json);
  assert_int_equal(r.body_len, strlen(replies[0].body));
  get(&fx, "/list", &r); /* the usual request still parses it */
  assert_true(r.had_json);
  /* an error status: parsed, so that its type can be read */
  get_as(&fx, "/missing", 1, &r);
  assert_int_equal(r.code, SNM_EHTTP);
  assert_int_equal(r.http_status, 404);
  assert_true(r.had_json);
  assert_non_null(strstr(r.msg, "repository_missing_exception: [r] missing"));
  get_as(&fx, "/text", 1, &r);
  assert_int_equal(r.code, SNM_OK);
  assert_false(r.had_json);
  /* not JSON at all: no error body either way; the caller refuses it */
  get_as(&fx, "/broken", 1, &r);
  assert_int_equal(r.code, SNM_OK);
  assert_false(r.had_json);
  get_as(&fx, "/deep", 1, &r);
  assert_int_equal(r.code, SNM_EPARSE);
  assert_non_null(strstr(r.msg, "nested deeper than 128 levels"));
  free(deep);
  fx_done(&fx);
}

static void test_basic_auth_refusals(void **state)
{
  static const struct {
    const char *user;
    const char *pw; /* NULL: unset */
    int rc;
    const char *needle;
  } cases[] = {
      {"a:b", "secret-pw", SNM_EINVAL, "src: the basic auth username \"a:b\""},
      {"admin", "", SNM_EAUTH,
       "src: the password for user \"admin\" is read "
       "from the environment variable SNM_T_PW, which "
       "is empty"},
      {"admin", NULL, SNM_EAUTH, "SNM_T_PW, which is not set"},
      {"admin", "secret-pw", SNM_OK, ""},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct snm_plan *plan;
    struct snm_es es;
    struct snm_err err;
    char auth[256];

    snprintf(auth, sizeof(auth),
             "{\"type\": \"basic\", \"username\": \"%s\", "
             "\"password_env\": \"SNM_T_PW\"}",
             cases[i].user);
    plan = snm_test_plan_src_dst("http://127.0.0.1:1", auth);
    if (cases[i].pw != NULL)
      setenv("SNM_T_PW", cases[i].pw, 1);
    else
      unsetenv("SNM_T_PW");
    snm_err_clear(&err);
    assert_int_equal(snm_es_init(&es, &plan->domains[0], NULL, &err),
                     cases[i].rc);
    assert_non_null(strstr(err.msg, cases[i].needle));
    assert_int_equal(es.basic_auth != NULL, cases[i].rc == SNM_OK);
    snm_es_dispose(&es);
    snm_plan_free(plan);
  }
  unsetenv("SNM_T_PW");
  snm_log_clear_secrets();
}

static void test_denied_permission(void **state)
{
  char perm[40], tiny[8];
  (void)state;

  assert_int_equal(snm_es_denied_permission(
                       perm, sizeof(perm),
                       "security_exception: no permissions for "
                       "[cluster:admin/repository/put] and User [name=reader, "
                       "backend_roles=[], requestedTenant=null]"),
                   1);
  assert_string_equal(perm, "cluster:admin/repository/put");
  assert_string_equal(snm_es_role_granting(perm), "manage_snapshots");
  /* several permissions: the first */
  assert_int_equal(
      snm_es_denied_permission(perm, sizeof(perm),
                               "no permissions for [indices:admin/close, "
                               "indices:admin/delete] and User [name=x]"),
      1);
  assert_string_equal(perm, "indices:admin/close");
  assert_null(snm_es_role_granting(perm));
  /* cut to the buffer */
  assert_int_equal(snm_es_denied_permission(tiny, sizeof(tiny),
                                            "no permissions for [abcdefghij]"),
                   1);
  assert_string_equal(tiny, "abcdefg");
  /* none named, or unterminated */
  assert_int_equal(snm_es_denied_permission(perm, sizeof(perm), "Unauthorized"),
                   0);
  assert_string_equal(perm, "");
  assert_int_equal(
      snm_es_denied_permission(perm, sizeof(perm), "no permissions for [oops"),
      0);
  assert_int_equal(snm_es_denied_permission(perm, sizeof(perm), NULL), 0);
}

/* What a 401 or 403 says to do, by how the domain authenticates: the user
 * and password_env for a 401; for a 403 that names a permission, the
 * permission and the role that grants it (on AWS: as a backend role). */
static void test_auth_hints(void **state)
{
  static const char denied_put[] =
      "{\"error\":{\"type\":\"security_exception\",\"reason\":\"no "
      "permissions for [cluster:admin/repository/put] and User "
      "[name=reader, backend_roles=[], requestedTenant=null]\"},"
      "\"status\":403}";
  static const char denied_close[] =
      "{\"error\":{\"type\":\"security_exception\",\"reason\":\"no "
      "permissions for [indices:admin/close] and User [name=reader]\"},"
      "\"status\":403}";
  static const char denied_plain[] =
      "{\"error\":{\"type\":\"security_exception\",\"reason\":"
      "\"forbidden\"},\"status\":403}";
  static const char unauthorized[] =
      "{\"error\":{\"type\":\"security_exception\",\"reason\":"
      "\"Unauthorized\"},\"status\":401}";
  static const char basic[] = "{\"type\": \"basic\", \"username\": "
                              "\"reader\", \"password_env\": \"SNM_T_PW\"}";
  static const char aws[] = "{\"type\": \"aws-sigv4\", \"region\": "
                            "\"eu-west-1\"}";
  static const struct {
    const char *auth; /* NULL: none */
    int status;
    const char *body;
    const char *needle;
  } cases[] = {
      {basic, 401, unauthorized,
       "(the server refused user \"reader\" with the password from "
       "$SNM_T_PW: check the user name and that variable)"},
      {basic, 403, denied_put,
       "(user \"reader\" lacks cluster:admin/repository/put: map it to the "
       "manage_snapshots role, or give one of its roles that permission)"},
      {basic, 403, denied_close,
       "(user \"reader\" lacks indices:admin/close: map it to a role that "
       "grants it)"},
      {basic, 403, denied_plain,
       "(basic auth as \"reader\", password from $SNM_T_PW; check both, "
       "and that the user's role may do this)"},
      {NULL, 401, unauthorized,
       "(the plan gives no credentials for this domain; add an \"auth\" "
       "section)"},
      {aws, 403, denied_put,
       "(the identity from environment lacks cluster:admin/repository/put: "
       "map it to the manage_snapshots role as a backend role (its IAM role "
       "or user ARN) in fine-grained access control"},
      {aws, 403, denied_plain,
       "(signed with AWS credentials from environment for region eu-west-1, "
       "service es; the request was refused: the identity likely lacks "
       "es:ESHttpGet on this domain"},
      {aws, 401, unauthorized, "the signature was refused, or the identity"},
  };
  (void)state;

  setenv("SNM_T_PW", "not-the-password", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
         1);
  unsetenv("AWS_SESSION_TOKEN");
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct snm_standin_reply rep = {.path = "/x",
                                    .status = cases[i].status,
                                    .headers =
                                        "Content-Type: application/json\r\n",
                                    .body = cases[i].body};
    struct result r;
    struct fx fx;

    memset(&fx, 0, sizeof(fx));
    assert_int_equal(snm_standin_new(&fx.srv), 0);
    snm_test_loop_init_es(
        &fx.lp, snm_test_plan_src_dst(snm_standin_url(fx.srv), cases[i].auth),
        "src", NULL);
    assert_int_equal(snm_standin_add(fx.srv, &rep), 0);
    get(&fx, "/x", &r);
    assert_int_equal(r.code, SNM_EAUTH);
    assert_int_equal(r.status, cases[i].status);
    if (strstr(r.msg, cases[i].needle) == NULL)
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, r.msg, cases[i].needle);
    /* one line that names the domain and the request */
    assert_non_null(strstr(r.msg, "src: GET /x: HTTP "));
    assert_null(strchr(r.msg, '\n'));
    assert_null(strstr(r.msg, "not-the-password"));
    fx_done(&fx);
  }
  unsetenv("SNM_T_PW");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  snm_log_clear_secrets();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deeply_nested_reply_is_refused),
      cmocka_unit_test(test_long_path_keeps_reason_and_advice),
      cmocka_unit_test(test_long_url_keeps_cause_and_advice),
      cmocka_unit_test(test_ok_status_with_an_error_body),
      cmocka_unit_test(test_raw_reply),
      cmocka_unit_test(test_basic_auth_refusals),
      cmocka_unit_test(test_denied_permission),
      cmocka_unit_test(test_auth_hints),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
