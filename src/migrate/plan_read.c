/* plan_read.c - typed reads from the plan's JSON tree, with located
 * diagnostics and "did you mean" suggestions. */
#include "plan_int.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pc_diag(struct pctx *c, enum snm_severity sev, size_t offset,
             const char *fmt, ...)
{
  struct snm_json_pos pos = snm_json_doc_pos(c->doc, offset);
  struct snm_buf b;
  va_list ap;
  int rc;

  snm_buf_init(&b, 4096);
  va_start(ap, fmt);
  rc = snm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  if (rc != 0 || snm_diag_add(c->diags, sev, pos.line, pos.col, "%s",
                              snm_buf_str(&b)) != 0)
    c->nomem = 1;
  snm_buf_dispose(&b);
}

struct snm_plan_pos pc_pos(const struct pctx *c, size_t offset)
{
  struct snm_json_pos jp = snm_json_doc_pos(c->doc, offset);
  struct snm_plan_pos pos = {jp.line, jp.col};
  return pos;
}

void pc_path(char *out, size_t outsz, const char *path, const char *key)
{
  if (path == NULL || path[0] == '\0')
    snprintf(out, outsz, "%s", key);
  else
    snprintf(out, outsz, "%s.%s", path, key);
}

/* Optimal string alignment distance (a transposition costs 1). */
static size_t edit_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  size_t d[33][33];

  if (la > 32 || lb > 32)
    return (size_t)-1;
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = d[i - 1][j] + 1;

      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best)
        best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  }
  return d[la][lb];
}

const char *pc_suggest(const char *word, const char *const *candidates,
                       size_t n)
{
  const char *best = NULL;
  size_t best_d = (size_t)-1, len = strlen(word);
  size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;

  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best != NULL && best_d <= limit && best_d < len ? best : NULL;
}

static void report_duplicate(struct pctx *c, const struct snm_json *obj,
                             const struct snm_json_member *m, const char *where)
{
  const struct snm_json_member *first = &obj->u.object.items[m->first];
  struct snm_json_pos fp = snm_json_doc_pos(c->doc, first->key_offset);

  pc_error(c, m->key_offset, "%s: duplicate key (first at line %u, column %u)",
           where, fp.line, fp.col);
}

void pc_check_keys(struct pctx *c, const struct snm_json *obj, const char *path,
                   const char *const *allowed)
{
  size_t n_allowed = 0;

  while (allowed[n_allowed] != NULL)
    n_allowed++;
  for (size_t i = 0; i < obj->u.object.len; i++) {
    const struct snm_json_member *m = &obj->u.object.items[i];
    const char *hint;
    char where[PC_PATH_MAX];
    size_t k;

    pc_path(where, sizeof(where), path, m->key);
    if (m->duplicate) {
      report_duplicate(c, obj, m, where);
      continue;
    }
    for (k = 0; k < n_allowed; k++)
      if (strcmp(m->key, allowed[k]) == 0)
        break;
    if (k < n_allowed)
      continue;
    hint = pc_suggest(m->key, allowed, n_allowed);
    if (hint != NULL)
      pc_error(c, m->key_offset, "%s: unknown key (did you mean '%s'?)", where,
               hint);
    else
      pc_error(c, m->key_offset, "%s: unknown key", where);
  }
}

void pc_check_duplicates(struct pctx *c, const struct snm_json *v,
                         const char *path)
{
  char where[PC_PATH_MAX];

  if (v->type == SNM_JSON_ARRAY) {
    for (size_t i = 0; i < v->u.array.len; i++) {
      snprintf(where, sizeof(where), "%s[%zu]", path, i);
      pc_check_duplicates(c, v->u.array.items[i], where);
    }
    return;
  }
  if (v->type != SNM_JSON_OBJECT)
    return;
  for (size_t i = 0; i < v->u.object.len; i++) {
    const struct snm_json_member *m = &v->u.object.items[i];

    pc_path(where, sizeof(where), path, m->key);
    if (m->duplicate)
      report_duplicate(c, v, m, where);
    else {
      pc_check_duplicates(c, m->value, where);
    }
  }
}

