/* preflight_parse.c - the pure part of reading replies: numbers and
 * settings from the servers turned into facts, with every value checked,
 * since a reply may hold anything.  No I/O. */
#include "es.h"
#include "preflight.h"
#include "preflight_int.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

long snm__preflight_open_shards(yajl_val health)
{
  static const char *const keys[] = {"active_shards", "initializing_shards",
                                     "unassigned_shards"};
  long sum = 0;

  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    yajl_val v = snm_jget(health, keys[i], (char *)NULL);
    long long n = v != NULL ? snm_jint(-1, v, (char *)NULL) : 0;
    if (n < 0 || n > LONG_MAX - sum)
      return -1;
    sum += (long)n;
  }
  return sum;
}

/* A byte count computed in double, rounded; `over` when it does not fit
 * a long long (every double from 2^63 up, and NaN). */
static long long bytes_of(double x, long long over)
{
  if (!(x >= 0.0 && x < 9223372036854775808.0))
    return over;
  x = x + 0.5 < 9223372036854775808.0 ? x + 0.5 : x;
  return (long long)x;
}

long long snm__preflight_usable(const char *high, long long avail,
                                long long total)
{
  static const char *const units[][2] = {{"b", "b"},  {"kb", "k"}, {"mb", "m"},
                                         {"gb", "g"}, {"tb", "t"}, {"pb", "p"}};
  const size_t n_units = sizeof(units) / sizeof(units[0]);
  long long keep_free;
  double x, mult = 1;
  char *end;
  size_t u;

  if (avail < 0 || total < 0)
    return -1;
  x = strtod(high, &end);
  if (end == high || !isfinite(x) || x < 0)
    return -1;
  if (strcmp(end, "%") == 0) {
    if (x > 100)
      return -1;
    /* a share of at most `total`: only rounding can pass 2^63 */
    keep_free = bytes_of((double)total * (100.0 - x) / 100.0, LLONG_MAX);
  } else if (*end == '\0') {
    if (x > 1)
      return -1;
    keep_free =
        bytes_of((double)total * (100.0 - x * 100.0) / 100.0, LLONG_MAX);
  } else {
    for (u = 0; u < n_units; u++, mult *= 1024)
      if (strcasecmp(end, units[u][0]) == 0 ||
          strcasecmp(end, units[u][1]) == 0)
        break;
    if (u == n_units)
      return -1;
    keep_free = bytes_of(x * mult, -1);
  }
  if (keep_free < 0)
    return -1;
  return avail > keep_free ? avail - keep_free : 0;
}

void snm__preflight_sum_disk(struct snm_pf_domain *d)
{
  const char *high = d->watermark_high[0] ? d->watermark_high : "90%";

  if (d->node_avail == NULL || d->n_nodes == 0)
    return;
  d->disk_avail = d->disk_usable = 0;
  for (size_t k = 0; k < d->n_nodes; k++) {
    long long u =
        d->threshold_enabled == 0
            ? d->node_avail[k]
            : snm__preflight_usable(high, d->node_avail[k], d->node_total[k]);
    d->disk_avail = snm__sat_add(d->disk_avail, d->node_avail[k]);
    if (u < 0 || d->disk_usable < 0)
      d->disk_usable = -1; /* one node unknown: the sum is too */
    else
      d->disk_usable = snm__sat_add(d->disk_usable, u);
  }
}
