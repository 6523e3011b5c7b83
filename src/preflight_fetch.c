/* preflight_fetch.c - the preflight's read-only requests, all domains at
 * once, and how each reply becomes facts.  Reply callbacks only record;
 * finish() runs once, when the last reply is in. */
#include "buf.h"
#include "json.h"
#include "log.h"
#include "preflight.h"
#include "preflight_int.h"
#include "workflow_chunk.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_gen.h>

enum rq_kind {
  RQ_INFO,
  RQ_HEALTH,
  RQ_REPO,
  RQ_REPO_SNAPSHOTS,
  RQ_RUNNING,
  RQ_DATA_STREAMS,
  RQ_SETTINGS,
  RQ_CAT_INDICES,
  RQ_ALIASES,
  RQ_ALLOCATION,
  RQ_CLUSTER_SETTINGS,
  RQ_COUNT
};

/* The GET PATTERNS/_settings requests of one domain, sent in URL-sized
 * chunks (workflow_chunk.h); the counts go out once all have answered. */
struct pf_batch {
  size_t left; /* chunks not answered yet */
  int got;     /* one answered 2xx */
};

struct pf_req {
  struct snm_preflight *pf;
  size_t domain;
  enum rq_kind kind;
  char *index;            /* RQ_COUNT: malloced index name */
  struct pf_batch *batch; /* RQ_SETTINGS: shared, freed by the last one */
};

static void finish(struct snm_preflight *pf);

static char *xstrdup(struct snm_preflight *pf, const char *s)
{
  char *d = strdup(s != NULL ? s : "");
  if (d == NULL)
    pf->nomem = 1;
  return d;
}

/* Remember the first failure of a request other than GET /. */
static void note_failure(struct snm_preflight *pf, struct snm_pf_domain *d,
                         const char *msg)
{
  if (d->fetch_error == NULL)
    d->fetch_error = xstrdup(pf, msg);
}

/* ---- JSON -------------------------------------------------------------- */

void snm__gen_yajl(yajl_gen g, yajl_val v)
{
  if (YAJL_IS_OBJECT(v)) {
    yajl_gen_map_open(g);
    for (size_t i = 0; i < v->u.object.len; i++) {
      const char *k = v->u.object.keys[i];
      snm_gen_str(g, k);
      snm__gen_yajl(g, v->u.object.values[i]);
    }
    yajl_gen_map_close(g);
  } else if (YAJL_IS_ARRAY(v)) {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < v->u.array.len; i++)
      snm__gen_yajl(g, v->u.array.values[i]);
    yajl_gen_array_close(g);
  } else if (YAJL_IS_STRING(v)) {
    snm_gen_str(g, v->u.string);
  } else if (YAJL_IS_NUMBER(v)) {
    yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
  } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
    yajl_gen_bool(g, YAJL_IS_TRUE(v));
  } else {
    yajl_gen_null(g);
  }
}

static char *to_json(struct snm_preflight *pf, yajl_val v)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  char *out = NULL;

  if (g != NULL) {
    snm__gen_yajl(g, v);
    (void)snm_gen_finish(&out, g); /* out stays NULL on failure */
    yajl_gen_free(g);
  }
  if (out == NULL)
    pf->nomem = 1;
  return out;
}

/* A size as _cat prints it with bytes=b ("1234"), or -1. */
static long long cat_bytes(yajl_val row, const char *key)
{
  return snm_jint(-1, row, key, (char *)NULL);
}

/* ---- recording ----------------------------------------------------------- */

static void on_info(struct snm_preflight *pf, struct snm_pf_domain *d,
                    const struct snm_es_reply *reply, const struct snm_err *err)
{
  if (err->code != SNM_OK) {
    d->error = *err;
    return;
  }
  if (snm_es_parse_info(&d->info, reply->json, d->dom->id, &d->error) == 0)
    d->reached = 1;
  (void)pf;
}

