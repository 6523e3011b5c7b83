/* secret.c - the registry of secret values and the scrubber (secret.h). */
#include "secret.h"
#include "buf.h"
#include "err.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The registry is the one piece of this module that another thread
 * touches: the credential chain's fetches run on libuv's thread pool
 * (creds_async.c) and register what they read, and their error messages
 * are scrubbed there.  `registry_lock` guards it; sets are their owner's. */
static struct snm_secret_set registry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- sets --------------------------------------------------------------- */

void snm_secret_set_init(struct snm_secret_set *set)
{
  set->items = NULL;
  set->n = set->cap = 0;
}

void snm_secret_set_wipe(struct snm_secret_set *set)
{
  for (size_t i = 0; i < set->n; i++) {
    OPENSSL_cleanse(set->items[i].value, set->items[i].len);
    free(set->items[i].value);
  }
  free(set->items);
  snm_secret_set_init(set);
}

static int is_weak(const char *v, size_t len)
{
  if (len < SNM_SECRET_REPLY_MIN)
    return 1;
  for (size_t i = 0; i < len; i++)
    if (!isdigit((unsigned char)v[i]))
      return 0;
  return 1;
}

/* Add one form, no variants. */
static int add_one(struct snm_secret_set *set, const char *v, size_t len,
                   int weak)
{
  char *copy;

  if (len < SNM_SECRET_MIN_LEN)
    return 0;
  for (size_t i = 0; i < set->n; i++)
    if (set->items[i].len == len && memcmp(set->items[i].value, v, len) == 0)
      return 0;
  if (set->n == set->cap) {
    size_t cap = set->cap != 0 ? set->cap * 2 : 8;
    struct snm_secret *items = realloc(set->items, cap * sizeof(*items));
    if (items == NULL)
      return SNM_ENOMEM;
    set->items = items;
    set->cap = cap;
  }
  copy = snm_memdup0(v, len);
  if (copy == NULL)
    return SNM_ENOMEM;
  set->items[set->n].value = copy;
  set->items[set->n].len = len;
  set->items[set->n].weak = weak;
  set->n++;
  return 0;
}

/* Add the form `v` takes after replacing each byte for which `esc` returns
 * a non-NULL string, if that differs from `v`. */
static int add_escaped(struct snm_secret_set *set, const char *v, size_t len,
                       int weak, const char *(*esc)(unsigned char, char *))
{
  struct snm_buf b;
  int changed = 0, rc = 0;

  snm_buf_init(&b, 0);
  for (size_t i = 0; i < len && rc == 0; i++) {
    char tmp[4];
    const char *e = esc((unsigned char)v[i], tmp);
    if (e != NULL) {
      changed = 1;
      rc = snm_buf_puts(&b, e);
    } else {
      rc = snm_buf_putc(&b, v[i]);
    }
  }
  if (rc == 0 && changed)
    rc = add_one(set, b.data, b.len, weak);
  if (b.data != NULL)
    OPENSSL_cleanse(b.data, b.len);
  snm_buf_dispose(&b);
  return rc;
}

/* JSON writers that escape '/' (and every one escapes '"' and '\'). */
static const char *json_escape(unsigned char c, char *tmp)
{
  (void)tmp;
  switch (c) {
  case '/':
    return "\\/";
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  default:
    return NULL;
  }
}

/* Percent-encoding of everything but RFC 3986's unreserved bytes. */
static const char *url_escape(unsigned char c, char *tmp)
{
  static const char hex[] = "0123456789ABCDEF";

  if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
    return NULL;
  tmp[0] = '%';
  tmp[1] = hex[c >> 4];
  tmp[2] = hex[c & 15];
  tmp[3] = '\0';
  return tmp;
}

int snm_secret_set_add(struct snm_secret_set *set, const char *value,
                       size_t len)
{
  int weak;

  if (value == NULL || len < SNM_SECRET_MIN_LEN)
    return 0;
  weak = is_weak(value, len);
  if (add_one(set, value, len, weak) != 0 ||
      add_escaped(set, value, len, weak, json_escape) != 0 ||
      add_escaped(set, value, len, weak, url_escape) != 0)
    return SNM_ENOMEM;
  return 0;
}

int snm_secret_add(const char *value)
{
  int rc;

  if (value == NULL)
    return 0;
  pthread_mutex_lock(&registry_lock);
  rc = snm_secret_set_add(&registry, value, strlen(value));
  pthread_mutex_unlock(&registry_lock);
  return rc;
}

void snm_secret_wipe_all(void)
{
  pthread_mutex_lock(&registry_lock);
  snm_secret_set_wipe(&registry);
  pthread_mutex_unlock(&registry_lock);
}

/* ---- what a request gives away ------------------------------------------ */

int snm_secret_header_name(const char *name, size_t len)
{
  static const char *const names[] = {
      "authorization", "proxy-authorization", "x-amz-security-token",
      "cookie",        "set-cookie",          "x-aws-ec2-metadata-token"};

  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
      return 1;
  return 0;
}

