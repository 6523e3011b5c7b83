/* SPDX-License-Identifier: Apache-2.0 */
/* bench_plan - how long the plan reader (snm_plan_parse, the whole of
 * `snapmig validate` but reading the file) takes on a plan written on one
 * line with many keys.
 *
 *   bench_plan [-o FILE] [MODE [KEYS]]     (defaults: unknown 300000)
 *
 * MODE is the shape of the plan:
 *   unknown    {"snapmig":1,"k0":0,"k1":0,...}: one diagnostic per key
 *   duplicate  {"snapmig":1,"k":0,"k":0,...}: one diagnostic per key
 *   settings   a valid plan whose repository settings hold KEYS keys
 *   scattered  KEYS/2 restores, each with an unknown key, followed by
 *              KEYS/2 unknown top-level keys: problems found out of
 *              source order
 * -o FILE also writes the plan to FILE (to time `snapmig validate FILE`).
 *
 * Prints the plan's size, the number of diagnostics and the seconds taken
 * by the JSON parse alone and by snm_plan_parse (wall and CPU).  A benchmark,
 * not a test: it asserts nothing about speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "json.h"
#include "plan.h"

/* Seconds on `clock`: CLOCK_MONOTONIC (wall) or CLOCK_PROCESS_CPUTIME_ID
 * (CPU, which other work on a shared machine does not inflate). */
static double now_s(clockid_t clock)
{
  struct timespec ts;

  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int build_plan(struct snm_buf *b, const char *mode, long keys)
{
  int rc = 0;

  if (strcmp(mode, "unknown") == 0 || strcmp(mode, "duplicate") == 0) {
    int dup = mode[0] == 'd';

    rc |= snm_buf_puts(b, "{\"snapmig\":1");
    for (long i = 0; i < keys && rc == 0; i++)
      rc |= dup ? snm_buf_puts(b, ",\"k\":0")
                : snm_buf_printf(b, ",\"k%ld\":0", i);
    return rc | snm_buf_puts(b, "}");
  }
  if (strcmp(mode, "settings") == 0) {
    rc |= snm_buf_puts(b, "{\"snapmig\":1,\"name\":\"bench\",\"domains\":{"
                          "\"a\":{\"endpoint\":\"http://a:9200\"},"
                          "\"b\":{\"endpoint\":\"http://b:9200\"}},"
                          "\"repository\":{\"name\":\"r\",\"type\":\"fs\","
                          "\"settings\":{\"location\":\"/x\"");
    for (long i = 0; i < keys && rc == 0; i++)
      rc |= snm_buf_printf(b, ",\"k%ld\":0", i);
    return rc | snm_buf_puts(b, "}},\"snapshot\":{\"domain\":\"a\"},"
                                "\"restores\":[{\"domain\":\"b\"}]}");
  }
  if (strcmp(mode, "scattered") == 0) {
    rc |= snm_buf_puts(b, "{\"snapmig\":1,\"restores\":[");
    for (long i = 0; i < keys / 2 && rc == 0; i++)
      rc |= snm_buf_puts(b, i == 0 ? "{\"x\":0}" : ",{\"x\":0}");
    rc |= snm_buf_puts(b, "]");
    for (long i = 0; i < keys - keys / 2 && rc == 0; i++)
      rc |= snm_buf_printf(b, ",\"k%ld\":0", i);
    return rc | snm_buf_puts(b, "}");
  }
  fprintf(stderr, "bench_plan: unknown mode '%s'\n", mode);
  return -1;
}

int main(int argc, char **argv)
{
  const char *out = NULL, *mode = "unknown";
  long keys = 300000;
  struct snm_buf text;
  struct snm_diag_list diags;
  struct snm_json_doc *doc = NULL;
  struct snm_plan *plan = NULL;
  double t0, c0, t_json, t_plan, c_plan;
  int argi = 1, rc;

  if (argc > 2 && strcmp(argv[1], "-o") == 0) {
    out = argv[2];
    argi = 3;
  }
  if (argi < argc)
    mode = argv[argi++];
  if (argi < argc)
    keys = strtol(argv[argi++], NULL, 10);
  if (argi < argc || keys < 1) {
    fprintf(stderr, "usage: bench_plan [-o FILE] [unknown|duplicate|settings|"
                    "scattered [KEYS]]\n");
    return 2;
  }
  snm_buf_init(&text, 0);
  if (build_plan(&text, mode, keys) != 0) {
    snm_buf_dispose(&text);
    return 2;
  }
  if (out != NULL) {
    FILE *fp = fopen(out, "wb");

    if (fp == NULL || fwrite(text.data, 1, text.len, fp) != text.len ||
        fclose(fp) != 0) {
      perror(out);
      snm_buf_dispose(&text);
      return 1;
    }
  }

  t0 = now_s(CLOCK_MONOTONIC);
  rc = snm_json_parse(&doc, text.data, text.len, NULL, NULL);
  t_json = now_s(CLOCK_MONOTONIC) - t0;
  snm_json_doc_free(doc);
  if (rc != 0) {
    fprintf(stderr, "bench_plan: the generated plan is not JSON\n");
    snm_buf_dispose(&text);
    return 1;
  }

  snm_diag_list_init(&diags);
  t0 = now_s(CLOCK_MONOTONIC);
  c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
  rc = snm_plan_parse(&plan, text.data, text.len, "bench.json", &diags, NULL);
  t_plan = now_s(CLOCK_MONOTONIC) - t0;
  c_plan = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
  printf("%s: %ld keys, %zu bytes on one line: %zu diagnostics (%s); "
         "JSON parse %.3f s, plan parse %.3f s (%.3f s CPU)\n",
         mode, keys, text.len, diags.len, rc == 0 ? "valid" : "invalid", t_json,
         t_plan, c_plan);
  snm_plan_free(plan);
  snm_diag_list_dispose(&diags);
  snm_buf_dispose(&text);
  return 0;
}
