/* SPDX-License-Identifier: Apache-2.0 */
/* json.c - JSON tree with source positions, on yajl's callback parser.
 *
 * yajl tells a callback only where the current token ENDS (the bytes
 * consumed so far).  The start of a token is found by scanning forward from
 * the end of the previous one over whitespace, comments, ',' and ':', which
 * yajl has already checked.  The source is parsed in one yajl_parse call, so
 * offsets are absolute; a '\n' is appended to the copy so a trailing number
 * is finished during yajl_parse rather than in yajl_complete_parse.
 */
#include "json.h"
#include "buf.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

struct builder {
  struct snm_json_doc *doc;
  yajl_handle h;
  size_t last_end; /* source offset where the previous token ended */
  struct snm_json *stack[SNM_JSON_MAX_DEPTH];
  size_t depth;
  int nomem;    /* the parse was cancelled for lack of memory */
  int too_deep; /* the parse was cancelled: nesting too deep */
};

static size_t skip_comment(const char *t, size_t len, size_t i)
{
  if (i + 1 < len && t[i] == '/' && t[i + 1] == '/') {
    while (i < len && t[i] != '\n')
      i++;
    return i;
  }
  if (i + 1 < len && t[i] == '/' && t[i + 1] == '*') {
    i += 2;
    while (i + 1 < len && !(t[i] == '*' && t[i + 1] == '/'))
      i++;
    return i + 1 < len ? i + 2 : len;
  }
  return i;
}

/* 1 if yajl skips `c` between tokens: the four JSON blanks, and also
 * '\v' and '\f' (yajl's lexer takes them; a scanner that did not would
 * put a token's start on the blank before it). */
static int is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

/* Skip blanks and comments (and ',' ':' when `seps`). */
static size_t skip_space(const char *t, size_t len, size_t i, int seps)
{
  while (i < len) {
    size_t j;
    char c = t[i];

    if (is_blank(c) || (seps && (c == ',' || c == ':'))) {
      i++;
      continue;
    }
    j = skip_comment(t, len, i);
    if (j == i)
      break;
    i = j;
  }
  return i;
}

/* 1 if `c` is one of the NUL-terminated `set` (never for c == '\0'). */
static int in_set(char c, const char *set)
{
  return c != '\0' && strchr(set, c) != NULL;
}

/* End of the token starting at `i` < `len` (a rough lexer for error
 * positions).  Always past `i`, so a caller walking tokens makes progress
 * even on a byte that starts no token (a stray '/', a NUL). */
static size_t token_end(const char *t, size_t len, size_t i)
{
  assert(i < len);
  if (t[i] == '"') {
    for (i++; i < len; i++) {
      if (t[i] == '\\')
        i++;
      else if (t[i] == '"')
        return i + 1;
    }
    return len;
  }
  if (t[i] == '\0' || in_set(t[i], "{}[],:"))
    return i + 1;
  /* a bare word; a '/' that starts no comment takes the word after it */
  for (i++; i < len && t[i] != '\0'; i++)
    if (is_blank(t[i]) || in_set(t[i], "{}[],:\"/"))
      break;
  return i;
}

static size_t token_start(struct builder *b)
{
  return skip_space(b->doc->text, b->doc->len, b->last_end, 1);
}

static void note_end(struct builder *b)
{
  b->last_end = yajl_get_bytes_consumed(b->h);
}

static void json_free(struct snm_json *v)
{
  if (v == NULL)
    return;
  switch (v->type) {
  case SNM_JSON_NUMBER:
    free(v->u.number.text);
    break;
  case SNM_JSON_STRING:
    free(v->u.string.ptr);
    break;
  case SNM_JSON_ARRAY:
    for (size_t i = 0; i < v->u.array.len; i++)
      json_free(v->u.array.items[i]);
    free(v->u.array.items);
    break;
  case SNM_JSON_OBJECT:
    for (size_t i = 0; i < v->u.object.len; i++) {
      free(v->u.object.items[i].key);
      json_free(v->u.object.items[i].value);
    }
    free(v->u.object.items);
    break;
  default:
    break;
  }
  free(v);
}

