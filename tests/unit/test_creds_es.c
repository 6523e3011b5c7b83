/* Unit tests: an aws-sigv4 domain (snm_es, es_sign.c) whose credentials
 * come from a slow EC2 IMDS holds its requests while they are fetched on
 * the thread pool, and everything else on the loop goes on: a basic-auth
 * domain's request, a timer.  IMDS and both clusters are loopback stand-in
 * servers (tests/support/standin_http.h); the IMDS stand-in answers only
 * when the test releases it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "creds.h"
#include "creds_fixture.h"
#include "diag.h"
#include "es.h"
#include "http.h"
#include "loop_fixture.h"
#include "plan.h"
#include "plan_fixture.h"
#include "standin_http.h"

#define ROLES "/latest/meta-data/iam/security-credentials/"
#define EXP "2030-01-02T03:04:05Z"
#define EXP_T ((time_t)1893553445) /* EXP as a time_t */
#define LATER "2031-06-01T00:00:00Z"
#define PASSWORD "basic-password-0001"
#define TICK_MS 5
#define N_REQ 4

static time_t fake_clock(void *payload)
{
  return *(time_t *)payload;
}

struct result {
  int called;
  int code;
  long status;
  char msg[SNM_ERR_MSG_MAX];
};

struct fx {
  struct snm_test_loop lp; /* the loop, its deadline and the engine */
  uv_timer_t tick;
  unsigned ticks;
  struct snm_standin *imds;  /* stand-in for EC2 IMDS */
  struct snm_standin *aws;   /* stand-in for an Amazon OpenSearch domain */
  struct snm_standin *basic; /* stand-in for a basic-auth cluster */
  struct snm_plan *plan;
  struct snm_es es_aws, es_basic;
  time_t now; /* the aws domain's credential clock */
};

static void on_tick(uv_timer_t *t)
{
  struct fx *fx = t->data;

  fx->ticks++;
}

static void add_reply(struct snm_standin *s, const char *method,
                      const char *path, int status, const char *body, int times,
                      int hold)
{
  struct snm_standin_reply r = {.method = method,
                                .path = path,
                                .status = status,
                                .headers = "Content-Type: application/json\r\n",
                                .body = body,
                                .times = times,
                                .hold = hold};

  assert_int_equal(snm_standin_add(s, &r), 0);
}

static void script_imds(struct snm_standin *s, const char *id,
                        const char *secret, const char *exp, int times,
                        int hold)
{
  add_reply(s, "PUT", "/latest/api/token", 200, "imds-session-token-AQAE",
            times, 0);
  add_reply(s, "GET", ROLES, 200, "app-role\n", times, 0);
  add_reply(s, "GET", ROLES "app-role", 200,
            snm_fx_creds_json("Success", id, secret, "imds-sess-tok", exp),
            times, hold);
}

/* Two domains: "aws" (SigV4, credentials from the IMDS stand-in, clock
 * fx->now) and "basic". */
