/* Unit tests: a domain whose server quotes the request's credentials back
 * (in a 4xx/5xx error or in a 200) never gets them into snm_es's error
 * messages, replies or log, with basic auth (password from password_env)
 * and with SigV4 (session token from the environment).  The server is
 * faultsrv's echo handler, a loopback stand-in for such a server. */
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

#include "creds_fixture.h"
#include "diag.h"
#include "es.h"
#include "faultsrv.h"
#include "http.h"
#include "log.h"
#include "plan.h"

#define PASSWORD "hunter2-password"
#define BASIC_PLAIN "migrator:" PASSWORD
#define BASIC_B64 "bWlncmF0b3I6aHVudGVyMi1wYXNzd29yZA=="
#define SECRET_KEY "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN                                                                  \
  "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQDk7example+token/"    \
  "with+base64/chars=="

struct result {
  int called;
  int code;
  long status;
  char *body; /* malloced copy of the reply body, or NULL */
  char msg[SNM_ERR_MSG_MAX];
};

struct fx {
  uv_loop_t loop;
  uv_timer_t guard;
  struct faultsrv *srv;
  struct faultsrv_echo echo;
  struct snm_plan *plan;
  struct snm_http *http;
  struct snm_es es;
  char *log; /* captured */
  size_t log_len;
  FILE *log_fp;
};

static void on_guard(uv_timer_t *t)
{
  (void)t;
  fail_msg("the loop did not finish within the deadline");
}

/* A plan whose source domain is the echo server with `auth` (JSON). */
static void fx_init(struct fx *fx, const char *auth, int status)
{
  struct snm_diag_list diags;
  struct snm_err err;
  char text[1024];

  memset(fx, 0, sizeof(*fx));
  fx->echo.status = status;
  assert_int_equal(faultsrv_start(&fx->srv, faultsrv_echo, &fx->echo), 0);
  snprintf(text, sizeof(text),
           "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
           "\"src\": {\"endpoint\": \"http://127.0.0.1:%d\", \"auth\": %s},"
           "\"dst\": {\"endpoint\": \"http://127.0.0.1:1\"}},"
           "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
           "{\"location\": \"/x\"}},"
           "\"snapshot\": {\"domain\": \"src\"}, "
           "\"restores\": [{\"domain\": \"dst\"}]}",
           faultsrv_port(fx->srv), auth);
  snm_diag_list_init(&diags);
  assert_int_equal(
      snm_plan_parse(&fx->plan, text, strlen(text), "t.json", &diags, &err), 0);
  snm_diag_list_dispose(&diags);
  fx->log_fp = open_memstream(&fx->log, &fx->log_len);
  assert_non_null(fx->log_fp);
  snm_log_set_stream(fx->log_fp);
  snm_log_set_level(SNM_LOG_TRACE); /* -v -v */
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  assert_int_equal(uv_timer_init(&fx->loop, &fx->guard), 0);
  assert_int_equal(uv_timer_start(&fx->guard, on_guard, 20000, 0), 0);
  uv_unref((uv_handle_t *)&fx->guard);
  assert_int_equal(snm_http_new(&fx->http, &fx->loop, NULL, &err), 0);
  assert_int_equal(snm_es_init(&fx->es, &fx->plan->domains[0], fx->http, &err),
                   0);
}

static void fx_done(struct fx *fx)
{
  snm_http_close(fx->http, NULL, NULL);
  uv_close((uv_handle_t *)&fx->guard, NULL);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
  snm_es_dispose(&fx->es);
  snm_plan_free(fx->plan);
  faultsrv_stop(fx->srv);
  snm_log_set_level(SNM_LOG_ERROR);
  snm_log_set_stream(NULL);
  fclose(fx->log_fp);
}

static void fx_dispose(struct fx *fx, struct result *r)
{
  faultsrv_echo_dispose(&fx->echo);
  free(fx->log);
  free(r->body);
}

static void on_done(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;

  r->called++;
  r->code = err->code;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
  if (reply != NULL) {
    r->status = reply->status;
    r->body = strdup(reply->body);
  }
}

