/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_stream.c - the big JSON listing of the preflight read with
 * yajl's callback parser, without a tree.
 *
 * GET _data_stream has no _cat form: its reply is JSON, and a yajl tree of
 * it costs about eight times its size (issue #8, item 13).  The es layer
 * hands the body over unparsed (snm_es_request_raw); here it is read once,
 * event by event, keeping only the data streams and backing indices the
 * preflight uses.  What is accepted and what it means is exactly what the
 * tree walk read: the first member of a name wins (as snm_jget finds it),
 * a string is taken up to a \u0000 (as the tree's C strings are), numbers
 * of any size are ignored, and a document that does not parse, or lacks
 * the "data_streams" array, is refused whole with nothing recorded.  No
 * I/O. */
#include "buf.h"
#include "indexpat.h"
#include "preflight.h"
#include "preflight_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

/* Where the parser is in {"data_streams": [{"name": N, "indices":
 * [{"index_name": B}, ...]}, ...]}: depth counts the containers open;
 * each flag names the container open at its depth, when it is the one
 * read (a container elsewhere is walked through). */
enum ds_key {
  DS_KEY_NONE,
  DS_KEY_DATA_STREAMS, /* the root's first "data_streams" */
  DS_KEY_NAME,         /* a data stream's first "name" */
  DS_KEY_INDICES,      /* a data stream's first "indices" */
  DS_KEY_INDEX_NAME    /* a backing index's first "index_name" */
};

struct ds_parse {
  struct snm_preflight *pf;
  int resolved_only;
  int nomem;
  unsigned depth;
  enum ds_key next; /* the key just read: what the next value is */
  int root_map;     /* depth 1: the root object */
  int list_seen;    /* the root's "data_streams" key was read */
  int in_list;      /* depth 2: the data_streams array */
  int found_list;   /* ... and it was an array */
  int in_ds;        /* depth 3: a data stream object */
  int name_seen, indices_seen;
  char *name;     /* NULL or malloced: the data stream's "name" */
  int in_indices; /* depth 4: its "indices" array */
  int in_backing; /* depth 5: a backing index object */
  int backing_seen;
  char **backing; /* the data stream's backing indices kept (malloced) */
  size_t n_backing;
  size_t total_backing; /* ... and all it lists */
  int names_only;       /* a target's listing: no backing index kept */
  /* the result, committed to pf once the whole document parsed */
  struct snm_pf_data_stream *streams;
  size_t n_streams;
  struct snm_pf_alias *pairs;
  size_t n_pairs;
};

/* Keys and strings compare and copy as the C strings of a yajl tree. */
static size_t cstr_len(const unsigned char *s, size_t n)
{
  return strnlen((const char *)s, n);
}

static int key_is(const unsigned char *k, size_t n, const char *word)
{
  size_t len = cstr_len(k, n);
  return len == strlen(word) && memcmp(k, word, len) == 0;
}

/* Does a plan item name data stream `name` (the items the verdict looks
 * up among the data streams: not "-x" or "_all"; "+x" is "x")? */
static int named_by_plan(const struct snm_preflight *pf, const char *name)
{
  const struct snm_snapshot_spec *s;

  if (pf->plan == NULL)
    return 0;
  s = &pf->plan->snapshot;
  for (size_t j = 0; j < s->n_indices; j++) {
    const char *item = s->indices[j];
    if (item[0] == '-' || strcmp(item, "_all") == 0)
      continue;
    if (item[0] == '+')
      item++;
    if (snm_indexpat_is_wildcard(item) ? snm_indexpat_match(item, name)
                                       : strcmp(item, name) == 0)
      return 1;
  }
  return 0;
}

static void ds_clear(struct ds_parse *p)
{
  free(p->name);
  p->name = NULL;
  for (size_t i = 0; i < p->n_backing; i++)
    free(p->backing[i]);
  free(p->backing);
  p->backing = NULL;
  p->n_backing = 0;
  p->total_backing = 0;
}

/* A data stream object ended: keep it (with its backing indices) when it
 * has a name and, for resolved_only, when it backs an index the source
 * resolved or a plan item names it. */
static int ds_end(struct ds_parse *p)
{
  int keep = p->name != NULL;

  if (keep && p->resolved_only && p->n_backing == 0)
    keep = named_by_plan(p->pf, p->name);
  if (keep) {
    struct snm_pf_data_stream *g =
        realloc(p->streams, (p->n_streams + 1) * sizeof(*g));
    struct snm_pf_alias *pairs =
        g == NULL ? NULL
                  : realloc(p->pairs,
                            (p->n_pairs + p->n_backing + 1) * sizeof(*pairs));
    if (g != NULL)
      p->streams = g;
    if (pairs == NULL) {
      p->nomem = 1;
      return 0;
    }
    p->pairs = pairs;
    for (size_t i = 0; i < p->n_backing; i++) {
      pairs[p->n_pairs].alias = strdup(p->name);
      pairs[p->n_pairs].index = p->backing[i];
      p->backing[i] = NULL;
      if (pairs[p->n_pairs++].alias == NULL)
        p->nomem = 1;
    }
    p->streams[p->n_streams].n_backing = p->total_backing;
    p->streams[p->n_streams++].name = p->name;
    p->name = NULL;
  }
  ds_clear(p);
  return !p->nomem;
}

/* A value starts at p->depth (a scalar, or a container about to open):
 * take what the key before it announced.  `type` 's' string, 'a' array,
 * 'o' object, anything else another scalar. */
static int ds_value(struct ds_parse *p, int type, const unsigned char *s,
                    size_t n)
{
  enum ds_key k = p->next;

  p->next = DS_KEY_NONE;
  switch (k) {
  case DS_KEY_DATA_STREAMS:
    p->found_list = type == 'a';
    break;
  case DS_KEY_NAME:
    if (type == 's' && (p->name = snm_memdup0(s, cstr_len(s, n))) == NULL)
      p->nomem = 1;
    break;
  case DS_KEY_INDEX_NAME:
    if (type == 's')
      p->total_backing++;
    if (type == 's' && !p->names_only &&
        (!p->resolved_only ||
         snm__pf_resolved(p->pf, (const char *)s, cstr_len(s, n)))) {
      char **g = realloc(p->backing, (p->n_backing + 1) * sizeof(*g));
      if (g == NULL) {
        p->nomem = 1;
        break;
      }
      p->backing = g;
      if ((g[p->n_backing] = snm_memdup0(s, cstr_len(s, n))) == NULL)
        p->nomem = 1;
      else
        p->n_backing++;
    }
    break;
  default:
    break;
  }
  return !p->nomem;
}

static int ds_null(void *ctx)
{
  return ds_value(ctx, 'n', NULL, 0);
}

static int ds_bool(void *ctx, int b)
{
  (void)b;
  return ds_value(ctx, 'b', NULL, 0);
}

/* Numbers as text: one of any size never fails the parse (a tree keeps
 * what does not fit as a double). */
static int ds_number(void *ctx, const char *s, size_t n)
{
  (void)s;
  (void)n;
  return ds_value(ctx, '0', NULL, 0);
}

static int ds_string(void *ctx, const unsigned char *s, size_t n)
{
  return ds_value(ctx, 's', s, n);
}

static int ds_start_map(void *ctx)
{
  struct ds_parse *p = ctx;

  if (!ds_value(p, 'o', NULL, 0))
    return 0;
  switch (p->depth++) {
  case 0:
    p->root_map = 1;
    break;
  case 2:
    if (p->in_list) {
      p->in_ds = 1;
      p->name_seen = p->indices_seen = 0;
    }
    break;
  case 4:
    if (p->in_indices) {
      p->in_backing = 1;
      p->backing_seen = 0;
    }
    break;
  default:
    break;
  }
  return 1;
}

static int ds_key(void *ctx, const unsigned char *k, size_t n)
{
  struct ds_parse *p = ctx;

  p->next = DS_KEY_NONE;
  if (p->depth == 1 && p->root_map && !p->list_seen &&
      key_is(k, n, "data_streams")) {
    p->list_seen = 1;
    p->next = DS_KEY_DATA_STREAMS;
  } else if (p->depth == 3 && p->in_ds && !p->name_seen &&
             key_is(k, n, "name")) {
    p->name_seen = 1;
    p->next = DS_KEY_NAME;
  } else if (p->depth == 3 && p->in_ds && !p->indices_seen &&
             key_is(k, n, "indices")) {
    p->indices_seen = 1;
    p->next = DS_KEY_INDICES;
  } else if (p->depth == 5 && p->in_backing && !p->backing_seen &&
             key_is(k, n, "index_name")) {
    p->backing_seen = 1;
    p->next = DS_KEY_INDEX_NAME;
  }
  return 1;
}

static int ds_end_map(void *ctx)
{
  struct ds_parse *p = ctx;

  switch (--p->depth) {
  case 2:
    if (p->in_ds) {
      p->in_ds = 0;
      return ds_end(p);
    }
    break;
  case 4:
    p->in_backing = 0;
    break;
  default:
    break;
  }
  return 1;
}

static int ds_start_array(void *ctx)
{
  struct ds_parse *p = ctx;
  enum ds_key k = p->next;

  if (!ds_value(p, 'a', NULL, 0))
    return 0;
  if (p->depth == 1 && k == DS_KEY_DATA_STREAMS)
    p->in_list = 1;
  else if (p->depth == 3 && k == DS_KEY_INDICES)
    p->in_indices = 1;
  p->depth++;
  return 1;
}

static int ds_end_array(void *ctx)
{
  struct ds_parse *p = ctx;

  switch (--p->depth) {
  case 1:
    p->in_list = 0;
    break;
  case 3:
    p->in_indices = 0;
    break;
  default:
    break;
  }
  return 1;
}

static void ds_dispose(struct ds_parse *p)
{
  ds_clear(p);
  for (size_t i = 0; i < p->n_streams; i++)
    free(p->streams[i].name);
  free(p->streams);
  for (size_t i = 0; i < p->n_pairs; i++) {
    free(p->pairs[i].alias);
    free(p->pairs[i].index);
  }
  free(p->pairs);
}

/* Append `n` elements of `size` at `from` to the array *v of *len. */
static int append(void *v, size_t *len, const void *from, size_t n, size_t size)
{
  void **arr = v;
  char *g;

  if (n == 0)
    return 0;
  g = realloc(*arr, (*len + n) * size);
  if (g == NULL)
    return -1;
  memcpy(g + *len * size, from, n * size);
  *arr = g;
  *len += n;
  return 0;
}

/* Parse `body` into `p` (set up by the caller): 0, or -1 with `why`
 * (nothing kept); p->nomem on allocation failure. */
static int ds_run(struct ds_parse *p, const char *body, size_t len, char *why,
                  size_t whysz)
{
  static const yajl_callbacks cb = {
      ds_null,      ds_bool, NULL,       NULL,           ds_number,   ds_string,
      ds_start_map, ds_key,  ds_end_map, ds_start_array, ds_end_array};
  yajl_handle h;
  int ok;

  if (len == 0)
    return snm__pf_refuse(why, whysz, "the reply is empty");
  h = yajl_alloc(&cb, NULL, p);
  if (h == NULL) {
    p->nomem = 1;
    return 0;
  }
  yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse */
  /* as yajl_tree_parse, which reads up to the first NUL */
  ok = yajl_parse(h, (const unsigned char *)body, strnlen(body, len)) ==
           yajl_status_ok &&
       yajl_complete_parse(h) == yajl_status_ok;
  yajl_free(h);
  if (p->nomem)
    return 0;
  if (!ok)
    return snm__pf_refuse(why, whysz, "the reply is not JSON");
  if (!p->found_list)
    return snm__pf_refuse(why, whysz,
                          "the reply has no \"data_streams\" array");
  return 0;
}

int snm__pf_parse_data_streams(struct snm_preflight *pf, const char *body,
                               size_t len, int resolved_only, char *why,
                               size_t whysz)
{
  struct ds_parse p;
  int rc;

  memset(&p, 0, sizeof(p));
  p.pf = pf;
  p.resolved_only = resolved_only;
  rc = ds_run(&p, body, len, why, whysz);
  if (p.nomem) {
    pf->nomem = 1;
  } else if (rc == 0) {
    /* what is appended is pf's from then on */
    if (append(&pf->data_streams, &pf->n_data_streams, p.streams, p.n_streams,
               sizeof(*p.streams)) == 0)
      p.n_streams = 0;
    if (append(&pf->ds_backing, &pf->n_ds_backing, p.pairs, p.n_pairs,
               sizeof(*p.pairs)) == 0)
      p.n_pairs = 0;
    if (p.n_streams > 0 || p.n_pairs > 0)
      pf->nomem = 1;
  }
  ds_dispose(&p);
  return rc;
}

int snm__pf_parse_target_streams(struct snm_preflight *pf,
                                 struct snm_pf_domain *d, const char *body,
                                 size_t len, char *why, size_t whysz)
{
  struct ds_parse p;
  int rc;

  memset(&p, 0, sizeof(p));
  p.pf = pf;
  p.names_only = 1;
  rc = ds_run(&p, body, len, why, whysz);
  if (p.nomem) {
    pf->nomem = 1;
  } else if (rc == 0) {
    char **names = malloc((d->n_streams + p.n_streams + 1) * sizeof(*names));
    if (names == NULL) {
      pf->nomem = 1;
    } else {
      if (d->n_streams > 0)
        memcpy(names, d->streams, d->n_streams * sizeof(*names));
      for (size_t i = 0; i < p.n_streams; i++) {
        names[d->n_streams++] = p.streams[i].name;
        p.streams[i].name = NULL;
      }
      free(d->streams);
      d->streams = names;
      d->streams_known = 1;
    }
  }
  ds_dispose(&p);
  return rc;
}
