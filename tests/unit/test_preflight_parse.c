/* SPDX-License-Identifier: Apache-2.0 */
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
    fprintf(fp, "%-6s %-22s %3s %s\n", "status", "uuid", "pri", "index");
  for (size_t i = 0; i < N_ROWS; i++) {
    snprintf(size, sizeof(size), "%lld", rows[i].size);
    if (source)
      fprintf(fp, "%-6s %-6s %14s %s\n", rows[i].status, rows[i].health,
              rows[i].size >= 0 ? size : "", rows[i].name);
    else
      fprintf(fp, "%-6s uuid-%-17zu %3zu %s\n", rows[i].status, i, i + 1,
              rows[i].name);
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
  for (size_t i = 0; i < d->n_existing; i++) {
    free(d->existing[i].name);
    free(d->existing[i].uuid);
  }
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
      } else { /* and the source's has no uuid and shard count */
        char uuid[32];
        snprintf(uuid, sizeof(uuid), "uuid-%zu", i);
        assert_string_equal(got.existing[i].health, "");
        assert_true(got.existing[i].pri_bytes == -1);
        assert_string_equal(got.existing[i].uuid, uuid);
        assert_int_equal(got.existing[i].shards, (long)i + 1);
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
      {0, "status uuid pri index\nopen u 1 a\nopen u 1 b",
       "ends in the middle of a line"},
      {0, "[{\"index\":\"a\",\"status\":\"open\"}]\n", "not the table"},
      {0, "<html>Bad gateway</html>\n", "not the table"},
      {0, "open u 1 a\n", "not the table"}, /* no header */
      {0, "status index uuid pri\nopen a u 1\n", "not the table"}, /* order */
      {0, "status uuid pri index x\nopen u 1 a x\n", "other columns"},
      {0, "status index\nopen a\n", "not the table"}, /* before uuid,pri */
      {0, "status\nopen\n", "not the table"},
      {0, "status uuid pri index\nopen\n", "line 2 of the reply: 1 cells"},
      {0, "status uuid pri index\nopen u 1 a\n\n",
       "line 3 of the reply is blank"},
      {0, "status uuid pri index\nopen u 1\n", "line 2 of the reply: 3 cells"},
      {0, "status uuid pri index\nopen u x a\n", "no uuid and shard count"},
      {0, "status uuid pri index\nshut u 1 a\n", "not open or close"},
      /* a name with a newline in it splits into a line of one cell */
      {0, "status uuid pri index\nopen u 1 a\nb\n",
       "line 3 of the reply: 1 cells"},
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

/* A source's listing keeps the indices it resolved only; every line is
 * still checked, so a bad line among those dropped refuses the reply. */
static void test_cat_indices_resolved_only(void **state)
{
  static const char table[] = "status health pri.store.size index\n"
                              "open   green             100 a\n"
                              "close                        b\n"
                              "open   red                 7 c\n";
  static const char bad[] = "status health pri.store.size index\n"
                            "open   green             100 a\n"
                            "shut   green             100 b\n";
  struct snm_preflight pf;
  struct snm_pf_domain d;
  char why[200];
  (void)state;

  memset(&pf, 0, sizeof(pf));
  memset(&d, 0, sizeof(d));
  pf.indices = calloc(3, sizeof(*pf.indices));
  pf.indices[0].name = strdup("a");
  pf.indices[1].name = strdup("bb"); /* "b" is a prefix, not a match */
  pf.indices[2].name = strdup("c");
  pf.n_indices = 3;
  assert_int_equal(snm__pf_parse_cat_indices(&pf, &d, table, strlen(table), 1,
                                             1, why, sizeof(why)),
                   0);
  assert_int_equal(d.existing_known, 1);
  assert_int_equal(d.n_existing, 2);
  assert_string_equal(d.existing[0].name, "a");
  assert_true(d.existing[0].pri_bytes == 100);
  assert_string_equal(d.existing[1].name, "c");
  assert_string_equal(d.existing[1].health, "red");
  domain_free(&d);
  assert_int_equal(snm__pf_parse_cat_indices(&pf, &d, bad, strlen(bad), 1, 1,
                                             why, sizeof(why)),
                   -1);
  assert_non_null(strstr(why, "line 3 of the reply"));
  assert_int_equal(d.existing_known, 0);
  assert_null(d.existing);
  snm_preflight_dispose(&pf);
}

/* A repository's listing: every snapshot counted, only the name the run
 * would take kept (a clash), however often it is listed. */
static void test_cat_snapshots_keep_the_name(void **state)
{
  static const char table[] = "id\nnightly-1\nsnapmig-t-1\nnightly-2\n"
                              "snapmig-t-1\nsnapmig-t-10\n";
  struct snm_preflight pf;
  struct snm_pf_domain d;
  char why[200];
  (void)state;

  memset(&pf, 0, sizeof(pf));
  memset(&d, 0, sizeof(d));
  snprintf(pf.snapshot_name, sizeof(pf.snapshot_name), "snapmig-t-1");
  assert_int_equal(snm__pf_parse_cat_snapshots(&pf, &d, table, strlen(table),
                                               why, sizeof(why)),
                   0);
  assert_int_equal(d.snapshots_listed, 1);
  assert_int_equal(d.snapshots_in_repo, 5);
  assert_int_equal(d.n_snapshots, 2);
  assert_string_equal(d.snapshots[0], "snapmig-t-1");
  assert_string_equal(d.snapshots[1], "snapmig-t-1");
  domain_free(&d);
  /* an empty repository is a header alone */
  assert_int_equal(
      snm__pf_parse_cat_snapshots(&pf, &d, "id\n", 3, why, sizeof(why)), 0);
  assert_int_equal(d.snapshots_listed, 1);
  assert_int_equal(d.snapshots_in_repo, 0);
  domain_free(&d);
  assert_int_equal(snm__pf_parse_cat_snapshots(&pf, &d, "id\nsnapmig-t-1", 14,
                                               why, sizeof(why)),
                   -1);
  assert_int_equal(d.snapshots_listed, 0);
  assert_int_equal(d.snapshots_in_repo, 0);
}

/* ---- GET _data_stream, read as a stream ---------------------------------
 *
 * The tree walk the preflight used before (snm__pf_parse_data_streams on a
 * yajl tree), kept here as the reference: with resolved_only 0 the stream
 * must read every reply exactly as it did. */
struct ds_ref {
  int rc;
  char why[200];
  char names[1024]; /* "a|b|" */
  char pairs[1024]; /* "a>x|a>y|" */
};

static void ds_tree(struct ds_ref *out, const char *body, size_t len)
{
  yajl_val j = len > 0 ? yajl_tree_parse(body, NULL, 0) : NULL;
  yajl_val a = snm_jget(j, "data_streams", (char *)NULL);

  memset(out, 0, sizeof(*out));
  if (j == NULL) {
    out->rc = -1;
    snprintf(out->why, sizeof(out->why), "%s",
             len == 0 ? "the reply is empty" : "the reply is not JSON");
    return;
  }
  if (!YAJL_IS_ARRAY(a)) {
    out->rc = -1;
    snprintf(out->why, sizeof(out->why),
             "the reply has no \"data_streams\" array");
    yajl_tree_free(j);
    return;
  }
  for (size_t i = 0; i < a->u.array.len; i++) {
    yajl_val ds = a->u.array.values[i];
    const char *name = snm_jstr(ds, "name", (char *)NULL);
    yajl_val ix = snm_jget(ds, "indices", (char *)NULL);

    if (name == NULL)
      continue;
    strcat(strcat(out->names, name), "|");
    for (size_t k = 0; YAJL_IS_ARRAY(ix) && k < ix->u.array.len; k++) {
      const char *b = snm_jstr(ix->u.array.values[k], "index_name", (char *)0);
      if (b != NULL)
        strcat(strcat(strcat(strcat(out->pairs, name), ">"), b), "|");
    }
  }
  yajl_tree_free(j);
}

/* The stream's reading of `body`, in the same form (pf is disposed). */
static void ds_stream(struct ds_ref *out, struct snm_preflight *pf,
                      const char *body, size_t len, int resolved_only)
{
  memset(out, 0, sizeof(*out));
  out->rc = snm__pf_parse_data_streams(pf, body, len, resolved_only, out->why,
                                       sizeof(out->why));
  assert_int_equal(pf->nomem, 0);
  if (out->rc != 0) { /* nothing recorded */
    assert_null(pf->data_streams);
    assert_int_equal(pf->n_data_streams, 0);
    assert_null(pf->ds_backing);
    assert_int_equal(pf->n_ds_backing, 0);
  }
  for (size_t i = 0; i < pf->n_data_streams; i++)
    strcat(strcat(out->names, pf->data_streams[i].name), "|");
  for (size_t i = 0; i < pf->n_ds_backing; i++)
    strcat(strcat(strcat(strcat(out->pairs, pf->ds_backing[i].alias), ">"),
                  pf->ds_backing[i].index),
           "|");
  snm_preflight_dispose(pf);
}

#define WITH_NUL(s)                                                            \
  {                                                                            \
    s, sizeof(s) - 1                                                           \
  } /* a body holding a NUL byte */

static const struct {
  const char *body;
  size_t len; /* 0: strlen */
} ds_cases[] = {
    {"{\"data_streams\":[]}", 0},
    {"{\"data_streams\":[{\"name\":\"logs\",\"indices\":[{\"index_name\":"
     "\".ds-logs-000001\",\"index_uuid\":\"u\"},{\"index_name\":"
     "\".ds-logs-000002\"}],\"generation\":2,\"status\":\"GREEN\"},"
     "{\"name\":\"metrics\",\"indices\":[]}]}",
     0},
    /* members in any order; "indices" before "name" */
    {"{\"x\":[{\"name\":\"no\"}],\"data_streams\":[{\"indices\":[{"
     "\"index_name\":\"b1\"}],\"name\":\"late\"}],\"y\":{\"data_streams\":1}}",
     0},
    /* the first member of a name wins, as snm_jget finds it */
    {"{\"data_streams\":[{\"name\":\"a\",\"name\":\"b\",\"indices\":[{"
     "\"index_name\":\"i1\",\"index_name\":\"i2\"}],\"indices\":[{"
     "\"index_name\":\"i3\"}]}],\"data_streams\":[{\"name\":\"c\"}]}",
     0},
    {"{\"data_streams\":5,\"data_streams\":[{\"name\":\"c\"}]}", 0},
    {"{\"data_streams\":[{\"name\":5,\"name\":\"b\",\"indices\":[]}]}", 0},
    /* wrong types inside: skipped, as the tree walk skipped them */
    {"{\"data_streams\":[1,\"s\",null,true,[],[{\"name\":\"in-array\"}],"
     "{\"name\":null},{\"name\":{\"x\":1}},{\"name\":\"ok\",\"indices\":"
     "{\"index_name\":\"not-array\"}},{\"name\":\"ok2\",\"indices\":[1,"
     "\"s\",[{\"index_name\":\"deep\"}],{\"index_name\":7},{\"index_name\":"
     "[\"x\"]},{\"other\":{\"index_name\":\"nested\"}},{\"index_name\":"
     "\"real\"}]}]}",
     0},
    /* huge numbers are no error */
    {"{\"n\":1e999999,\"m\":-99999999999999999999999999999,\"data_streams\":"
     "[{\"name\":\"big\",\"generation\":123456789012345678901234567890,"
     "\"indices\":[{\"index_name\":\"b\",\"x\":1.7976931348623157e309}]}]}",
     0},
    /* comments, as yajl_tree_parse allows them */
    {"/* c */{\"data_streams\":[{\"name\":\"c\" // x\n}]}", 0},
    /* \u0000 ends a name as the tree's C string does */
    {"{\"data_streams\":[{\"name\":\"a\\u0000b\",\"indices\":[{"
     "\"index_name\":\"x\\u0000y\"}]}],\"da\\u0000x\":1}",
     0},
    {"{\"data_\\u0000streams\":[{\"name\":\"k\"}]}", 0},
    /* a NUL byte ends the body for the tree (yajl_tree_parse: strlen) */
    WITH_NUL("{\"data_streams\":[{\"name\":\"z\"}]}\0garbage"),
    WITH_NUL("{\"data_streams\":[{\"name\":\"z\"\0}]}"),
    /* refused */
    {"", 0},
    {"{\"data_streams\":[{\"name\":\"cut\"", 0},
    {"{\"data_streams\":[{\"name\":\"cut\"}", 0},
    {"{\"data_streams\":[]} trailing", 0},
    {"{\"data_streams\":[]}{}", 0},
    {"<html>502 Bad Gateway</html>", 0},
    {"{\"data_streams\":[{\"name\":\"\xff\"}]}", 0}, /* not UTF-8 */
    {"[{\"data_streams\":[]}]", 0},
    {"\"data_streams\"", 0},
    {"{}", 0},
    {"{\"data_streams\":{}}", 0},
    {"{\"data_streams\":null}", 0},
    {"{\"data_streams\":\"[]\"}", 0},
    {"{\"other\":{\"data_streams\":[]}}", 0},
    {"{\"data_streams\":[{\"name\":tru}]}", 0},
    {"{\"data_streams\":[1e]}", 0},
    {"{\"data_streams\":[01]}", 0},
};

static void test_data_streams_as_tree(void **state)
{
  struct snm_preflight pf;
  struct ds_ref want, got;
  (void)state;

  for (size_t i = 0; i < sizeof(ds_cases) / sizeof(ds_cases[0]); i++) {
    const char *body = ds_cases[i].body;
    size_t len = ds_cases[i].len != 0 ? ds_cases[i].len : strlen(body);

    ds_tree(&want, body, len);
    memset(&pf, 0, sizeof(pf));
    ds_stream(&got, &pf, body, len, 0);
    if (got.rc != want.rc || strcmp(got.why, want.why) != 0 ||
        strcmp(got.names, want.names) != 0 ||
        strcmp(got.pairs, want.pairs) != 0)
      fail_msg("case %zu: stream %d \"%s\" [%s] [%s], tree %d \"%s\" [%s] "
               "[%s]",
               i, got.rc, got.why, got.names, got.pairs, want.rc, want.why,
               want.names, want.pairs);
  }
  /* a few of them spelled out, so the reference itself is checked */
  memset(&pf, 0, sizeof(pf));
  ds_stream(&got, &pf, ds_cases[1].body, strlen(ds_cases[1].body), 0);
  assert_int_equal(got.rc, 0);
  assert_string_equal(got.names, "logs|metrics|");
  assert_string_equal(got.pairs, "logs>.ds-logs-000001|logs>.ds-logs-000002|");
  ds_stream(&got, &pf, ds_cases[6].body, strlen(ds_cases[6].body), 0);
  assert_string_equal(got.names, "ok|ok2|");
  assert_string_equal(got.pairs, "ok2>real|");
  ds_stream(&got, &pf, ds_cases[9].body, strlen(ds_cases[9].body), 0);
  assert_string_equal(got.pairs, "a>x|");
  ds_stream(&got, &pf, "{\"data_streams\":[{\"name\":\"c", 25, 0);
  assert_int_equal(got.rc, -1);
  assert_string_equal(got.why, "the reply is not JSON");
  ds_stream(&got, &pf, "{\"data_streams\":{}}", 19, 0);
  assert_string_equal(got.why, "the reply has no \"data_streams\" array");
}

/* Every prefix of a valid reply is refused (a truncated body never reads
 * short), and so is the reply with any one byte changed to a quote. */
static void test_data_streams_truncated(void **state)
{
  const char *body = ds_cases[1].body;
  size_t len = strlen(body);
  struct snm_preflight pf;
  struct ds_ref got, want;
  char *copy = strdup(body);
  (void)state;

  for (size_t n = 0; n < len; n++) {
    memset(&pf, 0, sizeof(pf));
    ds_stream(&got, &pf, body, n, 0);
    if (got.rc != -1)
      fail_msg("a reply cut at %zu of %zu bytes was read", n, len);
  }
  for (size_t k = 0; k < len; k++) {
    memcpy(copy, body, len + 1);
    copy[k] = '"';
    ds_tree(&want, copy, len);
    memset(&pf, 0, sizeof(pf));
    ds_stream(&got, &pf, copy, len, 0);
    if (got.rc != want.rc || strcmp(got.names, want.names) != 0 ||
        strcmp(got.pairs, want.pairs) != 0)
      fail_msg("byte %zu changed: stream %d, tree %d", k, got.rc, want.rc);
  }
  free(copy);
}

/* With resolved_only (what the preflight asks): only the backing indices
 * the source resolved, and the data streams owning one or named by a plan
 * item. */
static void test_data_streams_resolved_only(void **state)
{
  static const char body[] =
      "{\"data_streams\":["
      "{\"name\":\"logs\",\"indices\":[{\"index_name\":\".ds-logs-1\"},"
      "{\"index_name\":\".ds-logs-2\"}]},"
      "{\"name\":\"other\",\"indices\":[{\"index_name\":\".ds-other-1\"}]},"
      "{\"name\":\"empty-named\",\"indices\":[]},"
      "{\"name\":\"web-1\",\"indices\":[]},"
      "{\"name\":\"skip\",\"indices\":[]}]}";
  struct snm_plan plan;
  char *items[] = {"-skip", "+empty-named", "web-*", "_all"};
  struct snm_preflight pf;
  struct ds_ref got;
  (void)state;

  memset(&plan, 0, sizeof(plan));
  plan.snapshot.indices = items;
  plan.snapshot.n_indices = 4;
  memset(&pf, 0, sizeof(pf));
  pf.plan = &plan;
  pf.indices = calloc(2, sizeof(*pf.indices));
  pf.indices[0].name = strdup(".ds-logs-2");
  pf.indices[1].name = strdup("x");
  pf.n_indices = 2;
  ds_stream(&got, &pf, body, strlen(body), 1);
  assert_int_equal(got.rc, 0);
  assert_string_equal(got.names, "logs|empty-named|web-1|");
  assert_string_equal(got.pairs, "logs>.ds-logs-2|");

  /* a refusal is a refusal whatever is kept */
  memset(&pf, 0, sizeof(pf));
  ds_stream(&got, &pf, body, strlen(body) - 1, 1);
  assert_int_equal(got.rc, -1);
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
      cmocka_unit_test(test_cat_indices_resolved_only),
      cmocka_unit_test(test_cat_snapshots_keep_the_name),
      cmocka_unit_test(test_data_streams_as_tree),
      cmocka_unit_test(test_data_streams_truncated),
      cmocka_unit_test(test_data_streams_resolved_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
