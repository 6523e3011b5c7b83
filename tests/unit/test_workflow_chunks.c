/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for index lists in URLs (es_chunk.h): the encoded
 * length matches what snm_es_path sends, the chunking's boundaries (exact
 * fits, one name longer than the limit, empty lists, hundreds of long
 * names), and combining the chunks' recovery and health replies gives what
 * one reply for the whole list would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "es.h"
#include "workflow.h"
#include "es_chunk.h"
#include "es_reply.h"
#include "plan.h"
#include "progress.h"

static yajl_val parse(const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));
  if (v == NULL)
    fail_msg("bad test JSON: %s", errbuf);
  return v;
}

/* The length of the comma-joined list as snm_es_path writes it. */
static size_t path_len(const char *const *names, size_t n)
{
  struct snm_buf b;
  size_t len;

  snm_buf_init(&b, 0);
  assert_int_equal(snm_es_path(&b, "%l", names, n), 0);
  len = b.len;
  snm_buf_dispose(&b);
  return len;
}

static void test_encoded_len(void **state)
{
  const char *names[] = {"logs-2024.01.01", "a/b", "ünï", "x y,z*", "~_.-", ""};
  (void)state;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    assert_int_equal(snm_es_encoded_len(names[i]), path_len(&names[i], 1));
  assert_int_equal(snm_es_encoded_len("a,b"), 5);
}

/* Every chunk is within the limit unless it is one over-long name; the
 * chunks cover the names in order; no two neighbours could be merged. */
static void check_chunks(const char *const *names, size_t n, size_t limit,
                         const size_t *ends, size_t n_chunks)
{
  size_t prev_len = 0;

  assert_true(n_chunks >= 1);
  assert_int_equal(ends[n_chunks - 1], n);
  for (size_t k = 0; k < n_chunks; k++) {
    size_t start = snm_es_chunk_start(ends, k);
    size_t len;

    assert_true(ends[k] > start);
    len = path_len(names + start, ends[k] - start);
    if (ends[k] - start > 1)
      assert_true(len <= limit);
    if (k > 0) /* greedy: the previous chunk could not take this name */
      assert_true(prev_len + 1 + snm_es_encoded_len(names[start]) > limit);
    prev_len = len;
  }
}

static void test_chunk_boundaries(void **state)
{
  const char *four[] = {"aaaa", "bbbb", "cccc", "dddd"};
  const char *long1[] = {"ab", "0123456789abcdef", "cd", "ef"};
  size_t *ends = NULL, n = 99;

  (void)state;
  /* empty list: no chunk */
  assert_int_equal(snm_es_chunk_names(&ends, &n, four, 0, 10), 0);
  assert_null(ends);
  assert_int_equal(n, 0);

  /* "aaaa,bbbb" is exactly 9: fits a limit of 9, not of 8 */
  assert_int_equal(snm_es_chunk_names(&ends, &n, four, 4, 9), 0);
  assert_int_equal(n, 2);
  assert_int_equal(ends[0], 2);
  assert_int_equal(ends[1], 4);
  check_chunks(four, 4, 9, ends, n);
  free(ends);
  assert_int_equal(snm_es_chunk_names(&ends, &n, four, 4, 8), 0);
  assert_int_equal(n, 4);
  check_chunks(four, 4, 8, ends, n);
  free(ends);
  /* everything in one: 19 bytes exactly */
  assert_int_equal(snm_es_chunk_names(&ends, &n, four, 4, 19), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ends[0], 4);
  free(ends);
  assert_int_equal(snm_es_chunk_names(&ends, &n, four, 4, 18), 0);
  assert_int_equal(n, 2);
  assert_int_equal(ends[0], 3);
  free(ends);

  /* a name longer than the limit goes alone; its neighbours do not join */
  assert_int_equal(snm_es_chunk_names(&ends, &n, long1, 4, 10), 0);
  assert_int_equal(n, 3);
  assert_int_equal(ends[0], 1);
  assert_int_equal(ends[1], 2);
  assert_int_equal(ends[2], 4);
  check_chunks(long1, 4, 10, ends, n);
  free(ends);
  /* ... also first and last */
  assert_int_equal(snm_es_chunk_names(&ends, &n, long1 + 1, 1, 10), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ends[0], 1);
  free(ends);
}

/* 300 names of 200 bytes, some needing escapes: every chunk's path stays
 * under SNM_ES_URL_LIST_MAX, while the whole list is far over 4 KB. */
