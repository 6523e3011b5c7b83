/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of sample verification (es_sample.h): the draw's _msearch
 * body and reply, the _mget body, and the comparison, which must count a
 * document equal only when the target returned it with the same _source
 * (whatever the key order), and must refuse a reply that is not the
 * documents asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "buf.h"
#include "es_reply.h"
#include "es_sample.h"
#include "jtree.h"

static yajl_val parse(const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));

  if (v == NULL)
    fail_msg("test JSON does not parse: %s: %s", errbuf, text);
  return v;
}

#define HITS_REPLY(hits)                                                       \
  "{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":2,\"successful\":"   \
  "2,\"skipped\":0,\"failed\":0},\"hits\":{\"hits\":[" hits "]},\"status\":"   \
  "200}"

static void test_draw_body(void **state)
{
  const char *names[] = {"logs-1", "we\"ird\nname"};
  struct snm_buf b;
  size_t taken = 0, lines = 0;
  yajl_val line;
  char *copy, *save = NULL, *tok;

  (void)state;
  snm_buf_init(&b, 0);
  assert_int_equal(snm_es_sample_msearch_body(&b, &taken, names, 2, 7,
                                              SNM_ES_MSEARCH_BODY_MAX),
                   0);
  assert_int_equal(taken, 2);
  /* every line is a JSON document: headers name the index, bodies ask
   * for k random documents with their _source */
  copy = strdup(snm_buf_str(&b));
  for (tok = strtok_r(copy, "\n", &save); tok != NULL;
       tok = strtok_r(NULL, "\n", &save), lines++) {
    line = parse(tok);
    if (lines % 2 == 0) {
      assert_string_equal(snm_jstr(line, "index", NULL), names[lines / 2]);
    } else {
      const char *path[] = {"query", "function_score", "random_score", NULL};
      assert_int_equal(
          YAJL_GET_INTEGER(yajl_tree_get(line, (const char *[]){"size", NULL},
                                         yajl_t_number)),
          7);
      assert_non_null(yajl_tree_get(line, path, yajl_t_object));
      assert_true(YAJL_IS_TRUE(
          yajl_tree_get(line, (const char *[]){"_source", NULL}, yajl_t_true)));
    }
    yajl_tree_free(line);
  }
  assert_int_equal(lines, 4);
  assert_int_equal(b.data[b.len - 1], '\n');
  free(copy);

  /* k is kept within 1..SNM_ES_SAMPLE_K_MAX */
  snm_buf_reset(&b);
  assert_int_equal(
      snm_es_sample_msearch_body(&b, &taken, names, 1, 5000, 1 << 20), 0);
  assert_non_null(strstr(snm_buf_str(&b), "\"size\":1000,"));
  snm_buf_reset(&b);
  assert_int_equal(snm_es_sample_msearch_body(&b, &taken, names, 1, 0, 1 << 20),
                   0);
  assert_non_null(strstr(snm_buf_str(&b), "\"size\":1,"));

  /* a limit below one item still takes the first name, not the second */
  snm_buf_reset(&b);
  assert_int_equal(snm_es_sample_msearch_body(&b, &taken, names, 2, 3, 10), 0);
  assert_int_equal(taken, 1);
  snm_buf_dispose(&b);
}

