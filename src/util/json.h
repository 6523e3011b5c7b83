/* json.h - a JSON tree that remembers where each value came from.
 *
 * yajl's tree parser keeps no source positions, so this module builds its
 * own tree from yajl's callback parser and records the byte offset of every
 * value and every object key.  snm_json_doc_pos() turns an offset into a
 * 1-based line and column; columns count characters (UTF-8 code points), a
 * tab counts as one, and "\r\n" ends a line like "\n" does.
 *
 * Comments (C and C++ style) are accepted, and so are '\v' and '\f' between
 * tokens (yajl takes them as blanks; positions skip them as it does).
 * Duplicate keys are kept in the tree, in source order, and flagged so a
 * validator can report them.
 *
 * The tree can be written back as compact JSON (yajl_gen), optionally with
 * object keys sorted so the output is canonical.
 */
#ifndef SNM_JSON_H
#define SNM_JSON_H

#include <stddef.h>

#include <yajl/yajl_gen.h>

#include "err.h"

#define SNM_JSON_MAX_DEPTH 128 /* deeper documents are refused */
#define SNM_JSON_POS_BLOCK 128 /* bytes per entry of snm_json_doc.chars */

enum snm_json_type {
  SNM_JSON_NULL,
  SNM_JSON_BOOL,
  SNM_JSON_NUMBER,
  SNM_JSON_STRING,
  SNM_JSON_ARRAY,
  SNM_JSON_OBJECT
};

struct snm_json;

struct snm_json_member {
  char *key;              /* malloced, NUL-terminated (may hold \u0000) */
  size_t key_len;         /* bytes in key, without the terminator */
  size_t key_offset;      /* source offset of the key's opening quote */
  int duplicate;          /* 1: an earlier member has the same key */
  size_t first;           /* index of the first member with this key (its
                             own index when not a duplicate) */
  struct snm_json *value; /* owned */
};

struct snm_json {
  enum snm_json_type type;
  size_t offset; /* source offset of the value's first byte */
  union {
    int boolean;
    struct {
      char *text; /* malloced; the number exactly as written */
      size_t len;
    } number;
    struct {
      char *ptr; /* malloced, decoded, NUL-terminated (may hold \u0000) */
      size_t len;
    } string;
    struct {
      struct snm_json **items; /* malloced array of owned values */
      size_t len;
    } array;
    struct {
      struct snm_json_member *items; /* malloced, in source order */
      size_t len;
    } object;
  } u;
};

struct snm_json_doc {
  char *text;            /* malloced copy of the source, NUL-terminated */
  size_t len;            /* bytes of source (without the terminator) */
  size_t *lines;         /* malloced; byte offset where each line starts */
  size_t n_lines;        /* at least 1 */
  size_t *chars;         /* malloced; [k]: characters before byte
                            k * SNM_JSON_POS_BLOCK (len / BLOCK + 1 of them) */
  struct snm_json *root; /* owned; NULL only while parsing */
};

struct snm_json_pos {
  unsigned line; /* 1-based */
  unsigned col;  /* 1-based, in characters */
};

/* Where and why a document is not valid JSON. */
struct snm_json_syntax {
  size_t offset;           /* source offset of the offending token */
  struct snm_json_pos pos; /* the same as line and column */
  char msg[160];           /* yajl's reason, e.g. "premature EOF" */
};

/* Parse `len` bytes of `text` (copied; need not be NUL-terminated).
 * Returns 0 and sets *out (free with snm_json_doc_free); SNM_EPARSE when the
 * text is not JSON (fills `syntax` if not NULL, and `err` with
 * "LINE:COL: reason"); SNM_ENOMEM. */
int snm_json_parse(struct snm_json_doc **out, const char *text, size_t len,
                   struct snm_json_syntax *syntax,
                   struct snm_err *err) SNM_MUST_CHECK;
void snm_json_doc_free(struct snm_json_doc *doc);

