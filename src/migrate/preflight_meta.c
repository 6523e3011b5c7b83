/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_meta.c - what the plan's "metadata" section would do, found
 * out read-only (docs/check.md, "Metadata").
 *
 * Requests, only when the plan has the section:
 *   source   GET ROOT of each kind the plan names (the names are resolved
 *            on the source, as `run` does); GET /_all/_settings/<the ILM
 *            and ISM policy settings> and, on OpenSearch, GET
 *            /_plugins/_ism/explain (policies are not copied: a warning)
 *   targets  GET ROOT of every kind (an item of the same name, the
 *            components and pipelines a template needs); once every list
 *            is in, for each item `run` would create or replace there, one
 *            POST /_index_template/_simulate or /_ingest/pipeline/_simulate
 *            (metadata.h: snm_meta_simulate_body), which stores nothing and
 *            answers the server's reason when the target would refuse it.
 * The verdict compares each item (its index_patterns renamed by the
 * restore's rename when metadata.rename_patterns) with the target's of the
 * same name and reports: identical (nothing to do), absent (created),
 * different (a blocker with the differing JSON paths, or a warning with
 * on_conflict skip or replace), refused by the simulation, a component
 * template or pipeline a template needs that neither the plan nor the
 * target has, and two restores that would give one target different
 * bodies under one name.
 */
#include "buf.h"
#include "indexpat.h"
#include "jtree.h"
#include "log.h"
#include "metadata.h"
#include "preflight.h"
#include "preflight_int.h"
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K SNM_META_N_KINDS

/* The settings that attach an index to a lifecycle policy. */
#define LC_SETTINGS                                                            \
  "index.lifecycle.name,index.plugins.index_state_management.policy_id,"       \
  "index.opendistro.index_state_management.policy_id"

struct pm_list {
  struct snm_meta_list l;
  int known;   /* the GET answered and parsed */
  char *error; /* NULL or malloced: why not */
};

struct pm_sim {
  size_t r; /* plan restore */
  enum snm_meta_kind kind;
  char *name;   /* malloced */
  int state;    /* 0 pending, 1 accepted, 2 refused, 3 unknown */
  char *reason; /* NULL or malloced */
};

struct pm_policy {
  char *index;  /* malloced */
  char *policy; /* malloced */
  int ism;      /* 1: ISM (OpenSearch), 0: ILM */
};

struct snm_pf_meta {
  struct pm_list src[K];
  struct pm_list *tgt; /* n_domains * K, [d * K + k] */
  size_t lists_pending;
  struct pm_sim *sims;
  size_t n_sims;
  struct pm_policy *pol;
  size_t n_pol;
  char *pol_error; /* NULL or malloced */
};

enum pm_what { PM_LIST, PM_SETTINGS, PM_EXPLAIN, PM_SIM };

struct pm_req {
  struct snm_preflight *pf;
  enum pm_what what;
  size_t d;
  enum snm_meta_kind kind;
  int source; /* PM_LIST: the source's list (else target d's) */
  size_t sim; /* PM_SIM: into meta->sims */
};

/* The list a PM_LIST request fills. */
static struct pm_list *list_of(struct snm_preflight *pf, int source, size_t d,
                               enum snm_meta_kind k)
{
  return source ? &pf->meta->src[k] : &pf->meta->tgt[d * K + k];
}

static char *dupe(struct snm_preflight *pf, const char *s)
{
  char *d = strdup(s);

  if (d == NULL)
    pf->nomem = 1;
  return d;
}

void snm__pf_meta_dispose(struct snm_preflight *pf)
{
  struct snm_pf_meta *m = pf->meta;

  if (m == NULL)
    return;
  for (int k = 0; k < K; k++) {
    snm_meta_list_dispose(&m->src[k].l);
    free(m->src[k].error);
  }
  for (size_t i = 0; m->tgt != NULL && i < pf->n_domains * K; i++) {
    snm_meta_list_dispose(&m->tgt[i].l);
    free(m->tgt[i].error);
  }
  free(m->tgt);
  for (size_t i = 0; i < m->n_sims; i++) {
    free(m->sims[i].name);
    free(m->sims[i].reason);
  }
  free(m->sims);
  for (size_t i = 0; i < m->n_pol; i++) {
    free(m->pol[i].index);
    free(m->pol[i].policy);
  }
  free(m->pol);
  free(m->pol_error);
  free(m);
  pf->meta = NULL;
}

/* ---- replies ------------------------------------------------------------ */

static void record_list(struct snm_preflight *pf, struct pm_list *pl,
                        enum snm_meta_kind k, const char *dom,
                        const struct snm_es_reply *reply,
                        const struct snm_err *err)
{
  char why[160];
  int rc;

  if (err->code != SNM_OK && !snm_meta_reply_absent(reply)) {
    pl->error = dupe(pf, err->msg);
    return;
  }
  if (err->code == SNM_OK) {
    rc = snm_meta_parse_list(&pl->l, k, reply->json, why, sizeof(why));
    if (rc == SNM_ENOMEM) {
      pf->nomem = 1;
      return;
    }
    if (rc != 0) {
      struct snm_buf b;
      snm_buf_init(&b, 0);
      snm_best_effort(snm_buf_printf(&b, "%s: GET %s: HTTP 200, but %s", dom,
                                     snm_meta_root(k), why));
      pl->error = dupe(pf, snm_buf_str(&b));
      snm_buf_dispose(&b);
      return;
    }
  }
  pl->known = 1;
}

static void add_policy(struct snm_preflight *pf, const char *index,
                       const char *policy, int ism)
{
  struct snm_pf_meta *m = pf->meta;
  struct pm_policy *n;

  for (size_t i = 0; i < m->n_pol; i++)
    if (strcmp(m->pol[i].index, index) == 0)
      return;
  n = realloc(m->pol, (m->n_pol + 1) * sizeof(*n));
  if (n == NULL) {
    pf->nomem = 1;
    return;
  }
  m->pol = n;
  n[m->n_pol].index = dupe(pf, index);
  n[m->n_pol].policy = dupe(pf, policy);
  n[m->n_pol].ism = ism;
  m->n_pol++;
}

static void record_settings(struct snm_preflight *pf, yajl_val j)
{
  static const char *const keys[] = {
      "index.lifecycle.name", "index.plugins.index_state_management.policy_id",
      "index.opendistro.index_state_management.policy_id"};

  if (!YAJL_IS_OBJECT(j))
    return;
  for (size_t i = 0; i < j->u.object.len; i++)
    for (size_t k = 0; k < 3; k++) {
      const char *p =
          snm_jstr(j->u.object.values[i], "settings", keys[k], NULL);
      if (p != NULL && p[0] != '\0')
        add_policy(pf, j->u.object.keys[i], p, k > 0);
    }
}

static void record_explain(struct snm_preflight *pf, yajl_val j)
{
  if (!YAJL_IS_OBJECT(j))
    return;
  for (size_t i = 0; i < j->u.object.len; i++) {
    yajl_val v = j->u.object.values[i];
    const char *p =
        snm_jstr(v, "index.plugins.index_state_management.policy_id", NULL);
    if (p == NULL)
      p = snm_jstr(v, "index.opendistro.index_state_management.policy_id",
                   NULL);
    if (p == NULL)
      p = snm_jstr(v, "policy_id", NULL);
    if (p != NULL && p[0] != '\0')
      add_policy(pf, j->u.object.keys[i], p, 1);
  }
}

static void send_sims(struct snm_preflight *pf);

static void on_reply(const struct snm_es_reply *reply,
                     const struct snm_err *err, void *data)
{
  struct pm_req *q = data;
  struct snm_preflight *pf = q->pf;
  struct snm_pf_meta *m = pf->meta;
  const char *dom = pf->plan->domains[q->d].id;

  if (err->code != SNM_ECANCELED && !pf->canceled) {
    switch (q->what) {
    case PM_LIST:
      record_list(pf, list_of(pf, q->source, q->d, q->kind), q->kind, dom,
                  reply, err);
      break;
    case PM_SETTINGS:
      if (err->code == SNM_OK)
        record_settings(pf, reply->json);
      else if (m->pol_error == NULL)
        m->pol_error = dupe(pf, err->msg);
      break;
    case PM_EXPLAIN:
      /* no ISM plugin: 400 "no handler found", 404: nothing to say */
      if (err->code == SNM_OK)
        record_explain(pf, reply->json);
      else if (!(reply != NULL &&
                 (reply->status == 400 || reply->status == 404)) &&
               m->pol_error == NULL)
        m->pol_error = dupe(pf, err->msg);
      break;
    case PM_SIM: {
      struct pm_sim *s = &m->sims[q->sim];
      if (err->code == SNM_OK) {
        s->state = 1;
      } else if (reply != NULL && reply->status >= 400 && reply->status < 500 &&
                 reply->status != 401 && reply->status != 403 &&
                 reply->status != 404 && reply->status != 429) {
        struct snm_buf b;
        snm_buf_init(&b, 0);
        if (snm_es_error_reason(&b, reply->json, reply->body,
                                reply->body_len) != 0)
          pf->nomem = 1;
        s->state = 2;
        s->reason = dupe(pf, b.len > 0 ? snm_buf_str(&b) : err->msg);
        snm_buf_dispose(&b);
      } else {
        s->state = 3;
        s->reason = dupe(pf, err->msg);
      }
      break;
    }
    }
  }
  if (q->what == PM_LIST && --m->lists_pending == 0 && !pf->canceled)
    send_sims(pf);
  free(q);
  snm__pf_request_done(pf);
}

/* ---- sending ------------------------------------------------------------ */

static void pm_send(struct snm_preflight *pf, size_t d, enum pm_what what,
                    enum snm_meta_kind kind, int source, size_t sim,
                    const char *method, const char *path, const char *body)
{
  struct pm_req *q = calloc(1, sizeof(*q));
  struct snm_err err;

  if (q == NULL) {
    pf->nomem = 1;
    return;
  }
  q->pf = pf;
  q->what = what;
  q->d = d;
  q->kind = kind;
  q->source = source;
  q->sim = sim;
  snm_err_clear(&err);
  if (what == PM_LIST)
    pf->meta->lists_pending++;
  pf->pending++;
  if (snm_transport_send(pf->transport,
                         &(struct snm_request){.loop = pf->loop,
                                               .es = &pf->es[d],
                                               .method = method,
                                               .path = path,
                                               .body = body},
                         on_reply, q, &err) != 0) {
    pf->pending--;
    if (what == PM_LIST)
      pf->meta->lists_pending--;
    free(q);
    if (err.code == SNM_ENOMEM)
      pf->nomem = 1;
    if (what == PM_SIM) {
      pf->meta->sims[sim].state = 3;
      pf->meta->sims[sim].reason = dupe(pf, err.msg);
    } else if (what == PM_LIST) {
      list_of(pf, source, d, kind)->error = dupe(pf, err.msg);
      if (pf->meta->lists_pending == 0 && !pf->canceled)
        send_sims(pf);
    }
    return;
  }
  pf->requests++;
}

/* ---- what the plan brings ----------------------------------------------- */

/* The items of kind k the plan selects on the source: *sel (malloced flags
 * over src[k].l) and hits per plan item (malloced).  0, or -1 when the
 * list is unknown or out of memory (pf->nomem). */
static int selected(struct snm_preflight *pf, enum snm_meta_kind k,
                    unsigned char **sel, unsigned char **hits)
{
  const struct snm_metadata_spec *spec = &pf->plan->metadata;
  struct pm_list *pl = &pf->meta->src[k];

  *sel = NULL;
  *hits = NULL;
  if (!pl->known || spec->n_names[k] == 0)
    return -1;
  *hits = calloc(spec->n_names[k], 1);
  if (*hits == NULL || snm_meta_select(sel, &pl->l, spec->names[k],
                                       spec->n_names[k], *hits) == (size_t)-1) {
    free(*hits);
    *hits = NULL;
    pf->nomem = 1;
    return -1;
  }
  return 0;
}

/* The body restore r gives item `it` (malloced), or NULL (pf->nomem, or a
 * body that is not an object). */
static char *want_body(struct snm_preflight *pf, size_t r,
                       const struct snm_meta_item *it)
{
  const struct snm_restore *rs = &pf->plan->restores[r];
  struct snm_err err;
  char *out = NULL;
  int rc = snm_meta_rename(
      &out, NULL, it->kind, it->body,
      pf->plan->metadata.rename_patterns ? rs->rename : NULL, &err);

  if (rc == SNM_ENOMEM)
    pf->nomem = 1;
  return rc == 0 ? out : NULL;
}

enum pm_status { PS_UNKNOWN, PS_ABSENT, PS_IDENTICAL, PS_DIFFERS };

/* Item `name` of kind k with body `want` on target d; `paths` (may be
 * NULL) gets the differing paths. */
static enum pm_status status_on(struct snm_preflight *pf, size_t d,
                                enum snm_meta_kind k, const char *name,
                                const char *want, struct snm_buf *paths)
{
  const struct pm_list *tl = &pf->meta->tgt[d * K + k];
  const struct snm_meta_item *have;
  long n;

  if (!tl->known || want == NULL)
    return PS_UNKNOWN;
  have = snm_meta_list_find(&tl->l, name);
  if (have == NULL)
    return PS_ABSENT;
  n = snm_meta_diff(paths, k, want, have->body, 8);
  if (n == -2)
    pf->nomem = 1;
  return n == 0 ? PS_IDENTICAL : n > 0 ? PS_DIFFERS : PS_UNKNOWN;
}

static int add_sim(struct snm_preflight *pf, size_t r, enum snm_meta_kind k,
                   const char *name)
{
  struct snm_pf_meta *m = pf->meta;
  struct pm_sim *n = realloc(m->sims, (m->n_sims + 1) * sizeof(*n));

  if (n == NULL) {
    pf->nomem = 1;
    return -1;
  }
  m->sims = n;
  memset(&n[m->n_sims], 0, sizeof(*n));
  n[m->n_sims].r = r;
  n[m->n_sims].kind = k;
  n[m->n_sims].name = dupe(pf, name);
  m->n_sims++;
  return 0;
}

/* Every list is in: simulate what `run` would create or replace. */
static void send_sims(struct snm_preflight *pf)
{
  struct snm_pf_meta *m = pf->meta;
  const struct snm_plan *plan = pf->plan;
  size_t first = m->n_sims;
  char **bodies = NULL;

  /* the entries first (the callbacks index them), then the requests */
  for (size_t r = 0; r < plan->n_restores; r++) {
    size_t d = plan->restores[r].domain;

    for (int k = 0; k < K; k++) {
      unsigned char *sel, *hits;

      if (selected(pf, (enum snm_meta_kind)k, &sel, &hits) != 0)
        continue;
      for (size_t i = 0; i < m->src[k].l.len; i++) {
        const struct snm_meta_item *it = &m->src[k].l.items[i];
        char *want;
        enum pm_status st;

        if (!sel[i])
          continue;
        want = want_body(pf, r, it);
        st = status_on(pf, d, it->kind, it->name, want, NULL);
        free(want);
        if (st == PS_ABSENT || (st == PS_DIFFERS &&
                                plan->metadata.on_conflict == SNM_META_REPLACE))
          add_sim(pf, r, it->kind, it->name);
      }
      free(sel);
      free(hits);
    }
  }
  if (m->n_sims == first)
    return;
  bodies = calloc(m->n_sims - first, sizeof(*bodies));
  if (bodies == NULL) {
    pf->nomem = 1;
    return;
  }
  for (size_t s = first; s < m->n_sims; s++) {
    struct pm_sim *sim = &m->sims[s];
    const struct snm_meta_item *it =
        sim->name != NULL ? snm_meta_list_find(&m->src[sim->kind].l, sim->name)
                          : NULL;
    size_t d = plan->restores[sim->r].domain;
    char *want = it != NULL ? want_body(pf, sim->r, it) : NULL;
    int absent =
        status_on(pf, d, sim->kind, sim->name, want, NULL) == PS_ABSENT;

    /* an index template that is new keeps its patterns (an overlap with
     * the target's templates is then reported as the PUT would); one that
     * replaces takes a pattern of its own */
    if (want != NULL &&
        snm_meta_simulate_body(&bodies[s - first], sim->kind, want,
                               absent && sim->kind == SNM_META_TEMPLATE
                                   ? NULL
                                   : "snapmig-simulate-check-*") == SNM_ENOMEM)
      pf->nomem = 1;
    free(want);
    if (bodies[s - first] == NULL) {
      sim->state = 3;
      sim->reason = dupe(pf, "its body could not be read");
    }
  }
  for (size_t s = first; s < m->n_sims; s++) {
    if (bodies[s - first] != NULL)
      pm_send(pf, plan->restores[m->sims[s].r].domain, PM_SIM, m->sims[s].kind,
              0, s, "POST", snm_meta_simulate_path(m->sims[s].kind),
              bodies[s - first]);
    free(bodies[s - first]);
  }
  free(bodies);
}

void snm__pf_meta_send(struct snm_preflight *pf)
{
  const struct snm_plan *plan = pf->plan;
  size_t src = plan->snapshot.domain;
  struct snm_pf_meta *m;

  if (!plan->metadata.present)
    return;
  m = pf->meta = calloc(1, sizeof(*m));
  if (m != NULL)
    m->tgt = calloc(pf->n_domains * K, sizeof(*m->tgt));
  if (m == NULL || m->tgt == NULL) {
    pf->nomem = 1;
    return;
  }
  m->lists_pending = 1; /* held until every list request is out */
  if (pf->domains[src].error.code == SNM_OK) {
    for (int k = 0; k < K; k++)
      if (plan->metadata.n_names[k] > 0)
        pm_send(pf, src, PM_LIST, (enum snm_meta_kind)k, 1, 0, "GET",
                snm_meta_root((enum snm_meta_kind)k), NULL);
    pm_send(pf, src, PM_SETTINGS, 0, 0, 0, "GET",
            "/_all/_settings/" LC_SETTINGS
            "?expand_wildcards=all&flat_settings=true",
            NULL);
    pm_send(pf, src, PM_EXPLAIN, 0, 0, 0, "GET", "/_plugins/_ism/explain",
            NULL);
  }
  for (size_t d = 0; d < pf->n_domains; d++) {
    if (!(pf->domains[d].roles & SNM_PF_ROLE_TARGET) ||
        pf->domains[d].error.code != SNM_OK)
      continue;
    /* every kind: an item of the same name, the components and pipelines
     * a template needs */
    for (int k = 0; k < K; k++)
      pm_send(pf, d, PM_LIST, (enum snm_meta_kind)k, 0, 0, "GET",
              snm_meta_root((enum snm_meta_kind)k), NULL);
  }
  if (--m->lists_pending == 0 && !pf->canceled) {
    /* nothing is in flight: the simulations go out from here; they are
     * counted in pf->pending like the rest */
    send_sims(pf);
  }
}

/* ---- the verdict -------------------------------------------------------- */

struct ref_ctx {
  struct snm__vctx *c;
  size_t r, d;
  enum snm_meta_kind kind; /* of the template that needs it */
  const char *name;
};

/* 1 when the plan copies `name` of kind k. */
static int plan_brings(struct snm_preflight *pf, enum snm_meta_kind k,
                       const char *name)
{
  unsigned char *sel, *hits;
  int found = 0;

  if (selected(pf, k, &sel, &hits) != 0)
    return 0;
  for (size_t i = 0; i < pf->meta->src[k].l.len && !found; i++)
    found = sel[i] && strcmp(pf->meta->src[k].l.items[i].name, name) == 0;
  free(sel);
  free(hits);
  return found;
}

static void on_ref(enum snm_meta_kind k, const char *name, void *data)
{
  struct ref_ctx *x = data;
  struct snm_preflight *pf = x->c->pf;
  const struct pm_list *tl = &pf->meta->tgt[x->d * K + k];
  const char *dom = pf->plan->domains[x->d].id;

  if (plan_brings(pf, k, name) || !tl->known ||
      snm_meta_list_find(&tl->l, name) != NULL)
    return;
  if (k == SNM_META_COMPONENT)
    SNM__ISSUE(x->c, SNM_PF_BLOCKER, "metadata-component-missing", dom, NULL,
               "add it to metadata.component_templates, or create it on the "
               "target",
               "metadata: %s %s is composed of component template %s, which "
               "neither the plan copies nor %s has: %s would refuse it",
               snm_meta_label(x->kind), x->name, name, dom, dom);
  else
    SNM__ISSUE(x->c, SNM_PF_WARNING, "metadata-pipeline-missing", dom, NULL,
               "add it to metadata.ingest_pipelines, or create it on the "
               "target",
               "metadata: %s %s names ingest pipeline %s, which neither the "
               "plan copies nor %s has: documents indexed into its indices "
               "would be refused",
               snm_meta_label(x->kind), x->name, name, dom);
}

static void check_item(struct snm__vctx *c, size_t r,
                       const struct snm_meta_item *it)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_plan *plan = pf->plan;
  struct snm_pf_meta *m = pf->meta;
  size_t d = plan->restores[r].domain;
  const char *dom = plan->domains[d].id;
  const char *label = snm_meta_label(it->kind);
  char *want = want_body(pf, r, it);
  struct snm_buf paths;
  struct ref_ctx x = {c, r, d, it->kind, it->name};
  enum pm_status st;

  if (want == NULL)
    return;
  snm_buf_init(&paths, 0);
  st = status_on(pf, d, it->kind, it->name, want, &paths);
  if (st == PS_DIFFERS) {
    switch (plan->metadata.on_conflict) {
    case SNM_META_BLOCK:
      SNM__ISSUE(c, SNM_PF_BLOCKER, "metadata-conflict", dom, NULL,
                 "align or remove it on the target, or set "
                 "metadata.on_conflict to \"skip\" or \"replace\"",
                 "metadata: %s %s on %s differs from the source's: %s", label,
                 it->name, dom, snm_buf_str(&paths));
      break;
    case SNM_META_SKIP:
      SNM__ISSUE(c, SNM_PF_WARNING, "metadata-conflict", dom, NULL,
                 "nothing to do if the target's is the one to keep",
                 "metadata: %s %s on %s differs from the source's (%s): "
                 "kept as it is (on_conflict skip)",
                 label, it->name, dom, snm_buf_str(&paths));
      break;
    case SNM_META_REPLACE:
      SNM__ISSUE(c, SNM_PF_WARNING, "metadata-conflict", dom, NULL,
                 "nothing to do if the source's is the one to keep",
                 "metadata: %s %s on %s differs from the source's (%s): "
                 "the run replaces it (on_conflict replace)",
                 label, it->name, dom, snm_buf_str(&paths));
      break;
    }
  }
  /* another restore onto the same domain that gives it another body */
  for (size_t r2 = 0; r2 < r; r2++) {
    char *other;
    long n;

    if (plan->restores[r2].domain != d)
      continue;
    other = want_body(pf, r2, it);
    n = other != NULL ? snm_meta_diff(NULL, it->kind, want, other, 0) : 0;
    free(other);
    if (n > 0) {
      SNM__ISSUE(c, SNM_PF_BLOCKER, "metadata-clash", dom, NULL,
                 "give those restores the same rename, or turn "
                 "metadata.rename_patterns off",
                 "metadata: restores %zu and %zu both copy %s %s to %s with "
                 "different index_patterns (their renames differ)",
                 r2 + 1, r + 1, label, it->name, dom);
      break;
    }
  }
  for (size_t s = 0; s < m->n_sims; s++) {
    const struct pm_sim *sim = &m->sims[s];

    if (sim->r != r || sim->kind != it->kind ||
        strcmp(sim->name, it->name) != 0)
      continue;
    if (sim->state == 2)
      SNM__ISSUE(c, SNM_PF_BLOCKER, "metadata-rejected", dom, NULL,
                 "change it on the source (or leave it out of the plan and "
                 "create a version the target accepts)",
                 "metadata: %s would refuse %s %s: %s", dom, label, it->name,
                 sim->reason != NULL ? sim->reason : "?");
    else if (sim->state == 3)
      SNM__ISSUE(c, SNM_PF_WARNING, "metadata-unchecked", dom, NULL,
                 "run check again; the run reports the target's refusal if "
                 "there is one",
                 "metadata: %s %s could not be checked on %s: %s", label,
                 it->name, dom, sim->reason != NULL ? sim->reason : "?");
  }
  (void)snm_meta_refs(it->kind, want, on_ref, &x); /* want parses */
  snm_buf_dispose(&paths);
  free(want);
}

