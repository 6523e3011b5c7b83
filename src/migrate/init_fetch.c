/* SPDX-License-Identifier: Apache-2.0 */
/* init_fetch.c - `snapmig init` asks both clusters what they hold: the
 * probe plan's preflight (preflight.h) and, on each cluster,
 *   GET /_nodes/settings?filter_path=...   path.repo of every node
 *   GET /_snapshot                          the registered repositories
 * then turns the answers into struct snm_init_facts.  GET only. */
#include "init_plan.h"
#include "buf.h"
#include "indexpat.h"
#include "jtree.h"
#include "json.h"
#include "log.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum extra_kind { EXTRA_PATH_REPO, EXTRA_REPOS };

struct extra {
  struct snm_init *in;
  struct snm_init_side *side;
  enum extra_kind kind;
};

void snm_init_init(struct snm_init *in)
{
  memset(in, 0, sizeof(*in));
  snm_preflight_init(&in->pf);
}

void snm_init_dispose(struct snm_init *in)
{
  snm_preflight_dispose(&in->pf);
  snm_init_facts_dispose(&in->facts);
  snm_init_init(in);
}

static char *xstrdup(struct snm_init *in, const char *s)
{
  char *d = strdup(s != NULL ? s : "");

  if (d == NULL)
    in->nomem = 1;
  return d;
}

static void finish_one(struct snm_init *in)
{
  assert(in->pending > 0);
  if (--in->pending > 0)
    return;
  if (snm_init_collect(in) != 0 || in->nomem)
    in->result = SNM_ENOMEM;
  else if (in->canceled)
    in->result = SNM_ECANCELED;
  else if (in->pf.result != SNM_OK)
    in->result = in->pf.result;
  in->done(in, in->done_data);
}

/* The directories one node lists in path.repo (a string or an array). */
static size_t node_dirs(const char **out, size_t max, yajl_val node)
{
  yajl_val repo = snm_jget(node, "settings", "path", "repo", (char *)NULL);
  size_t n = 0;

  if (repo == NULL)
    repo = snm_jget(node, "settings", "path.repo", (char *)NULL);
  if (YAJL_IS_STRING(repo) && max > 0) {
    out[n++] = repo->u.string;
  } else if (YAJL_IS_ARRAY(repo)) {
    for (size_t i = 0; i < repo->u.array.len && n < max; i++)
      if (YAJL_IS_STRING(repo->u.array.values[i]))
        out[n++] = repo->u.array.values[i]->u.string;
  }
  return n;
}

/* path.repo as the nodes list it: the directories EVERY node lists (a
 * repository location must be reachable from all of them). */
static void parse_path_repo(struct snm_init *in, struct snm_init_side *s,
                            yajl_val json)
{
  yajl_val nodes = snm_jget(json, "nodes", (char *)NULL);
  const char *dirs[64];
  size_t n;

  if (!YAJL_IS_OBJECT(nodes))
    return;
  for (size_t i = 0; i < nodes->u.object.len; i++) {
    n = node_dirs(dirs, 64, nodes->u.object.values[i]);
    if (i == 0) {
      /* the first node gives the candidates; later ones narrow them */
      s->path_repo = calloc(n > 0 ? n : 1, sizeof(char *));
      if (s->path_repo == NULL) {
        in->nomem = 1;
        return;
      }
      for (size_t j = 0; j < n; j++)
        if (dirs[j][0] != '\0')
          s->path_repo[s->n_path_repo++] = xstrdup(in, dirs[j]);
      continue;
    }
    {
      size_t k = 0;
      for (size_t j = 0; j < s->n_path_repo; j++) {
        int found = 0;
        for (size_t m = 0; m < n && !found; m++)
          found =
              s->path_repo[j] != NULL && strcmp(dirs[m], s->path_repo[j]) == 0;
        if (found)
          s->path_repo[k++] = s->path_repo[j];
        else
          free(s->path_repo[j]);
      }
      s->n_path_repo = k;
    }
  }
  s->path_repo_known = 1;
}

static void parse_repos(struct snm_init *in, struct snm_init_side *s,
                        yajl_val json)
{
  if (!YAJL_IS_OBJECT(json))
    return;
  s->repos = calloc(json->u.object.len + 1, sizeof(*s->repos));
  if (s->repos == NULL) {
    in->nomem = 1;
    return;
  }
  for (size_t i = 0; i < json->u.object.len; i++) {
    yajl_val r = json->u.object.values[i];
    const char *type = snm_jstr(r, "type", (char *)NULL);
    yajl_val settings = snm_jget(r, "settings", (char *)NULL);
    struct snm_init_repo *o = &s->repos[s->n_repos];
    yajl_gen g;

    if (type == NULL)
      continue;
    o->name = xstrdup(in, json->u.object.keys[i]);
    o->type = xstrdup(in, type);
    if (YAJL_IS_OBJECT(settings) && (g = yajl_gen_alloc(NULL)) != NULL) {
      snm_jgen(g, settings);
      if (snm_gen_finish(&o->settings_json, g) != 0)
        o->settings_json = NULL;
      yajl_gen_free(g);
    } else {
      o->settings_json = xstrdup(in, "{}");
    }
    s->n_repos++;
    if (o->name == NULL || o->type == NULL || o->settings_json == NULL)
      in->nomem = 1;
  }
  s->repos_known = 1;
}

