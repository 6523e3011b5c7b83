/* Unit tests for fetching credentials without blocking the event loop
 * (snm_creds_provider_peek / _fetch, creds_async.c).  EC2 IMDS, the ECS
 * credentials endpoint and STS are played by loopback stand-in servers
 * (tests/support/standin_http.h) whose slow replies are held until the
 * test releases them, so "the loop kept running" is asserted by counting
 * timer ticks while a fetch waits, not by timing.  No test reaches
 * 169.254.169.254, 169.254.170.2 or a real STS. */
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
#include "creds_int.h"
#include "err.h"
#include "log.h"
#include "standin_http.h"

#define ROLES "/latest/meta-data/iam/security-credentials/"
#define EXP "2030-01-02T03:04:05Z"
#define EXP_T ((time_t)1893553445)   /* EXP as a time_t */
#define LATER "2031-06-01T00:00:00Z" /* a later expiration */
#define ECS_TOKEN "ecs-authorization-token-0123"
#define TICK_MS 5
#define DEADLINE_MS 20000
#define N_WAITERS 6

static time_t fake_clock(void *payload)
{
  return *(time_t *)payload;
}

/* ---- the loop: a ticking timer shows it turns, a guard fails a hang ---- */

struct fx {
  uv_loop_t loop;
  uv_timer_t tick;
  uv_timer_t guard;
  unsigned ticks;
};

static void on_tick(uv_timer_t *t)
{
  struct fx *fx = t->data;

  fx->ticks++;
}

static void on_guard(uv_timer_t *t)
{
  (void)t;
  fail_msg("the test did not finish within %d ms", DEADLINE_MS);
}

static void fx_init(struct fx *fx)
{
  memset(fx, 0, sizeof(*fx));
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  assert_int_equal(uv_timer_init(&fx->loop, &fx->tick), 0);
  assert_int_equal(uv_timer_init(&fx->loop, &fx->guard), 0);
  fx->tick.data = fx;
  assert_int_equal(uv_timer_start(&fx->tick, on_tick, TICK_MS, TICK_MS), 0);
  assert_int_equal(uv_timer_start(&fx->guard, on_guard, DEADLINE_MS, 0), 0);
  uv_unref((uv_handle_t *)&fx->guard);
}

/* Let the loop turn `n` more ticks. */
static void fx_turn(struct fx *fx, unsigned n)
{
  unsigned until = fx->ticks + n;

  while (fx->ticks < until)
    uv_run(&fx->loop, UV_RUN_ONCE);
}

/* Close the timers and run the loop out: it returns only when every
 * thread-pool request is through; then it must close cleanly. */
static void fx_done(struct fx *fx)
{
  uv_close((uv_handle_t *)&fx->tick, NULL);
  uv_close((uv_handle_t *)&fx->guard, NULL);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

/* ---- waiters ---- */

static int order; /* callbacks so far, across waiters */

struct waiter {
  struct snm_creds_wait w;
  int called;
  int status;
  int order; /* 1-based place among the callbacks */
  char msg[SNM_ERR_MSG_MAX];
};

static void on_wait(struct snm_creds_wait *w, int status,
                    const struct snm_err *err)
{
  struct waiter *wt = w->data;

  wt->called++;
  wt->status = status;
  wt->order = ++order;
  snprintf(wt->msg, sizeof(wt->msg), "%s", status < 0 ? err->msg : "");
}

static void waiter_init(struct waiter *wt)
{
  memset(wt, 0, sizeof(*wt));
  wt->w.data = wt;
}

/* ---- stand-ins ---- */

static void add_reply(struct snm_standin *s, const char *method,
                      const char *path, int status, const char *body, int times,
                      int hold)
{
  struct snm_standin_reply r = {.method = method,
                                .path = path,
                                .status = status,
                                .body = body,
                                .times = times,
                                .hold = hold};

  assert_int_equal(snm_standin_add(s, &r), 0);
}

/* A stand-in for EC2 IMDS: token, role, credentials; with `hold`, the
 * credentials only once the test releases them. */
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

static void wait_requests(struct fx *fx, struct snm_standin *s, size_t n)
{
  while (snm_standin_request_count(s) < n)
    fx_turn(fx, 1);
}

static int peek_key(struct snm_creds_provider *p, char *key, size_t size)
{
  struct snm_creds c;
  struct snm_err err;
  int state = snm_creds_provider_peek(p, &c, &err);

  snprintf(key, size, "%s", c.access_key_id != NULL ? c.access_key_id : "");
  snm_creds_dispose(&c);
  return state;
}

/* ---- tests ---- */

/* While IMDS holds its answer, the loop keeps turning; the fetch ends
 * only when the stand-in is released, and then the credentials are there. */
static void test_imds_fetch_leaves_the_loop_running(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter wt;
  struct snm_err err;
  struct fx fx;
  char key[64];
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDSLOW", "secret-slow-imds-1", EXP, 0, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  opts.timeout_ms = 10000; /* the stand-in, not a timeout, decides */
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  fx_init(&fx);
  waiter_init(&wt);

  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_NEEDED);
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, &wt.w, on_wait, &err),
                   0);
  assert_true(snm_creds_provider_busy(p));
  assert_int_equal(wt.called, 0); /* never from inside the call */

  /* the worker is waiting for the credentials now; the loop turns on */
  wait_requests(&fx, s, 3);
  fx_turn(&fx, 10);
  assert_int_equal(wt.called, 0);
  assert_true(snm_creds_provider_busy(p));
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_NEEDED);

  snm_standin_release(s);
  while (wt.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  assert_int_equal(wt.called, 1);
  assert_int_equal(wt.status, 0);
  assert_false(snm_creds_provider_busy(p));
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_FRESH);
  assert_string_equal(key, "AKIDSLOW");
  assert_true(snm_fx_is_redacted("secret-slow-imds-1"));
  assert_int_equal(snm_standin_request_count(s), 3);

  snm_creds_provider_free(p);
  fx_done(&fx);
  assert_int_equal(snm_standin_free(s), 0);
}

