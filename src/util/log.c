/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"
#include "buf.h"
#include "err.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int log_level = SNM_LOG_INFO;
static FILE *log_stream;

void snm_log_set_level(int level)
{
  log_level = level;
}

int snm_log_level(void)
{
  return log_level;
}

int snm_log_enabled(int level)
{
  return level <= log_level;
}

void snm_log_set_stream(FILE *fp)
{
  log_stream = fp;
}

int snm_log_add_secret(const char *secret)
{
  return snm_secret_add(secret);
}

void snm_log_clear_secrets(void)
{
  snm_secret_wipe_all();
}

static const char *const secret_params[] = {
    "X-Amz-Signature=", "X-Amz-Security-Token=", "X-Amz-Credential="};

/* Length of a secret-bearing header name at p (up to and including ':'), or
 * 0.  Only at the start of a line. */
static size_t secret_header_at(const char *p, size_t left)
{
  size_t n = 0;

  while (n < left && p[n] != ':' && p[n] != ' ' && p[n] != '\r' && p[n] != '\n')
    n++;
  if (n < left && p[n] == ':' && snm_secret_header_name(p, n))
    return n + 1;
  return 0;
}

static size_t secret_param_at(const char *p, size_t left)
{
  for (size_t i = 0; i < sizeof(secret_params) / sizeof(*secret_params); i++) {
    size_t n = strlen(secret_params[i]);
    if (left >= n && strncasecmp(p, secret_params[i], n) == 0)
      return n;
  }
  return 0;
}

/* The header and query parameter rules of snm_redact_text. */
static int redact_patterns(struct snm_buf *out, const char *text, size_t len)
{
  size_t i = 0;
  int bol = 1; /* at beginning of a line */

  while (i < len) {
    size_t n;

    if (bol) {
      size_t j = i;
      while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '>' ||
                         text[j] == '<'))
        j++;
      n = secret_header_at(text + j, len - j);
      if (n > 0) {
        size_t v = j + n, end;
        int is_auth = strncasecmp(text + j, "authorization:", 14) == 0 ||
                      strncasecmp(text + j, "proxy-authorization:", 20) == 0;
        if (snm_buf_append(out, text + i, v - i) != 0)
          return SNM_ENOMEM;
        while (v < len && text[v] == ' ')
          v++;
        end = v;
        while (end < len && text[end] != '\r' && text[end] != '\n')
          end++;
        if (is_auth) {
          /* keep the scheme word: "AWS4-HMAC-SHA256", "Basic", ... */
          size_t w = v;
          while (w < end && text[w] != ' ')
            w++;
          if (w < end) {
            if (snm_buf_putc(out, ' ') != 0 ||
                snm_buf_append(out, text + v, w - v) != 0)
              return SNM_ENOMEM;
          }
        }
        if (snm_buf_puts(out, " " SNM_REDACTED) != 0)
          return SNM_ENOMEM;
        i = end;
        bol = 0;
        continue;
      }
    }
    n = secret_param_at(text + i, len - i);
    if (n > 0 && (i == 0 || text[i - 1] == '?' || text[i - 1] == '&')) {
      size_t end = i + n;
      while (end < len && text[end] != '&' && text[end] != ' ' &&
             text[end] != '\r' && text[end] != '\n' && text[end] != '"')
        end++;
      if (snm_buf_append(out, text + i, n) != 0 ||
          snm_buf_puts(out, SNM_REDACTED) != 0)
        return SNM_ENOMEM;
      i = end;
      bol = 0;
      continue;
    }
    if (snm_buf_putc(out, text[i]) != 0)
      return SNM_ENOMEM;
    bol = text[i] == '\n';
    i++;
  }
  return 0;
}

int snm_redact_text(struct snm_buf *out, const char *text, size_t len)
{
  struct snm_buf tmp;
  int rc;

  snm_buf_init(&tmp, 0);
  rc = redact_patterns(&tmp, text, len);
  if (rc == 0)
    rc = snm_secret_scrub(out, snm_buf_str(&tmp), tmp.len, NULL, SNM_SCRUB_ALL);
  if (tmp.data != NULL)
    OPENSSL_cleanse(tmp.data, tmp.len);
  snm_buf_dispose(&tmp);
  return rc;
}

void snm_sanitize_line(char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
      s[i] = '?';
}

static const char *level_name(int level)
{
  switch (level) {
  case SNM_LOG_ERROR:
    return "error";
  case SNM_LOG_WARN:
    return "warning";
  case SNM_LOG_INFO:
    return "info";
  case SNM_LOG_DEBUG:
    return "debug";
  default:
    return "trace";
  }
}

/* Longer log lines are cut there (after redaction, so no secret is cut in
 * half and shown) and end in LOG_CUT_MARK. */
#define LOG_LINE_MAX ((size_t)1 << 20)
#define LOG_CUT_MARK "... [truncated]"

void snm_log(int level, const char *fmt, ...)
{
  struct snm_buf raw, clean;
  va_list ap;
  FILE *fp = log_stream != NULL ? log_stream : stderr;
  int rc;

  if (!snm_log_enabled(level))
    return;
  snm_buf_init(&raw, 0);
  snm_buf_init(&clean, 0);
  va_start(ap, fmt);
  rc = snm_buf_vprintf(&raw, fmt, ap);
  va_end(ap);
  if (rc == 0)
    rc = snm_redact_text(&clean, snm_buf_str(&raw), raw.len);
  if (rc == 0 && clean.len > LOG_LINE_MAX) {
    size_t n = LOG_LINE_MAX;
    while (n > 0 && ((unsigned char)clean.data[n] & 0xC0) == 0x80)
      n--; /* not inside a UTF-8 sequence */
    clean.len = n;
    rc = snm_buf_puts(&clean, LOG_CUT_MARK);
  }
  if (rc == 0) {
    if (clean.data != NULL)
      snm_sanitize_line(clean.data, clean.len);
    if (level >= SNM_LOG_DEBUG) {
      char ts[32];
      struct timespec now;
      struct tm tm;
      clock_gettime(CLOCK_REALTIME, &now);
      gmtime_r(&now.tv_sec, &tm);
      strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
      fprintf(fp, "snapmig: %s.%03ld %s: %s\n", ts, now.tv_nsec / 1000000L,
              level_name(level), snm_buf_str(&clean));
    } else {
      fprintf(fp, "snapmig: %s: %s\n", level_name(level), snm_buf_str(&clean));
    }
  } else {
    fprintf(fp, "snapmig: %s: (log line dropped: out of memory)\n",
            level_name(level));
  }
  fflush(fp);
  snm_buf_dispose(&raw);
  snm_buf_dispose(&clean);
}