static void on_health(struct snm_pf_domain *d, yajl_val j)
{
  const char *st = snm_jstr(j, "status", (char *)NULL);
  long long nodes = snm_jint(-1, j, "number_of_data_nodes", (char *)NULL);

  snprintf(d->health, sizeof(d->health), "%s", st != NULL ? st : "");
  d->data_nodes = nodes >= 0 && nodes <= LONG_MAX ? (long)nodes : -1;
  d->open_shards = snm__preflight_open_shards(j);
}

static void on_repo(struct snm_preflight *pf, struct snm_pf_domain *d,
                    const struct snm_es_reply *reply, const struct snm_err *err)
{
  yajl_val r;

  if (reply != NULL && reply->status == 404) {
    d->repo_state = SNM_PF_REPO_ABSENT;
    return;
  }
  if (err->code != SNM_OK) {
    if (d->repo_error == NULL)
      d->repo_error = xstrdup(pf, err->msg);
    return;
  }
  r = snm_jget(reply->json, pf->plan->repository.name, (char *)NULL);
  if (!YAJL_IS_OBJECT(r)) {
    d->repo_state = SNM_PF_REPO_ABSENT;
    return;
  }
  d->repo_have_json = to_json(pf, r);
}

static void on_repo_snapshots(struct snm_preflight *pf, struct snm_pf_domain *d,
                              const struct snm_es_reply *reply,
                              const struct snm_err *err)
{
  yajl_val a;

  if (reply != NULL && reply->status == 404)
    return; /* absent: GET _snapshot/REPO says so */
  if (err->code != SNM_OK) {
    if (d->repo_error == NULL)
      d->repo_error = xstrdup(pf, err->msg);
    return;
  }
  a = snm_jget(reply->json, "snapshots", (char *)NULL);
  d->snapshots_listed = 1;
  if (!YAJL_IS_ARRAY(a))
    return;
  d->snapshots = calloc(a->u.array.len + 1, sizeof(char *));
  if (d->snapshots == NULL) {
    pf->nomem = 1;
    return;
  }
  for (size_t i = 0; i < a->u.array.len; i++) {
    const char *name = snm_jstr(a->u.array.values[i], "snapshot", (char *)0);
    if (name != NULL)
      d->snapshots[d->n_snapshots++] = xstrdup(pf, name);
  }
}

static void on_running(struct snm_preflight *pf, struct snm_pf_domain *d,
                       yajl_val j)
{
  yajl_val a = snm_jget(j, "snapshots", (char *)NULL);

  d->running_known = 1;
  if (!YAJL_IS_ARRAY(a) || a->u.array.len == 0)
    return;
  d->running = calloc(a->u.array.len, sizeof(*d->running));
  if (d->running == NULL) {
    pf->nomem = 1;
    return;
  }
  for (size_t i = 0; i < a->u.array.len; i++) {
    yajl_val s = a->u.array.values[i];
    struct snm_pf_running *r = &d->running[d->n_running++];
    r->repository = xstrdup(pf, snm_jstr(s, "repository", (char *)NULL));
    r->snapshot = xstrdup(pf, snm_jstr(s, "snapshot", (char *)NULL));
    r->state = xstrdup(pf, snm_jstr(s, "state", (char *)NULL));
  }
}

static void add_pair(struct snm_preflight *pf, struct snm_pf_alias **v,
                     size_t *n, const char *a, const char *b)
{
  struct snm_pf_alias *g = realloc(*v, (*n + 1) * sizeof(**v));

  if (g == NULL) {
    pf->nomem = 1;
    return;
  }
  *v = g;
  g[*n].alias = xstrdup(pf, a);
  g[*n].index = xstrdup(pf, b);
  (*n)++;
}