static void test_draw_reply(void **state)
{
  struct snm_es_sample s[4];
  struct snm_err err = {0};
  yajl_val j = parse(
      "{\"responses\":["
      /* two documents, one routed, keys in some order */
      HITS_REPLY("{\"_index\":\"a\",\"_id\":\"1\",\"_source\":{\"x\":1,"
                 "\"y\":[1,{\"b\":2,\"a\":1}]}},"
                 "{\"_index\":\"a\",\"_id\":\"2\",\"_routing\":\"r7\","
                 "\"_source\":{\"msg\":\"h\\u00e9\"}}") ","
      /* an empty index */
      HITS_REPLY(
          "") ","
              /* an error item */
              "{\"error\":{\"root_cause\":[],\"type\":\"index_not_found_"
              "exception\","
              "\"reason\":\"no such index [c]\"},\"status\":404},"
              /* a shard failed */
              "{\"timed_out\":false,\"_shards\":{\"total\":2,\"successful\":1,"
              "\"failed\":1},\"hits\":{\"hits\":[]},\"status\":200}"
              "]}");

  (void)state;
  memset(s, 0, sizeof(s));
  assert_int_equal(snm_es_parse_sample_msearch(s, 4, j, &err), 0);
  assert_string_equal(s[0].why, "");
  assert_int_equal(s[0].n, 2);
  assert_string_equal(s[0].docs[0].id, "1");
  assert_null(s[0].docs[0].routing);
  assert_true(s[0].docs[0].has_source);
  assert_string_equal(s[0].docs[1].routing, "r7");
  assert_memory_not_equal(s[0].docs[0].digest, s[0].docs[1].digest, 32);
  assert_string_equal(s[1].why, "");
  assert_int_equal(s[1].n, 0);
  assert_int_equal(s[2].n, 0);
  assert_non_null(strstr(s[2].why, "no such index [c]"));
  assert_non_null(strstr(s[2].why, "404"));
  assert_int_equal(s[3].n, 0);
  assert_non_null(strstr(s[3].why, "1 of 2 shards"));
  for (int i = 0; i < 4; i++)
    snm_es_sample_dispose(&s[i]);
  yajl_tree_free(j);

  /* a reply that is not an _msearch reply for these searches */
  {
    const char *bad[] = {"[]", "{\"responses\":{}}",
                         "{\"responses\":[" HITS_REPLY("") "]}",
                         ("{\"error\":{\"type\":\"x\",\"reason\":\"nope\"},"
                          "\"status\":500}")};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
      struct snm_err e2 = {0};
      memset(s, 0, sizeof(s));
      j = parse(bad[k]);
      assert_int_equal(snm_es_parse_sample_msearch(s, 2, j, &e2), SNM_EPARSE);
      assert_int_equal(s[0].n, 0);
      assert_string_not_equal(s[0].why, "");
      assert_string_not_equal(s[1].why, "");
      yajl_tree_free(j);
    }
  }

  /* a hit without _id: that item is not drawn */
  memset(s, 0, sizeof(s));
  j = parse("{\"responses\":[" HITS_REPLY("{\"_source\":{}}") "]}");
  assert_int_equal(snm_es_parse_sample_msearch(s, 1, j, &err), 0);
  assert_int_equal(s[0].n, 0);
  assert_non_null(strstr(s[0].why, "_id"));
  yajl_tree_free(j);
}

/* Draw samples from a reply text. */
static void draw(struct snm_es_sample *s, size_t n, const char *reply)
{
  struct snm_err err = {0};
  yajl_val j = parse(reply);

  memset(s, 0, n * sizeof(*s));
  assert_int_equal(snm_es_parse_sample_msearch(s, n, j, &err), 0);
  yajl_tree_free(j);
}

static void test_mget_body(void **state)
{
  struct snm_es_sample s[3];
  const char *targets[] = {"t-a", "t-b", "t-c"};
  char *body = NULL;
  size_t taken, docs;
  yajl_val j, arr;

  (void)state;
  draw(
      s, 3,
      "{\"responses\":[" HITS_REPLY(
          "{\"_id\":\"1\",\"_source\":{}},"
          "{\"_id\":\"2\",\"_routing\":\"r\",\"_"
          "source\":{}}") "," HITS_REPLY("") "," HITS_REPLY("{\"_id\":"
                                                            "\"q\\\"x\"}") "]"
                                                                           "}");
  assert_int_equal(snm_es_sample_mget_body(&body, &taken, &docs, targets, s, 3),
                   0);
  assert_int_equal(taken, 3);
  assert_int_equal(docs, 3);
  j = parse(body);
  arr = yajl_tree_get(j, (const char *[]){"docs", NULL}, yajl_t_array);
  assert_non_null(arr);
  assert_int_equal(arr->u.array.len, 3);
  assert_string_equal(snm_jstr(arr->u.array.values[0], "_index", NULL), "t-a");
  assert_null(snm_jget(arr->u.array.values[0], "routing", NULL));
  assert_string_equal(snm_jstr(arr->u.array.values[1], "routing", NULL), "r");
  assert_string_equal(snm_jstr(arr->u.array.values[2], "_index", NULL), "t-c");
  assert_string_equal(snm_jstr(arr->u.array.values[2], "_id", NULL), "q\"x");
  /* no _source asked for where the source had none */
  assert_true(YAJL_IS_TRUE(snm_jget(arr->u.array.values[0], "_source", NULL)));
  assert_true(YAJL_IS_FALSE(snm_jget(arr->u.array.values[2], "_source", NULL)));
  yajl_tree_free(j);
  free(body);

  /* only empty samples: nothing to send */
  assert_int_equal(
      snm_es_sample_mget_body(&body, &taken, &docs, targets + 1, s + 1, 1), 0);
  assert_int_equal(taken, 1);
  assert_int_equal(docs, 0);
  assert_string_equal(body, "");
  free(body);
  for (int i = 0; i < 3; i++)
    snm_es_sample_dispose(&s[i]);
}

