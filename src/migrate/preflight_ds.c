/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_ds.c - data streams in the preflight: a target's composable
 * templates, the template a stream would get, and the verdicts about the
 * streams the restores take.  Pure: no I/O.
 *
 * What the servers do (checked on the rig, OpenSearch 2.19 and 3.6): a
 * snapshot whose `indices` names a data stream keeps it as a stream; a
 * restore that names it restores it as a stream with all of its backing
 * indices, the stream renamed by the pattern and each backing index by the
 * pattern applied without its ".ds-" prefix (rename.h).  The restore
 * itself needs no template on the target, but writing to the stream does
 * not roll it over without one: "no matching index template found for
 * data stream [NAME]".  An existing index of a backing index's name makes
 * the restore fail. */
#include "buf.h"
#include "indexpat.h"
#include "jtree.h"
#include "preflight.h"
#include "preflight_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISSUE SNM__ISSUE

/* ---- GET _index_template ---------------------------------------------- */

static int add_template(struct snm_preflight *pf, struct snm_pf_domain *d,
                        yajl_val e)
{
  const char *name = snm_jstr(e, "name", (char *)NULL);
  yajl_val t = snm_jget(e, "index_template", (char *)NULL);
  yajl_val pats = snm_jget(t, "index_patterns", (char *)NULL);
  yajl_val prio = snm_jget(t, "priority", (char *)NULL);
  struct snm_pf_template *x = &d->templates[d->n_templates];
  size_t n = YAJL_IS_ARRAY(pats) ? pats->u.array.len : 1;

  if (name == NULL || !YAJL_IS_OBJECT(t))
    return -1;
  memset(x, 0, sizeof(*x));
  if ((x->name = strdup(name)) == NULL ||
      (x->patterns = calloc(n + 1, sizeof(*x->patterns))) == NULL) {
    free(x->name);
    pf->nomem = 1;
    return 0;
  }
  d->n_templates++;
  if (YAJL_IS_STRING(pats)) {
    if ((x->patterns[x->n_patterns++] = strdup(pats->u.string)) == NULL)
      pf->nomem = 1;
  } else if (YAJL_IS_ARRAY(pats)) {
    for (size_t i = 0; i < n; i++) {
      yajl_val p = pats->u.array.values[i];
      if (!YAJL_IS_STRING(p))
        continue;
      if ((x->patterns[x->n_patterns++] = strdup(p->u.string)) == NULL)
        pf->nomem = 1;
    }
  }
  x->priority = YAJL_IS_INTEGER(prio) ? YAJL_GET_INTEGER(prio) : 0;
  x->data_stream = YAJL_IS_OBJECT(snm_jget(t, "data_stream", (char *)NULL));
  return 0;
}

int snm__pf_parse_templates(struct snm_preflight *pf, struct snm_pf_domain *d,
                            yajl_val j, char *why, size_t whysz)
{
  yajl_val a = snm_jget(j, "index_templates", (char *)NULL);

  if (!YAJL_IS_ARRAY(a))
    return snm__pf_refuse(why, whysz,
                          "the reply has no \"index_templates\" array");
  for (size_t i = 0; i < a->u.array.len; i++)
    if (snm_jstr(a->u.array.values[i], "name", (char *)NULL) == NULL ||
        !YAJL_IS_OBJECT(
            snm_jget(a->u.array.values[i], "index_template", (char *)NULL)))
      return snm__pf_refuse(why, whysz,
                            "index_templates[%zu] has no name or no "
                            "index_template",
                            i);
  d->templates = calloc(a->u.array.len + 1, sizeof(*d->templates));
  if (d->templates == NULL) {
    pf->nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < a->u.array.len && !pf->nomem; i++)
    add_template(pf, d, a->u.array.values[i]);
  d->templates_known = 1;
  return 0;
}

/* ---- the template a stream gets --------------------------------------- */

