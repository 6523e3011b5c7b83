/* SPDX-License-Identifier: Apache-2.0 */
/* metadata.c - templates and pipelines: reply parsing, the canonical form,
 * differences, renames (metadata.h). */
#include "metadata.h"
#include "buf.h"
#include "es.h"
#include "indexpat.h"
#include "json.h"
#include "jtree.h"
#include "rename.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static const struct {
  const char *label, *root, *word;
} kinds[SNM_META_N_KINDS] = {
    [SNM_META_PIPELINE] = {"ingest pipeline", "/_ingest/pipeline", "pipeline"},
    [SNM_META_COMPONENT] = {"component template", "/_component_template",
                            "component_template"},
    [SNM_META_TEMPLATE] = {"index template", "/_index_template",
                           "index_template"},
    [SNM_META_LEGACY] = {"legacy template", "/_template", "legacy_template"},
};

const char *snm_meta_label(enum snm_meta_kind k)
{
  return kinds[k].label;
}

const char *snm_meta_root(enum snm_meta_kind k)
{
  return kinds[k].root;
}

const char *snm_meta_kind_word(enum snm_meta_kind k)
{
  return kinds[k].word;
}

int snm_meta_kind_parse(const char *word, enum snm_meta_kind *out)
{
  for (int k = 0; k < SNM_META_N_KINDS; k++)
    if (strcmp(kinds[k].word, word) == 0) {
      *out = (enum snm_meta_kind)k;
      return 0;
    }
  return SNM_EINVAL;
}

/* ---- lists -------------------------------------------------------------- */

void snm_meta_list_dispose(struct snm_meta_list *l)
{
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].name);
    free(l->items[i].body);
  }
  free(l->items);
  l->items = NULL;
  l->len = 0;
}

static int item_cmp(const void *a, const void *b)
{
  return strcmp(((const struct snm_meta_item *)a)->name,
                ((const struct snm_meta_item *)b)->name);
}

const struct snm_meta_item *snm_meta_list_find(const struct snm_meta_list *l,
                                               const char *name)
{
  struct snm_meta_item key = {0};

  if (l->len == 0)
    return NULL;
  key.name = (char *)name;
  return bsearch(&key, l->items, l->len, sizeof(key), item_cmp);
}

static char *tree_string(yajl_val v)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  char *out = NULL;

  if (g == NULL)
    return NULL;
  snm_jgen(g, v);
  if (snm_gen_finish(&out, g) != 0)
    out = NULL;
  yajl_gen_free(g);
  return out;
}

static int push_item(struct snm_meta_list *l, size_t *cap, enum snm_meta_kind k,
                     const char *name, yajl_val body)
{
  struct snm_meta_item *it;

  if (l->len == *cap) {
    size_t ncap = *cap == 0 ? 8 : *cap * 2;
    struct snm_meta_item *n = realloc(l->items, ncap * sizeof(*n));
    if (n == NULL)
      return SNM_ENOMEM;
    l->items = n;
    *cap = ncap;
  }
  it = &l->items[l->len];
  it->kind = k;
  it->name = strdup(name);
  it->body = tree_string(body);
  if (it->name == NULL || it->body == NULL) {
    free(it->name);
    free(it->body);
    return SNM_ENOMEM;
  }
  l->len++;
  return 0;
}

