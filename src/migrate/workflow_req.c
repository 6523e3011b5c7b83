/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_req.c - the run's requests; their completions only record. */
#include "workflow_req.h"
#include "jtree.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "snm_version.h"
#include "es_chunk.h"
#include "transport.h"
#include "workflow_int.h"

#include <stdlib.h>
#include <string.h>

enum wf_kind {
  K_REGISTER,
  K_SNAP_GET,
  K_SNAP_LOOKUP,
  K_COUNT,
  K_SNAP_PUT,
  K_SNAP_STATUS,
  K_RESTORE,
  K_PROBE_LIST,
  K_PROBE_ORIGIN,
  K_PROBE_ROUTING,
  K_RECOVERY,
  K_HEALTH,
  K_REFRESH,
  K_TCOUNT,
  K_SHARDS,
  K_EXPLAIN,
  K_CLOSE,
  K_IDENTITY,
  K_SRC_REFRESH
};

struct wf_req {
  struct snm_workflow *wf;
  struct wf_target *t; /* NULL: a top-level request */
  enum wf_kind kind;
  size_t i; /* domain or index, by kind */
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
  case K_COUNT:
    /* a count that cannot be had stops the run: "verified" needs it */
    wf->counts[q->i] = SNM_STATE_UNKNOWN;
    if (err->code != SNM_OK) {
      record_first(&wf->r_err, &wf->r_failed, err);
    } else if (snm_es_parse_count(&wf->counts[q->i], reply->json, &perr) != 0) {
      struct snm_err e;
      snm_err_set(&e, SNM_EPARSE, "%s: GET %s/_count: %s",
                  wf->plan->domains[wf->plan->snapshot.domain].id,
                  wf->snap_indices[q->i], perr.msg);
      record_first(&wf->r_err, &wf->r_failed, &e);
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
  case K_SNAP_STATUS:
    if (err->code == SNM_OK) {
      if (snm_es_parse_snapshot_status(&wf->r_status, reply->json,
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
    if (err->code != SNM_OK)
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

/* Chunk `k` of the health wait: the round reached it only when every
 * chunk did; the round's status is the worst chunk's. */
static void record_health(struct wf_target *t, size_t k, yajl_val json)
{
  size_t start = snm_es_chunk_start(t->chunk_ends, k);
  char status[16];

  if (!snm_wf_health_reached(json, t->wf->plan->restores[t->r].wait_for,
                             t->chunk_ends[k] - start, status, sizeof(status)))
    t->r_health = 0;
  snm_wf_health_worst(t->poll_status, sizeof(t->poll_status), status);
}

/* Chunk `k` of the recovery: its indices' part of t->rec. */
static void record_recovery(struct wf_target *t, size_t k, yajl_val json)
{
  size_t start = snm_es_chunk_start(t->chunk_ends, k);
  struct snm_es_recovery part;
  struct snm_err perr;

  if (snm_es_parse_recovery(&part, json, t->wait + start,
                            t->chunk_ends[k] - start, &perr) != 0) {
    /* a junk reply is no news, unless it keeps coming (t_polled) */
    snm_err_set(&t->bad_reply, perr.code, "%s: GET _recovery: %s",
                t->es->dom->id, perr.msg);
    t->r_bad = 1;
  } else {
    snm_es_recovery_merge(&t->rec, start, &part);
    t->r_unlisted += part.unlisted;
    if (part.unlisted > 0 && !t->r_bad)
      snm_err_set(&t->bad_reply, SNM_EPARSE,
                  "%s: GET _recovery: the reply lists no shards for %zu of "
                  "the %zu indices it was asked about",
                  t->es->dom->id, part.unlisted, part.n);
  }
  snm_es_recovery_dispose(&part);
}

static void record_target(struct wf_req *q, const struct snm_es_reply *reply,
                          const struct snm_err *err)
{
  struct wf_target *t = q->t;
  struct snm_err perr;

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
      record_health(t, q->i, reply->json);
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
      record_health(t, q->i, reply->json);
    else
      record_recovery(t, q->i, reply->json);
    return;
  case K_SHARDS:
    if (err->code != SNM_OK) {
      snm_log(SNM_LOG_DEBUG, "%s (shard check skipped)", err->msg);
    } else if (t->bad_found != 1) {
      /* a failed primary (1) is worth more than a waiting one (2) */
      size_t start = snm_es_chunk_start(t->chunk_ends, q->i);
      struct snm_es_failed_shard cand;
      int f = snm_es_find_failed_shard(&cand, reply->json, t->wait + start,
                                       t->chunk_ends[q->i] - start);
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
  case K_CLOSE:
    if (err->code != SNM_OK)
      record_first(&t->r_err, &t->r_failed, err);
    return;
  case K_IDENTITY:
    if (err->code != SNM_OK) {
      record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    record_identity(t, q->i, reply->json);
    return;
  case K_TCOUNT:
    if (err->code != SNM_OK) {
      record_first(&t->r_err, &t->r_failed, err);
      return;
    }
    if (snm_es_parse_count(&t->found[q->i], reply->json, &perr) != 0) {
      struct snm_err e;
      snm_err_set(&e, SNM_EPARSE, "%s: GET %s/_count: %s", t->es->dom->id,
                  t->wait[q->i], perr.msg);
      record_first(&t->r_err, &t->r_failed, &e);
    }
    return;
  default:
    return;
  }
}

static void on_reply(const struct snm_es_reply *reply,
                     const struct snm_err *err, void *data)
{
  struct wf_req *q = data;
  struct snm_workflow *wf = q->wf;

  if (err->code != SNM_ECANCELED && !wf->closing) {
    if (q->t != NULL)
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
static int req_send(struct snm_workflow *wf, struct wf_target *t,
                    struct snm_es *es, enum wf_kind kind, size_t i,
                    const char *method, int path_rc, struct snm_buf *path,
                    const char *body, int replay)
{
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
  q->wf = wf;
  q->t = t;
  q->kind = kind;
  q->i = i;
  rc = snm_transport_send(wf->o->transport,
                          &(struct snm_request){.loop = wf->loop,
                                                .es = es,
                                                .method = method,
                                                .path = snm_buf_str(path),
                                                .body = body,
                                                .replay = replay},
                          on_reply, q, &err);
  if (rc != 0)
    goto failed;
  if (t != NULL)
    t->pending++;
  else
    wf->pending++;
  snm_buf_dispose(path);
  return 0;
failed:
  free(q);
  snm_buf_dispose(path);
  if (kind == K_SHARDS || kind == K_EXPLAIN) {
    snm_log(SNM_LOG_DEBUG, "%s (shard check skipped)", err.msg);
  } else if (t != NULL) {
    record_first(&t->r_err, &t->r_failed, &err);
  } else {
    record_first(&wf->r_err, &wf->r_failed, &err);
  }
  return rc;
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

int wf_req_source_count(struct snm_workflow *wf, size_t i)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/%s/_count", wf->snap_indices[i]);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_COUNT, i,
                  "GET", rc, &p, NULL, SNM_HTTP_REPLAY_AUTO);
}

int wf_req_source_refresh(struct snm_workflow *wf, size_t i)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/%s/_refresh", wf->snap_indices[i]);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_SRC_REFRESH,
                  i, "POST", rc, &p, NULL, SNM_HTTP_REPLAY_YES);
}

int wf_req_snapshot_put(struct snm_workflow *wf)
{
  struct snm_buf p;
  char *body = NULL;
  int rc;

  snm_buf_init(&p, 0);
  if (snm_wf_snapshot_body(&body, wf->plan, wf->snap_indices,
                           wf->n_snap_indices, wf->metadata, wf->st.run_id,
                           SNM_VERSION) != 0) {
    struct snm_err err;
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    record_first(&wf->r_err, &wf->r_failed, &err);
    return SNM_ENOMEM;
  }
  rc = snm_es_path(&p, "/_snapshot/%s/%s?wait_for_completion=false",
                   wf->plan->repository.name, wf_round(wf)->snapshot.name);
  rc = req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_SNAP_PUT, 0,
                "PUT", rc, &p, body, SNM_HTTP_REPLAY_NO);
  free(body);
  return rc;
}

int wf_req_snapshot_status(struct snm_workflow *wf)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/_snapshot/%s/%s/_status", wf->plan->repository.name,
                   wf_round(wf)->snapshot.name);
  return req_send(wf, NULL, &wf->es[wf->plan->snapshot.domain], K_SNAP_STATUS,
                  0, "GET", rc, &p, NULL, SNM_HTTP_REPLAY_AUTO);
}

int wf_req_restore(struct wf_target *t)
{
  struct snm_workflow *wf = t->wf;
  struct snm_buf p;
  char *body = NULL;
  int rc;

  snm_buf_init(&p, 0);
  if (snm_wf_restore_body(&body, &wf->plan->restores[t->r], t->post_src,
                          t->n_post) != 0) {
    struct snm_err err;
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    record_first(&t->r_err, &t->r_failed, &err);
    return SNM_ENOMEM;
  }
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

int wf_req_recovery(struct wf_target *t, size_t k)
{
  return chunk_req(t, k, K_RECOVERY, "GET", "/%l/_recovery",
                   SNM_HTTP_REPLAY_AUTO);
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
  return chunk_req(t, k, K_HEALTH, "GET",
                   "/_cluster/health/%l?level=indices&timeout=0s",
                   SNM_HTTP_REPLAY_AUTO);
}

int wf_req_refresh(struct wf_target *t, size_t k)
{
  return chunk_req(t, k, K_REFRESH, "POST", "/%l/_refresh",
                   SNM_HTTP_REPLAY_YES);
}

int wf_req_shards(struct wf_target *t, size_t k)
{
  return chunk_req(t, k, K_SHARDS, "GET",
                   "/_cat/shards/%l?format=json&h=index,shard,prirep,state,"
                   "unassigned.reason",
                   SNM_HTTP_REPLAY_AUTO);
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

int wf_req_target_count(struct wf_target *t, size_t i)
{
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  rc = snm_es_path(&p, "/%s/_count", t->wait[i]);
  return req_send(t->wf, t, t->es, K_TCOUNT, i, "GET", rc, &p, NULL,
                  SNM_HTTP_REPLAY_AUTO);
}