static void on_data_streams(struct snm_preflight *pf, yajl_val j)
{
  yajl_val a = snm_jget(j, "data_streams", (char *)NULL);

  for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++) {
    yajl_val ds = a->u.array.values[i];
    const char *name = snm_jstr(ds, "name", (char *)NULL);
    yajl_val ix = snm_jget(ds, "indices", (char *)NULL);
    struct snm_pf_data_stream *g;

    if (name == NULL)
      continue;
    g = realloc(pf->data_streams, (pf->n_data_streams + 1) * sizeof(*g));
    if (g == NULL) {
      pf->nomem = 1;
      return;
    }
    pf->data_streams = g;
    g[pf->n_data_streams++].name = xstrdup(pf, name);
    for (size_t k = 0; YAJL_IS_ARRAY(ix) && k < ix->u.array.len; k++) {
      const char *b = snm_jstr(ix->u.array.values[k], "index_name", (char *)0);
      if (b != NULL)
        add_pair(pf, &pf->ds_backing, &pf->n_ds_backing, name, b);
    }
  }
}

static int send_get(struct snm_preflight *pf, size_t d, enum rq_kind kind,
                    const char *index, const char *fmt, ...);

static int known_index(const struct snm_preflight *pf, const char *name)
{
  for (size_t i = 0; i < pf->n_indices; i++)
    if (strcmp(pf->indices[i].name, name) == 0)
      return 1;
  return 0;
}

/* One chunk's GET PATTERNS/_settings; patterns of different chunks may
 * match the same index, which is taken once. */
static void on_settings(struct snm_preflight *pf, yajl_val j)
{
  pf->indices_known = 1;
  for (size_t i = 0; YAJL_IS_OBJECT(j) && i < j->u.object.len; i++) {
    yajl_val s = snm_jget(j->u.object.values[i], "settings", (char *)NULL);
    struct snm_pf_index *ix;
    const char *hidden;

    if (known_index(pf, j->u.object.keys[i]))
      continue;
    ix = snm_preflight_add_index(pf, j->u.object.keys[i]);
    if (ix == NULL) {
      pf->nomem = 1;
      return;
    }
    ix->version_id =
        (long)snm_jint(0, s, "index.version.created", (char *)NULL);
    if (ix->version_id != 0 &&
        snm_version_from_id(&ix->created, ix->version_id) != 0)
      memset(&ix->created, 0, sizeof(ix->created));
    ix->shards = (long)snm_jint(-1, s, "index.number_of_shards", (char *)0);
    ix->replicas = (long)snm_jint(-1, s, "index.number_of_replicas", (char *)0);
    hidden = snm_jstr(s, "index.hidden", (char *)NULL);
    ix->hidden = hidden != NULL && strcmp(hidden, "true") == 0;
  }
}

/* Second wave, once every settings chunk answered: exact document counts
 * (what `run` verifies against), one index per request, at most
 * PF_COUNT_WINDOW at a time (each reply sends the next), so a source with
 * thousands of indices neither floods the cluster nor has requests time
 * out while queued for a connection. */
#define PF_COUNT_WINDOW 16

static void send_counts(struct snm_preflight *pf, size_t di)
{
  while (pf->count_next < pf->n_indices &&
         pf->counts_in_flight < PF_COUNT_WINDOW && !pf->canceled) {
    size_t i = pf->count_next++;
    if (send_get(pf, di, RQ_COUNT, pf->indices[i].name, "/%s/_count",
                 pf->indices[i].name) == 0)
      pf->counts_in_flight++;
  }
}

static void on_cat_indices(struct snm_preflight *pf, struct snm_pf_domain *d,
                           yajl_val j)
{
  if (!YAJL_IS_ARRAY(j))
    return;
  d->existing = calloc(j->u.array.len + 1, sizeof(*d->existing));
  if (d->existing == NULL) {
    pf->nomem = 1;
    return;
  }
  d->existing_known = 1;
  for (size_t i = 0; i < j->u.array.len; i++) {
    yajl_val row = j->u.array.values[i];
    const char *name = snm_jstr(row, "index", (char *)NULL);
    const char *status = snm_jstr(row, "status", (char *)NULL);
    const char *health = snm_jstr(row, "health", (char *)NULL);
    struct snm_pf_existing *e;

    if (name == NULL)
      continue;
    e = &d->existing[d->n_existing++];
    e->name = xstrdup(pf, name);
    e->closed = status != NULL && strcmp(status, "close") == 0;
    snprintf(e->health, sizeof(e->health), "%s", health ? health : "");
    e->pri_bytes = cat_bytes(row, "pri.store.size");
  }
}