static void check_lifecycle(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;
  struct snm_pf_meta *m = pf->meta;
  const char *src = pf->plan->domains[pf->plan->snapshot.domain].id;
  struct snm_buf ex;
  size_t n = 0;
  int ilm = 0, ism = 0;

  snm_buf_init(&ex, 0);
  for (size_t i = 0; i < m->n_pol; i++) {
    const struct snm_pf_index *ix = snm__pf_find_index(pf, m->pol[i].index);

    if (ix == NULL || !ix->selected)
      continue;
    if (n < 3)
      snm_best_effort(snm_buf_printf(&ex, "%s%s: %s %s", n == 0 ? "" : ", ",
                                     ix->name, m->pol[i].ism ? "ISM" : "ILM",
                                     m->pol[i].policy));
    n++;
    ilm |= !m->pol[i].ism;
    ism |= m->pol[i].ism;
  }
  if (n > 0)
    SNM__ISSUE(c, SNM_PF_WARNING, "lifecycle-not-copied", src, NULL,
               "create the policies on the targets and attach them to the "
               "restored indices after the run",
               "%zu selected %s %s attached to %s%s%s polic%s (%s%s), which "
               "snapmig does not copy: the restored indices are not managed "
               "on the targets",
               n, n == 1 ? "index" : "indices", n == 1 ? "is" : "are",
               ilm ? "ILM" : "", ilm && ism ? " and " : "", ism ? "ISM" : "",
               n == 1 ? "y" : "ies", snm_buf_str(&ex), n > 3 ? ", ..." : "");
  else if (m->pol_error != NULL)
    snm_log(SNM_LOG_DEBUG, "lifecycle policies not checked: %s", m->pol_error);
  snm_buf_dispose(&ex);
}