static const char *type_with_article(enum snm_json_type t)
{
  switch (t) {
  case SNM_JSON_NULL:
    return "null";
  case SNM_JSON_BOOL:
    return "a boolean";
  case SNM_JSON_NUMBER:
    return "a number";
  case SNM_JSON_STRING:
    return "a string";
  case SNM_JSON_ARRAY:
    return "an array";
  case SNM_JSON_OBJECT:
    return "an object";
  }
  return "?";
}

const struct snm_json *pc_get(struct pctx *c, const struct snm_json *obj,
                              const char *path, const char *key,
                              enum snm_json_type type, int required)
{
  const struct snm_json *v = snm_json_get(obj, key);
  char where[PC_PATH_MAX];

  pc_path(where, sizeof(where), path, key);
  if (v == NULL) {
    if (required)
      pc_error(c, obj->offset, "%s%smissing required key '%s'",
               path != NULL && path[0] != '\0' ? path : "",
               path != NULL && path[0] != '\0' ? ": " : "", key);
    return NULL;
  }
  if (v->type != type) {
    pc_error(c, v->offset, "%s: expected %s, got %s", where,
             type_with_article(type), type_with_article(v->type));
    return NULL;
  }
  return v;
}

char *pc_strdup(struct pctx *c, const char *s)
{
  char *d = strdup(s);

  if (d == NULL)
    c->nomem = 1;
  return d;
}

void pc_free_list(char **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(list[i]);
  free(list);
}

int pc_string(struct pctx *c, const struct snm_json *obj, const char *path,
              const char *key, int required, char **out)
{
  const struct snm_json *v =
      pc_get(c, obj, path, key, SNM_JSON_STRING, required);
  char where[PC_PATH_MAX];

  *out = NULL;
  if (v == NULL)
    return snm_json_get(obj, key) == NULL && !required;
  pc_path(where, sizeof(where), path, key);
  if (!snm_json_is_cstring(v)) {
    pc_error(c, v->offset, "%s: must not contain a NUL character", where);
    return 0;
  }
  if (v->u.string.len == 0) {
    pc_error(c, v->offset, "%s: must not be empty", where);
    return 0;
  }
  *out = pc_strdup(c, v->u.string.ptr);
  return *out != NULL;
}

int pc_bool(struct pctx *c, const struct snm_json *obj, const char *path,
            const char *key, int def, int *out)
{
  const struct snm_json *v = pc_get(c, obj, path, key, SNM_JSON_BOOL, 0);

  *out = v != NULL ? v->u.boolean : def;
  return v != NULL || snm_json_get(obj, key) == NULL;
}

int pc_long(struct pctx *c, const struct snm_json *obj, const char *path,
            const char *key, long def, long min, long max, long *out)
{
  const struct snm_json *v = snm_json_get(obj, key);
  char where[PC_PATH_MAX];
  long long n;

  *out = def;
  if (v == NULL)
    return 1;
  pc_path(where, sizeof(where), path, key);
  if (v->type != SNM_JSON_NUMBER) {
    pc_error(c, v->offset, "%s: expected an integer, got %s", where,
             type_with_article(v->type));
    return 0;
  }
  if (snm_json_int(v, &n) != 0 && strpbrk(v->u.number.text, ".eE") != NULL) {
    pc_error(c, v->offset, "%s: expected an integer, got %s", where,
             v->u.number.text);
    return 0;
  }
  if (snm_json_int(v, &n) != 0 || n < min || n > max) {
    pc_error(c, v->offset, "%s: %s is out of range (%ld to %ld)", where,
             v->u.number.text, min, max);
    return 0;
  }
  *out = (long)n;
  return 1;
}

