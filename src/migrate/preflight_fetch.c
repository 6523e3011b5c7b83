/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_fetch.c - the preflight's read-only requests, all domains at
 * once, and how each reply becomes facts.  Reply callbacks only record;
 * finish() runs once, when the last reply is in. */
#include "buf.h"
#include "jtree.h"
#include "json.h"
#include "log.h"
#include "preflight.h"
#include "preflight_int.h"
#include "transport.h"
#include "es_chunk.h"
#include "es_reply.h"
#include "http.h"

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
  RQ_TARGET_STREAMS,
  RQ_TEMPLATES,
  RQ_COUNT
};

/* The requests of one kind that take the plan's index patterns (GET
 * PATTERNS/_settings, GET _cat/indices/PATTERNS on the source), sent in
 * URL-sized chunks (es_chunk.h): the fact is known once all have
 * answered. */
struct pf_batch {
  size_t left;   /* chunks not answered yet */
  size_t failed; /* chunks that failed: the fact is incomplete */
};

struct pf_req {
  struct snm_preflight *pf;
  size_t domain;
  enum rq_kind kind;
  char *path;             /* malloced, as sent (for messages) */
  char *index;            /* unused (NULL) */
  size_t first, n;        /* RQ_COUNT: pf->indices[first..first + n) */
  struct pf_batch *batch; /* NULL or shared, freed by the last one */
  int tries;              /* RQ_CAT_INDICES: asked before (cat_again) */
};

/* How often an index listing that came back unreadable is asked for:
 * _cat/indices joins several reads on the server, and an index created or
 * deleted between them leaves a row without some of its cells. */
#define PF_CAT_TRIES 3

static void finish(struct snm_preflight *pf);

static char *xstrdup(struct snm_preflight *pf, const char *s)
{
  char *d = strdup(s != NULL ? s : "");
  if (d == NULL)
    pf->nomem = 1;
  return d;
}

/* The fact a request reads (SNM_PF_N_FACTS: GET / and the repository,
 * which have their own records). */
static enum snm_pf_fact fact_of(enum rq_kind kind)
{
  switch (kind) {
  case RQ_HEALTH:
    return SNM_PF_FACT_HEALTH;
  case RQ_RUNNING:
    return SNM_PF_FACT_RUNNING;
  case RQ_DATA_STREAMS:
  case RQ_TARGET_STREAMS:
    return SNM_PF_FACT_DATA_STREAMS;
  case RQ_TEMPLATES:
    return SNM_PF_FACT_TEMPLATES;
  case RQ_SETTINGS:
    return SNM_PF_FACT_SETTINGS;
  case RQ_CAT_INDICES:
    return SNM_PF_FACT_INDICES;
  case RQ_ALIASES:
    return SNM_PF_FACT_ALIASES;
  case RQ_ALLOCATION:
    return SNM_PF_FACT_DISK;
  case RQ_CLUSTER_SETTINGS:
    return SNM_PF_FACT_CLUSTER_SETTINGS;
  case RQ_COUNT:
    return SNM_PF_FACT_COUNTS;
  default:
    return SNM_PF_N_FACTS;
  }
}

/* Remember why a request's fact is unknown (the first reason wins). */
static void record_failure(struct snm_preflight *pf, struct snm_pf_domain *d,
                           enum rq_kind kind, const char *msg)
{
  enum snm_pf_fact f = fact_of(kind);
  char **slot = f < SNM_PF_N_FACTS ? &d->fact_error[f] : &d->repo_error;

  if (*slot == NULL)
    *slot = xstrdup(pf, msg);
}

/* ---- recording ----------------------------------------------------------- */

