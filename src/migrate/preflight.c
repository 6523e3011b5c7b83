/* SPDX-License-Identifier: Apache-2.0 */
/* preflight.c - the preflight's facts and issues: allocation, lookup,
 * disposal.  Fetching is in preflight_fetch.c, the verdicts in
 * preflight_verdict.c, the repository registration in preflight_repo.c. */
#include "preflight.h"
#include "buf.h"
#include "preflight_int.h"
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snm_preflight_init(struct snm_preflight *pf)
{
  memset(pf, 0, sizeof(*pf));
}

static void free_list(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static void domain_dispose(struct snm_pf_domain *d)
{
  free(d->repo_have_json);
  free(d->repo_want_json);
  free(d->repo_diff);
  free(d->repo_endpoint_note);
  free(d->repo_error);
  for (size_t f = 0; f < SNM_PF_N_FACTS; f++)
    free(d->fact_error[f]);
  free_list(d->snapshots, d->n_snapshots);
  for (size_t i = 0; i < d->n_running; i++) {
    free(d->running[i].repository);
    free(d->running[i].snapshot);
    free(d->running[i].state);
  }
  free(d->running);
  for (size_t i = 0; i < d->n_existing; i++) {
    free(d->existing[i].name);
    free(d->existing[i].uuid);
  }
  free(d->existing);
  for (size_t i = 0; i < d->n_aliases; i++) {
    free(d->aliases[i].alias);
    free(d->aliases[i].index);
  }
  free(d->aliases);
  free_list(d->streams, d->n_streams);
  for (size_t i = 0; i < d->n_templates; i++) {
    free(d->templates[i].name);
    free_list(d->templates[i].patterns, d->templates[i].n_patterns);
  }
  free(d->templates);
  free(d->node_avail);
  free(d->node_total);
  snm__pf_security_dispose(&d->sec);
}

void snm__preflight_clear_verdicts(struct snm_preflight *pf)
{
  for (size_t r = 0; r < pf->n_restores; r++) {
    struct snm_pf_restore *rs = &pf->restores[r];
    for (size_t i = 0; i < rs->n_items; i++) {
      free(rs->items[i].target_name);
      free(rs->items[i].verdict);
      free(rs->items[i].uuid);
    }
    free(rs->items);
    for (size_t i = 0; i < rs->n_streams; i++) {
      free(rs->streams[i].target_name);
      free(rs->streams[i].verdict);
      free(rs->streams[i].template_name);
    }
    free(rs->streams);
  }
  free(pf->restores);
  pf->restores = NULL;
  pf->n_restores = 0;
  for (size_t i = 0; i < pf->n_issues; i++) {
    free(pf->issues[i].domain);
    free(pf->issues[i].index);
    free(pf->issues[i].message);
    free(pf->issues[i].hint);
  }
  free(pf->issues);
  pf->issues = NULL;
  pf->n_issues = pf->n_blockers = pf->n_warnings = 0;
}

void snm_preflight_dispose(struct snm_preflight *pf)
{
  snm__preflight_clear_verdicts(pf);
  for (size_t i = 0; i < pf->n_domains; i++)
    domain_dispose(&pf->domains[i]);
  free(pf->domains);
  for (size_t i = 0; i < pf->n_indices; i++) {
    free(pf->indices[i].name);
    free(pf->indices[i].data_stream);
  }
  free(pf->indices);
  for (size_t i = 0; i < pf->n_data_streams; i++)
    free(pf->data_streams[i].name);
  free(pf->data_streams);
  for (size_t i = 0; i < pf->n_ds_backing; i++) {
    free(pf->ds_backing[i].alias);
    free(pf->ds_backing[i].index);
  }
  free(pf->ds_backing);
  free(pf->rounds_error);
  snm__pf_meta_dispose(pf);
  snm_preflight_init(pf);
}

const char *snm_pf_action_name(enum snm_pf_action a)
{
  switch (a) {
  case SNM_PF_RESTORE:
    return "restore";
  case SNM_PF_SKIP:
    return "skip";
  case SNM_PF_BLOCKED:
    return "blocked";
  }
  return "?";
}

const char *snm_pf_severity_name(enum snm_pf_severity s)
{
  return s == SNM_PF_BLOCKER ? "blocker" : "warning";
}

const char *snm_pf_repo_state_name(enum snm_pf_repo_state s)
{
  switch (s) {
  case SNM_PF_REPO_UNKNOWN:
    return "unknown";
  case SNM_PF_REPO_ABSENT:
    return "absent";
  case SNM_PF_REPO_MATCHES:
    return "matches";
  case SNM_PF_REPO_DIFFERS:
    return "differs";
  }
  return "?";
}

static char *dup_or_null(const char *s, int *nomem)
{
  char *d;

  if (s == NULL)
    return NULL;
  d = strdup(s);
  if (d == NULL)
    *nomem = 1;
  return d;
}

int snm_preflight_issue(struct snm_preflight *pf, enum snm_pf_severity sev,
                        const char *code, const char *domain, const char *index,
                        const char *hint, const char *fmt, ...)
{
  struct snm_pf_issue *v, *it;
  struct snm_buf msg;
  va_list ap;
  int nomem = 0;

  v = realloc(pf->issues, (pf->n_issues + 1) * sizeof(*v));
  if (v == NULL)
    return SNM_ENOMEM;
  pf->issues = v;
  snm_buf_init(&msg, 0);
  va_start(ap, fmt);
  if (snm_buf_vprintf(&msg, fmt, ap) != 0)
    nomem = 1;
  va_end(ap);
  /* Blockers first, each group in the order found. */
  if (sev == SNM_PF_BLOCKER) {
    memmove(&v[pf->n_blockers + 1], &v[pf->n_blockers],
            (pf->n_issues - pf->n_blockers) * sizeof(*v));
    it = &v[pf->n_blockers];
    pf->n_blockers++;
  } else {
    it = &v[pf->n_issues];
    pf->n_warnings++;
  }
  pf->n_issues++;
  memset(it, 0, sizeof(*it));
  it->severity = sev;
  it->code = code;
  it->domain = dup_or_null(domain, &nomem);
  it->index = dup_or_null(index, &nomem);
  it->hint = dup_or_null(hint != NULL ? hint : "", &nomem);
  it->message = nomem ? NULL : snm_buf_steal(&msg);
  if (it->message == NULL)
    nomem = 1;
  snm_buf_dispose(&msg);
  return nomem ? SNM_ENOMEM : 0;
}

int snm_preflight_facts_alloc(struct snm_preflight *pf,
                              const struct snm_plan *plan)
{
  pf->plan = plan;
  pf->domains = calloc(plan->n_domains, sizeof(*pf->domains));
  if (pf->domains == NULL)
    return SNM_ENOMEM;
  pf->n_domains = plan->n_domains;
  for (size_t i = 0; i < plan->n_domains; i++) {
    struct snm_pf_domain *d = &pf->domains[i];
    d->dom = &plan->domains[i];
    d->data_nodes = d->open_shards = d->max_shards_per_node = -1;
    d->disk_avail = d->disk_usable = -1;
    d->threshold_enabled = -1;
    d->same_as = -1;
  }
  pf->domains[plan->snapshot.domain].roles |= SNM_PF_ROLE_SOURCE;
  for (size_t r = 0; r < plan->n_restores; r++)
    pf->domains[plan->restores[r].domain].roles |= SNM_PF_ROLE_TARGET;
  for (size_t i = 0; i < plan->n_domains; i++) {
    struct snm_pf_domain *d = &pf->domains[i];
    if (d->roles != 0 &&
        snm_preflight_repo_body(&d->repo_want_json, &d->repo_endpoint_note,
                                plan, i) != 0)
      return SNM_ENOMEM;
  }
  return 0;
}

struct snm_pf_index *snm_preflight_add_index(struct snm_preflight *pf,
                                             const char *name)
{
  struct snm_pf_index *v, *ix;
  size_t at = pf->n_indices;
  char *copy = strdup(name);

  if (copy == NULL)
    return NULL;
  v = realloc(pf->indices, (pf->n_indices + 1) * sizeof(*v));
  if (v == NULL) {
    free(copy);
    return NULL;
  }
  pf->indices = v;
  while (at > 0 && strcmp(v[at - 1].name, name) > 0)
    at--;
  memmove(&v[at + 1], &v[at], (pf->n_indices - at) * sizeof(*v));
  pf->n_indices++;
  ix = &v[at];
  memset(ix, 0, sizeof(*ix));
  ix->name = copy;
  ix->docs = ix->pri_bytes = -1;
  ix->shards = ix->replicas = -1;
  return ix;
}

struct snm_pf_index *snm__pf_find_index(const struct snm_preflight *pf,
                                        const char *name)
{
  size_t lo = 0, hi = pf->n_indices;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = strcmp(pf->indices[mid].name, name);
    if (cmp == 0)
      return &pf->indices[mid];
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

int snm_preflight_snapshot_indices(const struct snm_preflight *pf,
                                   const char ***out, size_t *n)
{
  const char **v = malloc((pf->n_indices + 1) * sizeof(*v));
  size_t k = 0;

  *out = NULL;
  *n = 0;
  if (v == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < pf->n_indices; i++)
    if (pf->indices[i].selected)
      v[k++] = pf->indices[i].name;
  *out = v;
  *n = k;
  return 0;
}

int snm_preflight_snapshot_streams(const struct snm_preflight *pf,
                                   const char ***out, size_t *n)
{
  const char **v = malloc((pf->n_data_streams + 1) * sizeof(*v));
  size_t k = 0;

  *out = NULL;
  *n = 0;
  if (v == NULL)
    return SNM_ENOMEM;
  for (size_t s = 0; s < pf->n_data_streams; s++)
    for (size_t i = 0; i < pf->n_indices; i++)
      if (pf->indices[i].selected && pf->indices[i].data_stream != NULL &&
          strcmp(pf->indices[i].data_stream, pf->data_streams[s].name) == 0) {
        v[k++] = pf->data_streams[s].name;
        break;
      }
  *out = v;
  *n = k;
  return 0;
}

const char *snm_preflight_stream_of(const struct snm_preflight *pf,
                                    const char *name)
{
  const struct snm_pf_index *ix = snm__pf_find_index(pf, name);

  return ix != NULL ? ix->data_stream : NULL;
}

long snm_preflight_restore_replicas(const struct snm_restore *r)
{
  const struct snm_json *v = NULL;
  long long n;

  for (size_t i = 0; i < r->n_ignore_index_settings; i++)
    if (strcmp(r->ignore_index_settings[i], "index.number_of_replicas") == 0)
      return 1;
  if (r->index_settings != NULL) {
    v = snm_json_get(r->index_settings, "index.number_of_replicas");
    if (v == NULL)
      v = snm_json_get(snm_json_get(r->index_settings, "index"),
                       "number_of_replicas");
    if (v == NULL)
      v = snm_json_get(r->index_settings, "number_of_replicas");
  }
  if (v == NULL)
    return -1;
  if (snm_json_int(v, &n) == 0 && n >= 0)
    return (long)n;
  if (v->type == SNM_JSON_STRING) {
    char *end;
    long x = strtol(v->u.string.ptr, &end, 10);
    if (end != v->u.string.ptr && *end == '\0' && x >= 0)
      return x;
  }
  return -1;
}

void snm_preflight_forget_snapshot(struct snm_preflight *pf,
                                   const char *repository, const char *snapshot)
{
  struct snm_pf_domain *src = &pf->domains[pf->plan->snapshot.domain];

  for (size_t k = 0; k < src->n_running; k++)
    if (strcmp(src->running[k].snapshot, snapshot) == 0 &&
        strcmp(src->running[k].repository, repository) == 0) {
      free(src->running[k].repository);
      free(src->running[k].snapshot);
      free(src->running[k].state);
      memmove(&src->running[k], &src->running[k + 1],
              (src->n_running - k - 1) * sizeof(*src->running));
      src->n_running--;
      break;
    }
  for (size_t k = 0; k < src->n_snapshots; k++)
    if (strcmp(src->snapshots[k], snapshot) == 0) {
      free(src->snapshots[k]);
      memmove(&src->snapshots[k], &src->snapshots[k + 1],
              (src->n_snapshots - k - 1) * sizeof(*src->snapshots));
      src->n_snapshots--;
      src->snapshots_in_repo--;
      break;
    }
  snprintf(pf->snapshot_name, sizeof(pf->snapshot_name), "%s", snapshot);
}
