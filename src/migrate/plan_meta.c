/* SPDX-License-Identifier: Apache-2.0 */
/* plan_meta.c - the plan's "metadata" section: which index templates,
 * component templates, legacy templates and ingest pipelines a run copies
 * from the source to its targets, and what it does when a target already
 * has one of them otherwise (docs/plan-format.md, "metadata"). */
#include "plan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_keys[SNM_META_N_KINDS] = {
    [SNM_META_PIPELINE] = "ingest_pipelines",
    [SNM_META_COMPONENT] = "component_templates",
    [SNM_META_TEMPLATE] = "index_templates",
    [SNM_META_LEGACY] = "legacy_templates",
};
static const char *const meta_keys[] = {"index_templates",
                                        "component_templates",
                                        "legacy_templates",
                                        "ingest_pipelines",
                                        "on_conflict",
                                        "rename_patterns",
                                        NULL};
static const char *const conflict_names[] = {"block", "skip", "replace", NULL};

const char *snm_meta_kind_key(enum snm_meta_kind k)
{
  return kind_keys[k];
}

const char *snm_meta_conflict_name(enum snm_meta_conflict c)
{
  return conflict_names[c];
}

/* Names and patterns: what a template or pipeline name may hold (no
 * whitespace, none of the characters a URL path or a list would split on),
 * `*` wildcards, a leading '-' excludes. */
static void check_names(struct pctx *c, const struct snm_json *obj,
                        const char *key, char **list, size_t n)
{
  const struct snm_json *v = snm_json_get(obj, key);

  for (size_t i = 0; i < n; i++) {
    const char *s = list[i][0] == '-' ? list[i] + 1 : list[i];
    size_t off =
        v->type == SNM_JSON_ARRAY ? v->u.array.items[i]->offset : v->offset;
    const char *bad = NULL;

    for (const char *q = s; *q != '\0' && bad == NULL; q++) {
      if ((unsigned char)*q <= ' ')
        bad = "whitespace";
      else if (strchr("\\/?\"<>|#,", *q) != NULL)
        bad = "any of \\ / ? \" < > | # ,";
    }
    if (*s == '\0')
      pc_error(c, off, "metadata.%s: \"%s\" names nothing", key, list[i]);
    else if (bad != NULL)
      pc_error(c, off, "metadata.%s: \"%.64s\" must not contain %s", key,
               list[i], bad);
    else if (s == list[i] + 1 && i == 0)
      pc_error(c, off,
               "metadata.%s: \"%.64s\" excludes from nothing (an exclusion "
               "follows the names or patterns it narrows)",
               key, list[i]);
  }
}

void pc_read_metadata(struct pctx *c, struct snm_plan *p,
                      const struct snm_json *root)
{
  const struct snm_json *o =
      pc_get(c, root, "", "metadata", SNM_JSON_OBJECT, 0);
  struct snm_metadata_spec *m = &p->metadata;
  size_t total = 0;
  int v;

  m->on_conflict = SNM_META_BLOCK;
  if (o == NULL)
    return;
  m->present = 1;
  m->pos = pc_pos(c, o->offset);
  pc_check_keys(c, o, "metadata", meta_keys);
  for (int k = 0; k < SNM_META_N_KINDS; k++) {
    if (pc_string_list(c, o, "metadata", kind_keys[k], &m->names[k],
                       &m->n_names[k]))
      check_names(c, o, kind_keys[k], m->names[k], m->n_names[k]);
    total += m->n_names[k];
  }
  pc_enum(c, o, "metadata", "on_conflict", conflict_names, SNM_META_BLOCK, &v);
  m->on_conflict = (enum snm_meta_conflict)v;
  pc_bool(c, o, "metadata", "rename_patterns", 0, &m->rename_patterns);
  if (total == 0 && c->diags->errors == 0)
    pc_warn(c, o->offset,
            "metadata: names no template or pipeline: nothing is copied");
  if (m->rename_patterns) {
    int any = 0;

    for (size_t i = 0; i < p->n_restores; i++)
      any |= p->restores[i].rename != NULL;
    if (!any && p->n_restores > 0)
      pc_warn(c, snm_json_get(o, "rename_patterns")->offset,
              "metadata.rename_patterns: no restore has a rename: the "
              "templates' patterns are copied as they are");
  }
}

void pc_metadata_dispose(struct snm_metadata_spec *m)
{
  for (int k = 0; k < SNM_META_N_KINDS; k++)
    pc_free_list(m->names[k], m->n_names[k]);
}
