/* Unit tests for httpreq.c: raw HTTP/1.1 request text as in the SigV4
 * suite's request.txt, LF and CRLF, folded headers, bodies, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "httpreq.h"
#include "sigv4.h"

static void parse_ok(struct snm_httpreq *r, const char *text)
{
  struct snm_err err;

  if (snm_httpreq_parse(r, text, strlen(text), "t.txt", &err) != 0)
    fail_msg("%s", err.msg);
}

static void parse_fails(const char *text, const char *needle)
{
  struct snm_httpreq r;
  struct snm_err err;

  snm_err_clear(&err);
  assert_int_equal(snm_httpreq_parse(&r, text, strlen(text), "t.txt", &err),
                   SNM_EPARSE);
  if (strstr(err.msg, needle) == NULL)
    fail_msg("message '%s' lacks '%s'", err.msg, needle);
  snm_httpreq_dispose(&r);
}

static void test_lf_and_crlf_agree(void **state)
{
  const char *lf = "POST /a b/?x=1 HTTP/1.1\n"
                   "Host:example.amazonaws.com\n"
                   "My-Header1:  spaced  \n"
                   "Content-Length:5\n"
                   "\n"
                   "a\r\nbc";
  const char *crlf = "POST /a b/?x=1 HTTP/1.1\r\n"
                     "Host:example.amazonaws.com\r\n"
                     "My-Header1:  spaced  \r\n"
                     "Content-Length:5\r\n"
                     "\r\n"
                     "a\r\nbc";
  struct snm_httpreq a, b;
  (void)state;

  parse_ok(&a, lf);
  parse_ok(&b, crlf);
  assert_string_equal(a.method, "POST");
  assert_string_equal(a.target, "/a b/?x=1");
  assert_string_equal(a.version, "HTTP/1.1");
  assert_int_equal(a.n_headers, 3);
  assert_string_equal(a.headers[1].name, "My-Header1");
  assert_string_equal(a.headers[1].value, "spaced");
  assert_string_equal(a.headers[1].raw, "My-Header1:  spaced  ");
  /* the body is byte for byte, its CRLF included */
  assert_int_equal(a.body_len, 5);
  assert_memory_equal(a.body, "a\r\nbc", 5);
  assert_int_equal(b.n_headers, a.n_headers);
  for (size_t i = 0; i < a.n_headers; i++) {
    assert_string_equal(a.headers[i].name, b.headers[i].name);
    assert_string_equal(a.headers[i].value, b.headers[i].value);
    assert_string_equal(a.headers[i].raw, b.headers[i].raw);
  }
  assert_int_equal(b.body_len, 5);
  assert_memory_equal(b.body, a.body, 5);
  assert_string_equal(snm_httpreq_header(&a, "content-length"), "5");
  assert_null(snm_httpreq_header(&a, "Content-Type"));
  snm_httpreq_dispose(&a);
  snm_httpreq_dispose(&b);
}

static void test_folded_and_repeated_headers(void **state)
{
  struct snm_httpreq r;
  struct snm_buf out;
  struct snm_sigv4_header add[] = {{"X-Amz-Date", "20150830T123600Z"}};
  (void)state;

  parse_ok(&r, "GET / HTTP/1.1\n"
               "Host:example.amazonaws.com\n"
               "My-Header1:value1\n"
               "  value2\n"
               "\t value3\n"
               "My-Header1:value4");
  assert_int_equal(r.n_headers, 5);
  assert_int_equal(r.headers[2].continuation, 1);
  assert_string_equal(r.headers[2].name, "My-Header1");
  assert_string_equal(r.headers[2].value, "value2");
  assert_string_equal(r.headers[3].value, "value3");
  assert_string_equal(r.headers[4].value, "value4");
  assert_int_equal(r.body_len, 0);
  /* written back as given, then the added headers */
  snm_buf_init(&out, 0);
  assert_int_equal(snm_httpreq_write(&out, &r, NULL, add, 1), 0);
  assert_string_equal(snm_buf_str(&out), "GET / HTTP/1.1\n"
                                         "Host:example.amazonaws.com\n"
                                         "My-Header1:value1\n"
                                         "  value2\n"
                                         "\t value3\n"
                                         "My-Header1:value4\n"
                                         "X-Amz-Date:20150830T123600Z\n"
                                         "\n");
  /* removal takes the folded lines too */
  assert_int_equal(snm_httpreq_remove_header(&r, "my-header1"), 4);
  assert_int_equal(r.n_headers, 1);
  assert_string_equal(r.headers[0].name, "Host");
  snm_buf_reset(&out);
  assert_int_equal(snm_httpreq_write(&out, &r, "/?p=1", NULL, 0), 0);
  assert_string_equal(snm_buf_str(&out),
                      "GET /?p=1 HTTP/1.1\nHost:example.amazonaws.com\n\n");
  snm_buf_dispose(&out);
  snm_httpreq_dispose(&r);
}

