/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_req.c - the run's requests; their completions only record. */
#include "workflow_req.h"
#include "jtree.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "snm_version.h"
#include "es_chunk.h"
#include "timefmt.h"
#include "transport.h"
#include "workflow_int.h"

#include <stdlib.h>
#include <string.h>

enum wf_kind {
  K_REGISTER,
  K_SNAP_GET,
  K_SNAP_LOOKUP,
  K_COUNT,   /* GET NAME/_count of a wf_count (source or target) */
  K_MSEARCH, /* POST /_msearch of a wf_count */
  K_SNAP_PUT,
  K_SNAP_POLL,
  K_SNAP_STATUS, /* beside the poll: wf->status_pending */
  K_RESTORE,
  K_PROBE_LIST,
  K_PROBE_ORIGIN,
  K_PROBE_ROUTING,
  K_RECOVERY,
  K_HEALTH,
  K_REFRESH,
  K_TSTREAM,
  K_SHARDS,
  K_EXPLAIN,
  K_CLOSE,
  K_IDENTITY,
  K_PRUNE_GET,
  K_PRUNE_DELETE,
  K_SRC_REFRESH,
  K_CUT_GET,    /* GET CHUNK/_settings/index.blocks.write (source) */
  K_CUT_PUT,    /* PUT CHUNK/_settings {"index.blocks.write": ..} */
  K_ALIAS_GET,  /* GET /_alias/NAME (a target) */
  K_ALIAS_POST, /* POST /_aliases (a target) */
  K_SAMPLE,     /* POST /_msearch on the source: a sample draw (target) */
  K_MGET        /* POST /_mget on the target: the drawn documents */
};

struct wf_req {
  struct snm_workflow *wf;
  struct wf_target *t; /* NULL: a top-level request */
  enum wf_kind kind;
  size_t i;             /* domain or index, by kind */
  size_t n;             /* K_MSEARCH: how many names from i */
  long long sent_ms;    /* K_SNAP_STATUS */
  struct wf_count *cnt; /* K_COUNT, K_MSEARCH */
};

static void record_first(struct snm_err *dst, int *flag,
                         const struct snm_err *e)
{
  if (flag != NULL && *flag)
    return;
  *dst = *e;
  if (flag != NULL)
    *flag = 1;
}

/* A proxy's or an overloaded cluster's answer while waiting: no news.
 * 429 too: the HTTP engine has already waited as Retry-After asked, and
 * the work goes on on the server. */
static int no_news(const struct snm_err *err)
{
  return err->code == SNM_ENET || err->code == SNM_ETIMEOUT ||
         (err->code == SNM_EHTTP &&
          (err->http_status == 429 || err->http_status == 502 ||
           err->http_status == 503 || err->http_status == 504));
}

/* The outcome of a non-replayable request is unknown. */
static int outcome_unknown(const struct snm_err *err)
{
  return err->code == SNM_ENET || err->code == SNM_ETIMEOUT ||
         (err->code == SNM_EHTTP &&
          (err->http_status == 502 || err->http_status == 504));
}

/* Chunk `k` of a cutover's GET _settings/index.blocks.write (flat): each
 * name's value, -1 when the index has none set, -2 when the reply does not
 * list the index (unknown: never read as unset). */
static void record_blocks(struct snm_workflow *wf, size_t k, yajl_val json)
{
  size_t start = snm_es_chunk_start(wf->cut_ends, k);

  if (!YAJL_IS_OBJECT(json)) {
    wf->cut_bad_reply = 1;
    return;
  }
  for (size_t i = start; i < wf->cut_ends[k]; i++) {
    yajl_val set = snm_jget(json, wf->cut_names[i], "settings", NULL);
    yajl_val v = NULL;

    if (!YAJL_IS_OBJECT(set)) {
      wf->cut_value[i] = -2;
      continue;
    }
    for (size_t m = 0; m < set->u.object.len; m++)
      if (strcmp(set->u.object.keys[m], "index.blocks.write") == 0)
        v = set->u.object.values[m];
    if (v == NULL)
      wf->cut_value[i] = -1;
    else if (YAJL_IS_STRING(v))
      wf->cut_value[i] = strcmp(v->u.string, "true") == 0 ? 1 : 0;
    else
      wf->cut_value[i] = YAJL_IS_TRUE(v) ? 1 : 0;
  }
}

/* GET /_alias/NAME of alias `i`: the indices that hold it
 * ({"idx": {"aliases": {"NAME": {}}}, ...}). */
static void record_holders(struct snm_workflow *wf, size_t i, yajl_val json)
{
  struct snm_buf b;

  wf->cut_alias_read[i] = 1;
  if (!YAJL_IS_OBJECT(json))
    return;
  snm_buf_init(&b, 0);
  for (size_t m = 0; m < json->u.object.len; m++)
    if (snm_buf_printf(&b, "%s%s", b.len > 0 ? "," : "",
                       json->u.object.keys[m]) != 0)
      break;
  free(wf->cut_holders[i]);
  wf->cut_holders[i] = snm_buf_steal(&b);
  snm_buf_dispose(&b);
}

