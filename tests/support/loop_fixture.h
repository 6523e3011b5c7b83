/* loop_fixture.h - one libuv loop with an HTTP engine for the async unit
 * tests, and optionally an snm_es client for one domain of a plan.
 *
 *   struct snm_test_loop lp;
 *   snm_test_loop_init(&lp, NULL);         (or snm_test_loop_init_es)
 *   ... snm_http_send(lp.http, ...) / snm_es_request(lp.es, ...) ...
 *   snm_test_loop_run(&lp);                (or snm_test_loop_run_until)
 *   snm_test_loop_done(&lp);
 *
 * A guard timer (unreferenced, so it keeps no loop alive) fails the running
 * test when the loop is still busy after SNM_TEST_LOOP_DEADLINE_MS.
 * snm_test_loop_done closes the engine (unless the test did) and the
 * guard, drains the loop, asserts that the engine's close callback ran and
 * that uv_loop_close() returns 0, so a handle the engine (or the test)
 * left open fails the test.
 */
#ifndef SNM_LOOP_FIXTURE_H
#define SNM_LOOP_FIXTURE_H

#include <uv.h>

#include "http.h"

#define SNM_TEST_LOOP_DEADLINE_MS 20000 /* unless set_deadline changes it */

struct snm_plan;
struct snm_es;

struct snm_test_loop {
  uv_loop_t loop;
  uv_timer_t guard;      /* the deadline */
  unsigned deadline_ms;  /* from init or the last set_deadline */
  struct snm_http *http; /* the engine; freed once http_closed is set */
  int http_closing;      /* snm_test_loop_close_http was called */
  int http_closed;       /* the engine's on_closed ran */
  struct snm_plan *plan; /* NULL, or owned (snm_test_loop_init_es) */
  struct snm_es *es;     /* NULL, or malloced, on a domain of `plan` */
};

/* A loop and an engine with `opts` (may be NULL).  curl_global_init must
 * have been called. */
void snm_test_loop_init(struct snm_test_loop *lp,
                        const struct snm_http_opts *opts);

/* The same and an snm_es client for the domain `domain_id` of `plan`; the
 * fixture takes `plan` and frees it in snm_test_loop_done. */
void snm_test_loop_init_es(struct snm_test_loop *lp, struct snm_plan *plan,
                           const char *domain_id,
                           const struct snm_http_opts *opts);

/* Move the deadline to `ms` from now (tests against real, shared servers
 * may need longer). */
void snm_test_loop_set_deadline(struct snm_test_loop *lp, unsigned ms);

/* uv_run(UV_RUN_DEFAULT): until nothing is left to do. */
void snm_test_loop_run(struct snm_test_loop *lp);

/* Run the loop one turn at a time until `*flag` is non-zero.  Fails the
 * test when the loop runs out of work first. */
void snm_test_loop_run_until(struct snm_test_loop *lp, const int *flag);

/* snm_http_close with a callback that sets http_closed (from the loop).
 * lp->http may still be passed to snm_http_send until the loop runs. */
void snm_test_loop_close_http(struct snm_test_loop *lp);

/* Close everything and check that nothing leaked (see above). */
void snm_test_loop_done(struct snm_test_loop *lp);

#endif