int snm_meta_parse_list(struct snm_meta_list *out, enum snm_meta_kind k,
                        yajl_val j, char *why, size_t whysz)
{
  size_t start = out->len, cap = out->len;
  int rc = 0;

  if (!YAJL_IS_OBJECT(j)) {
    snprintf(why, whysz, "the reply is not a JSON object");
    return -1;
  }
  if (k == SNM_META_PIPELINE || k == SNM_META_LEGACY) {
    for (size_t i = 0; i < j->u.object.len && rc == 0; i++) {
      if (!YAJL_IS_OBJECT(j->u.object.values[i])) {
        snprintf(why, whysz, "%s \"%.64s\" is not a JSON object",
                 kinds[k].label, j->u.object.keys[i]);
        rc = -1;
      } else {
        rc =
            push_item(out, &cap, k, j->u.object.keys[i], j->u.object.values[i]);
      }
    }
  } else {
    const char *list_key =
        k == SNM_META_TEMPLATE ? "index_templates" : "component_templates";
    const char *body_key =
        k == SNM_META_TEMPLATE ? "index_template" : "component_template";
    yajl_val a = snm_jget(j, list_key, NULL);

    if (!YAJL_IS_ARRAY(a)) {
      snprintf(why, whysz, "the reply has no \"%s\" array", list_key);
      return -1;
    }
    for (size_t i = 0; i < a->u.array.len && rc == 0; i++) {
      yajl_val e = a->u.array.values[i];
      const char *name = snm_jstr(e, "name", NULL);
      yajl_val body = snm_jget(e, body_key, NULL);

      if (name == NULL || !YAJL_IS_OBJECT(body)) {
        snprintf(why, whysz, "%s[%zu] has no \"name\" and \"%s\" object",
                 list_key, i, body_key);
        rc = -1;
      } else {
        rc = push_item(out, &cap, k, name, body);
      }
    }
  }
  if (rc != 0) {
    for (size_t i = start; i < out->len; i++) {
      free(out->items[i].name);
      free(out->items[i].body);
    }
    out->len = start;
    if (start == 0) {
      free(out->items);
      out->items = NULL;
    }
    return rc;
  }
  if (out->len > 1)
    qsort(out->items, out->len, sizeof(*out->items), item_cmp);
  return 0;
}

size_t snm_meta_select(unsigned char **sel, const struct snm_meta_list *l,
                       char *const *items, size_t n_items, unsigned char *hits)
{
  const char **names = malloc((l->len + 1) * sizeof(*names));
  size_t n;

  *sel = calloc(l->len + 1, 1);
  if (names == NULL || *sel == NULL) {
    free(names);
    free(*sel);
    *sel = NULL;
    return (size_t)-1;
  }
  for (size_t i = 0; i < l->len; i++)
    names[i] = l->items[i].name;
  n = snm_indexpat_select(*sel, names, l->len, (const char *const *)items,
                          n_items, hits);
  free(names);
  return n;
}

/* ---- the canonical form ------------------------------------------------- */

struct kv {
  const char *key;
  yajl_val v;
};

