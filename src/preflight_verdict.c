/* preflight_verdict.c - blockers, warnings and predicted restores from the
 * preflight's facts.  Pure: no I/O, deterministic for given facts. */
#include "buf.h"
#include "indexpat.h"
#include "preflight.h"
#include "preflight_int.h"
#include "rename.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vctx {
  struct snm_preflight *pf;
  const struct snm_plan *plan;
  int nomem;
};

#define ISSUE(c, sev, code, dom, idx, hint, ...)                               \
  do {                                                                         \
    if (snm_preflight_issue((c)->pf, sev, code, dom, idx, hint, __VA_ARGS__))  \
      (c)->nomem = 1;                                                          \
  } while (0)

static const char *role_word(unsigned roles)
{
  if (roles & SNM_PF_ROLE_SOURCE)
    return "source";
  if (roles & SNM_PF_ROLE_TARGET)
    return "target";
  return "domain";
}

static char *xstrdup(struct vctx *c, const char *s)
{
  char *d = strdup(s);
  if (d == NULL)
    c->nomem = 1;
  return d;
}

/* Replace an item's verdict. */
static void set_verdict(struct vctx *c, struct snm_pf_item *it,
                        enum snm_pf_action action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_verdict(struct vctx *c, struct snm_pf_item *it,
                        enum snm_pf_action action, const char *fmt, ...)
{
  struct snm_buf b;
  va_list ap;

  snm_buf_init(&b, 0);
  va_start(ap, fmt);
  snm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  free(it->verdict);
  it->verdict = snm_buf_steal(&b);
  if (it->verdict == NULL)
    c->nomem = 1;
  snm_buf_dispose(&b);
  it->action = action;
}

/* ---- domains ---------------------------------------------------------- */

/* How a message names a domain: role and id ("source src"), or the id
 * alone when it is the role word, so that a plan whose domains are called
 * "source" and "target" does not read "source source". */
static void domain_label(char *buf, size_t sz, const struct snm_pf_domain *d)
{
  const char *what = role_word(d->roles), *id = d->dom->id;

  if (strcmp(what, id) == 0)
    snprintf(buf, sz, "%s", id);
  else
    snprintf(buf, sz, "%s %s", what, id);
}

/* An error message of the es layer ("ID: GET /path: HTTP 403 ...") without
 * its leading "ID: ": the verdict names the domain itself. */
static const char *without_id(const char *msg, const char *id)
{
  size_t n = strlen(id);

  if (strncmp(msg, id, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
    return msg + n + 2;
  return msg;
}

static void check_domains(struct vctx *c)
{
  for (size_t i = 0; i < c->pf->n_domains; i++) {
    const struct snm_pf_domain *d = &c->pf->domains[i];
    const char *id = d->dom->id;
    const char *why = d->error.msg[0] ? without_id(d->error.msg, id) : id;
    char label[160];

    domain_label(label, sizeof(label), d);
    if (!d->reached) {
      if (d->error.code == SNM_EAUTH)
        ISSUE(c, SNM_PF_BLOCKER, "auth", id, NULL,
              "fix the credentials named above, or grant the permission "
              "it names; check only sends GET requests",
              "%s: authentication failed: %s", label, why);
      else if (d->error.code == SNM_EPARSE)
        ISSUE(c, SNM_PF_BLOCKER, "not-a-cluster", id, NULL,
              "point the domain's endpoint at the cluster's REST API", "%s: %s",
              label, why);
      else
        ISSUE(c, SNM_PF_BLOCKER, "unreachable", id, NULL,
              "check the endpoint, the network path (VPC, security groups, "
              "proxy) and that the cluster is up",
              "%s unreachable: %s", label, why);
      continue;
    }
    if (strcmp(d->health, "red") == 0)
      ISSUE(c, SNM_PF_WARNING, "health-red", id, NULL,
            "GET _cluster/health?level=indices shows which indices have "
            "unassigned primaries",
            "%s: cluster health is red", label);
  }
}

/* ---- facts that could not be read ------------------------------------ */

/* What a fact is for, to word the issue when it could not be read. */
struct fact_rule {
  const char *code;   /* static, stable (docs/check.md) */
  const char *what;   /* "cannot <what>" */
  const char *needed; /* why it matters ("so ... is unknown") */
  const char *grant;  /* the permission that reads it */
};

static const struct fact_rule fact_rules[SNM_PF_N_FACTS] = {
    [SNM_PF_FACT_HEALTH] = {"health-unreadable", "read its cluster health",
                            "its data nodes and open shards are unknown",
                            "cluster:monitor/health"},
    [SNM_PF_FACT_INDICES] = {"indices-unreadable", "list its indices", NULL,
                             "indices:monitor/* on all indices (the "
                             "\"monitor\" privilege) and cluster:monitor/*"},
    [SNM_PF_FACT_ALIASES] = {"aliases-unreadable", "list its aliases",
                             "which names aliases take is unknown",
                             "indices:admin/aliases/get on all indices"},
    [SNM_PF_FACT_RUNNING] = {"snapshot-status-unreadable",
                             "list its running snapshots",
                             "whether a snapshot is running is unknown",
                             "cluster:admin/snapshot/status"},
    [SNM_PF_FACT_DATA_STREAMS] = {"data-streams-unreadable",
                                  "list its data streams",
                                  "which indices back a data stream is "
                                  "unknown",
                                  "indices:admin/data_stream/get"},
    [SNM_PF_FACT_SETTINGS] = {"source-indices",
                              "resolve snapshot.indices (index settings)",
                              "which indices the snapshot takes is unknown",
                              "indices:monitor/settings/get on the indices"},
    [SNM_PF_FACT_COUNTS] = {"count-unreadable", "count an index's documents",
                            "the report shows \"?\" for them",
                            "indices:data/read/search on the indices"},
    [SNM_PF_FACT_DISK] = {"disk-unreadable", "read its free disk space",
                          "whether the restored shards fit is unknown",
                          "cluster:monitor/state and cluster:monitor/nodes/"
                          "stats (the \"monitor\" cluster privilege)"},
    [SNM_PF_FACT_CLUSTER_SETTINGS] = {"cluster-settings-unreadable",
                                      "read its cluster settings",
                                      "its shard limit and disk watermark "
                                      "are unknown",
                                      "cluster:monitor/settings (the "
                                      "\"monitor\" cluster privilege)"},
};

/* Data streams exist from Elasticsearch 7.9 on and in every OpenSearch. */
static int has_data_streams(const struct snm_version *v)
{
  return v->engine == SNM_ENGINE_OPENSEARCH ||
         (v->engine == SNM_ENGINE_ELASTICSEARCH &&
          (v->major > 7 || (v->major == 7 && v->minor >= 9)));
}

/* Elasticsearch before 7.7 takes one snapshot at a time. */
static int one_snapshot_at_a_time(const struct snm_version *v)
{
  return v->engine == SNM_ENGINE_ELASTICSEARCH &&
         (v->major < 7 || (v->major == 7 && v->minor < 7));
}

static int any_include_aliases(const struct snm_plan *plan)
{
  for (size_t r = 0; r < plan->n_restores; r++)
    if (plan->restores[r].include_aliases)
      return 1;
  return 0;
}

/* How an unknown fact weighs for domain d: a blocker where a verdict
 * relies on it, a warning where it is only reported, -1 where it does not
 * matter (not asked, or not for this domain). */
static int fact_weight(const struct vctx *c, const struct snm_pf_domain *d,
                       enum snm_pf_fact f)
{
  const struct snm_preflight *pf = c->pf;
  int target = (d->roles & SNM_PF_ROLE_TARGET) != 0;

  switch (f) {
  case SNM_PF_FACT_HEALTH: /* shard headroom, copies per node */
    return target ? SNM_PF_BLOCKER : SNM_PF_WARNING;
  case SNM_PF_FACT_INDICES: /* target conflicts; source closed/red */
    return SNM_PF_BLOCKER;
  case SNM_PF_FACT_ALIASES: /* alias conflicts on the target */
    return target || any_include_aliases(c->plan) ? SNM_PF_BLOCKER
                                                  : SNM_PF_WARNING;
  case SNM_PF_FACT_RUNNING:
    return one_snapshot_at_a_time(&d->info.version) ? SNM_PF_BLOCKER
                                                    : SNM_PF_WARNING;
  case SNM_PF_FACT_DATA_STREAMS:
    /* an older version has no such API; otherwise a system-named index
     * may be a backing index, kept only when its data stream is known */
    if (!has_data_streams(&d->info.version))
      return -1;
    for (size_t i = 0; i < pf->n_indices; i++)
      if (snm_index_is_system(pf->indices[i].name))
        return SNM_PF_BLOCKER;
    return SNM_PF_WARNING;
  case SNM_PF_FACT_SETTINGS:
    return SNM_PF_BLOCKER;
  case SNM_PF_FACT_COUNTS:
    return SNM_PF_WARNING;
  case SNM_PF_FACT_DISK:
  case SNM_PF_FACT_CLUSTER_SETTINGS:
    return target ? SNM_PF_BLOCKER : -1;
  case SNM_PF_N_FACTS:
    break;
  }
  return -1;
}

static void check_facts(struct vctx *c)
{
  for (size_t i = 0; i < c->pf->n_domains; i++) {
    const struct snm_pf_domain *d = &c->pf->domains[i];
    const char *id = d->dom->id;
    char label[160], hint[400];

    if (!d->reached || d->roles == 0)
      continue; /* check_domains said why */
    domain_label(label, sizeof(label), d);
    for (int f = 0; f < SNM_PF_N_FACTS; f++) {
      const struct fact_rule *rule = &fact_rules[f];
      const char *needed = rule->needed;
      int weight;

      if (d->fact_error[f] == NULL ||
          (weight = fact_weight(c, d, (enum snm_pf_fact)f)) < 0)
        continue;
      if (f == SNM_PF_FACT_INDICES)
        needed = d->roles & SNM_PF_ROLE_TARGET
                     ? "whether a restore would overwrite an index is "
                       "unknown"
                     : "whether a selected index is closed or red is "
                       "unknown";
      snprintf(hint, sizeof(hint),
               "grant the identity %s on %s, or fix the cluster if it "
               "failed; if the reply was not the cluster's, check what "
               "answers at the endpoint",
               rule->grant, id);
      ISSUE(c, (enum snm_pf_severity)weight, rule->code, id, NULL, hint,
            "%s: cannot %s, so %s: %s", label, rule->what, needed,
            without_id(d->fact_error[f], id));
    }
  }
}

/* ---- repository ------------------------------------------------------- */

static void check_repos(struct vctx *c)
{
  const char *repo = c->plan->repository.name;

  for (size_t i = 0; i < c->pf->n_domains; i++) {
    struct snm_pf_domain *d = &c->pf->domains[i];
    const char *id = d->dom->id;

    if (d->roles == 0 || !d->reached)
      continue;
    if (d->repo_endpoint_note != NULL)
      ISSUE(c, SNM_PF_WARNING, "repo-endpoint", id, NULL,
            "nothing to do if the bucket's region is right",
            "repository %s on %s: %s", repo, id, d->repo_endpoint_note);
    if (d->repo_have_json != NULL && d->repo_want_json != NULL) {
      if (snm__preflight_compare_repo(d) != 0)
        c->nomem = 1;
      if (d->repo_state == SNM_PF_REPO_DIFFERS)
        ISSUE(c, SNM_PF_BLOCKER, "repo-settings", id, NULL,
              "make the plan's repository match the registration, or remove "
              "the registration (DELETE _snapshot/NAME keeps the snapshots "
              "in the bucket) so that run registers it",
              "repository %s is registered on %s with other settings than "
              "the plan's: %s",
              repo, id, d->repo_diff);
    }
    if (d->repo_error != NULL)
      ISSUE(c, SNM_PF_BLOCKER, "repo-unusable", id, NULL,
            "check the bucket or location, and the cluster's access to it "
            "(POST _snapshot/NAME/_verify shows the cause)",
            "repository %s on %s: %s", repo, id, d->repo_error);
    if ((d->roles & SNM_PF_ROLE_SOURCE) && d->snapshots_listed)
      for (size_t k = 0; k < d->n_snapshots; k++)
        if (strcmp(d->snapshots[k], c->pf->snapshot_name) == 0)
          ISSUE(c, SNM_PF_WARNING, "snapshot-exists", id, NULL,
                "give snapshot.name a time placeholder such as "
                "{utc:%Y%m%d-%H%M%S}, or delete the old snapshot",
                "snapshot %s already exists in repository %s; run cannot "
                "take it again under that name",
                c->pf->snapshot_name, repo);
  }
}

/* ---- source ----------------------------------------------------------- */

static int alias_of_source(const struct snm_pf_domain *src, const char *alias,
                           const char *pattern)
{
  for (size_t i = 0; i < src->n_aliases; i++)
    if (pattern != NULL ? snm_indexpat_match(pattern, src->aliases[i].alias)
                        : strcmp(src->aliases[i].alias, alias) == 0)
      return 1;
  return 0;
}

static int names_data_stream(const struct snm_preflight *pf, const char *item,
                             int wildcard)
{
  for (size_t i = 0; i < pf->n_data_streams; i++)
    if (wildcard ? snm_indexpat_match(item, pf->data_streams[i].name)
                 : strcmp(item, pf->data_streams[i].name) == 0)
      return 1;
  return 0;
}

/* Which of the indices the source resolved are snapshotted, and what the
 * plan's patterns did. */
static void select_source(struct vctx *c, const struct snm_pf_domain *src)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_snapshot_spec *s = &c->plan->snapshot;
  const char *id = src->dom->id;
  struct snm_buf left;
  size_t n_left = 0, n_sel = 0;

  snm_buf_init(&left, 0);
  for (size_t i = 0; i < pf->n_indices; i++) {
    struct snm_pf_index *ix = &pf->indices[i];
    int explicit = 0;

    if (!snm_index_is_system(ix->name) || ix->data_stream != NULL) {
      ix->selected = 1;
      n_sel++;
      continue;
    }
    for (size_t j = 0; j < s->n_indices && !explicit; j++)
      explicit = s->indices[j][0] == '.' &&
                 snm_indexpat_match(s->indices[j], ix->name);
    ix->selected = explicit;
    if (explicit) {
      n_sel++;
      ISSUE(c, SNM_PF_WARNING, "system-index", id, ix->name,
            "restore it only onto a cluster where nothing else owns it; "
            "leave it out otherwise",
            "system index %s is snapshotted because the plan names it; "
            "restoring it may break the target's own (security, dashboards, "
            "plugins)",
            ix->name);
    } else if (n_left++ < 8) {
      snm_buf_printf(&left, "%s%s", n_left > 1 ? ", " : "", ix->name);
    }
  }
  if (n_left > 0)
    ISSUE(c, SNM_PF_WARNING, "system-indices-left-out", id, NULL,
          "name a system index in snapshot.indices (e.g. \".kibana_1\") "
          "only if you really want it migrated",
          "%zu system %s left out of the snapshot: %s%s", n_left,
          n_left == 1 ? "index" : "indices", snm_buf_str(&left),
          n_left > 8 ? ", ..." : "");
  snm_buf_dispose(&left);

  for (size_t j = 0; j < s->n_indices; j++) {
    const char *item = s->indices[j];
    int wildcard = snm_indexpat_is_wildcard(item), found = 0;

    if (item[0] == '-' || strcmp(item, "_all") == 0)
      continue;
    if (item[0] == '+')
      item++;
    for (size_t i = 0; i < pf->n_indices && !found; i++)
      found = wildcard ? snm_indexpat_match(item, pf->indices[i].name)
                       : strcmp(item, pf->indices[i].name) == 0;
    if (!found)
      found = alias_of_source(src, item, wildcard ? item : NULL) ||
              names_data_stream(pf, item, wildcard);
    if (found)
      continue;
    if (wildcard)
      ISSUE(c, SNM_PF_WARNING, "pattern-no-match", id, NULL,
            "check the pattern, or remove it",
            "snapshot.indices pattern \"%s\" matches no index on %s", item, id);
    else
      ISSUE(c, SNM_PF_BLOCKER, "index-missing", id, item,
            "fix the name in snapshot.indices, or use a wildcard if it may "
            "be absent",
            "snapshot.indices names %s, which does not exist on %s", item, id);
  }
  if (n_sel == 0)
    ISSUE(c, SNM_PF_BLOCKER, "nothing-to-snapshot", id, NULL,
          "check snapshot.indices against GET _cat/indices on the source",
          "the plan's indices select no index on %s", id);
}

static void check_source(struct vctx *c)
{
  struct snm_preflight *pf = c->pf;
  struct snm_pf_domain *src = &pf->domains[c->plan->snapshot.domain];
  const char *id = src->dom->id;
  const struct snm_version *v = &src->info.version;

  if (!src->reached)
    return;
  if (src->n_running > 0) {
    int one_at_a_time = one_snapshot_at_a_time(v);
    ISSUE(c, one_at_a_time ? SNM_PF_BLOCKER : SNM_PF_WARNING,
          "snapshot-running", id, NULL,
          one_at_a_time ? "wait for it to finish (GET _snapshot/_status), "
                          "or pause the snapshot policy that started it"
                        : "nothing to do; the snapshot may take longer",
          "%zu snapshot%s running on %s (%s/%s, %s)%s", src->n_running,
          src->n_running == 1 ? "" : "s", id, src->running[0].repository,
          src->running[0].snapshot, src->running[0].state,
          one_at_a_time ? "; this version takes one snapshot at a time" : "");
  }
  if (!pf->indices_known)
    return; /* a blocker of check_facts says why */
  select_source(c, src);
  for (size_t i = 0; i < pf->n_data_streams; i++) {
    const char *ds = pf->data_streams[i].name;
    for (size_t k = 0; k < pf->n_indices; k++)
      if (pf->indices[k].selected && pf->indices[k].data_stream != NULL &&
          strcmp(pf->indices[k].data_stream, ds) == 0) {
        ISSUE(c, SNM_PF_WARNING, "data-stream", id, ds,
              "create the data stream's index template on the target "
              "first, and do not rename its backing indices",
              "data stream %s is snapshotted through its backing indices", ds);
        break;
      }
  }
  for (size_t i = 0; i < pf->n_indices; i++) {
    const struct snm_pf_index *ix = &pf->indices[i];
    int partial = c->plan->snapshot.allow_partial;
    if (!ix->selected)
      continue;
    if (ix->closed)
      ISSUE(c, partial ? SNM_PF_WARNING : SNM_PF_BLOCKER, "index-closed", id,
            ix->name,
            "open it (POST INDEX/_open) or exclude it with \"-NAME\" in "
            "snapshot.indices",
            "index %s is closed: the snapshot %s", ix->name,
            partial ? "leaves it out (allow_partial)" : "would fail on it");
    else if (strcmp(ix->health, "red") == 0)
      ISSUE(c, partial ? SNM_PF_WARNING : SNM_PF_BLOCKER, "index-red", id,
            ix->name,
            "bring its primaries back (GET _cluster/allocation/explain), "
            "or exclude it",
            "index %s is red: the snapshot %s", ix->name,
            partial ? "leaves its missing shards out (allow_partial)"
                    : "would fail on it");
  }
}

/* ---- restores --------------------------------------------------------- */

static const struct snm_pf_existing *
existing_index(const struct snm_pf_domain *d, const char *name)
{
  for (size_t i = 0; i < d->n_existing; i++)
    if (strcmp(d->existing[i].name, name) == 0)
      return &d->existing[i];
  return NULL;
}

static const char *existing_alias(const struct snm_pf_domain *d,
                                  const char *name)
{
  for (size_t i = 0; i < d->n_aliases; i++)
    if (strcmp(d->aliases[i].alias, name) == 0)
      return d->aliases[i].index;
  return NULL;
}

/* The items of restore r: which snapshotted indices it takes, renamed. */
static void build_items(struct vctx *c, size_t r, const char **names,
                        const size_t *map, size_t n)
{
  const struct snm_restore *rs = &c->plan->restores[r];
  struct snm_pf_restore *out = &c->pf->restores[r];
  const char *id = c->plan->domains[rs->domain].id;
  unsigned char *sel = malloc(n + 1), *hits = malloc(rs->n_indices + 1);

  if (sel == NULL || hits == NULL) {
    c->nomem = 1;
    goto done;
  }
  snm_indexpat_select(sel, names, n, (const char *const *)rs->indices,
                      rs->n_indices, hits);
  for (size_t j = 0; j < rs->n_indices; j++) {
    if (hits[j] == SNM_INDEXPAT_NOT_FOUND)
      ISSUE(c, SNM_PF_BLOCKER, "restore-index-missing", id, rs->indices[j],
            "fix restores[].indices, or add the index to snapshot.indices",
            "restores[%zu].indices names %s, which the snapshot will not "
            "hold; the restore would fail",
            r, rs->indices[j]);
    else if (hits[j] == SNM_INDEXPAT_NO_MATCH)
      ISSUE(c, SNM_PF_WARNING, "pattern-no-match", id, NULL,
            "check the pattern, or remove it",
            "restores[%zu].indices pattern \"%s\" matches nothing in the "
            "snapshot",
            r, rs->indices[j]);
  }
  out->items = calloc(n + 1, sizeof(*out->items));
  if (out->items == NULL) {
    c->nomem = 1;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    struct snm_pf_item *it;
    struct snm_err err;

    if (!sel[i])
      continue;
    it = &out->items[out->n_items++];
    it->index = map[i];
    if (rs->rename == NULL) {
      it->target_name = xstrdup(c, names[i]);
    } else if (snm_rename_apply(&it->target_name, rs->rename, names[i], &err) !=
               0) {
      it->target_name = xstrdup(c, names[i]);
      set_verdict(c, it, SNM_PF_BLOCKED, "rename failed");
      ISSUE(c, SNM_PF_BLOCKER, "rename", id, names[i], "simplify the pattern",
            "restores[%zu]: cannot rename %s: %s", r, names[i], err.msg);
      continue;
    }
    set_verdict(c, it, SNM_PF_RESTORE, "ok");
    if (c->pf->own_fn != NULL &&
        c->pf->own_fn(c->pf->own_data, r, it->target_name)) {
      it->own = 1;
      set_verdict(c, it, SNM_PF_RESTORE, "this run's own (resuming)");
    }
  }
  if (out->n_items == 0)
    ISSUE(c, SNM_PF_WARNING, "restore-empty", id, NULL,
          "check restores[].indices", "restores[%zu] onto %s restores nothing",
          r, id);
done:
  free(sel);
  free(hits);
}

/* Two sources landing on one name on the same target (all restores). */
static void check_collisions(struct vctx *c, size_t dom)
{
  struct snm_preflight *pf = c->pf;
  const char *id = c->plan->domains[dom].id;

  for (size_t r = 0; r < pf->n_restores; r++) {
    if (pf->restores[r].domain != dom)
      continue;
    for (size_t i = 0; i < pf->restores[r].n_items; i++) {
      struct snm_pf_item *a = &pf->restores[r].items[i];
      for (size_t r2 = r; r2 < pf->n_restores; r2++) {
        if (pf->restores[r2].domain != dom)
          continue;
        for (size_t k = r2 == r ? i + 1 : 0; k < pf->restores[r2].n_items;
             k++) {
          struct snm_pf_item *b = &pf->restores[r2].items[k];
          const char *an = pf->indices[a->index].name;
          const char *bn = pf->indices[b->index].name;
          if (strcmp(a->target_name, b->target_name) != 0)
            continue;
          ISSUE(c, SNM_PF_BLOCKER, "rename-collision", id, a->target_name,
                "change the rename so every index gets its own name, or "
                "restore one of them only",
                "%s (restores[%zu]) and %s (restores[%zu]) would both be "
                "restored as %s on %s",
                an, r, bn, r2, a->target_name, id);
          set_verdict(c, a, SNM_PF_BLOCKED, "collides with %s", bn);
          set_verdict(c, b, SNM_PF_BLOCKED, "collides with %s", an);
        }
      }
    }
  }
}

static int predicted_name(const struct snm_preflight *pf, size_t dom,
                          const char *name)
{
  for (size_t r = 0; r < pf->n_restores; r++)
    for (size_t i = 0;
         pf->restores[r].domain == dom && i < pf->restores[r].n_items; i++)
      if (pf->restores[r].items[i].action != SNM_PF_SKIP &&
          strcmp(pf->restores[r].items[i].target_name, name) == 0)
        return 1;
  return 0;
}

/* Existing indices and aliases on the target. */
static void check_conflicts(struct vctx *c, size_t r)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_restore *rs = &c->plan->restores[r];
  const struct snm_pf_domain *t = &pf->domains[rs->domain];
  const struct snm_pf_domain *src = &pf->domains[c->plan->snapshot.domain];
  const char *id = t->dom->id;
  int skip = rs->on_conflict == SNM_CONFLICT_SKIP;

  for (size_t i = 0; i < pf->restores[r].n_items; i++) {
    struct snm_pf_item *it = &pf->restores[r].items[i];
    const struct snm_pf_existing *ex;
    const char *owner;

    if (it->action == SNM_PF_BLOCKED || it->own)
      continue;
    if (t->reached && (!t->existing_known || !t->aliases_known)) {
      /* a blocker of check_facts says why */
      set_verdict(c, it, SNM_PF_BLOCKED, "not checked: the target's %s",
                  !t->existing_known ? "indices are unknown"
                                     : "aliases are unknown");
      continue;
    }
    if (t->existing_known &&
        (ex = existing_index(t, it->target_name)) != NULL) {
      const char *state = ex->closed ? "closed" : "open";
      if (skip) {
        set_verdict(c, it, SNM_PF_SKIP, "exists (%s): skipped", state);
        continue;
      }
      set_verdict(c, it, SNM_PF_BLOCKED, "exists (%s)", state);
      ISSUE(c, SNM_PF_BLOCKER, "index-exists", id, it->target_name,
            ex->closed ? "delete it, rename the restore, or set on_conflict "
                         "to \"skip\" (snapmig never overwrites an index)"
                       : "delete it, rename the restore, or set on_conflict "
                         "to \"skip\"",
            "%s index %s already exists on %s (restore of %s)%s", state,
            it->target_name, id, pf->indices[it->index].name,
            ex->closed ? ": the restore would overwrite it" : "");
      continue;
    }
    if (t->aliases_known &&
        (owner = existing_alias(t, it->target_name)) != NULL) {
      set_verdict(c, it, SNM_PF_BLOCKED, "name taken by an alias");
      ISSUE(c, SNM_PF_BLOCKER, "alias-conflict", id, it->target_name,
            "rename the restore, or remove the alias",
            "%s is an alias (of %s) on %s; an index cannot take its name",
            it->target_name, owner, id);
      continue;
    }
    if (!rs->include_aliases || it->action != SNM_PF_RESTORE)
      continue;
    for (size_t k = 0; k < src->n_aliases; k++) {
      const char *alias = src->aliases[k].alias;
      if (strcmp(src->aliases[k].index, pf->indices[it->index].name) != 0)
        continue;
      if ((t->existing_known && existing_index(t, alias) != NULL) ||
          predicted_name(pf, rs->domain, alias)) {
        set_verdict(c, it, SNM_PF_BLOCKED, "alias %s collides", alias);
        ISSUE(c, SNM_PF_BLOCKER, "alias-conflict", id, it->target_name,
              "set include_aliases to false, or rename the index",
              "alias %s of %s would collide with the index %s on %s", alias,
              pf->indices[it->index].name, alias, id);
      } else if (t->aliases_known && existing_alias(t, alias) != NULL) {
        ISSUE(c, SNM_PF_WARNING, "alias-exists", id, it->target_name,
              "set include_aliases to false if the alias must keep "
              "pointing only at its current indices",
              "alias %s exists on %s; restoring %s adds %s to it", alias, id,
              pf->indices[it->index].name, it->target_name);
      }
    }
  }
}

static void check_versions(struct vctx *c, size_t r)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_restore *rs = &c->plan->restores[r];
  const struct snm_pf_domain *t = &pf->domains[rs->domain];
  const struct snm_pf_domain *s = &pf->domains[c->plan->snapshot.domain];
  char why[512];

  if (!t->reached || !s->reached)
    return;
  if (!snm_compat_restore(&s->info.version, NULL, &t->info.version, why,
                          sizeof(why))) {
    ISSUE(c, SNM_PF_BLOCKER, "version", t->dom->id, NULL,
          "migrate in the supported direction, or through an intermediate "
          "cluster",
          "restores[%zu] onto %s: %s", r, t->dom->id, why);
    for (size_t i = 0; i < pf->restores[r].n_items; i++)
      set_verdict(c, &pf->restores[r].items[i], SNM_PF_BLOCKED,
                  "version: cannot restore");
    return;
  }
  for (size_t i = 0; i < pf->restores[r].n_items; i++) {
    struct snm_pf_item *it = &pf->restores[r].items[i];
    const struct snm_pf_index *ix = &pf->indices[it->index];
    if (ix->created.engine == SNM_ENGINE_UNKNOWN)
      continue;
    if (!snm_compat_restore(&s->info.version, &ix->created, &t->info.version,
                            why, sizeof(why))) {
      set_verdict(c, it, SNM_PF_BLOCKED, "version: cannot restore");
      ISSUE(c, SNM_PF_BLOCKER, "version", t->dom->id, ix->name,
            "reindex it on a version the target reads, or leave it out",
            "%s cannot be restored on %s: %s", ix->name, t->dom->id, why);
    }
  }
}