static void record_wf(struct wf_req *q, const struct snm_es_reply *reply,
                      const struct snm_err *err)
{
  struct snm_workflow *wf = q->wf;
  struct snm_err perr;

  switch (q->kind) {
  case K_SNAP_LOOKUP:
    if (err->code == SNM_EHTTP && err->http_status == 404) {
      wf->r_exists = 0;
      return;
    }
    /* fall through */
  case K_SNAP_GET:
    if (err->code != SNM_OK) {
      record_first(&wf->r_err, &wf->r_failed, err);
      return;
    }
    wf->r_exists = 1;
    if (snm_es_parse_snapshot_info(&wf->r_info, reply->json,
                                   wf_round(wf)->snapshot.name, &perr) != 0)
      record_first(&wf->r_err, &wf->r_failed, &perr);
    return;
  case K_PRUNE_GET:
  case K_PRUNE_DELETE:
    if (err->code == SNM_EHTTP && err->http_status == 404) {
      wf->prune_exists = 0; /* gone already */
      return;
    }
    if (err->code != SNM_OK) {
      record_first(&wf->r_err, &wf->r_failed, err);
      return;
    }
    wf->prune_exists = 1;
    if (q->kind == K_PRUNE_GET) {
      const char *rid = NULL;
      yajl_val snaps = snm_jget(reply->json, "snapshots", NULL);
      if (YAJL_IS_ARRAY(snaps) && snaps->u.array.len == 1)
        rid = snm_jstr(snaps->u.array.values[0], "metadata", "snapmig_run_id",
                       NULL);
      free(wf->prune_run_id);
      wf->prune_run_id = rid != NULL ? strdup(rid) : NULL;
    }
    return;
  case K_SRC_REFRESH:
    /* best effort: without it the "after" count may miss documents the
     * snapshot holds (indexed, not yet searchable) */
    if (err->code != SNM_OK && !wf->refresh_warned) {
      wf->refresh_warned = 1;
      snm_log(SNM_LOG_WARN,
              "%s (the source is counted without a refresh: documents "
              "written during the snapshot may be missing from the count)",
              err->msg);
    }
    return;
  case K_SNAP_PUT:
    if (err->code == SNM_OK)
      return;
    if (outcome_unknown(err) ||
        (reply != NULL && reply->body != NULL &&
         (strstr(reply->body, "already exists") != NULL ||
          strstr(reply->body, "invalid_snapshot_name") != NULL))) {
      wf->r_unknown = 1;
      wf->r_err = *err;
      return;
    }
    record_first(&wf->r_err, &wf->r_failed, err);
    return;
  case K_SNAP_POLL:
    if (err->code == SNM_OK) {
      if (snm_es_parse_snapshot_info(&wf->r_info, reply->json,
                                     wf_round(wf)->snapshot.name, &perr) != 0)
        record_first(&wf->r_err, &wf->r_failed, &perr);
    } else if (no_news(err)) {
      wf->r_nonews = 1;
      snm_log(SNM_LOG_INFO, "%s (still waiting)", err->msg);
    } else {
      record_first(&wf->r_err, &wf->r_failed, err);
    }
    return;
  case K_REGISTER:
  case K_CUT_PUT:
    if (err->code != SNM_OK)
      record_first(&wf->r_err, &wf->r_failed, err);
    return;
  case K_CUT_GET:
    if (err->code != SNM_OK) {
      record_first(&wf->r_err, &wf->r_failed, err);
      return;
    }
    record_blocks(wf, q->i, reply->json);
    return;
  case K_ALIAS_GET:
    /* 404: the alias is on no index */
    if (err->code == SNM_EHTTP && err->http_status == 404 &&
        (reply == NULL || reply->body == NULL ||
         strstr(reply->body, "index_not_found") == NULL)) {
      wf->cut_alias_read[q->i] = 1;
      return;
    }
    if (err->code != SNM_OK) {
      record_first(&wf->r_err, &wf->r_failed, err);
      return;
    }
    record_holders(wf, q->i, reply->json);
    return;
  case K_ALIAS_POST:
    if (err->code == SNM_OK)
      return;
    if (outcome_unknown(err)) {
      wf->r_unknown = 1;
      wf->r_err = *err;
      return;
    }
    record_first(&wf->r_err, &wf->r_failed, err);
    return;
  default:
    return;
  }
}

/* Chunk `k` of the probe's listing: GET NAMES/_settings/index.uuid with
 * ignore_unavailable, whose reply has a key for every name that exists
 * (open or closed).  Anything but an object is a failure: an unreadable
 * listing never counts as "nothing exists". */
static void record_probe_list(struct wf_target *t, size_t k, yajl_val json)
{
  size_t start = snm_es_chunk_start(t->probe_ends, k);
  struct snm_err e;

  if (!YAJL_IS_OBJECT(json)) {
    snm_err_set(&e, SNM_EPARSE,
                "%s: GET _settings: the reply is not an object, so it "
                "cannot tell which target names are taken",
                t->es->dom->id);
    record_first(&t->r_err, &t->r_failed, &e);
    return;
  }
  for (size_t i = start; i < t->probe_ends[k]; i++) {
    yajl_val ix = snm_jget(json, t->probe[i], "settings", "index", NULL);
    const char *uuid = snm_jstr(ix, "uuid", NULL);
    const char *shards = snm_jstr(ix, "number_of_shards", NULL);
    char *end = NULL;
    long n = shards != NULL ? strtol(shards, &end, 10) : -1;

    t->probe_exists[i] = snm_jget(json, t->probe[i], NULL) != NULL;
    free(t->probe_uuid[i]);
    t->probe_uuid[i] = uuid != NULL ? strdup(uuid) : NULL;
    t->probe_shards[i] = end != NULL && end != shards && *end == '\0' ? n : -1;
  }
}

/* Chunk `k` of the restored indices' identities: the UUID of each, kept in
 * its state file entry (a later sync round replaces an index only while
 * that UUID is unchanged).  An index the reply leaves out keeps no UUID:
 * a later round then refuses to replace it, never guesses. */