static void test_content_length(void **state)
{
  struct snm_httpreq r;
  (void)state;

  /* an editor's final newline beyond Content-Length is dropped */
  parse_ok(&r, "POST / HTTP/1.1\nContent-Length:13\n\nParam1=value1\n");
  assert_int_equal(r.body_len, 13);
  assert_string_equal(r.body, "Param1=value1");
  snm_httpreq_dispose(&r);
  /* without Content-Length the body is kept as is */
  parse_ok(&r, "POST / HTTP/1.1\n\nline\n");
  assert_int_equal(r.body_len, 5);
  snm_httpreq_dispose(&r);
  parse_fails("POST / HTTP/1.1\nContent-Length:3\n\nParam1=value1",
              "Content-Length is 3 but the body");
  parse_fails("POST / HTTP/1.1\nContent-Length: x\n\n",
              "Content-Length 'x' is not a number");
}

static void test_parse_errors(void **state)
{
  (void)state;
  parse_fails("", "t.txt:1: empty request");
  parse_fails("\nHost:x\n", "t.txt:1: empty request");
  parse_fails("GET /\n", "t.txt:1: expected a request line");
  parse_fails("GET / FTP/1.0\n", "t.txt:1: expected a request line");
  parse_fails("GET  HTTP/1.1\n", "t.txt:1: expected a request line");
  parse_fails("G(ET / HTTP/1.1\n", "t.txt:1: expected a request line");
  parse_fails("GET http://h/ HTTP/1.1\n", "must be a path starting with '/'");
  parse_fails("GET / HTTP/1.1\nHost example\n",
              "t.txt:2: expected a header line");
  parse_fails("GET / HTTP/1.1\nHost:x\nBad Name: v\n",
              "t.txt:3: expected a header line");
  parse_fails("GET / HTTP/1.1\n  folded\n", "t.txt:2: a folded line");
  parse_fails("GET / HTTP/1.1\n:novalue\n", "t.txt:2: expected a header");
}

/* strchr(set, c) finds the terminator for c == '\0': NUL is no token
 * character, in a method or in a header name. */
static void parse_fails_len(const char *text, size_t len, const char *needle)
{
  struct snm_httpreq r;
  struct snm_err err;

  snm_err_clear(&err);
  assert_int_equal(snm_httpreq_parse(&r, text, len, "t.txt", &err), SNM_EPARSE);
  if (strstr(err.msg, needle) == NULL)
    fail_msg("message '%s' lacks '%s'", err.msg, needle);
  snm_httpreq_dispose(&r);
}

static void test_nul_is_not_a_token_char(void **state)
{
  static const char both[] = "G\0T /x HTTP/1.1\nX\0Y: v\n\n";
  static const char name[] = "GET /x HTTP/1.1\nX\0Y: v\n\n";
  (void)state;

  parse_fails_len(both, sizeof(both) - 1, "t.txt:1: expected a request line");
  parse_fails_len(name, sizeof(name) - 1, "t.txt:2: expected a header line");
  assert_false(snm_httpreq_is_tchar('\0'));
  assert_false(snm_httpreq_is_token("G\0T", 3));
  assert_false(snm_httpreq_is_token("", 0));
  assert_false(snm_httpreq_is_token("X Foo", 5));
  assert_true(snm_httpreq_is_token("X-Amz_1.~!#$%&'*+^`|", 20));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lf_and_crlf_agree),
      cmocka_unit_test(test_folded_and_repeated_headers),
      cmocka_unit_test(test_content_length),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_nul_is_not_a_token_char),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
