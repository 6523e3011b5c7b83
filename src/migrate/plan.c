/* SPDX-License-Identifier: Apache-2.0 */
/* plan.c - plan file -> struct snm_plan, reporting every problem found.
 *
 * The walk reads each section with the typed readers of plan_read.c, keeps
 * going after a problem, and adds one located diagnostic per problem.  Cross
 * references (domain ids, the source vs. the targets) are checked once the
 * domains are known.
 */
#include "plan_int.h"
#include "log.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "$schema" names the JSON Schema an editor validates the plan with
 * (docs/plan.schema.json); snapmig only checks that it is a string. */
static const char *const root_keys[] = {
    "$schema",  "snapmig", "name",     "domains", "repository", "snapshot",
    "restores", "polling", "metadata", "cutover", NULL};
static const char *const repo_keys[] = {
    "name", "type", "settings", "readonly_on_targets", "keep_snapshots", NULL};
static const char *const repo_type_names[] = {"s3", "fs", NULL};
static const char *const snapshot_keys[] = {
    "domain", "name", "indices", "include_global_state", "allow_partial", NULL};
static const char *const restore_keys[] = {"domain",
                                           "indices",
                                           "rename",
                                           "index_settings",
                                           "ignore_index_settings",
                                           "include_aliases",
                                           "on_conflict",
                                           "wait_for",
                                           "verify",
                                           "sample_size",
                                           NULL};
static const char *const rename_keys[] = {"pattern", "replacement", NULL};
static const char *const on_conflict_names[] = {"fail", "skip", "replace",
                                                NULL};
static const char *const wait_for_names[] = {"green", "yellow", NULL};
static const char *const verify_names[] = {"doc-count", "none", "sample", NULL};
static const char *const polling_keys[] = {"initial_ms", "max_ms", "timeout_s",
                                           NULL};

const char *snm_repo_type_name(enum snm_repo_type t)
{
  return repo_type_names[t];
}

const char *snm_on_conflict_name(enum snm_on_conflict v)
{
  return on_conflict_names[v];
}

const char *snm_wait_for_name(enum snm_wait_for v)
{
  return wait_for_names[v];
}

const char *snm_verify_name(enum snm_verify v)
{
  return verify_names[v];
}

static const char *const *domain_ids(struct pctx *c, const struct snm_plan *p)
{
  const char **ids = calloc(p->n_domains + 1, sizeof(*ids));

  if (ids == NULL) {
    c->nomem = 1;
    return NULL;
  }
  for (size_t i = 0; i < p->n_domains; i++)
    ids[i] = p->domains[i].id;
  return ids;
}

/* "domain": "<id>" -> index; 1 when resolved. */
static int resolve_domain(struct pctx *c, const struct snm_plan *p,
                          const struct snm_json *obj, const char *path,
                          size_t *idx)
{
  const struct snm_json *v = pc_get(c, obj, path, "domain", SNM_JSON_STRING, 1);
  const char *const *ids;
  const char *hint;

  if (v == NULL)
    return 0;
  for (size_t i = 0; i < p->n_domains; i++) {
    if (strcmp(p->domains[i].id, v->u.string.ptr) == 0) {
      *idx = i;
      return 1;
    }
  }
  ids = domain_ids(c, p);
  if (ids == NULL)
    return 0;
  hint = pc_suggest(v->u.string.ptr, ids, p->n_domains);
  if (hint != NULL)
    pc_error(c, v->offset,
             "%s.domain: unknown domain \"%.64s\" (did you "
             "mean '%s'?)",
             path, v->u.string.ptr, hint);
  else
    pc_error(c, v->offset,
             "%s.domain: unknown domain \"%.64s\" (not under "
             "\"domains\")",
             path, v->u.string.ptr);
  free((void *)ids);
  return 0;
}

