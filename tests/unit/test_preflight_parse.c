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

#include "es.h"
#include "jtree.h"
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

/* ---- _cat tables ----------------------------------------------------------
 */

struct row {
  const char *name, *status, *health;
  long long size; /* -1: null (a closed index) */
};

static const struct row rows[] = {
    {"logs-2024.01.01", "open", "green", 123456},
    {"closed-1", "close", "", -1},
    {"red-1", "open", "red", 0},
    {".kibana_1", "open", "yellow", 9876543210LL},
    {"green", "open", "green", 7}, /* a name that reads like a health */
    {"12345", "close", "red", -1}, /* ... or like a size */
    {"\xc3\xa9t\xc3\xa9", "open", "green", 1},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* The rows as the servers print them with format=json: what the preflight
 * asked for before, and read with a yajl tree. */
static char *rows_json(void)
{
  char *out = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&out, &len);

  fputc('[', fp);
  for (size_t i = 0; i < N_ROWS; i++) {
    fprintf(fp,
            "%s{\"index\":\"%s\",\"status\":\"%s\",\"health\":", i ? "," : "",
            rows[i].name, rows[i].status);
    if (rows[i].health[0])
      fprintf(fp, "\"%s\"", rows[i].health);
    else
      fputs("null", fp);
    if (rows[i].size >= 0)
      fprintf(fp, ",\"pri.store.size\":\"%lld\"}", rows[i].size);
    else
      fputs(",\"pri.store.size\":null}", fp);
  }
  fputc(']', fp);
  fclose(fp);
  return out;
}

/* The same rows as a _cat text table: header, columns padded to the
 * widest cell, numbers right-aligned, an empty cell for null. */
static char *rows_text(int source)
{
  char *out = NULL, size[24];
  size_t len = 0;
  FILE *fp = open_memstream(&out, &len);

  if (source)
    fprintf(fp, "%-6s %-6s %14s %s\n", "status", "health", "pri.store.size",
            "index");
  else
    fprintf(fp, "%-6s %s\n", "status", "index");
  for (size_t i = 0; i < N_ROWS; i++) {
    snprintf(size, sizeof(size), "%lld", rows[i].size);
    if (source)
      fprintf(fp, "%-6s %-6s %14s %s\n", rows[i].status, rows[i].health,
              rows[i].size >= 0 ? size : "", rows[i].name);
    else
      fprintf(fp, "%-6s %s\n", rows[i].status, rows[i].name);
  }
  fclose(fp);
  return out;
}

/* What the JSON reply gave before (the tree walk the preflight used). */
static void existing_from_json(struct snm_pf_domain *d, const char *json)
{
  yajl_val j = yajl_tree_parse(json, NULL, 0);

  assert_non_null(j);
  assert_true(YAJL_IS_ARRAY(j));
  d->existing = calloc(j->u.array.len + 1, sizeof(*d->existing));
  for (size_t i = 0; i < j->u.array.len; i++) {
    yajl_val row = j->u.array.values[i];
    const char *status = snm_jstr(row, "status", (char *)NULL);
    const char *health = snm_jstr(row, "health", (char *)NULL);
    struct snm_pf_existing *e = &d->existing[d->n_existing++];
    e->name = strdup(snm_jstr(row, "index", (char *)NULL));
    e->closed = status != NULL && strcmp(status, "close") == 0;
    snprintf(e->health, sizeof(e->health), "%s", health ? health : "");
    e->pri_bytes = snm_jint(-1, row, "pri.store.size", (char *)NULL);
  }
  d->existing_known = 1;
  yajl_tree_free(j);
}

static void domain_free(struct snm_pf_domain *d)
{
  for (size_t i = 0; i < d->n_existing; i++)
    free(d->existing[i].name);
  free(d->existing);
  for (size_t i = 0; i < d->n_aliases; i++) {
    free(d->aliases[i].alias);
    free(d->aliases[i].index);
  }
  free(d->aliases);
  for (size_t i = 0; i < d->n_snapshots; i++)
    free(d->snapshots[i]);
  free(d->snapshots);
  memset(d, 0, sizeof(*d));
}

static void test_cat_indices_same_as_json(void **state)
{
  struct snm_preflight pf;
  struct snm_pf_domain want, got;
  char *json = rows_json(), why[200];
  (void)state;

  memset(&pf, 0, sizeof(pf));
  memset(&want, 0, sizeof(want));
  existing_from_json(&want, json);
  for (int source = 0; source <= 1; source++) {
    char *text = rows_text(source);
    memset(&got, 0, sizeof(got));
    assert_int_equal(snm__pf_parse_cat_indices(&pf, &got, text, strlen(text),
                                               source, 0, why, sizeof(why)),
                     0);
    assert_int_equal(got.existing_known, 1);
    assert_int_equal(got.n_existing, want.n_existing);
    for (size_t i = 0; i < want.n_existing; i++) {
      assert_string_equal(got.existing[i].name, want.existing[i].name);
      assert_int_equal(got.existing[i].closed, want.existing[i].closed);
      if (source) { /* the target's table has no health and size */
        assert_string_equal(got.existing[i].health, want.existing[i].health);
        assert_true(got.existing[i].pri_bytes == want.existing[i].pri_bytes);
      } else {
        assert_string_equal(got.existing[i].health, "");
        assert_true(got.existing[i].pri_bytes == -1);
      }
    }
    domain_free(&got);
    free(text);
  }
  assert_int_equal(pf.nomem, 0);
  domain_free(&want);
  free(json);
}

