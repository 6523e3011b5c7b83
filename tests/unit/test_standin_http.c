/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the loopback HTTP stand-in server (tests/support), so that
 * the tests built on it can trust its script, its records and its fault
 * actions.  The client is a blocking libcurl easy handle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uv.h>

#include "buf.h"
#include "standin_http.h"

struct upload {
  const char *data;
  size_t left;
};

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
  return snm_buf_append(ud, p, size * n) == 0 ? size * n : 0;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
  struct upload *u = ud;
  size_t k = size * n < u->left ? size * n : u->left;

  k = k > 7 ? 7 : k; /* small pieces: several chunks */
  memcpy(p, u->data, k);
  u->data += k;
  u->left -= k;
  return k;
}

/* One request on `h` (reused for keep-alive).  `upload` NULL: no body;
 * `chunked`: unknown size (Transfer-Encoding: chunked). */
static CURLcode request(CURL *h, const char *method, const char *url,
                        const char *upload, int chunked, long timeout_ms,
                        long *status, struct snm_buf *body)
{
  struct upload u = {upload, upload != NULL ? strlen(upload) : 0};
  CURLcode cc;

  snm_buf_reset(body);
  *status = 0;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  /* without the stand-in's "100 Continue" an upload would wait 10 s */
  curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_UPLOAD, upload != NULL ? 1L : 0L);
  if (upload != NULL) {
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                     chunked ? (curl_off_t)-1 : (curl_off_t)u.left);
  }
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                   strcmp(method, "HEAD") == 0 ? NULL : method);
  cc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  return cc;
}