static int kv_cmp(const void *a, const void *b)
{
  return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* A setting's value as the servers store it. */
struct flat {
  char *key;
  yajl_val v; /* a scalar or an array of scalars */
};

struct flat_list {
  struct flat *items;
  size_t len, cap;
  int nomem;
};

static void flat_add(struct flat_list *fl, const char *prefix, const char *key,
                     yajl_val v)
{
  struct snm_buf k;

  if (YAJL_IS_NULL(v))
    return;
  snm_buf_init(&k, 0);
  if (prefix[0] != '\0' && snm_buf_printf(&k, "%s.", prefix) != 0)
    fl->nomem = 1;
  if (snm_buf_puts(&k, key) != 0)
    fl->nomem = 1;
  if (YAJL_IS_OBJECT(v)) {
    for (size_t i = 0; i < v->u.object.len; i++)
      flat_add(fl, snm_buf_str(&k), v->u.object.keys[i], v->u.object.values[i]);
    snm_buf_dispose(&k);
    return;
  }
  if (fl->len == fl->cap) {
    size_t ncap = fl->cap == 0 ? 16 : fl->cap * 2;
    struct flat *n = realloc(fl->items, ncap * sizeof(*n));
    if (n == NULL) {
      fl->nomem = 1;
      snm_buf_dispose(&k);
      return;
    }
    fl->items = n;
    fl->cap = ncap;
  }
  if (strncmp(snm_buf_str(&k), "index.", 6) == 0)
    fl->items[fl->len].key = snm_buf_steal(&k);
  else {
    struct snm_buf p;
    snm_buf_init(&p, 0);
    if (snm_buf_printf(&p, "index.%s", snm_buf_str(&k)) != 0)
      fl->nomem = 1;
    fl->items[fl->len].key = snm_buf_steal(&p);
    snm_buf_dispose(&p);
  }
  snm_buf_dispose(&k);
  if (fl->items[fl->len].key == NULL) {
    fl->nomem = 1;
    return;
  }
  fl->items[fl->len++].v = v;
}

static int flat_cmp(const void *a, const void *b)
{
  return strcmp(((const struct flat *)a)->key, ((const struct flat *)b)->key);
}

/* A scalar as the string a server stores a setting as. */
static void gen_setting_scalar(yajl_gen g, yajl_val v)
{
  if (YAJL_IS_STRING(v))
    snm_gen_str(g, v->u.string);
  else if (YAJL_IS_NUMBER(v))
    snm_gen_str(g, v->u.number.r);
  else if (YAJL_IS_TRUE(v))
    snm_gen_str(g, "true");
  else if (YAJL_IS_FALSE(v))
    snm_gen_str(g, "false");
  else
    snm_gen_str(g, "");
}

static int gen_settings(yajl_gen g, yajl_val s)
{
  struct flat_list fl = {0};

  for (size_t i = 0; i < s->u.object.len; i++)
    flat_add(&fl, "", s->u.object.keys[i], s->u.object.values[i]);
  if (fl.len > 1)
    qsort(fl.items, fl.len, sizeof(*fl.items), flat_cmp);
  yajl_gen_map_open(g);
  for (size_t i = 0; i < fl.len; i++) {
    yajl_val v = fl.items[i].v;

    snm_gen_str(g, fl.items[i].key);
    if (YAJL_IS_ARRAY(v)) {
      yajl_gen_array_open(g);
      for (size_t k = 0; k < v->u.array.len; k++)
        gen_setting_scalar(g, v->u.array.values[k]);
      yajl_gen_array_close(g);
    } else {
      gen_setting_scalar(g, v);
    }
    free(fl.items[i].key);
  }
  yajl_gen_map_close(g);
  free(fl.items);
  return fl.nomem ? SNM_ENOMEM : 0;
}

static int is_empty_object(yajl_val v)
{
  return v == NULL || YAJL_IS_NULL(v) ||
         (YAJL_IS_OBJECT(v) && v->u.object.len == 0);
}

/* A number by value: an integer as its digits, else as written. */
static void gen_number(yajl_gen g, yajl_val v)
{
  char buf[32];

  if (YAJL_IS_INTEGER(v)) {
    int n = snprintf(buf, sizeof(buf), "%lld", YAJL_GET_INTEGER(v));
    yajl_gen_number(g, buf, (size_t)n);
  } else if (YAJL_IS_DOUBLE(v) &&
             v->u.number.d == (double)(long long)v->u.number.d &&
             v->u.number.d > -1e15 && v->u.number.d < 1e15) {
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v->u.number.d);
    yajl_gen_number(g, buf, (size_t)n);
  } else {
    yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
  }
}

/* Any value with sorted keys. */
typedef int (*member_fn)(yajl_gen g, const char *key, yajl_val v, int *rc);
static int gen_object(yajl_gen g, yajl_val o, member_fn member);

static int gen_sorted(yajl_gen g, yajl_val v)
{
  int rc = 0;

  if (YAJL_IS_OBJECT(v)) {
    rc = gen_object(g, v, NULL);
  } else if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len && rc == 0; i++)
      rc = gen_sorted(g, v->u.array.values[i]);
    yajl_gen_array_close(g);
  } else if (YAJL_IS_NUMBER(v)) {
    gen_number(g, v);
  } else {
    snm_jgen(g, v);
  }
  return rc;
}

/* Mappings: a single "_doc" type unwrapped (7.x servers may return it). */
static int gen_mappings(yajl_gen g, yajl_val m)
{
  yajl_val doc = snm_jget(m, "_doc", NULL);

  if (m->u.object.len == 1 && YAJL_IS_OBJECT(doc))
    m = doc;
  return gen_sorted(g, m);
}

/* Generate the members of an object with sorted keys, through `member`
 * (NULL: none) for the ones it knows (it returns 1 when it wrote or
 * dropped the member, 0 to let the generic code write it). */
static int gen_object(yajl_gen g, yajl_val o, member_fn member)
{
  struct kv *kv = malloc((o->u.object.len + 1) * sizeof(*kv));
  int rc = 0;

  if (kv == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < o->u.object.len; i++) {
    kv[i].key = o->u.object.keys[i];
    kv[i].v = o->u.object.values[i];
  }
  if (o->u.object.len > 1)
    qsort(kv, o->u.object.len, sizeof(*kv), kv_cmp);
  yajl_gen_map_open(g);
  for (size_t i = 0; i < o->u.object.len && rc == 0; i++) {
    if (member != NULL && member(g, kv[i].key, kv[i].v, &rc))
      continue;
    snm_gen_str(g, kv[i].key);
    rc = gen_sorted(g, kv[i].v);
  }
  yajl_gen_map_close(g);
  free(kv);
  return rc;
}

