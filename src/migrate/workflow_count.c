/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_count.c - the run's document counts (the source's before and
 * after the snapshot, the target's when verifying) in a few requests:
 * POST /_msearch with size 0 and track_total_hits (es_reply.h: up to
 * SNM_ES_MSEARCH_ITEMS_MAX indices a request, WF_MAX_MSEARCH_IN_FLIGHT at
 * a time), which counts root documents exactly as _count does.
 *
 * _count stays the authority: an item the _msearch reply leaves unknown
 * (an error, shards missing, a lower bound), or every item of a reply that
 * failed as a whole, is asked again with GET NAME/_count, once; a failure
 * of that one is the run's failure, exactly as when every index was
 * counted with _count.  A server that refuses _msearch itself (400, 401,
 * 403, 404, 405 or 501: an unknown endpoint, a proxy or a role that does
 * not allow it) gets a _count per index for the rest. */
#include "buf.h"
#include "log.h"
#include "workflow_int.h"
#include "workflow_req.h"

#include <stdlib.h>
#include <string.h>

int wf_count_start(struct wf_count *c, struct snm_es *es,
                   const char *const *names, size_t n, long long *out)
{
  free(c->redo);
  memset(c, 0, sizeof(*c));
  c->es = es;
  c->names = names;
  c->n = n;
  c->out = out;
  for (size_t i = 0; i < n; i++)
    out[i] = SNM_STATE_UNKNOWN;
  c->redo = calloc(n + 1, 1);
  return c->redo == NULL ? SNM_ENOMEM : 0;
}

void wf_count_dispose(struct wf_count *c)
{
  free(c->redo);
  memset(c, 0, sizeof(*c));
}

/* The server does not take _msearch at all (rather than failing one). */
static int msearch_refused(const struct snm_err *err)
{
  long st = err->http_status;

  if (err->code == SNM_EAUTH)
    return 1;
  return err->code == SNM_EHTTP && (st == 400 || st == 401 || st == 403 ||
                                    st == 404 || st == 405 || st == 501);
}

void wf_count_msearch_done(struct wf_count *c, size_t first, size_t n,
                           const struct snm_es_reply *reply,
                           const struct snm_err *err)
{
  struct snm_es_count_item *items = NULL;
  struct snm_err perr;
  size_t unknown = 0;

  if (c->msearch_pending > 0)
    c->msearch_pending--;
  if (err->code != SNM_OK) {
    if (msearch_refused(err)) {
      if (!c->no_msearch)
        snm_log(SNM_LOG_INFO, "%s; counting each index with _count instead",
                err->msg);
      c->no_msearch = 1;
    } else {
      snm_log(SNM_LOG_INFO, "%s; asking _count for those %zu indices", err->msg,
              n);
    }
    goto redo_all;
  }
  if ((items = calloc(n, sizeof(*items))) == NULL)
    goto redo_all;
  if (snm_es_parse_count_msearch(items, n, reply->json, &perr) != 0) {
    snm_log(SNM_LOG_INFO,
            "%s: POST /_msearch: %s; asking _count for those %zu indices",
            c->es->dom->id, perr.msg, n);
    goto redo_all;
  }
  for (size_t k = 0; k < n; k++) {
    if (items[k].count >= 0) {
      c->out[first + k] = items[k].count;
      continue;
    }
    c->redo[first + k] = 1;
    if (unknown++ == 0)
      snm_log(SNM_LOG_DEBUG, "%s: POST /_msearch: the count of %s: %s%s",
              c->es->dom->id, c->names[first + k], items[k].why,
              " (asking _count)");
  }
  free(items);
  return;
redo_all:
  free(items);
  for (size_t k = 0; k < n; k++)
    c->redo[first + k] = 1;
}

void wf_count_pump(struct wf_count *c, struct snm_workflow *wf,
                   struct wf_target *t)
{
  const int *pending = t != NULL ? &t->pending : &wf->pending;
  const int *failed = t != NULL ? &t->r_failed : &wf->r_failed;

  while (!*failed && !wf->closing) {
    if (!c->no_msearch && c->next < c->n) {
      size_t taken = 0;

      if (c->msearch_pending >= WF_MAX_MSEARCH_IN_FLIGHT)
        return;
      if (wf_req_count_msearch(wf, t, c, &taken) != 0)
        return; /* recorded as the owner's failure */
      c->msearch_pending++;
      c->next += taken;
      continue;
    }
    /* _msearch refused: what it did not take goes to _count */
    for (; c->next < c->n; c->next++)
      c->redo[c->next] = 1;
    /* the re-asks wait for every _msearch reply: a late one adds some */
    if (c->msearch_pending > 0 || *pending >= WF_MAX_COUNTS_IN_FLIGHT)
      return;
    while (c->redo_next < c->n && !c->redo[c->redo_next])
      c->redo_next++;
    if (c->redo_next >= c->n)
      return;
    c->redo[c->redo_next] = 0; /* asked once */
    c->counts_sent++;
    if (wf_req_count(wf, t, c, c->redo_next++) != 0)
      return;
  }
}