static void on_info(struct snm_pf_domain *d, const struct snm_es_reply *reply,
                    const struct snm_err *err)
{
  const char *uuid;

  if (err->code != SNM_OK) {
    d->error = *err;
    return;
  }
  if (snm_es_parse_info(&d->info, reply->json, d->dom->id, &d->error) != 0)
    return;
  d->reached = 1;
  uuid = snm_jstr(reply->json, "cluster_uuid", (char *)NULL);
  if (uuid != NULL && strlen(uuid) < sizeof(d->cluster_uuid))
    snprintf(d->cluster_uuid, sizeof(d->cluster_uuid), "%s", uuid);
}

/* An error reply whose error.type is `type`. */
static int error_type_is(const struct snm_es_reply *reply, const char *type)
{
  const char *t;

  if (reply == NULL || (reply->status >= 200 && reply->status <= 299))
    return 0;
  t = snm_jstr(reply->json, "error", "type", (char *)NULL);
  return t != NULL && strcmp(t, type) == 0;
}

/* A 404 that says the repository is not registered; any other 404 (a
 * proxy, a wrong base path) proves nothing. */
static int repo_missing(const struct snm_es_reply *reply)
{
  return reply != NULL && reply->status == 404 &&
         error_type_is(reply, "repository_missing_exception");
}

/* Second wave, once every settings chunk answered: exact document counts
 * (what `run` verifies against), counted as _count does by POST /_msearch
 * (es_reply.h: up to 1000 indices a request), at most PF_COUNT_WINDOW
 * requests at a time (each reply sends the next), so a source with
 * thousands of indices neither floods the cluster nor has requests time
 * out while queued for a connection. */
#define PF_COUNT_WINDOW 2

static int send_get(struct snm_preflight *pf, size_t d, enum rq_kind kind,
                    const char *index, const char *fmt, ...);
static void send_patterns(struct snm_preflight *pf, size_t di,
                          enum rq_kind kind);

static int send_count_batch(struct snm_preflight *pf, size_t di);

static void send_counts(struct snm_preflight *pf, size_t di)
{
  while (pf->count_next < pf->n_indices &&
         pf->counts_in_flight < PF_COUNT_WINDOW && !pf->canceled)
    if (send_count_batch(pf, di) == 0)
      pf->counts_in_flight++;
}

/* The items of an _msearch count reply: each count found is kept; a
 * closed index has none (expected: docs stays -1); any other item that
 * failed makes the counts fact unknown, its message naming the index.
 * Returns -1 with `why` set when the reply as a whole is not one. */
static int record_counts(struct pf_req *rq, struct snm_pf_domain *d, yajl_val j,
                         char *why, size_t whysz)
{
  struct snm_preflight *pf = rq->pf;
  struct snm_es_count_item *items = calloc(rq->n, sizeof(*items));
  struct snm_err perr;

  if (items == NULL) {
    pf->nomem = 1;
    snprintf(why, whysz, "out of memory");
    return -1;
  }
  if (snm_es_parse_count_msearch(items, rq->n, j, &perr) != 0) {
    snprintf(why, whysz, "%.180s", perr.msg);
    free(items);
    return -1;
  }
  for (size_t k = 0; k < rq->n; k++) {
    struct snm_pf_index *ix = &pf->indices[rq->first + k];

    if (items[k].count >= 0) {
      ix->docs = items[k].count;
    } else if (items[k].status != 400 ||
               strstr(items[k].why, "index_closed_exception") == NULL) {
      struct snm_buf msg;
      snm_buf_init(&msg, 0);
      if (snm_buf_printf(&msg, "%s: POST %s: the count of %s: %s", d->dom->id,
                         rq->path, ix->name, items[k].why) != 0)
        pf->nomem = 1;
      record_failure(pf, d, rq->kind, snm_buf_str(&msg));
      snm_buf_dispose(&msg);
    }
  }
  free(items);
  return 0;
}

/* A 2xx reply: hand it to its parser.  Returns 0, or -1 with `why` set
 * when it is not what was asked for. */