static void test_mget_body_chunks(void **state)
{
  enum { N = 5, K = 900 };
  struct snm_es_sample s[N];
  const char *targets[N] = {"a", "b", "c", "d", "e"};
  char *body = NULL;
  size_t taken, docs, at = 0, total = 0, requests = 0;

  (void)state;
  memset(s, 0, sizeof(s));
  for (size_t i = 0; i < N; i++) {
    s[i].docs = calloc(K, sizeof(*s[i].docs));
    s[i].n = K;
    for (size_t d = 0; d < K; d++) {
      char id[16];
      snprintf(id, sizeof(id), "%zu", d);
      s[i].docs[d].id = strdup(id);
    }
  }
  /* 2 samples of 900 fit in 2,000 documents, a third does not */
  while (at < N) {
    assert_int_equal(snm_es_sample_mget_body(&body, &taken, &docs, targets + at,
                                             s + at, N - at),
                     0);
    assert_true(taken >= 1);
    assert_true(docs <= SNM_ES_SAMPLE_MGET_DOCS_MAX);
    assert_int_equal(docs, taken * K);
    free(body);
    at += taken;
    total += docs;
    requests++;
  }
  assert_int_equal(total, N * K);
  assert_int_equal(requests, 3);
  for (size_t i = 0; i < N; i++)
    snm_es_sample_dispose(&s[i]);
}