static void read_repository(struct pctx *c, struct snm_plan *p,
                            const struct snm_json *root)
{
  static const char *const cred_keys[] = {"access_key", "secret_key",
                                          "session_token"};
  static const char *const needs[] = {"bucket", "location"};
  const struct snm_json *r =
      pc_get(c, root, "", "repository", SNM_JSON_OBJECT, 1);
  struct snm_repository *repo = &p->repository;
  const struct snm_json *s, *nv;
  struct snm_err err;
  int type = 0, has_type;

  repo->readonly_on_targets = 1;
  if (r == NULL)
    return;
  repo->pos = pc_pos(c, r->offset);
  pc_check_keys(c, r, "repository", repo_keys);
  nv = snm_json_get(r, "name");
  if (pc_string(c, r, "repository", "name", 1, &repo->name) &&
      snm_repository_name_check(repo->name, &err) != 0)
    pc_error(c, nv->offset, "repository.name: %s", err.msg);
  has_type =
      pc_required_enum(c, r, "repository", "type", repo_type_names, &type);
  repo->type = (enum snm_repo_type)type;
  s = pc_get(c, r, "repository", "settings", SNM_JSON_OBJECT, 0);
  repo->settings = s;
  if (s != NULL) {
    if (snm_json_to_string(&repo->settings_json, s, 0, NULL) != 0)
      c->nomem = 1;
    pc_check_duplicates(c, s, "repository.settings");
  } else {
    repo->settings_json = pc_strdup(c, "{}");
  }
  for (size_t i = 0; s != NULL && i < 3; i++) {
    const struct snm_json_member *m = snm_json_member(s, cred_keys[i]);
    if (m == NULL)
      continue;
    if (m->value->type == SNM_JSON_STRING &&
        snm_log_add_secret(m->value->u.string.ptr) != 0)
      c->nomem = 1;
    pc_error(c, m->key_offset,
             "repository.settings.%s: credentials must not "
             "be written in a plan; give them to the cluster (keystore or "
             "snapshot role)",
             cred_keys[i]);
  }
  if (has_type) {
    const char *need = needs[repo->type];
    const struct snm_json *nvv = snm_json_get(s, need);

    if (nvv == NULL)
      pc_error(c, s != NULL ? s->offset : r->offset,
               "repository.settings: missing required key '%s' (an %s "
               "repository needs it)",
               need, repo_type_names[type]);
    else if (nvv->type != SNM_JSON_STRING || nvv->u.string.len == 0)
      pc_error(c, nvv->offset,
               "repository.settings.%s: expected a non-empty "
               "string",
               need);
  }
  pc_bool(c, r, "repository", "readonly_on_targets", 1,
          &repo->readonly_on_targets);
  pc_long(c, r, "repository", "keep_snapshots", 0, 1, 1000000,
          &repo->keep_snapshots);
}

/* Index names and patterns: lowercase, none of the characters Elasticsearch
 * forbids ('*' is a wildcard, a leading '-' excludes). */
static void check_index_list(struct pctx *c, const struct snm_json *obj,
                             const char *path, const char *key, char **list,
                             size_t n)
{
  const struct snm_json *v = snm_json_get(obj, key);

  for (size_t i = 0; i < n; i++) {
    const char *s = list[i][0] == '-' ? list[i] + 1 : list[i];
    size_t off =
        v->type == SNM_JSON_ARRAY ? v->u.array.items[i]->offset : v->offset;
    const char *bad = NULL;

    for (const char *q = s; *q != '\0' && bad == NULL; q++) {
      if (*q >= 'A' && *q <= 'Z')
        bad = "uppercase letters (index names are lowercase)";
      else if ((unsigned char)*q <= ' ')
        bad = "whitespace";
      else if (strchr("\\/?\"<>|#:", *q) != NULL)
        bad = "any of \\ / ? \" < > | # :";
    }
    if (*s == '\0')
      pc_error(c, off, "%s.%s: \"%s\" names no index", path, key, list[i]);
    else if (bad != NULL)
      pc_error(c, off, "%s.%s: \"%.64s\" must not contain %s", path, key,
               list[i], bad);
  }
}

