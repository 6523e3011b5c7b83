/* SPDX-License-Identifier: Apache-2.0 */
/* bench_http - throughput and latency of the HTTP engine against a real
 * server: N GET requests with at most C in flight on one libuv loop.
 *
 *   bench_http URL [N [C]]      (defaults: N 2000, C 32)
 *
 * Prints requests/s and latency percentiles.  A benchmark, not a test: it
 * asserts nothing about speed. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "err.h"
#include "http.h"

struct bench {
  uv_loop_t loop;
  struct snm_http *http;
  const char *url;
  long total, started, finished, failed, non2xx;
  long concurrency;
  double *lat_ms; /* malloced, total entries */
  uint64_t t0;
  int closed;
};

struct one {
  struct bench *b;
  uint64_t start;
};

static void start_one(struct bench *b);

static void on_done(struct snm_http_response *resp, const struct snm_err *err,
                    void *data)
{
  struct one *o = data;
  struct bench *b = o->b;

  b->lat_ms[b->finished++] = (double)(uv_hrtime() - o->start) / 1e6;
  if (resp == NULL) {
    if (b->failed++ == 0)
      fprintf(stderr, "bench_http: first failure: %s\n", err->msg);
  } else if (resp->status < 200 || resp->status > 299) {
    b->non2xx++;
  }
  free(o);
  if (b->started < b->total)
    start_one(b);
}

static void start_one(struct bench *b)
{
  struct snm_http_request req = {0};
  struct snm_err err;
  struct one *o = malloc(sizeof(*o));

  if (o == NULL) {
    fprintf(stderr, "bench_http: out of memory\n");
    exit(1);
  }
  o->b = b;
  o->start = uv_hrtime();
  req.method = "GET";
  req.url = b->url;
  req.label = "bench";
  b->started++;
  if (snm_http_send(b->http, &req, on_done, o, NULL, &err) != 0) {
    fprintf(stderr, "bench_http: %s\n", err.msg);
    exit(1);
  }
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void on_closed(void *data)
{
  ((struct bench *)data)->closed = 1;
}

int main(int argc, char **argv)
{
  struct bench b = {0};
  struct snm_http_opts opts = {0};
  struct snm_err err;
  double secs;

  if (argc < 2) {
    fprintf(stderr, "usage: bench_http URL [N [CONCURRENCY]]\n");
    return 2;
  }
  b.url = argv[1];
  b.total = argc > 2 ? atol(argv[2]) : 2000;
  b.concurrency = argc > 3 ? atol(argv[3]) : 32;
  if (b.total <= 0 || b.concurrency <= 0) {
    fprintf(stderr, "bench_http: N and CONCURRENCY must be positive\n");
    return 2;
  }
  b.lat_ms = calloc((size_t)b.total, sizeof(double));
  if (b.lat_ms == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
      uv_loop_init(&b.loop) != 0)
    return 1;
  opts.max_host_connections = b.concurrency;
  opts.max_total_connections = b.concurrency;
  if (snm_http_new(&b.http, &b.loop, &opts, &err) != 0) {
    fprintf(stderr, "bench_http: %s\n", err.msg);
    return 1;
  }
  b.t0 = uv_hrtime();
  for (long i = 0; i < b.concurrency && b.started < b.total; i++)
    start_one(&b);
  uv_run(&b.loop, UV_RUN_DEFAULT);
  secs = (double)(uv_hrtime() - b.t0) / 1e9;
  snm_http_close(b.http, on_closed, &b);
  uv_run(&b.loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&b.loop) != 0 || !b.closed)
    fprintf(stderr, "bench_http: the loop did not close cleanly\n");
  qsort(b.lat_ms, (size_t)b.finished, sizeof(double), cmp_double);
  printf("requests %ld  concurrency %ld  failed %ld  non-2xx %ld\n", b.total,
         b.concurrency, b.failed, b.non2xx);
  printf("elapsed %.3f s  throughput %.0f req/s\n", secs,
         (double)b.finished / secs);
  printf("latency ms  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
         b.lat_ms[b.finished / 2], b.lat_ms[b.finished * 9 / 10],
         b.lat_ms[b.finished * 99 / 100], b.lat_ms[b.finished - 1]);
  free(b.lat_ms);
  curl_global_cleanup();
  return b.failed == 0 ? 0 : 1;
}
