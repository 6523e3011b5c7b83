/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for sigv4.c's rules: paths that index and snapshot names
 * carry, percent-encoding, normalisation, the canonical query and headers,
 * session tokens, payload options, time parsing and error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------- */

static struct snm_sigv4_params base_params(const char *service, time_t when)
{
  struct snm_sigv4_params p;

  memset(&p, 0, sizeof(p));
  p.access_key_id = "AKIDEXAMPLE";
  p.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  p.region = "us-east-1";
  p.service = service;
  p.when = when;
  p.expires = 3600;
  return p;
}

static time_t at(const char *iso)
{
  time_t t = 0;

  assert_int_equal(snm_sigv4_parse_time(&t, iso, 0, NULL), 0);
  return t;
}

/* Sign method+path with a Host header and optional extra headers. */
static int sign_simple(struct snm_sigv4_result *res, const char *method,
                       const char *path, const struct snm_sigv4_params *p,
                       struct snm_err *err)
{
  struct snm_sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
  struct snm_sigv4_request r;

  memset(&r, 0, sizeof(r));
  r.method = method;
  r.path = path;
  r.headers = h;
  r.n_headers = 1;
  return snm_sigv4_sign(res, &r, p, err);
}

/* Canonical URI (second line of the canonical request) for `path`. */
static char *canonical_uri(const char *path, int s3_rules)
{
  struct snm_sigv4_params p = base_params("es", at("2015-08-30T12:36:00Z"));
  struct snm_sigv4_result res;
  char *line;

  p.s3_rules = s3_rules;
  assert_int_equal(sign_simple(&res, "GET", path, &p, NULL), 0);
  line = snm_test_line_of(res.canonical_request, 1);
  snm_sigv4_result_dispose(&res);
  return line;
}

static char *canonical_query(const char *path)
{
  struct snm_sigv4_params p = base_params("es", at("2015-08-30T12:36:00Z"));
  struct snm_sigv4_result res;
  char *line;

  assert_int_equal(sign_simple(&res, "GET", path, &p, NULL), 0);
  line = snm_test_line_of(res.canonical_request, 2);
  snm_sigv4_result_dispose(&res);
  return line;
}

static char *encode(const char *s, int encode_slash)
{
  struct snm_buf b;

  snm_buf_init(&b, 0);
  assert_int_equal(snm_sigv4_uri_encode(&b, s, strlen(s), encode_slash), 0);
  return snm_buf_steal(&b);
}

/* ---- paths real index and snapshot names carry ------------------------ */

/* Build "/<seg>/_search" the way es.c must, then check what is signed:
 * non-S3 encodes the sent path again, S3 signs it unchanged. */
static void check_index_path(const char *index, const char *sent_want,
                             const char *canon_want)
{
  char *seg = encode(index, 1), *canon;
  struct snm_buf path;

  snm_buf_init(&path, 0);
  assert_int_equal(snm_buf_printf(&path, "/%s/_search", seg), 0);
  assert_string_equal(snm_buf_str(&path), sent_want);
  canon = canonical_uri(snm_buf_str(&path), 0);
  assert_string_equal(canon, canon_want);
  free(canon);
  canon = canonical_uri(snm_buf_str(&path), 1);
  assert_string_equal(canon, sent_want);
  free(canon);
  free(seg);
  snm_buf_dispose(&path);
}

static void test_tricky_index_paths(void **state)
{
  (void)state;
  check_index_path("<logs-{now/d}>", "/%3Clogs-%7Bnow%2Fd%7D%3E/_search",
                   "/%253Clogs-%257Bnow%252Fd%257D%253E/_search");
  check_index_path("a,b*", "/a%2Cb%2A/_search", "/a%252Cb%252A/_search");
  check_index_path("snap:2024", "/snap%3A2024/_search",
                   "/snap%253A2024/_search");
  check_index_path("100%", "/100%25/_search", "/100%2525/_search");
  check_index_path("caf\xc3\xa9", "/caf%C3%A9/_search",
                   "/caf%25C3%25A9/_search");
  check_index_path("-._~", "/-._~/_search", "/-._~/_search");
}

