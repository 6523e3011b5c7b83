/* SPDX-License-Identifier: Apache-2.0 */
/* journal_meta.c - the state file's record of the templates and pipelines
 * a restore's metadata copy handled (journal.h, struct snm_state_meta). */
#include "journal.h"

#include <stdlib.h>
#include <string.h>

static const char *const meta_state_names[] = {
    "pending",   "creating", "replacing", "created",
    "identical", "skipped",  "replaced",  NULL};

const char *snm_meta_state_name(enum snm_meta_state s)
{
  return meta_state_names[s];
}

int snm_meta_state_parse(const char *name, enum snm_meta_state *out)
{
  for (int i = 0; meta_state_names[i] != NULL; i++)
    if (strcmp(meta_state_names[i], name) == 0) {
      *out = (enum snm_meta_state)i;
      return 0;
    }
  return SNM_EINVAL;
}

struct snm_state_meta *snm_state_find_meta(const struct snm_state_restore *r,
                                           const char *kind, const char *name)
{
  for (size_t i = 0; i < r->n_meta; i++)
    if (strcmp(r->meta[i].kind, kind) == 0 &&
        strcmp(r->meta[i].name, name) == 0)
      return &r->meta[i];
  return NULL;
}

int snm_state_add_meta(struct snm_state_restore *r, const char *kind,
                       const char *name, struct snm_state_meta **out)
{
  struct snm_state_meta *m = snm_state_find_meta(r, kind, name), *n;

  if (m == NULL) {
    n = realloc(r->meta, (r->n_meta + 1) * sizeof(*n));
    if (n == NULL)
      return SNM_ENOMEM;
    r->meta = n;
    m = &n[r->n_meta];
    m->kind = strdup(kind);
    m->name = strdup(name);
    m->state = SNM_MSTATE_PENDING;
    if (m->kind == NULL || m->name == NULL) {
      free(m->kind);
      free(m->name);
      return SNM_ENOMEM;
    }
    r->n_meta++;
  }
  if (out != NULL)
    *out = m;
  return 0;
}

void snm_state_meta_dispose(struct snm_state_restore *r)
{
  for (size_t i = 0; i < r->n_meta; i++) {
    free(r->meta[i].kind);
    free(r->meta[i].name);
  }
  free(r->meta);
  r->meta = NULL;
  r->n_meta = 0;
}