void snm__pf_check_meta(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_plan *plan = pf->plan;
  const struct snm_metadata_spec *spec = &plan->metadata;
  struct snm_pf_meta *m = pf->meta;
  size_t src = plan->snapshot.domain;
  const char *sid = plan->domains[src].id;

  if (!spec->present || m == NULL)
    return;
  for (int k = 0; k < K; k++) {
    enum snm_meta_kind kind = (enum snm_meta_kind)k;
    unsigned char *sel, *hits;

    if (spec->n_names[k] == 0)
      continue;
    if (!m->src[k].known) {
      if (pf->domains[src].reached)
        SNM__ISSUE(c, pf->source_optional ? SNM_PF_WARNING : SNM_PF_BLOCKER,
                   "metadata-unreadable", sid, NULL,
                   "check the identity's permissions on the source and run "
                   "check again",
                   "metadata: the source's %ss cannot be read: %s",
                   snm_meta_label(kind),
                   m->src[k].error != NULL ? m->src[k].error : "no answer");
      continue;
    }
    if (selected(pf, kind, &sel, &hits) != 0)
      continue;
    for (size_t j = 0; j < spec->n_names[k]; j++) {
      if (hits[j] == 2 /* SNM_INDEXPAT_NOT_FOUND */)
        SNM__ISSUE(c, SNM_PF_BLOCKER, "metadata-missing", sid, NULL,
                   "fix the plan's metadata section, or create it on the "
                   "source",
                   "metadata: %s %s is not on the source %s",
                   snm_meta_label(kind), spec->names[k][j], sid);
      else if (hits[j] == 1 /* SNM_INDEXPAT_NO_MATCH */)
        SNM__ISSUE(c, SNM_PF_WARNING, "metadata-no-match", sid, NULL,
                   "nothing to do if that is expected",
                   "metadata.%s: \"%s\" matches no %s on the source %s",
                   snm_meta_kind_key(kind), spec->names[k][j],
                   snm_meta_label(kind), sid);
    }
    for (size_t r = 0; r < plan->n_restores; r++) {
      size_t d = plan->restores[r].domain;
      const struct pm_list *tl = &m->tgt[d * K + k];
      int seen = 0;

      if (!pf->domains[d].reached)
        continue;
      for (size_t r2 = 0; r2 < r; r2++)
        seen |= plan->restores[r2].domain == d;
      if (!tl->known) {
        if (!seen)
          SNM__ISSUE(c, SNM_PF_BLOCKER, "metadata-unreadable",
                     plan->domains[d].id, NULL,
                     "check the identity's permissions on the target and run "
                     "check again",
                     "metadata: the %ss of %s cannot be read: %s",
                     snm_meta_label(kind), plan->domains[d].id,
                     tl->error != NULL ? tl->error : "no answer");
        continue;
      }
      for (size_t i = 0; i < m->src[k].l.len; i++)
        if (sel[i])
          check_item(c, r, &m->src[k].l.items[i]);
    }
    free(sel);
    free(hits);
  }
  check_lifecycle(c);
}