static void test_chunk_many(void **state)
{
  enum { N = 300 };
  char *store[N];
  const char *names[N];
  size_t *ends = NULL, n = 0;

  (void)state;
  for (size_t i = 0; i < N; i++) {
    store[i] = malloc(201);
    assert_non_null(store[i]);
    memset(store[i], 'a' + (char)(i % 26), 200);
    snprintf(store[i], 12, "ix-%04zu%s", i, i % 7 == 0 ? "+é" : "-");
    store[i][strlen(store[i])] = 'q';
    store[i][200] = '\0';
    names[i] = store[i];
  }
  assert_true(path_len(names, N) > 4096);
  assert_int_equal(snm_es_chunk_names(&ends, &n, names, N, SNM_ES_URL_LIST_MAX),
                   0);
  assert_true(n > 1);
  check_chunks(names, N, SNM_ES_URL_LIST_MAX, ends, n);
  for (size_t k = 0; k < n; k++) {
    size_t start = snm_es_chunk_start(ends, k);
    assert_true(path_len(names + start, ends[k] - start) <=
                SNM_ES_URL_LIST_MAX);
  }
  free(ends);
  for (size_t i = 0; i < N; i++)
    free(store[i]);
}

static const char *RECOVERY =
    "{\"a\":{\"shards\":[{\"stage\":\"DONE\",\"index\":{\"size\":"
    "{\"total_in_bytes\":100,\"recovered_in_bytes\":100,\"reused_in_bytes\":0}"
    ",\"files\":{\"total\":4,\"recovered\":4,\"reused\":0}}}]},"
    "\"b\":{\"shards\":[{\"stage\":\"INDEX\",\"index\":{\"size\":"
    "{\"total_in_bytes\":300,\"recovered_in_bytes\":120,\"reused_in_bytes\":0}"
    ",\"files\":{\"total\":6,\"recovered\":2,\"reused\":0}}},"
    "{\"stage\":\"DONE\",\"index\":{\"size\":{\"total_in_bytes\":50,"
    "\"recovered_in_bytes\":0,\"reused_in_bytes\":50},\"files\":{\"total\":1,"
    "\"recovered\":0,\"reused\":1}}}]},"
    "\"c\":{\"shards\":[{\"stage\":\"DONE\",\"index\":{\"size\":"
    "{\"total_in_bytes\":7,\"recovered_in_bytes\":7,\"reused_in_bytes\":0}"
    ",\"files\":{\"total\":1,\"recovered\":1,\"reused\":0}}}]}}";

/* Parsing chunk by chunk and merging equals parsing all at once. */
static void test_recovery_merge(void **state)
{
  const char *names[] = {"a", "b", "c", "d"};
  yajl_val j = parse(RECOVERY);
  struct snm_es_recovery whole, merged = {0}, part;
  struct snm_err err;
  size_t ends[] = {1, 3, 4};

  (void)state;
  assert_int_equal(snm_es_parse_recovery(&whole, j, names, 4, &err), 0);
  assert_int_equal(snm_es_recovery_size(&merged, 4), 0);
  assert_int_equal(merged.bytes_total, 0);
  for (size_t k = 3; k-- > 0;) { /* any order */
    size_t start = snm_es_chunk_start(ends, k);
    assert_int_equal(
        snm_es_parse_recovery(&part, j, names + start, ends[k] - start, &err),
        0);
    snm_es_recovery_merge(&merged, start, &part);
    snm_es_recovery_dispose(&part);
  }
  assert_int_equal(merged.n, whole.n);
  assert_memory_equal(merged.items, whole.items, 4 * sizeof(*whole.items));
  assert_int_equal(merged.bytes_done, whole.bytes_done);
  assert_int_equal(merged.bytes_total, 457);
  assert_int_equal(merged.bytes_total, whole.bytes_total);
  assert_int_equal(merged.files_done, whole.files_done);
  assert_int_equal(merged.files_total, whole.files_total);
  assert_int_equal(merged.indices_done, 2); /* a and c; b busy, d absent */
  assert_int_equal(merged.indices_done, whole.indices_done);
  /* resizing to the same size keeps the items */
  assert_int_equal(snm_es_recovery_size(&merged, 4), 0);
  assert_int_equal(merged.bytes_total, 457);
  snm_es_recovery_dispose(&merged);
  snm_es_recovery_dispose(&whole);
  yajl_tree_free(j);
}

static void test_health_worst(void **state)
{
  char acc[16] = "";

  (void)state;
  snm_wf_health_worst(acc, sizeof(acc), "green");
  assert_string_equal(acc, "green");
  snm_wf_health_worst(acc, sizeof(acc), "yellow");
  assert_string_equal(acc, "yellow");
  snm_wf_health_worst(acc, sizeof(acc), "green");
  assert_string_equal(acc, "yellow");
  snm_wf_health_worst(acc, sizeof(acc), NULL);
  assert_string_equal(acc, "");
  snm_wf_health_worst(acc, sizeof(acc), "red");
  assert_string_equal(acc, "red");
  snm_wf_health_worst(acc, sizeof(acc), "yellow");
  assert_string_equal(acc, "red");
}

