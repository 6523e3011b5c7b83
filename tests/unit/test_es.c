/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for es.c: paths, error reasons, GET / parsing, JSON helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jtree.h"
#include "err.h"
#include "es.h"

static void test_path_encodes_names(void **state)
{
  struct snm_buf b;
  const char *idx[] = {"logs-*", "-logs-debug-*", "<logs-{now/d}>", "é,x"};
  (void)state;

  snm_buf_init(&b, 0);
  assert_int_equal(snm_es_path(&b, "/_snapshot/%s/%s?wait_for_completion=false",
                               "my repo", "snap:1"),
                   0);
  assert_string_equal(snm_buf_str(&b), "/_snapshot/my%20repo/snap%3A1"
                                       "?wait_for_completion=false");
  snm_buf_reset(&b);
  assert_int_equal(snm_es_path(&b, "/%l/_count", idx, (size_t)4), 0);
  assert_string_equal(snm_buf_str(&b),
                      "/logs-%2A,-logs-debug-%2A,%3Clogs-%7Bnow%2Fd%7D%3E,"
                      "%C3%A9%2Cx/_count");
  snm_buf_reset(&b);
  assert_int_equal(snm_es_path(&b, "/100%%"), 0);
  assert_string_equal(snm_buf_str(&b), "/100%");
  assert_int_equal(snm_es_path(&b, "/%d", 3), SNM_EINVAL);
  snm_buf_dispose(&b);
}

static char *reason_of(const char *body)
{
  struct snm_buf b;
  yajl_val json = yajl_tree_parse(body, NULL, 0);

  snm_buf_init(&b, 0);
  assert_int_equal(snm_es_error_reason(&b, json, body, strlen(body)), 0);
  yajl_tree_free(json);
  return snm_buf_steal(&b);
}

static void test_error_reason(void **state)
{
  char *s;
  (void)state;

  s = reason_of("{\"error\":{\"root_cause\":[{\"type\":\"index_not_found_"
                "exception\",\"reason\":\"no such index [x]\"}],\"type\":"
                "\"index_not_found_exception\",\"reason\":\"no such index "
                "[x]\"},\"status\":404}");
  assert_string_equal(s, "index_not_found_exception: no such index [x]");
  free(s);
  /* A wrapper exception: the root cause says more. */
  s = reason_of("{\"error\":{\"root_cause\":[{\"type\":\"repository_"
                "verification_exception\",\"reason\":\"[r] path is not "
                "accessible\"}],\"type\":\"repository_exception\",\"reason\":"
                "\"[r] failed\"}}");
  assert_string_equal(s, "repository_verification_exception: [r] path is "
                         "not accessible");
  free(s);
  s = reason_of("{\"Message\":\"User: anonymous is not authorized to "
                "perform: es:ESHttpGet\"}");
  assert_string_equal(s, "User: anonymous is not authorized to perform: "
                         "es:ESHttpGet");
  free(s);
  s = reason_of("{\"error\":\"Incorrect HTTP method\"}");
  assert_string_equal(s, "Incorrect HTTP method");
  free(s);
  s = reason_of("<html><body>502 Bad Gateway</body></html>\nmore");
  assert_string_equal(s, "<html><body>502 Bad Gateway</body></html>");
  free(s);
  s = reason_of("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                "SignatureDoesNotMatch</Code><Message>The request signature "
                "we calculated does not match</Message></Error>");
  assert_string_equal(s, "SignatureDoesNotMatch: The request signature we "
                         "calculated does not match");
  free(s);
  /* control characters from the server do not reach a terminal */
  s = reason_of("{\"error\":{\"type\":\"x\\u001b[31m\",\"reason\":\"bad\\n"
                "\\u001b[2Jthing\\u007f\"}}");
  assert_string_equal(s, "x?[31m: bad??[2Jthing?");
  free(s);
  s = reason_of("{\"Message\":\"no\\r\\nsnapmig: fake\"}");
  assert_string_equal(s, "no??snapmig: fake");
  free(s);
  s = reason_of("<html>\033[31mred\tpage\r\nmore");
  assert_string_equal(s, "<html>?[31mred?page");
  free(s);
  s = reason_of("<Error><Code>A\033B</Code><Message>m\nn</Message></Error>");
  assert_string_equal(s, "A?B: m?n");
  free(s);
  s = reason_of("{\"acknowledged\":true}");
  assert_string_equal(s, "");
  free(s);
}