/* ---- for the data stream check ------------------------------------------ */

int snm__pf_meta_stream_template(const struct snm_preflight *pf, size_t dom,
                                 const char *name, const char **tmpl,
                                 long long *priority, int *data_stream)
{
  const struct snm_plan *plan = pf->plan;
  struct snm_pf_meta *m = pf->meta;
  const struct pm_list *src;
  int found = 0, unknown = 0;

  *tmpl = NULL;
  *priority = 0;
  *data_stream = 0;
  if (m == NULL || plan->metadata.n_names[SNM_META_TEMPLATE] == 0)
    return 0;
  src = &m->src[SNM_META_TEMPLATE];
  if (!src->known)
    return -1;
  for (size_t r = 0; r < plan->n_restores; r++) {
    const struct snm_metadata_spec *spec = &plan->metadata;
    unsigned char *sel = NULL, *hits;

    if (plan->restores[r].domain != dom)
      continue;
    hits = calloc(spec->n_names[SNM_META_TEMPLATE], 1);
    if (hits == NULL ||
        snm_meta_select(&sel, &src->l, spec->names[SNM_META_TEMPLATE],
                        spec->n_names[SNM_META_TEMPLATE], hits) == (size_t)-1) {
      free(hits);
      return -1;
    }
    for (size_t i = 0; i < src->l.len; i++) {
      const struct snm_meta_item *it = &src->l.items[i];
      struct snm_preflight *mpf = (struct snm_preflight *)pf;
      char *want;
      enum pm_status st;
      yajl_val j, pats;
      int match = 0;
      long long prio;

      if (!sel[i])
        continue;
      want = want_body(mpf, r, it);
      st = status_on(mpf, dom, it->kind, it->name, want, NULL);
      /* what the target will have of this name: ours when it is absent
       * there or replaced; the target's own otherwise (the caller reads
       * that one with the target's templates) */
      if (st == PS_UNKNOWN)
        unknown = 1;
      if (st != PS_ABSENT && !(st == PS_DIFFERS && plan->metadata.on_conflict ==
                                                       SNM_META_REPLACE)) {
        free(want);
        continue;
      }
      j = want != NULL ? yajl_tree_parse(want, NULL, 0) : NULL;
      pats = snm_jget(j, "index_patterns", NULL);
      for (size_t k = 0; YAJL_IS_ARRAY(pats) && k < pats->u.array.len && !match;
           k++)
        match = YAJL_IS_STRING(pats->u.array.values[k]) &&
                snm_indexpat_match(pats->u.array.values[k]->u.string, name);
      if (YAJL_IS_STRING(pats))
        match = snm_indexpat_match(pats->u.string, name);
      prio = snm_jint(0, j, "priority", NULL);
      if (match && (!found || prio > *priority)) {
        found = 1;
        *tmpl = it->name;
        *priority = prio;
        *data_stream = YAJL_IS_OBJECT(snm_jget(j, "data_stream", NULL));
      }
      yajl_tree_free(j);
      free(want);
    }
    free(sel);
    free(hits);
  }
  return found ? 1 : unknown ? -1 : 0;
}