/* N waiters that come while one fetch runs share it: the chain is walked
 * once, and everyone is told, in order. */
static void test_one_fetch_for_many_waiters(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter wt[N_WAITERS];
  struct snm_err err;
  struct fx fx;
  char key[64];
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDSHARED", "secret-shared-imds", EXP, 0, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  opts.timeout_ms = 10000;
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  fx_init(&fx);
  order = 0;
  for (int i = 0; i < N_WAITERS; i++) {
    waiter_init(&wt[i]);
    assert_int_equal(
        snm_creds_provider_fetch(p, &fx.loop, &wt[i].w, on_wait, &err), 0);
    if (i == 1)
      wait_requests(&fx, s, 3); /* later ones come while it runs */
  }
  /* one of them gives up */
  snm_creds_wait_cancel(&wt[2].w);
  snm_standin_release(s);
  while (snm_creds_provider_busy(p))
    uv_run(&fx.loop, UV_RUN_ONCE);

  for (int i = 0, k = 0; i < N_WAITERS; i++) {
    if (i == 2) {
      assert_int_equal(wt[i].called, 0);
      continue;
    }
    assert_int_equal(wt[i].called, 1);
    assert_int_equal(wt[i].status, 0);
    assert_int_equal(wt[i].order, ++k);
  }
  assert_int_equal(snm_standin_request_count(s), 3); /* one walk */
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_FRESH);
  assert_string_equal(key, "AKIDSHARED");

  snm_creds_provider_free(p);
  fx_done(&fx);
  assert_int_equal(snm_standin_free(s), 0);
}

/* Within the refresh window the current credentials stay usable while the
 * refresh runs; many refresh requests make one refresh. */
static void test_refresh_in_the_background(void **state)
{
  time_t now = EXP_T - 3600;
  struct snm_creds_opts opts = {.now = fake_clock, .now_payload = &now};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter first, wt[N_WAITERS];
  struct snm_err err;
  struct fx fx;
  char key[64];
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDOLD", "secret-old-imds-1", EXP, 1, 0);
  script_imds(s, "AKIDNEW", "secret-new-imds-2", LATER, 1, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  opts.timeout_ms = 10000;
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  fx_init(&fx);
  waiter_init(&first);
  assert_int_equal(
      snm_creds_provider_fetch(p, &fx.loop, &first.w, on_wait, &err), 0);
  while (first.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  assert_int_equal(first.status, 0);

  /* an hour left: fresh; 4 minutes left: stale but usable */
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_FRESH);
  now = EXP_T - 240;
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_STALE);
  assert_string_equal(key, "AKIDOLD");

  order = 0;
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, NULL, NULL, &err), 0);
  for (int i = 0; i < N_WAITERS; i++) {
    waiter_init(&wt[i]);
    assert_int_equal(
        snm_creds_provider_fetch(p, &fx.loop, &wt[i].w, on_wait, &err), 0);
  }
  wait_requests(&fx, s, 6);
  fx_turn(&fx, 5);
  /* meanwhile the old ones still sign */
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_STALE);
  assert_string_equal(key, "AKIDOLD");
  snm_standin_release(s);
  while (snm_creds_provider_busy(p))
    uv_run(&fx.loop, UV_RUN_ONCE);
  for (int i = 0; i < N_WAITERS; i++) {
    assert_int_equal(wt[i].called, 1);
    assert_int_equal(wt[i].status, 0);
  }
  assert_int_equal(snm_standin_request_count(s), 6); /* one refresh */
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_FRESH);
  assert_string_equal(key, "AKIDNEW");

  snm_creds_provider_free(p);
  fx_done(&fx);
  assert_int_equal(snm_standin_free(s), 0);
}