static void record_identity(struct wf_target *t, size_t k, yajl_val json)
{
  struct snm_state_restore *sr = &wf_round(t->wf)->restores[t->r];
  size_t start = snm_es_chunk_start(t->chunk_ends, k);

  for (size_t i = start; i < t->chunk_ends[k]; i++) {
    const char *uuid =
        snm_jstr(json, t->wait[i], "settings", "index", "uuid", NULL);
    for (size_t j = 0; j < sr->n_indices; j++)
      if (strcmp(sr->indices[j].target, t->wait[i]) == 0 &&
          snm_state_set_str(&sr->indices[j].uuid, uuid) != 0) {
        struct snm_err e;
        snm_err_set(&e, SNM_ENOMEM, "out of memory");
        record_first(&t->r_err, &t->r_failed, &e);
      }
  }
}

/* The origins that _recovery left unknown in chunk `k`, from the routing
 * table (a restore whose primaries wait to be allocated). */
static void record_probe_routing(struct wf_target *t, size_t k, yajl_val json)
{
  size_t start = snm_es_chunk_start(t->probe_ends, k);

  for (size_t i = start; i < t->probe_ends[k]; i++)
    if (t->probe_exists[i] && t->probe_origin[i] == SNM_ES_ORIGIN_UNKNOWN)
      t->probe_origin[i] =
          snm_es_routing_origin(json, t->probe[i], t->wf->plan->repository.name,
                                wf_round(t->wf)->snapshot.name);
}

/* The origins of the existing names of chunk `k` (GET NAMES/_recovery). */
static void record_probe_origin(struct wf_target *t, size_t k, yajl_val json)
{
  size_t start = snm_es_chunk_start(t->probe_ends, k);
  struct snm_err e;

  if (!YAJL_IS_OBJECT(json)) {
    snm_err_set(&e, SNM_EPARSE,
                "%s: GET _recovery: the reply is not an object, so it "
                "cannot tell where the existing indices came from",
                t->es->dom->id);
    record_first(&t->r_err, &t->r_failed, &e);
    return;
  }
  for (size_t i = start; i < t->probe_ends[k]; i++)
    if (t->probe_exists[i])
      t->probe_origin[i] = snm_es_recovery_origin(
          json, t->probe[i], t->wf->plan->repository.name,
          wf_round(t->wf)->snapshot.name);
}

/* A health reply of the round (through the patterns, or by name): the
 * level of each restored index it lists. */
static void record_health(struct wf_target *t, yajl_val json)
{
  snm_wf_health_levels(json, t->wait, t->n_wait, t->hlevel);
}

/* A recovery reply of the round (through the patterns, or by name): the
 * indices it lists go into t->rec. */
static void record_recovery(struct wf_target *t, yajl_val json)
{
  struct snm_es_recovery part;
  struct snm_err perr;

  if (snm_es_parse_recovery(&part, json, t->wait, t->n_wait, &perr) != 0) {
    /* a junk reply is no news, unless it keeps coming (t_polled) */
    snm_err_set(&t->bad_reply, perr.code, "%s: GET _recovery: %s",
                t->es->dom->id, perr.msg);
    t->r_bad = 1;
  } else if (t->rec.n == part.n) {
    snm_es_recovery_take_listed(&t->rec, &part);
  }
  snm_es_recovery_dispose(&part);
}

/* GET _data_stream/NAME of verify: the backing indices it lists, or a
 * failure when the reply does not describe the stream. */
static void record_stream(struct wf_target *t, size_t i, yajl_val j)
{
  yajl_val a = snm_jget(j, "data_streams", (char *)NULL), ds, ix;
  struct snm_buf b;
  struct snm_err e;

  snm_buf_init(&b, 0);
  ds = YAJL_IS_ARRAY(a) && a->u.array.len == 1 ? a->u.array.values[0] : NULL;
  ix = snm_jget(ds, "indices", (char *)NULL);
  if (ds == NULL || !YAJL_IS_ARRAY(ix) ||
      snm_jstr(ds, "name", (char *)NULL) == NULL ||
      strcmp(snm_jstr(ds, "name", (char *)NULL), t->ds_names[i]) != 0) {
    snm_err_set(&e, SNM_EPARSE,
                "%s: GET /_data_stream/%s: the reply does not describe data "
                "stream %s",
                t->es->dom->id, t->ds_names[i], t->ds_names[i]);
    record_first(&t->r_err, &t->r_failed, &e);
    return;
  }
  for (size_t k = 0; k < ix->u.array.len; k++) {
    const char *name =
        snm_jstr(ix->u.array.values[k], "index_name", (char *)NULL);
    if (snm_buf_printf(&b, "%s%s", k > 0 ? "," : "",
                       name != NULL ? name : "?") != 0)
      break;
  }
  free(t->ds_backing[i]);
  t->ds_backing[i] = snm_buf_steal(&b);
  snm_buf_dispose(&b);
  if (t->ds_backing[i] == NULL) {
    snm_err_set(&e, SNM_ENOMEM, "out of memory");
    record_first(&t->r_err, &t->r_failed, &e);
  }
}

