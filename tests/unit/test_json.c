/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for json.c: positions, syntax errors, duplicates, writing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

static struct snm_json_doc *parse_ok(const char *text)
{
  struct snm_json_doc *doc = NULL;
  struct snm_err err;

  assert_int_equal(snm_json_parse(&doc, text, strlen(text), NULL, &err), 0);
  assert_non_null(doc);
  return doc;
}

static void assert_pos(const struct snm_json_doc *doc, size_t offset,
                       unsigned line, unsigned col)
{
  struct snm_json_pos pos = snm_json_doc_pos(doc, offset);

  assert_int_equal(pos.line, line);
  assert_int_equal(pos.col, col);
}

static void test_positions_across_comments(void **state)
{
  const char *text = "// header\n"
                     "{\n"
                     "  /* block\n"
                     "     comment */ \"a\" : 12 ,\n"
                     "  \"b\": [true, null, \"x\\\"y\"], // tail\n"
                     "  \"c\":{}}";
  struct snm_json_doc *doc = parse_ok(text);
  const struct snm_json_member *a, *b, *c;
  const struct snm_json *arr;
  (void)state;

  assert_int_equal(doc->root->type, SNM_JSON_OBJECT);
  assert_pos(doc, doc->root->offset, 2, 1);
  a = snm_json_member(doc->root, "a");
  assert_non_null(a);
  assert_pos(doc, a->key_offset, 4, 17);
  assert_pos(doc, a->value->offset, 4, 23);
  assert_string_equal(a->value->u.number.text, "12");
  b = snm_json_member(doc->root, "b");
  assert_pos(doc, b->key_offset, 5, 3);
  arr = b->value;
  assert_int_equal(arr->type, SNM_JSON_ARRAY);
  assert_pos(doc, arr->offset, 5, 8);
  assert_int_equal(arr->u.array.len, 3);
  assert_pos(doc, arr->u.array.items[0]->offset, 5, 9);
  assert_pos(doc, arr->u.array.items[1]->offset, 5, 15);
  assert_pos(doc, arr->u.array.items[2]->offset, 5, 21);
  assert_string_equal(arr->u.array.items[2]->u.string.ptr, "x\"y");
  c = snm_json_member(doc->root, "c");
  assert_pos(doc, c->value->offset, 6, 7);
  snm_json_doc_free(doc);
}

static void test_positions_utf8_and_crlf(void **state)
{
  /* "é" is 2 bytes, "€" 3, "😀" 4: columns count characters */
  const char *text = "{\r\n\"é€😀\": \"ü\", \"k\": 1,\r\n  \"z\": false}";
  struct snm_json_doc *doc = parse_ok(text);
  const struct snm_json_member *m;
  (void)state;

  m = &doc->root->u.object.items[0];
  assert_string_equal(m->key, "é€😀");
  assert_pos(doc, m->key_offset, 2, 1);
  assert_pos(doc, m->value->offset, 2, 8);
  m = snm_json_member(doc->root, "k");
  assert_pos(doc, m->key_offset, 2, 13);
  assert_pos(doc, m->value->offset, 2, 18);
  m = snm_json_member(doc->root, "z");
  assert_pos(doc, m->key_offset, 3, 3);
  assert_pos(doc, m->value->offset, 3, 8);
  snm_json_doc_free(doc);
}

/* Line and column of every offset of a document with a long line of
 * multi-byte characters agree with a walk from the start, and no lookup
 * examines 2 * SNM_JSON_POS_BLOCK bytes or more (a plan written on one
 * line used to cost a walk from the line's start per diagnostic). */