static void test_cat_tables_refused(void **state)
{
  static const struct {
    int source;
    const char *body, *why;
  } bad[] = {
      {0, "", "the reply is empty"},
      {0, "status index\nopen a\nopen b", "ends in the middle of a line"},
      {0, "[{\"index\":\"a\",\"status\":\"open\"}]\n", "not the table"},
      {0, "<html>Bad gateway</html>\n", "not the table"},
      {0, "open a\n", "not the table"},               /* no header */
      {0, "index status\nopen a\n", "not the table"}, /* other order */
      {0, "status index uuid\nopen a u\n", "other columns"},
      {0, "status\nopen\n", "not the table"},
      {0, "status index\nopen\n", "line 2 of the reply: 1 cells"},
      {0, "status index\nopen a\n\n", "line 3 of the reply is blank"},
      {0, "status index\nopen a x\n", "line 2 of the reply: 3 cells"},
      {0, "status index\nshut a\n", "not open or close"},
      /* a name with a newline in it splits into a line of one cell */
      {0, "status index\nopen a\nb\n", "line 3 of the reply: 1 cells"},
      {1, "status health pri.store.size index\nopen 12 13 a\n",
       "neither a health nor a size"},
      {1, "status health pri.store.size index\nopen 12 green a\n",
       "neither a health nor a size"},
      {1,
       "status health pri.store.size index\nopen green 1234567890123456789 "
       "a\n",
       "neither a health nor a size"},
      {1, "status health pri.store.size index\nopen toolonghealth 1 a\n",
       "neither a health nor a size"},
  };
  struct snm_preflight pf;
  struct snm_pf_domain d;
  char why[200];
  (void)state;

  memset(&pf, 0, sizeof(pf));
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    memset(&d, 0, sizeof(d));
    why[0] = '\0';
    if (snm__pf_parse_cat_indices(&pf, &d, bad[i].body, strlen(bad[i].body),
                                  bad[i].source, 0, why, sizeof(why)) != -1 ||
        strstr(why, bad[i].why) == NULL)
      fail_msg("case %zu: \"%s\" (want \"%s\")", i, why, bad[i].why);
    /* nothing recorded, and the listing stays unknown */
    assert_null(d.existing);
    assert_int_equal(d.n_existing, 0);
    assert_int_equal(d.existing_known, 0);
  }
}

static void test_cat_aliases_and_snapshots(void **state)
{
  static const char aliases[] = "alias       index\n"
                                "logs        logs-000001\n"
                                "logs        logs-000002\n"
                                ".kibana     .kibana_1\n";
  static const char snapshots[] = "id\nnightly-1\nnightly-2\n";
  struct snm_preflight pf;
  struct snm_pf_domain d;
  char why[200];
  (void)state;

  memset(&pf, 0, sizeof(pf));
  memset(&d, 0, sizeof(d));
  assert_int_equal(snm__pf_parse_cat_aliases(&pf, &d, aliases, strlen(aliases),
                                             0, why, sizeof(why)),
                   0);
  assert_int_equal(d.aliases_known, 1);
  assert_int_equal(d.n_aliases, 3);
  assert_string_equal(d.aliases[1].alias, "logs");
  assert_string_equal(d.aliases[1].index, "logs-000002");
  assert_string_equal(d.aliases[2].alias, ".kibana");
  assert_int_equal(snm__pf_parse_cat_snapshots(
                       &pf, &d, snapshots, strlen(snapshots), why, sizeof(why)),
                   0);
  assert_int_equal(d.snapshots_listed, 1);
  assert_int_equal(d.snapshots_in_repo, 2);
  assert_int_equal(d.n_snapshots, 0); /* none named like the run's */
  domain_free(&d);

  /* none at all is a header alone; no header is not "none" */
  assert_int_equal(snm__pf_parse_cat_aliases(&pf, &d, "alias index\n", 12, 0,
                                             why, sizeof(why)),
                   0);
  assert_int_equal(d.aliases_known, 1);
  assert_int_equal(d.n_aliases, 0);
  domain_free(&d);
  assert_int_equal(
      snm__pf_parse_cat_aliases(&pf, &d, "{}", 2, 0, why, sizeof(why)), -1);
  assert_int_equal(d.aliases_known, 0);
  assert_int_equal(
      snm__pf_parse_cat_snapshots(&pf, &d, "id\na b\n", 7, why, sizeof(why)),
      -1);
  assert_int_equal(d.snapshots_listed, 0);
  assert_null(d.snapshots);

  /* the source keeps the aliases of the indices it resolved only */
  pf.indices = calloc(2, sizeof(*pf.indices));
  pf.indices[0].name = strdup(".kibana_1");
  pf.indices[1].name = strdup("logs-000002");
  pf.n_indices = 2;
  assert_int_equal(snm__pf_parse_cat_aliases(&pf, &d, aliases, strlen(aliases),
                                             1, why, sizeof(why)),
                   0);
  assert_int_equal(d.aliases_known, 1);
  assert_int_equal(d.n_aliases, 2);
  assert_string_equal(d.aliases[0].index, "logs-000002");
  assert_string_equal(d.aliases[1].index, ".kibana_1");
  domain_free(&d);
  snm_preflight_dispose(&pf);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usable_watermarks),
      cmocka_unit_test(test_usable_hostile),
      cmocka_unit_test(test_sum_disk_saturates),
      cmocka_unit_test(test_cat_indices_same_as_json),
      cmocka_unit_test(test_cat_tables_refused),
      cmocka_unit_test(test_cat_aliases_and_snapshots),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