static int part_member(yajl_gen g, const char *key, yajl_val v, int *rc)
{
  if (strcmp(key, "settings") == 0 || strcmp(key, "mappings") == 0 ||
      strcmp(key, "aliases") == 0) {
    if (is_empty_object(v))
      return 1;
    snm_gen_str(g, key);
    if (!YAJL_IS_OBJECT(v))
      *rc = gen_sorted(g, v);
    else if (key[0] == 's')
      *rc = gen_settings(g, v);
    else if (key[0] == 'm')
      *rc = gen_mappings(g, v);
    else
      *rc = gen_sorted(g, v);
    return 1;
  }
  return 0;
}

static int data_stream_member(yajl_gen g, const char *key, yajl_val v, int *rc)
{
  (void)g;
  (void)rc;
  if (strcmp(key, "hidden") == 0 || strcmp(key, "allow_custom_routing") == 0)
    return YAJL_IS_FALSE(v);
  if (strcmp(key, "timestamp_field") == 0) {
    const char *name = snm_jstr(v, "name", NULL);
    return YAJL_IS_OBJECT(v) && v->u.object.len == 1 && name != NULL &&
           strcmp(name, "@timestamp") == 0;
  }
  return 0;
}

static int top_member(yajl_gen g, const char *key, yajl_val v, int *rc)
{
  if (strcmp(key, "template") == 0 && YAJL_IS_OBJECT(v)) {
    int empty = 1;
    for (size_t i = 0; i < v->u.object.len && empty; i++)
      empty = is_empty_object(v->u.object.values[i]);
    if (empty)
      return 1;
    snm_gen_str(g, key);
    *rc = gen_object(g, v, part_member);
    return 1;
  }
  if (strcmp(key, "composed_of") == 0)
    return YAJL_IS_ARRAY(v) && v->u.array.len == 0;
  if (strcmp(key, "data_stream") == 0 && YAJL_IS_OBJECT(v)) {
    snm_gen_str(g, key);
    *rc = gen_object(g, v, data_stream_member);
    return 1;
  }
  if (strcmp(key, "priority") == 0 || strcmp(key, "version") == 0)
    return YAJL_IS_NULL(v);
  return 0;
}

static int legacy_member(yajl_gen g, const char *key, yajl_val v, int *rc)
{
  if (strcmp(key, "order") == 0)
    return YAJL_IS_NULL(v) || (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) == 0);
  if (strcmp(key, "version") == 0)
    return YAJL_IS_NULL(v);
  return part_member(g, key, v, rc);
}

static int canon_tree(char **out, enum snm_meta_kind k, yajl_val j)
{
  yajl_gen g;
  int rc;

  *out = NULL;
  if (!YAJL_IS_OBJECT(j))
    return SNM_EINVAL;
  g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return SNM_ENOMEM;
  switch (k) {
  case SNM_META_PIPELINE:
    rc = gen_sorted(g, j);
    break;
  case SNM_META_LEGACY:
    rc = gen_object(g, j, legacy_member);
    break;
  default:
    rc = gen_object(g, j, top_member);
    break;
  }
  if (rc == 0)
    rc = snm_gen_finish(out, g);
  yajl_gen_free(g);
  return rc;
}

int snm_meta_canon(char **out, enum snm_meta_kind k, const char *body)
{
  yajl_val j = yajl_tree_parse(body, NULL, 0);
  int rc = canon_tree(out, k, j);

  yajl_tree_free(j);
  return rc;
}

/* ---- differences -------------------------------------------------------- */

struct diff {
  struct snm_buf *out;
  size_t max, n;
  int nomem;
};

static void diff_add(struct diff *d, const char *path)
{
  if (d->out != NULL && d->n < d->max &&
      snm_buf_printf(d->out, "%s%s", d->n == 0 ? "" : ", ",
                     path[0] != '\0' ? path : "(the whole body)") != 0)
    d->nomem = 1;
  d->n++;
}