static void record_target(struct wf_req *q, const struct snm_es_reply *reply,
                          const struct snm_err *err)
{
  struct wf_target *t = q->t;

  switch (q->kind) {
  case K_RESTORE:
    if (err->code == SNM_OK) {
      t->r_ok = 1;
    } else if (outcome_unknown(err)) {
      t->r_unknown = 1;
      t->r_err = *err;
    } else {
      record_first(&t->r_err, &t->r_failed, err);
    }
    return;
  case K_RECOVERY:
  case K_HEALTH:
    /* a health wait that timed out answers 408 with the health body */
    if (q->kind == K_HEALTH && reply != NULL && reply->status == 408) {
      record_health(t, reply->json);
      return;
    }
    if (err->code != SNM_OK) {
      if (no_news(err)) {
        if (!t->r_nonews)
          snm_log(SNM_LOG_INFO, "%s (still waiting)", err->msg);
        t->r_nonews = 1;
      } else
        record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    if (q->kind == K_HEALTH)
      record_health(t, reply->json);
    else
      record_recovery(t, reply->json);
    return;
  case K_SHARDS:
    if (err->code != SNM_OK) {
      snm_log(SNM_LOG_DEBUG, "%s (shard check skipped)", err->msg);
    } else if (t->bad_found != 1) {
      /* a failed primary (1) is worth more than a waiting one (2) */
      struct snm_es_failed_shard cand;
      int f = snm_es_find_failed_shard(&cand, reply->json, t->wait, t->n_wait);
      if (f != 0 && (t->bad_found == 0 || f < t->bad_found)) {
        t->bad = cand;
        t->bad_found = f;
      }
    }
    return;
  case K_EXPLAIN:
    if (err->code != SNM_OK)
      snm_log(SNM_LOG_DEBUG, "%s (no explanation)", err->msg);
    else
      t->explained = snm_es_parse_explain(&t->bad, reply->json);
    return;
  case K_PROBE_LIST:
    if (err->code != SNM_OK) {
      record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    record_probe_list(t, q->i, reply->json);
    return;
  case K_PROBE_ORIGIN:
    if (err->code != SNM_OK) {
      record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    record_probe_origin(t, q->i, reply->json);
    return;
  case K_PROBE_ROUTING:
    if (err->code != SNM_OK) {
      snm_log(SNM_LOG_DEBUG, "%s (the origin stays unknown for now)", err->msg);
      return;
    }
    record_probe_routing(t, q->i, reply->json);
    return;
  case K_REFRESH:
    if (t->state == WFT_IDENTITY) { /* early: WFT_REFRESH asks again */
      if (err->code != SNM_OK) {
        snm_log(SNM_LOG_DEBUG, "%s (refreshed again before counting)",
                err->msg);
        t->refresh_early_failed = 1;
      }
      return;
    }
    /* fall through */
  case K_CLOSE:
    if (err->code != SNM_OK)
      record_first(&t->r_err, &t->r_failed, err);
    return;
  case K_TSTREAM:
    if (err->code != SNM_OK) {
      record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    record_stream(t, q->i, reply->json);
    return;
  case K_IDENTITY:
    if (err->code != SNM_OK) {
      record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    record_identity(t, q->i, reply->json);
    return;
  case K_SAMPLE:
  case K_MGET: {
    struct snm_err perr;
    int rc;

    if (err->code != SNM_OK) {
      record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    rc = q->kind == K_SAMPLE
             ? snm_es_parse_sample_msearch(t->samples + q->i, q->n, reply->json,
                                           &perr)
             : snm_es_sample_check_mget(t->verdicts + q->i, t->samples + q->i,
                                        q->n, reply->json, &perr);
    if (rc != 0) {
      struct snm_err e;
      snm_err_set(&e, rc, "%s: POST /%s: %s",
                  q->kind == K_SAMPLE
                      ? t->wf->plan->domains[t->wf->plan->snapshot.domain].id
                      : t->es->dom->id,
                  q->kind == K_SAMPLE ? "_msearch (sample draw)" : "_mget",
                  perr.msg);
      record_first(&t->r_err, &t->r_failed, &e);
    }
    return;
  }
  default:
    return;
  }
}

/* GET NAME/_count of a wf_count: a count that cannot be had stops the
 * run ("verified" needs it). */
static void record_count(struct wf_req *q, const struct snm_es_reply *reply,
                         const struct snm_err *err)
{
  struct wf_count *c = q->cnt;
  struct snm_err *r_err = q->t != NULL ? &q->t->r_err : &q->wf->r_err;
  int *r_failed = q->t != NULL ? &q->t->r_failed : &q->wf->r_failed;
  struct snm_err perr;

  c->out[q->i] = SNM_STATE_UNKNOWN;
  if (err->code != SNM_OK) {
    record_first(r_err, r_failed, err);
  } else if (snm_es_parse_count(&c->out[q->i], reply->json, &perr) != 0) {
    struct snm_err e;
    c->out[q->i] = SNM_STATE_UNKNOWN;
    snm_err_set(&e, SNM_EPARSE, "%s: GET %s/_count: %s", c->es->dom->id,
                c->names[q->i], perr.msg);
    record_first(r_err, r_failed, &e);
  }
}

/* The progress beside the poll: its answer is kept, its failure only
 * logged (the poll's GET decides; the next _status may do better). */
static void record_status(struct wf_req *q, const struct snm_es_reply *reply,
                          const struct snm_err *err)
{
  struct snm_workflow *wf = q->wf;
  struct snm_es_snap_status st;
  struct snm_err perr;
  long long now = snm_time_now_ms(),
            gap = (now - q->sent_ms) * WF_STATUS_GAP_FACTOR;

  wf->status_due_ms =
      now + (gap > WF_STATUS_MIN_GAP_MS ? gap : WF_STATUS_MIN_GAP_MS);
  if (err->code != SNM_OK) {
    snm_log(SNM_LOG_DEBUG, "%s (no progress this time)", err->msg);
  } else if (snm_es_parse_snapshot_status(
                 &st, reply->json, wf_round(wf)->snapshot.name, &perr) != 0) {
    snm_log(SNM_LOG_DEBUG, "%s (no progress this time)", perr.msg);
  } else {
    wf->r_status = st;
    wf->have_status = wf->status_fresh = 1;
  }
}

static void on_reply(const struct snm_es_reply *reply,
                     const struct snm_err *err, void *data)
{
  struct wf_req *q = data;
  struct snm_workflow *wf = q->wf;

  if (q->kind == K_SNAP_STATUS) { /* beside the step's own requests */
    wf->status_pending--;
    if (err->code != SNM_ECANCELED && !wf->closing)
      record_status(q, reply, err);
    free(q);
    wf_dispatch(wf);
    return;
  }
  if (err->code != SNM_ECANCELED && !wf->closing) {
    if (q->kind == K_COUNT)
      record_count(q, reply, err);
    else if (q->kind == K_MSEARCH)
      wf_count_msearch_done(q->cnt, q->i, q->n, reply, err);
    else if (q->t != NULL)
      record_target(q, reply, err);
    else
      record_wf(q, reply, err);
  }
  if (q->t != NULL)
    q->t->pending--;
  else
    wf->pending--;
  free(q);
  wf_dispatch(wf);
}

/* Send `method` `path`, built by snm_es_path() with result `path_rc`;
 * on failure (the path could not be built: nothing is sent) record it as
 * the request's failed reply. */
static int req_send_q(struct snm_workflow *wf, struct wf_target *t,
                      struct snm_es *es, const struct wf_req *tmpl,
                      const char *method, int path_rc, struct snm_buf *path,
                      const char *body, int replay, int ndjson)
{
  enum wf_kind kind = tmpl->kind;
  struct wf_req *q = NULL;
  struct snm_err err;
  int rc;

  snm_err_clear(&err);
  if (path_rc != 0 || snm_buf_str(path)[0] != '/') {
    rc = snm_err_set(&err, path_rc == SNM_ENOMEM ? SNM_ENOMEM : SNM_EINVAL,
                     "%s: %s: the request path could not be built (%s); "
                     "nothing was sent",
                     es->dom->id, method,
                     path_rc == SNM_ENOMEM ? "out of memory" : "a bug");
    goto failed;
  }
  if ((q = calloc(1, sizeof(*q))) == NULL) {
    rc = snm_err_set(&err, SNM_ENOMEM, "out of memory");
    goto failed;
  }
  *q = *tmpl;
  q->wf = wf;
  q->t = t;
  rc = wf_send(wf,
               &(struct snm_request){.loop = wf->loop,
                                     .es = es,
                                     .method = method,
                                     .path = snm_buf_str(path),
                                     .body = body,
                                     .replay = replay,
                                     .ndjson = ndjson},
               on_reply, q, &err);
  if (rc != 0)
    goto failed;
  if (kind == K_SNAP_STATUS)
    wf->status_pending++;
  else if (t != NULL)
    t->pending++;
  else
    wf->pending++;
  snm_buf_dispose(path);
  return 0;
failed:
  free(q);
  snm_buf_dispose(path);
  if (kind == K_SNAP_STATUS) {
    snm_log(SNM_LOG_DEBUG, "%s (no progress this time)", err.msg);
  } else if (kind == K_SHARDS || kind == K_EXPLAIN) {
    snm_log(SNM_LOG_DEBUG, "%s (shard check skipped)", err.msg);
  } else if (t != NULL) {
    record_first(&t->r_err, &t->r_failed, &err);
  } else {
    record_first(&wf->r_err, &wf->r_failed, &err);
  }
  return rc;
}

static int req_send(struct snm_workflow *wf, struct wf_target *t,
                    struct snm_es *es, enum wf_kind kind, size_t i,
                    const char *method, int path_rc, struct snm_buf *path,
                    const char *body, int replay)
{
  return req_send_q(wf, t, es, &(struct wf_req){.kind = kind, .i = i}, method,
                    path_rc, path, body, replay, 0);
}

int wf_req_register(struct snm_workflow *wf, size_t d)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_snapshot/%s", wf->plan->repository.name);
  return req_send(wf, NULL, &wf->es[d], K_REGISTER, d, "PUT", rc, &p,
                  wf->repo_body[d], SNM_HTTP_REPLAY_AUTO);
}

int wf_req_snapshot_get(struct snm_workflow *wf, int lookup)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_snapshot/%s/%s", wf->plan->repository.name,
                   wf_round(wf)->snapshot.name);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain],
                  lookup ? K_SNAP_LOOKUP : K_SNAP_GET, 0, "GET", rc, &p, NULL,
                  SNM_HTTP_REPLAY_AUTO);
}

int wf_req_count_msearch(struct snm_workflow *wf, struct wf_target *t,
                         struct wf_count *c, size_t *taken)
{
  struct snm_buf p, body;
  int rc;

  *taken = 0;
  snm_buf_init(&p, 0);
  snm_buf_init(&body, 0);
  rc = snm_es_count_msearch_body(&body, taken, c->names + c->next,
                                 c->n - c->next, SNM_ES_MSEARCH_BODY_MAX);
  if (rc != 0) {
    struct snm_err err;
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    record_first(t != NULL ? &t->r_err : &wf->r_err,
                 t != NULL ? &t->r_failed : &wf->r_failed, &err);
    return rc;
  }
  rc = snm_es_path(&p, "/_msearch");
  /* a search, which changes nothing: safe to send again */
  rc = req_send_q(
      wf, t, c->es,
      &(struct wf_req){.kind = K_MSEARCH, .i = c->next, .n = *taken, .cnt = c},
      "POST", rc, &p, snm_buf_str(&body), SNM_HTTP_REPLAY_YES, 1);
  snm_buf_dispose(&body);
  return rc;
}

int wf_req_count(struct snm_workflow *wf, struct wf_target *t,
                 struct wf_count *c, size_t i)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/%s/_count", c->names[i]);
  return req_send_q(wf, t, c->es,
                    &(struct wf_req){.kind = K_COUNT, .i = i, .cnt = c}, "GET",
                    rc, &p, NULL, SNM_HTTP_REPLAY_AUTO, 0);
}