/* "user:password" from base64 `b64` (`len` bytes): add it and the
 * password. */
static int add_basic(struct snm_secret_set *set, const char *b64, size_t len)
{
  unsigned char *plain;
  const char *colon;
  int n, rc = 0;

  if (len == 0 || len % 4 != 0 || len > 4096)
    return 0; /* not base64: nothing to decode */
  plain = malloc(len / 4 * 3 + 1);
  if (plain == NULL)
    return SNM_ENOMEM;
  n = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)len);
  if (n > 0) {
    while (n > 0 && plain[n - 1] == '\0') /* the padding decodes to NULs */
      n--;
    rc = snm_secret_set_add(set, (const char *)plain, (size_t)n);
    colon = memchr(plain, ':', (size_t)n);
    if (rc == 0 && colon != NULL)
      rc = snm_secret_set_add(set, colon + 1,
                              (size_t)n - (size_t)(colon + 1 - (char *)plain));
    OPENSSL_cleanse(plain, (size_t)n);
  }
  free(plain);
  return rc;
}

int snm_secret_set_add_header(struct snm_secret_set *set, const char *line)
{
  const char *colon = strchr(line, ':'), *v, *end, *sp, *sig;
  int rc;

  if (colon == NULL || !snm_secret_header_name(line, (size_t)(colon - line)))
    return 0;
  v = colon + 1;
  while (*v == ' ' || *v == '\t')
    v++;
  end = v + strlen(v);
  while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  rc = snm_secret_set_add(set, v, (size_t)(end - v));
  sp = memchr(v, ' ', (size_t)(end - v));
  if (rc != 0 || sp == NULL)
    return rc;
  /* "Scheme credentials" */
  while (sp < end && *sp == ' ')
    sp++;
  rc = snm_secret_set_add(set, sp, (size_t)(end - sp));
  if (rc == 0 && sp - v == 6 && strncasecmp(v, "Basic ", 6) == 0)
    rc = add_basic(set, sp, (size_t)(end - sp));
  sig = strstr(sp, "Signature=");
  if (rc == 0 && sig != NULL && sig < end) {
    size_t n = 0;
    sig += strlen("Signature=");
    while (sig + n < end && isxdigit((unsigned char)sig[n]))
      n++;
    rc = snm_secret_set_add(set, sig, n);
  }
  return rc;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int snm_secret_set_add_query(struct snm_secret_set *set, const char *url)
{
  static const char *const params[] = {"X-Amz-Signature=",
                                       "X-Amz-Security-Token="};
  const char *q = strchr(url, '?');

  q = q != NULL ? q + 1 : url;
  while (*q != '\0') {
    size_t n = strcspn(q, "&");
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
      size_t pl = strlen(params[i]);
      if (n > pl && strncasecmp(q, params[i], pl) == 0) {
        const char *v = q + pl;
        size_t vl = n - pl, dl = 0;
        char *dec = malloc(vl + 1);
        int rc;
        if (dec == NULL)
          return SNM_ENOMEM;
        for (size_t k = 0; k < vl; k++) {
          if (v[k] == '%' && k + 2 < vl && hexval(v[k + 1]) >= 0 &&
              hexval(v[k + 2]) >= 0) {
            dec[dl++] = (char)(hexval(v[k + 1]) * 16 + hexval(v[k + 2]));
            k += 2;
          } else {
            dec[dl++] = v[k];
          }
        }
        rc = snm_secret_set_add(set, v, vl);
        if (rc == 0)
          rc = snm_secret_set_add(set, dec, dl);
        OPENSSL_cleanse(dec, vl + 1);
        free(dec);
        if (rc != 0)
          return rc;
      }
    }
    q += n;
    if (*q == '&')
      q++;
  }
  return 0;
}

/* ---- scrubbing ---------------------------------------------------------- */

struct match {
  size_t at, len;
};

struct matches {
  struct match *m; /* malloced */
  size_t n, cap;
};

static int push(struct matches *ms, size_t at, size_t len)
{
  if (ms->n == ms->cap) {
    size_t cap = ms->cap != 0 ? ms->cap * 2 : 16;
    struct match *m = realloc(ms->m, cap * sizeof(*m));
    if (m == NULL)
      return SNM_ENOMEM;
    ms->m = m;
    ms->cap = cap;
  }
  ms->m[ms->n].at = at;
  ms->m[ms->n].len = len;
  ms->n++;
  return 0;
}

