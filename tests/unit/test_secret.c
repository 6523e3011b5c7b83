/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for secret.c: the registry, a call's set, the scrubber, and
 * the two places that apply it to everything (snm_err_set, snm_log). */
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
#include "secret.h"

#define KEY "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static int teardown(void **state)
{
  (void)state;
  snm_secret_wipe_all();
  return 0;
}

/* Scrubbed copy of `in` (malloced). */
static char *scrubbed(const char *in, const struct snm_secret_set *extra,
                      enum snm_scrub_mode mode)
{
  struct snm_buf b;

  snm_buf_init(&b, 0);
  assert_int_equal(snm_secret_scrub(&b, in, strlen(in), extra, mode), 0);
  assert_non_null(b.data);
  return snm_buf_steal(&b);
}

static void assert_scrub(const char *in, const struct snm_secret_set *extra,
                         enum snm_scrub_mode mode, const char *want)
{
  char *s = scrubbed(in, extra, mode);

  assert_string_equal(s, want);
  free(s);
}

static void test_registry_and_forms(void **state)
{
  (void)state;

  assert_int_equal(snm_secret_add(KEY), 0);
  assert_int_equal(snm_secret_add(KEY), 0); /* once is enough */
  assert_int_equal(snm_secret_add(NULL), 0);
  assert_int_equal(snm_secret_add("abc"), 0); /* too short: ignored */
  assert_scrub("k=" KEY ", abc stays", NULL, SNM_SCRUB_REPLY,
               "k=[REDACTED], abc stays");
  /* as JSON may write it, and as a URL does */
  assert_scrub("{\"k\":\"wJalrXUtnFEMI\\/K7MDENG\\/bPxRfiCYEXAMPLEKEY\"}", NULL,
               SNM_SCRUB_REPLY, "{\"k\":\"[REDACTED]\"}");
  assert_scrub("/x?k=wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY&y=1", NULL,
               SNM_SCRUB_REPLY, "/x?k=[REDACTED]&y=1");
  /* text without a secret comes out as it went in */
  assert_scrub("nothing here", NULL, SNM_SCRUB_ALL, "nothing here");
  assert_scrub("", NULL, SNM_SCRUB_ALL, "");
  snm_secret_wipe_all();
  assert_scrub("k=" KEY, NULL, SNM_SCRUB_ALL, "k=" KEY);
}

/* Short or all-digit values are scrubbed from what snapmig writes, not
 * from replies: there they would change ordinary JSON. */
static void test_weak_values(void **state)
{
  const char *reply = "{\"status\":\"green\",\"count\":123456789}";
  (void)state;

  assert_int_equal(snm_secret_add("green"), 0);
  assert_int_equal(snm_secret_add("12345678"), 0);
  assert_scrub(reply, NULL, SNM_SCRUB_REPLY, reply);
  assert_scrub(reply, NULL, SNM_SCRUB_ALL,
               "{\"status\":\"[REDACTED]\",\"count\":[REDACTED]9}");
}

static void test_overlapping_values_become_one(void **state)
{
  struct snm_secret_set set;
  (void)state;

  snm_secret_set_init(&set);
  assert_int_equal(snm_secret_set_add(&set, "abcdefgh12", 10), 0);
  assert_int_equal(snm_secret_set_add(&set, "gh12345678", 10), 0);
  assert_int_equal(snm_secret_set_add(&set, "defg", 4), 0);
  assert_scrub("<abcdefgh12345678>", &set, SNM_SCRUB_ALL, "<[REDACTED]>");
  assert_scrub("a gh12345678 b abcdefgh12 c", &set, SNM_SCRUB_REPLY,
               "a [REDACTED] b [REDACTED] c");
  snm_secret_set_wipe(&set);
  assert_int_equal(set.n, 0);
  assert_scrub("<abcdefgh12345678>", &set, SNM_SCRUB_ALL, "<abcdefgh12345678>");
}

static void test_what_request_headers_give_away(void **state)
{
  struct snm_secret_set set;
  const char *auth =
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/"
      "us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature="
      "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
  (void)state;

  snm_secret_set_init(&set);
  assert_int_equal(snm_secret_set_add_header(&set, auth), 0);
  assert_int_equal(snm_secret_set_add_header(&set, "Host: example.com"), 0);
  assert_int_equal(snm_secret_set_add_header(&set, "X-Amz-Date: 20240101T0"),
                   0);
  assert_int_equal(
      snm_secret_set_add_header(&set, "x-amz-security-token:  tok-12345 "), 0);
  /* base64("migrator:hunter2-password") */
  assert_int_equal(
      snm_secret_set_add_header(&set, "Authorization: Basic "
                                      "bWlncmF0b3I6aHVudGVyMi1wYXNzd29yZA=="),
      0);
  /* the whole value wins where it appears whole */
  assert_scrub(auth, &set, SNM_SCRUB_REPLY, "Authorization: [REDACTED]");
  /* the signature alone, the token, basic credentials in every form */
  assert_scrub("sig 5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6"
               "f2b5d7, tok-12345, bWlncmF0b3I6aHVudGVyMi1wYXNzd29yZA==, "
               "migrator:hunter2-password, hunter2-password",
               &set, SNM_SCRUB_REPLY,
               "sig [REDACTED], [REDACTED], [REDACTED], [REDACTED], "
               "[REDACTED]");
  /* what is not a credential stays */
  assert_scrub("example.com 20240101T0 AKIDEXAMPLE", &set, SNM_SCRUB_ALL,
               "example.com 20240101T0 AKIDEXAMPLE");
  snm_secret_set_wipe(&set);
}