/* Does `pattern` (a name, or PREFIX*) match `name`? */
static int matches(const char *pattern, const char *name)
{
  size_t n = strlen(pattern);

  if (n > 0 && pattern[n - 1] == '*')
    return strncmp(pattern, name, n - 1) == 0;
  return strcmp(pattern, name) == 0;
}

/* Every name is matched; the list fits `limit` (one request). */
static void check_cover(const char *const *names, size_t n, char **cover,
                        size_t n_cover, size_t limit)
{
  size_t *ends = NULL, chunks = 0;

  for (size_t i = 0; i < n; i++) {
    int hit = 0;
    for (size_t k = 0; k < n_cover && !hit; k++)
      hit = matches(cover[k], names[i]);
    if (!hit)
      fail_msg("%s is not covered", names[i]);
  }
  assert_int_equal(snm_es_chunk_names(&ends, &chunks,
                                      (const char *const *)cover, n_cover,
                                      limit),
                   0);
  assert_int_equal(chunks, 1);
  assert_true(path_len((const char *const *)cover, n_cover) <= limit);
  free(ends);
}

/* A few patterns stand for thousands of names in one URL: the names
 * themselves when they fit; else prefixes, as long as the URL allows. */
static void test_cover_names(void **state)
{
  const char *few[] = {"copy-b", "copy-a"};
  char **cover = NULL, *names[900];
  size_t n_cover = 0;
  (void)state;

  /* they fit: the names, in their order, no wildcard */
  assert_int_equal(snm_es_cover_names(&cover, &n_cover, few, 2, 3000), 0);
  assert_int_equal(n_cover, 2);
  assert_string_equal(cover[0], "copy-b");
  assert_string_equal(cover[1], "copy-a");
  snm_es_cover_free(cover, n_cover);
  assert_int_equal(snm_es_cover_names(&cover, &n_cover, few, 0, 3000), 0);
  assert_null(cover);
  assert_int_equal(n_cover, 0);

  /* 900 names of 23 bytes (20 KB) in one list of at most 3000 bytes */
  for (size_t i = 0; i < 900; i++) {
    char b[64];
    snprintf(b, sizeof(b), "copy-logs-2026.11-%03zu", i);
    names[i] = strdup(b);
    assert_non_null(names[i]);
  }
  assert_int_equal(snm_es_cover_names(&cover, &n_cover,
                                      (const char *const *)names, 900, 3000),
                   0);
  check_cover((const char *const *)names, 900, cover, n_cover, 3000);
  /* the longest prefix that fits: 90 groups of ten ("...-00*") */
  assert_int_equal(n_cover, 90);
  assert_string_equal(cover[0], "copy-logs-2026.11-00*");
  snm_es_cover_free(cover, n_cover);

  /* a lone name stays itself; a prefix never cuts a UTF-8 character */
  free(names[899]);
  names[899] = strdup("zz-only");
  free(names[898]);
  names[898] = strdup("\xc3\xa9t\xc3\xa9-1");
  free(names[897]);
  names[897] = strdup("\xc3\xa9t\xc3\xa9-2");
  assert_int_equal(snm_es_cover_names(&cover, &n_cover,
                                      (const char *const *)names, 900, 120),
                   0);
  {
    int lone = 0;
    size_t *ends = NULL, chunks = 0;
    for (size_t k = 0; k < n_cover; k++) {
      size_t len = strlen(cover[k]);
      lone |= strcmp(cover[k], "zz-only") == 0;
      /* a pattern's last byte before '*' ends a character */
      if (len >= 2 && cover[k][len - 1] == '*')
        assert_true(((unsigned char)cover[k][len - 2] & 0xC0) != 0xC0);
    }
    assert_true(lone);
    for (size_t i = 0; i < 900; i++) {
      int hit = 0;
      for (size_t k = 0; k < n_cover && !hit; k++)
        hit = matches(cover[k], names[i]);
      assert_true(hit);
    }
    assert_int_equal(snm_es_chunk_names(&ends, &chunks,
                                        (const char *const *)cover, n_cover,
                                        120),
                     0);
    assert_int_equal(chunks, 1);
    free(ends);
  }
  snm_es_cover_free(cover, n_cover);
  for (size_t i = 0; i < 900; i++)
    free(names[i]);
}