static void read_snapshot(struct pctx *c, struct snm_plan *p,
                          const struct snm_json *root)
{
  const struct snm_json *s =
      pc_get(c, root, "", "snapshot", SNM_JSON_OBJECT, 1);
  struct snm_snapshot_spec *snap = &p->snapshot;
  char name[SNM_SNAPSHOT_NAME_MAX + 1];
  struct snm_err err;
  size_t at;

  snap->domain = (size_t)-1;
  if (s == NULL)
    return;
  snap->pos = pc_pos(c, s->offset);
  pc_check_keys(c, s, "snapshot", snapshot_keys);
  resolve_domain(c, p, s, "snapshot", &snap->domain);
  if (snm_json_get(s, "name") == NULL)
    snap->name_template = pc_strdup(c, SNM_PLAN_DEFAULT_SNAPSHOT_NAME);
  else if (pc_string(c, s, "snapshot", "name", 0, &snap->name_template) &&
           snm_snapshot_name_expand(name, sizeof(name), snap->name_template,
                                    p->name != NULL ? p->name : "plan",
                                    time(NULL), &at, &err) != 0) {
    const struct snm_json *v = snm_json_get(s, "name");
    pc_error(
        c, at == (size_t)-1 ? v->offset : snm_json_string_offset(c->doc, v, at),
        "snapshot.name: %s", err.msg);
  }
  if (pc_string_list(c, s, "snapshot", "indices", &snap->indices,
                     &snap->n_indices))
    check_index_list(c, s, "snapshot", "indices", snap->indices,
                     snap->n_indices);
  pc_bool(c, s, "snapshot", "include_global_state", 0,
          &snap->include_global_state);
  pc_bool(c, s, "snapshot", "allow_partial", 0, &snap->allow_partial);
}

static void read_rename(struct pctx *c, struct snm_restore *rs,
                        const struct snm_json *obj, const char *rpath)
{
  const struct snm_json *rn =
      pc_get(c, obj, rpath, "rename", SNM_JSON_OBJECT, 0);
  struct snm_rename_errpos where;
  struct snm_err err;
  char path[PC_PATH_MAX];
  int ok;

  if (rn == NULL)
    return;
  pc_path(path, sizeof(path), rpath, "rename");
  pc_check_keys(c, rn, path, rename_keys);
  ok = pc_string(c, rn, path, "pattern", 1, &rs->rename_pattern);
  /* an empty replacement is allowed: it deletes what matched */
  {
    const struct snm_json *v =
        pc_get(c, rn, path, "replacement", SNM_JSON_STRING, 1);
    if (v != NULL && snm_json_is_cstring(v))
      rs->rename_replacement = pc_strdup(c, v->u.string.ptr);
    else if (v != NULL)
      pc_error(c, v->offset,
               "%s.replacement: must not contain a NUL "
               "character",
               path);
  }
  if (!ok || rs->rename_pattern == NULL || rs->rename_replacement == NULL)
    return;
  if (snm_rename_compile(&rs->rename, rs->rename_pattern,
                         rs->rename_replacement, &where, &err) != 0) {
    const char *key =
        where.part == SNM_RENAME_PATTERN ? "pattern" : "replacement";
    const struct snm_json *v = snm_json_get(rn, key);

    if (err.code == SNM_ENOMEM)
      c->nomem = 1;
    else
      pc_error(c, snm_json_string_offset(c->doc, v, where.offset), "%s.%s: %s",
               path, key, err.msg);
  }
}

