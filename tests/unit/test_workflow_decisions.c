/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the workflow's pure decisions: the adaptive poll interval,
 * what a resumed run does with a recorded snapshot and with each recorded
 * index given what the servers say, and the doc-count check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "workflow.h"

/* A snapshot or restore that has just started is looked at at once, then
 * a few times quickly, before the adaptive interval takes over. */
static void test_poll_warmup(void **state)
{
  struct snm_polling p = {.initial_ms = 200, .max_ms = 5000};
  (void)state;

  long sum = 0;

  assert_int_equal(snm_wf_poll_warmup(0, &p), 1);
  for (int i = 1; i <= 8; i++) {
    assert_int_equal(snm_wf_poll_warmup(i, &p), 25);
    sum += snm_wf_poll_warmup(i, &p);
  }
  assert_int_equal(sum, 200); /* the first initial_ms */
  assert_int_equal(snm_wf_poll_warmup(9, &p), -1);
  assert_int_equal(snm_wf_poll_warmup(100, &p), -1);
  p.initial_ms = 1;
  assert_int_equal(snm_wf_poll_warmup(1, &p), 1);
  assert_int_equal(snm_wf_poll_warmup(8, &p), 1);
}

static void test_poll_sequence(void **state)
{
  struct snm_polling p = {.initial_ms = 200, .max_ms = 5000, .timeout_s = 1};
  const long want[] = {200, 300, 450, 675, 1013, 1520, 2280, 3420, 5000, 5000};
  long cur = 0;

  (void)state;
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    cur = snm_wf_poll_next(cur, &p);
    assert_int_equal(cur, want[i]);
  }
  /* tiny intervals still grow; initial above max is capped */
  p.initial_ms = 1;
  assert_int_equal(snm_wf_poll_next(0, &p), 1);
  assert_int_equal(snm_wf_poll_next(1, &p), 2);
  p.initial_ms = 9000;
  assert_int_equal(snm_wf_poll_next(0, &p), 5000);
}

static void test_poll_interval_eta(void **state)
{
  struct snm_polling p = {200, 5000, 86400};

  (void)state;
  /* no estimate: the plain backoff */
  assert_int_equal(snm_wf_poll_next_eta(4000, &p, 0, 1.0), 5000);
  assert_int_equal(snm_wf_poll_next_eta(4000, &p, 1, -1.0), 5000);
  /* the end is expected in 1.2 s: look in half that, not in 5 s */
  assert_int_equal(snm_wf_poll_next_eta(4000, &p, 1, 1.2), 600);
  /* done or nearly: poll at initial_ms, never faster */
  assert_int_equal(snm_wf_poll_next_eta(4000, &p, 1, 0.0), 200);
  assert_int_equal(snm_wf_poll_next_eta(4000, &p, 1, 0.3), 200);
  /* the end is further away than the backoff: the backoff */
  assert_int_equal(snm_wf_poll_next_eta(300, &p, 1, 60.0), 450);
  assert_int_equal(snm_wf_poll_next_eta(0, &p, 1, 60.0), 200);
}

/* Every shard done: the server finalizes the snapshot, and the next look
 * comes within SNM_WF_FINAL_POLL_MS, whatever the interval had grown to. */
static void test_poll_finalizing(void **state)
{
  struct snm_es_snap_status s = {.shards_done = 899, .shards_total = 900};

  (void)state;
  assert_int_equal(snm_wf_snap_finalizing(&s), 0);
  s.shards_done = 900;
  assert_int_equal(snm_wf_snap_finalizing(&s), 1);
  s.shards_done = 898;
  s.shards_failed = 2; /* failed shards are over too */
  assert_int_equal(snm_wf_snap_finalizing(&s), 1);
  s.shards_done = s.shards_failed = s.shards_total = 0; /* nothing known */
  assert_int_equal(snm_wf_snap_finalizing(&s), 0);
  s.shards_failed = -1; /* absent */
  s.shards_total = 3;
  s.shards_done = 2;
  assert_int_equal(snm_wf_snap_finalizing(&s), 0);

  assert_int_equal(snm_wf_poll_snapshot(5000, 1), SNM_WF_FINAL_POLL_MS);
  assert_int_equal(snm_wf_poll_snapshot(5000, 0), 5000);
  assert_int_equal(snm_wf_poll_snapshot(25, 1), 25); /* never slower */
  assert_true(SNM_WF_FINAL_POLL_MS <= 100);
}