/* Parsing a reply read through patterns with every name: the names it
 * lists replace theirs, the others keep what they had. */
static void test_recovery_take_listed(void **state)
{
  const char *names[] = {"a", "b", "c", "d"};
  yajl_val j = parse(RECOVERY);
  struct snm_es_recovery r = {0}, part;
  struct snm_err err;

  (void)state;
  assert_int_equal(snm_es_recovery_size(&r, 4), 0);
  r.items[3].listed = 1; /* d, from an earlier reply */
  r.items[3].shards = r.items[3].shards_done = 1;
  r.items[3].bytes_total = r.items[3].bytes_done = 1000;
  assert_int_equal(snm_es_parse_recovery(&part, j, names, 4, &err), 0);
  snm_es_recovery_take_listed(&r, &part);
  assert_int_equal(r.bytes_total, 1457);
  assert_int_equal(r.indices_done, 3); /* a, c and d */
  assert_int_equal(r.unlisted, 0);
  snm_es_recovery_dispose(&part);
  snm_es_recovery_dispose(&r);
  yajl_tree_free(j);
}

/* Health per index through patterns: other indices (a red one of
 * someone else's) do not count; an index not listed is never reached. */
static void test_health_levels(void **state)
{
  const char *names[] = {"copy-1", "copy-2"};
  unsigned char lv[2] = {0, 0};
  char st[16];
  yajl_val j =
      parse("{\"status\":\"red\",\"indices\":{\"copy-1\":{\"status\":\"green\","
            "\"initializing_shards\":0},\"copy-other\":{\"status\":\"red\"}}}");
  yajl_val k = parse("{\"status\":\"green\",\"indices\":{\"copy-2\":{"
                     "\"status\":\"green\",\"initializing_shards\":1}}}");
  (void)state;

  snm_wf_health_levels(j, names, 2, lv);
  assert_int_equal(lv[0], SNM_WF_HEALTH_GREEN);
  assert_int_equal(lv[1], SNM_WF_HEALTH_UNKNOWN);
  assert_false(
      snm_wf_health_levels_reached(lv, 2, SNM_WAIT_YELLOW, st, sizeof(st)));
  assert_string_equal(st, "red"); /* unknown is never reached */
  snm_wf_health_levels(k, names, 2, lv);
  assert_int_equal(lv[1], SNM_WF_HEALTH_YELLOW); /* still initializing */
  assert_false(
      snm_wf_health_levels_reached(lv, 2, SNM_WAIT_GREEN, st, sizeof(st)));
  assert_string_equal(st, "yellow");
  assert_true(
      snm_wf_health_levels_reached(lv, 2, SNM_WAIT_YELLOW, st, sizeof(st)));
  assert_true(
      snm_wf_health_levels_reached(lv, 0, SNM_WAIT_GREEN, st, sizeof(st)));
  yajl_tree_free(j);
  yajl_tree_free(k);
}

/* The time left counts the indices whose shards have not started: 6 of
 * 900 done is not "almost done". */
static void test_restore_estimate(void **state)
{
  struct snm_es_recovery r = {0};
  (void)state;

  assert_int_equal(snm_es_recovery_size(&r, 900), 0);
  assert_int_equal(snm_wf_restore_bytes_estimate(&r), -1); /* none began */
  for (size_t i = 0; i < 6; i++) {
    r.items[i].listed = 1;
    r.items[i].shards = r.items[i].shards_done = 1;
    r.items[i].bytes_total = r.items[i].bytes_done = 1000;
  }
  snm_es_recovery_merge(&r, 0, NULL);
  assert_int_equal(r.bytes_total, 6000);
  assert_int_equal(snm_wf_restore_bytes_estimate(&r), 900000);
  assert_true(snm_eta_s(r.bytes_done, snm_wf_restore_bytes_estimate(&r),
                        1000.0) > 800.0);
  for (size_t i = 6; i < 900; i++)
    r.items[i].listed = 1, r.items[i].shards = 1, r.items[i].bytes_total = 10;
  snm_es_recovery_merge(&r, 0, NULL);
  assert_int_equal(snm_wf_restore_bytes_estimate(&r), r.bytes_total);
  snm_es_recovery_dispose(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_encoded_len),
      cmocka_unit_test(test_chunk_boundaries),
      cmocka_unit_test(test_chunk_many),
      cmocka_unit_test(test_recovery_merge),
      cmocka_unit_test(test_health_worst),
      cmocka_unit_test(test_cover_names),
      cmocka_unit_test(test_recovery_take_listed),
      cmocka_unit_test(test_health_levels),
      cmocka_unit_test(test_restore_estimate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