static void on_extra(const struct snm_es_reply *reply,
                     const struct snm_err *err, void *data)
{
  struct extra *x = data;
  struct snm_init *in = x->in;

  if (reply != NULL && err->code == SNM_OK) {
    if (x->kind == EXTRA_PATH_REPO)
      parse_path_repo(in, x->side, reply->json);
    else
      parse_repos(in, x->side, reply->json);
  } else {
    snm_log(SNM_LOG_DEBUG, "init: %s", err->msg);
  }
  free(x);
  finish_one(in);
}

static void send_extra(struct snm_init *in, struct snm_es *es,
                       struct snm_init_side *side, enum extra_kind kind)
{
  struct extra *x = calloc(1, sizeof(*x));
  struct snm_err err;
  const char *path = kind == EXTRA_PATH_REPO
                         ? "/_nodes/settings?filter_path=nodes.*.name,"
                           "nodes.*.settings.path.repo,"
                           "nodes.*.settings.path%2Erepo"
                         : "/_snapshot";

  snm_err_clear(&err);
  if (x == NULL) {
    in->nomem = 1;
    return;
  }
  x->in = in;
  x->side = side;
  x->kind = kind;
  in->pending++;
  if (snm_es_request(es, "GET", path, NULL, 0, on_extra, x, &err) != 0) {
    snm_log(SNM_LOG_DEBUG, "init: %s", err.msg);
    free(x);
    in->pending--;
  }
}

static void on_preflight_done(struct snm_preflight *pf, void *data)
{
  (void)pf;
  finish_one(data);
}

static size_t domain_index(const struct snm_plan *plan, const char *id)
{
  for (size_t i = 0; i < plan->n_domains; i++)
    if (strcmp(plan->domains[i].id, id) == 0)
      return i;
  return (size_t)-1;
}

int snm_init_start(struct snm_init *in, uv_loop_t *loop,
                   const struct snm_plan *plan, struct snm_es *es,
                   const struct snm_init_opts *opts,
                   const struct snm_preflight_opts *pf_opts,
                   snm_init_done_fn done, void *data, struct snm_err *err)
{
  size_t s = domain_index(plan, "source"), t = domain_index(plan, "target");
  int rc;

  if (s == (size_t)-1 || t == (size_t)-1)
    return snm_err_set(err, SNM_EINVAL,
                       "init: the probe plan lacks domain source or target");
  in->plan = plan;
  in->es = es;
  in->opts = opts;
  in->done = done;
  in->done_data = data;
  in->result = SNM_OK;
  in->facts.source.id = "source";
  in->facts.target.id = "target";
  in->facts.source.data_nodes = in->facts.target.data_nodes = -1;
  in->pending = 2; /* held until everything is sent, and the preflight */
  rc = snm_preflight_start(&in->pf, loop, plan, es, pf_opts, on_preflight_done,
                           in, err);
  if (rc != 0) {
    in->pending = 0;
    return rc;
  }
  send_extra(in, &es[s], &in->facts.source, EXTRA_PATH_REPO);
  send_extra(in, &es[s], &in->facts.source, EXTRA_REPOS);
  send_extra(in, &es[t], &in->facts.target, EXTRA_PATH_REPO);
  send_extra(in, &es[t], &in->facts.target, EXTRA_REPOS);
  finish_one(in); /* the hold */
  return 0;
}

void snm_init_cancel(struct snm_init *in)
{
  in->canceled = 1;
  snm_preflight_cancel(&in->pf);
}

/* ---- facts from the answers -------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_index(const void *a, const void *b)
{
  return strcmp(((const struct snm_init_index *)a)->name,
                ((const struct snm_init_index *)b)->name);
}

static void side_facts(struct snm_init *in, struct snm_init_side *s,
                       const struct snm_pf_domain *d, const char *url,
                       const char *auth_spec)
{
  char service[16];
  struct snm_buf b;
  struct snm_err err;

  snm_buf_init(&b, 0);
  snm_err_clear(&err);
  s->endpoint = xstrdup(in, url);
  if (snm_init_auth_json(&b, auth_spec, url, &err) == 0)
    s->auth_json = snm_buf_steal(&b);
  else
    in->nomem = 1; /* the probe plan took the same spec */
  snm_buf_dispose(&b);
  if (d->reached)
    snprintf(s->engine, sizeof(s->engine), "%s %s",
             snm_engine_name(d->info.version.engine), d->info.number);
  else
    s->error = xstrdup(in, d->error.msg);
  if (d->dom->host == NULL ||
      !snm_aws_host_info(d->dom->host, s->region, sizeof(s->region), service,
                         sizeof(service)))
    s->region[0] = '\0';
  s->data_nodes = d->data_nodes;
}