static void on_aliases(struct snm_preflight *pf, struct snm_pf_domain *d,
                       yajl_val j)
{
  d->aliases_known = 1;
  for (size_t i = 0; YAJL_IS_OBJECT(j) && i < j->u.object.len; i++) {
    yajl_val a = snm_jget(j->u.object.values[i], "aliases", (char *)NULL);
    for (size_t k = 0; YAJL_IS_OBJECT(a) && k < a->u.object.len; k++)
      add_pair(pf, &d->aliases, &d->n_aliases, a->u.object.keys[k],
               j->u.object.keys[i]);
  }
}

static void on_allocation(struct snm_preflight *pf, struct snm_pf_domain *d,
                          yajl_val j)
{
  size_t n = YAJL_IS_ARRAY(j) ? j->u.array.len : 0;

  d->node_avail = calloc(n + 1, sizeof(long long));
  d->node_total = calloc(n + 1, sizeof(long long));
  if (d->node_avail == NULL || d->node_total == NULL) {
    pf->nomem = 1;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    yajl_val row = j->u.array.values[i];
    long long avail = cat_bytes(row, "disk.avail");
    long long total = cat_bytes(row, "disk.total");
    if (avail < 0 || total <= 0)
      continue; /* the UNASSIGNED row */
    d->node_avail[d->n_nodes] = avail;
    d->node_total[d->n_nodes++] = total;
  }
}

/* A flat cluster setting: transient over persistent over defaults. */
static const char *cluster_setting(yajl_val j, const char *key)
{
  static const char *const scopes[] = {"transient", "persistent", "defaults"};

  for (size_t i = 0; i < 3; i++) {
    const char *v = snm_jstr(j, scopes[i], key, (char *)NULL);
    if (v != NULL)
      return v;
  }
  return NULL;
}

static void on_cluster_settings(struct snm_pf_domain *d, yajl_val j)
{
  const char *max = cluster_setting(j, "cluster.max_shards_per_node");
  const char *on =
      cluster_setting(j, "cluster.routing.allocation.disk.threshold_enabled");
  const char *high =
      cluster_setting(j, "cluster.routing.allocation.disk.watermark.high");

  d->max_shards_per_node = max != NULL ? strtol(max, NULL, 10) : 1000;
  d->threshold_enabled = on == NULL || strcmp(on, "false") != 0;
  snprintf(d->watermark_high, sizeof(d->watermark_high), "%s",
           high != NULL ? high : "90%");
}

static void on_count(struct snm_preflight *pf, const char *index, yajl_val j)
{
  for (size_t i = 0; i < pf->n_indices; i++)
    if (strcmp(pf->indices[i].name, index) == 0)
      pf->indices[i].docs = snm_jint(-1, j, "count", (char *)NULL);
}

/* ---- requests ------------------------------------------------------------ */