static void test_script_and_records(void **state)
{
  struct snm_standin_reply once = {.method = "GET",
                                   .path = "/a",
                                   .times = 1,
                                   .status = 200,
                                   .body = "first",
                                   .headers = "X-Test: 1\r\n"};
  struct snm_standin_reply again = {
      .method = "GET", .path = "/a", .status = 201, .body = "again"};
  struct snm_standin_reply prefix = {
      .path = "/p/*", .status = 202, .body = "prefix"};
  struct snm_standin_request r;
  struct snm_standin *s;
  struct snm_buf body;
  char url[128], *h;
  long status;
  CURL *c;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  assert_true(snm_standin_port(s) > 0);
  assert_int_equal(snm_standin_add(s, &once), 0);
  assert_int_equal(snm_standin_add(s, &again), 0);
  assert_int_equal(snm_standin_add(s, &prefix), 0);
  snm_buf_init(&body, 0);
  c = curl_easy_init();
  assert_non_null(c);

  snprintf(url, sizeof(url), "%s/a", snm_standin_url(s));
  assert_int_equal(request(c, "GET", url, NULL, 0, 5000, &status, &body), 0);
  assert_int_equal(status, 200);
  assert_string_equal(snm_buf_str(&body), "first");
  assert_int_equal(request(c, "GET", url, NULL, 0, 5000, &status, &body), 0);
  assert_int_equal(status, 201);
  assert_string_equal(snm_buf_str(&body), "again");
  snprintf(url, sizeof(url), "%s/p/q?x=1", snm_standin_url(s));
  assert_int_equal(
      request(c, "PUT", url, "hello body", 0, 5000, &status, &body), 0);
  assert_int_equal(status, 202);
  snprintf(url, sizeof(url), "%s/none", snm_standin_url(s));
  assert_int_equal(request(c, "GET", url, NULL, 0, 5000, &status, &body), 0);
  assert_int_equal(status, 404);
  assert_string_equal(snm_buf_str(&body), "no scripted reply");
  /* HEAD: the headers of the reply, no body */
  snprintf(url, sizeof(url), "%s/p/head", snm_standin_url(s));
  assert_int_equal(request(c, "HEAD", url, NULL, 0, 5000, &status, &body), 0);
  assert_int_equal(status, 202);
  assert_int_equal(body.len, 0);

  assert_int_equal(snm_standin_request_count(s), 5);
  assert_int_equal(snm_standin_request_get(s, 2, &r), 0);
  assert_string_equal(r.method, "PUT");
  assert_string_equal(r.target, "/p/q?x=1");
  assert_string_equal(r.body, "hello body");
  assert_int_equal(r.body_len, 10);
  h = snm_standin_request_header(&r, "content-length");
  assert_non_null(h);
  assert_string_equal(h, "10");
  free(h);
  assert_null(snm_standin_request_header(&r, "X-Absent"));
  snm_standin_request_dispose(&r);
  assert_int_equal(snm_standin_request_get(s, 5, &r), -1);
  /* all on one kept-alive connection */
  assert_int_equal(snm_standin_connection_count(s), 1);
  assert_int_equal(snm_standin_wait_requests(s, 6, 50), -1);

  curl_easy_cleanup(c);
  snm_buf_dispose(&body);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_chunked_upload_and_close_after(void **state)
{
  static const char text[] = "a body sent in several small chunks";
  struct snm_standin_reply ok = {.status = 200, .body = "ok", .close_after = 1};
  struct snm_standin_request r;
  struct snm_standin *s;
  struct snm_buf body;
  uint64_t t0;
  long status;
  CURL *c;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  assert_int_equal(snm_standin_add(s, &ok), 0);
  snm_buf_init(&body, 0);
  c = curl_easy_init();
  t0 = uv_hrtime();
  assert_int_equal(
      request(c, "POST", snm_standin_url(s), text, 1, 5000, &status, &body), 0);
  assert_true((uv_hrtime() - t0) / 1000000u < 5000);
  assert_int_equal(status, 200);
  assert_int_equal(
      request(c, "POST", snm_standin_url(s), text, 1, 5000, &status, &body), 0);
  assert_int_equal(snm_standin_request_get(s, 0, &r), 0);
  assert_string_equal(r.body, text);
  assert_non_null(strstr(r.headers, "Transfer-Encoding: chunked"));
  assert_non_null(strstr(r.headers, "Expect: 100-continue"));
  snm_standin_request_dispose(&r);
  /* close_after: each request came on a new connection */
  assert_int_equal(snm_standin_connection_count(s), 2);
  curl_easy_cleanup(c);
  snm_buf_dispose(&body);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_fault_actions(void **state)
{
  struct snm_standin_reply close = {.path = "/close",
                                    .action = SNM_STANDIN_CLOSE};
  struct snm_standin_reply reset = {.path = "/reset",
                                    .action = SNM_STANDIN_RESET};
  struct snm_standin_reply silent = {.path = "/silent",
                                     .action = SNM_STANDIN_SILENT};
  struct snm_standin_reply slow = {
      .path = "/slow", .delay_ms = 300, .status = 200, .body = "late"};
  struct snm_standin_reply truncated = {
      .path = "/truncated",
      .raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
      .close_after = 1};
  struct snm_standin *s;
  struct snm_buf body;
  char url[128];
  uint64_t t0, ms;
  long status;
  CURL *c;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  assert_int_equal(snm_standin_add(s, &close), 0);
  assert_int_equal(snm_standin_add(s, &reset), 0);
  assert_int_equal(snm_standin_add(s, &silent), 0);
  assert_int_equal(snm_standin_add(s, &slow), 0);
  assert_int_equal(snm_standin_add(s, &truncated), 0);
  snm_buf_init(&body, 0);
  c = curl_easy_init();

  snprintf(url, sizeof(url), "%s/close", snm_standin_url(s));
  assert_int_equal(request(c, "GET", url, NULL, 0, 5000, &status, &body),
                   CURLE_GOT_NOTHING);
  snprintf(url, sizeof(url), "%s/reset", snm_standin_url(s));
  assert_int_equal(request(c, "GET", url, NULL, 0, 5000, &status, &body),
                   CURLE_RECV_ERROR);
  snprintf(url, sizeof(url), "%s/silent", snm_standin_url(s));
  assert_int_equal(request(c, "GET", url, NULL, 0, 200, &status, &body),
                   CURLE_OPERATION_TIMEDOUT);
  snprintf(url, sizeof(url), "%s/truncated", snm_standin_url(s));
  assert_int_equal(request(c, "GET", url, NULL, 0, 5000, &status, &body),
                   CURLE_PARTIAL_FILE);
  snprintf(url, sizeof(url), "%s/slow", snm_standin_url(s));
  t0 = uv_hrtime();
  assert_int_equal(request(c, "GET", url, NULL, 0, 5000, &status, &body), 0);
  ms = (uv_hrtime() - t0) / 1000000u;
  assert_true(ms >= 290);
  assert_string_equal(snm_buf_str(&body), "late");
  assert_int_equal(snm_standin_wait_requests(s, 5, 1000), 0);

  /* a delayed answer to a client that left: dropped on stop, no leak */
  assert_int_equal(request(c, "GET", url, NULL, 0, 50, &status, &body),
                   CURLE_OPERATION_TIMEDOUT);
  curl_easy_cleanup(c);
  snm_buf_dispose(&body);
  assert_int_equal(snm_standin_free(s), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_script_and_records),
      cmocka_unit_test(test_chunked_upload_and_close_after),
      cmocka_unit_test(test_fault_actions),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
