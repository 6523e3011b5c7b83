/* SPDX-License-Identifier: Apache-2.0 */
/* rename.c - Java's String.replaceAll on index names, with PCRE2. */
#include "rename.h"
#include "buf.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#define RENAME_MATCH_LIMIT 1000000 /* backtracking steps per match */

/* One piece of the replacement: literal text or a group's match. */
struct rename_part {
  int group;      /* -1: literal */
  size_t lit_off; /* literal: offset into `lits` */
  size_t lit_len;
};

struct snm_rename {
  pcre2_code *code;          /* owned */
  pcre2_match_context *mctx; /* owned */
  unsigned groups;           /* capturing groups in the pattern */
  struct rename_part *parts; /* malloced */
  size_t n_parts;
  char *lits; /* malloced; unescaped literal text */
};

static int is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static int add_part(struct snm_rename *r, int group, size_t off, size_t len)
{
  struct rename_part *p;

  /* merge adjacent literals */
  if (group < 0 && r->n_parts > 0 && r->parts[r->n_parts - 1].group < 0) {
    r->parts[r->n_parts - 1].lit_len += len;
    return 0;
  }
  p = realloc(r->parts, (r->n_parts + 1) * sizeof(*p));
  if (p == NULL)
    return SNM_ENOMEM;
  r->parts = p;
  p[r->n_parts].group = group;
  p[r->n_parts].lit_off = off;
  p[r->n_parts].lit_len = len;
  r->n_parts++;
  return 0;
}

static int repl_error(struct snm_err *err, struct snm_rename_errpos *where,
                      size_t offset, const char *replacement, const char *what)
{
  if (where != NULL) {
    where->part = SNM_RENAME_REPLACEMENT;
    where->offset = offset;
  }
  return snm_err_set(err, SNM_EINVAL, "%s at offset %zu: \"%s\"", what, offset,
                     replacement);
}

/* Parse the replacement the way Matcher.appendReplacement reads it. */
static int parse_replacement(struct snm_rename *r, const char *s,
                             struct snm_rename_errpos *where,
                             struct snm_err *err)
{
  size_t n = strlen(s), i = 0, lit = 0;
  char what[160];

  r->lits = malloc(n + 1);
  if (r->lits == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  while (i < n) {
    size_t at = i;

    if (s[i] == '\\') {
      if (i + 1 == n)
        return repl_error(err, where, at, s,
                          "character to be escaped is missing after '\\'");
      r->lits[lit] = s[i + 1];
      if (add_part(r, -1, lit, 1) != 0)
        return snm_err_set(err, SNM_ENOMEM, "out of memory");
      lit++;
      i += 2;
      continue;
    }
    if (s[i] != '$') {
      r->lits[lit] = s[i];
      if (add_part(r, -1, lit, 1) != 0)
        return snm_err_set(err, SNM_ENOMEM, "out of memory");
      lit++;
      i++;
      continue;
    }
    i++;
    if (i == n)
      return repl_error(err, where, at, s,
                        "group index is missing after '$' (write '\\$' for "
                        "a dollar sign)");
    if (s[i] == '{') {
      size_t begin = ++i;
      char name[64];
      int num;

      while (i < n && (is_alpha(s[i]) || is_digit(s[i])))
        i++;
      if (i == begin)
        return repl_error(err, where, at, s, "named group has an empty name");
      if (i == n || s[i] != '}')
        return repl_error(err, where, at, s,
                          "named group reference is missing its closing '}'");
      if (is_digit(s[begin]))
        return repl_error(err, where, at, s,
                          "a group name must not start with a digit");
      if (i - begin >= sizeof(name))
        return repl_error(err, where, at, s, "group name too long");
      memcpy(name, s + begin, i - begin);
      name[i - begin] = '\0';
      num = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
      if (num < 0) {
        snprintf(what, sizeof(what), "the pattern has no group named '%s'",
                 name);
        return repl_error(err, where, at, s, what);
      }
      i++;
      if (add_part(r, num, 0, 0) != 0)
        return snm_err_set(err, SNM_ENOMEM, "out of memory");
      continue;
    }
    if (!is_digit(s[i]))
      return repl_error(err, where, at, s,
                        "illegal group reference (write '\\$' for a dollar "
                        "sign)");
    {
      unsigned num = (unsigned)(s[i++] - '0');

      /* more digits only while the number stays a group that exists */
      while (i < n && is_digit(s[i])) {
        unsigned next = num * 10 + (unsigned)(s[i] - '0');
        if (next > r->groups)
          break;
        num = next;
        i++;
      }
      if (num > r->groups) {
        snprintf(what, sizeof(what), "no group %u (the pattern has %u)", num,
                 r->groups);
        return repl_error(err, where, at, s, what);
      }
      if (add_part(r, (int)num, 0, 0) != 0)
        return snm_err_set(err, SNM_ENOMEM, "out of memory");
    }
  }
  return 0;
}

/* Java accepts group names of ASCII letters and digits only. */
static int check_group_names(const struct snm_rename *r, const char *pattern,
                             struct snm_rename_errpos *where,
                             struct snm_err *err)
{
  uint32_t count = 0, entry = 0;
  PCRE2_SPTR table = NULL;

  pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
  pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t k = 0; k < count; k++) {
    const char *name = (const char *)table + k * entry + 2;

    for (const char *c = name; *c != '\0'; c++) {
      if (!is_alpha(*c) && !is_digit(*c)) {
        const char *at = strstr(pattern, name);
        if (where != NULL) {
          where->part = SNM_RENAME_PATTERN;
          where->offset = at != NULL ? (size_t)(at - pattern) : 0;
        }
        return snm_err_set(err, SNM_EINVAL,
                           "group name '%s' is not valid in Java (letters "
                           "and digits only): \"%s\"",
                           name, pattern);
      }
    }
  }
  return 0;
}