static void on_reply(const struct snm_es_reply *reply,
                     const struct snm_err *err, void *data)
{
  struct pf_req *rq = data;
  struct snm_preflight *pf = rq->pf;
  struct snm_pf_domain *d = &pf->domains[rq->domain];
  yajl_val j = reply != NULL ? reply->json : NULL;
  int ok = err->code == SNM_OK;

  if (rq->batch != NULL) {
    assert(rq->batch->left > 0);
    rq->batch->left--;
  }
  if (rq->kind == RQ_COUNT) {
    assert(pf->counts_in_flight > 0);
    pf->counts_in_flight--;
  }
  if (err->code == SNM_ECANCELED || pf->canceled)
    goto done;
  switch (rq->kind) {
  case RQ_INFO:
    on_info(pf, d, reply, err);
    break;
  case RQ_REPO:
    on_repo(pf, d, reply, err);
    break;
  case RQ_REPO_SNAPSHOTS:
    on_repo_snapshots(pf, d, reply, err);
    break;
  case RQ_DATA_STREAMS:
    if (ok)
      on_data_streams(pf, j); /* else: this version has none */
    break;
  case RQ_COUNT:
    if (ok)
      on_count(pf, rq->index, j); /* else: closed, unknown */
    break;
  default:
    if (!ok) {
      note_failure(pf, d, err->msg);
      break;
    }
    if (rq->kind == RQ_HEALTH)
      on_health(d, j);
    else if (rq->kind == RQ_RUNNING)
      on_running(pf, d, j);
    else if (rq->kind == RQ_SETTINGS) {
      on_settings(pf, j);
      rq->batch->got = 1;
    } else if (rq->kind == RQ_CAT_INDICES)
      on_cat_indices(pf, d, j);
    else if (rq->kind == RQ_ALIASES)
      on_aliases(pf, d, j);
    else if (rq->kind == RQ_ALLOCATION)
      on_allocation(pf, d, j);
    else if (rq->kind == RQ_CLUSTER_SETTINGS)
      on_cluster_settings(d, j);
    break;
  }
  if ((rq->kind == RQ_SETTINGS && rq->batch->left == 0 && rq->batch->got) ||
      rq->kind == RQ_COUNT)
    send_counts(pf, rq->domain);
done:
  if (rq->batch != NULL && rq->batch->left == 0)
    free(rq->batch);
  free(rq->index);
  free(rq);
  assert(pf->pending > 0);
  if (--pf->pending == 0)
    finish(pf);
}

/* Send GET `path` (disposed here).  A request that cannot be sent counts
 * as that request's failure (and as an answered chunk of `batch`).
 * Returns 0 or the error. */
static int send_path(struct snm_preflight *pf, size_t di, enum rq_kind kind,
                     const char *index, struct pf_batch *batch,
                     struct snm_buf *path, int rc)
{
  struct snm_pf_domain *d = &pf->domains[di];
  struct snm_err err;
  struct pf_req *rq = NULL;

  snm_err_clear(&err);
  if (rc != 0) {
    snm_err_set(&err, rc, "out of memory");
    goto fail;
  }
  rq = calloc(1, sizeof(*rq));
  if (rq == NULL || (index != NULL && (rq->index = strdup(index)) == NULL)) {
    rc = snm_err_set(&err, SNM_ENOMEM, "out of memory");
    goto fail;
  }
  rq->pf = pf;
  rq->domain = di;
  rq->kind = kind;
  rq->batch = batch;
  pf->pending++;
  rc = snm_es_request(&pf->es[di], "GET", snm_buf_str(path), NULL, 0, on_reply,
                      rq, &err);
  if (rc != 0) {
    pf->pending--;
    goto fail;
  }
  pf->requests++;
  snm_buf_dispose(path);
  return 0;
fail:
  if (rc == SNM_ENOMEM)
    pf->nomem = 1;
  if (kind == RQ_INFO)
    d->error = err;
  else if (kind == RQ_REPO || kind == RQ_REPO_SNAPSHOTS)
    d->repo_error = d->repo_error ? d->repo_error : xstrdup(pf, err.msg);
  else
    note_failure(pf, d, err.msg);
  if (rq != NULL)
    free(rq->index);
  free(rq);
  snm_buf_dispose(path);
  if (batch != NULL && --batch->left == 0)
    free(batch); /* no chunk went out: nobody else holds it */
  return rc;
}