int wf_req_prune(struct snm_workflow *wf, const char *name, int delete)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_snapshot/%s/%s", wf->plan->repository.name, name);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain],
                  delete ? K_PRUNE_DELETE : K_PRUNE_GET, 0,
                  delete ? "DELETE" : "GET", rc, &p, NULL,
                  delete ? SNM_HTTP_REPLAY_YES : SNM_HTTP_REPLAY_AUTO);
}

int wf_req_source_refresh(struct snm_workflow *wf, size_t k)
{
  struct snm_buf p;
  size_t start = snm_es_chunk_start(wf->refresh_ends, k);
  int rc;

  snm_buf_init(&p, 0);
  /* ignore_unavailable: an index gone from the source leaves the rest of
   * its chunk refreshed (its own count then says it is gone) */
  rc = snm_es_path(&p, "/%l/_refresh?ignore_unavailable=true",
                   wf->snap_indices + start, wf->refresh_ends[k] - start);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_SRC_REFRESH,
                  k, "POST", rc, &p, NULL, SNM_HTTP_REPLAY_YES);
}

int wf_req_snapshot_put(struct snm_workflow *wf)
{
  struct snm_buf p;
  char *body = NULL;
  int rc;

  const struct snm_state_snapshot *ss = &wf_round(wf)->snapshot;
  size_t n = wf->n_snap_indices + ss->n_data_streams;
  const char **names = malloc((n + 1) * sizeof(*names));

  snm_buf_init(&p, 0);
  /* the data streams by name, so that the snapshot keeps them as streams */
  if (names != NULL) {
    for (size_t i = 0; i < wf->n_snap_indices; i++)
      names[i] = wf->snap_indices[i];
    for (size_t i = 0; i < ss->n_data_streams; i++)
      names[wf->n_snap_indices + i] = ss->data_streams[i];
  }
  if (names == NULL ||
      snm_wf_snapshot_body(&body, wf->plan, names, n, wf->metadata,
                           wf->st.run_id, SNM_VERSION) != 0) {
    struct snm_err err;
    free(names);
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    record_first(&wf->r_err, &wf->r_failed, &err);
    return SNM_ENOMEM;
  }
  free(names);
  rc = snm_es_path(&p, "/_snapshot/%s/%s?wait_for_completion=false",
                   wf->plan->repository.name, wf_round(wf)->snapshot.name);
  rc = req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_SNAP_PUT, 0,
                "PUT", rc, &p, body, SNM_HTTP_REPLAY_NO);
  free(body);
  return rc;
}