/* Near the end by the estimate too: where snm_wf_poll_next_eta would
 * wait initial_ms (half the time left below it), look every
 * SNM_WF_FINAL_POLL_MS instead; finalizing whatever the estimate. */
static void test_poll_near_end(void **state)
{
  struct snm_polling p = {200, 5000, 86400};
  struct snm_es_snap_status done = {.shards_done = 2, .shards_total = 2};
  struct snm_es_snap_status busy = {.shards_done = 1, .shards_total = 2};

  (void)state;
  assert_int_equal(snm_wf_snap_near_end(NULL, 0, 0.0, &p), 0);
  assert_int_equal(snm_wf_snap_near_end(NULL, 1, 0.0, &p), 1);
  assert_int_equal(snm_wf_snap_near_end(NULL, 1, 0.4, &p), 1);
  /* within SNM_WF_NEAR_END_MS (the estimate's own error on a small
   * snapshot is about half a second) */
  assert_int_equal(snm_wf_snap_near_end(NULL, 1, 0.41, &p), 1);
  assert_int_equal(
      snm_wf_snap_near_end(NULL, 1, SNM_WF_NEAR_END_MS / 1000.0, &p), 1);
  assert_int_equal(
      snm_wf_snap_near_end(NULL, 1, SNM_WF_NEAR_END_MS / 1000.0 + 0.01, &p), 0);
  /* a larger initial_ms widens it to 2 * initial_ms */
  {
    struct snm_polling slow = {2000, 5000, 86400};
    assert_int_equal(snm_wf_snap_near_end(NULL, 1, 3.9, &slow), 1);
    assert_int_equal(snm_wf_snap_near_end(NULL, 1, 4.1, &slow), 0);
  }
  assert_int_equal(snm_wf_snap_near_end(NULL, 1, -1.0, &p), 0);
  assert_int_equal(snm_wf_snap_near_end(&busy, 1, 60.0, &p), 0);
  assert_int_equal(snm_wf_snap_near_end(&done, 1, 60.0, &p), 1);
  assert_int_equal(snm_wf_snap_near_end(&done, 0, 0.0, &p), 1);
  /* what the snapshot poll then waits, from a grown interval */
  assert_int_equal(
      snm_wf_poll_snapshot(snm_wf_poll_next_eta(4000, &p, 1, 0.3),
                           snm_wf_snap_near_end(&busy, 1, 0.3, &p)),
      SNM_WF_FINAL_POLL_MS);
  assert_int_equal(
      snm_wf_poll_snapshot(snm_wf_poll_next_eta(4000, &p, 1, 1.2),
                           snm_wf_snap_near_end(&busy, 1, 1.2, &p)),
      600);
}

/* The estimate shrinks with the time since the progress that gave it:
 * polls then close in on the end it predicts (at a 200 ms floor, half of
 * a stale 1 s left was 500 ms, whatever time had passed); an end more
 * than SNM_WF_ETA_OVERRUN_MS past is no estimate at all (the backoff
 * takes over, not 20 looks a second for ever). */
static void test_eta_now(void **state)
{
  struct snm_polling p = {200, 5000, 86400};
  struct snm_es_snap_status busy = {.shards_done = 1, .shards_total = 2};
  double left = -1;

  (void)state;
  assert_int_equal(snm_wf_eta_now(&left, 0, 1.0, 1000, 1000), 0);
  assert_int_equal(snm_wf_eta_now(&left, 1, -1.0, 1000, 1000), 0);
  assert_int_equal(snm_wf_eta_now(&left, 1, 1.0, 1000, 1000), 1);
  assert_true(left > 0.999 && left < 1.001);
  assert_int_equal(snm_wf_eta_now(&left, 1, 1.0, 1000, 1700), 1);
  assert_true(left > 0.299 && left < 0.301);
  /* 0.3 s left: near the end, a look every SNM_WF_FINAL_POLL_MS */
  assert_int_equal(snm_wf_snap_near_end(&busy, 1, left, &p), 1);
  assert_int_equal(
      snm_wf_poll_snapshot(snm_wf_poll_next_eta(500, &p, 1, left),
                           snm_wf_snap_near_end(&busy, 1, left, &p)),
      SNM_WF_FINAL_POLL_MS);
  /* past the predicted end, within the overrun: 0 left, still near */
  assert_int_equal(
      snm_wf_eta_now(&left, 1, 1.0, 1000, 2000 + SNM_WF_ETA_OVERRUN_MS), 1);
  assert_true(left == 0.0);
  assert_int_equal(snm_wf_snap_near_end(&busy, 1, left, &p), 1);
  /* beyond it: unknown */
  assert_int_equal(
      snm_wf_eta_now(&left, 1, 1.0, 1000, 2001 + SNM_WF_ETA_OVERRUN_MS), 0);
  assert_true(SNM_WF_ETA_OVERRUN_MS >= 500 && SNM_WF_ETA_OVERRUN_MS <= 2000);
}

