/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for sigv4.c against published vectors: every case of the AWS
 * SigV4 test suite (read at run time from $SNM_SIGV4_SUITE) and the worked
 * examples of the S3 SigV4 documentation.  The encoding rules and error
 * paths are in test_sigv4_rules.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "reqfile.h"
#include "sigv4.h"
#include "testutil.h"

#define EMPTY_SHA256                                                           \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MIN_SUITE_CASES 25

/* ---- helpers ---------------------------------------------------------- */

/* Whole file, NUL-terminated; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len_out)
{
  struct snm_buf b;
  char chunk[4096];
  size_t n;
  FILE *fp = fopen(path, "rb");

  if (fp == NULL)
    return NULL;
  snm_buf_init(&b, 0);
  while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
    assert_int_equal(snm_buf_append(&b, chunk, n), 0);
  fclose(fp);
  if (len_out != NULL)
    *len_out = b.len;
  return snm_buf_steal(&b);
}

static char *join(const char *dir, const char *name)
{
  struct snm_buf b;

  snm_buf_init(&b, 0);
  assert_int_equal(snm_buf_printf(&b, "%s/%s", dir, name), 0);
  return snm_buf_steal(&b);
}

static time_t at(const char *iso)
{
  time_t t = 0;

  assert_int_equal(snm_sigv4_parse_time(&t, iso, 0, NULL), 0);
  return t;
}

/* ---- the AWS test suite ----------------------------------------------- */

struct suite_ctx {
  yajl_val root;
  const char *ak, *sk, *token, *region, *service, *timestamp;
  int normalize, sign_body, omit_token;
  long expires;
};

static const char *json_str(yajl_val root, const char **path)
{
  yajl_val v = yajl_tree_get(root, path, yajl_t_string);

  return v != NULL ? YAJL_GET_STRING(v) : NULL;
}

static int json_bool(yajl_val root, const char *key, int dflt)
{
  const char *path[] = {key, NULL};
  yajl_val v = yajl_tree_get(root, path, yajl_t_any);

  if (v == NULL)
    return dflt;
  return YAJL_IS_TRUE(v);
}

static void load_context(struct suite_ctx *c, const char *dir)
{
  static const char *ak[] = {"credentials", "access_key_id", NULL};
  static const char *sk[] = {"credentials", "secret_access_key", NULL};
  static const char *tok[] = {"credentials", "token", NULL};
  static const char *region[] = {"region", NULL};
  static const char *service[] = {"service", NULL};
  static const char *ts[] = {"timestamp", NULL};
  static const char *exp[] = {"expiration_in_seconds", NULL};
  char *path = join(dir, "context.json"), errbuf[256];
  char *text = slurp(path, NULL);
  yajl_val e;

  if (text == NULL)
    fail_msg("cannot read %s", path);
  c->root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
  if (c->root == NULL)
    fail_msg("%s: %s", path, errbuf);
  c->ak = json_str(c->root, ak);
  c->sk = json_str(c->root, sk);
  c->token = json_str(c->root, tok);
  c->region = json_str(c->root, region);
  c->service = json_str(c->root, service);
  c->timestamp = json_str(c->root, ts);
  assert_non_null(c->ak);
  assert_non_null(c->sk);
  assert_non_null(c->region);
  assert_non_null(c->service);
  assert_non_null(c->timestamp);
  c->normalize = json_bool(c->root, "normalize", 1);
  c->sign_body = json_bool(c->root, "sign_body", 0);
  c->omit_token = json_bool(c->root, "omit_session_token", 0);
  e = yajl_tree_get(c->root, exp, yajl_t_number);
  c->expires = e != NULL ? (long)YAJL_GET_INTEGER(e) : 3600;
  free(text);
  free(path);
}

/* Compare `got` with the expected file, if it exists; returns 1 when it
 * was compared, 0 when the file is absent; bumps *fails on a mismatch. */
static int expect_file(const char *dir, const char *name, const char *got,
                       size_t got_len, int *fails)
{
  char *path = join(dir, name);
  size_t len;
  char *want = slurp(path, &len);

  free(path);
  if (want == NULL)
    return 0;
  if (len != got_len || memcmp(want, got, len) != 0) {
    print_message("MISMATCH %s/%s\n--- expected\n%s\n--- got\n%.*s\n---\n", dir,
                  name, want, (int)got_len, got);
    (*fails)++;
  }
  free(want);
  return 1;
}

/* Check one variant ("header" or "query") of a case; returns the number
 * of files compared. */