static int parse_reply(struct pf_req *rq, struct snm_pf_domain *d,
                       const struct snm_es_reply *reply, char *why,
                       size_t whysz)
{
  struct snm_preflight *pf = rq->pf;
  yajl_val j = reply->json;

  switch (rq->kind) {  /* the text tables */
  case RQ_CAT_INDICES: /* the source alone keeps its snapshot's only */
    return snm__pf_parse_cat_indices(pf, d, reply->body, reply->body_len,
                                     (d->roles & SNM_PF_ROLE_SOURCE) != 0,
                                     d->roles == SNM_PF_ROLE_SOURCE, why,
                                     whysz);
  case RQ_ALIASES: /* the source alone keeps its snapshot's only */
    return snm__pf_parse_cat_aliases(pf, d, reply->body, reply->body_len,
                                     d->roles == SNM_PF_ROLE_SOURCE, why,
                                     whysz);
  case RQ_REPO_SNAPSHOTS:
    return snm__pf_parse_cat_snapshots(pf, d, reply->body, reply->body_len, why,
                                       whysz);
  case RQ_DATA_STREAMS: /* JSON, read as a stream: only what is used */
    return snm__pf_parse_data_streams(pf, reply->body, reply->body_len, 1, why,
                                      whysz);
  case RQ_TARGET_STREAMS:
    return snm__pf_parse_target_streams(pf, d, reply->body, reply->body_len,
                                        why, whysz);
  default:
    break;
  }
  if (j == NULL) {
    snprintf(why, whysz, "%s",
             reply->body_len == 0 ? "the reply is empty"
                                  : "the reply is not JSON");
    return -1;
  }
  switch (rq->kind) {
  case RQ_HEALTH:
    return snm__pf_parse_health(d, j, why, whysz);
  case RQ_REPO:
    return snm__pf_parse_repo(pf, d, j, why, whysz);
  case RQ_RUNNING:
    return snm__pf_parse_running(pf, d, j, why, whysz);
  case RQ_SETTINGS:
    return snm__pf_parse_settings(pf, j, why, whysz);
  case RQ_ALLOCATION:
    return snm__pf_parse_allocation(pf, d, j, why, whysz);
  case RQ_CLUSTER_SETTINGS:
    return snm__pf_parse_cluster_settings(d, j, why, whysz);
  case RQ_TEMPLATES:
    return snm__pf_parse_templates(pf, d, j, why, whysz);
  case RQ_COUNT:
    return record_counts(rq, d, j, why, whysz);
  default:
    break;
  }
  assert(0);
  return 0;
}

/* Record one reply (GET / aside). */
static int send_path(struct snm_preflight *pf, size_t di, enum rq_kind kind,
                     const char *index, struct pf_batch *batch,
                     struct snm_buf *path, int rc, int tries);

/* An index listing answered 2xx with a table that cannot be read (`why`:
 * a row short of cells, when an index came or went while the server
 * joined its reads) is asked for again, up to PF_CAT_TRIES times in all;
 * the last answer is recorded as it is (a blocker when unreadable).
 * Returns 1 when sent again (the new request answers for this chunk). */
static int cat_again(struct pf_req *rq, struct snm_pf_domain *d,
                     const char *why)
{
  struct snm_buf path;

  if (rq->kind != RQ_CAT_INDICES || rq->tries + 1 >= PF_CAT_TRIES)
    return 0;
  snm_log(SNM_LOG_INFO,
          "%s: GET %s: %s; asking again (indices created or deleted "
          "meanwhile leave such rows)",
          d->dom->id, rq->path, why);
  snm_buf_init(&path, 0);
  if (rq->batch != NULL)
    rq->batch->left++;
  (void)send_path(rq->pf, rq->domain, rq->kind, rq->index, rq->batch, &path,
                  snm_buf_puts(&path, rq->path), rq->tries + 1);
  rq->batch = NULL; /* the new request's now (send_path frees it on failure) */
  return 1;
}