static void fx_init(struct fx *fx)
{
  struct snm_creds_opts opts = {0};
  struct snm_err err;
  char text[1024];

  memset(fx, 0, sizeof(*fx));
  fx->now = EXP_T - 3600;
  assert_int_equal(snm_standin_new(&fx->imds), 0);
  assert_int_equal(snm_standin_new(&fx->aws), 0);
  assert_int_equal(snm_standin_new(&fx->basic), 0);
  add_reply(fx->aws, NULL, NULL, 200, "{\"ok\": \"aws\"}", 0, 0);
  add_reply(fx->basic, NULL, NULL, 200, "{\"ok\": \"basic\"}", 0, 0);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("SNM_T_BASIC_PW", PASSWORD, 1);
  snprintf(text, sizeof(text),
           "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
           "\"aws\": {\"endpoint\": \"%s\", \"auth\": {\"type\": "
           "\"aws-sigv4\", \"region\": \"eu-west-1\"}},"
           "\"basic\": {\"endpoint\": \"%s\", \"auth\": {\"type\": \"basic\", "
           "\"username\": \"migrator\", \"password_env\": "
           "\"SNM_T_BASIC_PW\"}}},"
           "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
           "{\"location\": \"/x\"}},"
           "\"snapshot\": {\"domain\": \"aws\"}, "
           "\"restores\": [{\"domain\": \"basic\"}]}",
           snm_standin_url(fx->aws), snm_standin_url(fx->basic));
  fx->plan = snm_test_plan_parse(text, NULL);

  snm_test_loop_init(&fx->lp, NULL);
  assert_int_equal(uv_timer_init(&fx->lp.loop, &fx->tick), 0);
  fx->tick.data = fx;
  assert_int_equal(uv_timer_start(&fx->tick, on_tick, TICK_MS, TICK_MS), 0);
  assert_int_equal(
      snm_es_init(&fx->es_aws, &fx->plan->domains[0], fx->lp.http, &err), 0);
  assert_int_equal(
      snm_es_init(&fx->es_basic, &fx->plan->domains[1], fx->lp.http, &err), 0);
  /* the domain's provider, with the stand-in, a long timeout (the test
   * decides when IMDS answers) and the test's clock */
  opts.imds_endpoint = snm_standin_url(fx->imds);
  opts.timeout_ms = 10000;
  opts.now = fake_clock;
  opts.now_payload = &fx->now;
  snm_creds_provider_free(fx->es_aws.creds);
  assert_int_equal(snm_creds_provider_new(&fx->es_aws.creds, &opts, &err), 0);
}

static void fx_close_http(struct fx *fx)
{
  if (!fx->lp.http_closing)
    snm_test_loop_close_http(&fx->lp);
}

static void fx_done(struct fx *fx)
{
  uv_close((uv_handle_t *)&fx->tick, NULL);
  snm_test_loop_done(&fx->lp);
  snm_es_dispose(&fx->es_aws);
  snm_es_dispose(&fx->es_basic);
  snm_plan_free(fx->plan);
  assert_int_equal(snm_standin_free(fx->imds), 0);
  assert_int_equal(snm_standin_free(fx->aws), 0);
  assert_int_equal(snm_standin_free(fx->basic), 0);
  unsetenv("SNM_T_BASIC_PW");
}

static void on_done(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  struct result *r = data;

  r->called++;
  r->code = err->code;
  r->status = reply != NULL ? reply->status : 0;
  snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
}

static void get(struct snm_es *es, const char *path, struct result *r)
{
  struct snm_err err;

  assert_int_equal(snm_es_request(es, "GET", path, NULL, 0, on_done, r, &err),
                   0);
}

static void turn(struct fx *fx, unsigned n)
{
  unsigned until = fx->ticks + n;

  while (fx->ticks < until)
    uv_run(&fx->lp.loop, UV_RUN_ONCE);
}

static void wait_requests(struct fx *fx, struct snm_standin *s, size_t n)
{
  while (snm_standin_request_count(s) < n)
    turn(fx, 1);
}

static int all_called(const struct result *r, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (r[i].called == 0)
      return 0;
  return 1;
}

/* The access key ID request `i` to the aws stand-in was signed with. */
static void signed_with(struct snm_standin *s, size_t i, const char *akid)
{
  struct snm_standin_request r;
  char *auth, want[128];

  assert_int_equal(snm_standin_request_get(s, i, &r), 0);
  auth = snm_standin_request_header(&r, "Authorization");
  assert_non_null(auth);
  snprintf(want, sizeof(want), "AWS4-HMAC-SHA256 Credential=%s/", akid);
  assert_memory_equal(auth, want, strlen(want));
  free(auth);
  snm_standin_request_dispose(&r);
}

/* While IMDS holds the credentials, the aws requests wait and the loop
 * goes on: the basic-auth request completes, the timer ticks.  Released,
 * the one fetch serves every held request. */