/* Send one GET built from `fmt` (snm_es_path) with send_path. */
static int send_get(struct snm_preflight *pf, size_t di, enum rq_kind kind,
                    const char *index, const char *fmt, ...)
{
  struct snm_buf path;
  va_list ap;
  int rc;

  snm_buf_init(&path, 0);
  /* snm_es_path has no va_list form: expand the two shapes used here. */
  va_start(ap, fmt);
  if (strstr(fmt, "%l") != NULL) {
    const char *const *items = va_arg(ap, const char *const *);
    size_t n = va_arg(ap, size_t);
    rc = snm_es_path(&path, fmt, items, n);
  } else if (strstr(fmt, "%s") != NULL) {
    const char *s = va_arg(ap, const char *);
    rc = snm_es_path(&path, fmt, s);
  } else {
    rc = snm_es_path(&path, fmt);
  }
  va_end(ap);
  return send_path(pf, di, kind, index, NULL, &path, rc);
}

/* GET PATTERNS/_settings (or _all) on the source.  A long pattern list
 * goes in URL-sized chunks (the request line has a size limit), unless a
 * pattern excludes ("-x" applies to the patterns before it in the same
 * request, so such a list cannot be split). */
static void send_settings(struct snm_preflight *pf, size_t di)
{
  const struct snm_snapshot_spec *s = &pf->plan->snapshot;
  const char *const *pats = (const char *const *)s->indices;
  struct pf_batch *batch = calloc(1, sizeof(*batch));
  size_t one = s->n_indices, *ends = &one, n_chunks = 1;
  int split = s->n_indices > 0;

  for (size_t i = 0; i < s->n_indices; i++)
    if (pats[i][0] == '-')
      split = 0;
  if (batch == NULL ||
      (split && snm_wf_chunk_names(&ends, &n_chunks, pats, s->n_indices,
                                   SNM_WF_URL_LIST_MAX) != 0)) {
    free(batch);
    pf->nomem = 1;
    note_failure(pf, &pf->domains[di], "out of memory");
    return;
  }
  batch->left = n_chunks;
  for (size_t k = 0; k < n_chunks; k++) {
    size_t start = snm_wf_chunk_start(ends, k);
    struct snm_buf path;
    int rc;

    snm_buf_init(&path, 0);
    if (s->n_indices > 0)
      rc = snm_es_path(&path,
                       "/%l/_settings?expand_wildcards=all&ignore_unavailable="
                       "true&allow_no_indices=true&flat_settings=true",
                       pats + start, ends[k] - start);
    else
      rc = snm_es_path(
          &path, "/_all/_settings?expand_wildcards=all&flat_settings=true");
    send_path(pf, di, RQ_SETTINGS, NULL, batch, &path, rc);
  }
  if (ends != &one)
    free(ends);
}

static void send_domain(struct snm_preflight *pf, size_t di)
{
  const struct snm_plan *plan = pf->plan;
  const struct snm_pf_domain *d = &pf->domains[di];
  const char *repo = plan->repository.name;

  if (send_get(pf, di, RQ_INFO, NULL, "/") != 0)
    return; /* not even GET / could go out: nothing else will */
  send_get(pf, di, RQ_HEALTH, NULL, "/_cluster/health");
  if (d->roles == 0)
    return;
  send_get(pf, di, RQ_REPO, NULL, "/_snapshot/%s", repo);
  send_get(pf, di, RQ_REPO_SNAPSHOTS, NULL, "/_snapshot/%s/_all", repo);
  send_get(pf, di, RQ_CAT_INDICES, NULL,
           "/_cat/indices?format=json&bytes=b&expand_wildcards=all"
           "&h=index,status,health,pri,rep,pri.store.size");
  send_get(pf, di, RQ_ALIASES, NULL, "/_alias");
  if (d->roles & SNM_PF_ROLE_SOURCE) {
    send_get(pf, di, RQ_RUNNING, NULL, "/_snapshot/_status");
    send_get(pf, di, RQ_DATA_STREAMS, NULL, "/_data_stream");
    send_settings(pf, di);
  }
  if (d->roles & SNM_PF_ROLE_TARGET) {
    send_get(pf, di, RQ_ALLOCATION, NULL,
             "/_cat/allocation?format=json&bytes=b");
    send_get(pf, di, RQ_CLUSTER_SETTINGS, NULL,
             "/_cluster/settings?include_defaults=true&flat_settings=true");
  }
}

