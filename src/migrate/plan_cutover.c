/* SPDX-License-Identifier: Apache-2.0 */
/* plan_cutover.c - the plan's "cutover" section: the aliases `snapmig
 * cutover` moves on the targets once the last round is verified, and
 * what happens to the source's write blocks (docs/plan-format.md,
 * "cutover"; docs/live-migration.md). */
#include "plan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cutover_keys[] = {"aliases", "unblock_source",
                                           "keep_blocked_on_failure", NULL};
static const char *const alias_keys[] = {"alias", "index", "target", NULL};

/* The target domain of alias entry `o`: its "target", or the plan's only
 * target.  1 when *out is set. */
static int alias_domain(struct pctx *c, const struct snm_plan *p,
                        const struct snm_json *o, const char *path, size_t *out)
{
  const struct snm_json *v = pc_get(c, o, path, "target", SNM_JSON_STRING, 0);
  size_t first = (size_t)-1, n_targets = 0;

  for (size_t i = 0; i < p->n_restores; i++) {
    int seen = 0;

    for (size_t k = 0; k < i; k++)
      seen |= p->restores[k].domain == p->restores[i].domain;
    if (seen || p->restores[i].domain == (size_t)-1)
      continue;
    if (n_targets++ == 0)
      first = p->restores[i].domain;
  }
  if (v == NULL) {
    if (snm_json_get(o, "target") != NULL)
      return 0; /* a wrong type, reported */
    if (n_targets == 1) {
      *out = first;
      return 1;
    }
    if (n_targets > 1)
      pc_error(c, o->offset,
               "%s: missing \"target\" (the plan restores onto %zu domains: "
               "name the one whose alias moves)",
               path, n_targets);
    return 0;
  }
  for (size_t i = 0; i < p->n_restores; i++) {
    size_t d = p->restores[i].domain;

    if (d != (size_t)-1 && strcmp(p->domains[d].id, v->u.string.ptr) == 0) {
      *out = d;
      return 1;
    }
  }
  pc_error(c, v->offset,
           "%s.target: \"%.64s\" is not the domain of any restore; an alias "
           "moves on a target the plan restores onto",
           path, v->u.string.ptr);
  return 0;
}

static int alias_name_ok(const char *s)
{
  return s[0] != '_' && s[0] != '-' && s[0] != '+' &&
         strpbrk(s, " \\/*?\"<>|,#:") == NULL && strcmp(s, ".") != 0 &&
         strcmp(s, "..") != 0;
}

static void read_alias(struct pctx *c, const struct snm_plan *p,
                       struct snm_cutover_spec *cs, const struct snm_json *o,
                       const char *path)
{
  struct snm_cutover_alias *a = &cs->aliases[cs->n_aliases];
  int ok;

  if (o->type != SNM_JSON_OBJECT) {
    pc_error(c, o->offset, "%s: expected an object, got %s", path,
             snm_json_type_name(o->type));
    return;
  }
  cs->n_aliases++;
  a->pos = pc_pos(c, o->offset);
  a->domain = (size_t)-1;
  pc_check_keys(c, o, path, alias_keys);
  ok = pc_string(c, o, path, "alias", 1, &a->alias);
  ok &= pc_string(c, o, path, "index", 1, &a->index);
  if (ok && a->alias != NULL && !alias_name_ok(a->alias))
    pc_error(c, snm_json_get(o, "alias")->offset,
             "%s.alias: \"%.64s\" is not a valid alias name (no leading '_', "
             "'-' or '+', no spaces, no \\ / * ? \" < > | , # :)",
             path, a->alias);
  if (ok && a->index != NULL && !alias_name_ok(a->index))
    pc_error(c, snm_json_get(o, "index")->offset,
             "%s.index: \"%.64s\" is not an index name (one target index, "
             "after the restore's rename; no pattern)",
             path, a->index);
  if (ok && a->alias != NULL && a->index != NULL &&
      strcmp(a->alias, a->index) == 0)
    pc_error(c, snm_json_get(o, "alias")->offset,
             "%s.alias: \"%.64s\" is the index's own name", path, a->alias);
  alias_domain(c, p, o, path, &a->domain);
  for (size_t k = 0;
       k + 1 < cs->n_aliases && a->alias != NULL && a->domain != (size_t)-1;
       k++)
    if (cs->aliases[k].alias != NULL && cs->aliases[k].domain == a->domain &&
        strcmp(cs->aliases[k].alias, a->alias) == 0)
      pc_error(c, o->offset,
               "%s: alias \"%.64s\" on %s is already moved by aliases[%zu]",
               path, a->alias, p->domains[a->domain].id, k);
}

void pc_read_cutover(struct pctx *c, struct snm_plan *p,
                     const struct snm_json *root)
{
  const struct snm_json *o = pc_get(c, root, "", "cutover", SNM_JSON_OBJECT, 0);
  struct snm_cutover_spec *cs = &p->cutover;
  const struct snm_json *a;

  if (o == NULL)
    return;
  cs->present = 1;
  cs->pos = pc_pos(c, o->offset);
  pc_check_keys(c, o, "cutover", cutover_keys);
  pc_bool(c, o, "cutover", "unblock_source", 0, &cs->unblock_source);
  pc_bool(c, o, "cutover", "keep_blocked_on_failure", 0,
          &cs->keep_blocked_on_failure);
  a = pc_get(c, o, "cutover", "aliases", SNM_JSON_ARRAY, 0);
  if (a == NULL || a->u.array.len == 0)
    return;
  cs->aliases = calloc(a->u.array.len, sizeof(*cs->aliases));
  if (cs->aliases == NULL) {
    c->nomem = 1;
    return;
  }
  for (size_t i = 0; i < a->u.array.len; i++) {
    char path[PC_PATH_MAX];

    snprintf(path, sizeof(path), "cutover.aliases[%zu]", i);
    read_alias(c, p, cs, a->u.array.items[i], path);
  }
}

void pc_cutover_dispose(struct snm_cutover_spec *cs)
{
  for (size_t i = 0; i < cs->n_aliases; i++) {
    free(cs->aliases[i].alias);
    free(cs->aliases[i].index);
  }
  free(cs->aliases);
}
