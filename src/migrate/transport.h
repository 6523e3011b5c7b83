/* SPDX-License-Identifier: Apache-2.0 */
/* transport.h - how the run's requests (the preflight's and the
 * workflow's) reach a cluster: through the real client (snm_es_request)
 * or, in a unit test, through a transport that scripts the replies.
 *
 * A transport's `send` behaves like snm_es_request: it returns 0 and calls
 * `done` exactly once, later, from `req->loop` (never from inside send);
 * or it returns an error with `err` filled and never calls `done`.  The
 * reply and its JSON are valid only during the callback.  A request
 * canceled before it is answered completes with SNM_ECANCELED.
 */
#ifndef SNM_TRANSPORT_H
#define SNM_TRANSPORT_H

#include <uv.h>

#include "err.h"
#include "es.h"

struct snm_request {
  uv_loop_t *loop;    /* where `done` must run */
  struct snm_es *es;  /* the domain (es->dom->id names it) */
  const char *method; /* "GET", "PUT", "POST", ... */
  const char *path;   /* built by snm_es_path: encoded, may hold "?query" */
  const char *body;   /* NULL or JSON */
  int replay;         /* an snm_http_replay value */
  /* 1: a reply that may be huge, read from its body: a 2xx reply comes
   * with `json` NULL (snm_es_request_raw) */
  int raw;
  /* 1: `body` is NDJSON (POST /_msearch), sent as application/x-ndjson
   * (snm_es_request_ndjson) */
  int ndjson;
};

struct snm_transport {
  int (*send)(void *ctx, const struct snm_request *req, snm_es_done_fn done,
              void *data, struct snm_err *err);
  void *ctx;
};

/* Send `req` through `tp`, or through snm_es_request (snm_es_request_raw
 * for a raw one) when `tp` is NULL.
 * Either way a domain with es->read_only set refuses what
 * snm_es_may_send() does not allow (anything but GET, HEAD and the POSTs
 * that only read) with SNM_EINVAL, before anything is sent. */
int snm_transport_send(const struct snm_transport *tp,
                       const struct snm_request *req, snm_es_done_fn done,
                       void *data, struct snm_err *err) SNM_MUST_CHECK;

#endif