static struct snm_init_index *add_index(struct snm_init *in,
                                        struct snm_init_facts *f,
                                        const char *name, int data_stream)
{
  struct snm_init_index *ix;

  for (size_t i = 0; i < f->n_indices; i++)
    if (strcmp(f->indices[i].name, name) == 0)
      return &f->indices[i];
  ix = realloc(f->indices, (f->n_indices + 1) * sizeof(*ix));
  if (ix == NULL) {
    in->nomem = 1;
    return NULL;
  }
  f->indices = ix;
  ix = &f->indices[f->n_indices++];
  memset(ix, 0, sizeof(*ix));
  ix->name = xstrdup(in, name);
  ix->data_stream = data_stream;
  ix->docs = ix->bytes = 0;
  ix->replicas = -1;
  return ix;
}

static void add_alias(struct snm_init *in, struct snm_init_index *ix,
                      const char *alias)
{
  char **v;

  for (size_t i = 0; i < ix->n_aliases; i++)
    if (strcmp(ix->aliases[i], alias) == 0)
      return;
  v = realloc(ix->aliases, (ix->n_aliases + 1) * sizeof(*v));
  if (v == NULL) {
    in->nomem = 1;
    return;
  }
  ix->aliases = v;
  v[ix->n_aliases++] = xstrdup(in, alias);
}

int snm_init_collect(struct snm_init *in)
{
  const struct snm_plan *plan = in->plan;
  struct snm_preflight *pf = &in->pf;
  struct snm_init_facts *f = &in->facts;
  size_t s = domain_index(plan, "source"), t = domain_index(plan, "target");
  const struct snm_pf_domain *src, *dst;

  if (pf->domains == NULL || s >= pf->n_domains || t >= pf->n_domains)
    return 0;
  src = &pf->domains[s];
  dst = &pf->domains[t];
  side_facts(in, &f->source, src, in->opts->source_url, in->opts->source_auth);
  side_facts(in, &f->target, dst, in->opts->target_url, in->opts->target_auth);

  /* the source's selected names; a data stream stands for its backing
   * indices */
  f->indices_known = pf->indices_known && src->reached;
  for (size_t i = 0; i < pf->n_indices && f->indices_known; i++) {
    const struct snm_pf_index *p = &pf->indices[i];
    struct snm_init_index *ix;
    int red = strcmp(p->health, "red") == 0;

    if (!p->selected)
      continue;
    ix = add_index(in, f, p->data_stream != NULL ? p->data_stream : p->name,
                   p->data_stream != NULL);
    if (ix == NULL)
      break;
    ix->docs = p->docs < 0 || ix->docs < 0 ? -1 : ix->docs + p->docs;
    ix->bytes =
        p->pri_bytes < 0 || ix->bytes < 0 ? -1 : ix->bytes + p->pri_bytes;
    if (p->replicas > ix->replicas)
      ix->replicas = p->replicas;
    if ((p->closed || red) && !ix->excluded) {
      ix->excluded = 1;
      snprintf(ix->why, sizeof(ix->why), "%s", p->closed ? "closed" : "red");
    }
    for (size_t a = 0; a < src->n_aliases; a++)
      if (strcmp(src->aliases[a].index, p->name) == 0)
        add_alias(in, ix, src->aliases[a].alias);
  }
  if (f->n_indices > 1)
    qsort(f->indices, f->n_indices, sizeof(*f->indices), cmp_index);

  /* every name the target holds */
  f->target_names_known =
      dst->reached && dst->existing_known && dst->aliases_known;
  if (dst->n_existing + dst->n_aliases > 0) {
    f->target_names =
        calloc(dst->n_existing + dst->n_aliases, sizeof(*f->target_names));
    if (f->target_names == NULL)
      return SNM_ENOMEM;
  }
  for (size_t i = 0; i < dst->n_existing; i++)
    f->target_names[f->n_target_names++] = xstrdup(in, dst->existing[i].name);
  for (size_t i = 0; i < dst->n_aliases; i++)
    f->target_names[f->n_target_names++] = xstrdup(in, dst->aliases[i].alias);
  if (f->n_target_names > 1) {
    size_t k = 1;
    qsort(f->target_names, f->n_target_names, sizeof(char *), cmp_str);
    for (size_t i = 1; i < f->n_target_names; i++) {
      if (strcmp(f->target_names[i], f->target_names[k - 1]) == 0)
        free(f->target_names[i]);
      else
        f->target_names[k++] = f->target_names[i];
    }
    f->n_target_names = k;
  }
  return in->nomem ? SNM_ENOMEM : 0;
}