static void test_positions_on_a_long_line(void **state)
{
  enum { ITEMS = 3000 };
  struct snm_buf b;
  struct snm_json_doc *doc;
  unsigned line = 1, col = 1;
  (void)state;

  snm_buf_init(&b, 0);
  assert_int_equal(snm_buf_puts(&b, "[\r\n"), 0);
  for (int i = 0; i < ITEMS; i++)
    assert_int_equal(snm_buf_printf(&b, "\"é€😀%d\", ", i), 0);
  assert_int_equal(snm_buf_puts(&b, "\r\n 1,\n\n\t2]"), 0);
  doc = parse_ok(snm_buf_str(&b));
  assert_int_equal(doc->root->u.array.len, ITEMS + 2);
  for (size_t off = 0; off <= doc->len + 1; off++) {
    size_t before = snm_json_pos_steps();
    struct snm_json_pos pos = snm_json_doc_pos(doc, off);

    assert_true(snm_json_pos_steps() - before < 2 * SNM_JSON_POS_BLOCK);
    if (pos.line != line || pos.col != col)
      fail_msg("offset %zu: %u:%u, want %u:%u", off, pos.line, pos.col, line,
               col);
    if (off >= doc->len)
      continue; /* past the end: clamped to the end */
    if (doc->text[off] == '\n') {
      line++;
      col = 1;
    } else if (((unsigned char)doc->text[off] & 0xC0) != 0x80) {
      col++; /* a character starts at `off` */
    }
  }
  snm_json_doc_free(doc);
  snm_buf_dispose(&b);
}

static void test_string_offsets(void **state)
{
  /* decoded "a\"b\u00e9c" is a " b é(2 bytes) c */
  const char *text = "{\"k\": \"a\\\"b\\u00e9c\\ud83d\\ude00d\"}";
  struct snm_json_doc *doc = parse_ok(text);
  const struct snm_json *v = snm_json_get(doc->root, "k");
  (void)state;

  assert_int_equal(v->u.string.len, 11);
  assert_int_equal(snm_json_string_offset(doc, v, 0), 7);   /* a */
  assert_int_equal(snm_json_string_offset(doc, v, 1), 8);   /* \" */
  assert_int_equal(snm_json_string_offset(doc, v, 2), 10);  /* b */
  assert_int_equal(snm_json_string_offset(doc, v, 3), 11);  /* \u00e9 */
  assert_int_equal(snm_json_string_offset(doc, v, 5), 17);  /* c */
  assert_int_equal(snm_json_string_offset(doc, v, 6), 18);  /* surrogates */
  assert_int_equal(snm_json_string_offset(doc, v, 10), 30); /* d */
  assert_int_equal(snm_json_string_offset(doc, v, 99), 31); /* the quote */
  snm_json_doc_free(doc);
}

static void expect_syntax(const char *text, unsigned line, unsigned col,
                          const char *reason)
{
  struct snm_json_doc *doc = (struct snm_json_doc *)1;
  struct snm_json_syntax syn;
  struct snm_err err;

  assert_int_equal(snm_json_parse(&doc, text, strlen(text), &syn, &err),
                   SNM_EPARSE);
  assert_null(doc);
  assert_int_equal(syn.pos.line, line);
  assert_int_equal(syn.pos.col, col);
  assert_non_null(strstr(syn.msg, reason));
  assert_int_equal(err.code, SNM_EPARSE);
}

static void test_syntax_errors(void **state)
{
  (void)state;
  expect_syntax("{\"a\": 1,, }", 1, 9, "invalid object key");
  expect_syntax("{\n  \"a\": tru }", 2, 8, "invalid string");
  expect_syntax("{\"a\": 1} x", 1, 10, "trailing garbage");
  expect_syntax("{\n\"a\": 1\n", 3, 1, "premature EOF");
  expect_syntax("{\"é\": \"x\n\"}", 1, 7, "invalid character inside string");
  expect_syntax("", 1, 1, "premature EOF");
  expect_syntax("{\"a\": [1 2]}", 1, 10, "after array element");
  /* a stray '/' that starts no comment: the position of the slash (these
   * used to hang while looking for the token's start) */
  expect_syntax("[1, /x]", 1, 5, "invalid char");
  expect_syntax("{\"a\": /x}", 1, 7, "invalid char");
  expect_syntax("/x", 1, 1, "invalid char");
  expect_syntax("[1,\n  /", 2, 3, "invalid char");
  /* a NUL byte in the input is a token of its own */
  {
    struct snm_json_doc *doc = NULL;
    struct snm_json_syntax syn;

    assert_int_equal(snm_json_parse(&doc, "[1, x\0y]", 8, &syn, NULL),
                     SNM_EPARSE);
    assert_int_equal(syn.pos.col, 5);
    assert_int_equal(snm_json_parse(&doc, "[1, \0/x]", 8, &syn, NULL),
                     SNM_EPARSE);
    assert_int_equal(syn.pos.col, 5);
  }
  /* nesting deeper than SNM_JSON_MAX_DEPTH is refused, not overflowed */
  {
    char deep[2 * SNM_JSON_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i <= SNM_JSON_MAX_DEPTH; i++)
      deep[n++] = '[';
    deep[n] = '\0';
    expect_syntax(deep, 1, SNM_JSON_MAX_DEPTH + 1, "nesting too deep");
  }
}