/* A failing source fails every waiter with its message, which holds no
 * secret; the next fetch walks the chain again. */
static void test_failure_reaches_every_waiter(void **state)
{
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter wt[3], again;
  struct snm_err err, direct;
  struct snm_creds c;
  struct fx fx;
  char url[128], key[64];
  (void)state;

  /* stand-in for an ECS credentials endpoint that answers 500, slowly */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "GET", "/creds", 500, "{\"message\": \"" ECS_TOKEN "\"}", 0, 1);
  snprintf(url, sizeof(url), "%s/creds", snm_standin_url(s));
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_TOKEN, 1);

  /* what the blocking path says, for comparison */
  snm_standin_release(s);
  assert_int_equal(snm_fx_resolve(NULL, &c, &direct), SNM_EHTTP);
  snm_standin_clear(s);
  add_reply(s, "GET", "/creds", 500, "{\"message\": \"" ECS_TOKEN "\"}", 0, 1);

  assert_int_equal(snm_creds_provider_new(&p, NULL, &err), 0);
  fx_init(&fx);
  for (int i = 0; i < 3; i++) {
    waiter_init(&wt[i]);
    assert_int_equal(
        snm_creds_provider_fetch(p, &fx.loop, &wt[i].w, on_wait, &err), 0);
  }
  wait_requests(&fx, s, 1);
  fx_turn(&fx, 3);
  assert_int_equal(wt[0].called, 0);
  snm_standin_release(s);
  while (snm_creds_provider_busy(p))
    uv_run(&fx.loop, UV_RUN_ONCE);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(wt[i].called, 1);
    assert_int_equal(wt[i].status, SNM_EHTTP);
    assert_string_equal(wt[i].msg, direct.msg);
    assert_non_null(strstr(wt[i].msg, "ECS container credentials"));
    assert_non_null(strstr(wt[i].msg, "HTTP 500"));
    assert_null(strstr(wt[i].msg, ECS_TOKEN));
  }
  assert_int_equal(snm_standin_request_count(s), 1);
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_NEEDED);

  /* the next fetch tries again */
  waiter_init(&again);
  assert_int_equal(
      snm_creds_provider_fetch(p, &fx.loop, &again.w, on_wait, &err), 0);
  while (again.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  assert_int_equal(again.status, SNM_EHTTP);
  assert_int_equal(snm_standin_request_count(s), 2);

  snm_creds_provider_free(p);
  fx_done(&fx);
  assert_int_equal(snm_standin_free(s), 0);
}

/* A refresh that fails while the credentials are still valid keeps them
 * (a warning, status 0); once they expired, waiters get the error. */
static void test_failed_refresh_keeps_valid_credentials(void **state)
{
  time_t now = EXP_T - 3600;
  struct snm_creds_opts opts = {.now = fake_clock, .now_payload = &now};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter wt;
  struct snm_err err;
  struct fx fx;
  char key[64];
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDKEPT", "secret-kept-imds-1", EXP, 1, 0);
  add_reply(s, "PUT", "/latest/api/token", 503, "", 0, 0);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  fx_init(&fx);
  waiter_init(&wt);
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, &wt.w, on_wait, &err),
                   0);
  while (wt.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  assert_int_equal(wt.status, 0);

  now = EXP_T - 100;
  waiter_init(&wt);
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, &wt.w, on_wait, &err),
                   0);
  while (wt.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  assert_int_equal(wt.status, 0);
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_STALE);
  assert_string_equal(key, "AKIDKEPT");
  assert_int_equal(snm_standin_request_count(s), 4);

  now = EXP_T;
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_NEEDED);
  waiter_init(&wt);
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, &wt.w, on_wait, &err),
                   0);
  while (wt.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  assert_int_equal(wt.status, SNM_EHTTP);
  assert_non_null(strstr(wt.msg, "EC2 instance metadata"));
  assert_non_null(strstr(wt.msg, "HTTP 503"));

  snm_creds_provider_free(p);
  fx_done(&fx);
  assert_int_equal(snm_standin_free(s), 0);
}

