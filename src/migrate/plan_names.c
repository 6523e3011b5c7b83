/* plan_names.c - endpoint URLs, AWS host names, snapshot and repository
 * names, and the snapshot name template. */
#include "plan_int.h"
#include "buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_host_char(char ch)
{
  return isalnum((unsigned char)ch) || ch == '-' || ch == '.' || ch == '_';
}

int pc_endpoint(struct pctx *c, const struct snm_json *v, const char *path,
                struct snm_domain *d)
{
  const char *s = v->u.string.ptr, *p, *auth_end, *host, *host_end, *port;
  int ipv6 = 0;
  char where[PC_PATH_MAX];
  size_t len = v->u.string.len, scheme_len, plen;
  unsigned long portnum = 0;
  struct snm_buf b;

  pc_path(where, sizeof(where), path, "endpoint");
  /* never quote the endpoint: it might hold user:password@ */
  if (!snm_json_is_cstring(v) || len == 0) {
    pc_error(c, v->offset, "%s: must be a non-empty URL", where);
    return 0;
  }
  if (strncasecmp(s, "https://", 8) == 0) {
    d->tls = 1;
    scheme_len = 8;
  } else if (strncasecmp(s, "http://", 7) == 0) {
    d->tls = 0;
    scheme_len = 7;
  } else {
    pc_error(c, v->offset, "%s: must start with https:// or http://", where);
    return 0;
  }
  for (p = s; *p != '\0'; p++) {
    if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\\') {
      pc_error(c, v->offset,
               "%s: must not contain spaces, control "
               "characters or '\\'",
               where);
      return 0;
    }
  }
  if (strpbrk(s, "?#") != NULL) {
    pc_error(c, v->offset, "%s: must not have a query or fragment", where);
    return 0;
  }
  host = s + scheme_len;
  auth_end = host + strcspn(host, "/");
  if (memchr(host, '@', (size_t)(auth_end - host)) != NULL) {
    pc_error(c, v->offset,
             "%s: must not contain user info (user@ or "
             "user:password@); use \"auth\"",
             where);
    return 0;
  }
  if (*host == '[') {
    host_end = memchr(host, ']', (size_t)(auth_end - host));
    if (host_end == NULL || host_end == host + 1) {
      pc_error(c, v->offset, "%s: bad IPv6 address", where);
      return 0;
    }
    for (p = host + 1; p < host_end; p++) {
      if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
        pc_error(c, v->offset, "%s: bad IPv6 address", where);
        return 0;
      }
    }
    port = host_end + 1;
    host++;
    ipv6 = 1;
  } else {
    host_end = host;
    while (host_end < auth_end && *host_end != ':')
      host_end++;
    port = host_end;
  }
  if (host_end == host) {
    pc_error(c, v->offset, "%s: has no host name", where);
    return 0;
  }
  for (p = host; p < host_end && !ipv6; p++) {
    if (!is_host_char(*p)) {
      pc_error(c, v->offset, "%s: bad character '%c' in the host name", where,
               *p);
      return 0;
    }
  }
  if (port < auth_end) {
    char *end;

    if (*port != ':' || port + 1 == auth_end ||
        !isdigit((unsigned char)port[1])) {
      pc_error(c, v->offset, "%s: bad port", where);
      return 0;
    }
    portnum = strtoul(port + 1, &end, 10);
    if (end != auth_end || portnum == 0 || portnum > 65535) {
      pc_error(c, v->offset, "%s: port must be 1 to 65535", where);
      return 0;
    }
  }
  d->port = portnum != 0 ? (unsigned)portnum : d->tls ? 443 : 80;
  d->host = malloc((size_t)(host_end - host) + 1);
  if (d->host == NULL) {
    c->nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < (size_t)(host_end - host); i++)
    d->host[i] = (char)tolower((unsigned char)host[i]);
  d->host[host_end - host] = '\0';
  /* the path prefix, without trailing slashes */
  plen = strlen(auth_end);
  while (plen > 0 && auth_end[plen - 1] == '/')
    plen--;
  d->base_path = malloc(plen + 1);
  d->endpoint = malloc((size_t)(auth_end - s) + plen + 1);
  if (d->base_path == NULL || d->endpoint == NULL) {
    c->nomem = 1;
    return 0;
  }
  memcpy(d->base_path, auth_end, plen);
  d->base_path[plen] = '\0';
  memcpy(d->endpoint, s, (size_t)(auth_end - s) + plen);
  d->endpoint[(size_t)(auth_end - s) + plen] = '\0';

  snm_buf_init(&b, 0);
  /* the URL every request goes to: a cut one must not be used */
  if (snm_buf_printf(&b, "%s://%s%s%s", d->tls ? "https" : "http",
                     strchr(d->host, ':') != NULL ? "[" : "", d->host,
                     strchr(d->host, ':') != NULL ? "]" : "") == 0 &&
      (portnum == 0 || d->port == (d->tls ? 443u : 80u) ||
       snm_buf_printf(&b, ":%u", d->port) == 0) &&
      snm_buf_puts(&b, d->base_path) == 0)
    d->base_url = snm_buf_steal(&b);
  snm_buf_dispose(&b);
  if (d->base_url == NULL) {
    c->nomem = 1;
    return 0;
  }
  return 1;
}