static int check_variant(const char *dir, const struct suite_ctx *c,
                         const struct snm_reqfile *req, int presign, int *fails)
{
  const char *v = presign ? "query" : "header";
  struct snm_sigv4_header *hdrs = calloc(req->n_headers + 1, sizeof(*hdrs));
  struct snm_sigv4_request r;
  struct snm_sigv4_params p;
  struct snm_sigv4_result res;
  struct snm_buf signed_req;
  struct snm_err err;
  char name[64];
  int compared = 0;

  assert_non_null(hdrs);
  for (size_t i = 0; i < req->n_headers; i++) {
    hdrs[i].name = req->headers[i].name;
    hdrs[i].value = req->headers[i].value;
  }
  memset(&r, 0, sizeof(r));
  r.method = req->method;
  r.path = req->target;
  r.headers = hdrs;
  r.n_headers = req->n_headers;
  r.body = req->body;
  r.body_len = req->body_len;
  memset(&p, 0, sizeof(p));
  p.access_key_id = c->ak;
  p.secret_access_key = c->sk;
  p.session_token = c->token;
  p.region = c->region;
  p.service = c->service;
  p.when = at(c->timestamp);
  p.s3_rules = !c->normalize;
  p.add_content_sha256_header = c->sign_body;
  p.omit_session_token_from_signature = c->omit_token;
  p.presign = presign;
  p.expires = c->expires;
  if (snm_sigv4_sign(&res, &r, &p, &err) != 0)
    fail_msg("%s (%s): %s", dir, v, err.msg);
  snm_buf_init(&signed_req, 0);
  assert_int_equal(snm_reqfile_write(&signed_req, req, res.presigned_path,
                                     res.add_headers, res.n_add_headers),
                   0);
  snprintf(name, sizeof(name), "%s-canonical-request.txt", v);
  compared += expect_file(dir, name, res.canonical_request,
                          strlen(res.canonical_request), fails);
  snprintf(name, sizeof(name), "%s-string-to-sign.txt", v);
  compared += expect_file(dir, name, res.string_to_sign,
                          strlen(res.string_to_sign), fails);
  snprintf(name, sizeof(name), "%s-signature.txt", v);
  compared +=
      expect_file(dir, name, res.signature, strlen(res.signature), fails);
  snprintf(name, sizeof(name), "%s-signed-request.txt", v);
  compared +=
      expect_file(dir, name, snm_buf_str(&signed_req), signed_req.len, fails);
  snm_buf_dispose(&signed_req);
  snm_sigv4_result_dispose(&res);
  free(hdrs);
  return compared;
}

static void test_aws_suite(void **state)
{
  const char *root = getenv("SNM_SIGV4_SUITE");
  struct dirent *de;
  DIR *d;
  int dirs = 0, cases = 0, files = 0, query_cases = 0, fails = 0;
  (void)state;

  if (root == NULL || *root == '\0')
    fail_msg("SNM_SIGV4_SUITE is not set (the AWS SigV4 suite's v4 folder)");
  d = opendir(root);
  if (d == NULL)
    fail_msg("cannot open the SigV4 suite at %s", root);
  while ((de = readdir(d)) != NULL) {
    char *dir, *reqpath, *text;
    struct suite_ctx c;
    struct snm_reqfile req;
    struct snm_err err;
    struct stat st;
    size_t len;
    int n;

    if (de->d_name[0] == '.')
      continue;
    dir = join(root, de->d_name);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      free(dir);
      continue;
    }
    dirs++;
    load_context(&c, dir);
    reqpath = join(dir, "request.txt");
    text = slurp(reqpath, &len);
    if (text == NULL)
      fail_msg("cannot read %s", reqpath);
    if (snm_reqfile_parse(&req, text, len, reqpath, &err) != 0)
      fail_msg("%s", err.msg);
    /* Every case has the four header-* files. */
    n = check_variant(dir, &c, &req, 0, &fails);
    if (n != 4)
      fail_msg("%s: %d header-*.txt files, expected 4", dir, n);
    files += n;
    n = check_variant(dir, &c, &req, 1, &fails);
    query_cases += n > 0;
    files += n;
    cases++;
    snm_reqfile_dispose(&req);
    yajl_tree_free(c.root);
    free(text);
    free(reqpath);
    free(dir);
  }
  closedir(d);
  print_message("SigV4 suite: %d cases (%d with query files), %d files "
                "compared, %d mismatches\n",
                cases, query_cases, files, fails);
  assert_int_equal(fails, 0);
  assert_int_equal(cases, dirs);
  assert_true(cases >= MIN_SUITE_CASES);
  assert_true(files >= cases * 4);
}

/* ---- S3 documentation examples ---------------------------------------
 * "Examples: Signature Calculations in AWS Signature Version 4"
 * (sig-v4-header-based-auth.html) and "Authenticating Requests: Using
 * Query Parameters" (sigv4-query-string-auth.html): AKIAIOSFODNN7EXAMPLE,
 * us-east-1, bucket examplebucket, 20130524T000000Z. */

static struct snm_sigv4_params s3_params(void)
{
  struct snm_sigv4_params p;

  memset(&p, 0, sizeof(p));
  p.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  p.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  p.region = "us-east-1";
  p.service = "s3";
  p.when = at("2013-05-24T00:00:00Z");
  p.s3_rules = 1;
  p.add_content_sha256_header = 1;
  return p;
}