static void mkstate(struct snm_state *st, enum snm_snapshot_state s)
{
  struct snm_state_round *rd;

  snm_state_init(st);
  assert_int_equal(snm_state_set_str(&st->run_id, "RID"), 0);
  assert_int_equal(snm_state_push_round(st, &rd), 0);
  assert_int_equal(snm_state_set_str(&rd->snapshot.name, "snap"), 0);
  assert_int_equal(snm_state_set_str(&rd->snapshot.repository, "repo"), 0);
  rd->snapshot.state = s;
}

static void test_resume_snapshot(void **state)
{
  struct snm_state st;
  char why[512];

  (void)state;
  /* never sent, absent: take it (same name) */
  mkstate(&st, SNM_SNAP_PENDING);
  assert_int_equal(snm_wf_resume_snapshot(&st, 0, 0, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_CREATE);
  /* the PUT may have gone out and it is there: adopt */
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 1, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_ADOPT);
  /* the PUT may have gone out but it is not there: create, same name */
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 0, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_CREATE);
  /* never sent, yet a snapshot of that name exists: someone else's */
  assert_int_equal(snm_wf_resume_snapshot(&st, 0, 1, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_FAIL);
  assert_non_null(strstr(why, "did not take it"));
  assert_non_null(strstr(why, "--fresh"));
  /* ... unless its metadata carries our run id */
  assert_int_equal(snm_wf_resume_snapshot(&st, 0, 1, "RID", why, sizeof(why)),
                   SNM_WF_SNAP_ADOPT);
  /* sent, exists, but another run's id: not ours */
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 1, "OTHER", why, sizeof(why)),
                   SNM_WF_SNAP_FAIL);
  snm_state_dispose(&st);

  /* accepted earlier: adopt when there, take again when gone */
  mkstate(&st, SNM_SNAP_STARTED);
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 1, "RID", why, sizeof(why)),
                   SNM_WF_SNAP_ADOPT);
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 0, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_CREATE);
  snm_state_dispose(&st);

  /* finished earlier and deleted since: stop */
  mkstate(&st, SNM_SNAP_SUCCESS);
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 0, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_FAIL);
  assert_non_null(strstr(why, "no longer"));
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 1, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_ADOPT);
  snm_state_dispose(&st);

  /* a failed snapshot is never retried under the same run */
  mkstate(&st, SNM_SNAP_FAILED);
  assert_int_equal(snm_wf_resume_snapshot(&st, 1, 1, NULL, why, sizeof(why)),
                   SNM_WF_SNAP_FAIL);
  snm_state_dispose(&st);
}

static void test_resume_index(void **state)
{
  (void)state;
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_PENDING, 0),
                   SNM_WF_IX_RESTORE);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_RESTORING, 1),
                   SNM_WF_IX_CHECK);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_RESTORING, 0),
                   SNM_WF_IX_RESTORE);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_RESTORED, 1),
                   SNM_WF_IX_ADOPT);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_VERIFIED, 1),
                   SNM_WF_IX_ADOPT);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_RESTORED, 0),
                   SNM_WF_IX_GONE);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_SKIPPED, 1), SNM_WF_IX_SKIP);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_FAILED, 0),
                   SNM_WF_IX_RESTORE);
  /* an index that exists but that this run may or may not have restored
   * (the POST may have landed late, a failed POST may have been someone
   * else's index): its recovery source decides, never a guess */
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_FAILED, 1), SNM_WF_IX_CHECK);
  assert_int_equal(snm_wf_resume_index(SNM_RESTORE_PENDING, 1),
                   SNM_WF_IX_CHECK);
}