static int ends_with(const char *s, const char *suffix, size_t *at)
{
  size_t ls = strlen(s), lx = strlen(suffix);

  if (ls < lx || strcasecmp(s + ls - lx, suffix) != 0)
    return 0;
  *at = ls - lx;
  return 1;
}

int snm_aws_host_info(const char *host, char *region, size_t regionsz,
                      char *service, size_t servicesz)
{
  static const struct {
    const char *suffix;
    const char *service;
  } known[] = {{".es.amazonaws.com", "es"},
               {".es.amazonaws.com.cn", "es"},
               {".aoss.amazonaws.com", "aoss"}};
  size_t at, start;

  for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
    if (!ends_with(host, known[k].suffix, &at))
      continue;
    /* the label just before the suffix is the region; one more before */
    start = at;
    while (start > 0 && host[start - 1] != '.')
      start--;
    if (start < 2 || at == start || at - start >= regionsz ||
        memchr(host + start, '-', at - start) == NULL)
      return 0;
    for (size_t i = start; i < at; i++)
      if (!isalnum((unsigned char)host[i]) && host[i] != '-')
        return 0;
    for (size_t i = start; i < at; i++)
      region[i - start] = (char)tolower((unsigned char)host[i]);
    region[at - start] = '\0';
    snprintf(service, servicesz, "%s", known[k].service);
    return 1;
  }
  return 0;
}

static int name_check(const char *what, const char *name, struct snm_err *err)
{
  size_t len = strlen(name);

  if (len == 0)
    return snm_err_set(err, SNM_EINVAL, "%s must not be empty", what);
  if (len > SNM_SNAPSHOT_NAME_MAX)
    return snm_err_set(err, SNM_EINVAL,
                       "%s \"%.40s...\" is longer than %d "
                       "bytes",
                       what, name, SNM_SNAPSHOT_NAME_MAX);
  if (name[0] == '_' || name[0] == '-')
    return snm_err_set(err, SNM_EINVAL, "%s \"%s\" must not start with '%c'",
                       what, name, name[0]);
  for (const char *p = name; *p != '\0'; p++) {
    if (isupper((unsigned char)*p))
      return snm_err_set(err, SNM_EINVAL, "%s \"%s\" must be lowercase", what,
                         name);
    if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
      return snm_err_set(err, SNM_EINVAL,
                         "%s \"%s\" must not contain whitespace", what, name);
    if (strchr("\\/*?\"<>|,#", *p) != NULL)
      return snm_err_set(err, SNM_EINVAL, "%s \"%s\" must not contain '%c'",
                         what, name, *p);
  }
  return 0;
}

int snm_snapshot_name_check(const char *name, struct snm_err *err)
{
  return name_check("snapshot name", name, err);
}

int snm_repository_name_check(const char *name, struct snm_err *err)
{
  return name_check("repository name", name, err);
}

/* strftime conversions glibc and POSIX agree on. */
static int check_strftime(const char *fmt, size_t len, size_t *bad)
{
  for (size_t i = 0; i < len; i++) {
    if (fmt[i] != '%')
      continue;
    *bad = i;
    if (++i == len)
      return SNM_EINVAL;
    if ((fmt[i] == 'E' || fmt[i] == 'O') && i + 1 < len)
      i++;
    if (strchr("aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%", fmt[i]) == NULL)
      return SNM_EINVAL;
  }
  return 0;
}

