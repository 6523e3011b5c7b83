/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_security.c - the OpenSearch security plugin: who check is on
 * each domain, the security roles that identity is mapped to, and whether
 * those roles grant what the run will do there, told before anything
 * changes.
 *
 * GET _plugins/_security/authinfo (_opendistro/_security/authinfo on
 * Elasticsearch, the Open Distro plugin of AWS's 7.x domains) answers any
 * authenticated user with its user name, backend roles and mapped roles.
 * What a role grants is readable only with the plugin's REST API rights
 * (GET _plugins/_security/api/roles; permissionsinfo tells about those
 * rights, not about actions), which the identity of a migration seldom
 * has.  The plugin's static roles, though, are fixed by the plugin itself
 * and cannot be redefined on a cluster: all_access and manage_snapshots
 * grant everything a snapshot or restore needs, the others nothing of it.
 * So the verdict knows the answer when every role is a static one, or when
 * one of them grants it; with any other role it says it cannot tell and
 * reports no issue (the refused repository read, preflight_verdict.c,
 * remains the fallback).  A cluster without the plugin (400 "no handler
 * found", 404) is left alone. */
#include "buf.h"
#include "jtree.h"
#include "log.h"
#include "preflight.h"
#include "preflight_int.h"
#include "transport.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the roles snapmig knows ----------------------------------------- */

/* The plugin's static roles (its static_roles.yml; OpenSearch 2.19 and the
 * Open Distro plugin alike) and whether each grants the run's snapshot
 * permissions: every cluster:admin/repository/ and cluster:admin/snapshot/
 * action and, on every index, indices:admin/create and indices:data/write/index
 * (a restore checks those on the restored names).  `grants` is all or none: no
 * static role grants a part of them. */
static const struct {
  const char *name;
  int grants;
  int closes; /* grants indices:admin/close on every index too (a sync
                 round, or on_conflict "replace", closes the indices it
                 restores over); manage_snapshots does not */
} static_roles[] = {
    {"all_access", 1, 1},  {"manage_snapshots", 1, 0},
    {"kibana_user", 0, 0}, {"kibana_server", 0, 0},
    {"logstash", 0, 0},    {"own_index", 0, 0},
    {"readall", 0, 0},     {"readall_and_monitor", 0, 0},
};

/* Of static role `role`: 1 when it grants the snapshot permissions
 * (`closes` 0) or indices:admin/close too (`closes` 1), 0 when not, -1
 * when it is not a static role (its definition is not known). */
static int static_role_grants(const char *role, int closes)
{
  for (size_t i = 0; i < sizeof(static_roles) / sizeof(static_roles[0]); i++)
    if (strcmp(static_roles[i].name, role) == 0)
      return closes ? static_roles[i].closes : static_roles[i].grants;
  return -1;
}

/* The verdict over sec's roles (see static_role_grants). */
static enum snm_pf_grant grant_of(const struct snm_pf_security *sec, int closes,
                                  const char **granting)
{
  int unknown = 0;

  if (granting != NULL)
    *granting = NULL;
  if (sec->state != SNM_PF_SEC_KNOWN)
    return SNM_PF_GRANT_UNKNOWN;
  for (size_t i = 0; i < sec->n_roles; i++) {
    int g = static_role_grants(sec->roles[i], closes);
    if (g == 1) {
      if (granting != NULL)
        *granting = sec->roles[i];
      return SNM_PF_GRANT_YES;
    }
    if (g < 0)
      unknown = 1;
  }
  return unknown ? SNM_PF_GRANT_UNKNOWN : SNM_PF_GRANT_NO;
}

enum snm_pf_grant
snm__pf_security_grant_close(const struct snm_pf_security *sec)
{
  return grant_of(sec, 1, NULL);
}

enum snm_pf_grant snm__pf_security_grant(const struct snm_pf_security *sec,
                                         const char **granting)
{
  return grant_of(sec, 0, granting);
}

/* ---- reading authinfo --------------------------------------------------- */

void snm__pf_security_dispose(struct snm_pf_security *sec)
{
  free(sec->path);
  free(sec->error);
  free(sec->user);
  for (size_t i = 0; i < sec->n_roles; i++)
    free(sec->roles[i]);
  free(sec->roles);
  for (size_t i = 0; i < sec->n_backend_roles; i++)
    free(sec->backend_roles[i]);
  free(sec->backend_roles);
  free(sec->missing);
  free(sec->unknown_roles);
  memset(sec, 0, sizeof(*sec));
}

/* A JSON array of strings into a malloced list: 0, -1 when `v` is not
 * one (why set), SNM_ENOMEM. */
static int string_list(char ***out, size_t *n, yajl_val v, const char *key,
                       char *why, size_t whysz)
{
  char **list;

  *out = NULL;
  *n = 0;
  if (!YAJL_IS_ARRAY(v)) {
    snprintf(why, whysz, "\"%s\" is %s, not a list of names", key,
             v == NULL ? "missing" : "of another type");
    return -1;
  }
  for (size_t i = 0; i < v->u.array.len; i++)
    if (!YAJL_IS_STRING(v->u.array.values[i])) {
      snprintf(why, whysz, "\"%s\" holds something other than names", key);
      return -1;
    }
  if (v->u.array.len == 0)
    return 0;
  list = calloc(v->u.array.len, sizeof(*list));
  if (list == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < v->u.array.len; i++) {
    const char *name = YAJL_GET_STRING(v->u.array.values[i]);
    list[i] = strdup(name != NULL ? name : "");
    if (list[i] == NULL) {
      for (size_t k = 0; k < i; k++)
        free(list[k]);
      free(list);
      return SNM_ENOMEM;
    }
  }
  *out = list;
  *n = v->u.array.len;
  return 0;
}

int snm__pf_parse_authinfo(struct snm_pf_security *sec, yajl_val j, char *why,
                           size_t whysz)
{
  yajl_val user = snm_jget(j, "user_name", (char *)NULL);
  char **roles = NULL, **backend = NULL;
  size_t n_roles = 0, n_backend = 0;
  int rc;

  if (!YAJL_IS_OBJECT(j)) {
    snprintf(why, whysz, "the reply is not an object");
    return -1;
  }
  if (user != NULL && !YAJL_IS_STRING(user) && !YAJL_IS_NULL(user)) {
    snprintf(why, whysz, "\"user_name\" is not a string");
    return -1;
  }
  rc = string_list(&roles, &n_roles, snm_jget(j, "roles", (char *)NULL),
                   "roles", why, whysz);
  if (rc == 0)
    rc = string_list(&backend, &n_backend,
                     snm_jget(j, "backend_roles", (char *)NULL),
                     "backend_roles", why, whysz);
  if (rc == 0) {
    const char *name = YAJL_IS_STRING(user) ? YAJL_GET_STRING(user) : NULL;
    sec->user = strdup(name != NULL ? name : "");
    if (sec->user == NULL)
      rc = SNM_ENOMEM;
  }
  if (rc != 0) {
    for (size_t i = 0; i < n_roles; i++)
      free(roles[i]);
    free(roles);
    for (size_t i = 0; i < n_backend; i++)
      free(backend[i]);
    free(backend);
    return rc;
  }
  sec->roles = roles;
  sec->n_roles = n_roles;
  sec->backend_roles = backend;
  sec->n_backend_roles = n_backend;
  sec->state = SNM_PF_SEC_KNOWN;
  return 0;
}

/* A reply that says no security plugin serves the path: OpenSearch's 400
 * "no handler found for uri [...]", or a 404 (Elasticsearch takes
 * "_opendistro" for an index name that does not exist; a proxy). */
static int plugin_absent(const struct snm_es_reply *reply)
{
  const char *e;

  if (reply == NULL)
    return 0;
  if (reply->status == 404)
    return 1;
  if (reply->status != 400)
    return 0;
  e = snm_jstr(reply->json, "error", (char *)NULL);
  if (e == NULL)
    e = snm_jstr(reply->json, "error", "reason", (char *)NULL);
  return e != NULL && strstr(e, "no handler found") != NULL;
}

int snm__pf_security_record(struct snm_pf_security *sec, const char *domain_id,
                            const struct snm_es_reply *reply,
                            const struct snm_err *err)
{
  char why[200];
  struct snm_buf msg;
  int rc;

  if (plugin_absent(reply)) {
    sec->state = SNM_PF_SEC_ABSENT;
    return 0;
  }
  if (err->code == SNM_OK) {
    if (reply->json == NULL)
      snprintf(why, sizeof(why), "%s",
               reply->body_len == 0 ? "the reply is empty"
                                    : "the reply is not JSON");
    else if ((rc = snm__pf_parse_authinfo(sec, reply->json, why,
                                          sizeof(why))) == 0)
      return 0;
    else if (rc == SNM_ENOMEM)
      return SNM_ENOMEM;
  }
  sec->state = SNM_PF_SEC_UNKNOWN;
  free(sec->error);
  if (err->code != SNM_OK) {
    sec->error = strdup(err->msg);
    return sec->error != NULL ? 0 : SNM_ENOMEM;
  }
  /* worded like the es layer's messages: "ID: GET PATH: ..." */
  snm_buf_init(&msg, 0);
  rc = snm_buf_printf(&msg, "%s: GET %s: HTTP %ld, but %s", domain_id,
                      sec->path != NULL ? sec->path : "authinfo", reply->status,
                      why);
  sec->error = rc == 0 ? snm_buf_steal(&msg) : NULL;
  snm_buf_dispose(&msg);
  return sec->error != NULL ? 0 : SNM_ENOMEM;
}

/* ---- the request ----------------------------------------------------------
 */

struct sec_req {
  struct snm_preflight *pf;
  size_t domain;
};

static void on_authinfo(const struct snm_es_reply *reply,
                        const struct snm_err *err, void *data)
{
  struct sec_req *rq = data;
  struct snm_preflight *pf = rq->pf;
  struct snm_pf_domain *d = &pf->domains[rq->domain];

  if (err->code != SNM_ECANCELED && !pf->canceled &&
      snm__pf_security_record(&d->sec, d->dom->id, reply, err) != 0)
    pf->nomem = 1;
  free(rq);
  snm__pf_request_done(pf);
}

void snm__pf_security_send(struct snm_preflight *pf, size_t di)
{
  struct snm_pf_domain *d = &pf->domains[di];
  const char *path;
  struct sec_req *rq;
  struct snm_err err;

  if (pf->canceled || d->roles == 0 || !d->reached)
    return;
  switch (d->info.version.engine) {
  case SNM_ENGINE_OPENSEARCH:
    path = "/_plugins/_security/authinfo";
    break;
  case SNM_ENGINE_ELASTICSEARCH:
    path = "/_opendistro/_security/authinfo";
    break;
  default:
    return; /* nothing known to ask */
  }
  d->sec.path = strdup(path);
  rq = calloc(1, sizeof(*rq));
  if (d->sec.path == NULL || rq == NULL) {
    free(rq);
    pf->nomem = 1;
    return;
  }
  rq->pf = pf;
  rq->domain = di;
  snm_err_clear(&err);
  pf->pending++;
  if (snm_transport_send(pf->transport,
                         &(struct snm_request){.loop = pf->loop,
                                               .es = &pf->es[di],
                                               .method = "GET",
                                               .path = path},
                         on_authinfo, rq, &err) != 0) {
    pf->pending--;
    free(rq);
    if (err.code == SNM_ENOMEM)
      pf->nomem = 1;
    d->sec.error = strdup(err.msg);
    if (d->sec.error == NULL)
      pf->nomem = 1;
    return;
  }
  pf->requests++;
}

/* ---- the verdict ----------------------------------------------------------
 */

/* Whether the run registers the repository on d itself (not when it is
 * registered as the plan says, nor on another id of the same cluster). */
static int registers(const struct snm_pf_domain *d)
{
  return d->same_as < 0 && d->repo_state != SNM_PF_REPO_MATCHES;
}

/* The permissions the run needs on d, of those a snapshot role grants,
 * into `need` (at most 8); returns how many. */
static size_t run_needs(const struct snm_pf_domain *d, const char **need)
{
  size_t n = 0;

  if (registers(d))
    need[n++] = "cluster:admin/repository/put";
  if (d->roles & SNM_PF_ROLE_SOURCE) {
    need[n++] = "cluster:admin/snapshot/create";
    need[n++] = "cluster:admin/snapshot/get";
    need[n++] = "cluster:admin/snapshot/status";
  }
  if (d->roles & SNM_PF_ROLE_TARGET) {
    need[n++] = "cluster:admin/snapshot/restore";
    need[n++] = "indices:admin/create";
    need[n++] = "indices:data/write/index";
  }
  return n;
}

/* "a, b" (or "none") appended to b; 0 or SNM_ENOMEM. */
static int join(struct snm_buf *b, char *const *v, size_t n)
{
  int rc = 0;

  for (size_t i = 0; i < n && rc == 0; i++)
    rc = snm_buf_printf(b, "%s%s", i > 0 ? ", " : "", v[i]);
  if (n == 0)
    rc = snm_buf_puts(b, "none");
  return rc;
}

/* sec->unknown_roles: the roles that are not static ones. */
static int list_unknown_roles(struct snm_pf_security *sec)
{
  struct snm_buf b;
  size_t n = 0;
  int rc = 0;

  snm_buf_init(&b, 0);
  for (size_t i = 0; i < sec->n_roles && rc == 0; i++)
    if (static_role_grants(sec->roles[i], 0) < 0)
      rc = snm_buf_printf(&b, "%s%s", n++ > 0 ? ", " : "", sec->roles[i]);
  sec->unknown_roles = rc == 0 && n > 0 ? snm_buf_steal(&b) : NULL;
  snm_buf_dispose(&b);
  return rc != 0 || (n > 0 && sec->unknown_roles == NULL) ? SNM_ENOMEM : 0;
}

static void permission_blocker(struct snm__vctx *c, struct snm_pf_domain *d)
{
  const struct snm_domain *dom = d->dom;
  struct snm_pf_security *sec = &d->sec;
  int aws = dom->auth == SNM_AUTH_AWS_SIGV4;
  const char *api = d->info.version.engine == SNM_ENGINE_ELASTICSEARCH
                        ? "_opendistro"
                        : "_plugins";
  struct snm_buf who, roles, backend, hint;
  int rc;

  snm_buf_init(&who, 0);
  snm_buf_init(&roles, 0);
  snm_buf_init(&backend, 0);
  snm_buf_init(&hint, 0);
  if (aws)
    rc = snm_buf_printf(&who, "the AWS identity %s", sec->user);
  else if (sec->user[0] != '\0')
    rc = snm_buf_printf(&who, "user \"%s\"", sec->user);
  else
    rc = snm_buf_puts(&who, "the identity");
  if (rc == 0)
    rc = join(&roles, sec->roles, sec->n_roles);
  if (rc == 0)
    rc = join(&backend, sec->backend_roles, sec->n_backend_roles);
  if (rc != 0)
    c->nomem = 1;
  else if (aws)
    rc = snm_buf_printf(
        &hint,
        "map the IAM role or user ARN that signs the requests "
        "(%s) as a backend role of the manage_snapshots role in "
        "fine-grained access control (Security > Roles > "
        "manage_snapshots > Mapped users, or PUT %s/_security/api/"
        "rolesmapping/manage_snapshots as the master user), or "
        "give one of its roles these permissions; then run check "
        "again",
        sec->n_backend_roles > 0 ? snm_buf_str(&backend) : sec->user, api);
  else
    rc = snm_buf_printf(
        &hint,
        "map %s to the manage_snapshots role (it grants "
        "cluster:admin/repository/*, cluster:admin/snapshot/* "
        "and index creation for restores: Security > Roles > "
        "manage_snapshots > Mapped users, or PUT %s/_security/"
        "api/rolesmapping/manage_snapshots as an admin), or give "
        "one of its roles these permissions; then run check again",
        snm_buf_str(&who), api);
  if (rc != 0)
    c->nomem = 1;
  else
    SNM__ISSUE(c, SNM_PF_BLOCKER, "permission-missing", dom->id, NULL,
               snm_buf_str(&hint),
               "%s on %s lacks %s, which the run needs there: the security "
               "plugin maps it to the roles %s (backend roles: %s), none of "
               "which grants them",
               snm_buf_str(&who), dom->id, sec->missing, snm_buf_str(&roles),
               snm_buf_str(&backend));
  snm_buf_dispose(&who);
  snm_buf_dispose(&roles);
  snm_buf_dispose(&backend);
  snm_buf_dispose(&hint);
}

void snm__pf_check_security(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;

  for (size_t i = 0; i < pf->n_domains; i++) {
    struct snm_pf_domain *d = &pf->domains[i];
    struct snm_pf_security *sec = &d->sec;
    const char *need[8];
    size_t n;
    struct snm_buf b;
    int rc = 0;

    free(sec->missing);
    free(sec->unknown_roles);
    sec->missing = sec->unknown_roles = NULL;
    sec->grant = snm__pf_security_grant(sec, NULL);
    if (sec->state != SNM_PF_SEC_KNOWN || d->roles == 0 || !d->reached)
      continue;
    if (list_unknown_roles(sec) != 0)
      c->nomem = 1;
    if (sec->grant != SNM_PF_GRANT_NO)
      continue;
    /* not for a source the run no longer needs (a resumed run whose
     * snapshot is taken) */
    if (pf->source_optional && d->roles == SNM_PF_ROLE_SOURCE)
      continue;
    n = run_needs(d, need);
    snm_buf_init(&b, 0);
    for (size_t k = 0; k < n && rc == 0; k++)
      rc = snm_buf_printf(&b, "%s%s", k > 0 ? ", " : "", need[k]);
    sec->missing = rc == 0 ? snm_buf_steal(&b) : NULL;
    snm_buf_dispose(&b);
    if (sec->missing == NULL) {
      c->nomem = 1;
      continue;
    }
    permission_blocker(c, d);
  }
}

/* The restores that close and restore over target indices (a sync round's
 * earlier indices, on_conflict "replace") need indices:admin/close on
 * them, which manage_snapshots does not grant: the run would stop with a
 * 403 at the close.  Once per target domain, after the restores' verdicts
 * (snm__pf_check_restores, snm__pf_check_rounds). */
/* "user \"x\"" / "the AWS identity ARN" / "the identity" into who. */
static void who_text(char *who, size_t size, const struct snm_pf_domain *d)
{
  const struct snm_pf_security *sec = &d->sec;

  if (d->dom->auth == SNM_AUTH_AWS_SIGV4)
    snprintf(who, size, "the AWS identity %s", sec->user);
  else if (sec->user[0] != '\0')
    snprintf(who, size, "user \"%s\"", sec->user);
  else
    snprintf(who, size, "the identity");
}

/* The cutover of a plan with a "cutover" section write-blocks the source
 * (PUT _block/write: indices:admin/block/add; the previous values back:
 * indices:admin/settings/update) and moves aliases on targets (POST
 * _aliases: indices:admin/aliases); manage_snapshots grants none of it.
 * A warning, never a blocker: `run` and `sync` do not need them. */
static void check_cutover_security(struct snm__vctx *c, size_t i,
                                   const char *who, const char *roles,
                                   enum snm_pf_grant g)
{
  const struct snm_plan *plan = c->plan;
  struct snm_pf_domain *d = &c->pf->domains[i];
  size_t n_aliases = 0;
  int source = plan->snapshot.domain == i;
  const char *perms;

  for (size_t k = 0; k < plan->cutover.n_aliases; k++)
    n_aliases += plan->cutover.aliases[k].domain == i;
  if (!plan->cutover.present || (!source && n_aliases == 0))
    return;
  perms = source && n_aliases > 0
              ? "indices:admin/block/add and indices:admin/settings/update "
                "on the source indices, indices:admin/aliases on the "
                "cutover's aliases and indices"
          : source ? "indices:admin/block/add and indices:admin/settings/"
                     "update on the source indices"
                   : "indices:admin/aliases on the cutover's aliases and "
                     "indices";
  if (g == SNM_PF_GRANT_NO)
    SNM__ISSUE(c, SNM_PF_WARNING, "cutover-permission", d->dom->id, NULL,
               "give one of its roles those permissions (a role of your "
               "own, or all_access) before `snapmig cutover`; run and sync "
               "do not need them",
               "%s on %s lacks %s, which `snapmig cutover` needs there (to "
               "%s): the security plugin maps it to the roles %s, none of "
               "which grants them (manage_snapshots does not)",
               who, d->dom->id, perms,
               source && n_aliases > 0 ? "write-block the source and move "
                                         "the aliases"
               : source                ? "write-block the source and lift "
                                         "the blocks"
                                       : "move the aliases",
               roles);
  else
    SNM__ISSUE(c, SNM_PF_WARNING, "cutover-permission", d->dom->id, NULL,
               "make sure one of its roles grants them before `snapmig "
               "cutover`; without them the cutover stops with a 403 (before "
               "the block, or with the blocks put back)",
               "cannot tell whether %s on %s has %s, which `snapmig cutover` "
               "needs there: its roles are %s; manage_snapshots does not "
               "grant them, and what the others grant is readable only with "
               "the security REST API's rights",
               who, d->dom->id, perms, roles);
}

void snm__pf_check_write_security(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;

  for (size_t i = 0; i < pf->n_domains; i++) {
    struct snm_pf_domain *d = &pf->domains[i];
    struct snm_pf_security *sec = &d->sec;
    long n = 0;
    enum snm_pf_grant g;
    struct snm_buf roles;
    char who[300];

    for (size_t r = 0; r < pf->n_restores; r++)
      if (pf->restores[r].domain == i && pf->restores[r].n_replace > 0)
        n += pf->restores[r].n_replace;
    /* nothing read, or already blocked for the snapshot permissions (that
     * blocker names the role to map) */
    if (sec->state != SNM_PF_SEC_KNOWN || !d->reached ||
        sec->grant == SNM_PF_GRANT_NO)
      continue;
    g = snm__pf_security_grant_close(sec);
    if (g == SNM_PF_GRANT_YES)
      continue;
    snm_buf_init(&roles, 0);
    if (join(&roles, sec->roles, sec->n_roles) != 0) {
      c->nomem = 1;
      snm_buf_dispose(&roles);
      continue;
    }
    who_text(who, sizeof(who), d);
    if (n > 0 && g == SNM_PF_GRANT_NO)
      SNM__ISSUE(c, SNM_PF_BLOCKER, "permission-missing", d->dom->id, NULL,
                 "give one of its roles indices:admin/close on the indices "
                 "it restores over (a role of your own, or all_access), "
                 "then run check again",
                 "%s on %s lacks indices:admin/close, which closing and "
                 "restoring over %ld ind%s needs there: the security "
                 "plugin maps it to the roles %s, none of which grants it "
                 "(manage_snapshots does not)",
                 who, d->dom->id, n, n == 1 ? "ex" : "ices",
                 snm_buf_str(&roles));
    else if (n > 0)
      SNM__ISSUE(c, SNM_PF_WARNING, "permission-unknown", d->dom->id, NULL,
                 "make sure one of its roles grants indices:admin/close on "
                 "those indices; without it the run stops at the close "
                 "with a 403, before anything is restored over",
                 "cannot tell whether %s on %s may close indices "
                 "(indices:admin/close), which closing and restoring over "
                 "%ld ind%s needs there: its roles are %s; manage_snapshots "
                 "does not grant it, and what the others grant is readable "
                 "only with the security REST API's rights",
                 who, d->dom->id, n, n == 1 ? "ex" : "ices",
                 snm_buf_str(&roles));
    check_cutover_security(c, i, who, snm_buf_str(&roles), g);
    snm_buf_dispose(&roles);
  }
}