static void test_held_requests_do_not_block_the_loop(void **state)
{
  struct result r[N_REQ] = {{0}}, b = {0}, late = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx);
  script_imds(fx.imds, "AKIDESHELD", "secret-es-held-0001", EXP, 0, 1);
  for (int i = 0; i < N_REQ; i++)
    get(&fx.es_aws, "/_cluster/health", &r[i]);
  wait_requests(&fx, fx.imds, 3); /* the worker waits for the credentials */

  get(&fx.es_basic, "/_cat/indices", &b);
  while (b.called == 0)
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  assert_int_equal(b.code, SNM_OK);
  assert_int_equal(b.status, 200);
  turn(&fx, 10);
  for (int i = 0; i < N_REQ; i++)
    assert_int_equal(r[i].called, 0);
  assert_int_equal(snm_standin_request_count(fx.aws), 0);

  snm_standin_release(fx.imds);
  while (!all_called(r, N_REQ))
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  for (int i = 0; i < N_REQ; i++) {
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_OK);
    assert_int_equal(r[i].status, 200);
  }
  while (snm_standin_request_count(fx.aws) < N_REQ)
    turn(&fx, 1);
  for (size_t i = 0; i < N_REQ; i++)
    signed_with(fx.aws, i, "AKIDESHELD");
  assert_int_equal(snm_standin_request_count(fx.imds), 3); /* one fetch */

  /* now cached: the next request goes at once */
  get(&fx.es_aws, "/", &late);
  while (late.called == 0)
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  assert_int_equal(late.status, 200);
  assert_int_equal(snm_standin_request_count(fx.imds), 3);
  fx_done(&fx);
}

/* A failing chain fails exactly the held requests, each once, with the
 * chain's message; the basic-auth domain is not affected. */
static void test_credential_failure_fails_held_requests(void **state)
{
  struct result r[N_REQ] = {{0}}, b = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx);
  add_reply(fx.imds, "PUT", "/latest/api/token", 200, "imds-token-0001", 0, 0);
  add_reply(fx.imds, "GET", ROLES, 404, "", 0, 1); /* no role attached */
  for (int i = 0; i < N_REQ; i++)
    get(&fx.es_aws, i % 2 ? "/_cat/indices" : "/_cluster/health", &r[i]);
  get(&fx.es_basic, "/", &b);
  wait_requests(&fx, fx.imds, 2);
  while (b.called == 0)
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  assert_int_equal(b.status, 200);
  snm_standin_release(fx.imds);
  while (!all_called(r, N_REQ))
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  turn(&fx, 3);
  for (int i = 0; i < N_REQ; i++) {
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_EAUTH);
    assert_int_equal(r[i].status, 0);
    assert_non_null(strstr(r[i].msg, i % 2 ? "aws: GET /_cat/indices: "
                                           : "aws: GET /_cluster/health: "));
    assert_non_null(strstr(r[i].msg, "no AWS credentials found"));
    assert_non_null(strstr(r[i].msg, "no IAM role is attached"));
    assert_null(strstr(r[i].msg, "imds-token-0001"));
  }
  assert_int_equal(b.called, 1);
  assert_int_equal(snm_standin_request_count(fx.aws), 0);
  assert_int_equal(snm_standin_request_count(fx.imds), 2); /* one walk */
  fx_done(&fx);
}

/* In the refresh window requests keep going out with the current
 * credentials while the refresh runs; then the new ones sign. */