static void read_restore(struct pctx *c, struct snm_plan *p,
                         struct snm_restore *rs, const struct snm_json *obj,
                         const char *path)
{
  const struct snm_json *is;
  int v;

  rs->domain = (size_t)-1;
  rs->include_aliases = 1;
  rs->pos = pc_pos(c, obj->offset);
  pc_check_keys(c, obj, path, restore_keys);
  if (resolve_domain(c, p, obj, path, &rs->domain) &&
      rs->domain == p->snapshot.domain)
    pc_error(c, snm_json_get(obj, "domain")->offset,
             "%s.domain: \"%s\" is the snapshot's source domain; restore "
             "onto another domain",
             path, p->domains[rs->domain].id);
  if (pc_string_list(c, obj, path, "indices", &rs->indices, &rs->n_indices))
    check_index_list(c, obj, path, "indices", rs->indices, rs->n_indices);
  read_rename(c, rs, obj, path);
  is = pc_get(c, obj, path, "index_settings", SNM_JSON_OBJECT, 0);
  if (is != NULL) {
    char ipath[PC_PATH_MAX];

    pc_path(ipath, sizeof(ipath), path, "index_settings");
    rs->index_settings = is;
    pc_check_duplicates(c, is, ipath);
    if (snm_json_to_string(&rs->index_settings_json, is, 0, NULL) != 0)
      c->nomem = 1;
  }
  pc_string_list(c, obj, path, "ignore_index_settings",
                 &rs->ignore_index_settings, &rs->n_ignore_index_settings);
  pc_bool(c, obj, path, "include_aliases", 1, &rs->include_aliases);
  pc_enum(c, obj, path, "on_conflict", on_conflict_names, SNM_CONFLICT_FAIL,
          &v);
  rs->on_conflict = (enum snm_on_conflict)v;
  pc_enum(c, obj, path, "wait_for", wait_for_names, SNM_WAIT_GREEN, &v);
  rs->wait_for = (enum snm_wait_for)v;
  pc_enum(c, obj, path, "verify", verify_names, SNM_VERIFY_DOC_COUNT, &v);
  rs->verify = (enum snm_verify)v;
  if (pc_long(c, obj, path, "sample_size", 10, 1, 1000, &rs->sample_size) &&
      rs->verify != SNM_VERIFY_SAMPLE && snm_json_get(obj, "sample_size"))
    pc_warn(c, snm_json_get(obj, "sample_size")->offset,
            "%s.sample_size: used only with \"verify\": \"sample\"", path);
}

static void read_restores(struct pctx *c, struct snm_plan *p,
                          const struct snm_json *root)
{
  const struct snm_json *a = pc_get(c, root, "", "restores", SNM_JSON_ARRAY, 1);

  if (a == NULL)
    return;
  if (a->u.array.len == 0) {
    pc_error(c, a->offset, "restores: at least one restore is needed");
    return;
  }
  p->restores = calloc(a->u.array.len, sizeof(*p->restores));
  if (p->restores == NULL) {
    c->nomem = 1;
    return;
  }
  for (size_t i = 0; i < a->u.array.len; i++) {
    const struct snm_json *obj = a->u.array.items[i];
    char path[PC_PATH_MAX];

    snprintf(path, sizeof(path), "restores[%zu]", i);
    if (obj->type != SNM_JSON_OBJECT) {
      pc_error(c, obj->offset, "%s: expected an object, got %s", path,
               snm_json_type_name(obj->type));
      continue;
    }
    read_restore(c, p, &p->restores[p->n_restores++], obj, path);
  }
}

static void read_polling(struct pctx *c, struct snm_plan *p,
                         const struct snm_json *root)
{
  const struct snm_json *o = pc_get(c, root, "", "polling", SNM_JSON_OBJECT, 0);
  struct snm_polling *pl = &p->polling;
  int ok;

  pl->initial_ms = 200;
  pl->max_ms = 5000;
  pl->timeout_s = 86400;
  if (o == NULL)
    return;
  pc_check_keys(c, o, "polling", polling_keys);
  ok = pc_long(c, o, "polling", "initial_ms", 200, 1, 600000, &pl->initial_ms);
  ok &= pc_long(c, o, "polling", "max_ms", 5000, 1, 3600000, &pl->max_ms);
  pc_long(c, o, "polling", "timeout_s", 86400, 1, 31536000, &pl->timeout_s);
  if (ok && pl->max_ms < pl->initial_ms) {
    const struct snm_json *mv = snm_json_get(o, "max_ms");
    if (mv != NULL)
      pc_error(c, mv->offset, "polling.max_ms: %ld is below initial_ms (%ld)",
               pl->max_ms, pl->initial_ms);
    else
      pc_error(c, snm_json_get(o, "initial_ms")->offset,
               "polling.initial_ms: %ld is above max_ms (default %ld)",
               pl->initial_ms, pl->max_ms);
  }
}

