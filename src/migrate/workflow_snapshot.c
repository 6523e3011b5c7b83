/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_snapshot.c - the snapshot side of the workflow, without I/O:
 * the create request's body, the status and info reply parsers, the poll
 * interval and the resume decision for a recorded snapshot. */
#include "buf.h"
#include "jtree.h"
#include "es.h"
#include "json.h"
#include "workflow.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

/* Comma-joined names into a buffer; 0 or SNM_ENOMEM. */
static int join_names(struct snm_buf *b, const char *const *names, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if ((i > 0 && snm_buf_putc(b, ',') != 0) || snm_buf_puts(b, names[i]) != 0)
      return SNM_ENOMEM;
  return 0;
}

int snm_wf_supports_metadata(const struct snm_version *v)
{
  if (v->engine == SNM_ENGINE_OPENSEARCH)
    return 1;
  if (v->engine == SNM_ENGINE_ELASTICSEARCH)
    return v->major > 7 || (v->major == 7 && v->minor >= 3);
  return 0;
}

int snm_wf_snapshot_body(char **out, const struct snm_plan *plan,
                         const char *const *indices, size_t n, int metadata,
                         const char *run_id, const char *version)
{
  const struct snm_snapshot_spec *s = &plan->snapshot;
  struct snm_buf names;
  yajl_gen g = NULL;
  int rc = SNM_ENOMEM;

  *out = NULL;
  snm_buf_init(&names, 0);
  if (join_names(&names, indices, n) != 0 || (g = yajl_gen_alloc(NULL)) == NULL)
    goto done;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "indices", snm_buf_str(&names));
  snm_gen_str(g, "include_global_state");
  yajl_gen_bool(g, s->include_global_state);
  snm_gen_str(g, "partial");
  yajl_gen_bool(g, s->allow_partial);
  if (metadata) {
    snm_gen_str(g, "metadata");
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "snapmig_plan", plan->name);
    snm_gen_key_str(g, "snapmig_version", version);
    snm_gen_key_str(g, "snapmig_run_id", run_id);
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);
  rc = snm_gen_finish(out, g);
done:
  if (g != NULL)
    yajl_gen_free(g);
  snm_buf_dispose(&names);
  return rc;
}

enum snm_snapshot_state snm_wf_snapshot_state(const char *server_state)
{
  if (strcmp(server_state, "SUCCESS") == 0)
    return SNM_SNAP_SUCCESS;
  if (strcmp(server_state, "PARTIAL") == 0)
    return SNM_SNAP_PARTIAL;
  if (strcmp(server_state, "FAILED") == 0 ||
      strcmp(server_state, "ABORTED") == 0 ||
      strcmp(server_state, "INCOMPATIBLE") == 0)
    return SNM_SNAP_FAILED;
  return SNM_SNAP_STARTED; /* IN_PROGRESS, INIT, STARTED, WAITING, ... */
}

/* The warm-up: the first initial_ms after the start in this many polls. */
#define WF_WARMUP_POLLS 8

long snm_wf_poll_next(long prev, const struct snm_polling *p)
{
  long next;

  if (prev <= 0)
    return p->initial_ms < p->max_ms ? p->initial_ms : p->max_ms;
  next = prev + (prev + 1) / 2;
  if (next <= prev)
    next = prev + 1;
  return next < p->max_ms ? next : p->max_ms;
}

long snm_wf_poll_warmup(int polls, const struct snm_polling *p)
{
  long v = p->initial_ms / WF_WARMUP_POLLS;

  if (polls == 0)
    return 1;
  if (polls > WF_WARMUP_POLLS)
    return -1;
  return v > 0 ? v : 1;
}

long snm_wf_poll_next_eta(long prev, const struct snm_polling *p, int eta_known,
                          double eta_s)
{
  long next = snm_wf_poll_next(prev, p);
  double eta_ms;

  if (!eta_known || !(eta_s >= 0))
    return next;
  /* Half the estimate: estimates from a throttled or bursty transfer are
   * rough, and halving converges on the end in a few cheap polls. */
  eta_ms = eta_s * 1000.0 / 2.0;
  if (eta_ms >= (double)next)
    return next;
  return eta_ms > (double)p->initial_ms ? (long)eta_ms : p->initial_ms;
}

int snm_wf_eta_now(double *left_s, int eta_known, double eta_s, long long at_ms,
                   long long now_ms)
{
  double left;

  if (!eta_known || !(eta_s >= 0))
    return 0;
  left = eta_s - (double)(now_ms - at_ms) / 1000.0;
  if (left < -(double)SNM_WF_ETA_OVERRUN_MS / 1000.0)
    return 0;
  *left_s = left > 0 ? left : 0.0;
  return 1;
}

int snm_wf_snap_finalizing(const struct snm_es_snap_status *s)
{
  return s->shards_total > 0 &&
         s->shards_done + (s->shards_failed > 0 ? s->shards_failed : 0) >=
             s->shards_total;
}

int snm_wf_snap_near_end(const struct snm_es_snap_status *s, int eta_known,
                         double eta_s, const struct snm_polling *p)
{
  if (s != NULL && snm_wf_snap_finalizing(s))
    return 1;
  double window = 2.0 * (double)p->initial_ms;

  if (window < SNM_WF_NEAR_END_MS)
    window = SNM_WF_NEAR_END_MS;
  return eta_known && eta_s >= 0 && eta_s * 1000.0 <= window;
}

long snm_wf_poll_snapshot(long wait, int near_end)
{
  if (near_end && wait > SNM_WF_FINAL_POLL_MS)
    return SNM_WF_FINAL_POLL_MS;
  return wait;
}

enum snm_wf_snap_action snm_wf_resume_snapshot(const struct snm_state *st,
                                               int put_sent, int exists,
                                               const char *server_run_id,
                                               char *why, size_t whysz)
{
  const struct snm_state_snapshot *s = &snm_state_cur(st)->snapshot;
  int ours;

  why[0] = '\0';
  if (s->state == SNM_SNAP_FAILED) {
    snprintf(why, whysz,
             "snapshot %s failed in an earlier attempt of this run; "
             "'snapmig run --fresh' starts a new run with a new snapshot",
             s->name);
    return SNM_WF_SNAP_FAIL;
  }
  if (!exists) {
    if (s->state == SNM_SNAP_SUCCESS || s->state == SNM_SNAP_PARTIAL) {
      snprintf(why, whysz,
               "snapshot %s, taken by this run, is no longer in repository "
               "%s; 'snapmig run --fresh' takes a new one",
               s->name, s->repository != NULL ? s->repository : "?");
      return SNM_WF_SNAP_FAIL;
    }
    return SNM_WF_SNAP_CREATE; /* never sent, or sent and not taken */
  }
  ours = s->state != SNM_SNAP_PENDING || put_sent ||
         (server_run_id != NULL && st->run_id != NULL &&
          strcmp(server_run_id, st->run_id) == 0);
  if (server_run_id != NULL && st->run_id != NULL &&
      strcmp(server_run_id, st->run_id) != 0)
    ours = 0; /* the metadata proves another run took it */
  if (!ours) {
    snprintf(why, whysz,
             "a snapshot named %s already exists in repository %s but this "
             "run did not take it; 'snapmig run --fresh' picks a new name",
             s->name, s->repository != NULL ? s->repository : "?");
    return SNM_WF_SNAP_FAIL;
  }
  return SNM_WF_SNAP_ADOPT;
}