/* Line and column of a source offset (offsets past the end clamp to it). */
struct snm_json_pos snm_json_doc_pos(const struct snm_json_doc *doc,
                                     size_t offset);

/* Test hook: how many source bytes snm_json_doc_pos() has examined in
 * this process.  A lookup examines fewer than 2 * SNM_JSON_POS_BLOCK
 * bytes, however long the line, so locating every problem of a plan
 * written on one line costs linear time. */
size_t snm_json_pos_steps(void);

/* Source offset of byte `index` of the decoded string value `str` (which
 * must come from `doc`), walking its escapes; an index at or past the end
 * gives the closing quote. */
size_t snm_json_string_offset(const struct snm_json_doc *doc,
                              const struct snm_json *str, size_t index);

/* The value of the first member called `key`, or NULL when `obj` is NULL,
 * not an object, or has no such member. */
const struct snm_json *snm_json_get(const struct snm_json *obj,
                                    const char *key);

/* The member itself (for the key's offset), or NULL. */
const struct snm_json_member *snm_json_member(const struct snm_json *obj,
                                              const char *key);

/* "null", "boolean", "number", "string", "array", "object". */
const char *snm_json_type_name(enum snm_json_type type);

/* An integral number that fits a long long: 0 and *out; SNM_EINVAL when
 * `v` is not a number, has a fraction or exponent, or is out of range. */
int snm_json_int(const struct snm_json *v, long long *out) SNM_MUST_CHECK;

/* 1 if `v` is a string without NUL bytes (usable as a C string), else 0. */
int snm_json_is_cstring(const struct snm_json *v);

/* 1 if no value in the `len` bytes of `text` is nested deeper than `max`
 * levels of arrays and objects, else 0.  A cheap scan that knows strings
 * (and their escapes) and comments, and nothing else: it does not check
 * that the text is JSON.  Run it before yajl_tree_parse() on text from
 * outside, whose tree yajl builds and frees recursively (no depth limit):
 * deeply nested input would otherwise exhaust the stack. */
int snm_json_depth_ok(const char *text, size_t len, unsigned max);

#define SNM_JSON_SORT_KEYS 0x1 /* write object members sorted by key */

/* Write `v` into a yajl generator.  Returns 0, SNM_ENOMEM, or SNM_EINVAL
 * if the generator refuses (e.g. a key in the wrong place). */
int snm_json_gen(yajl_gen g, const struct snm_json *v, unsigned flags);

/* ---- small yajl_gen helpers, shared by every module that writes JSON ---- */

/* Write the NUL-terminated `s` as a JSON string, or null when `s` is NULL.
 * Returns yajl's status. */
yajl_gen_status snm_gen_str(yajl_gen g, const char *s);

/* Write the object key `key`, then snm_gen_str(g, value).  Returns the
 * first status that is not yajl_gen_status_ok, else ok. */
yajl_gen_status snm_gen_key_str(yajl_gen g, const char *key, const char *value);

/* Write the object key `key`, then the integer `v`. */
yajl_gen_status snm_gen_key_int(yajl_gen g, const char *key, long long v);

/* Write the object key `key`, then `v`, or null when `v` is negative (the
 * convention for "not known"). */
yajl_gen_status snm_gen_key_int_or_null(yajl_gen g, const char *key,
                                        long long v);

/* Copy the text `g` has generated so far to *out (malloced, NUL-terminated).
 * Returns 0, or SNM_ENOMEM with *out NULL (also when yajl has no buffer to
 * give).  `g` is left as it is; the caller frees it. */
int snm_gen_finish(char **out, yajl_gen g);

/* `v` as compact JSON: 0 and *out (malloced, NUL-terminated); SNM_ENOMEM. */
int snm_json_to_string(char **out, const struct snm_json *v, unsigned flags,
                       struct snm_err *err) SNM_MUST_CHECK;

#endif