enum snm_pf_tmpl_match snm__pf_stream_template(const struct snm_preflight *pf,
                                               size_t dom, const char *name,
                                               const char **tmpl)
{
  const struct snm_pf_domain *d = &pf->domains[dom];
  const struct snm_pf_template *best = NULL;
  const char *ours = NULL;
  long long ours_prio = 0;
  int ours_ds = 0, brings;

  if (tmpl != NULL)
    *tmpl = NULL;
  if (!d->templates_known)
    return SNM_PF_TMPL_UNKNOWN;
  /* the template the plan's metadata section creates or replaces there,
   * if one matches: it takes the place of the target's of the same name */
  brings =
      snm__pf_meta_stream_template(pf, dom, name, &ours, &ours_prio, &ours_ds);
  if (brings < 0)
    return SNM_PF_TMPL_UNKNOWN;
  for (size_t i = 0; i < d->n_templates; i++) {
    const struct snm_pf_template *t = &d->templates[i];
    int match = 0;
    if (brings == 1 && strcmp(t->name, ours) == 0)
      continue;
    for (size_t k = 0; k < t->n_patterns && !match; k++)
      match = snm_indexpat_match(t->patterns[k], name);
    if (match && (best == NULL || t->priority > best->priority))
      best = t;
  }
  if (brings == 1 && (best == NULL || ours_prio > best->priority)) {
    if (tmpl != NULL)
      *tmpl = ours;
    return ours_ds ? SNM_PF_TMPL_DS : SNM_PF_TMPL_NO_DS;
  }
  if (best == NULL)
    return SNM_PF_TMPL_NONE;
  if (tmpl != NULL)
    *tmpl = best->name;
  return best->data_stream ? SNM_PF_TMPL_DS : SNM_PF_TMPL_NO_DS;
}

/* ---- the source ------------------------------------------------------- */

void snm__pf_check_source_streams(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;
  const char *id = c->plan->domains[c->plan->snapshot.domain].id;

  for (size_t s = 0; s < pf->n_data_streams; s++) {
    const struct snm_pf_data_stream *ds = &pf->data_streams[s];
    size_t sel = 0;
    const char *left = NULL;

    for (size_t i = 0; i < pf->n_indices; i++) {
      const struct snm_pf_index *ix = &pf->indices[i];
      if (ix->data_stream == NULL || strcmp(ix->data_stream, ds->name) != 0)
        continue;
      if (ix->selected)
        sel++;
      else if (left == NULL)
        left = ix->name;
    }
    if (sel == 0 || (sel >= ds->n_backing && left == NULL))
      continue;
    ISSUE(c, SNM_PF_BLOCKER, "data-stream-partial", id, ds->name,
          "name the data stream in snapshot.indices (it is snapshotted with "
          "all its backing indices), or leave all of them out",
          "snapshot.indices selects %zu of the %zu backing indices of data "
          "stream %s%s%s: a stream is snapshotted and restored whole",
          sel, ds->n_backing, ds->name, left != NULL ? "; not " : "",
          left != NULL ? left : "");
  }
}

/* ---- the restores ----------------------------------------------------- */

/* Data streams exist from Elasticsearch 7.9 on (with the default
 * distribution; the OSS one has none, and GET _data_stream says so) and in
 * every OpenSearch. */
static int has_data_streams(const struct snm_version *v)
{
  return v->engine == SNM_ENGINE_OPENSEARCH ||
         (v->engine == SNM_ENGINE_ELASTICSEARCH &&
          (v->major > 7 || (v->major == 7 && v->minor >= 9)));
}

static int in_list(char *const *v, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i], name) == 0)
      return 1;
  return 0;
}

static const char *alias_target(const struct snm_pf_domain *d, const char *name)
{
  for (size_t i = 0; i < d->n_aliases; i++)
    if (strcmp(d->aliases[i].alias, name) == 0)
      return d->aliases[i].index;
  return NULL;
}

static const struct snm_pf_existing *index_named(const struct snm_pf_domain *d,
                                                 const char *name)
{
  for (size_t i = 0; i < d->n_existing; i++)
    if (strcmp(d->existing[i].name, name) == 0)
      return &d->existing[i];
  return NULL;
}

static int backs(const struct snm_preflight *pf, const struct snm_pf_item *it,
                 const struct snm_pf_stream_item *st)
{
  const char *ds = pf->indices[it->index].data_stream;
  return ds != NULL && st->stream < pf->n_data_streams &&
         strcmp(ds, pf->data_streams[st->stream].name) == 0;
}

static const char *stream_name(const struct snm_preflight *pf,
                               const struct snm_pf_stream_item *st)
{
  return st->stream < pf->n_data_streams ? pf->data_streams[st->stream].name
                                         : "?";
}

/* Two streams, or a stream and an index, onto one name of a cluster. */
static void stream_collisions(struct snm__vctx *c, size_t r,
                              struct snm_pf_stream_item *st)
{
  struct snm_preflight *pf = c->pf;
  size_t dom = snm__pf_cluster_of(pf, pf->restores[r].domain);
  const char *id = c->plan->domains[pf->restores[r].domain].id;