/* Room for item `n` of an array that holds `n` items of `size` bytes:
 * `items` itself, or a larger copy (NULL when out of memory; `items` is
 * then left as it is).  Capacities are the powers of two, so the array is
 * moved only when `n` is 0 or one of them: appending stays linear even
 * where realloc always copies (e.g. under AddressSanitizer). */
static void *room_for_one_more(void *items, size_t n, size_t size)
{
  if (n != 0 && (n & (n - 1)) != 0)
    return items;
  if (n > ((size_t)-1 / 2) / size)
    return NULL;
  return realloc(items, (n == 0 ? 1 : 2 * n) * size);
}

/* Attach a new value to the current container (or make it the root). */
static int attach(struct builder *b, struct snm_json *v)
{
  struct snm_json *parent;

  if (b->depth == 0) {
    assert(b->doc->root == NULL);
    b->doc->root = v;
    return 0;
  }
  parent = b->stack[b->depth - 1];
  if (parent->type == SNM_JSON_ARRAY) {
    size_t n = parent->u.array.len;
    struct snm_json **items =
        room_for_one_more(parent->u.array.items, n, sizeof(*items));
    if (items == NULL)
      return SNM_ENOMEM;
    items[n] = v;
    parent->u.array.items = items;
    parent->u.array.len = n + 1;
    return 0;
  }
  assert(parent->type == SNM_JSON_OBJECT && parent->u.object.len > 0);
  assert(parent->u.object.items[parent->u.object.len - 1].value == NULL);
  parent->u.object.items[parent->u.object.len - 1].value = v;
  return 0;
}

static struct snm_json *new_value(struct builder *b, enum snm_json_type type)
{
  struct snm_json *v = calloc(1, sizeof(*v));

  if (v == NULL) {
    b->nomem = 1;
    return NULL;
  }
  v->type = type;
  v->offset = token_start(b);
  return v;
}

/* Attach `v` to its parent: 1, or 0 after freeing it and cancelling the
 * parse (out of memory). */
static int attach_or_cancel(struct builder *b, struct snm_json *v)
{
  if (attach(b, v) == 0)
    return 1;
  json_free(v);
  b->nomem = 1;
  return 0;
}

/* Finish a scalar: attach it, or free it and cancel the parse. */
static int add_scalar(struct builder *b, struct snm_json *v)
{
  if (v == NULL || !attach_or_cancel(b, v))
    return 0;
  note_end(b);
  return 1;
}

static int cb_null(void *ctx)
{
  struct builder *b = ctx;
  return add_scalar(b, new_value(b, SNM_JSON_NULL));
}

static int cb_boolean(void *ctx, int val)
{
  struct builder *b = ctx;
  struct snm_json *v = new_value(b, SNM_JSON_BOOL);

  if (v != NULL)
    v->u.boolean = val != 0;
  return add_scalar(b, v);
}

/* A number (its text) or a string: the value holds a copy of the bytes. */
static int add_copied(struct builder *b, enum snm_json_type type, const void *s,
                      size_t len)
{
  struct snm_json *v = new_value(b, type);

  assert(type == SNM_JSON_NUMBER || type == SNM_JSON_STRING);
  if (v != NULL) {
    char *copy = snm_memdup0(s, len);

    if (copy == NULL) {
      free(v);
      b->nomem = 1;
      return 0;
    }
    if (type == SNM_JSON_NUMBER) {
      v->u.number.text = copy;
      v->u.number.len = len;
    } else {
      v->u.string.ptr = copy;
      v->u.string.len = len;
    }
  }
  return add_scalar(b, v);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
  return add_copied(ctx, SNM_JSON_NUMBER, s, len);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
  return add_copied(ctx, SNM_JSON_STRING, s, len);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
  struct builder *b = ctx;
  struct snm_json *obj;
  struct snm_json_member *items, *m;
  size_t n;

  assert(b->depth > 0);
  obj = b->stack[b->depth - 1];
  assert(obj->type == SNM_JSON_OBJECT);
  n = obj->u.object.len;
  items = room_for_one_more(obj->u.object.items, n, sizeof(*items));
  if (items == NULL) {
    b->nomem = 1;
    return 0;
  }
  obj->u.object.items = items;
  m = &items[n];
  memset(m, 0, sizeof(*m));
  m->key = snm_memdup0(s, len);
  if (m->key == NULL) {
    b->nomem = 1;
    return 0;
  }
  m->key_len = len;
  m->key_offset = token_start(b);
  obj->u.object.len = n + 1;
  note_end(b);
  return 1;
}