static void get(struct fx *fx, const char *path, struct result *r)
{
  struct snm_err err;

  assert_int_equal(
      snm_es_request(&fx->es, "GET", path, NULL, 0, on_done, r, &err), 0);
  while (r->called == 0)
    uv_run(&fx->loop, UV_RUN_ONCE);
  assert_int_equal(r->called, 1);
}

static void assert_hidden(const struct fx *fx, const struct result *r,
                          const char *secret)
{
  if (strstr(r->msg, secret) != NULL)
    fail_msg("error shows \"%s\": %s", secret, r->msg);
  if (r->body != NULL && strstr(r->body, secret) != NULL)
    fail_msg("reply shows \"%s\": %s", secret, r->body);
  if (strstr(fx->log, secret) != NULL)
    fail_msg("log shows \"%s\": %s", secret, fx->log);
}

/* The value of `name` (up to CRLF) in the request head the server got. */
static char *sent_header(const struct fx *fx, const char *name)
{
  const char *p = strstr(fx->echo.last_head, name);

  assert_non_null(p);
  p += strlen(name);
  return strndup(p, strcspn(p, "\r\n"));
}

static void test_basic_auth_is_not_shown(void **state)
{
  static const int statuses[] = {401, 500, 200};
  (void)state;

  setenv("SNM_T_ECHO_PW", PASSWORD, 1);
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    struct result r = {0};
    struct fx fx;

    fx_init(&fx,
            "{\"type\": \"basic\", \"username\": \"migrator\", "
            "\"password_env\": \"SNM_T_ECHO_PW\"}",
            statuses[i]);
    get(&fx, "/_cluster/health", &r);
    fx_done(&fx);
    assert_int_equal(r.status, statuses[i]);
    assert_non_null(strstr(fx.echo.last_head, "Basic " BASIC_B64));
    if (statuses[i] != 200) {
      assert_int_not_equal(r.code, SNM_OK);
      /* the server's reason is still there, without the credentials */
      assert_non_null(strstr(r.msg, "echo_exception"));
      assert_non_null(strstr(r.msg, "Authorization: [REDACTED]"));
      assert_non_null(strstr(r.msg, "decoded basic credentials: [REDACTED]"));
    }
    assert_hidden(&fx, &r, BASIC_B64);
    assert_hidden(&fx, &r, BASIC_PLAIN);
    assert_hidden(&fx, &r, PASSWORD);
    fx_dispose(&fx, &r);
  }
  unsetenv("SNM_T_ECHO_PW");
}

static void test_sigv4_credentials_are_not_shown(void **state)
{
  static const int statuses[] = {403, 500, 200};
  (void)state;

  setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY, 1);
  setenv("AWS_SESSION_TOKEN", TOKEN, 1);
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    struct result r = {0};
    struct fx fx;
    char *auth, *sig;

    fx_init(&fx, "{\"type\": \"aws-sigv4\", \"region\": \"eu-west-1\"}",
            statuses[i]);
    get(&fx, "/_cluster/health", &r);
    fx_done(&fx);
    assert_int_equal(r.status, statuses[i]);
    auth = sent_header(&fx, "\r\nAuthorization: ");
    sig = strstr(auth, "Signature=");
    assert_non_null(sig);
    sig += strlen("Signature=");
    assert_int_equal(strlen(sig), 64);
    assert_non_null(strstr(fx.echo.last_head, TOKEN));
    if (statuses[i] != 200)
      assert_non_null(strstr(r.msg, "echo_exception"));
    assert_hidden(&fx, &r, auth);
    assert_hidden(&fx, &r, sig);
    assert_hidden(&fx, &r, TOKEN);
    assert_hidden(&fx, &r, SECRET_KEY);
    free(auth);
    fx_dispose(&fx, &r);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_basic_auth_is_not_shown,
                                      snm_fx_setup, snm_fx_teardown),
      cmocka_unit_test_setup_teardown(test_sigv4_credentials_are_not_shown,
                                      snm_fx_setup, snm_fx_teardown),
  };

  return cmocka_run_group_tests(tests, snm_fx_group_setup,
                                snm_fx_group_teardown);
}
