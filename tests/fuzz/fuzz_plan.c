/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_plan - libFuzzer target: a plan file through `snapmig validate`'s
 * path (snm_plan_parse: JSON with positions, every check, every located
 * diagnostic; a valid plan's description and digest), and the JSON tree's
 * positions checked against the text.
 *
 * Built with -DENABLE_FUZZ=ON (see docs/fuzzing.md); run by
 * scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "json.h"
#include "log.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The slow position check walks the text once per value: only for inputs
 * up to this size (larger ones still go through everything else). */
#define WALK_MAX 4096

static int walk_positions;

/* Line and column of `offset`, the slow way. */
static struct snm_json_pos walk_pos(const char *t, size_t len, size_t offset)
{
  struct snm_json_pos pos = {1, 1};

  for (size_t i = 0; i < offset && i < len; i++) {
    if (t[i] == '\n') {
      pos.line++;
      pos.col = 1;
    } else if (((unsigned char)t[i] & 0xC0) != 0x80) {
      pos.col++;
    }
  }
  return pos;
}

static void check_pos(const struct snm_json_doc *doc, size_t offset)
{
  struct snm_json_pos got = snm_json_doc_pos(doc, offset), want;

  if (!walk_positions)
    return;
  want = walk_pos(doc->text, doc->len, offset);
  if (got.line != want.line || got.col != want.col)
    abort();
}

/* Every value starts where its first byte says it does, and its position
 * is the one a walk from the start gives. */
static void check_value(const struct snm_json_doc *doc,
                        const struct snm_json *v)
{
  char c;

  if (v->offset >= doc->len)
    abort();
  c = doc->text[v->offset];
  switch (v->type) {
  case SNM_JSON_NULL:
    if (c != 'n')
      abort();
    break;
  case SNM_JSON_BOOL:
    if (c != (v->u.boolean ? 't' : 'f'))
      abort();
    break;
  case SNM_JSON_NUMBER:
    if (c != '-' && (c < '0' || c > '9'))
      abort();
    break;
  case SNM_JSON_STRING:
    if (c != '"')
      abort();
    /* every decoded byte maps back into the string's source */
    for (size_t i = 0; i <= v->u.string.len; i++)
      if (snm_json_string_offset(doc, v, i) >= doc->len)
        abort();
    break;
  case SNM_JSON_ARRAY:
    if (c != '[')
      abort();
    for (size_t i = 0; i < v->u.array.len; i++)
      check_value(doc, v->u.array.items[i]);
    break;
  case SNM_JSON_OBJECT:
    if (c != '{')
      abort();
    for (size_t i = 0; i < v->u.object.len; i++) {
      const struct snm_json_member *m = &v->u.object.items[i];

      if (m->key_offset >= doc->len || doc->text[m->key_offset] != '"' ||
          m->first > i || (m->first < i) != (m->duplicate != 0))
        abort();
      check_pos(doc, m->key_offset);
      check_value(doc, m->value);
    }
    break;
  }
  check_pos(doc, v->offset);
}

static void fuzz_json(const uint8_t *data, size_t size)
{
  struct snm_json_doc *doc = NULL;
  struct snm_json_syntax syntax;
  char *out = NULL;

  walk_positions = size <= WALK_MAX;
  if (snm_json_parse(&doc, (const char *)data, size, &syntax, NULL) != 0) {
    struct snm_json_pos want =
        walk_pos((const char *)data, size, syntax.offset);

    if (syntax.offset > size || syntax.pos.line != want.line ||
        syntax.pos.col != want.col)
      abort();
    return;
  }
  check_value(doc, doc->root);
  (void)snm_json_to_string(&out, doc->root, SNM_JSON_SORT_KEYS, NULL);
  free(out);
  snm_json_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct snm_diag_list diags;
  struct snm_plan *plan = NULL;
  struct snm_err err;

  if (size > SNM_PLAN_MAX_BYTES)
    return 0;
  fuzz_json(data, size);
  snm_diag_list_init(&diags);
  if (snm_plan_parse(&plan, (const char *)data, size, "fuzz.json", &diags,
                     &err) == 0) {
    struct snm_buf desc;
    char digest[65];

    snm_buf_init(&desc, 0);
    (void)snm_plan_describe(&desc, plan);
    (void)snm_plan_digest(digest, plan);
    snm_buf_dispose(&desc);
  }
  snm_plan_free(plan);
  snm_diag_list_dispose(&diags);
  snm_log_clear_secrets(); /* the plan registers its secrets */
  return 0;
}