/* strftime with a format from the plan (checked by check_strftime). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t utc_format(char *out, size_t outsz, const char *fmt,
                         const struct tm *tm)
{
  return strftime(out, outsz, fmt, tm);
}
#pragma GCC diagnostic pop

int snm_snapshot_name_expand(char *out, size_t outsz, const char *tmpl,
                             const char *plan_name, time_t now, size_t *err_at,
                             struct snm_err *err)
{
  struct snm_buf b;
  struct tm tm;
  int rc = 0;

  if (err_at != NULL)
    *err_at = (size_t)-1;
  if (gmtime_r(&now, &tm) == NULL)
    return snm_err_set(err, SNM_EINVAL, "the time cannot be expressed in UTC");
  snm_buf_init(&b, SNM_SNAPSHOT_NAME_MAX + 1);
  for (const char *p = tmpl; *p != '\0' && rc == 0;) {
    const char *close;
    size_t at = (size_t)(p - tmpl), n;
    char fmt[128], piece[SNM_SNAPSHOT_NAME_MAX + 2];

    if (*p != '{') {
      rc = snm_buf_putc(&b, *p++);
      continue;
    }
    close = strchr(p, '}');
    if (close == NULL) {
      if (err_at != NULL)
        *err_at = at;
      rc =
          snm_err_set(err, SNM_EINVAL, "unterminated placeholder \"%.20s\"", p);
      break;
    }
    n = (size_t)(close - p - 1);
    if (n == 4 && strncmp(p + 1, "plan", 4) == 0) {
      for (const char *q = plan_name; *q != '\0' && rc == 0; q++)
        rc = snm_buf_putc(&b, (char)tolower((unsigned char)*q));
    } else if (n == 4 && strncmp(p + 1, "date", 4) == 0) {
      strftime(piece, sizeof(piece), "%Y.%m.%d", &tm);
      rc = snm_buf_puts(&b, piece);
    } else if (n >= 4 && strncmp(p + 1, "utc:", 4) == 0) {
      size_t flen = n - 4, bad = 0;

      if (flen == 0 || flen >= sizeof(fmt)) {
        if (err_at != NULL)
          *err_at = at;
        rc = snm_err_set(err, SNM_EINVAL, "%s strftime format in {utc:...}",
                         flen == 0 ? "empty" : "too long a");
        break;
      }
      memcpy(fmt, p + 5, flen);
      fmt[flen] = '\0';
      if (check_strftime(fmt, flen, &bad) != 0) {
        if (err_at != NULL)
          *err_at = at + 5 + bad;
        rc = snm_err_set(err, SNM_EINVAL,
                         "unknown strftime conversion \"%.3s\" in {utc:%s}",
                         fmt + bad, fmt);
        break;
      }
      if (utc_format(piece, sizeof(piece), fmt, &tm) == 0) {
        if (err_at != NULL)
          *err_at = at;
        rc = snm_err_set(err, SNM_EINVAL,
                         "{utc:%s} expands to nothing or to too long a name",
                         fmt);
        break;
      }
      rc = snm_buf_puts(&b, piece);
    } else {
      if (err_at != NULL)
        *err_at = at;
      rc = snm_err_set(err, SNM_EINVAL,
                       "unknown placeholder \"{%.*s}\" (known: {plan}, "
                       "{date}, {utc:FORMAT})",
                       (int)(n > 40 ? 40 : n), p + 1);
      break;
    }
    p = close + 1;
  }
  if (rc == SNM_ENOMEM)
    rc = snm_err_set(err, SNM_EINVAL, "snapshot name is longer than %d bytes",
                     SNM_SNAPSHOT_NAME_MAX);
  if (rc == 0)
    rc = snm_snapshot_name_check(snm_buf_str(&b), err);
  if (rc == 0) {
    if (b.len + 1 > outsz)
      rc = snm_err_set(err, SNM_EINVAL, "snapshot name does not fit %zu bytes",
                       outsz);
    else
      memcpy(out, snm_buf_str(&b), b.len + 1);
  }
  snm_buf_dispose(&b);
  return rc;
}

int snm_plan_snapshot_name(char *out, size_t outsz, const struct snm_plan *p,
                           time_t now, struct snm_err *err)
{
  return snm_snapshot_name_expand(out, outsz, p->snapshot.name_template,
                                  p->name, now, NULL, err);
}