int snm_rename_compile(struct snm_rename **out, const char *pattern,
                       const char *replacement, struct snm_rename_errpos *where,
                       struct snm_err *err)
{
  struct snm_rename *r;
  int errcode, rc;
  PCRE2_SIZE erroff;
  uint32_t groups = 0;

  assert(out != NULL && pattern != NULL && replacement != NULL);
  *out = NULL;
  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
                          &errcode, &erroff, NULL);
  if (r->code == NULL) {
    PCRE2_UCHAR msg[160];

    if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
      strcpy((char *)msg, "invalid pattern");
    if (where != NULL) {
      where->part = SNM_RENAME_PATTERN;
      where->offset = erroff;
    }
    rc = snm_err_set(err, SNM_EINVAL, "%s at offset %zu: \"%s\"",
                     (const char *)msg, (size_t)erroff, pattern);
    goto done;
  }
  pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &groups);
  r->groups = groups;
  r->mctx = pcre2_match_context_create(NULL);
  if (r->mctx == NULL) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  pcre2_set_match_limit(r->mctx, RENAME_MATCH_LIMIT);
  if ((rc = check_group_names(r, pattern, where, err)) != 0)
    goto done;
  if ((rc = parse_replacement(r, replacement, where, err)) != 0)
    goto done;
  *out = r;
  r = NULL;
  rc = 0;
done:
  snm_rename_free(r);
  return rc;
}

void snm_rename_free(struct snm_rename *r)
{
  if (r == NULL)
    return;
  pcre2_code_free(r->code);
  pcre2_match_context_free(r->mctx);
  free(r->parts);
  free(r->lits);
  free(r);
}

unsigned snm_rename_groups(const struct snm_rename *r)
{
  return r->groups;
}

static int expand(struct snm_buf *b, const struct snm_rename *r,
                  const char *subject, const PCRE2_SIZE *ov)
{
  for (size_t i = 0; i < r->n_parts; i++) {
    const struct rename_part *p = &r->parts[i];
    int rc;

    if (p->group < 0) {
      rc = snm_buf_append(b, r->lits + p->lit_off, p->lit_len);
    } else {
      PCRE2_SIZE s = ov[2 * p->group], e = ov[2 * p->group + 1];
      /* a group that did not take part gives "" (Java: group() == null) */
      rc = s == PCRE2_UNSET ? 0 : snm_buf_append(b, subject + s, e - s);
    }
    if (rc != 0)
      return rc;
  }
  return 0;
}

int snm_rename_apply(char **out, const struct snm_rename *r,
                     const char *index_name, struct snm_err *err)
{
  struct snm_buf b;
  pcre2_match_data *md;
  size_t len = strlen(index_name), first = 0, last = 0, appended = 0;
  int have_match = 0, rc = 0;

  assert(out != NULL && r != NULL && index_name != NULL);
  *out = NULL;
  snm_buf_init(&b, 0);
  md = pcre2_match_data_create_from_pattern(r->code, NULL);
  if (md == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  for (;;) {
    size_t next = last;
    const PCRE2_SIZE *ov;
    int m;

    /* Matcher.find(): after an empty match, move on one character */
    if (have_match && next == first) {
      if (next >= len)
        break;
      next++;
      while (next < len && ((unsigned char)index_name[next] & 0xC0) == 0x80)
        next++;
    }
    m = pcre2_match(r->code, (PCRE2_SPTR)index_name, len, next, 0, md, r->mctx);
    if (m == PCRE2_ERROR_NOMATCH)
      break;
    if (m < 0) {
      PCRE2_UCHAR msg[160];

      pcre2_get_error_message(m, msg, sizeof(msg));
      rc = snm_err_set(err, SNM_EINVAL, "cannot rename \"%s\": %s", index_name,
                       (const char *)msg);
      goto done;
    }
    ov = pcre2_get_ovector_pointer(md);
    if (ov[0] > ov[1]) { /* \K moved the start past the end: not Java */
      rc =
          snm_err_set(err, SNM_EINVAL,
                      "cannot rename \"%s\": \\K is not supported", index_name);
      goto done;
    }
    if ((rc = snm_buf_append(&b, index_name + appended, ov[0] - appended)) !=
            0 ||
        (rc = expand(&b, r, index_name, ov)) != 0)
      goto nomem;
    appended = ov[1];
    first = ov[0];
    last = ov[1];
    have_match = 1;
  }
  if ((rc = snm_buf_append(&b, index_name + appended, len - appended)) != 0)
    goto nomem;
  *out = snm_buf_steal(&b);
  if (*out == NULL)
    goto nomem;
  rc = 0;
  goto done;
nomem:
  rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
done:
  pcre2_match_data_free(md);
  snm_buf_dispose(&b);
  return rc;
}

int snm_rename_apply_backing(char **out, const struct snm_rename *r,
                             const char *index_name, struct snm_err *err)
{
  const size_t plen = strlen(SNM_DS_BACKING_PREFIX);
  char *tail = NULL, *full;
  int rc;

  if (strncmp(index_name, SNM_DS_BACKING_PREFIX, plen) != 0)
    return snm_rename_apply(out, r, index_name, err);
  *out = NULL;
  rc = snm_rename_apply(&tail, r, index_name + plen, err);
  if (rc != 0)
    return rc;
  full = malloc(plen + strlen(tail) + 1);
  if (full == NULL) {
    free(tail);
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  memcpy(full, SNM_DS_BACKING_PREFIX, plen);
  strcpy(full + plen, tail);
  free(tail);
  *out = full;
  return 0;
}
