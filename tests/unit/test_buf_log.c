/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for buf.c and log.c redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"

static void test_buf_append_and_cap(void **state)
{
  struct snm_buf b;
  (void)state;

  snm_buf_init(&b, 8);
  assert_int_equal(snm_buf_puts(&b, "abcd"), 0);
  assert_int_equal(snm_buf_printf(&b, "%d", 123), 0);
  assert_string_equal(snm_buf_str(&b), "abcd123");
  /* 9 bytes would pass the cap of 8: refused, buffer unchanged */
  assert_int_equal(snm_buf_puts(&b, "xy"), SNM_ENOMEM);
  assert_string_equal(snm_buf_str(&b), "abcd123");
  assert_int_equal(snm_buf_putc(&b, 'z'), 0);
  assert_int_equal(b.len, 8);
  char *s = snm_buf_steal(&b);
  assert_string_equal(s, "abcd123z");
  assert_null(b.data);
  free(s);
  snm_buf_dispose(&b);
}

/* Near the cap the buffer grows to the cap (plus the NUL), not to the next
 * power of two. */
static void test_buf_capacity_stays_within_cap(void **state)
{
  struct snm_buf b;
  char chunk[600];
  (void)state;

  memset(chunk, 'x', sizeof(chunk));
  snm_buf_init(&b, 1000);
  assert_int_equal(snm_buf_append(&b, chunk, sizeof(chunk)), 0);
  assert_int_equal(snm_buf_append(&b, chunk, 400), 0);
  assert_int_equal(b.len, 1000);
  assert_true(b.cap <= 1001);
  assert_int_equal(snm_buf_putc(&b, 'y'), SNM_ENOMEM);
  snm_buf_dispose(&b);

  snm_buf_init(&b, 8);
  assert_int_equal(snm_buf_puts(&b, "abcd"), 0);
  assert_true(b.cap <= 9);
  assert_int_equal(snm_buf_puts(&b, "efgh"), 0);
  assert_string_equal(snm_buf_str(&b), "abcdefgh");
  snm_buf_dispose(&b);
}

static void test_buf_grows(void **state)
{
  struct snm_buf b;
  (void)state;

  snm_buf_init(&b, 0);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(snm_buf_printf(&b, "%04d", i), 0);
  assert_int_equal(b.len, 4000);
  assert_memory_equal(b.data + 3996, "0999", 4);
  snm_buf_dispose(&b);
}

static char *redact(const char *in)
{
  struct snm_buf b;
  snm_buf_init(&b, 0);
  assert_int_equal(snm_redact_text(&b, in, strlen(in)), 0);
  return snm_buf_steal(&b);
}

static void test_redact_headers(void **state)
{
  char *s;
  (void)state;

  s = redact("> Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015"
             "0830/us-east-1/es/aws4_request, Signature=abcdef\r\n"
             "> Host: example.com\r\n");
  assert_string_equal(s, "> Authorization: AWS4-HMAC-SHA256 " SNM_REDACTED
                         "\r\n> Host: example.com\r\n");
  free(s);
  s = redact("x-amz-security-token: FQoGZXIvYXdzEJr\nauthorization: Basic "
             "dXNlcjpwYXNz\n");
  assert_string_equal(s, "x-amz-security-token: " SNM_REDACTED
                         "\nauthorization: Basic " SNM_REDACTED "\n");
  free(s);
}

static void test_redact_query_and_registered(void **state)
{
  char *s;
  (void)state;

  s = redact("GET /b/k?X-Amz-Credential=AKID%2F2015&X-Amz-Signature=abc123&"
             "x=1 HTTP/1.1");
  assert_string_equal(s, "GET /b/k?X-Amz-Credential=" SNM_REDACTED
                         "&X-Amz-Signature=" SNM_REDACTED "&x=1 HTTP/1.1");
  free(s);
  assert_int_equal(snm_log_add_secret("wJalrXUtnFEMI/K7MDENG"), 0);
  assert_int_equal(snm_log_add_secret("abc"), 0); /* too short: ignored */
  s = redact("secret is wJalrXUtnFEMI/K7MDENG; abc stays");
  assert_string_equal(s, "secret is " SNM_REDACTED "; abc stays");
  free(s);
  snm_log_clear_secrets();
  s = redact("wJalrXUtnFEMI/K7MDENG");
  assert_string_equal(s, "wJalrXUtnFEMI/K7MDENG");
  free(s);
}

static void test_log_line_is_redacted(void **state)
{
  char *mem = NULL;
  size_t memlen = 0;
  FILE *fp = open_memstream(&mem, &memlen);
  (void)state;

  assert_non_null(fp);
  snm_log_set_stream(fp);
  snm_log_set_level(SNM_LOG_INFO);
  assert_int_equal(snm_log_add_secret("hunter2-password"), 0);
  snm_log(SNM_LOG_ERROR, "login with %s failed", "hunter2-password");
  snm_log(SNM_LOG_DEBUG, "not shown at info level");
  fclose(fp);
  snm_log_set_stream(NULL);
  snm_log_clear_secrets();
  assert_string_equal(mem,
                      "snapmig: error: login with " SNM_REDACTED " failed\n");
  free(mem);
}