static void s3_sign(struct snm_sigv4_result *res, const char *method,
                    const char *path, const struct snm_sigv4_header *extra,
                    size_t n_extra, const char *body,
                    const struct snm_sigv4_params *p)
{
  struct snm_sigv4_header h[4] = {{"Host", "examplebucket.s3.amazonaws.com"}};
  struct snm_sigv4_request r;
  struct snm_err err;

  assert_true(n_extra < 4);
  for (size_t i = 0; i < n_extra; i++)
    h[i + 1] = extra[i];
  memset(&r, 0, sizeof(r));
  r.method = method;
  r.path = path;
  r.headers = h;
  r.n_headers = n_extra + 1;
  r.body = body;
  r.body_len = body != NULL ? strlen(body) : 0;
  if (snm_sigv4_sign(res, &r, p, &err) != 0)
    fail_msg("%s %s: %s", method, path, err.msg);
}

static void test_s3_get_object(void **state)
{
  struct snm_sigv4_params p = s3_params();
  struct snm_sigv4_header range = {"Range", "bytes=0-9"};
  struct snm_sigv4_result res;
  (void)state;

  s3_sign(&res, "GET", "/test.txt", &range, 1, NULL, &p);
  assert_string_equal(
      res.canonical_request,
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\nx-amz-content-sha256:" EMPTY_SHA256 "\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256);
  assert_string_equal(res.string_to_sign,
                      "AWS4-HMAC-SHA256\n20130524T000000Z\n"
                      "20130524/us-east-1/s3/aws4_request\n"
                      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43"
                      "964946972");
  assert_string_equal(
      res.signature,
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  assert_string_equal(
      res.authorization,
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/"
      "s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;"
      "x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48d"
      "d91039c6036bdb41");
  /* X-Amz-Date, x-amz-content-sha256, Authorization: in that order */
  assert_int_equal(res.n_add_headers, 3);
  assert_string_equal(res.add_headers[0].name, "X-Amz-Date");
  assert_string_equal(res.add_headers[0].value, "20130524T000000Z");
  assert_string_equal(res.add_headers[1].name, "x-amz-content-sha256");
  assert_string_equal(res.add_headers[1].value, EMPTY_SHA256);
  assert_string_equal(res.add_headers[2].name, "Authorization");
  assert_null(res.presigned_path);
  snm_sigv4_result_dispose(&res);
}

static void test_s3_put_object(void **state)
{
  struct snm_sigv4_params p = s3_params();
  struct snm_sigv4_header extra[] = {
      {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  struct snm_sigv4_result res;
  struct snm_buf path;
  (void)state;

  /* The URL builder's side of the contract: the key is encoded once. */
  snm_buf_init(&path, 0);
  assert_int_equal(snm_buf_putc(&path, '/'), 0);
  assert_int_equal(snm_sigv4_uri_encode(&path, "test$file.text", 14, 0), 0);
  assert_string_equal(snm_buf_str(&path), "/test%24file.text");
  s3_sign(&res, "PUT", snm_buf_str(&path), extra, 2, "Welcome to Amazon S3.",
          &p);
  assert_string_equal(
      res.payload_hash,
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  assert_string_equal(
      res.canonical_request,
      "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
      "host:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:"
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
      "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n"
      "\ndate;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  assert_string_equal(
      res.signature,
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  snm_sigv4_result_dispose(&res);
  snm_buf_dispose(&path);
}

static void test_s3_bucket_lifecycle_and_list(void **state)
{
  struct snm_sigv4_params p = s3_params();
  struct snm_sigv4_result res;
  char *q;
  (void)state;

  s3_sign(&res, "GET", "/?lifecycle", NULL, 0, NULL, &p);
  q = snm_test_line_of(res.canonical_request, 2);
  assert_string_equal(q, "lifecycle=");
  free(q);
  assert_string_equal(
      res.signature,
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  snm_sigv4_result_dispose(&res);

  s3_sign(&res, "GET", "/?max-keys=2&prefix=J", NULL, 0, NULL, &p);
  q = snm_test_line_of(res.canonical_request, 2);
  assert_string_equal(q, "max-keys=2&prefix=J");
  free(q);
  assert_string_equal(
      res.signature,
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  snm_sigv4_result_dispose(&res);
}

static void test_s3_presigned_get(void **state)
{
  struct snm_sigv4_params p = s3_params();
  struct snm_sigv4_result res;
  (void)state;

  p.presign = 1;
  p.expires = 86400;
  p.unsigned_payload = 1;
  s3_sign(&res, "GET", "/test.txt", NULL, 0, NULL, &p);
  assert_string_equal(
      res.canonical_request,
      "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
      "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
      "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
      "X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\n"
      "host\nUNSIGNED-PAYLOAD");
  assert_string_equal(
      res.signature,
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  assert_string_equal(
      res.presigned_path,
      "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
      "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
      "X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&"
      "X-Amz-Expires=86400&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  /* presigning adds no header and no x-amz-content-sha256 */
  assert_null(res.authorization);
  assert_int_equal(res.n_add_headers, 0);
  snm_sigv4_result_dispose(&res);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aws_suite),
      cmocka_unit_test(test_s3_get_object),
      cmocka_unit_test(test_s3_put_object),
      cmocka_unit_test(test_s3_bucket_lifecycle_and_list),
      cmocka_unit_test(test_s3_presigned_get),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