static int start_container(struct builder *b, enum snm_json_type type)
{
  struct snm_json *v;

  if (b->depth == SNM_JSON_MAX_DEPTH) {
    b->too_deep = 1;
    return 0;
  }
  v = new_value(b, type);
  if (v == NULL || !attach_or_cancel(b, v))
    return 0;
  b->stack[b->depth++] = v;
  note_end(b);
  return 1;
}

static int cmp_member_ptr(const void *a, const void *b)
{
  const struct snm_json_member *x = *(const struct snm_json_member *const *)a;
  const struct snm_json_member *y = *(const struct snm_json_member *const *)b;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp(x->key, y->key, n);

  if (c != 0)
    return c;
  if (x->key_len != y->key_len)
    return x->key_len < y->key_len ? -1 : 1;
  /* same key: source order, so the first one is not the duplicate */
  return x < y ? -1 : x > y;
}

/* Flag members whose key an earlier member already has, and point each
 * member at the first one with its key. */
static int mark_duplicates(struct snm_json *obj)
{
  size_t n = obj->u.object.len, first = 0;
  struct snm_json_member *items = obj->u.object.items, **sorted;

  for (size_t i = 0; i < n; i++)
    items[i].first = i;
  if (n < 2)
    return 0;
  sorted = malloc(n * sizeof(*sorted));
  if (sorted == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < n; i++)
    sorted[i] = &items[i];
  /* equal keys end up together, in source order */
  qsort(sorted, n, sizeof(*sorted), cmp_member_ptr);
  for (size_t i = 1; i < n; i++) {
    if (sorted[i]->key_len == sorted[first]->key_len &&
        memcmp(sorted[i]->key, sorted[first]->key, sorted[i]->key_len) == 0) {
      sorted[i]->duplicate = 1;
      sorted[i]->first = (size_t)(sorted[first] - items);
    } else {
      first = i;
    }
  }
  free(sorted);
  return 0;
}

static int cb_start_map(void *ctx)
{
  return start_container(ctx, SNM_JSON_OBJECT);
}

static int cb_start_array(void *ctx)
{
  return start_container(ctx, SNM_JSON_ARRAY);
}

static int cb_end_map(void *ctx)
{
  struct builder *b = ctx;

  assert(b->depth > 0);
  if (mark_duplicates(b->stack[b->depth - 1]) != 0) {
    b->nomem = 1;
    return 0;
  }
  b->depth--;
  note_end(b);
  return 1;
}

static int cb_end_array(void *ctx)
{
  struct builder *b = ctx;

  assert(b->depth > 0);
  b->depth--;
  note_end(b);
  return 1;
}

static const yajl_callbacks builder_callbacks = {
    cb_null,    cb_boolean,     NULL,         NULL,
    cb_number,  cb_string,      cb_start_map, cb_map_key,
    cb_end_map, cb_start_array, cb_end_array};

/* 1 if byte `c` starts a character (is not a UTF-8 continuation byte). */
static int starts_char(char c)
{
  return ((unsigned char)c & 0xC0) != 0x80;
}