  for (size_t r2 = 0; r2 < pf->n_restores; r2++) {
    struct snm_pf_restore *o = &pf->restores[r2];
    if (snm__pf_cluster_of(pf, o->domain) != dom)
      continue;
    for (size_t k = 0; k < o->n_streams; k++) {
      struct snm_pf_stream_item *b = &o->streams[k];
      if (b == st || strcmp(b->target_name, st->target_name) != 0)
        continue;
      if (r2 < r || (r2 == r && b < st))
        continue; /* said once, for the first of the two */
      ISSUE(c, SNM_PF_BLOCKER, "rename-collision", id, st->target_name,
            "change the rename so every data stream gets its own name, or "
            "restore one of them only",
            "data streams %s (restores[%zu]) and %s (restores[%zu]) would "
            "both be restored as data stream %s on %s",
            stream_name(pf, st), r, stream_name(pf, b), r2, st->target_name,
            id);
      snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED, "collides with %s",
                                 stream_name(pf, b));
      snm__pf_set_stream_verdict(c, b, SNM_PF_BLOCKED, "collides with %s",
                                 stream_name(pf, st));
    }
    for (size_t i = 0; i < o->n_items; i++)
      if (strcmp(o->items[i].target_name, st->target_name) == 0) {
        ISSUE(c, SNM_PF_BLOCKER, "rename-collision", id, st->target_name,
              "change the rename so the stream and the index get different "
              "names",
              "data stream %s (restores[%zu]) and index %s (restores[%zu]) "
              "would both be restored as %s on %s",
              stream_name(pf, st), r, pf->indices[o->items[i].index].name, r2,
              st->target_name, id);
        snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED, "collides with %s",
                                   pf->indices[o->items[i].index].name);
      }
  }
}

/* What is in the way on the target, and the template. */
static void stream_target(struct snm__vctx *c, size_t r,
                          struct snm_pf_stream_item *st)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_restore *rs = &c->plan->restores[r];
  const struct snm_pf_domain *t = &pf->domains[rs->domain];
  const char *id = t->dom->id, *name = st->target_name, *owner, *tmpl;
  const struct snm_pf_existing *ex;
  int skip = rs->on_conflict == SNM_CONFLICT_SKIP;

  if (!t->reached)
    return;
  if (!has_data_streams(&t->info.version)) {
    char v[64];
    snm_version_str(v, sizeof(v), &t->info.version);
    ISSUE(c, SNM_PF_BLOCKER, "data-stream-unsupported", id, name,
          "restore onto Elasticsearch 7.9 or later, or OpenSearch",
          "%s on %s has no data streams: data stream %s cannot be restored "
          "there",
          v, id, stream_name(pf, st));
    snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED, "no data streams there");
    return;
  }
  if (!st->own) {
    if (!t->streams_known || !t->existing_known || !t->aliases_known) {
      /* a blocker of check_facts says why */
      snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED,
                                 "not checked: the target's %s are unknown",
                                 !t->streams_known    ? "data streams"
                                 : !t->existing_known ? "indices"
                                                      : "aliases");
      return;
    }
    if (in_list(t->streams, t->n_streams, name)) {
      if (skip) {
        snm__pf_set_stream_verdict(c, st, SNM_PF_SKIP, "exists: skipped");
        return;
      }
      ISSUE(c, SNM_PF_BLOCKER, "data-stream-exists", id, name,
            "delete it (DELETE _data_stream/NAME), rename the restore, or "
            "set on_conflict to \"skip\" (snapmig never overwrites data)",
            "data stream %s already exists on %s (restore of data stream "
            "%s)",
            name, id, stream_name(pf, st));
      snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED, "exists");
      return;
    }
    if ((ex = index_named(t, name)) != NULL) {
      ISSUE(c, SNM_PF_BLOCKER, "index-exists", id, name,
            "delete it or rename the restore (a data stream cannot take an "
            "index's name)",
            "%s index %s exists on %s: data stream %s cannot be restored "
            "under its name",
            ex->closed ? "closed" : "open", name, id, stream_name(pf, st));
      snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED,
                                 "name taken by an "
                                 "index");
      return;
    }
    if ((owner = alias_target(t, name)) != NULL) {
      ISSUE(c, SNM_PF_BLOCKER, "alias-conflict", id, name,
            "rename the restore, or remove the alias",
            "%s is an alias (of %s) on %s; data stream %s cannot take its "
            "name",
            name, owner, id, stream_name(pf, st));
      snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED,
                                 "name taken by an alias");
      return;
    }
  }
  switch (snm__pf_stream_template(pf, rs->domain, name, &tmpl)) {
  case SNM_PF_TMPL_DS:
    free(st->template_name);
    if ((st->template_name = strdup(tmpl)) == NULL)
      c->nomem = 1;
    break;
  case SNM_PF_TMPL_UNKNOWN: /* a blocker of check_facts says why */
    snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED,
                               "not checked: the target's templates are "
                               "unknown");
    break;
  case SNM_PF_TMPL_NONE:
  case SNM_PF_TMPL_NO_DS:
    ISSUE(c, SNM_PF_BLOCKER, "data-stream-template", id, name,
          "create a composable index template with \"data_stream\": {} "
          "whose index_patterns match the name (with a higher priority "
          "than any other that does) on the target first",
          "%s%s%s: data stream %s would be restored, but it could not roll "
          "over, nor be created again, on %s (\"no matching index template "
          "found for data stream\")",
          tmpl != NULL ? "the template that matches " : "no index template ",
          tmpl != NULL ? tmpl : "with data_stream on the target matches ",
          tmpl != NULL ? " has no data_stream" : name, name, id);
    snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED,
                               tmpl != NULL ? "template %s has no data_stream"
                                            : "no data_stream template%s",
                               tmpl != NULL ? tmpl : "");
    break;
  }
}

