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

#include "creds_fixture.h"
#include "es.h"
#include "faultsrv.h"
#include "log.h"
#include "loop_fixture.h"
#include "plan_fixture.h"
#include "testutil.h"

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
  struct faultsrv *srv;      /* the "src" domain */
  struct faultsrv_echo echo; /* its handler */
  struct snm_test_loop lp;   /* lp.es on "src" */
  struct snm_test_log log;   /* the -v -v log */
};

/* A plan whose source domain is the echo server with `auth` (JSON). */
static void fx_init(struct fx *fx, const char *auth, int status)
{
  char endpoint[64];

  memset(fx, 0, sizeof(*fx));
  fx->echo.status = status;
  assert_int_equal(faultsrv_start(&fx->srv, faultsrv_echo, &fx->echo), 0);
  snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d",
           faultsrv_port(fx->srv));
  snm_test_log_start(&fx->log, SNM_LOG_TRACE); /* -v -v */
  snm_test_loop_init_es(&fx->lp, snm_test_plan_src_dst(endpoint, auth), "src",
                        NULL);
}

static void fx_done(struct fx *fx)
{
  snm_test_loop_done(&fx->lp);
  faultsrv_stop(fx->srv);
  snm_test_log_stop(&fx->log);
}

static void fx_dispose(struct fx *fx, struct result *r)
{
  faultsrv_echo_dispose(&fx->echo);
  free(fx->log.text);
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
      snm_es_request(fx->lp.es, "GET", path, NULL, 0, on_done, r, &err), 0);
  snm_test_loop_run_until(&fx->lp, &r->called);
  assert_int_equal(r->called, 1);
}

static void assert_hidden(const struct fx *fx, const struct result *r,
                          const char *secret)
{
  if (strstr(r->msg, secret) != NULL)
    fail_msg("error shows \"%s\": %s", secret, r->msg);
  if (r->body != NULL && strstr(r->body, secret) != NULL)
    fail_msg("reply shows \"%s\": %s", secret, r->body);
  if (strstr(fx->log.text, secret) != NULL)
    fail_msg("log shows \"%s\": %s", secret, fx->log.text);
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