/* Every occurrence of the set's values in `text`. */
static int find_all(struct matches *ms, const char *text, size_t len,
                    const struct snm_secret_set *set, enum snm_scrub_mode mode)
{
  for (size_t i = 0; set != NULL && i < set->n; i++) {
    const struct snm_secret *s = &set->items[i];
    size_t from = 0;

    if (mode == SNM_SCRUB_REPLY && s->weak)
      continue;
    while (from + s->len <= len) {
      const char *p = memchr(text + from, s->value[0], len - s->len - from + 1);
      if (p == NULL)
        break;
      if (memcmp(p, s->value, s->len) == 0 &&
          push(ms, (size_t)(p - text), s->len) != 0)
        return SNM_ENOMEM;
      from = (size_t)(p - text) + 1;
    }
  }
  return 0;
}

/* find_all on the registry, under its lock. */
static int find_registered(struct matches *ms, const char *text, size_t len,
                           enum snm_scrub_mode mode)
{
  int rc;

  pthread_mutex_lock(&registry_lock);
  rc = find_all(ms, text, len, &registry, mode);
  pthread_mutex_unlock(&registry_lock);
  return rc;
}

static int by_position(const void *a, const void *b)
{
  const struct match *x = a, *y = b;

  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return x->len > y->len ? -1 : x->len < y->len;
}

/* Append the text with the matches replaced; returns how many or
 * SNM_ENOMEM. */
static int emit(struct snm_buf *out, const char *text, size_t len,
                struct matches *ms)
{
  size_t pos = 0, i = 0;
  int count = 0;

  if (ms->n > 1)
    qsort(ms->m, ms->n, sizeof(*ms->m), by_position);
  while (i < ms->n) {
    size_t at = ms->m[i].at, end = at + ms->m[i].len;
    /* merge every match that overlaps this one */
    for (i++; i < ms->n && ms->m[i].at < end; i++)
      if (ms->m[i].at + ms->m[i].len > end)
        end = ms->m[i].at + ms->m[i].len;
    if (snm_buf_append(out, text + pos, at - pos) != 0 ||
        snm_buf_puts(out, SNM_REDACTED) != 0)
      return SNM_ENOMEM;
    pos = end;
    count++;
  }
  if (snm_buf_append(out, text + pos, len - pos) != 0)
    return SNM_ENOMEM;
  return count;
}

static int scrub(struct snm_buf *out, const char *text, size_t len,
                 const struct snm_secret_set *extra, enum snm_scrub_mode mode)
{
  struct matches ms = {NULL, 0, 0};
  int rc;

  rc = find_registered(&ms, text, len, mode);
  if (rc == 0)
    rc = find_all(&ms, text, len, extra, mode);
  if (rc == 0)
    rc = emit(out, text, len, &ms);
  free(ms.m);
  return rc;
}

int snm_secret_scrub(struct snm_buf *out, const char *text, size_t len,
                     const struct snm_secret_set *extra,
                     enum snm_scrub_mode mode)
{
  int rc = scrub(out, text, len, extra, mode);

  return rc < 0 ? rc : 0;
}

int snm_secret_scrub_buf(struct snm_buf *b, const struct snm_secret_set *extra,
                         enum snm_scrub_mode mode)
{
  struct matches ms = {NULL, 0, 0};
  struct snm_buf clean;
  int rc;

  if (b->len == 0)
    return 0;
  rc = find_registered(&ms, b->data, b->len, mode);
  if (rc == 0)
    rc = find_all(&ms, b->data, b->len, extra, mode);
  if (rc == 0 && ms.n > 0) {
    snm_buf_init(&clean, 0);
    rc = emit(&clean, b->data, b->len, &ms);
    if (rc >= 0) {
      size_t max = b->max;
      OPENSSL_cleanse(b->data, b->len);
      snm_buf_dispose(b);
      *b = clean;
      b->max = max;
    } else {
      snm_buf_dispose(&clean);
    }
  }
  free(ms.m);
  return rc;
}

/* Longest registered value at `p`, or 0. */
static size_t match_at(const char *p, size_t left)
{
  size_t best = 0;

  for (size_t i = 0; i < registry.n; i++) {
    const struct snm_secret *s = &registry.items[i];
    if (s->len <= left && s->len > best && memcmp(p, s->value, s->len) == 0)
      best = s->len;
  }
  return best;
}

void snm_secret_scrub_into(char *dst, size_t size, const char *text, size_t len)
{
  static const char mark[] = SNM_REDACTED;
  size_t o = 0, i = 0;

  pthread_mutex_lock(&registry_lock);
  while (i < len) {
    size_t n = match_at(text + i, len - i);
    if (n > 0) {
      if (o + sizeof(mark) - 1 > size - 1)
        break;
      memcpy(dst + o, mark, sizeof(mark) - 1);
      o += sizeof(mark) - 1;
      i += n;
      continue;
    }
    if (o + 1 > size - 1)
      break;
    dst[o++] = text[i++];
  }
  pthread_mutex_unlock(&registry_lock);
  if (i < len && ((unsigned char)text[i] & 0xC0) == 0x80) {
    /* cut inside a UTF-8 sequence: drop its first bytes too */
    while (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
      o--;
    if (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0xC0)
      o--;
  }
  dst[o] = '\0';
}
