/* Unit tests for preflight_parse.c: numbers and settings from server
 * replies turned into facts.  Replies may hold anything: hostile values
 * must give "unknown", never undefined behaviour (the test build runs
 * under UBSan with -fno-sanitize-recover, so an overflow aborts it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"
#include "preflight_int.h"

static void test_usable_watermarks(void **state)
{
  (void)state;
  /* share of the disk that may be used, as a percentage or a ratio */
  assert_int_equal(snm__preflight_usable("90%", 50, 100), 40);
  assert_int_equal(snm__preflight_usable("90.5%", 500, 1000), 405);
  assert_int_equal(snm__preflight_usable("0.9", 50, 100), 40);
  assert_int_equal(snm__preflight_usable("100%", 50, 100), 50);
  assert_int_equal(snm__preflight_usable("0%", 50, 100), 0);
  /* space that must stay free */
  assert_int_equal(snm__preflight_usable("30b", 50, 100), 20);
  assert_int_equal(snm__preflight_usable("1kb", 5000, 10000), 5000 - 1024);
  assert_int_equal(snm__preflight_usable("2GB", 3LL << 30, 4LL << 30),
                   1LL << 30);
  /* less free than must stay free: nothing */
  assert_int_equal(snm__preflight_usable("95%", 2, 100), 0);
  /* the largest sizes: no overflow converting back from double */
  assert_true(snm__preflight_usable("0%", LLONG_MAX, LLONG_MAX) == 0);
  assert_true(snm__preflight_usable("100%", LLONG_MAX, LLONG_MAX) == LLONG_MAX);
  assert_true(snm__preflight_usable("1b", LLONG_MAX, LLONG_MAX) ==
              LLONG_MAX - 1);
}

static void test_usable_hostile(void **state)
{
  static const char *const bad[] = {
      "nan",    "nan%",   "-nan",   "NaN", "inf",  "inf%", "-inf", "1e300",
      "1e300%", "1e30pb", "9e18pb", "-5%", "150%", "1.5",  "-0.1", "-1mb",
      "abc",    "",       "90%x",   "5xb", "0x10", "90 %", "%",
  };
  (void)state;

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    long long u = snm__preflight_usable(bad[i], 1LL << 40, 1LL << 41);
    if (u != -1)
      fail_msg("watermark \"%s\": %lld, want -1 (unknown)", bad[i], u);
  }
}

static void test_sum_disk_saturates(void **state)
{
  struct snm_pf_domain d;
  long long avail[] = {9000000000000000000LL, 9000000000000000000LL};
  long long total[] = {9200000000000000000LL, 9200000000000000000LL};
  (void)state;

  memset(&d, 0, sizeof(d));
  d.node_avail = avail;
  d.node_total = total;
  d.n_nodes = 2;
  d.threshold_enabled = 0;
  snm__preflight_sum_disk(&d);
  assert_true(d.disk_avail == LLONG_MAX);
  assert_true(d.disk_usable == LLONG_MAX);

  d.threshold_enabled = 1;
  snprintf(d.watermark_high, sizeof(d.watermark_high), "1b");
  snm__preflight_sum_disk(&d);
  assert_true(d.disk_avail == LLONG_MAX);
  assert_true(d.disk_usable == LLONG_MAX);

  /* ordinary figures add up */
  avail[0] = 60;
  avail[1] = 70;
  total[0] = total[1] = 100;
  snprintf(d.watermark_high, sizeof(d.watermark_high), "90%%");
  snm__preflight_sum_disk(&d);
  assert_int_equal(d.disk_avail, 130);
  assert_int_equal(d.disk_usable, 50 + 60);

  /* a watermark that is not understood: usable space unknown */
  snprintf(d.watermark_high, sizeof(d.watermark_high), "nan");
  snm__preflight_sum_disk(&d);
  assert_int_equal(d.disk_avail, 130);
  assert_int_equal(d.disk_usable, -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usable_watermarks),
      cmocka_unit_test(test_usable_hostile),
      cmocka_unit_test(test_sum_disk_saturates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