static void test_log_line_is_one_clean_line(void **state)
{
  char *mem = NULL;
  size_t memlen = 0;
  FILE *fp = open_memstream(&mem, &memlen);
  char s[] = "a\x01\x1f\x20~\x7f\xc3\xa9";
  (void)state;

  snm_sanitize_line(s, sizeof(s) - 1);
  assert_string_equal(s, "a?? ~?\xc3\xa9"); /* UTF-8 is kept */

  assert_non_null(fp);
  snm_log_set_stream(fp);
  snm_log_set_level(SNM_LOG_INFO);
  assert_int_equal(snm_log_add_secret("hunter2-password"), 0);
  /* a server's reason with a forged second line and an escape sequence;
   * redaction still sees the secret */
  snm_log(SNM_LOG_ERROR, "src: %s",
          "bad\nsnapmig: error: \033[2Jhunter2-password\r\tdone");
  fclose(fp);
  snm_log_set_stream(NULL);
  snm_log_clear_secrets();
  assert_string_equal(
      mem,
      "snapmig: error: src: bad?snapmig: error: ?[2J" SNM_REDACTED "??done\n");
  free(mem);
}

/* A line over 1 MiB is cut, after redaction (a secret at the cut is not
 * shown in part), at a character boundary, and says so. */
static void test_log_long_line_is_truncated(void **state)
{
  const size_t max = (size_t)1 << 20, len = max + 4096;
  const char *head = "snapmig: error: ";
  char *msg = malloc(len + 1), *mem = NULL;
  size_t memlen = 0, hl = strlen(head);
  FILE *fp;
  (void)state;

  assert_non_null(msg);
  snm_log_set_level(SNM_LOG_INFO);
  assert_int_equal(snm_log_add_secret("hunter2-password"), 0);

  /* a secret across the cut */
  memset(msg, 'x', len);
  memcpy(msg + max - 5, "hunter2-password", 16);
  msg[len] = '\0';
  fp = open_memstream(&mem, &memlen);
  assert_non_null(fp);
  snm_log_set_stream(fp);
  snm_log(SNM_LOG_ERROR, "%s", msg);
  fclose(fp);
  assert_int_equal(memlen, hl + max + strlen("... [truncated]\n"));
  assert_memory_equal(mem, head, hl);
  assert_memory_equal(mem + hl + max - 5, SNM_REDACTED, 5);
  assert_null(strstr(mem, "hunt"));
  assert_string_equal(mem + hl + max, "... [truncated]\n");
  free(mem);

  /* a 2-byte character across the cut is left out whole */
  memset(msg, 'x', len);
  memcpy(msg + max - 1, "\xc3\xa9", 2);
  mem = NULL;
  fp = open_memstream(&mem, &memlen);
  assert_non_null(fp);
  snm_log_set_stream(fp);
  snm_log(SNM_LOG_ERROR, "%s", msg);
  fclose(fp);
  assert_int_equal(memlen, hl + max - 1 + strlen("... [truncated]\n"));
  assert_string_equal(mem + hl + max - 1, "... [truncated]\n");
  free(mem);

  /* exactly 1 MiB is not cut */
  msg[max] = '\0';
  memset(msg, 'x', max);
  mem = NULL;
  fp = open_memstream(&mem, &memlen);
  assert_non_null(fp);
  snm_log_set_stream(fp);
  snm_log(SNM_LOG_ERROR, "%s", msg);
  fclose(fp);
  assert_int_equal(memlen, hl + max + 1);
  free(mem);

  snm_log_set_stream(NULL);
  snm_log_clear_secrets();
  free(msg);
}

static void test_err_set(void **state)
{
  struct snm_err err;
  (void)state;

  snm_err_clear(&err);
  assert_int_equal(snm_err_set(&err, SNM_EIO, "open %s: %s", "x", "denied"),
                   SNM_EIO);
  assert_string_equal(err.msg, "open x: denied");
  assert_int_equal(err.code, SNM_EIO);
  assert_int_equal(snm_err_set(NULL, SNM_ENET, "ignored"), SNM_ENET);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buf_append_and_cap),
      cmocka_unit_test(test_buf_grows),
      cmocka_unit_test(test_buf_capacity_stays_within_cap),
      cmocka_unit_test(test_redact_headers),
      cmocka_unit_test(test_redact_query_and_registered),
      cmocka_unit_test(test_log_line_is_redacted),
      cmocka_unit_test(test_log_line_is_one_clean_line),
      cmocka_unit_test(test_log_long_line_is_truncated),
      cmocka_unit_test(test_err_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