long long snm__sat_add(long long a, long long b)
{
  long long r;

  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? LLONG_MAX : LLONG_MIN;
  return r;
}

long long snm__sat_mul(long long a, long long b)
{
  long long r;

  if (__builtin_mul_overflow(a, b, &r))
    return (a < 0) != (b < 0) ? LLONG_MIN : LLONG_MAX;
  return r;
}

/* Disk, shard headroom and replicas on one target (all its restores). */
static void check_capacity(struct vctx *c, size_t dom)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_pf_domain *t = &pf->domains[dom];
  const char *id = t->dom->id;
  long long bytes = 0;
  long shards = 0, unknown = 0;
  int replicas_single = 0, wait_green = 0;

  for (size_t r = 0; r < pf->n_restores; r++) {
    struct snm_pf_restore *rs = &pf->restores[r];
    if (rs->domain != dom)
      continue;
    rs->bytes_needed = 0;
    rs->new_shards = 0;
    for (size_t i = 0; i < rs->n_items; i++) {
      const struct snm_pf_index *ix = &pf->indices[rs->items[i].index];
      long rep = rs->replicas >= 0   ? rs->replicas
                 : ix->replicas >= 0 ? ix->replicas
                                     : 1;
      long copies = (long)snm__sat_add(1, rep), placed = copies;
      if (rs->items[i].action != SNM_PF_RESTORE || rs->items[i].own)
        continue;
      if (t->data_nodes > 0 && placed > t->data_nodes)
        placed = t->data_nodes; /* never two copies on one node */
      if (ix->pri_bytes >= 0)
        rs->bytes_needed =
            snm__sat_add(rs->bytes_needed, snm__sat_mul(ix->pri_bytes, placed));
      else
        unknown++;
      if (ix->shards > 0)
        rs->new_shards = (long)snm__sat_add(rs->new_shards,
                                            snm__sat_mul(ix->shards, copies));
      if (rep > 0 && t->data_nodes == 1) {
        replicas_single = 1;
        wait_green |= c->plan->restores[r].wait_for == SNM_WAIT_GREEN;
      }
    }
    bytes = snm__sat_add(bytes, rs->bytes_needed);
    shards = (long)snm__sat_add(shards, rs->new_shards);
  }
  if (!t->reached)
    return;
  if (t->disk_usable >= 0 && bytes > t->disk_usable)
    ISSUE(c, SNM_PF_BLOCKER, "disk", id, NULL,
          "free disk space or add nodes on the target, lower the replicas "
          "with index_settings, or restore fewer indices",
          "%s needs %lld bytes for the restored shards but has %lld usable "
          "(below the high disk watermark)",
          id, bytes, t->disk_usable);
  if (unknown > 0)
    ISSUE(c, SNM_PF_WARNING, "size-unknown", id, NULL,
          "open the indices on the source to measure them",
          "the size of %ld restored %s is unknown (closed on the "
          "source); the disk check leaves %s out",
          unknown, unknown == 1 ? "index" : "indices",
          unknown == 1 ? "it" : "them");
  if (t->max_shards_per_node > 0 && t->data_nodes > 0 && t->open_shards >= 0) {
    long headroom = (long)snm__sat_add(
        snm__sat_mul(t->max_shards_per_node, t->data_nodes), -t->open_shards);
    if (shards > headroom)
      ISSUE(c, SNM_PF_BLOCKER, "shard-limit", id, NULL,
            "raise cluster.max_shards_per_node, add data nodes, lower the "
            "replicas with index_settings, or restore fewer indices",
            "%s would get %ld new shards but has room for %ld "
            "(cluster.max_shards_per_node %ld x %ld data node%s - %ld open)",
            id, shards, headroom < 0 ? 0 : headroom, t->max_shards_per_node,
            t->data_nodes, t->data_nodes == 1 ? "" : "s", t->open_shards);
  }
  if (replicas_single)
    ISSUE(c, wait_green ? SNM_PF_BLOCKER : SNM_PF_WARNING,
          "replicas-single-node", id, NULL,
          "add \"index_settings\": {\"index.number_of_replicas\": 0} to the "
          "restore, or set \"wait_for\": \"yellow\"",
          "%s has one data node: replicas of the restored indices can never "
          "be assigned%s",
          id,
          wait_green ? ", so waiting for green health would never end"
                     : " (the indices stay yellow)");
}