static void record(struct pf_req *rq, struct snm_pf_domain *d,
                   const struct snm_es_reply *reply, const struct snm_err *err)
{
  struct snm_preflight *pf = rq->pf;
  char why[200];

  if ((rq->kind == RQ_REPO || rq->kind == RQ_REPO_SNAPSHOTS) &&
      repo_missing(reply)) {
    if (rq->kind == RQ_REPO)
      d->repo_state = SNM_PF_REPO_ABSENT;
    return;
  }
  if (err->code == SNM_OK && parse_reply(rq, d, reply, why, sizeof(why)) == 0)
    return;
  if (err->code == SNM_OK && cat_again(rq, d, why))
    return;
  if (rq->batch != NULL)
    rq->batch->failed++;
  if (err->code != SNM_OK) {
    record_failure(pf, d, rq->kind, err->msg);
  } else {
    /* worded like the es layer's messages: "ID: GET PATH: ..." */
    struct snm_buf msg;
    snm_buf_init(&msg, 0);
    if (snm_buf_printf(&msg, "%s: %s %s: HTTP %ld, but %s", d->dom->id,
                       rq->kind == RQ_COUNT ? "POST" : "GET", rq->path,
                       reply->status, why) != 0)
      pf->nomem = 1;
    record_failure(pf, d, rq->kind, snm_buf_str(&msg));
    snm_buf_dispose(&msg);
  }
}

/* ---- requests ------------------------------------------------------------ */

/* Every chunk of a pattern request answered (`ok`: all of them 2xx and
 * read).  With the index list complete, the second wave: the counts, and
 * the listings that grow with the cluster but matter only for the indices
 * found, which are then kept for those only (issue #8, item 13): the data
 * streams, and a source's (not a source and target's) index listing and
 * aliases. */
static void batch_done(struct snm_preflight *pf, size_t di, enum rq_kind kind,
                       int ok)
{
  struct snm_pf_domain *d = &pf->domains[di];

  if (kind == RQ_CAT_INDICES) {
    d->existing_known = ok;
    return;
  }
  assert(kind == RQ_SETTINGS);
  if (!ok)
    return; /* the verdict's source-indices blocker says why */
  pf->indices_known = 1;
  if (d->roles == SNM_PF_ROLE_SOURCE) {
    send_patterns(pf, di, RQ_CAT_INDICES);
    send_get(
        pf, di, RQ_ALIASES, NULL,
        "/_cat/aliases?v=true&expand_wildcards=all&h=" SNM__PF_CAT_ALIASES);
  }
  send_get(pf, di, RQ_DATA_STREAMS, NULL, "/_data_stream");
  send_counts(pf, di);
}

static void on_reply(const struct snm_es_reply *reply,
                     const struct snm_err *err, void *data)
{
  struct pf_req *rq = data;
  struct snm_preflight *pf = rq->pf;
  struct snm_pf_domain *d = &pf->domains[rq->domain];

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
  if (rq->kind == RQ_INFO) {
    on_info(d, reply, err);
    snm__pf_security_send(pf, rq->domain); /* preflight_security.c */
  } else
    record(rq, d, reply, err);
  if (rq->batch != NULL && rq->batch->left == 0)
    batch_done(pf, rq->domain, rq->kind, rq->batch->failed == 0);
  else if (rq->kind == RQ_COUNT)
    send_counts(pf, rq->domain);
done:
  if (rq->batch != NULL && rq->batch->left == 0)
    free(rq->batch);
  free(rq->path);
  free(rq->index);
  free(rq);
  snm__pf_request_done(pf);
}

void snm__pf_request_done(struct snm_preflight *pf)
{
  assert(pf->pending > 0);
  if (--pf->pending == 0)
    finish(pf);
}

/* Send GET `path` (disposed here).  A request that cannot be sent counts
 * as that request's failure (and as an answered chunk of `batch`).
 * Returns 0 or the error. */
