/* Integration test of es.c against the rig's real servers: GET / and an
 * error reason from OpenSearch, and SigV4 signing through the credential
 * chain checked by the real S3 server (S3Proxy verifies every signature).
 * The rig's endpoints come from SNAPMIG_RIG_* (tests/rig/rig env); without
 * them the test fails rather than skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "es.h"
#include "log.h"
#include "loop_fixture.h"
#include "plan_fixture.h"

struct result {
  int called;
  int code;
  long status;
  char msg[SNM_ERR_MSG_MAX];
  struct snm_es_info info;
  int info_rc;
  char first_bytes[64];
};

struct fixture {
  struct snm_test_loop lp; /* lp.es on "source", lp.plan */
  struct snm_es s3;        /* on "s3", through lp.http */
};

static const char *need_env(const char *name)
{
  const char *v = getenv(name);
  if (v == NULL || *v == '\0')
    fail_msg("%s is not set: start the rig (tests/rig/rig up) and "
             "eval \"$(tests/rig/rig env)\"",
             name);
  return v;
}

static void on_done(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;
  struct snm_err perr;

  r->called++;
  r->code = err->code;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
  if (reply == NULL)
    return;
  r->status = reply->status;
  snprintf(r->first_bytes, sizeof(r->first_bytes), "%.*s",
           (int)(reply->body_len < 63 ? reply->body_len : 63), reply->body);
  if (reply->json != NULL)
    r->info_rc = snm_es_parse_info(&r->info, reply->json, "source", &perr);
}

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof(*f));
  struct snm_plan *plan;

  assert_non_null(f);
  plan = snm_test_plan_parsef(
      "{\"snapmig\": 1, \"name\": \"it-es\",\n"
      " \"domains\": {\n"
      "  \"source\": {\"endpoint\": \"%s\"},\n"
      "  \"s3\": {\"endpoint\": \"%s\", \"auth\": {\"type\": "
      "\"aws-sigv4\", \"region\": \"%s\", \"service\": \"s3\"}}},\n"
      " \"repository\": {\"name\": \"r\", \"type\": \"fs\", "
      "\"settings\": {\"location\": \"/tmp/x\"}},\n"
      " \"snapshot\": {\"domain\": \"source\"},\n"
      " \"restores\": [{\"domain\": \"s3\"}]}\n",
      need_env("SNAPMIG_RIG_SOURCE_URL"), need_env("SNAPMIG_RIG_S3_URL"),
      need_env("SNAPMIG_RIG_S3_REGION"));
  snm_test_loop_init_es(&f->lp, plan, "source", NULL);
  snm_test_loop_set_deadline(&f->lp, 60000); /* real, shared servers */
  assert_int_equal(
      snm_es_init(&f->s3, snm_plan_find_domain(plan, "s3"), f->lp.http, NULL),
      0);
  /* Credentials come from the environment only. */
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
  unsetenv("AWS_PROFILE");
  unsetenv("AWS_SESSION_TOKEN");
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;

  snm_es_dispose(&f->s3); /* no request of its is pending */
  snm_test_loop_done(&f->lp);
  snm_log_clear_secrets();
  free(f);
  return 0;
}

static void run_one(struct fixture *f, struct snm_es *es, const char *method,
                    const char *path, struct result *r)
{
  struct snm_err err;

  memset(r, 0, sizeof(*r));
  assert_int_equal(snm_es_request(es, method, path, NULL, 0, on_done, r, &err),
                   0);
  snm_test_loop_run(&f->lp);
  assert_int_equal(r->called, 1);
}

static void test_source_info_and_error_reason(void **state)
{
  struct fixture *f = *state;
  struct result r;
  struct snm_buf path;

  run_one(f, f->lp.es, "GET", "/", &r);
  assert_int_equal(r.code, SNM_OK);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.info_rc, 0);
  assert_int_equal(r.info.version.engine, SNM_ENGINE_OPENSEARCH);
  assert_int_equal(r.info.version.major, 2);

  /* An index name with characters that need encoding, which does not
   * exist: the server's reason comes back in one line. */
  snm_buf_init(&path, 0);
  assert_int_equal(snm_es_path(&path, "/%s/_count", "no-such,index:é"), 0);
  run_one(f, f->lp.es, "GET", path.data, &r);
  snm_buf_dispose(&path);
  assert_int_equal(r.code, SNM_EHTTP);
  assert_int_equal(r.status, 404);
  assert_non_null(strstr(r.msg, "source: GET /no-such%2Cindex%3A%C3%A9/_count"
                                ": HTTP 404 index_not_found_exception: no "
                                "such index"));
}

static void test_sigv4_accepted_by_s3(void **state)
{
  struct fixture *f = *state;
  struct result r;
  struct snm_buf path;

  setenv("AWS_ACCESS_KEY_ID", need_env("SNAPMIG_RIG_S3_ACCESS_KEY"), 1);
  setenv("AWS_SECRET_ACCESS_KEY", need_env("SNAPMIG_RIG_S3_SECRET_KEY"), 1);
  /* List the bucket with a query that needs encoding: the real server
   * recomputes the signature over the bytes it received. */
  snm_buf_init(&path, 0);
  assert_int_equal(snm_es_path(&path, "/%s?prefix=%s&max-keys=5",
                               need_env("SNAPMIG_RIG_S3_BUCKET"),
                               "a b,c*<d>/é"),
                   0);
  run_one(f, &f->s3, "GET", path.data, &r);
  snm_buf_dispose(&path);
  assert_int_equal(r.code, SNM_OK);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.first_bytes, "<?xml"));
}

static void test_sigv4_wrong_secret_is_refused(void **state)
{
  struct fixture *f = *state;
  struct result r;

  setenv("AWS_ACCESS_KEY_ID", need_env("SNAPMIG_RIG_S3_ACCESS_KEY"), 1);
  setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret-key", 1);
  /* A fresh client: the provider caches what it resolved. */
  snm_es_dispose(&f->s3);
  assert_int_equal(snm_es_init(&f->s3, snm_plan_find_domain(f->lp.plan, "s3"),
                               f->lp.http, NULL),
                   0);
  run_one(f, &f->s3, "GET", "/", &r);
  assert_int_equal(r.code, SNM_EAUTH);
  assert_int_equal(r.status, 403);
  assert_non_null(strstr(r.msg, "s3: GET /: HTTP 403 SignatureDoesNotMatch"));
  assert_non_null(strstr(r.msg, "environment"));
  assert_null(strstr(r.msg, "not-the-right-secret-key"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_source_info_and_error_reason, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_sigv4_accepted_by_s3, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_sigv4_wrong_secret_is_refused, setup,
                                      teardown),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
