/* SPDX-License-Identifier: Apache-2.0 */
/* journal_cutover.c - the state file's record of a cutover round: the
 * source's write blocks (their previous values) and the aliases moved on
 * the targets (journal.h, struct snm_state_cutover). */
#include "journal.h"

#include <stdlib.h>
#include <string.h>

static const char *const cutover_state_names[] = {
    "none",        "pending",  "blocking",   "blocked",
    "switching",   "switched", "unblocking", "rolling_back",
    "rolled_back", "done",     NULL};

const char *snm_cutover_state_name(enum snm_cutover_state s)
{
  return cutover_state_names[s];
}

int snm_cutover_state_parse(const char *name, enum snm_cutover_state *out)
{
  for (int i = 0; cutover_state_names[i] != NULL; i++)
    if (strcmp(cutover_state_names[i], name) == 0) {
      *out = (enum snm_cutover_state)i;
      return 0;
    }
  return SNM_EINVAL;
}

int snm_state_cutover_add_block(struct snm_state_cutover *c, const char *index,
                                int previous)
{
  struct snm_state_block *b;

  for (size_t i = 0; i < c->n_blocks; i++)
    if (strcmp(c->blocks[i].index, index) == 0)
      return 0;
  b = realloc(c->blocks, (c->n_blocks + 1) * sizeof(*b));
  if (b == NULL)
    return SNM_ENOMEM;
  c->blocks = b;
  b = &c->blocks[c->n_blocks];
  if ((b->index = strdup(index)) == NULL)
    return SNM_ENOMEM;
  b->previous = previous;
  c->n_blocks++;
  return 0;
}

int snm_state_cutover_add_alias(struct snm_state_cutover *c, const char *domain,
                                const char *alias, const char *index,
                                struct snm_state_alias **out)
{
  struct snm_state_alias *a;

  for (size_t i = 0; i < c->n_aliases; i++)
    if (strcmp(c->aliases[i].domain, domain) == 0 &&
        strcmp(c->aliases[i].alias, alias) == 0) {
      if (out != NULL)
        *out = &c->aliases[i];
      return 0;
    }
  a = realloc(c->aliases, (c->n_aliases + 1) * sizeof(*a));
  if (a == NULL)
    return SNM_ENOMEM;
  c->aliases = a;
  a = &c->aliases[c->n_aliases];
  memset(a, 0, sizeof(*a));
  a->domain = strdup(domain);
  a->alias = strdup(alias);
  a->index = strdup(index);
  if (a->domain == NULL || a->alias == NULL || a->index == NULL) {
    free(a->domain);
    free(a->alias);
    free(a->index);
    return SNM_ENOMEM;
  }
  c->n_aliases++;
  if (out != NULL)
    *out = a;
  return 0;
}

static void free_holders(struct snm_state_alias *a)
{
  for (size_t i = 0; i < a->n_holders; i++)
    free(a->holders[i]);
  free(a->holders);
  a->holders = NULL;
  a->n_holders = 0;
}

int snm_state_alias_set_holders(struct snm_state_alias *a,
                                const char *const *names, size_t n)
{
  char **h = calloc(n + 1, sizeof(*h));

  if (h == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if ((h[i] = strdup(names[i])) == NULL) {
      for (size_t k = 0; k < i; k++)
        free(h[k]);
      free(h);
      return SNM_ENOMEM;
    }
  free_holders(a);
  a->holders = h;
  a->n_holders = n;
  return 0;
}

void snm_state_cutover_dispose(struct snm_state_cutover *c)
{
  for (size_t i = 0; i < c->n_blocks; i++)
    free(c->blocks[i].index);
  free(c->blocks);
  for (size_t i = 0; i < c->n_aliases; i++) {
    free_holders(&c->aliases[i]);
    free(c->aliases[i].domain);
    free(c->aliases[i].alias);
    free(c->aliases[i].index);
  }
  free(c->aliases);
  memset(c, 0, sizeof(*c));
  c->blocked_ms = c->verified_ms = SNM_STATE_UNKNOWN;
  c->switched_ms = c->unblocked_ms = SNM_STATE_UNKNOWN;
}

int snm_state_round_left_closed(const struct snm_state_round *rd, size_t r,
                                const char *target)
{
  if (rd->cutover.state != SNM_CUT_ROLLED_BACK || r >= rd->n_restores)
    return 0;
  for (size_t i = 0; i < rd->restores[r].n_indices; i++) {
    const struct snm_state_index *ix = &rd->restores[r].indices[i];

    if (strcmp(ix->target, target) == 0)
      return ix->replace && ix->state != SNM_RESTORE_VERIFIED &&
             ix->state != SNM_RESTORE_SKIPPED;
  }
  return 0;
}