static int send_path(struct snm_preflight *pf, size_t di, enum rq_kind kind,
                     const char *index, struct pf_batch *batch,
                     struct snm_buf *path, int rc, int tries)
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
  if (rq == NULL || (index != NULL && (rq->index = strdup(index)) == NULL) ||
      (rq->path = strdup(snm_buf_str(path))) == NULL) {
    rc = snm_err_set(&err, SNM_ENOMEM, "out of memory");
    goto fail;
  }
  rq->pf = pf;
  rq->domain = di;
  rq->kind = kind;
  rq->batch = batch;
  rq->tries = tries;
  pf->pending++;
  /* the listings that grow with the cluster: never a yajl tree */
  rc = snm_transport_send(
      pf->transport,
      &(struct snm_request){
          .loop = pf->loop,
          .es = &pf->es[di],
          .method = "GET",
          .path = snm_buf_str(path),
          .raw = kind == RQ_CAT_INDICES || kind == RQ_ALIASES ||
                 kind == RQ_REPO_SNAPSHOTS || kind == RQ_DATA_STREAMS ||
                 kind == RQ_TARGET_STREAMS},
      on_reply, rq, &err);
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
  else
    record_failure(pf, d, kind, err.msg);
  if (rq != NULL) {
    free(rq->path);
    free(rq->index);
  }
  free(rq);
  snm_buf_dispose(path);
  if (batch != NULL) {
    batch->failed++;
    if (--batch->left == 0)
      free(batch); /* no chunk went out: nobody else holds it */
  }
  return rc;
}

/* Send POST /_msearch counting the next indices from pf->count_next (as
 * many as one request takes).  A request that cannot be sent makes the
 * counts fact unknown.  Returns 0 or the error. */