static void test_compare(void **state)
{
  struct snm_es_sample s[2];
  struct snm_es_sample_verdict v[2];
  struct snm_err err = {0};
  yajl_val j;

  (void)state;
  draw(s, 2,
       "{\"responses\":[" HITS_REPLY(
           "{\"_id\":\"1\",\"_source\":{\"a\":1,\"b\":{\"c\":[1,2],"
           "\"d\":\"x\"}}},"
           "{\"_id\":\"2\",\"_source\":{\"n\":1.50}},"
           "{\"_id\":\"3\",\"_source\":{\"s\":\"caf\\u00e9\"}},"
           "{\"_id\":\"4\"}") "," HITS_REPLY("{\"_id\":\"5\",\"_source\":{"
                                             "\"k\":true}},"
                                             "{\"_id\":\"6\",\"_source\":{"
                                             "\"k\":null}}") "]}");

  /* equal whatever the key order and the escapes; numbers as sent */
  memset(v, 0, sizeof(v));
  j = parse("{\"docs\":["
            "{\"_index\":\"t\",\"_id\":\"1\",\"found\":true,\"_source\":"
            "{\"b\":{\"d\":\"x\",\"c\":[1,2]},\"a\":1}},"
            "{\"_index\":\"t\",\"_id\":\"2\",\"found\":true,\"_source\":"
            "{\"n\":1.50}},"
            "{\"_index\":\"t\",\"_id\":\"3\",\"found\":true,\"_source\":"
            "{\"s\":\"caf\xc3\xa9\"}},"
            "{\"_index\":\"t\",\"_id\":\"4\",\"found\":true},"
            "{\"_index\":\"u\",\"_id\":\"5\",\"found\":true,\"_source\":"
            "{\"k\":true}},"
            "{\"_index\":\"u\",\"_id\":\"6\",\"found\":true,\"_source\":"
            "{\"k\":null}}]}");
  assert_int_equal(snm_es_sample_check_mget(v, s, 2, j, &err), 0);
  assert_int_equal(v[0].equal, 4);
  assert_int_equal(v[1].equal, 2);
  assert_int_equal(v[0].missing + v[0].differ + v[0].unknown, 0);
  assert_string_equal(v[0].first, "");
  yajl_tree_free(j);

  /* every way a document can differ */
  memset(v, 0, sizeof(v));
  j = parse("{\"docs\":["
            /* a value changed deep inside */
            "{\"_id\":\"1\",\"found\":true,\"_source\":"
            "{\"b\":{\"d\":\"x\",\"c\":[2,1]},\"a\":1}},"
            /* 1.50 is not 1.5: the target sent other bytes */
            "{\"_id\":\"2\",\"found\":true,\"_source\":{\"n\":1.5}},"
            /* gone */
            "{\"_id\":\"3\",\"found\":false},"
            /* the target could not read it */
            "{\"_id\":\"4\",\"error\":{\"type\":\"x\",\"reason\":\"shard "
            "not available\"}},"
            /* a key more */
            "{\"_id\":\"5\",\"found\":true,\"_source\":{\"k\":true,\"z\":1}},"
            /* no _source where the source had one */
            "{\"_id\":\"6\",\"found\":true}]}");
  assert_int_equal(snm_es_sample_check_mget(v, s, 2, j, &err), 0);
  assert_int_equal(v[0].equal, 0);
  assert_int_equal(v[0].differ, 2);
  assert_int_equal(v[0].missing, 1);
  assert_int_equal(v[0].unknown, 1);
  assert_string_equal(v[0].first, "_id \"1\": _source differs");
  assert_int_equal(v[1].differ, 2);
  assert_string_equal(v[1].first, "_id \"5\": _source differs");
  yajl_tree_free(j);

  /* the verdicts accumulate over requests; `first` stays the first */
  j = parse(
      "{\"docs\":["
      "{\"_id\":\"1\",\"found\":true,\"_source\":{\"a\":1,\"b\":{\"c\":"
      "[1,2],\"d\":\"x\"}}},"
      "{\"_id\":\"2\",\"found\":false},"
      "{\"_id\":\"3\",\"found\":true,\"_source\":{\"s\":\"caf\xc3\xa9\"}},"
      "{\"_id\":\"4\",\"found\":true},"
      "{\"_id\":\"5\",\"found\":true,\"_source\":{\"k\":true}},"
      "{\"_id\":\"6\",\"found\":true,\"_source\":{\"k\":null}}]}");
  assert_int_equal(snm_es_sample_check_mget(v, s, 2, j, &err), 0);
  assert_int_equal(v[0].equal, 3);
  assert_int_equal(v[0].missing, 2);
  assert_string_equal(v[0].first, "_id \"1\": _source differs");
  yajl_tree_free(j);

  /* replies that are not the documents asked for: no verdict at all */
  {
    const char *bad[] = {
        "[]", "{\"docs\":{}}",
        "{\"error\":{\"type\":\"x\",\"reason\":\"boom\"},\"status\":500}",
        /* one short */
        "{\"docs\":[{\"_id\":\"1\",\"found\":true}]}",
        /* the right number, another document */
        ("{\"docs\":[{\"_id\":\"1\",\"found\":true},{\"_id\":\"2\"},{\"_id\":"
         "\"3\"},{\"_id\":\"4\"},{\"_id\":\"5\"},{\"_id\":\"7\"}]}")};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
      memset(v, 0, sizeof(v));
      j = parse(bad[k]);
      assert_int_equal(snm_es_sample_check_mget(v, s, 2, j, &err), SNM_EPARSE);
      assert_int_equal(v[0].equal + v[0].missing + v[0].differ, 0);
      assert_int_equal(v[1].equal + v[1].missing + v[1].differ, 0);
      yajl_tree_free(j);
    }
    j = parse(bad[2]);
    assert_int_equal(snm_es_sample_check_mget(v, s, 2, j, &err), SNM_EPARSE);
    assert_non_null(strstr(err.msg, "boom"));
    yajl_tree_free(j);
  }
  for (int i = 0; i < 2; i++)
    snm_es_sample_dispose(&s[i]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_draw_body), cmocka_unit_test(test_draw_reply),
      cmocka_unit_test(test_mget_body), cmocka_unit_test(test_mget_body_chunks),
      cmocka_unit_test(test_compare),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