/* ---- finishing ------------------------------------------------------------
 */

static void merge_facts(struct snm_preflight *pf)
{
  struct snm_pf_domain *src = &pf->domains[pf->plan->snapshot.domain];

  for (size_t i = 0; i < pf->n_indices; i++) {
    struct snm_pf_index *ix = &pf->indices[i];
    for (size_t k = 0; k < src->n_existing; k++)
      if (strcmp(src->existing[k].name, ix->name) == 0) {
        ix->closed = src->existing[k].closed;
        ix->pri_bytes = src->existing[k].pri_bytes;
        memcpy(ix->health, src->existing[k].health, sizeof(ix->health));
      }
    for (size_t k = 0; k < pf->n_ds_backing; k++)
      if (strcmp(pf->ds_backing[k].index, ix->name) == 0 &&
          ix->data_stream == NULL)
        ix->data_stream = xstrdup(pf, pf->ds_backing[k].alias);
  }
  for (size_t i = 0; i < pf->n_domains; i++)
    snm__preflight_sum_disk(&pf->domains[i]);
}

static void finish(struct snm_preflight *pf)
{
  if (pf->finishing)
    return;
  pf->finishing = 1;
  if (!pf->canceled) {
    merge_facts(pf);
    if (snm_preflight_verdict(pf) != 0)
      pf->nomem = 1;
  }
  pf->result = pf->canceled ? SNM_ECANCELED : pf->nomem ? SNM_ENOMEM : SNM_OK;
  pf->elapsed_s = (double)(uv_hrtime() - pf->started_ns) / 1e9;
  snm_log(SNM_LOG_DEBUG, "check: %lu requests in %.0f ms", pf->requests,
          pf->elapsed_s * 1000.0);
  pf->done(pf, pf->done_data);
}

static void on_defer_closed(uv_handle_t *h)
{
  struct snm_preflight *pf = h->data;

  free(h);
  pf->defer = NULL;
  finish(pf);
}

static void on_defer(uv_timer_t *t)
{
  uv_close((uv_handle_t *)t, on_defer_closed);
}

int snm_preflight_start(struct snm_preflight *pf, uv_loop_t *loop,
                        const struct snm_plan *plan, struct snm_es *es,
                        const struct snm_preflight_opts *opts,
                        snm_preflight_done_fn done, void *data,
                        struct snm_err *err)
{
  time_t now = opts != NULL && opts->now != 0 ? opts->now : time(NULL);
  int rc;

  assert(pf->plan == NULL && done != NULL);
  pf->started_ns = uv_hrtime();
  rc = snm_plan_snapshot_name(pf->snapshot_name, sizeof(pf->snapshot_name),
                              plan, now, err);
  if (rc != 0)
    return rc;
  if (snm_preflight_facts_alloc(pf, plan) != 0)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  pf->es = es;
  pf->done = done;
  pf->done_data = data;
  pf->pending = 1; /* held until every first-wave request is out */
  for (size_t i = 0; i < plan->n_domains; i++) {
    if (opts != NULL && opts->init_errors != NULL &&
        opts->init_errors[i].code != SNM_OK) {
      pf->domains[i].error = opts->init_errors[i];
      continue;
    }
    assert(es[i].read_only && es[i].dom == &plan->domains[i]);
    send_domain(pf, i);
  }
  if (--pf->pending > 0)
    return 0;
  /* Nothing went out: finish from the loop, never from here. */
  pf->defer = malloc(sizeof(uv_timer_t));
  if (pf->defer == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  uv_timer_init(loop, pf->defer);
  ((uv_timer_t *)pf->defer)->data = pf;
  uv_timer_start(pf->defer, on_defer, 0, 0);
  return 0;
}

void snm_preflight_cancel(struct snm_preflight *pf)
{
  pf->canceled = 1;
}