static void test_sign_consistently(void **state)
{
  struct snm_sigv4_params p = base_params("es", at("2024-01-02T03:04:05Z"));
  struct snm_sigv4_result a, b;
  char *seg = encode("<logs-{now/d}>", 1);
  struct snm_buf path;
  (void)state;

  snm_buf_init(&path, 0);
  assert_int_equal(snm_buf_printf(&path, "/%s/_search?q=%s", seg, seg), 0);
  assert_int_equal(sign_simple(&a, "GET", snm_buf_str(&path), &p, NULL), 0);
  assert_int_equal(sign_simple(&b, "GET", snm_buf_str(&path), &p, NULL), 0);
  assert_string_equal(a.signature, b.signature);
  assert_string_equal(a.canonical_request, b.canonical_request);
  snm_sigv4_result_dispose(&b);
  /* the raw (unencoded) name is a different request and signature */
  assert_int_equal(
      sign_simple(&b, "GET", "/<logs-{now/d}>/_search?q=x", &p, NULL), 0);
  assert_string_not_equal(a.signature, b.signature);
  snm_sigv4_result_dispose(&b);
  /* a query value is decoded and encoded again: same text */
  {
    char *q = snm_test_line_of(a.canonical_request, 2);

    assert_string_equal(q, "q=%3Clogs-%7Bnow%2Fd%7D%3E");
    free(q);
  }
  snm_sigv4_result_dispose(&a);
  snm_buf_dispose(&path);
  free(seg);
}

static void test_uri_encode(void **state)
{
  char *s;
  (void)state;

  s = encode("a b/c+d~*'()!\x7f\xff", 1);
  assert_string_equal(s, "a%20b%2Fc%2Bd~%2A%27%28%29%21%7F%FF");
  free(s);
  s = encode("dir/sub file.txt", 0);
  assert_string_equal(s, "dir/sub%20file.txt");
  free(s);
  s = encode("", 1);
  assert_string_equal(s, "");
  free(s);
}

static void test_normalisation(void **state)
{
  static const struct {
    const char *path, *normal, *s3;
  } cases[] = {
      {"/", "/", "/"},
      {"/a/b/../c", "/a/c", "/a/b/../c"},
      {"/a/b/..", "/a/", "/a/b/.."},
      {"/a/./b/.", "/a/b/", "/a/./b/."},
      {"//a///b//", "/a/b/", "//a///b//"},
      {"/../..", "/", "/../.."},
      {"/a b/%2F", "/a%20b/%252F", "/a%20b/%2F"},
      {"/100%/x%zz", "/100%25/x%25zz", "/100%25/x%25zz"},
      {"/?only=query", "/", "/"},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *n = canonical_uri(cases[i].path, 0),
         *s = canonical_uri(cases[i].path, 1);

    assert_string_equal(n, cases[i].normal);
    assert_string_equal(s, cases[i].s3);
    free(n);
    free(s);
  }
}

static void test_query_encoding(void **state)
{
  static const struct {
    const char *path, *canon;
  } cases[] = {
      {"/?b=2&a=1&a=0", "a=0&a=1&b=2"},
      {"/?c&d=&&e=", "c=&d=&e="},
      {"/?e=x+y&s=a b", "e=x%2By&s=a%20b"},
      {"/?f=%7e&g=%7E&h=%2f&i=/", "f=~&g=~&h=%2F&i=%2F"},
      {"/?bad=%zz&pct=100%", "bad=%25zz&pct=100%25"},
      {"/?k=a=b", "k=a%3Db"},
      {"/?B=1&a=1&_=1", "B=1&_=1&a=1"},
      {"/?", ""},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *q = canonical_query(cases[i].path);

    assert_string_equal(q, cases[i].canon);
    free(q);
  }
}

static void test_header_canonicalisation(void **state)
{
  struct snm_sigv4_header h[] = {{"Host", "example.amazonaws.com"},
                                 {"X-Multi", "  one  "},
                                 {"User-Agent", "curl/8"},
                                 {"x-multi", "two\t\tthree   four"},
                                 {"Content-Type", "application/json"},
                                 {"X-Empty", ""},
                                 {"Expect", "100-continue"}};
  struct snm_sigv4_params p = base_params("es", at("2015-08-30T12:36:00Z"));
  struct snm_sigv4_request r;
  struct snm_sigv4_result res;
  (void)state;

  memset(&r, 0, sizeof(r));
  r.method = "POST";
  r.path = "/_bulk";
  r.headers = h;
  r.n_headers = sizeof(h) / sizeof(h[0]);
  r.body = "{}";
  r.body_len = 2;
  assert_int_equal(snm_sigv4_sign(&res, &r, &p, NULL), 0);
  assert_non_null(strstr(res.canonical_request,
                         "\ncontent-type:application/json\n"
                         "host:example.amazonaws.com\n"
                         "x-amz-date:20150830T123600Z\n"
                         "x-empty:\n"
                         "x-multi:one,two three four\n\n"));
  /* User-Agent and Expect are sent but not signed */
  assert_string_equal(res.signed_headers,
                      "content-type;host;x-amz-date;x-empty;x-multi");
  assert_string_equal(res.payload_hash, "44136fa355b3678a1146ad16f7e8649e94fb"
                                        "4fc21fe77e8310c060f61caaff8a");
  snm_sigv4_result_dispose(&res);
}