static void test_what_presigned_urls_give_away(void **state)
{
  struct snm_secret_set set;
  (void)state;

  snm_secret_set_init(&set);
  assert_int_equal(
      snm_secret_set_add_query(
          &set, "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-"
                "SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2F"
                "aws4_request&X-Amz-Security-Token=Fwo%2BGZX%2FIvYXdz&X-Amz-"
                "Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d"
                "157751f604d404&x=1"),
      0);
  assert_scrub("Fwo%2BGZX%2FIvYXdz Fwo+GZX/IvYXdz aeeed9bbccd4d02ee5c0109b86d8"
               "6835f995330da4c265957d157751f604d404 AKID%2F20240101 "
               "AWS4-HMAC-SHA256",
               &set, SNM_SCRUB_REPLY,
               "[REDACTED] [REDACTED] [REDACTED] AKID%2F20240101 "
               "AWS4-HMAC-SHA256");
  /* a bare query works too; a URL without one adds nothing */
  snm_secret_set_wipe(&set);
  assert_int_equal(snm_secret_set_add_query(&set, "X-Amz-Signature=0123abcd"),
                   0);
  assert_int_equal(snm_secret_set_add_query(&set, "http://h/p"), 0);
  assert_scrub("0123abcd http://h/p", &set, SNM_SCRUB_ALL,
               "[REDACTED] http://h/p");
  snm_secret_set_wipe(&set);
}

static void test_scrub_buf_in_place(void **state)
{
  struct snm_buf b;
  (void)state;

  assert_int_equal(snm_secret_add("s3cr3t-value"), 0);
  snm_buf_init(&b, 20); /* what replacing adds may pass the cap */
  assert_int_equal(snm_buf_puts(&b, "a s3cr3t-value z"), 0);
  assert_int_equal(snm_secret_scrub_buf(&b, NULL, SNM_SCRUB_REPLY), 1);
  assert_string_equal(snm_buf_str(&b), "a [REDACTED] z");
  assert_int_equal(b.max, 20);
  assert_int_equal(snm_secret_scrub_buf(&b, NULL, SNM_SCRUB_REPLY), 0);
  assert_string_equal(snm_buf_str(&b), "a [REDACTED] z");
  snm_buf_dispose(&b);
}

static void test_scrub_into_a_fixed_buffer(void **state)
{
  char out[16];
  (void)state;

  assert_int_equal(snm_secret_add("s3cr3t-value"), 0);
  snm_secret_scrub_into(out, sizeof(out), "x s3cr3t-value", 14);
  assert_string_equal(out, "x [REDACTED]");
  /* cut to fit, never inside a UTF-8 sequence */
  snm_secret_scrub_into(out, sizeof(out), "0123456789abcd\xc3\xa9", 16);
  assert_string_equal(out, "0123456789abcd");
  snm_secret_scrub_into(out, 4, "abcdef", 6);
  assert_string_equal(out, "abc");
  /* a value that does not fit is left out, not shown in part */
  snm_secret_scrub_into(out, sizeof(out), "0123456789 s3cr3t-value", 23);
  assert_string_equal(out, "0123456789 ");
}

/* snm_err_set scrubs every message, before cutting it to size. */
static void test_error_messages_are_scrubbed(void **state)
{
  struct snm_err err;
  char pad[SNM_ERR_MSG_MAX];
  (void)state;

  assert_int_equal(snm_secret_add(KEY), 0);
  assert_int_equal(snm_secret_add("pw-4"), 0); /* weak: still scrubbed */
  assert_int_equal(
      snm_err_set(&err, SNM_EHTTP, "x: HTTP 403 key %s, pw %s", KEY, "pw-4"),
      SNM_EHTTP);
  assert_string_equal(err.msg, "x: HTTP 403 key [REDACTED], pw [REDACTED]");
  /* a secret across the cut is not shown in part */
  memset(pad, 'p', sizeof(pad));
  pad[SNM_ERR_MSG_MAX - 20] = '\0';
  snm_err_set(&err, SNM_EHTTP, "%s%s and more", pad, KEY);
  assert_null(strstr(err.msg, "wJalrXUtnFEMI"));
  assert_int_equal(strlen(err.msg), SNM_ERR_MSG_MAX - 1);
  /* a message may quote the record it replaces */
  snm_err_set(&err, SNM_EIO, "inner %s", KEY);
  snm_err_set(&err, SNM_EIO, "outer: %s", err.msg);
  assert_string_equal(err.msg, "outer: inner [REDACTED]");
}

/* snm_redact_text (every log line) applies the registry in every form. */
static void test_log_redaction_uses_the_registry(void **state)
{
  struct snm_buf b;
  const char *in = "reason: \"wJalrXUtnFEMI\\/K7MDENG\\/bPxRfiCYEXAMPLEKEY\"";
  (void)state;

  assert_int_equal(snm_log_add_secret(KEY), 0); /* the older name */
  snm_buf_init(&b, 0);
  assert_int_equal(snm_redact_text(&b, in, strlen(in)), 0);
  assert_string_equal(snm_buf_str(&b), "reason: \"[REDACTED]\"");
  snm_buf_dispose(&b);
  snm_log_clear_secrets();
  snm_buf_init(&b, 0);
  assert_int_equal(snm_redact_text(&b, KEY, strlen(KEY)), 0);
  assert_string_equal(snm_buf_str(&b), KEY);
  snm_buf_dispose(&b);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
  const struct CMUnitTest tests[] = {
      T(test_registry_and_forms),
      T(test_weak_values),
      T(test_overlapping_values_become_one),
      T(test_what_request_headers_give_away),
      T(test_what_presigned_urls_give_away),
      T(test_scrub_buf_in_place),
      T(test_scrub_into_a_fixed_buffer),
      T(test_error_messages_are_scrubbed),
      T(test_log_redaction_uses_the_registry),
  };
#undef T

  return cmocka_run_group_tests(tests, NULL, NULL);
}