/* Every byte yajl skips as a blank between tokens (it takes '\v' and '\f'
 * as well as the four JSON ones) is skipped by the position scanner too:
 * offsets point at the token, never at the blank before it. */
static void test_every_yajl_blank(void **state)
{
  int accepted_vt = 0, accepted_ff = 0;
  (void)state;

  for (int c = 0; c < 256; c++) {
    /* `c` wherever a blank may go ('~') */
    static const char tmpl[] = "{~\"k\"~:~\"v\"~,~\"n\":~[~1~]~}~";
    char text[sizeof(tmpl) - 1];
    struct snm_json_doc *doc = NULL;
    const struct snm_json *v;
    const struct snm_json_member *m;

    for (size_t i = 0; i < sizeof(text); i++)
      text[i] = tmpl[i] == '~' ? (char)c : tmpl[i];
    if (snm_json_parse(&doc, text, sizeof(text), NULL, NULL) != 0)
      continue; /* yajl does not take `c` as a blank */
    accepted_vt |= c == '\v';
    accepted_ff |= c == '\f';
    m = snm_json_member(doc->root, "k");
    assert_non_null(m);
    assert_int_equal(doc->root->offset, 0);
    assert_int_equal(m->key_offset, 2);
    assert_int_equal(m->value->offset, 8);
    assert_int_equal(snm_json_string_offset(doc, m->value, 0), 9);
    m = snm_json_member(doc->root, "n");
    assert_int_equal(m->key_offset, 14);
    v = m->value;
    assert_int_equal(v->offset, 19);
    assert_int_equal(v->u.array.items[0]->offset, 21);
    snm_json_doc_free(doc);
  }
  assert_true(accepted_vt && accepted_ff);
  /* a syntax error after such a blank points at the bad token */
  expect_syntax("[\v\fx]", 1, 4, "invalid");
  expect_syntax("{\"a\":\vtru\f}", 1, 7, "invalid");
}

static void test_duplicates(void **state)
{
  struct snm_json_doc *doc =
      parse_ok("{\"a\": 1, \"b\": 2, \"a\": 3, \"c\": {\"x\": 1, \"x\": 2}, "
               "\"a\": 4}");
  const struct snm_json *root = doc->root;
  (void)state;

  assert_int_equal(root->u.object.len, 5);
  assert_false(root->u.object.items[0].duplicate);
  assert_false(root->u.object.items[1].duplicate);
  assert_true(root->u.object.items[2].duplicate);
  assert_false(root->u.object.items[3].duplicate);
  assert_true(root->u.object.items[4].duplicate);
  /* each member knows the first one with its key */
  assert_int_equal(root->u.object.items[0].first, 0);
  assert_int_equal(root->u.object.items[1].first, 1);
  assert_int_equal(root->u.object.items[2].first, 0);
  assert_int_equal(root->u.object.items[3].first, 3);
  assert_int_equal(root->u.object.items[4].first, 0);
  assert_int_equal(snm_json_get(root, "c")->u.object.items[1].first, 0);
  /* the first one is the one looked up */
  assert_string_equal(snm_json_get(root, "a")->u.number.text, "1");
  assert_true(snm_json_get(root, "c")->u.object.items[1].duplicate);
  snm_json_doc_free(doc);
}

