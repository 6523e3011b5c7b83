/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_verdict.c - blockers and warnings from the preflight's facts:
 * the domains, the facts that could not be read, one cluster under
 * several ids, the repository, the source; the restores are in
 * preflight_restore.c.  Pure: no I/O, deterministic for given facts. */
#include "buf.h"
#include "es.h"
#include "indexpat.h"
#include "preflight.h"
#include "preflight_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISSUE SNM__ISSUE

static const char *role_word(unsigned roles)
{
  if (roles & SNM_PF_ROLE_SOURCE)
    return "source";
  if (roles & SNM_PF_ROLE_TARGET)
    return "target";
  return "domain";
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

/* Whether the verdicts about domain d apply: not for a domain that is
 * only the source when the run no longer needs it (source_optional). */
static int needed(const struct snm__vctx *c, const struct snm_pf_domain *d)
{
  return !c->pf->source_optional || d->roles != SNM_PF_ROLE_SOURCE;
}

/* A domain that could not be reached at all: one issue, not one per
 * request. */
static void domain_failed(struct snm__vctx *c, const struct snm_pf_domain *d,
                          const char *label)
{
  const char *id = d->dom->id;
  const char *why = d->error.msg[0] ? without_id(d->error.msg, id) : id;
  int need = needed(c, d);
  enum snm_pf_severity sev = need ? SNM_PF_BLOCKER : SNM_PF_WARNING;
  const char *then = need ? ""
                          : "; the snapshot is already taken, so the run "
                            "goes on with the targets";
  const char *next = !need ? "; the source is needed again only for a new "
                             "snapshot"
                     : c->pf->resuming ? "; then run again: the run resumes "
                                         "where it stopped"
                                       : "";
  char hint[300];

  if (d->error.code == SNM_EAUTH) {
    snprintf(hint, sizeof(hint),
             "fix the credentials named above, or grant the permission it "
             "names%s",
             next[0] != '\0' ? next : "; check only sends GET requests");
    ISSUE(c, sev, "auth", id, NULL, hint, "%s: authentication failed: %s%s",
          label, why, then);
  } else if (d->error.code == SNM_EPARSE) {
    snprintf(hint, sizeof(hint),
             "point the domain's endpoint at the cluster's REST API%s", next);
    ISSUE(c, sev, "not-a-cluster", id, NULL, hint, "%s: %s%s", label, why,
          then);
  } else {
    snprintf(hint, sizeof(hint),
             "check the endpoint, the network path (VPC, security groups, "
             "proxy) and that the cluster is up%s",
             next);
    ISSUE(c, sev, "unreachable", id, NULL, hint, "%s unreachable: %s%s", label,
          why, then);
  }
}

static void check_domains(struct snm__vctx *c)
{
  for (size_t i = 0; i < c->pf->n_domains; i++) {
    const struct snm_pf_domain *d = &c->pf->domains[i];
    char label[160];

    domain_label(label, sizeof(label), d);
    if (!d->reached) {
      domain_failed(c, d, label);
      continue;
    }
    if (strcmp(d->health, "red") == 0)
      ISSUE(c, SNM_PF_WARNING, "health-red", d->dom->id, NULL,
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
    [SNM_PF_FACT_TEMPLATES] = {"templates-unreadable",
                               "list its index templates",
                               "whether a restored data stream gets a "
                               "template with data_stream is unknown",
                               "indices:admin/index_template/get"},
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

/* Does the source hold a data stream that a restore onto d may take?  (The
 * facts are weighed before the restores are built: any selected backing
 * index counts.) */
static int streams_onto(const struct snm__vctx *c,
                        const struct snm_pf_domain *d)
{
  const struct snm_preflight *pf = c->pf;
  int onto = 0;

  for (size_t r = 0; r < c->plan->n_restores && !onto; r++)
    onto = &pf->domains[c->plan->restores[r].domain] == d;
  if (!onto)
    return 0;
  for (size_t i = 0; i < pf->n_indices; i++)
    if (pf->indices[i].data_stream != NULL)
      return 1;
  return 0;
}

/* How an unknown fact weighs for domain d: a blocker where a verdict
 * relies on it, a warning where it is only reported, -1 where it does not
 * matter (not asked, or not for this domain). */
static int fact_weight(const struct snm__vctx *c, const struct snm_pf_domain *d,
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
    /* a target: whether a restored stream's name is taken */
    if (target && streams_onto(c, d))
      return SNM_PF_BLOCKER;
    if (!(d->roles & SNM_PF_ROLE_SOURCE))
      return -1;
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
  case SNM_PF_FACT_TEMPLATES:
    return target && streams_onto(c, d) ? SNM_PF_BLOCKER : -1;
  case SNM_PF_FACT_DISK:
  case SNM_PF_FACT_CLUSTER_SETTINGS:
    return target ? SNM_PF_BLOCKER : -1;
  case SNM_PF_N_FACTS:
    break;
  }
  return -1;
}

static void check_facts(struct snm__vctx *c)
{
  for (size_t i = 0; i < c->pf->n_domains; i++) {
    const struct snm_pf_domain *d = &c->pf->domains[i];
    const char *id = d->dom->id;
    char label[160], hint[400];

    if (!d->reached || d->roles == 0 || !needed(c, d))
      continue; /* check_domains said why, or not needed */
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

/* ---- one cluster under several ids ------------------------------------ */

static int uuid_usable(const struct snm_pf_domain *d)
{
  return d->reached && d->cluster_uuid[0] != '\0' &&
         strcmp(d->cluster_uuid, "_na_") != 0;
}

/* Which domain of a group speaks for the cluster: the source, else one the
 * plan uses, else the first. */
static int same_rank(const struct snm__vctx *c, size_t d)
{
  if (d == c->plan->snapshot.domain)
    return 0;
  return c->pf->domains[d].roles != 0 ? 1 : 2;
}

/* pf->domains[].same_as, and the registration a domain that is another's
 * cluster shares: no registration of its own is planned (the source's,
 * writable, even with readonly_on_targets). */
static void find_same_clusters(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;

  for (size_t d = 0; d < pf->n_domains; d++) {
    struct snm_pf_domain *dd = &pf->domains[d];
    size_t best = d;

    dd->same_as = -1;
    dd->same_as_source = 0;
    if (!uuid_usable(dd))
      continue;
    for (size_t k = 0; k < pf->n_domains; k++) {
      const struct snm_pf_domain *dk = &pf->domains[k];
      if (k == best || !uuid_usable(dk) ||
          strcmp(dk->cluster_uuid, dd->cluster_uuid) != 0)
        continue;
      if (same_rank(c, k) < same_rank(c, best) ||
          (same_rank(c, k) == same_rank(c, best) && k < best))
        best = k;
    }
    if (best == d)
      continue;
    dd->same_as = (int)best;
    dd->same_as_source = best == c->plan->snapshot.domain &&
                         (dd->roles & SNM_PF_ROLE_TARGET) != 0;
    if (dd->roles == 0)
      continue;
    free(dd->repo_want_json);
    dd->repo_want_json = NULL;
    if (snm_preflight_repo_body(&dd->repo_want_json, NULL, c->plan, best) != 0)
      c->nomem = 1;
    free(dd->repo_endpoint_note); /* its own registration is not made */
    dd->repo_endpoint_note = NULL;
  }
}

size_t snm__pf_cluster_of(const struct snm_preflight *pf, size_t d)
{
  return pf->domains[d].same_as >= 0 ? (size_t)pf->domains[d].same_as : d;
}

/* ---- repository ------------------------------------------------------- */

/* The "same-cluster" warning for a domain that is another's cluster: run
 * registers the repository there once, writable (the workflow reads
 * same_as / same_as_source). */
static void check_same_cluster(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;

  for (size_t i = 0; i < pf->n_domains; i++) {
    const struct snm_pf_domain *d = &pf->domains[i];
    const struct snm_pf_domain *s;

    if (d->same_as < 0 || d->roles == 0)
      continue;
    s = &pf->domains[d->same_as];
    if (d->same_as_source)
      ISSUE(c, SNM_PF_WARNING, "same-cluster", d->dom->id, NULL,
            "nothing to do if a copy within one cluster is what you want; "
            "restores onto it need a rename",
            "%s is the same cluster as the source %s (cluster_uuid %s): the "
            "repository is registered there once, writable, and restores "
            "copy within that cluster",
            d->dom->id, s->dom->id, d->cluster_uuid);
    else
      ISSUE(c, SNM_PF_WARNING, "same-cluster", d->dom->id, NULL,
            "nothing to do if both ids are meant to name one cluster",
            "%s is the same cluster as %s (cluster_uuid %s): the repository "
            "is registered there once, and their restores land on one "
            "cluster",
            d->dom->id, s->dom->id, d->cluster_uuid);
  }
}

/* The security plugin refused one of check's own requests for want of
 * `perm`: the identity is not mapped to what the run needs on `d`. */
static void permission_missing(struct snm__vctx *c,
                               const struct snm_pf_domain *d, const char *perm)
{
  const struct snm_domain *dom = d->dom;
  int source = (d->roles & SNM_PF_ROLE_SOURCE) != 0;
  char who[200];

  if (dom->auth == SNM_AUTH_BASIC)
    snprintf(who, sizeof(who), "user \"%s\"", dom->username);
  else if (dom->auth == SNM_AUTH_AWS_SIGV4)
    snprintf(who, sizeof(who), "the AWS identity");
  else
    snprintf(who, sizeof(who), "the anonymous user");
  ISSUE(c, SNM_PF_BLOCKER, "permission-missing", dom->id, NULL,
        dom->auth == SNM_AUTH_AWS_SIGV4
            ? "map the IAM role or user ARN that signs the requests as a "
              "backend role of the manage_snapshots role (fine-grained "
              "access control: Security > Roles > manage_snapshots > Mapped "
              "users), or give one of its roles these permissions"
            : "map the identity to the manage_snapshots role (it grants "
              "cluster:admin/repository/* and cluster:admin/snapshot/*), or "
              "give one of its roles these permissions",
        "%s on %s lacks %s; the run needs cluster:admin/repository/put and "
        "%s there (%s)",
        who, dom->id, perm,
        source ? "cluster:admin/snapshot/create"
               : "cluster:admin/snapshot/restore",
        d->repo_error);
}

static void check_repos(struct snm__vctx *c)
{
  char perm[128];
  const char *repo = c->plan->repository.name;

  check_same_cluster(c);
  for (size_t i = 0; i < c->pf->n_domains; i++) {
    struct snm_pf_domain *d = &c->pf->domains[i];
    const char *id = d->dom->id;

    if (d->roles == 0 || !d->reached || d->same_as >= 0 || !needed(c, d))
      continue; /* a shared registration is checked once */
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
    if (d->repo_error != NULL &&
        snm_es_denied_permission(perm, sizeof(perm), d->repo_error)) {
      /* said from the security plugin's roles already (check_security) */
      if (snm__pf_security_grant(&d->sec, NULL) != SNM_PF_GRANT_NO)
        permission_missing(c, d, perm);
    } else if (d->repo_error != NULL)
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
  for (size_t i = 0; i < c->pf->n_domains; i++) {
    struct snm_pf_domain *d = &c->pf->domains[i];
    if (d->same_as >= 0 && d->roles != 0)
      d->repo_state = c->pf->domains[d->same_as].repo_state;
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
static void select_source(struct snm__vctx *c, const struct snm_pf_domain *src)
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
    if (explicit && (snm_index_is_protected(ix->name) || ix->hidden)) {
      n_sel++;
      ISSUE(c, SNM_PF_BLOCKER, "system-index-named", id, ix->name,
            "remove it from snapshot.indices (a pattern such as \"*\" "
            "leaves it out by itself); recreate users, roles and dashboards "
            "on the target with its own tools",
            "%s is a %s index that the plan names: restoring it would "
            "replace the target's own %s and break its security",
            ix->name, ix->hidden ? "hidden system" : "security or plugin",
            strstr(ix->name, "security") != NULL
                ? "users, roles and role mappings"
                : "state (dashboards, plugins, security)");
    } else if (explicit) {
      n_sel++;
      ISSUE(c, SNM_PF_WARNING, "system-index", id, ix->name,
            "restore it only onto a cluster where nothing else owns it; "
            "leave it out otherwise",
            "system index %s is snapshotted because the plan names it; "
            "restoring it may break the target's own (security, dashboards, "
            "plugins)",
            ix->name);
    } else if (n_left++ < 8) {
      snm_best_effort(
          snm_buf_printf(&left, "%s%s", n_left > 1 ? ", " : "", ix->name));
    }
  }
  if (n_left > 0)
    ISSUE(c, SNM_PF_WARNING, "system-indices-left-out", id, NULL,
          "name a dot-index in snapshot.indices only if it holds your "
          "own data; security and plugin indices (.opendistro_security, "
          ".kibana*, .opensearch-*, ...) are never migrated",
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

static void check_source(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;
  struct snm_pf_domain *src = &pf->domains[c->plan->snapshot.domain];
  const char *id = src->dom->id;
  const struct snm_version *v = &src->info.version;

  if (!src->reached || !needed(c, src))
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
  snm__pf_check_source_streams(c);
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

int snm_preflight_verdict(struct snm_preflight *pf)
{
  struct snm__vctx c = {pf, pf->plan, 0};

  snm__preflight_clear_verdicts(pf);
  find_same_clusters(&c);
  check_domains(&c);
  check_facts(&c);
  check_repos(&c);
  snm__pf_check_security(&c);
  check_source(&c);
  snm__pf_check_restores(&c);
  if (pf->rounds != NULL || pf->rounds_error != NULL)
    snm__pf_check_rounds(&c);
  snm__pf_check_write_security(&c);
  snm__pf_check_meta(&c);
  return c.nomem ? SNM_ENOMEM : 0;
}