static int scalar_eq(yajl_val a, yajl_val b)
{
  if (a->type != b->type)
    return 0;
  if (YAJL_IS_STRING(a))
    return strcmp(a->u.string, b->u.string) == 0;
  if (YAJL_IS_NUMBER(a))
    return strcmp(a->u.number.r, b->u.number.r) == 0;
  return 1; /* true, false, null */
}

static void diff_walk(struct diff *d, struct snm_buf *path, yajl_val a,
                      yajl_val b)
{
  size_t mark = path->len;

  if (YAJL_IS_OBJECT(a) && YAJL_IS_OBJECT(b)) {
    /* canonical: keys sorted on both sides */
    size_t i = 0, k = 0;
    while (i < a->u.object.len || k < b->u.object.len) {
      int c = i >= a->u.object.len ? 1
              : k >= b->u.object.len
                  ? -1
                  : strcmp(a->u.object.keys[i], b->u.object.keys[k]);
      const char *key = c <= 0 ? a->u.object.keys[i] : b->u.object.keys[k];

      if (snm_buf_printf(path, "%s%s", mark == 0 ? "" : ".", key) != 0)
        d->nomem = 1;
      if (c == 0)
        diff_walk(d, path, a->u.object.values[i], b->u.object.values[k]);
      else
        diff_add(d, snm_buf_str(path));
      path->len = mark;
      path->data[mark] = '\0';
      if (c <= 0)
        i++;
      if (c >= 0)
        k++;
    }
    return;
  }
  if (YAJL_IS_ARRAY(a) && YAJL_IS_ARRAY(b) &&
      a->u.array.len == b->u.array.len) {
    for (size_t i = 0; i < a->u.array.len; i++) {
      if (snm_buf_printf(path, "[%zu]", i) != 0)
        d->nomem = 1;
      diff_walk(d, path, a->u.array.values[i], b->u.array.values[i]);
      path->len = mark;
      path->data[mark] = '\0';
    }
    return;
  }
  if (YAJL_IS_OBJECT(a) || YAJL_IS_OBJECT(b) || YAJL_IS_ARRAY(a) ||
      YAJL_IS_ARRAY(b) || !scalar_eq(a, b))
    diff_add(d, snm_buf_str(path));
}

long snm_meta_diff(struct snm_buf *out, enum snm_meta_kind k, const char *a,
                   const char *b, size_t max_paths)
{
  char *ca = NULL, *cb = NULL;
  yajl_val ja = NULL, jb = NULL;
  struct diff d = {out, max_paths, 0, 0};
  struct snm_buf path;
  long rc;
  int r1 = snm_meta_canon(&ca, k, a), r2 = snm_meta_canon(&cb, k, b);

  snm_buf_init(&path, 0);
  if (r1 == SNM_ENOMEM || r2 == SNM_ENOMEM) {
    rc = -2;
    goto done;
  }
  if (r1 != 0 || r2 != 0) {
    rc = -1;
    goto done;
  }
  if (strcmp(ca, cb) == 0) {
    rc = 0;
    goto done;
  }
  ja = yajl_tree_parse(ca, NULL, 0);
  jb = yajl_tree_parse(cb, NULL, 0);
  if (ja == NULL || jb == NULL || snm_buf_puts(&path, "") != 0) {
    rc = -2;
    goto done;
  }
  diff_walk(&d, &path, ja, jb);
  if (d.n == 0) /* equal text after all (cannot happen; be safe) */
    diff_add(&d, "");
  if (out != NULL && d.n > d.max &&
      snm_buf_printf(out, ", ... (%zu more)", d.n - d.max) != 0)
    d.nomem = 1;
  rc = d.nomem ? -2 : (long)d.n;
done:
  snm_buf_dispose(&path);
  yajl_tree_free(ja);
  yajl_tree_free(jb);
  free(ca);
  free(cb);
  return rc;
}

/* ---- renames ------------------------------------------------------------ */

struct rename_ctx {
  const struct snm_rename *rn;
  size_t changed;
  struct snm_err *err;
  int rc;
};