static void test_session_token_placement(void **state)
{
  struct snm_sigv4_params p = base_params("es", at("2015-08-30T12:36:00Z"));
  struct snm_sigv4_result res;
  (void)state;

  p.session_token = "TOKEN/with+chars==";
  assert_int_equal(sign_simple(&res, "GET", "/", &p, NULL), 0);
  assert_string_equal(res.signed_headers,
                      "host;x-amz-date;x-amz-security-token");
  assert_int_equal(res.n_add_headers, 3);
  assert_string_equal(res.add_headers[0].name, "X-Amz-Security-Token");
  assert_string_equal(res.add_headers[2].name, "Authorization");
  snm_sigv4_result_dispose(&res);

  p.omit_session_token_from_signature = 1;
  assert_int_equal(sign_simple(&res, "GET", "/", &p, NULL), 0);
  assert_string_equal(res.signed_headers, "host;x-amz-date");
  assert_null(strstr(res.canonical_request, "TOKEN"));
  assert_int_equal(res.n_add_headers, 3);
  assert_string_equal(res.add_headers[2].name, "X-Amz-Security-Token");
  assert_string_equal(res.add_headers[2].value, "TOKEN/with+chars==");
  snm_sigv4_result_dispose(&res);

  /* presigned: an omitted token is appended after the signature */
  p.presign = 1;
  assert_int_equal(sign_simple(&res, "GET", "/?a=1", &p, NULL), 0);
  assert_null(strstr(res.canonical_request, "TOKEN"));
  assert_non_null(strstr(res.presigned_path,
                         "&X-Amz-Security-Token=TOKEN%2Fwith%2Bchars%3D%3D"));
  assert_true(strstr(res.presigned_path, "X-Amz-Signature=") <
              strstr(res.presigned_path, "X-Amz-Security-Token="));
  assert_true(strncmp(res.presigned_path, "/?a=1&X-Amz-Algorithm=", 22) == 0);
  snm_sigv4_result_dispose(&res);

  /* presigned and signed: in the canonical query */
  p.omit_session_token_from_signature = 0;
  assert_int_equal(sign_simple(&res, "GET", "/", &p, NULL), 0);
  assert_non_null(strstr(res.canonical_request,
                         "&X-Amz-Security-Token=TOKEN%2Fwith%2Bchars%3D%3D&"));
  snm_sigv4_result_dispose(&res);
}

