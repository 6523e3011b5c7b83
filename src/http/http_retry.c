/* http_retry.c - what a failed attempt means: retry or not, the backoff
 * before the next one, and the one-line message of a final failure. */
#include "http.h"
#include "http_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- pure helpers ------------------------------------------------------- */

uint64_t snm_http__rand(uint64_t *state)
{
  /* xorshift64*: jitter only, not for secrets */
  uint64_t x = *state;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

long snm_http__backoff_ms(int attempt, long base_ms, long max_ms, uint64_t r)
{
  long cap = base_ms;

  if (base_ms <= 0 || max_ms <= 0)
    return 0;
  for (int i = 1; i < attempt && cap < max_ms; i++)
    cap = cap > max_ms / 2 ? max_ms : cap * 2;
  if (cap > max_ms)
    cap = max_ms;
  return (long)(r % ((uint64_t)cap + 1));
}

long snm_http__retry_after_ms(const char *value, time_t now)
{
  const char *p = value;
  const char *end;
  long secs = 0;
  time_t when;

  while (*p == ' ' || *p == '\t')
    p++;
  end = p + strlen(p);
  while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  if (end == p)
    return -1;
  if (isdigit((unsigned char)*p)) {
    for (const char *q = p; q < end; q++) {
      if (!isdigit((unsigned char)*q))
        return -1;
      if (secs < 86400L * 365) /* saturate: capped by the caller anyway */
        secs = secs * 10 + (*q - '0');
    }
    return secs * 1000L;
  }
  when = curl_getdate(p, &now); /* HTTP-date */
  if (when == (time_t)-1)
    return -1;
  if (when <= now)
    return 0;
  if (when - now > 86400L * 365)
    return 86400L * 365 * 1000L;
  return (long)(when - now) * 1000L;
}

/* ---- classification ----------------------------------------------------- */

static int connected(const struct snm_http_call *c)
{
  curl_off_t t = 0;

  curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &t);
  return t > 0;
}

static long os_errno(const struct snm_http_call *c)
{
  long e = 0;

  curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &e);
  return e != 0 ? e : c->sock_errno;
}

int snm_http__classify(struct snm_http_call *c, CURLcode rc,
                       const char **reason)
{
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    c->status = status;
    snm_err_clear(&c->err);
    c->err.http_status = status;
    switch (status) {
    case 429:
      *reason = "HTTP 429 Too Many Requests";
      return 1;
    case 503:
      *reason = "HTTP 503 Service Unavailable";
      return 1;
    case 502:
      *reason = "HTTP 502 Bad Gateway";
      return c->replayable;
    case 504:
      *reason = "HTTP 504 Gateway Timeout";
      return c->replayable;
    default:
      return 0;
    }
  }
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    *reason = os_errno(c) == ECONNREFUSED ? "connection refused"
                                          : "could not connect";
    return 1;
  case CURLE_COULDNT_RESOLVE_HOST:
    *reason = "could not resolve the host";
    return 1;
  case CURLE_OPERATION_TIMEDOUT:
    *reason = "timed out";
    return !connected(c) || c->replayable;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    *reason =
        os_errno(c) == ECONNRESET ? "connection reset" : "connection failed";
    return c->replayable;
  case CURLE_GOT_NOTHING:
    *reason = "connection closed without a reply";
    return c->replayable;
  case CURLE_PARTIAL_FILE:
    *reason = "reply cut short";
    return c->replayable;
  default:
    *reason = curl_easy_strerror(rc);
    return 0;
  }
}

/* ---- the final message -------------------------------------------------- */

void snm_http__fail(struct snm_http_call *c, CURLcode rc)
{
  struct snm_buf cause;
  const char *hint = "";
  int code = SNM_ENET;
  long e = os_errno(c);
  long status = 0;

  snm_buf_init(&cause, 0);
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    if (e == ECONNREFUSED)
      snm_best_effort(snm_buf_puts(&cause, "connection refused"));
    else
      snm_best_effort(
          snm_buf_printf(&cause, "could not connect (%s)",
                         c->errbuf[0] ? c->errbuf : strerror((int)e)));
    hint = "; is the domain reachable?";
    break;
  case CURLE_COULDNT_RESOLVE_HOST:
    snm_best_effort(snm_buf_puts(&cause, "could not resolve the host name"));
    hint = "; check the endpoint";
    break;
  case CURLE_OPERATION_TIMEDOUT:
    code = SNM_ETIMEOUT;
    if (!connected(c))
      snm_best_effort(snm_buf_printf(&cause, "no connection within %ld ms",
                                     c->connect_timeout_ms));
    else
      snm_best_effort(snm_buf_printf(&cause, "no complete reply within %ld ms",
                                     c->timeout_ms));
    break;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    if (e == ECONNRESET)
      snm_best_effort(snm_buf_puts(&cause, "connection reset by peer"));
    else
      snm_best_effort(
          snm_buf_printf(&cause, "connection failed (%s)",
                         c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc)));
    break;
  case CURLE_GOT_NOTHING:
    snm_best_effort(snm_buf_puts(
        &cause, "the server closed the connection without replying"));
    break;
  case CURLE_PARTIAL_FILE:
    snm_best_effort(snm_buf_puts(&cause, "the reply was cut short"));
    break;
  case CURLE_PEER_FAILED_VERIFICATION:
    snm_best_effort(
        snm_buf_printf(&cause,
                       "the server's TLS certificate could not be verified "
                       "(%s)",
                       c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc)));
    if (strstr(c->errbuf, "match") != NULL)
      hint = "; the certificate does not name this host: use a host name "
             "it was issued for";
    else if (c->ca_file != NULL)
      hint = "; check that ca_file holds the CA that issued it";
    else
      hint = "; set the domain's ca_file to the CA certificate that issued "
             "it (\"insecure\": true would skip verification, so that "
             "anyone on the path could read and change the traffic)";
    break;
  case CURLE_SSL_CACERT_BADFILE:
    code = SNM_EIO;
    snm_best_effort(
        snm_buf_printf(&cause, "cannot load ca_file %s",
                       c->ca_file != NULL ? c->ca_file : "(default)"));
    break;
  case CURLE_SSL_CONNECT_ERROR:
    snm_best_effort(
        snm_buf_printf(&cause, "TLS handshake failed (%s)",
                       c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc)));
    break;
  case CURLE_FILESIZE_EXCEEDED:
  case CURLE_WRITE_ERROR:
    if (rc == CURLE_FILESIZE_EXCEEDED || c->too_large) {
      code = SNM_EHTTP;
      curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
      snm_best_effort(snm_buf_printf(&cause, "reply larger than %zu bytes",
                                     c->resp_body.max));
    } else {
      code = SNM_ENOMEM;
      snm_best_effort(snm_buf_puts(&cause, "out of memory for the reply"));
    }
    break;
  default:
    snm_best_effort(snm_buf_printf(&cause, "%s (%s)", curl_easy_strerror(rc),
                                   c->errbuf[0] ? c->errbuf : "no detail"));
    break;
  }
  if (c->attempts > 1)
    snm_http__call_err(c, &c->err, code, "%s (after %d attempts)%s",
                       snm_buf_str(&cause), c->attempts, hint);
  else
    snm_http__call_err(c, &c->err, code, "%s%s", snm_buf_str(&cause), hint);
  c->err.http_status = status;
  snm_buf_dispose(&cause);
}