static void test_numbers(void **state)
{
  struct snm_json_doc *doc =
      parse_ok("[0, -12, 9223372036854775807, 9223372036854775808, 1.5, "
               "2e3]");
  struct snm_json **it = doc->root->u.array.items;
  long long n;
  (void)state;

  assert_int_equal(snm_json_int(it[0], &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(snm_json_int(it[1], &n), 0);
  assert_int_equal(n, -12);
  assert_int_equal(snm_json_int(it[2], &n), 0);
  assert_true(n == 9223372036854775807LL);
  assert_int_equal(snm_json_int(it[3], &n), SNM_EINVAL);
  assert_int_equal(snm_json_int(it[4], &n), SNM_EINVAL);
  assert_int_equal(snm_json_int(it[5], &n), SNM_EINVAL);
  snm_json_doc_free(doc);
}

static int depth_ok_str(const char *text, unsigned max)
{
  return snm_json_depth_ok(text, strlen(text), max);
}

static void test_depth_scan(void **state)
{
  enum { DEEP = 300000 };
  char *deep;
  (void)state;

  assert_true(depth_ok_str("", 0));
  assert_true(depth_ok_str("1", 0));
  assert_false(depth_ok_str("[]", 0));
  assert_true(depth_ok_str("[[[]]]", 3));
  assert_false(depth_ok_str("[[[]]]", 2));
  assert_true(depth_ok_str("[[],[],{}]", 2));
  assert_true(depth_ok_str("{\"a\":{\"b\":[1]}}", 3));
  assert_false(depth_ok_str("{\"a\":{\"b\":[1]}}", 2));
  /* brackets in strings and comments do not count */
  assert_true(depth_ok_str("[\"[[[{{{\"]", 1));
  assert_true(depth_ok_str("[\"\\\"[[[\"]", 1));
  assert_true(depth_ok_str("[\"\\\\\"]", 1));
  assert_true(depth_ok_str("// [[[\n[] /* [[[ */", 1));
  /* ... but a quote in a comment starts no string */
  assert_false(depth_ok_str("/* \" */ [[[", 2));
  assert_false(depth_ok_str("// \"\n[[[", 2));
  /* a stray closer does not buy depth */
  assert_true(depth_ok_str("]]]][[", 2));
  assert_false(depth_ok_str("]]]][[[", 2));
  /* the length is respected (no NUL needed) */
  assert_true(snm_json_depth_ok("[[[", 2, 2));

  deep = malloc(2 * DEEP);
  assert_non_null(deep);
  memset(deep, '[', DEEP);
  memset(deep + DEEP, ']', DEEP);
  assert_false(snm_json_depth_ok(deep, 2 * DEEP, SNM_JSON_MAX_DEPTH));
  assert_true(snm_json_depth_ok(deep + DEEP - SNM_JSON_MAX_DEPTH,
                                2 * SNM_JSON_MAX_DEPTH, SNM_JSON_MAX_DEPTH));
  assert_false(snm_json_depth_ok(deep + DEEP - SNM_JSON_MAX_DEPTH - 1,
                                 2 * SNM_JSON_MAX_DEPTH + 2,
                                 SNM_JSON_MAX_DEPTH));
  free(deep);
}

static void test_round_trip(void **state)
{
  const char *text = "/* c */ {\"b\": [1, 2.50, -3e2, true, false, null],\n"
                     "  \"a\": {\"z\": \"\\u00e9\\n\\\"q\\\"\", \"y\": {}},\n"
                     "  \"\": []}";
  struct snm_json_doc *doc = parse_ok(text), *again;
  char *s = NULL, *sorted = NULL, *s2 = NULL;
  (void)state;

  assert_int_equal(snm_json_to_string(&s, doc->root, 0, NULL), 0);
  assert_string_equal(s, "{\"b\":[1,2.50,-3e2,true,false,null],"
                         "\"a\":{\"z\":\"é\\n\\\"q\\\"\",\"y\":{}},\"\":[]}");
  assert_int_equal(
      snm_json_to_string(&sorted, doc->root, SNM_JSON_SORT_KEYS, NULL), 0);
  assert_string_equal(sorted,
                      "{\"\":[],\"a\":{\"y\":{},\"z\":\"é\\n\\\"q\\\"\"},"
                      "\"b\":[1,2.50,-3e2,true,false,null]}");
  /* what was written parses back to the same text */
  again = parse_ok(s);
  assert_int_equal(snm_json_to_string(&s2, again->root, 0, NULL), 0);
  assert_string_equal(s, s2);
  free(s);
  free(s2);
  free(sorted);
  snm_json_doc_free(again);
  snm_json_doc_free(doc);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_positions_across_comments),
      cmocka_unit_test(test_positions_utf8_and_crlf),
      cmocka_unit_test(test_positions_on_a_long_line),
      cmocka_unit_test(test_string_offsets),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_every_yajl_blank),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_depth_scan),
      cmocka_unit_test(test_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