static void test_payload_options(void **state)
{
  struct snm_sigv4_header h[] = {{"Host", "h"},
                                 {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  struct snm_sigv4_params p = base_params("s3", at("2015-08-30T12:36:00Z"));
  struct snm_sigv4_request r;
  struct snm_sigv4_result res;
  struct snm_err err;
  (void)state;

  memset(&r, 0, sizeof(r));
  r.method = "PUT";
  r.path = "/b/k";
  r.headers = h;
  r.n_headers = 2;
  r.body = "data";
  r.body_len = 4;
  p.s3_rules = 1;
  p.add_content_sha256_header = 1;
  /* header present and matching: signed, not added twice */
  p.unsigned_payload = 1;
  assert_int_equal(snm_sigv4_sign(&res, &r, &p, &err), 0);
  assert_string_equal(res.payload_hash, "UNSIGNED-PAYLOAD");
  assert_int_equal(res.n_add_headers, 2); /* X-Amz-Date, Authorization */
  snm_sigv4_result_dispose(&res);
  /* header present but the body hash differs: refused */
  p.unsigned_payload = 0;
  assert_int_equal(snm_sigv4_sign(&res, &r, &p, &err), SNM_EINVAL);
  assert_non_null(strstr(err.msg, "x-amz-content-sha256"));
  assert_null(res.canonical_request);
  /* a caller-computed hash (streamed body) */
  r.n_headers = 1;
  r.payload_hash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  assert_int_equal(snm_sigv4_sign(&res, &r, &p, &err), 0);
  assert_string_equal(res.payload_hash, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  assert_string_equal(res.add_headers[1].value,
                      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  snm_sigv4_result_dispose(&res);
}

/* ---- error paths ------------------------------------------------------ */

static void expect_einval(const struct snm_sigv4_params *p, const char *path,
                          const char *needle)
{
  struct snm_sigv4_result res;
  struct snm_err err;

  snm_err_clear(&err);
  assert_int_equal(sign_simple(&res, "GET", path, p, &err), SNM_EINVAL);
  assert_int_equal(err.code, SNM_EINVAL);
  if (strstr(err.msg, needle) == NULL)
    fail_msg("message '%s' lacks '%s'", err.msg, needle);
  assert_null(strstr(err.msg, "wJalrXUtnFEMI"));
  assert_null(res.canonical_request);
  assert_null(res.signature);
  snm_sigv4_result_dispose(&res);
}

static void test_missing_fields(void **state)
{
  struct snm_sigv4_params p;
  (void)state;

  p = base_params("es", 0);
  p.access_key_id = NULL;
  expect_einval(&p, "/", "no access key ID");
  p = base_params("es", 0);
  p.secret_access_key = "";
  expect_einval(&p, "/", "no secret access key");
  p = base_params("es", 0);
  p.region = NULL;
  expect_einval(&p, "/", "no region");
  p = base_params("", 0);
  expect_einval(&p, "/", "no service name");
  p = base_params("es", 0);
  p.region = "us east/1";
  expect_einval(&p, "/", "region 'us east/1'");
  p = base_params("es", 0);
  expect_einval(&p, "relative", "must start with '/'");
  p.presign = 1;
  p.expires = 0;
  expect_einval(&p, "/", "expiry 0 s");
  p.expires = SNM_SIGV4_MAX_EXPIRES + 1;
  expect_einval(&p, "/", "outside 1..604800");
  p.expires = 60;
  expect_einval(&p, "/?X-Amz-Signature=abc", "already carries");
}

static void test_bad_headers(void **state)
{
  struct snm_sigv4_params p = base_params("es", 0);
  struct snm_sigv4_header bad[][2] = {
      {{"Host", "h"}, {"Authorization", "AWS4-HMAC-SHA256 x"}},
      {{"Host", "h"}, {"x-amz-date", "20150830T123600Z"}},
      {{"Host", "h"}, {"Bad Name", "v"}},
      {{"Host", "h"}, {"X-Split", "a\r\nInjected: 1"}}};
  const char *needles[] = {
      "already carries Authorization", "already carries x-amz-date",
      "'Bad Name' is not a valid header name", "line break"};
  (void)state;

  for (size_t i = 0; i < 4; i++) {
    struct snm_sigv4_request r = {"GET", "/", bad[i], 2, NULL, 0, NULL};
    struct snm_sigv4_result res;
    struct snm_err err;

    assert_int_equal(snm_sigv4_sign(&res, &r, &p, &err), SNM_EINVAL);
    if (strstr(err.msg, needles[i]) == NULL)
      fail_msg("message '%s' lacks '%s'", err.msg, needles[i]);
    snm_sigv4_result_dispose(&res);
  }
}

static void test_time_parsing(void **state)
{
  static const char *bad[] = {
      "",
      "2015-08-30 12:36:00Z",
      "2015-08-30T12:36:00",
      "2015-08-30T12:36:00+00:00",
      "2015-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2015-13-01T00:00:00Z",
      "2015-00-10T00:00:00Z",
      "2015-04-31T00:00:00Z",
      "2015-08-30T24:00:00Z",
      "2015-08-30T12:60:00Z",
      "2015-08-30T12:36:60Z",
      "2015-8-30T12:36:00Z",
      "20150830T123600Z",
  };
  char out[17];
  time_t t;
  struct snm_err err;
  (void)state;

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snm_err_clear(&err);
    if (snm_sigv4_parse_time(&t, bad[i], 0, &err) != SNM_EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_non_null(strstr(err.msg, "YYYY-MM-DDTHH:MM:SSZ"));
  }
  assert_int_equal(snm_sigv4_parse_time(&t, "1970-01-01T00:00:00Z", 0, NULL),
                   0);
  assert_int_equal(t, 0);
  assert_int_equal(snm_sigv4_parse_time(&t, "2015-08-30T12:36:00Z", 0, NULL),
                   0);
  assert_int_equal(t, 1440938160);
  assert_int_equal(snm_sigv4_format_amz_date(out, t), 0);
  assert_string_equal(out, "20150830T123600Z");
  assert_int_equal(snm_sigv4_parse_time(&t, "20000229T235959Z", 1, NULL), 0);
  assert_int_equal(snm_sigv4_format_amz_date(out, t), 0);
  assert_string_equal(out, "20000229T235959Z");
  assert_int_equal(snm_sigv4_parse_time(&t, "2015-08-30T12:36:00Z", 1, &err),
                   SNM_EINVAL);
  assert_non_null(strstr(err.msg, "YYYYMMDDTHHMMSSZ"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tricky_index_paths),
      cmocka_unit_test(test_sign_consistently),
      cmocka_unit_test(test_uri_encode),
      cmocka_unit_test(test_normalisation),
      cmocka_unit_test(test_query_encoding),
      cmocka_unit_test(test_header_canonicalisation),
      cmocka_unit_test(test_session_token_placement),
      cmocka_unit_test(test_payload_options),
      cmocka_unit_test(test_missing_fields),
      cmocka_unit_test(test_bad_headers),
      cmocka_unit_test(test_time_parsing),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