/* Where each line starts, and how many characters come before each block
 * of SNM_JSON_POS_BLOCK bytes: with both, a column costs a count within
 * two blocks at most, however long the line. */
static int index_lines(struct snm_json_doc *doc)
{
  size_t n = 1, k = 1, chars = 0;

  for (size_t i = 0; i < doc->len; i++)
    if (doc->text[i] == '\n')
      n++;
  doc->lines = malloc(n * sizeof(*doc->lines));
  doc->chars =
      malloc((doc->len / SNM_JSON_POS_BLOCK + 1) * sizeof(*doc->chars));
  if (doc->lines == NULL || doc->chars == NULL)
    return SNM_ENOMEM;
  doc->lines[0] = 0;
  for (size_t i = 0; i < doc->len; i++) {
    if (i % SNM_JSON_POS_BLOCK == 0)
      doc->chars[i / SNM_JSON_POS_BLOCK] = chars;
    chars += starts_char(doc->text[i]);
    if (doc->text[i] == '\n')
      doc->lines[k++] = i + 1;
  }
  if (doc->len % SNM_JSON_POS_BLOCK == 0)
    doc->chars[doc->len / SNM_JSON_POS_BLOCK] = chars;
  doc->n_lines = n;
  return 0;
}

static size_t pos_steps; /* see snm_json_pos_steps() */

size_t snm_json_pos_steps(void)
{
  return pos_steps;
}

/* Characters in [from, to), counted byte by byte. */
static size_t count_chars(const struct snm_json_doc *doc, size_t from,
                          size_t to)
{
  size_t n = 0;

  pos_steps += to - from;
  for (size_t i = from; i < to; i++)
    n += starts_char(doc->text[i]);
  return n;
}

/* Characters before byte `offset` <= doc->len. */
static size_t chars_before(const struct snm_json_doc *doc, size_t offset)
{
  size_t block = offset / SNM_JSON_POS_BLOCK;

  return doc->chars[block] +
         count_chars(doc, block * SNM_JSON_POS_BLOCK, offset);
}

struct snm_json_pos snm_json_doc_pos(const struct snm_json_doc *doc,
                                     size_t offset)
{
  struct snm_json_pos pos;
  size_t lo = 0, hi = doc->n_lines, start, col;

  if (offset > doc->len)
    offset = doc->len;
  /* the last line starting at or before offset */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (doc->lines[mid] <= offset)
      lo = mid;
    else
      hi = mid;
  }
  start = doc->lines[lo];
  if (offset - start < SNM_JSON_POS_BLOCK)
    col = 1 + count_chars(doc, start, offset);
  else
    col = 1 + chars_before(doc, offset) - chars_before(doc, start);
  pos.line = lo + 1 > UINT_MAX ? UINT_MAX : (unsigned)(lo + 1);
  pos.col = col > UINT_MAX ? UINT_MAX : (unsigned)col;
  return pos;
}

/* The offset a syntax error points at: the start of the token that ends at
 * (or spans) the byte yajl stopped at. */
static size_t error_offset(const struct builder *b, size_t stopped)
{
  const char *t = b->doc->text;
  size_t len = b->doc->len, i = b->last_end, start;

  if (stopped > len)
    stopped = len;
  for (;;) {
    i = skip_space(t, len, i, 0);
    if (i >= len)
      return len;
    start = i;
    i = token_end(t, len, i);
    if (i >= stopped)
      return start;
  }
}

static void set_syntax(struct snm_json_syntax *syntax, struct snm_err *err,
                       const struct snm_json_doc *doc, size_t offset,
                       const char *reason)
{
  struct snm_json_pos pos = snm_json_doc_pos(doc, offset);

  if (syntax != NULL) {
    syntax->offset = offset;
    syntax->pos = pos;
    snprintf(syntax->msg, sizeof(syntax->msg), "%s", reason);
  }
  snm_err_set(err, SNM_EPARSE, "%u:%u: %s", pos.line, pos.col, reason);
}