static void warn_unused_domains(struct pctx *c, const struct snm_plan *p,
                                const struct snm_json *root)
{
  const struct snm_json *obj = snm_json_get(root, "domains");

  for (size_t i = 0; i < p->n_domains; i++) {
    int used = p->snapshot.domain == i;

    for (size_t k = 0; k < p->n_restores && !used; k++)
      used = p->restores[k].domain == i;
    if (!used)
      pc_warn(c, snm_json_member(obj, p->domains[i].id)->key_offset,
              "domains.%s: not used by the snapshot or any restore",
              p->domains[i].id);
  }
}

static void read_plan(struct pctx *c, struct snm_plan *p,
                      const struct snm_json *root)
{
  const struct snm_json *v;
  long long version;

  pc_check_keys(c, root, "", root_keys);
  (void)pc_get(c, root, "", "$schema", SNM_JSON_STRING, 0);
  v = snm_json_get(root, "snapmig");
  if (v == NULL)
    pc_error(c, root->offset,
             "missing required key 'snapmig' (the plan "
             "format version: %d)",
             SNM_PLAN_FORMAT);
  else if (snm_json_int(v, &version) != 0 || version != SNM_PLAN_FORMAT)
    pc_error(c, v->offset,
             "snapmig: unsupported plan format version %s (this snapmig "
             "reads %d)",
             v->type == SNM_JSON_NUMBER ? v->u.number.text
                                        : snm_json_type_name(v->type),
             SNM_PLAN_FORMAT);
  v = snm_json_get(root, "name");
  if (pc_string(c, root, "", "name", 1, &p->name) && p->name != NULL &&
      strspn(p->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789._-") != strlen(p->name))
    pc_error(c, v->offset,
             "name: \"%.64s\" may only use letters, digits, "
             "'.', '_' and '-'",
             p->name);
  pc_read_domains(c, p, root);
  read_repository(c, p, root);
  read_snapshot(c, p, root);
  read_restores(c, p, root);
  read_polling(c, p, root);
  pc_read_metadata(c, p, root);
  pc_read_cutover(c, p, root);
  if (c->diags->errors == 0)
    warn_unused_domains(c, p, root);
}

/* By position; at the same position, in the order they were found. */
static int cmp_diag_ptr(const void *a, const void *b)
{
  const struct snm_diag *x = *(const struct snm_diag *const *)a;
  const struct snm_diag *y = *(const struct snm_diag *const *)b;

  if (x->line != y->line)
    return x->line < y->line ? -1 : 1;
  if (x->col != y->col)
    return x->col < y->col ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* Append `from` to `to` sorted by position.  (Problems are found section
 * by section, not in source order; an insertion sort of them would be
 * quadratic.)  Returns 0 or SNM_ENOMEM. */
static int add_sorted(struct snm_diag_list *to,
                      const struct snm_diag_list *from)
{
  const struct snm_diag **order;
  int rc = 0;

  if (from->len == 0)
    return 0;
  order = malloc(from->len * sizeof(*order));
  if (order == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < from->len; i++)
    order[i] = &from->items[i];
  qsort(order, from->len, sizeof(*order), cmp_diag_ptr);
  for (size_t i = 0; i < from->len && rc == 0; i++)
    rc = snm_diag_add(to, order[i]->severity, order[i]->line, order[i]->col,
                      "%s", order[i]->message);
  free(order);
  return rc;
}

int snm_plan_parse(struct snm_plan **out, const char *text, size_t len,
                   const char *path, struct snm_diag_list *diags,
                   struct snm_err *err)
{
  struct snm_json_syntax syntax;
  struct snm_diag_list mine;
  struct snm_plan *p;
  struct pctx c;
  int rc;

  assert(out != NULL && path != NULL && diags != NULL);
  *out = NULL;
  snm_diag_list_init(&mine);
  p = calloc(1, sizeof(*p));
  if (p == NULL || (p->path = strdup(path)) == NULL) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory reading %s", path);
    goto done;
  }
  rc = snm_json_parse(&p->doc, text, len, &syntax, err);
  if (rc == SNM_EPARSE) {
    if (snm_diag_add(diags, SNM_DIAG_ERROR, syntax.pos.line, syntax.pos.col,
                     "JSON syntax error: %s", syntax.msg) != 0)
      rc = snm_err_set(err, SNM_ENOMEM, "out of memory reading %s", path);
    else
      rc = SNM_EINVAL;
    goto done;
  }
  if (rc != 0)
    goto done;
  c.doc = p->doc;
  c.diags = &mine;
  c.nomem = 0;
  if (p->doc->root->type != SNM_JSON_OBJECT)
    pc_error(&c, p->doc->root->offset,
             "a plan must be a JSON object (this "
             "is a JSON %s)",
             snm_json_type_name(p->doc->root->type));
  else
    read_plan(&c, p, p->doc->root);
  if (add_sorted(diags, &mine) != 0)
    c.nomem = 1;
  if (c.nomem || mine.nomem) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory reading %s", path);
    goto done;
  }
  rc = mine.errors > 0 ? SNM_EINVAL : 0;
  if (rc == 0) {
    *out = p;
    p = NULL;
  }
done:
  snm_diag_list_dispose(&mine);
  snm_plan_free(p);
  return rc;
}

int snm_plan_load(struct snm_plan **out, const char *path,
                  struct snm_diag_list *diags, struct snm_err *err)
{
  FILE *fp;
  char *text = NULL;
  size_t len = 0, cap = 0;
  int rc;

  *out = NULL;
  fp = fopen(path, "rb");
  if (fp == NULL)
    return snm_err_set(err, SNM_EIO, "cannot read %s: %s", path,
                       strerror(errno));
  for (;;) {
    size_t n;

    if (len == cap) {
      char *t;
      if (cap >= SNM_PLAN_MAX_BYTES) {
        rc = snm_err_set(err, SNM_EIO,
                         "cannot read %s: larger than %u "
                         "bytes",
                         path, SNM_PLAN_MAX_BYTES);
        goto done;
      }
      cap = cap == 0 ? 8192 : cap * 2;
      t = realloc(text, cap + 1);
      if (t == NULL) {
        rc = snm_err_set(err, SNM_ENOMEM, "out of memory reading %s", path);
        goto done;
      }
      text = t;
    }
    n = fread(text + len, 1, cap - len, fp);
    len += n;
    if (n == 0)
      break;
  }
  if (ferror(fp)) {
    rc = snm_err_set(err, SNM_EIO, "cannot read %s: %s", path, strerror(errno));
    goto done;
  }
  rc = snm_plan_parse(out, text, len, path, diags, err);
done:
  fclose(fp);
  free(text);
  return rc;
}

static void domain_dispose(struct snm_domain *d)
{
  free(d->id);
  free(d->endpoint);
  free(d->base_url);
  free(d->host);
  free(d->base_path);
  free(d->region);
  free(d->service);
  free(d->profile);
  free(d->username);
  free(d->password_env);
  free(d->ca_file);
}

static void restore_dispose(struct snm_restore *r)
{
  pc_free_list(r->indices, r->n_indices);
  free(r->rename_pattern);
  free(r->rename_replacement);
  snm_rename_free(r->rename);
  free(r->index_settings_json);
  pc_free_list(r->ignore_index_settings, r->n_ignore_index_settings);
}

void snm_plan_free(struct snm_plan *p)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n_domains; i++)
    domain_dispose(&p->domains[i]);
  free(p->domains);
  free(p->repository.name);
  free(p->repository.settings_json);
  free(p->snapshot.name_template);
  pc_free_list(p->snapshot.indices, p->snapshot.n_indices);
  for (size_t i = 0; i < p->n_restores; i++)
    restore_dispose(&p->restores[i]);
  free(p->restores);
  pc_metadata_dispose(&p->metadata);
  pc_cutover_dispose(&p->cutover);
  snm_json_doc_free(p->doc);
  free(p->name);
  free(p->path);
  free(p);
}