int wf_req_snapshot_poll(struct snm_workflow *wf)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_snapshot/%s/%s", wf->plan->repository.name,
                   wf_round(wf)->snapshot.name);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_SNAP_POLL, 0,
                  "GET", rc, &p, NULL, SNM_HTTP_REPLAY_AUTO);
}

int wf_req_snapshot_status(struct snm_workflow *wf)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  /* only what the progress reads: a shard's entry each otherwise */
  rc = snm_es_path(&p,
                   "/_snapshot/%s/%s/_status?filter_path=snapshots.snapshot,"
                   "snapshots.state,snapshots.shards_stats,snapshots.stats",
                   wf->plan->repository.name, wf_round(wf)->snapshot.name);
  return req_send_q(
      wf, NULL, &wf->es[wf->plan->snapshot.domain],
      &(struct wf_req){.kind = K_SNAP_STATUS, .sent_ms = snm_time_now_ms()},
      "GET", rc, &p, NULL, SNM_HTTP_REPLAY_AUTO, 0);
}

int wf_req_restore(struct wf_target *t)
{
  struct snm_workflow *wf = t->wf;
  struct snm_buf p;
  char *body = NULL;
  int rc;

  const char **names = NULL;
  size_t n = 0;

  snm_buf_init(&p, 0);
  if (snm_wf_restore_names(&names, &n, &wf_round(wf)->restores[t->r],
                           t->post_src, t->n_post) != 0 ||
      snm_wf_restore_body(&body, &wf->plan->restores[t->r], names, n) != 0) {
    struct snm_err err;
    free(names);
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    record_first(&t->r_err, &t->r_failed, &err);
    return SNM_ENOMEM;
  }
  free(names);
  rc = snm_es_path(&p, "/_snapshot/%s/%s/_restore?wait_for_completion=false",
                   wf->plan->repository.name, wf_round(wf)->snapshot.name);
  rc = req_send(wf, t, t->es, K_RESTORE, 0, "POST", rc, &p, body,
                SNM_HTTP_REPLAY_NO);
  free(body);
  return rc;
}