/* yajl's message without its "parse error: " prefix or trailing newline. */
static void yajl_reason(char *out, size_t outsz, yajl_handle h)
{
  unsigned char *e = yajl_get_error(h, 0, NULL, 0);
  const char *s = e != NULL ? (const char *)e : "invalid JSON";
  const char *colon = strstr(s, "error: ");
  size_t n;

  if (colon != NULL)
    s = colon + strlen("error: ");
  snprintf(out, outsz, "%s", s);
  n = strlen(out);
  while (n > 0 &&
         (out[n - 1] == '\n' || out[n - 1] == '.' || out[n - 1] == ' '))
    out[--n] = '\0';
  if (e != NULL)
    yajl_free_error(h, e);
}

int snm_json_parse(struct snm_json_doc **out, const char *text, size_t len,
                   struct snm_json_syntax *syntax, struct snm_err *err)
{
  struct builder b;
  struct snm_json_doc *doc = NULL;
  yajl_status st;
  char reason[160];
  int rc = SNM_ENOMEM;

  assert(out != NULL && (text != NULL || len == 0));
  *out = NULL;
  memset(&b, 0, sizeof(b));
  doc = calloc(1, sizeof(*doc));
  if (doc == NULL || len > (size_t)-1 - 2)
    goto nomem;
  doc->text = malloc(len + 2);
  if (doc->text == NULL)
    goto nomem;
  if (len > 0)
    memcpy(doc->text, text, len);
  doc->text[len] = '\n'; /* see the top of the file; not part of doc->len */
  doc->text[len + 1] = '\0';
  doc->len = len;
  if (index_lines(doc) != 0)
    goto nomem;

  b.doc = doc;
  b.h = yajl_alloc(&builder_callbacks, NULL, &b);
  if (b.h == NULL)
    goto nomem;
  yajl_config(b.h, yajl_allow_comments, 1);
  st = yajl_parse(b.h, (const unsigned char *)doc->text, len + 1);
  if (st == yajl_status_ok) {
    st = yajl_complete_parse(b.h);
    if (st != yajl_status_ok && !b.nomem && !b.too_deep) {
      yajl_reason(reason, sizeof(reason), b.h);
      set_syntax(syntax, err, doc, len, reason);
      rc = SNM_EPARSE;
      goto done;
    }
  }
  if (b.nomem)
    goto nomem;
  if (b.too_deep) {
    set_syntax(syntax, err, doc, error_offset(&b, yajl_get_bytes_consumed(b.h)),
               "nesting too deep");
    rc = SNM_EPARSE;
    goto done;
  }
  if (st != yajl_status_ok) {
    yajl_reason(reason, sizeof(reason), b.h);
    set_syntax(syntax, err, doc, error_offset(&b, yajl_get_bytes_consumed(b.h)),
               reason);
    rc = SNM_EPARSE;
    goto done;
  }
  if (doc->root == NULL) {
    set_syntax(syntax, err, doc, len, "no JSON value");
    rc = SNM_EPARSE;
    goto done;
  }
  *out = doc;
  doc = NULL;
  rc = 0;
  goto done;

nomem:
  rc = snm_err_set(err, SNM_ENOMEM, "out of memory parsing JSON");
done:
  if (b.h != NULL)
    yajl_free(b.h);
  snm_json_doc_free(doc);
  return rc;
}

void snm_json_doc_free(struct snm_json_doc *doc)
{
  if (doc == NULL)
    return;
  json_free(doc->root);
  free(doc->lines);
  free(doc->chars);
  free(doc->text);
  free(doc);
}