static int send_count_batch(struct snm_preflight *pf, size_t di)
{
  struct snm_pf_domain *d = &pf->domains[di];
  size_t first = pf->count_next, n = pf->n_indices - first, taken = 0;
  const char **names = NULL;
  struct pf_req *rq = NULL;
  struct snm_buf body;
  struct snm_err err;
  int rc;

  snm_err_clear(&err);
  snm_buf_init(&body, 0);
  if (n > SNM_ES_MSEARCH_ITEMS_MAX)
    n = SNM_ES_MSEARCH_ITEMS_MAX;
  names = malloc(n * sizeof(*names));
  rq = calloc(1, sizeof(*rq));
  if (names == NULL || rq == NULL || (rq->path = strdup("/_msearch")) == NULL) {
    rc = snm_err_set(&err, SNM_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t k = 0; k < n; k++)
    names[k] = pf->indices[first + k].name;
  if (snm_es_count_msearch_body(&body, &taken, names, n,
                                SNM_ES_MSEARCH_BODY_MAX) != 0) {
    rc = snm_err_set(&err, SNM_ENOMEM, "out of memory");
    goto fail;
  }
  pf->count_next += taken;
  rq->pf = pf;
  rq->domain = di;
  rq->kind = RQ_COUNT;
  rq->first = first;
  rq->n = taken;
  pf->pending++;
  rc = snm_transport_send(pf->transport,
                          &(struct snm_request){.loop = pf->loop,
                                                .es = &pf->es[di],
                                                .method = "POST",
                                                .path = rq->path,
                                                .body = snm_buf_str(&body),
                                                .replay = SNM_HTTP_REPLAY_YES,
                                                .ndjson = 1},
                          on_reply, rq, &err);
  if (rc != 0) {
    pf->pending--;
    goto fail;
  }
  pf->requests++;
  free(names);
  snm_buf_dispose(&body);
  return 0;
fail:
  if (taken == 0)
    pf->count_next = pf->n_indices; /* nothing more will be tried */
  if (rc == SNM_ENOMEM)
    pf->nomem = 1;
  record_failure(pf, d, RQ_COUNT, err.msg);
  if (rq != NULL)
    free(rq->path);
  free(rq);
  free(names);
  snm_buf_dispose(&body);
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
  return send_path(pf, di, kind, index, NULL, &path, rc, 0);
}

/* How patterns resolve: over closed and hidden indices, missing names and
 * patterns that match nothing ignored. */
#define PF_PATTERN_OPTIONS                                                     \
  "expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true"

/* The source's _cat/indices: a text table (see preflight_parse.c). */
#define PF_CAT_SOURCE "v=true&bytes=b&h=" SNM__PF_CAT_INDICES_SOURCE

/* The index settings the preflight reads (GET INDICES/_settings/NAMES):
 * not all of them, which can be kilobytes per index. */
#define PF_SETTINGS                                                            \
  "index.number_of_shards,index.number_of_replicas,index.version.created,"     \
  "index.hidden"

/* A request on the source that takes snapshot.indices, the plan's
 * patterns (or all indices without them).  A long pattern list goes in
 * URL-sized chunks (the request line has a size limit), unless a pattern
 * excludes ("-x" applies to the patterns before it in the same request, so
 * such a list cannot be split).  Both kinds resolve the patterns the same
 * way (wildcards over closed and hidden indices, aliases, data streams;
 * missing names ignored), so the listing holds the indices the settings
 * name (merge_facts checks it). */
static void send_patterns(struct snm_preflight *pf, size_t di,
                          enum rq_kind kind)
{
  const struct snm_snapshot_spec *s = &pf->plan->snapshot;
  const char *const *pats = (const char *const *)s->indices;
  struct pf_batch *batch = calloc(1, sizeof(*batch));
  size_t one = s->n_indices, *ends = &one, n_chunks = 1;
  int split = s->n_indices > 0;

  assert(kind == RQ_SETTINGS || kind == RQ_CAT_INDICES);
  for (size_t i = 0; i < s->n_indices; i++)
    if (pats[i][0] == '-')
      split = 0;
  /* the listing is never narrowed by name: OpenSearch 2.19 leaves GET
   * _cat/indices/NAMES?ignore_unavailable=true unanswered when a name
   * does not exist (the request timed out, 3 x 30 s), so it lists all
   * indices, as a text table of the few columns used */
  if (kind == RQ_CAT_INDICES)
    split = 0;
  if (batch == NULL ||
      (split && snm_es_chunk_names(&ends, &n_chunks, pats, s->n_indices,
                                   SNM_ES_URL_LIST_MAX) != 0)) {
    free(batch);
    pf->nomem = 1;
    record_failure(pf, &pf->domains[di], kind, "out of memory");
    return;
  }
  batch->left = n_chunks;
  for (size_t k = 0; k < n_chunks; k++) {
    size_t start = snm_es_chunk_start(ends, k);
    struct snm_buf path;
    int rc;

    snm_buf_init(&path, 0);
    if (s->n_indices == 0 && kind == RQ_SETTINGS)
      rc = snm_es_path(&path, "/_all/_settings/" PF_SETTINGS
                              "?expand_wildcards=all&flat_settings=true");
    else if (s->n_indices == 0 || kind == RQ_CAT_INDICES)
      rc = snm_es_path(&path,
                       "/_cat/indices?" PF_CAT_SOURCE "&expand_wildcards=all");
    else if (kind == RQ_SETTINGS)
      rc = snm_es_path(&path,
                       "/%l/_settings/" PF_SETTINGS "?" PF_PATTERN_OPTIONS
                       "&flat_settings=true",
                       pats + start, ends[k] - start);
    else
      rc = snm_es_path(&path,
                       "/_cat/indices/%l?" PF_CAT_SOURCE "&" PF_PATTERN_OPTIONS,
                       pats + start, ends[k] - start);
    send_path(pf, di, kind, NULL, batch, &path, rc, 0);
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
  /* the big listings as _cat text tables, only the columns needed (see
   * preflight_parse.c) */
  send_get(pf, di, RQ_REPO_SNAPSHOTS, NULL,
           "/_cat/snapshots/%s?v=true&h=" SNM__PF_CAT_SNAPSHOTS, repo);
  if (d->roles != SNM_PF_ROLE_SOURCE) {
    /* a target: any index or alias may be in the way */
    send_get(pf, di, RQ_CAT_INDICES, NULL,
             (d->roles & SNM_PF_ROLE_SOURCE)
                 ? "/_cat/indices?" PF_CAT_SOURCE "&expand_wildcards=all"
                 : "/_cat/indices?v=true&expand_wildcards=all"
                   "&h=" SNM__PF_CAT_INDICES);
    send_get(
        pf, di, RQ_ALIASES, NULL,
        "/_cat/aliases?v=true&expand_wildcards=all&h=" SNM__PF_CAT_ALIASES);
  }
  if (d->roles & SNM_PF_ROLE_SOURCE) {
    /* then (batch_done) its index listing, aliases and data streams */
    send_get(pf, di, RQ_RUNNING, NULL, "/_snapshot/_status");
    send_patterns(pf, di, RQ_SETTINGS);
  }
  if (d->roles & SNM_PF_ROLE_TARGET) {
    send_get(pf, di, RQ_ALLOCATION, NULL,
             "/_cat/allocation?format=json&bytes=b");
    send_get(pf, di, RQ_CLUSTER_SETTINGS, NULL,
             "/_cluster/settings?include_defaults=true&flat_settings=true");
    /* whether a restored data stream's name is taken, and its template */
    send_get(pf, di, RQ_TARGET_STREAMS, NULL, "/_data_stream");
    send_get(pf, di, RQ_TEMPLATES, NULL, "/_index_template");
  }
}

/* ---- finishing ------------------------------------------------------------
 */

static int existing_cmp(const void *a, const void *b)
{
  return strcmp(((const struct snm_pf_existing *)a)->name,
                ((const struct snm_pf_existing *)b)->name);
}

/* The source's listing facts onto the indices its settings resolved.  An
 * index the listing does not hold (created or deleted between the two
 * requests) leaves the listing unknown, never "open and green". */
static void merge_facts(struct snm_preflight *pf)
{
  struct snm_pf_domain *src = &pf->domains[pf->plan->snapshot.domain];

  if (src->existing_known && src->n_existing > 1)
    qsort(src->existing, src->n_existing, sizeof(*src->existing), existing_cmp);
  for (size_t i = 0; i < pf->n_indices; i++) {
    struct snm_pf_index *ix = &pf->indices[i];
    struct snm_pf_existing key = {0}, *e = NULL;

    key.name = ix->name;
    if (src->existing_known)
      e = bsearch(&key, src->existing, src->n_existing, sizeof(*e),
                  existing_cmp);
    if (e != NULL) {
      ix->closed = e->closed;
      ix->pri_bytes = e->pri_bytes;
      memcpy(ix->health, e->health, sizeof(ix->health));
    } else if (src->existing_known &&
               src->fact_error[SNM_PF_FACT_INDICES] == NULL) {
      struct snm_buf msg;
      snm_buf_init(&msg, 0);
      snm_best_effort(snm_buf_printf(
          &msg,
          "%s: GET /_cat/indices: index %s, which GET _settings "
          "found, is not listed (created or deleted meanwhile?); "
          "run check again",
          src->dom->id, ix->name));
      record_failure(pf, src, RQ_CAT_INDICES, snm_buf_str(&msg));
      snm_buf_dispose(&msg);
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
  pf->source_optional = opts != NULL && opts->source_optional;
  pf->resuming = opts != NULL && opts->resuming;
  pf->transport = opts != NULL ? opts->transport : NULL;
  pf->loop = loop;
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
  snm__pf_meta_send(pf);
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