static void test_refresh_window_does_not_hold_requests(void **state)
{
  struct result first = {0}, during = {0}, after = {0};
  struct fx fx;
  (void)state;

  fx_init(&fx);
  script_imds(fx.imds, "AKIDESOLD", "secret-es-old-0001", EXP, 1, 0);
  script_imds(fx.imds, "AKIDESNEW", "secret-es-new-0001", LATER, 1, 1);
  get(&fx.es_aws, "/", &first);
  while (first.called == 0)
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  assert_int_equal(first.status, 200);

  fx.now = EXP_T - 120; /* two minutes left */
  get(&fx.es_aws, "/", &during);
  while (during.called == 0)
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  assert_int_equal(during.status, 200);
  wait_requests(&fx, fx.imds, 6); /* the refresh waits for its release */
  assert_true(snm_creds_provider_busy(fx.es_aws.creds));
  signed_with(fx.aws, 1, "AKIDESOLD");

  snm_standin_release(fx.imds);
  while (snm_creds_provider_busy(fx.es_aws.creds))
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  get(&fx.es_aws, "/", &after);
  while (after.called == 0)
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  assert_int_equal(after.status, 200);
  signed_with(fx.aws, 2, "AKIDESNEW");
  assert_int_equal(snm_standin_request_count(fx.imds), 6);
  fx_done(&fx);
}

/* Closing the engine while requests are held: they end with SNM_ECANCELED,
 * the fetch is told to stop (no wait for the 20 s IMDS timeout), and the
 * loop ends and closes cleanly. */
static void test_engine_close_during_fetch(void **state)
{
  struct result r[N_REQ] = {{0}}, refused = {0};
  struct snm_err err;
  struct fx fx;
  uint64_t t0;
  (void)state;

  fx_init(&fx);
  script_imds(fx.imds, "AKIDESCLOSE", "secret-es-close-01", EXP, 0, 1);
  for (int i = 0; i < N_REQ; i++)
    get(&fx.es_aws, "/", &r[i]);
  wait_requests(&fx, fx.imds, 3);

  t0 = uv_hrtime();
  fx_close_http(&fx);
  /* a request after the close is refused at once */
  assert_int_equal(
      snm_es_request(&fx.es_aws, "GET", "/", NULL, 0, on_done, &refused, &err),
      SNM_ECANCELED);
  while (!all_called(r, N_REQ))
    uv_run(&fx.lp.loop, UV_RUN_ONCE);
  assert_true(uv_hrtime() - t0 < (uint64_t)5000 * 1000000);
  for (int i = 0; i < N_REQ; i++) {
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_ECANCELED);
    assert_non_null(strstr(r[i].msg, "aws: GET /: not sent"));
  }
  assert_int_equal(refused.called, 0);
  assert_int_equal(snm_standin_request_count(fx.aws), 0);
  fx_done(&fx);
}

/* Disposing the domain while requests are held: they end with
 * SNM_ECANCELED from inside snm_es_dispose; the abandoned worker is freed
 * when it ends, and the loop closes cleanly. */
static void test_dispose_during_fetch(void **state)
{
  struct result r[N_REQ] = {{0}};
  struct fx fx;
  (void)state;

  fx_init(&fx);
  script_imds(fx.imds, "AKIDESDISP", "secret-es-disp-001", EXP, 0, 1);
  for (int i = 0; i < N_REQ; i++)
    get(&fx.es_aws, "/", &r[i]);
  wait_requests(&fx, fx.imds, 3);
  snm_es_dispose(&fx.es_aws);
  for (int i = 0; i < N_REQ; i++) {
    assert_int_equal(r[i].called, 1);
    assert_int_equal(r[i].code, SNM_ECANCELED);
  }
  fx_done(&fx); /* disposes es_aws again: a no-op after memset */
  for (int i = 0; i < N_REQ; i++)
    assert_int_equal(r[i].called, 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, snm_fx_setup, snm_fx_teardown)
      T(test_held_requests_do_not_block_the_loop),
      T(test_credential_failure_fails_held_requests),
      T(test_refresh_window_does_not_hold_requests),
      T(test_engine_close_during_fetch),
      T(test_dispose_during_fetch),
#undef T
  };
  return cmocka_run_group_tests(tests, snm_fx_group_setup,
                                snm_fx_group_teardown);
}