/* Chunk `k` of the probe names into `fmt` (one "%l"). */
static int probe_req(struct wf_target *t, size_t k, enum wf_kind kind,
                     const char *fmt)
{
  size_t start = snm_es_chunk_start(t->probe_ends, k);
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, fmt, t->probe + start, t->probe_ends[k] - start);
  return req_send(t->wf, t, t->es, kind, k, "GET", rc, &p, NULL,
                  SNM_HTTP_REPLAY_AUTO);
}

int wf_req_probe_list(struct wf_target *t, size_t k)
{
  return probe_req(t, k, K_PROBE_LIST,
                   "/%l/_settings/index.uuid,index.number_of_shards?"
                   "expand_wildcards=all&ignore_unavailable=true");
}

int wf_req_probe_routing(struct wf_target *t, size_t k)
{
  return probe_req(t, k, K_PROBE_ROUTING,
                   "/_cluster/state/routing_table/%l?expand_wildcards=all&"
                   "ignore_unavailable=true");
}

int wf_req_probe_origin(struct wf_target *t, size_t k)
{
  return probe_req(t, k, K_PROBE_ORIGIN,
                   "/%l/_recovery?expand_wildcards=all&"
                   "ignore_unavailable=true");
}

/* Send `method` to the path `fmt` (one "%l" conversion) filled with chunk
 * `k` of the target's index list. */
static int chunk_req(struct wf_target *t, size_t k, enum wf_kind kind,
                     const char *method, const char *fmt, int replay)
{
  size_t start = snm_es_chunk_start(t->chunk_ends, k);
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, fmt, t->wait + start, t->chunk_ends[k] - start);
  return req_send(t->wf, t, t->es, kind, k, method, rc, &p, NULL, replay);
}

/* Send `method` to the path `fmt` (one "%l" conversion) filled with chunk
 * `k` of the list `names` cut at `ends`. */
static int list_req(struct wf_target *t, const char *const *names,
                    const size_t *ends, size_t k, enum wf_kind kind,
                    const char *fmt)
{
  size_t start = snm_es_chunk_start(ends, k);
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, fmt, names + start, ends[k] - start);
  return req_send(t->wf, t, t->es, kind, k, "GET", rc, &p, NULL,
                  SNM_HTTP_REPLAY_AUTO);
}

/* What the poll reads of a recovery and of the health: a reply of
 * thousands of shards is a tenth of its size, and so is its parse. */
#define WF_RECOVERY_FILTER                                                     \
  "filter_path=*.shards.stage,*.shards.index.size,*.shards.index.files"
#define WF_HEALTH_FILTER                                                       \
  "filter_path=status,timed_out,indices.*.status,indices.*.initializing_"      \
  "shards"

/* The poll's lists: the patterns, or (WFP_MISSING) what they missed, by
 * name: a name that is gone then answers 404. */
int wf_req_recovery(struct wf_target *t, size_t k)
{
  if (t->phase == WFP_MISSING)
    return list_req(t, t->miss, t->miss_ends, k, K_RECOVERY, "/%l/_recovery");
  /* patterns: hidden indices too; a name alone answers 404 when gone */
  return list_req(t, (const char *const *)t->cover, t->cover_ends, k,
                  K_RECOVERY,
                  t->cover_wild ? "/%l/_recovery?" WF_RECOVERY_FILTER
                                  "&expand_wildcards=all&"
                                  "ignore_unavailable=true"
                                : "/%l/_recovery?" WF_RECOVERY_FILTER);
}

int wf_req_close(struct wf_target *t, size_t k)
{
  size_t start = snm_es_chunk_start(t->close_ends, k);
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc =
      snm_es_path(&p, "/%l/_close", t->close + start, t->close_ends[k] - start);
  /* closing a closed index is acknowledged again: safe to replay */
  return req_send(t->wf, t, t->es, K_CLOSE, k, "POST", rc, &p, NULL,
                  SNM_HTTP_REPLAY_YES);
}

int wf_req_identity(struct wf_target *t, size_t k)
{
  return chunk_req(t, k, K_IDENTITY, "GET",
                   "/%l/_settings/index.creation_date,index.uuid?"
                   "expand_wildcards=all",
                   SNM_HTTP_REPLAY_AUTO);
}

int wf_req_health(struct wf_target *t, size_t k)
{
  if (t->phase == WFP_MISSING)
    return list_req(
        t, t->miss, t->miss_ends, k, K_HEALTH,
        "/_cluster/health/%l?level=indices&timeout=0s&" WF_HEALTH_FILTER);
  if (t->longpoll_ms > 0) {
    char ms[32];
    size_t start = snm_es_chunk_start(t->cover_ends, k);
    struct snm_buf p;
    int rc;

    snprintf(ms, sizeof(ms), "%ldms", t->longpoll_ms);
    snm_buf_init(&p, 0);
    rc = snm_es_path(
        &p,
        "/_cluster/health/%l?level=indices&wait_for_status=%s&"
        "timeout=%s&" WF_HEALTH_FILTER,
        (const char *const *)t->cover + start, t->cover_ends[k] - start,
        t->wf->plan->restores[t->r].wait_for == SNM_WAIT_YELLOW ? "yellow"
                                                                : "green",
        ms);
    return req_send(t->wf, t, t->es, K_HEALTH, k, "GET", rc, &p, NULL,
                    SNM_HTTP_REPLAY_AUTO);
  }
  return list_req(
      t, (const char *const *)t->cover, t->cover_ends, k, K_HEALTH,
      "/_cluster/health/%l?level=indices&timeout=0s&" WF_HEALTH_FILTER);
}