/* The stream's verdict and its backing items' agree: any backing item
 * blocked blocks the stream (the server restores all or none); skipped,
 * all are skipped; blocked, all are. */
static void stream_backing(struct snm__vctx *c, struct snm_pf_restore *out,
                           struct snm_pf_stream_item *st)
{
  struct snm_preflight *pf = c->pf;
  const char *skipped = NULL;

  for (size_t i = 0; i < out->n_items; i++) {
    struct snm_pf_item *it = &out->items[i];
    if (!backs(pf, it, st))
      continue;
    if (it->action == SNM_PF_BLOCKED && st->action != SNM_PF_BLOCKED)
      snm__pf_set_stream_verdict(c, st, SNM_PF_BLOCKED, "backing index %s: %s",
                                 pf->indices[it->index].name, it->verdict);
    else if (it->action == SNM_PF_SKIP && skipped == NULL)
      skipped = pf->indices[it->index].name;
  }
  if (skipped != NULL && st->action == SNM_PF_RESTORE)
    snm__pf_set_stream_verdict(c, st, SNM_PF_SKIP,
                               "backing index %s exists: skipped", skipped);
  for (size_t i = 0; i < out->n_items; i++) {
    struct snm_pf_item *it = &out->items[i];
    if (!backs(pf, it, st) || it->action == st->action)
      continue;
    free(it->verdict);
    it->verdict = NULL;
    it->action = st->action;
    {
      struct snm_buf b;
      snm_buf_init(&b, 0);
      if (snm_buf_printf(&b, "data stream %s: %s", st->target_name,
                         st->verdict) != 0 ||
          (it->verdict = snm_buf_steal(&b)) == NULL)
        c->nomem = 1;
      snm_buf_dispose(&b);
    }
  }
}

void snm__pf_check_streams(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;

  for (size_t r = 0; r < pf->n_restores; r++) {
    struct snm_pf_restore *out = &pf->restores[r];
    for (size_t k = 0; k < out->n_streams; k++) {
      struct snm_pf_stream_item *st = &out->streams[k];
      size_t own = 0, n = 0;
      for (size_t i = 0; i < out->n_items; i++)
        if (backs(pf, &out->items[i], st)) {
          n++;
          own += out->items[i].own != 0;
        }
      st->own = n > 0 && own == n;
    }
  }
  for (size_t r = 0; r < pf->n_restores; r++) {
    struct snm_pf_restore *out = &pf->restores[r];
    for (size_t k = 0; k < out->n_streams; k++) {
      struct snm_pf_stream_item *st = &out->streams[k];
      if (st->action == SNM_PF_BLOCKED)
        continue;
      stream_collisions(c, r, st);
      if (st->action != SNM_PF_BLOCKED)
        stream_target(c, r, st);
      stream_backing(c, out, st);
    }
  }
}
