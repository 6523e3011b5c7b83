/* loop_fixture.c - see loop_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "es.h"
#include "loop_fixture.h"
#include "plan.h"

static void on_guard(uv_timer_t *t)
{
  struct snm_test_loop *lp = t->data;

  fail_msg("the loop was still busy after %u ms", lp->deadline_ms);
}

static void on_http_closed(void *data)
{
  struct snm_test_loop *lp = data;

  lp->http_closed = 1;
  lp->http = NULL;
}

void snm_test_loop_init(struct snm_test_loop *lp,
                        const struct snm_http_opts *opts)
{
  struct snm_err err;

  memset(lp, 0, sizeof(*lp));
  assert_int_equal(uv_loop_init(&lp->loop), 0);
  assert_int_equal(uv_timer_init(&lp->loop, &lp->guard), 0);
  lp->guard.data = lp;
  uv_unref((uv_handle_t *)&lp->guard);
  snm_test_loop_set_deadline(lp, SNM_TEST_LOOP_DEADLINE_MS);
  snm_err_clear(&err);
  if (snm_http_new(&lp->http, &lp->loop, opts, &err) != 0)
    fail_msg("snm_http_new: %s", err.msg);
}

void snm_test_loop_init_es(struct snm_test_loop *lp, struct snm_plan *plan,
                           const char *domain_id,
                           const struct snm_http_opts *opts)
{
  const struct snm_domain *dom = snm_plan_find_domain(plan, domain_id);
  struct snm_err err;

  assert_non_null(dom);
  snm_test_loop_init(lp, opts);
  lp->plan = plan;
  lp->es = calloc(1, sizeof(*lp->es));
  assert_non_null(lp->es);
  snm_err_clear(&err);
  if (snm_es_init(lp->es, dom, lp->http, &err) != 0)
    fail_msg("snm_es_init: %s", err.msg);
}

void snm_test_loop_set_deadline(struct snm_test_loop *lp, unsigned ms)
{
  lp->deadline_ms = ms;
  assert_int_equal(uv_timer_start(&lp->guard, on_guard, ms, 0), 0);
}

void snm_test_loop_run(struct snm_test_loop *lp)
{
  uv_run(&lp->loop, UV_RUN_DEFAULT);
}

void snm_test_loop_run_until(struct snm_test_loop *lp, const int *flag)
{
  while (*flag == 0) {
    if (uv_run(&lp->loop, UV_RUN_ONCE) == 0 && *flag == 0)
      fail_msg("the loop ran out of work before the awaited callback");
  }
}

void snm_test_loop_close_http(struct snm_test_loop *lp)
{
  assert_false(lp->http_closing);
  assert_non_null(lp->http);
  lp->http_closing = 1;
  snm_http_close(lp->http, on_http_closed, lp);
}

static void print_open_handle(uv_handle_t *h, void *arg)
{
  (void)arg;
  fprintf(stderr, "open handle: %s%s%s\n", uv_handle_type_name(h->type),
          uv_is_active(h) ? ", active" : "",
          uv_is_closing(h) ? ", closing" : "");
}

void snm_test_loop_done(struct snm_test_loop *lp)
{
  int rc;

  if (!lp->http_closing)
    snm_test_loop_close_http(lp);
  uv_close((uv_handle_t *)&lp->guard, NULL);
  uv_run(&lp->loop, UV_RUN_DEFAULT);
  assert_int_equal(lp->http_closed, 1);
  /* a handle the engine or the test left open makes this UV_EBUSY */
  rc = uv_loop_close(&lp->loop);
  if (rc != 0) {
    uv_walk(&lp->loop, print_open_handle, NULL);
    fail_msg("uv_loop_close: %s: handles left open (listed above)",
             uv_strerror(rc));
  }
  if (lp->es != NULL) {
    snm_es_dispose(lp->es);
    free(lp->es);
    lp->es = NULL;
  }
  snm_plan_free(lp->plan);
  lp->plan = NULL;
}