int pc_enum(struct pctx *c, const struct snm_json *obj, const char *path,
            const char *key, const char *const *names, int def, int *out)
{
  const struct snm_json *v = pc_get(c, obj, path, key, SNM_JSON_STRING, 0);
  char where[PC_PATH_MAX];
  struct snm_buf list;
  size_t n = 0;
  const char *hint;

  *out = def;
  if (v == NULL)
    return snm_json_get(obj, key) == NULL;
  while (names[n] != NULL)
    n++;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(v->u.string.ptr, names[i]) == 0) {
      *out = (int)i;
      return 1;
    }
  }
  pc_path(where, sizeof(where), path, key);
  snm_buf_init(&list, 1024);
  for (size_t i = 0; i < n; i++)
    snm_best_effort(snm_buf_printf(&list, "%s\"%s\"",
                                   i == 0       ? ""
                                   : i + 1 == n ? " or "
                                                : ", ",
                                   names[i]));
  hint = pc_suggest(v->u.string.ptr, names, n);
  pc_error(c, v->offset, "%s: unknown value \"%.64s\" (expected %s)%s%s%s",
           where, v->u.string.ptr, snm_buf_str(&list),
           hint != NULL ? "; did you mean '" : "", hint != NULL ? hint : "",
           hint != NULL ? "'?" : "");
  snm_buf_dispose(&list);
  return 0;
}

static int push(struct pctx *c, char ***list, size_t *n, const char *s,
                size_t len)
{
  char **l = realloc(*list, (*n + 1) * sizeof(*l));

  if (l == NULL) {
    c->nomem = 1;
    return 0;
  }
  *list = l;
  l[*n] = malloc(len + 1);
  if (l[*n] == NULL) {
    c->nomem = 1;
    return 0;
  }
  memcpy(l[*n], s, len);
  l[*n][len] = '\0';
  (*n)++;
  return 1;
}

int pc_string_list(struct pctx *c, const struct snm_json *obj, const char *path,
                   const char *key, char ***out, size_t *n)
{
  const struct snm_json *v = snm_json_get(obj, key);
  char where[PC_PATH_MAX];
  int ok = 1;

  *out = NULL;
  *n = 0;
  if (v == NULL)
    return 1;
  pc_path(where, sizeof(where), path, key);
  if (v->type == SNM_JSON_STRING) {
    const char *s = v->u.string.ptr, *end = s + v->u.string.len;

    if (!snm_json_is_cstring(v)) {
      pc_error(c, v->offset, "%s: must not contain a NUL character", where);
      return 0;
    }
    for (;;) {
      const char *comma = memchr(s, ',', (size_t)(end - s));
      const char *e = comma != NULL ? comma : end;
      const char *b = s;

      while (b < e && (*b == ' ' || *b == '\t'))
        b++;
      while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
      if (b == e) {
        pc_error(c, v->offset, "%s: empty element in \"%.64s\"", where,
                 v->u.string.ptr);
        ok = 0;
      } else if (ok && !push(c, out, n, b, (size_t)(e - b))) {
        ok = 0;
      }
      if (comma == NULL)
        break;
      s = comma + 1;
    }
  } else if (v->type == SNM_JSON_ARRAY) {
    if (v->u.array.len == 0) {
      pc_error(c, v->offset,
               "%s: must not be empty (leave it out for the "
               "default)",
               where);
      return 0;
    }
    for (size_t i = 0; i < v->u.array.len; i++) {
      const struct snm_json *e = v->u.array.items[i];

      if (e->type != SNM_JSON_STRING) {
        pc_error(c, e->offset, "%s[%zu]: expected a string, got %s", where, i,
                 type_with_article(e->type));
        ok = 0;
      } else if (e->u.string.len == 0 || !snm_json_is_cstring(e)) {
        pc_error(c, e->offset, "%s[%zu]: must be a non-empty string", where, i);
        ok = 0;
      } else if (ok && !push(c, out, n, e->u.string.ptr, e->u.string.len)) {
        ok = 0;
      }
    }
  } else {
    pc_error(c, v->offset,
             "%s: expected an array of strings or a "
             "comma-separated string, got %s",
             where, type_with_article(v->type));
    ok = 0;
  }
  if (!ok) {
    pc_free_list(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return ok;
}

int pc_all_chars_in(const char *s, const char *extra)
{
  for (; *s != '\0'; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
          strchr(extra, *s) != NULL))
      return 0;
  return 1;
}

/* Presence of a required enum, then its value. */
int pc_required_enum(struct pctx *c, const struct snm_json *obj,
                     const char *path, const char *key,
                     const char *const *names, int *out)
{
  if (snm_json_get(obj, key) == NULL) {
    pc_error(c, obj->offset, "%s: missing required key '%s'", path, key);
    *out = 0;
    return 0;
  }
  return pc_enum(c, obj, path, key, names, 0, out);
}