static void gen_patterns(yajl_gen g, yajl_val v, struct rename_ctx *rc)
{
  if (YAJL_IS_STRING(v)) {
    char *to = NULL;
    int r = snm_rename_apply(&to, rc->rn, v->u.string, rc->err);

    if (r != 0) {
      if (rc->rc == 0)
        rc->rc = r;
      snm_gen_str(g, v->u.string);
      return;
    }
    if (strcmp(to, v->u.string) != 0)
      rc->changed++;
    snm_gen_str(g, to);
    free(to);
    return;
  }
  if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++)
      gen_patterns(g, v->u.array.values[i], rc);
    yajl_gen_array_close(g);
    return;
  }
  snm_jgen(g, v);
}

int snm_meta_rename(char **out, size_t *changed, enum snm_meta_kind k,
                    const char *body, const struct snm_rename *rn,
                    struct snm_err *err)
{
  yajl_val j = yajl_tree_parse(body, NULL, 0);
  struct rename_ctx rc = {rn, 0, err, 0};
  yajl_gen g = NULL;
  int r;

  *out = NULL;
  if (changed != NULL)
    *changed = 0;
  if (!YAJL_IS_OBJECT(j)) {
    yajl_tree_free(j);
    return snm_err_set(err, SNM_EINVAL, "the %s's body is not a JSON object",
                       kinds[k].label);
  }
  if (rn == NULL || (k != SNM_META_TEMPLATE && k != SNM_META_LEGACY)) {
    yajl_tree_free(j);
    *out = strdup(body);
    return *out != NULL ? 0 : snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  g = yajl_gen_alloc(NULL);
  if (g == NULL) {
    yajl_tree_free(j);
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  yajl_gen_map_open(g);
  for (size_t i = 0; i < j->u.object.len; i++) {
    snm_gen_str(g, j->u.object.keys[i]);
    if (strcmp(j->u.object.keys[i], "index_patterns") == 0)
      gen_patterns(g, j->u.object.values[i], &rc);
    else
      snm_jgen(g, j->u.object.values[i]);
  }
  yajl_gen_map_close(g);
  r = rc.rc != 0 ? rc.rc : snm_gen_finish(out, g);
  if (r == SNM_ENOMEM && rc.rc == 0)
    snm_err_set(err, SNM_ENOMEM, "out of memory");
  yajl_gen_free(g);
  yajl_tree_free(j);
  if (r != 0) {
    free(*out);
    *out = NULL;
    return r;
  }
  if (changed != NULL)
    *changed = rc.changed;
  return 0;
}

/* ---- references --------------------------------------------------------- */

static void setting_ref(yajl_val settings, const char *const *path,
                        void (*fn)(enum snm_meta_kind, const char *, void *),
                        void *data)
{
  struct flat_list fl = {0};

  if (!YAJL_IS_OBJECT(settings))
    return;
  for (size_t i = 0; i < settings->u.object.len; i++)
    flat_add(&fl, "", settings->u.object.keys[i], settings->u.object.values[i]);
  for (size_t i = 0; i < fl.len; i++) {
    for (const char *const *p = path; *p != NULL; p++)
      if (strcmp(fl.items[i].key, *p) == 0 && YAJL_IS_STRING(fl.items[i].v) &&
          strcmp(fl.items[i].v->u.string, "_none") != 0 &&
          fl.items[i].v->u.string[0] != '\0')
        fn(SNM_META_PIPELINE, fl.items[i].v->u.string, data);
    free(fl.items[i].key);
  }
  free(fl.items);
}

int snm_meta_refs(enum snm_meta_kind k, const char *body,
                  void (*fn)(enum snm_meta_kind ref_kind, const char *name,
                             void *data),
                  void *data)
{
  static const char *const pipeline_settings[] = {"index.default_pipeline",
                                                  "index.final_pipeline", NULL};
  yajl_val j = yajl_tree_parse(body, NULL, 0);
  yajl_val settings;

  if (!YAJL_IS_OBJECT(j)) {
    yajl_tree_free(j);
    return SNM_EINVAL;
  }
  settings = k == SNM_META_LEGACY ? snm_jget(j, "settings", NULL)
                                  : snm_jget(j, "template", "settings", NULL);
  if (k != SNM_META_PIPELINE)
    setting_ref(settings, pipeline_settings, fn, data);
  if (k == SNM_META_TEMPLATE) {
    yajl_val c = snm_jget(j, "composed_of", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(c) && i < c->u.array.len; i++)
      if (YAJL_IS_STRING(c->u.array.values[i]))
        fn(SNM_META_COMPONENT, c->u.array.values[i]->u.string, data);
  }
  yajl_tree_free(j);
  return 0;
}

int snm_meta_is_data_stream(enum snm_meta_kind k, const char *body)
{
  yajl_val j;
  int ds;

  if (k != SNM_META_TEMPLATE)
    return 0;
  j = yajl_tree_parse(body, NULL, 0);
  ds = YAJL_IS_OBJECT(snm_jget(j, "data_stream", NULL));
  yajl_tree_free(j);
  return ds;
}

/* ---- simulate ----------------------------------------------------------- */

const char *snm_meta_simulate_path(enum snm_meta_kind k)
{
  return k == SNM_META_PIPELINE ? "/_ingest/pipeline/_simulate"
                                : "/_index_template/_simulate";
}

int snm_meta_simulate_body(char **out, enum snm_meta_kind k, const char *body,
                           const char *pattern)
{
  yajl_val j = yajl_tree_parse(body, NULL, 0);
  yajl_gen g;
  int rc;

  *out = NULL;
  if (!YAJL_IS_OBJECT(j)) {
    yajl_tree_free(j);
    return SNM_EINVAL;
  }
  if (pattern == NULL && k != SNM_META_TEMPLATE)
    pattern = "snapmig-simulate-*";
  g = yajl_gen_alloc(NULL);
  if (g == NULL) {
    yajl_tree_free(j);
    return SNM_ENOMEM;
  }
  yajl_gen_map_open(g);
  if (k == SNM_META_PIPELINE) {
    snm_gen_str(g, "pipeline");
    snm_jgen(g, j);
    snm_gen_str(g, "docs");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    snm_gen_str(g, "_source");
    yajl_gen_map_open(g);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
  } else if (k == SNM_META_TEMPLATE) {
    for (size_t i = 0; i < j->u.object.len; i++) {
      const char *key = j->u.object.keys[i];

      if (strcmp(key, "composed_of") == 0 ||
          (pattern != NULL && strcmp(key, "index_patterns") == 0))
        continue;
      snm_gen_str(g, key);
      snm_jgen(g, j->u.object.values[i]);
    }
    if (pattern != NULL) {
      snm_gen_str(g, "index_patterns");
      yajl_gen_array_open(g);
      snm_gen_str(g, pattern);
      yajl_gen_array_close(g);
    }
  } else {
    /* component: its "template"; legacy: settings, mappings, aliases */
    yajl_val part = k == SNM_META_COMPONENT ? snm_jget(j, "template", NULL) : j;

    snm_gen_str(g, "index_patterns");
    yajl_gen_array_open(g);
    snm_gen_str(g, pattern);
    yajl_gen_array_close(g);
    snm_gen_str(g, "template");
    yajl_gen_map_open(g);
    for (size_t i = 0; YAJL_IS_OBJECT(part) && i < part->u.object.len; i++) {
      const char *key = part->u.object.keys[i];
      yajl_val v = part->u.object.values[i];

      if (strcmp(key, "settings") != 0 && strcmp(key, "mappings") != 0 &&
          strcmp(key, "aliases") != 0)
        continue;
      snm_gen_str(g, key);
      /* a legacy 7.x mapping may name its type */
      if (key[0] == 'm' && YAJL_IS_OBJECT(v) && v->u.object.len == 1 &&
          YAJL_IS_OBJECT(snm_jget(v, "_doc", NULL)))
        v = snm_jget(v, "_doc", NULL);
      snm_jgen(g, v);
    }
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);
  rc = snm_gen_finish(out, g);
  yajl_gen_free(g);
  yajl_tree_free(j);
  return rc;
}

int snm_meta_reply_absent(const struct snm_es_reply *reply)
{
  const char *type;

  if (reply == NULL || reply->status != 404)
    return 0;
  if (YAJL_IS_OBJECT(reply->json) && reply->json->u.object.len == 0)
    return 1;
  type = snm_jstr(reply->json, "error", "type", NULL);
  return type != NULL && strcmp(type, "resource_not_found_exception") == 0;
}