int wf_req_refresh(struct wf_target *t, size_t k)
{
  return chunk_req(t, k, K_REFRESH, "POST", "/%l/_refresh",
                   SNM_HTTP_REPLAY_YES);
}

int wf_req_shards(struct wf_target *t, size_t k)
{
  return list_req(t, (const char *const *)t->cover, t->cover_ends, k, K_SHARDS,
                  "/_cat/shards/%l?format=json&h=index,shard,prirep,state,"
                  "unassigned.reason");
}

int wf_req_explain(struct wf_target *t)
{
  struct snm_buf p;
  char *body = NULL;
  int rc;

  snm_buf_init(&p, 0);
  if (snm_es_explain_body(&body, t->bad.index, t->bad.shard) != 0)
    return SNM_ENOMEM; /* best effort: no explanation */
  rc = snm_es_path(&p, "/_cluster/allocation/explain");
  rc = req_send(t->wf, t, t->es, K_EXPLAIN, 0, "POST", rc, &p, body,
                SNM_HTTP_REPLAY_YES);
  free(body);
  return rc;
}

int wf_req_target_stream(struct wf_target *t, size_t i)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_data_stream/%s", t->ds_names[i]);
  return req_send(t->wf, t, t->es, K_TSTREAM, i, "GET", rc, &p, NULL,
                  SNM_HTTP_REPLAY_AUTO);
}

int wf_req_cut_settings(struct snm_workflow *wf, size_t k)
{
  size_t start = snm_es_chunk_start(wf->cut_ends, k);
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p,
                   "/%l/_settings/index.blocks.write,index.uuid?"
                   "flat_settings=true&"
                   "expand_wildcards=all",
                   wf->cut_names + start, wf->cut_ends[k] - start);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_CUT_GET, k,
                  "GET", rc, &p, NULL, SNM_HTTP_REPLAY_AUTO);
}

int wf_req_cut_put(struct snm_workflow *wf, size_t k, const char *body)
{
  size_t start = snm_es_chunk_start(wf->cut_ends, k);
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/%l/_settings", wf->cut_names + start,
                   wf->cut_ends[k] - start);
  /* setting a value twice is harmless: safe to replay */
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_CUT_PUT, k,
                  "PUT", rc, &p, body, SNM_HTTP_REPLAY_YES);
}

int wf_req_cut_block(struct snm_workflow *wf, size_t k)
{
  size_t start = snm_es_chunk_start(wf->cut_ends, k);
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/%l/_block/write", wf->cut_names + start,
                   wf->cut_ends[k] - start);
  /* adding a block that is on is acknowledged again: safe to replay */
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_CUT_PUT, k,
                  "PUT", rc, &p, NULL, SNM_HTTP_REPLAY_YES);
}

int wf_req_alias_get(struct snm_workflow *wf, size_t i, size_t domain,
                     const char *alias)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_alias/%s", alias);
  return req_send(wf, NULL, &wf->es[domain], K_ALIAS_GET, i, "GET", rc, &p,
                  NULL, SNM_HTTP_REPLAY_AUTO);
}

int wf_req_aliases_post(struct snm_workflow *wf, size_t domain,
                        const char *body)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_aliases");
  return req_send(wf, NULL, &wf->es[domain], K_ALIAS_POST, domain, "POST", rc,
                  &p, body, SNM_HTTP_REPLAY_NO);
}

int wf_req_sample_draw(struct wf_target *t, size_t *taken)
{
  struct snm_workflow *wf = t->wf;
  long k = wf->plan->restores[t->r].sample_size;
  struct snm_buf p, body;
  int rc;

  *taken = 0;
  snm_buf_init(&p, 0);
  snm_buf_init(&body, 0);
  rc = snm_es_sample_msearch_body(
      &body, taken, t->samp_src + t->samp_next, t->n_samp - t->samp_next,
      (unsigned)(k > 0 ? k : 10), SNM_ES_MSEARCH_BODY_MAX);
  if (rc != 0) {
    struct snm_err err;
    snm_buf_dispose(&body);
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    record_first(&t->r_err, &t->r_failed, &err);
    return rc;
  }
  rc = snm_es_path(&p, "/_msearch");
  /* a search: safe to send again */
  rc = req_send_q(
      wf, t, &wf->es[wf->plan->snapshot.domain],
      &(struct wf_req){.kind = K_SAMPLE, .i = t->samp_next, .n = *taken},
      "POST", rc, &p, snm_buf_str(&body), SNM_HTTP_REPLAY_YES, 1);
  snm_buf_dispose(&body);
  return rc;
}

int wf_req_sample_mget(struct wf_target *t, size_t *taken, size_t *docs)
{
  struct snm_buf p;
  char *body = NULL;
  int rc;

  *taken = *docs = 0;
  snm_buf_init(&p, 0);
  if (snm_es_sample_mget_body(&body, taken, docs, t->samp_dst + t->samp_next,
                              t->samples + t->samp_next,
                              t->n_samp - t->samp_next) != 0) {
    struct snm_err err;
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    record_first(&t->r_err, &t->r_failed, &err);
    return SNM_ENOMEM;
  }
  if (*docs == 0) {
    free(body);
    return 0;
  }
  rc = snm_es_path(&p, "/_mget");
  rc = req_send_q(
      t->wf, t, t->es,
      &(struct wf_req){.kind = K_MGET, .i = t->samp_next, .n = *taken}, "POST",
      rc, &p, body, SNM_HTTP_REPLAY_YES, 0);
  free(body);
  return rc;
}
