/* SPDX-License-Identifier: Apache-2.0 */
/* log.h - leveled logging to stderr with secret redaction.
 *
 * Every line that leaves through snm_log passes snm_redact_text: values of
 * secret-bearing HTTP headers and presigned query parameters are replaced
 * with "[REDACTED]", and so is every value of the secret registry
 * (secret.h: secret keys, session tokens, passwords).  This is defense in
 * depth: server text was already scrubbed when it arrived.  A log line is
 * one line: control characters in it are shown as '?'.
 */
#ifndef SNM_LOG_H
#define SNM_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "secret.h"

struct snm_buf;

enum snm_log_level {
  SNM_LOG_QUIET = -1, /* nothing, not even errors */
  SNM_LOG_ERROR = 0,
  SNM_LOG_WARN = 1,
  SNM_LOG_INFO = 2,
  SNM_LOG_DEBUG = 3,
  SNM_LOG_TRACE = 4 /* -v -v: HTTP traces (redacted) */
};

void snm_log_set_level(int level);
int snm_log_level(void);
int snm_log_enabled(int level);

/* Where log lines go; stderr by default.  Tests may point it elsewhere. */
void snm_log_set_stream(FILE *fp);

void snm_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Older names of snm_secret_add and snm_secret_wipe_all (secret.h): the
 * value is registered for every scrub, not only the log's. */
int snm_log_add_secret(const char *secret);
void snm_log_clear_secrets(void);

/* Replace each C0 control character (0x00-0x1F: newline, tab and ESC
 * included) and DEL in the `len` bytes at `s` with '?', in place, so text
 * from a server stays on one line and cannot move the cursor or recolour a
 * terminal.  snm_log does this to every line (after redaction). */
void snm_sanitize_line(char *s, size_t len);

/* Append `text` (len bytes) to `out` with secrets redacted:
 *  - header lines "Authorization:", "Proxy-Authorization:",
 *    "X-Amz-Security-Token:", "Cookie:", "Set-Cookie:" keep their name (and
 *    for Authorization the scheme word) and lose their value;
 *  - query parameters X-Amz-Signature, X-Amz-Security-Token,
 *    X-Amz-Credential lose their values;
 *  - registered secrets (all of them, weak ones too) are replaced wherever
 *    they occur.
 * Returns 0 or SNM_ENOMEM. */
int snm_redact_text(struct snm_buf *out, const char *text, size_t len);

#endif