/* An assume-role profile's STS call runs on the thread pool too. */
static void test_sts_assume_role_off_the_loop(void **state)
{
  static const char reply[] =
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIAROLE</AccessKeyId>"
      "<SecretAccessKey>role-secret-key-0001</SecretAccessKey>"
      "<SessionToken>role-session-token-0001</SessionToken>"
      "<Expiration>" EXP "</Expiration>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
  struct snm_creds_opts opts = {0};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter wt;
  struct snm_err err;
  struct fx fx;
  char key[64], *log = NULL;
  size_t log_len = 0;
  FILE *log_fp;
  (void)state;

  /* stand-in for STS */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "POST", "/", 200, reply, 0, 1);
  opts.sts_endpoint = snm_standin_url(s);
  opts.sts_timeout_ms = 10000;
  opts.profile = "target";
  snm_fx_config_file("[profile target]\nrole_arn = "
                     "arn:aws:iam::222222222222:role/migrator\n"
                     "source_profile = src\n"
                     "[profile src]\naws_access_key_id = AKIDSOURCE\n"
                     "aws_secret_access_key = source-secret-key-0001\n");
  /* the worker's log line is queued and logged by the loop thread */
  log_fp = open_memstream(&log, &log_len);
  assert_non_null(log_fp);
  snm_log_set_stream(log_fp);
  snm_log_set_level(SNM_LOG_DEBUG);
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  fx_init(&fx);
  waiter_init(&wt);
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, &wt.w, on_wait, &err),
                   0);
  wait_requests(&fx, s, 1);
  fx_turn(&fx, 5);
  assert_int_equal(wt.called, 0);
  fflush(log_fp);
  assert_null(strstr(log, "assuming role")); /* not yet */
  snm_standin_release(s);
  while (wt.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  snm_log_set_level(SNM_LOG_ERROR);
  snm_log_set_stream(NULL);
  fclose(log_fp);
  assert_non_null(strstr(log, "debug: assuming role "
                              "arn:aws:iam::222222222222:role/migrator"));
  assert_null(strstr(log, "source-secret-key-0001"));
  free(log);
  assert_int_equal(wt.status, 0);
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_FRESH);
  assert_string_equal(key, "ASIAROLE");
  assert_true(snm_fx_is_redacted("role-secret-key-0001"));
  assert_true(snm_fx_is_redacted("role-session-token-0001"));

  snm_creds_provider_free(p);
  fx_done(&fx);
  assert_int_equal(snm_standin_free(s), 0);
}

/* Freeing the provider while its worker waits for IMDS: the waiter is
 * never called, the worker's request is aborted (well before its 20 s
 * timeout), and the loop then ends and closes with nothing left. */
static void test_free_during_fetch(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter wt;
  struct snm_err err;
  struct fx fx;
  uint64_t t0;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDNEVER", "secret-never-imds", EXP, 0, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  opts.timeout_ms = 10000;
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  fx_init(&fx);
  waiter_init(&wt);
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, &wt.w, on_wait, &err),
                   0);
  wait_requests(&fx, s, 3); /* the worker runs: uv_cancel cannot stop it */

  snm_creds_provider_free(p);
  t0 = uv_hrtime();
  fx_done(&fx); /* returns once the abandoned worker is through */
  assert_true(uv_hrtime() - t0 < (uint64_t)5000 * 1000000);
  assert_int_equal(wt.called, 0);
  assert_int_equal(snm_standin_free(s), 0);
}

/* Cancelling the fetch (shutdown) ends it with SNM_ECANCELED for its
 * waiters; freeing a provider whose fetch never started is clean too. */
static void test_cancel_and_free_before_start(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct waiter wt, never;
  struct snm_err err;
  struct fx fx;
  char key[64];
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDCANCEL", "secret-cancel-imds", EXP, 0, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  opts.timeout_ms = 10000;
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  fx_init(&fx);
  waiter_init(&wt);
  assert_int_equal(snm_creds_provider_fetch(p, &fx.loop, &wt.w, on_wait, &err),
                   0);
  wait_requests(&fx, s, 3);
  snm_creds_provider_cancel(p);
  while (wt.called == 0)
    uv_run(&fx.loop, UV_RUN_ONCE);
  assert_int_equal(wt.status, SNM_ECANCELED);
  assert_int_equal(peek_key(p, key, sizeof(key)), SNM_CREDS_NEEDED);

  /* queued and freed in the same turn: the work may not have started */
  waiter_init(&never);
  assert_int_equal(
      snm_creds_provider_fetch(p, &fx.loop, &never.w, on_wait, &err), 0);
  snm_creds_provider_free(p);
  fx_done(&fx);
  assert_int_equal(never.called, 0);
  assert_int_equal(snm_standin_free(s), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, snm_fx_setup, snm_fx_teardown)
      T(test_imds_fetch_leaves_the_loop_running),
      T(test_one_fetch_for_many_waiters),
      T(test_refresh_in_the_background),
      T(test_failure_reaches_every_waiter),
      T(test_failed_refresh_keeps_valid_credentials),
      T(test_sts_assume_role_off_the_loop),
      T(test_free_during_fetch),
      T(test_cancel_and_free_before_start),
#undef T
  };
  return cmocka_run_group_tests(tests, snm_fx_group_setup,
                                snm_fx_group_teardown);
}
