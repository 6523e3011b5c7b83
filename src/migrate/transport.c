/* SPDX-License-Identifier: Apache-2.0 */
/* transport.c - the real client, or a test's script (transport.h). */
#include "transport.h"
#include "plan.h"

#include <string.h>

int snm_transport_send(const struct snm_transport *tp,
                       const struct snm_request *req, snm_es_done_fn done,
                       void *data, struct snm_err *err)
{
  int rc;

  if ((tp == NULL || tp->send == NULL) && req->ndjson)
    return snm_es_request_ndjson(req->es, req->method, req->path, req->body,
                                 req->replay, done, data, err);
  if ((tp == NULL || tp->send == NULL) && req->raw)
    return snm_es_request_raw(req->es, req->method, req->path, req->body,
                              req->replay, done, data, err);
  if (tp == NULL || tp->send == NULL)
    return snm_es_request(req->es, req->method, req->path, req->body,
                          req->replay, done, data, err);
  /* the same promise as snm_es_request's: a read-only handle sends no
   * change, whoever carries the request */
  if (!snm_es_may_send(req->es, req->method, req->path))
    return snm_err_set(err, SNM_EINVAL,
                       "%s: %s %s refused: this handle is read-only",
                       req->es->dom->id, req->method, req->path);
  rc = tp->send(tp->ctx, req, done, data, err);
  if (rc == 0) /* counted as snm_es_request counts what it sends */
    req->es->requests++;
  return rc;
}
