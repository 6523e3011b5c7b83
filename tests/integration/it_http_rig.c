/* Integration test of the HTTP engine against the rig's real OpenSearch
 * source node.  SNAPMIG_RIG_SOURCE_URL (e.g. http://127.0.0.1:9201) must be
 * set: without it the test fails rather than skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "err.h"
#include "http.h"
#include "loop_fixture.h"

struct result {
  int called;
  int code;
  long status;
  char msg[SNM_ERR_MSG_MAX];
  char ctype[64];
  yajl_val json; /* parsed body or NULL */
};

struct rig {
  struct snm_test_loop lp;
  const char *base;
};

static void on_done(struct snm_http_response *resp, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;

  r->called++;
  r->code = err->code;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
  if (resp == NULL)
    return;
  r->status = resp->status;
  snprintf(r->ctype, sizeof(r->ctype), "%s",
           resp->content_type != NULL ? resp->content_type : "");
  if (resp->body_len > 0)
    r->json = yajl_tree_parse(resp->body, NULL, 0);
}

static void rig_init(struct rig *rig)
{
  memset(rig, 0, sizeof(*rig));
  rig->base = getenv("SNAPMIG_RIG_SOURCE_URL");
  if (rig->base == NULL || rig->base[0] == '\0')
    fail_msg("SNAPMIG_RIG_SOURCE_URL is not set: start the rig "
             "(tests/rig) and export its source URL");
  snm_test_loop_init(&rig->lp,
                     &(struct snm_http_opts){.user_agent = "snapmig-test"});
  snm_test_loop_set_deadline(&rig->lp, 60000); /* a real, shared server */
}

static void rig_done(struct rig *rig)
{
  snm_test_loop_done(&rig->lp);
}

/* Send and wait for one request. */
static void call(struct rig *rig, const char *method, const char *path,
                 const char *json_body, struct result *r)
{
  struct snm_http_request req = {.method = method, .label = "source"};
  struct snm_err err;
  char url[512];

  snprintf(url, sizeof(url), "%s%s", rig->base, path);
  req.url = url;
  if (json_body != NULL) {
    req.body = json_body;
    req.body_len = strlen(json_body);
    req.content_type = "application/json";
  }
  memset(r, 0, sizeof(*r));
  assert_int_equal(snm_http_send(rig->lp.http, &req, on_done, r, NULL, &err),
                   0);
  snm_test_loop_run(&rig->lp);
  assert_int_equal(r->called, 1);
  if (r->code != SNM_OK)
    fail_msg("%s", r->msg);
}

static const char *str_at(yajl_val v, const char *a, const char *b)
{
  const char *path[] = {a, b, NULL};
  yajl_val s = yajl_tree_get(v, path, yajl_t_string);
  return s != NULL ? YAJL_GET_STRING(s) : NULL;
}

static void test_root_reports_version(void **state)
{
  struct rig rig;
  struct result r;
  const char *number;
  (void)state;

  rig_init(&rig);
  call(&rig, "GET", "/", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.ctype, "application/json"));
  assert_non_null(r.json);
  number = str_at(r.json, "version", "number");
  assert_non_null(number);
  assert_true(strchr(number, '.') != NULL);
  yajl_tree_free(r.json);
  rig_done(&rig);
}

static void test_concurrent_health(void **state)
{
  struct rig rig;
  struct result r[20];
  struct snm_err err;
  char url[512];
  (void)state;

  rig_init(&rig);
  snprintf(url, sizeof(url), "%s/_cluster/health", rig.base);
  memset(r, 0, sizeof(r));
  for (int i = 0; i < 20; i++) {
    struct snm_http_request req = {.method = "GET", .url = url};
    assert_int_equal(
        snm_http_send(rig.lp.http, &req, on_done, &r[i], NULL, &err), 0);
  }
  snm_test_loop_run(&rig.lp);
  for (int i = 0; i < 20; i++) {
    const char *path[] = {"status", NULL};
    yajl_val st;
    const char *status;
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_OK);
    assert_int_equal(r[i].status, 200);
    assert_non_null(r[i].json);
    st = yajl_tree_get(r[i].json, path, yajl_t_string);
    assert_non_null(st);
    status = YAJL_GET_STRING(st);
    assert_non_null(status);
    assert_true(strcmp(status, "green") == 0 || strcmp(status, "yellow") == 0 ||
                strcmp(status, "red") == 0);
    yajl_tree_free(r[i].json);
  }
  rig_done(&rig);
}

static int acknowledged(yajl_val v)
{
  const char *path[] = {"acknowledged", NULL};
  return YAJL_IS_TRUE(yajl_tree_get(v, path, yajl_t_true));
}

static void test_index_put_doc_delete(void **state)
{
  struct rig rig;
  struct result r;
  char index[64], path[128];
  (void)state;

  rig_init(&rig);
  snprintf(index, sizeof(index), "snm-it-http-%ld", (long)getpid());

  snprintf(path, sizeof(path), "/%s", index);
  call(&rig, "PUT", path,
       "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}}", &r);
  assert_int_equal(r.status, 200);
  assert_true(acknowledged(r.json));
  yajl_tree_free(r.json);

  call(&rig, "HEAD", path, NULL, &r);
  assert_int_equal(r.status, 200);

  /* an encoded id ("a,b/..") reaches the server as written */
  snprintf(path, sizeof(path), "/%s/_doc/a%%2Cb%%2F..?refresh=true", index);
  call(&rig, "PUT", path, "{\"n\":1}", &r);
  assert_true(r.status == 200 || r.status == 201);
  assert_non_null(str_at(r.json, "_id", NULL));
  assert_string_equal(str_at(r.json, "_id", NULL), "a,b/..");
  yajl_tree_free(r.json);

  snprintf(path, sizeof(path), "/%s", index);
  call(&rig, "DELETE", path, NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(acknowledged(r.json));
  yajl_tree_free(r.json);

  call(&rig, "HEAD", path, NULL, &r);
  assert_int_equal(r.status, 404);
  rig_done(&rig);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_root_reports_version),
      cmocka_unit_test(test_concurrent_health),
      cmocka_unit_test(test_index_put_doc_delete),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