/* Item 11 of the safety issue: "expected 1005010050 found 10051". */
static void test_count_expected_text(void **state)
{
  char b[64];

  (void)state;
  snm_wf_count_expected(b, sizeof(b), 10050, 10050);
  assert_string_equal(b, "10050");
  snm_wf_count_expected(b, sizeof(b), 10050, SNM_STATE_UNKNOWN);
  assert_string_equal(b, "10050");
  snm_wf_count_expected(b, sizeof(b), 10050, 10060);
  assert_string_equal(b, "10050..10060");
  snm_wf_count_expected(b, sizeof(b), 10060, 10050);
  assert_string_equal(b, "10050..10060");
  snm_wf_count_expected(b, sizeof(b), SNM_STATE_UNKNOWN, 7);
  assert_string_equal(b, "unknown");
}

static long long count_of(const char *text, int *rc, char *msg, size_t msgsz)
{
  char ebuf[256];
  yajl_val v = yajl_tree_parse(text, ebuf, sizeof(ebuf));
  struct snm_err err;
  long long n = -42;

  snm_err_clear(&err);
  *rc = snm_es_parse_count(&n, v, &err);
  snprintf(msg, msgsz, "%s", err.msg);
  yajl_tree_free(v);
  return n;
}

/* Item 3: a count that is not a count is an error, never "0" or "skip". */
static void test_parse_count(void **state)
{
  char msg[SNM_ERR_MSG_MAX];
  int rc;

  (void)state;
  assert_int_equal(count_of("{\"count\":10050,\"_shards\":{\"total\":1,"
                            "\"successful\":1,\"skipped\":0,\"failed\":0}}",
                            &rc, msg, sizeof(msg)),
                   10050);
  assert_int_equal(rc, 0);
  assert_int_equal(count_of("{\"count\":0}", &rc, msg, sizeof(msg)), 0);
  assert_int_equal(rc, 0);
  /* a 200 whose body is an error */
  count_of("{\"error\":{\"type\":\"x_exception\",\"reason\":\"boom\"},"
           "\"status\":500}",
           &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  assert_non_null(strstr(msg, "boom"));
  /* not an integer, negative, missing, not an object, no JSON at all */
  count_of("{\"count\":\"many\"}", &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  count_of("{\"count\":1.5}", &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  count_of("{\"count\":-3}", &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  count_of("{\"hits\":3}", &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  count_of("[1]", &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  count_of("not json", &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  /* shards that failed: the count misses their documents */
  count_of("{\"count\":5,\"_shards\":{\"total\":2,\"successful\":1,"
           "\"failed\":1}}",
           &rc, msg, sizeof(msg));
  assert_int_equal(rc, SNM_EPARSE);
  assert_non_null(strstr(msg, "1 of 2 shards failed"));
}

static void test_count_ok(void **state)
{
  (void)state;
  /* unchanged source: exact */
  assert_true(snm_wf_count_ok(100, 100, 100));
  assert_false(snm_wf_count_ok(100, 100, 99));
  assert_false(snm_wf_count_ok(100, 100, 101));
  /* no "after" count: exact with "before" */
  assert_true(snm_wf_count_ok(100, SNM_STATE_UNKNOWN, 100));
  assert_false(snm_wf_count_ok(100, SNM_STATE_UNKNOWN, 101));
  /* changed during the snapshot: between, inclusive, either direction */
  assert_true(snm_wf_count_ok(100, 120, 100));
  assert_true(snm_wf_count_ok(100, 120, 111));
  assert_true(snm_wf_count_ok(100, 120, 120));
  assert_false(snm_wf_count_ok(100, 120, 99));
  assert_false(snm_wf_count_ok(100, 120, 121));
  assert_true(snm_wf_count_ok(120, 100, 110));
  /* unknown counts never pass */
  assert_false(snm_wf_count_ok(SNM_STATE_UNKNOWN, 5, 5));
  assert_false(snm_wf_count_ok(5, 5, SNM_STATE_UNKNOWN));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_poll_warmup),
      cmocka_unit_test(test_poll_sequence),
      cmocka_unit_test(test_poll_interval_eta),
      cmocka_unit_test(test_poll_finalizing),
      cmocka_unit_test(test_poll_near_end),
      cmocka_unit_test(test_eta_now),
      cmocka_unit_test(test_resume_snapshot),
      cmocka_unit_test(test_resume_index),
      cmocka_unit_test(test_count_ok),
      cmocka_unit_test(test_count_expected_text),
      cmocka_unit_test(test_parse_count),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