static size_t utf8_len(unsigned long cp)
{
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

size_t snm_json_string_offset(const struct snm_json_doc *doc,
                              const struct snm_json *str, size_t index)
{
  const char *t = doc->text;
  size_t i = str->offset + 1, decoded = 0;

  assert(str->type == SNM_JSON_STRING && t[str->offset] == '"');
  while (i < doc->len && t[i] != '"' && decoded < index) {
    if (t[i] != '\\') {
      i++;
      decoded++;
      continue;
    }
    if (t[i + 1] != 'u') {
      i += 2;
      decoded++;
      continue;
    }
    {
      char hex[5] = {t[i + 2], t[i + 3], t[i + 4], t[i + 5], '\0'};
      unsigned long cp = strtoul(hex, NULL, 16);

      i += 6;
      if (cp >= 0xD800 && cp < 0xDC00 && t[i] == '\\' && t[i + 1] == 'u') {
        i += 6; /* the low surrogate: one 4-byte character */
        decoded += 4;
      } else {
        decoded += utf8_len(cp);
      }
    }
  }
  return i;
}

const struct snm_json_member *snm_json_member(const struct snm_json *obj,
                                              const char *key)
{
  size_t klen;

  if (obj == NULL || obj->type != SNM_JSON_OBJECT)
    return NULL;
  klen = strlen(key);
  for (size_t i = 0; i < obj->u.object.len; i++) {
    const struct snm_json_member *m = &obj->u.object.items[i];
    if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
      return m;
  }
  return NULL;
}

const struct snm_json *snm_json_get(const struct snm_json *obj, const char *key)
{
  const struct snm_json_member *m = snm_json_member(obj, key);
  return m != NULL ? m->value : NULL;
}

const char *snm_json_type_name(enum snm_json_type type)
{
  switch (type) {
  case SNM_JSON_NULL:
    return "null";
  case SNM_JSON_BOOL:
    return "boolean";
  case SNM_JSON_NUMBER:
    return "number";
  case SNM_JSON_STRING:
    return "string";
  case SNM_JSON_ARRAY:
    return "array";
  case SNM_JSON_OBJECT:
    return "object";
  }
  return "?";
}

int snm_json_int(const struct snm_json *v, long long *out)
{
  long long n;
  char *end;

  if (v == NULL || v->type != SNM_JSON_NUMBER ||
      strpbrk(v->u.number.text, ".eE") != NULL)
    return SNM_EINVAL;
  errno = 0;
  n = strtoll(v->u.number.text, &end, 10);
  if (errno != 0 || *end != '\0')
    return SNM_EINVAL;
  *out = n;
  return 0;
}

int snm_json_depth_ok(const char *text, size_t len, unsigned max)
{
  unsigned depth = 0;
  size_t i = 0;

  assert(text != NULL || len == 0);
  while (i < len) {
    char c = text[i];

    if (c == '"') {
      for (i++; i < len && text[i] != '"'; i++)
        if (text[i] == '\\')
          i++;
      i++; /* past the closing quote (or the end) */
      continue;
    }
    if (c == '/') {
      size_t j = skip_comment(text, len, i);
      i = j > i ? j : i + 1;
      continue;
    }
    if (c == '[' || c == '{') {
      if (depth == max)
        return 0;
      depth++;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
    i++;
  }
  return 1;
}

int snm_json_is_cstring(const struct snm_json *v)
{
  return v != NULL && v->type == SNM_JSON_STRING &&
         strlen(v->u.string.ptr) == v->u.string.len;
}

yajl_gen_status snm_gen_str(yajl_gen g, const char *s)
{
  if (s == NULL)
    return yajl_gen_null(g);
  return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

yajl_gen_status snm_gen_key_str(yajl_gen g, const char *key, const char *value)
{
  yajl_gen_status st;

  assert(key != NULL);
  if ((st = snm_gen_str(g, key)) != yajl_gen_status_ok)
    return st;
  return snm_gen_str(g, value);
}

yajl_gen_status snm_gen_key_int(yajl_gen g, const char *key, long long v)
{
  yajl_gen_status st;

  assert(key != NULL);
  if ((st = snm_gen_str(g, key)) != yajl_gen_status_ok)
    return st;
  return yajl_gen_integer(g, v);
}

yajl_gen_status snm_gen_key_int_or_null(yajl_gen g, const char *key,
                                        long long v)
{
  if (v < 0) {
    yajl_gen_status st;

    assert(key != NULL);
    if ((st = snm_gen_str(g, key)) != yajl_gen_status_ok)
      return st;
    return yajl_gen_null(g);
  }
  return snm_gen_key_int(g, key, v);
}

static int gen_status(yajl_gen_status st)
{
  if (st == yajl_gen_status_ok)
    return 0;
  return st == yajl_gen_in_error_state ? SNM_ENOMEM : SNM_EINVAL;
}

static int gen_member(yajl_gen g, const struct snm_json_member *m,
                      unsigned flags);

int snm_json_gen(yajl_gen g, const struct snm_json *v, unsigned flags)
{
  int rc = 0;

  switch (v->type) {
  case SNM_JSON_NULL:
    return gen_status(yajl_gen_null(g));
  case SNM_JSON_BOOL:
    return gen_status(yajl_gen_bool(g, v->u.boolean));
  case SNM_JSON_NUMBER:
    return gen_status(yajl_gen_number(g, v->u.number.text, v->u.number.len));
  case SNM_JSON_STRING:
    return gen_status(yajl_gen_string(g, (const unsigned char *)v->u.string.ptr,
                                      v->u.string.len));
  case SNM_JSON_ARRAY:
    if ((rc = gen_status(yajl_gen_array_open(g))) != 0)
      return rc;
    for (size_t i = 0; i < v->u.array.len && rc == 0; i++)
      rc = snm_json_gen(g, v->u.array.items[i], flags);
    return rc != 0 ? rc : gen_status(yajl_gen_array_close(g));
  case SNM_JSON_OBJECT:
    if ((rc = gen_status(yajl_gen_map_open(g))) != 0)
      return rc;
    if ((flags & SNM_JSON_SORT_KEYS) != 0 && v->u.object.len > 1) {
      size_t n = v->u.object.len;
      const struct snm_json_member **sorted = malloc(n * sizeof(*sorted));
      if (sorted == NULL)
        return SNM_ENOMEM;
      for (size_t i = 0; i < n; i++)
        sorted[i] = &v->u.object.items[i];
      qsort(sorted, n, sizeof(*sorted), cmp_member_ptr);
      for (size_t i = 0; i < n && rc == 0; i++)
        rc = gen_member(g, sorted[i], flags);
      free(sorted);
    } else {
      for (size_t i = 0; i < v->u.object.len && rc == 0; i++)
        rc = gen_member(g, &v->u.object.items[i], flags);
    }
    return rc != 0 ? rc : gen_status(yajl_gen_map_close(g));
  }
  return SNM_EINVAL;
}

static int gen_member(yajl_gen g, const struct snm_json_member *m,
                      unsigned flags)
{
  int rc =
      gen_status(yajl_gen_string(g, (const unsigned char *)m->key, m->key_len));
  return rc != 0 ? rc : snm_json_gen(g, m->value, flags);
}

int snm_gen_finish(char **out, yajl_gen g)
{
  const unsigned char *buf;
  size_t len;

  *out = NULL;
  if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
    return SNM_ENOMEM;
  if ((*out = malloc(len + 1)) == NULL)
    return SNM_ENOMEM;
  memcpy(*out, buf, len);
  (*out)[len] = '\0';
  return 0;
}

int snm_json_to_string(char **out, const struct snm_json *v, unsigned flags,
                       struct snm_err *err)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  int rc;

  *out = NULL;
  if (g == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory writing JSON");
  rc = snm_json_gen(g, v, flags);
  if (rc == 0)
    (void)snm_gen_finish(out, g); /* *out stays NULL on failure */
  yajl_gen_free(g);
  if (*out == NULL)
    return snm_err_set(err, rc != 0 ? rc : SNM_ENOMEM, "cannot write JSON (%s)",
                       snm_err_name(rc));
  return 0;
}