static void check_restores(struct vctx *c)
{
  struct snm_preflight *pf = c->pf;
  const char **names = malloc((pf->n_indices + 1) * sizeof(*names));
  size_t *map = malloc((pf->n_indices + 1) * sizeof(*map));
  size_t n = 0;

  pf->restores = calloc(c->plan->n_restores, sizeof(*pf->restores));
  if (names == NULL || map == NULL || pf->restores == NULL) {
    c->nomem = 1;
    goto done;
  }
  pf->n_restores = c->plan->n_restores;
  for (size_t i = 0; i < pf->n_indices; i++)
    if (pf->indices[i].selected) {
      names[n] = pf->indices[i].name;
      map[n++] = i;
    }
  for (size_t r = 0; r < pf->n_restores; r++) {
    pf->restores[r].domain = c->plan->restores[r].domain;
    pf->restores[r].replicas =
        snm_preflight_restore_replicas(&c->plan->restores[r]);
    if (pf->indices_known)
      build_items(c, r, names, map, n);
  }
  for (size_t d = 0; d < pf->n_domains; d++)
    if (pf->domains[d].roles & SNM_PF_ROLE_TARGET)
      check_collisions(c, d);
  for (size_t r = 0; r < pf->n_restores; r++) {
    check_versions(c, r);
    check_conflicts(c, r);
    if (!pf->domains[pf->restores[r].domain].reached)
      for (size_t i = 0; i < pf->restores[r].n_items; i++)
        if (pf->restores[r].items[i].action == SNM_PF_RESTORE)
          set_verdict(c, &pf->restores[r].items[i], SNM_PF_RESTORE,
                      "not checked: target unreachable");
  }
  for (size_t d = 0; d < pf->n_domains; d++)
    if (pf->domains[d].roles & SNM_PF_ROLE_TARGET)
      check_capacity(c, d);
done:
  free(names);
  free(map);
}

int snm_preflight_verdict(struct snm_preflight *pf)
{
  struct vctx c = {pf, pf->plan, 0};

  snm__preflight_clear_verdicts(pf);
  check_domains(&c);
  check_facts(&c);
  check_repos(&c);
  check_source(&c);
  check_restores(&c);
  return c.nomem ? SNM_ENOMEM : 0;
}
