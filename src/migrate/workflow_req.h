/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_req.h - the run's requests and what their replies record.
 *
 * Each function sends one request and counts it as pending (on the
 * workflow or the target).  Its completion records the result in the
 * workflow (wf->r_*, wf->counts) or the target (t->r_*, t->rec, t->found,
 * t->probe_*), drops the pending count and calls wf_dispatch(); it changes
 * no state.  A request that cannot be sent is recorded as a failure
 * (r_failed / r_err) right away, so the dispatcher sees it like any other
 * reply; the functions return that error code too (0 when sent).
 */
#ifndef SNM_WORKFLOW_REQ_H
#define SNM_WORKFLOW_REQ_H

#include <stddef.h>

struct snm_workflow;
struct wf_target;
struct wf_count;

int wf_req_register(struct snm_workflow *wf, size_t d);
/* `lookup`: a 404 means "absent" (r_exists 0) rather than a failure. */
int wf_req_snapshot_get(struct snm_workflow *wf, int lookup);
/* The counts of `c` (workflow_int.h), on behalf of target `t` or, when
 * NULL, of the run: POST /_msearch counting c->names from c->next (as
 * many as one request takes: *taken), or GET c->names[i]/_count. */
int wf_req_count_msearch(struct snm_workflow *wf, struct wf_target *t,
                         struct wf_count *c, size_t *taken);
int wf_req_count(struct snm_workflow *wf, struct wf_target *t,
                 struct wf_count *c, size_t i);
int wf_req_snapshot_put(struct snm_workflow *wf);
/* keep_snapshots: GET (delete 0) or DELETE (1) _snapshot/REPO/NAME of an
 * earlier round; the GET's answer in wf->prune_exists/prune_run_id, a
 * failure in wf->r_err (a 404 of either is no failure) */
int wf_req_prune(struct snm_workflow *wf, const char *name, int delete);
/* POST A,B,C/_refresh on the source for chunk `k` of wf->refresh_ends
 * (before the "after" counts: a snapshot holds documents that are not
 * searchable yet); best effort */
int wf_req_source_refresh(struct snm_workflow *wf, size_t k);
/* The poll: GET _snapshot/REPO/SNAP into wf->r_info (a 502/503/504, 429
 * or lost connection is no news: wf->r_nonews). */
int wf_req_snapshot_poll(struct snm_workflow *wf);
/* GET .../_status for progress, beside the poll: not counted in
 * wf->pending (wf->status_pending), never a failure of the run; an
 * answer lands in wf->r_status (have_status, status_fresh). */
int wf_req_snapshot_status(struct snm_workflow *wf);

int wf_req_restore(struct wf_target *t);
/* The check before a POST, over chunk `k` of t->probe (t->probe_ends):
 * which names exist (t->probe_exists), and for those that do, where their
 * primaries were recovered from (t->probe_origin). */
int wf_req_probe_list(struct wf_target *t, size_t k);
int wf_req_probe_origin(struct wf_target *t, size_t k);
/* ... and the routing table, for those whose origin is still unknown; a
 * failure of this one only leaves them unknown (it needs cluster state
 * rights that _recovery does not). */
int wf_req_probe_routing(struct wf_target *t, size_t k);
/* The poll: `k` is the chunk of t->cover (t->cover_ends), or in phase
 * WFP_MISSING of t->miss (t->miss_ends), that the request names. */
int wf_req_recovery(struct wf_target *t, size_t k);
int wf_req_health(struct wf_target *t, size_t k);
/* `k`: the chunk of t->wait (t->chunk_ends) the request names. */
int wf_req_refresh(struct wf_target *t, size_t k);
/* The failure check (wf_req_shards: chunk `k` of t->cover): their errors
 * only leave t->bad_found / t->explained unset (the check is best effort;
 * the poll goes on). */
int wf_req_shards(struct wf_target *t, size_t k);
int wf_req_explain(struct wf_target *t);
/* GET _data_stream/NAME for t->ds_names[i]: t->ds_backing[i]. */
int wf_req_target_stream(struct wf_target *t, size_t i);
/* POST CHUNK/_close: chunk `k` of t->close (a sync round's replaced
 * indices) */
int wf_req_close(struct wf_target *t, size_t k);
/* GET CHUNK/_settings/index.creation_date,index.uuid: chunk `k` of
 * t->wait; records each index's UUID in the state file's entry */
int wf_req_identity(struct wf_target *t, size_t k);

/* cutover (workflow_cutover.c), on chunk `k` of wf->cut_names
 * (wf->cut_ends): GET _settings/index.blocks.write into wf->cut_value;
 * PUT _settings with `body` */
int wf_req_cut_settings(struct snm_workflow *wf, size_t k);
int wf_req_cut_put(struct snm_workflow *wf, size_t k, const char *body);
/* PUT CHUNK/_block/write (Elasticsearch >= 7.9, OpenSearch): the block,
 * acknowledged once the writes in flight on every shard are done */
int wf_req_cut_block(struct snm_workflow *wf, size_t k);
/* GET /_alias/ALIAS on `domain` into wf->cut_holders[i] (a 404 is "on
 * no index"); POST /_aliases (never replayed: an unknown outcome sets
 * wf->r_unknown) */
int wf_req_alias_get(struct snm_workflow *wf, size_t i, size_t domain,
                     const char *alias);
int wf_req_aliases_post(struct snm_workflow *wf, size_t domain,
                        const char *body);

/* verify "sample": POST /_msearch on the source drawing from
 * t->samp_src[t->samp_next..] (as many as one request takes: *taken, into
 * t->samples); POST /_mget on the target for t->samples[t->samp_next..]
 * (*taken; *docs 0: nothing to ask, nothing sent) into t->verdicts */
int wf_req_sample_draw(struct wf_target *t, size_t *taken);
int wf_req_sample_mget(struct wf_target *t, size_t *taken, size_t *docs);

/* workflow_work.c: the work from the preflight and the state file */
struct snm_err;
int wf_take_preflight(struct snm_workflow *wf, struct snm_err *err);
int wf_targets_prepare(struct snm_workflow *wf);
int wf_target_lists(struct wf_target *t);

#endif