static void test_parse_info(void **state)
{
  struct snm_es_info info;
  struct snm_err err;
  yajl_val os = yajl_tree_parse(
      "{\"cluster_name\":\"c1\",\"version\":{\"distribution\":\"opensearch\","
      "\"number\":\"2.19.1\"}}",
      NULL, 0);
  yajl_val es = yajl_tree_parse(
      "{\"cluster_name\":\"old\",\"version\":{\"number\":\"7.10.2\"}}", NULL,
      0);
  yajl_val bad = yajl_tree_parse("{\"ok\":1}", NULL, 0);
  (void)state;

  assert_int_equal(snm_es_parse_info(&info, os, "src", &err), 0);
  assert_int_equal(info.version.engine, SNM_ENGINE_OPENSEARCH);
  assert_int_equal(info.version.minor, 19);
  assert_string_equal(info.cluster_name, "c1");
  assert_int_equal(snm_es_parse_info(&info, es, "old", &err), 0);
  assert_int_equal(info.version.engine, SNM_ENGINE_ELASTICSEARCH);
  assert_string_equal(info.number, "7.10.2");
  assert_int_equal(snm_es_parse_info(&info, bad, "x", &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, "x: GET / did not report a version"));
  yajl_tree_free(os);
  yajl_tree_free(es);
  yajl_tree_free(bad);
}

static void test_json_helpers(void **state)
{
  yajl_val v = yajl_tree_parse(
      "{\"a\":{\"b\":\"12\",\"c\":7,\"d\":\"x\",\"e\":2.5}}", NULL, 0);
  (void)state;

  assert_int_equal(snm_jint(-1, v, "a", "b", (char *)NULL), 12);
  assert_int_equal(snm_jint(-1, v, "a", "c", (char *)NULL), 7);
  assert_int_equal(snm_jint(-1, v, "a", "d", (char *)NULL), -1);
  /* a fraction is not an integer */
  assert_int_equal(snm_jint(-1, v, "a", "e", (char *)NULL), -1);
  assert_int_equal(snm_jint(-1, v, "a", "zz", (char *)NULL), -1);
  assert_string_equal(snm_jstr(v, "a", "d", (char *)NULL), "x");
  assert_null(snm_jstr(v, "a", "c", (char *)NULL));
  assert_null(snm_jget(v, "a", "b", "c", (char *)NULL));
  assert_non_null(snm_jget(v, "a", (char *)NULL));
  yajl_tree_free(v);
}

static void test_jint_out_of_range(void **state)
{
  /* yajl keeps numbers it cannot hold in a long long as doubles only */
  yajl_val v = yajl_tree_parse(
      "{\"big\":1e300,\"huge\":99999999999999999999,\"neg\":-1e19,"
      "\"exp\":1e3,\"negexp\":-2E2,\"edge\":9223372036854775807,"
      "\"two63\":9223372036854775808,\"s\":\"99999999999999999999\","
      "\"sneg\":\"-99999999999999999999\",\"smax\":\"9223372036854775807\"}",
      NULL, 0);
  (void)state;

  assert_non_null(v);
  assert_int_equal(snm_jint(-7, v, "big", (char *)NULL), -7);
  assert_int_equal(snm_jint(-7, v, "huge", (char *)NULL), -7);
  assert_int_equal(snm_jint(-7, v, "neg", (char *)NULL), -7);
  assert_int_equal(snm_jint(-7, v, "two63", (char *)NULL), -7);
  assert_int_equal(snm_jint(-7, v, "s", (char *)NULL), -7);
  assert_int_equal(snm_jint(-7, v, "sneg", (char *)NULL), -7);
  /* integral doubles in range, and the extremes, are numbers */
  assert_int_equal(snm_jint(-7, v, "exp", (char *)NULL), 1000);
  assert_int_equal(snm_jint(-7, v, "negexp", (char *)NULL), -200);
  assert_true(snm_jint(-7, v, "edge", (char *)NULL) == 9223372036854775807LL);
  assert_true(snm_jint(-7, v, "smax", (char *)NULL) == 9223372036854775807LL);
  yajl_tree_free(v);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_encodes_names),
      cmocka_unit_test(test_error_reason),
      cmocka_unit_test(test_parse_info),
      cmocka_unit_test(test_json_helpers),
      cmocka_unit_test(test_jint_out_of_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
