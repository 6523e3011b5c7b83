/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_status.c - `snapmig status [--json] [--state FILE] PLAN`: what the
 * state file says about a run, plus live progress from the clusters (the
 * snapshot's state, each target's recovery).  Read-only: GET requests. */
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "es.h"
#include "es_reply.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "plan.h"
#include "progress.h"
#include "session.h"
#include "timefmt.h"
#include "workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#include <yajl/yajl_gen.h>

enum { O_HELP = SNM_OPT_HELP, O_JSON, O_STATE };

static const struct snm_opt status_opts[] = {
    {O_JSON, "json", 0, SNM_OPT_FLAG, NULL, "one JSON document on stdout"},
    {O_STATE, "state", 0, SNM_OPT_VALUE, "FILE",
     "the state file (default: beside the plan)"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec status_spec = {
    "status",
    "[--json] [--state FILE] PLAN",
    "Show the recorded state of 'snapmig run PLAN' (step, snapshot,\n"
    "each restore and index) and ask the clusters how far the\n"
    "snapshot and the restores are (GET requests only).\n",
    status_opts,
    "Exit status: 0 a run is recorded, 1 none is (or it cannot be\n"
    "read), 2 invalid plan or usage.\n",
    0};

/* Live facts: one GET per thing asked. */
struct live_target {
  const char **names; /* malloced array, borrowed strings */
  size_t n;
  int asked, answered;
  struct snm_es_recovery rec;
  char error[SNM_ERR_MSG_MAX];
};

struct live {
  const struct snm_state *st;
  struct snm_session *session; /* closed once nothing is pending */
  int pending;
  int snap_answered, snap_exists;
  struct snm_es_snap_info info;
  struct snm_es_snap_status status;
  int status_answered;
  char snap_error[SNM_ERR_MSG_MAX];
  struct live_target *t; /* snm_state_cur(st)->n_restores */
};

struct live_req {
  struct live *lv;
  int kind; /* 0 snapshot info, 1 snapshot status, 2 recovery */
  size_t r;
};

static void on_live(const struct snm_es_reply *reply, const struct snm_err *err,
                    void *data)
{
  struct live_req *q = data;
  struct live *lv = q->lv;
  struct snm_err perr;

  if (q->kind == 0) {
    if (err->code == SNM_OK) {
      lv->snap_answered = lv->snap_exists = 1;
      if (snm_es_parse_snapshot_info(&lv->info, reply->json,
                                     snm_state_cur(lv->st)->snapshot.name,
                                     &perr) != 0)
        snprintf(lv->snap_error, sizeof(lv->snap_error), "%s", perr.msg);
    } else if (err->code == SNM_EHTTP && err->http_status == 404) {
      lv->snap_answered = 1;
    } else {
      snprintf(lv->snap_error, sizeof(lv->snap_error), "%s", err->msg);
    }
  } else if (q->kind == 1) {
    if (err->code == SNM_OK &&
        snm_es_parse_snapshot_status(&lv->status, reply->json,
                                     snm_state_cur(lv->st)->snapshot.name,
                                     &perr) == 0)
      lv->status_answered = 1;
  } else {
    struct live_target *t = &lv->t[q->r];
    if (err->code != SNM_OK)
      snprintf(t->error, sizeof(t->error), "%s", err->msg);
    else if (snm_es_parse_recovery(&t->rec, reply->json, t->names, t->n,
                                   &perr) == 0)
      t->answered = 1;
    else
      snprintf(t->error, sizeof(t->error), "%s", perr.msg);
  }
  free(q);
  if (--lv->pending == 0)
    snm_session_close(lv->session);
}

/* Where a failed question's reason goes: the snapshot's or a target's
 * "live" error; NULL for the snapshot's status (an extra, left out). */
static char *error_slot(struct live *lv, int kind, size_t r)
{
  return kind == 0 ? lv->snap_error : kind == 2 ? lv->t[r].error : NULL;
}

/* Send GET `path` (built by snm_es_path, which returned `path_rc`); a
 * path that could not be built, or a request that could not be sent,
 * leaves its reason in the fact's error. */
static void ask(struct live *lv, struct snm_es *es, int kind, size_t r,
                int path_rc, struct snm_buf *path)
{
  struct live_req *q = NULL;
  char *slot = error_slot(lv, kind, r);
  struct snm_err err;

  snm_err_clear(&err);
  if (path_rc != 0)
    snm_err_set(&err, path_rc, "%s: cannot build the request path: %s",
                es->dom->id, snm_err_name(path_rc));
  else if ((q = calloc(1, sizeof(*q))) == NULL)
    snm_err_set(&err, SNM_ENOMEM, "status: out of memory");
  if (q != NULL) {
    q->lv = lv;
    q->kind = kind;
    q->r = r;
    if (snm_es_request(es, "GET", snm_buf_str(path), NULL, 0, on_live, q,
                       &err) == 0)
      lv->pending++;
    else
      free(q);
  }
  if (err.code != SNM_OK && slot != NULL)
    snprintf(slot, SNM_ERR_MSG_MAX, "%s", err.msg);
  snm_buf_reset(path);
}

static void ask_all(struct live *lv, const struct snm_plan *plan,
                    struct snm_es *es)
{
  const struct snm_state *st = lv->st;
  struct snm_buf p;
  int rc;

  snm_buf_init(&p, 0);
  if (snm_state_cur(st)->snapshot.name != NULL &&
      st->step >= SNM_STEP_SNAPSHOT) {
    rc = snm_es_path(&p, "/_snapshot/%s/%s", plan->repository.name,
                     snm_state_cur(st)->snapshot.name);
    ask(lv, &es[plan->snapshot.domain], 0, 0, rc, &p);
    if (snm_state_cur(st)->snapshot.state == SNM_SNAP_STARTED ||
        snm_state_cur(st)->snapshot.state == SNM_SNAP_PENDING) {
      rc = snm_es_path(&p, "/_snapshot/%s/%s/_status", plan->repository.name,
                       snm_state_cur(st)->snapshot.name);
      ask(lv, &es[plan->snapshot.domain], 1, 0, rc, &p);
    }
  }
  for (size_t r = 0; r < snm_state_cur(st)->n_restores && r < plan->n_restores;
       r++) {
    struct live_target *t = &lv->t[r];
    const struct snm_state_restore *sr = &snm_state_cur(st)->restores[r];

    t->names = calloc(sr->n_indices + 1, sizeof(*t->names));
    if (t->names == NULL) {
      snprintf(t->error, sizeof(t->error), "status: out of memory");
      continue;
    }
    for (size_t i = 0; i < sr->n_indices; i++)
      if (sr->indices[i].state == SNM_RESTORE_RESTORING ||
          sr->indices[i].state == SNM_RESTORE_RESTORED ||
          sr->indices[i].state == SNM_RESTORE_VERIFIED)
        t->names[t->n++] = sr->indices[i].target;
    if (t->n == 0)
      continue;
    t->asked = 1;
    rc = snm_es_path(&p, "/%l/_recovery", t->names, t->n);
    ask(lv, &es[plan->restores[r].domain], 2, r, rc, &p);
  }
  snm_buf_dispose(&p);
  if (lv->pending == 0)
    snm_session_close(lv->session);
}

/* The cutover rounds: each one's state and downtime, and whether the
 * source is write-blocked by this plan now (the state file's record: the
 * blocks a cutover set and has not put back). */
static void print_cutover(FILE *fp, const struct snm_plan *plan,
                          const struct snm_state *st)
{
  char t1[SNM_TIME_RFC3339_MAX], d1[SNM_FMT_MAX], d2[SNM_FMT_MAX];
  const struct snm_state_round *last = NULL, *blocked = NULL;

  for (size_t k = 0; k < st->n_rounds; k++) {
    const struct snm_state_cutover *c = &st->rounds[k].cutover;

    if (c->state == SNM_CUT_NONE)
      continue;
    last = &st->rounds[k];
    if (c->source_blocked)
      blocked = &st->rounds[k];
    fprintf(fp, "cutover (round %u): %s", st->rounds[k].number,
            snm_cutover_state_name(c->state));
    if (c->blocked_ms != SNM_STATE_UNKNOWN &&
        c->verified_ms != SNM_STATE_UNKNOWN)
      fprintf(fp, "; write downtime %s to verified",
              snm_fmt_duration(d1, sizeof(d1),
                               (c->verified_ms - c->blocked_ms) / 1000.0));
    if (c->blocked_ms != SNM_STATE_UNKNOWN &&
        c->switched_ms != SNM_STATE_UNKNOWN)
      fprintf(fp, ", %s to switched",
              snm_fmt_duration(d2, sizeof(d2),
                               (c->switched_ms - c->blocked_ms) / 1000.0));
    fputc('\n', fp);
    for (size_t i = 0; i < c->n_aliases; i++)
      fprintf(fp, "  alias %s on %s -> %s: %s\n", c->aliases[i].alias,
              c->aliases[i].domain, c->aliases[i].index,
              c->aliases[i].switched ? "switched" : "not switched");
  }
  if (last == NULL)
    return;
  if (blocked == NULL) {
    fprintf(fp, "source %s: not write-blocked by this plan\n",
            plan->domains[plan->snapshot.domain].id);
    return;
  }
  fprintf(fp,
          "source %s: WRITE-BLOCKED by this plan's cutover (round %u, %s) "
          "since %s:",
          plan->domains[plan->snapshot.domain].id, blocked->number,
          snm_cutover_state_name(blocked->cutover.state),
          blocked->cutover.blocked_ms != SNM_STATE_UNKNOWN
              ? snm_time_format(t1, blocked->cutover.blocked_ms, 0)
              : "the block request (not confirmed)");
  for (size_t i = 0; i < blocked->cutover.n_blocks; i++)
    fprintf(fp, " %s%s", blocked->cutover.blocks[i].index,
            blocked->cutover.blocks[i].previous == 1 ? " (was blocked before)"
                                                     : "");
  fputc('\n', fp);
  if (blocked->cutover.state < SNM_CUT_SWITCHING ||
      blocked->cutover.state == SNM_CUT_ROLLING_BACK)
    fprintf(fp,
            "  'snapmig cutover %s' finishes the cutover, 'snapmig "
            "cutover --rollback %s' lifts the blocks\n",
            plan->path != NULL ? plan->path : "PLAN",
            plan->path != NULL ? plan->path : "PLAN");
}

static void print_human(FILE *fp, const struct snm_plan *plan,
                        const struct snm_state *st, const struct live *lv,
                        const char *path)
{
  char t1[SNM_TIME_RFC3339_MAX], b1[SNM_FMT_MAX], b2[SNM_FMT_MAX];

  fprintf(fp, "plan %s, run %s, state file %s\n", plan->name,
          st->run_id != NULL ? st->run_id : "?", path);
  fprintf(fp, "step: %s (updated %s)\n", snm_step_name(st->step),
          st->updated_ms > 0 ? snm_time_format(t1, st->updated_ms, 0) : "?");
  /* earlier rounds (sync): one line each */
  for (size_t k = 0; k + 1 < st->n_rounds; k++) {
    const struct snm_state_round *rd = &st->rounds[k];
    long long bytes = 0, reused = 0;
    size_t n = 0, replaced = 0, verified = 0;

    for (size_t r = 0; r < rd->n_restores; r++)
      for (size_t i = 0; i < rd->restores[r].n_indices; i++) {
        const struct snm_state_index *ix = &rd->restores[r].indices[i];
        if (ix->state == SNM_RESTORE_SKIPPED)
          continue;
        n++;
        verified += ix->state == SNM_RESTORE_VERIFIED;
        replaced += ix->replace;
        bytes += ix->bytes > 0 ? ix->bytes : 0;
        reused += ix->bytes_reused > 0 ? ix->bytes_reused : 0;
      }
    fprintf(fp,
            "round %u: snapshot %s (%s, taken %s): %zu ind%s (%zu replaced), "
            "%zu verified; %s transferred, %s reused\n",
            rd->number, rd->snapshot.name != NULL ? rd->snapshot.name : "?",
            snm_snapshot_state_name(rd->snapshot.state),
            rd->snapshot.finished_ms > 0
                ? snm_time_format(t1, rd->snapshot.finished_ms, 0)
                : "?",
            n, n == 1 ? "ex" : "ices", replaced, verified,
            snm_fmt_bytes(b1, sizeof(b1), bytes - reused),
            snm_fmt_bytes(b2, sizeof(b2), reused));
  }
  if (st->n_rounds > 1)
    fprintf(fp, "round %u (the last):\n", snm_state_cur(st)->number);
  fprintf(fp, "snapshot: %s in %s: %s", snm_state_cur(st)->snapshot.name,
          plan->repository.name,
          snm_snapshot_state_name(snm_state_cur(st)->snapshot.state));
  if (lv->snap_answered)
    fprintf(fp, "; on %s: %s", plan->domains[plan->snapshot.domain].id,
            lv->snap_exists ? lv->info.state : "not in the repository");
  else if (lv->snap_error[0] != '\0')
    fprintf(fp, "; live: %s", lv->snap_error);
  if (lv->status_answered)
    fprintf(fp, " (%lld/%lld shards, %s of %s)", lv->status.shards_done,
            lv->status.shards_total,
            snm_fmt_bytes(b1, sizeof(b1), lv->status.bytes_done),
            snm_fmt_bytes(b2, sizeof(b2), lv->status.bytes_total));
  fputc('\n', fp);
  for (size_t r = 0; r < snm_state_cur(st)->n_restores; r++) {
    const struct snm_state_restore *sr = &snm_state_cur(st)->restores[r];
    const struct live_target *t = &lv->t[r];

    fprintf(fp, "restore %zu onto %s: %s", r + 1, sr->domain,
            snm_restore_state_name(sr->state));
    if (t->answered)
      fprintf(fp, "; recovered %zu/%zu indices, %s of %s", t->rec.indices_done,
              t->n, snm_fmt_bytes(b1, sizeof(b1), t->rec.bytes_done),
              snm_fmt_bytes(b2, sizeof(b2), t->rec.bytes_total));
    else if (t->error[0] != '\0')
      fprintf(fp, "; live: %s", t->error);
    fputc('\n', fp);
    for (size_t i = 0; i < sr->n_indices; i++) {
      const struct snm_state_index *ix = &sr->indices[i];
      fprintf(fp, "  %s -> %s: %s", ix->source, ix->target,
              snm_restore_state_name(ix->state));
      if (ix->docs_found != SNM_STATE_UNKNOWN)
        fprintf(fp, " (%lld of %lld documents)", ix->docs_found,
                ix->docs_expected);
      if (ix->replace && ix->state != SNM_RESTORE_REPLACING &&
          ix->state != SNM_RESTORE_RESTORING && ix->bytes != SNM_STATE_UNKNOWN)
        fprintf(fp, " (replaced: %s transferred, %s reused)",
                snm_fmt_bytes(
                    b1, sizeof(b1),
                    ix->bytes - (ix->bytes_reused > 0 ? ix->bytes_reused : 0)),
                snm_fmt_bytes(b2, sizeof(b2),
                              ix->bytes_reused > 0 ? ix->bytes_reused : 0));
      if (ix->state == SNM_RESTORE_REPLACING ||
          (ix->replace && ix->state == SNM_RESTORE_RESTORING))
        fprintf(fp, " (MAY BE CLOSED: a sync round closes it to restore "
                    "over it; 'snapmig sync' finishes the restore)");
      fputc('\n', fp);
    }
  }
  print_cutover(fp, plan, st);
}

static void print_json(FILE *fp, const struct snm_state *st,
                       const struct live *lv, const char *path)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *buf;
  char *state_json = NULL;
  size_t len;

  if (g == NULL || snm_state_to_json(&state_json, st, NULL) != 0)
    goto done;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "state_file", path);
  snm_gen_str(g, "state");
  /* the state file's own text, as it is */
  yajl_gen_number(g, state_json, strlen(state_json));
  snm_gen_str(g, "live");
  yajl_gen_map_open(g);
  snm_gen_str(g, "snapshot");
  yajl_gen_map_open(g);
  snm_gen_str(g, "exists");
  if (lv->snap_answered)
    yajl_gen_bool(g, lv->snap_exists);
  else
    yajl_gen_null(g);
  snm_gen_key_str(g, "state", lv->snap_exists ? lv->info.state : NULL);
  if (lv->status_answered) {
    snm_gen_key_int(g, "shards_done", lv->status.shards_done);
    snm_gen_key_int(g, "shards_total", lv->status.shards_total);
    snm_gen_key_int(g, "bytes_done", lv->status.bytes_done);
    snm_gen_key_int(g, "bytes_total", lv->status.bytes_total);
  }
  snm_gen_key_str(g, "error",
                  lv->snap_error[0] != '\0' ? lv->snap_error : NULL);
  yajl_gen_map_close(g);
  snm_gen_str(g, "restores");
  yajl_gen_array_open(g);
  for (size_t r = 0; r < snm_state_cur(st)->n_restores; r++) {
    const struct live_target *t = &lv->t[r];
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "domain", snm_state_cur(st)->restores[r].domain);
    if (t->answered) {
      snm_gen_key_int(g, "indices_done", (long long)t->rec.indices_done);
      snm_gen_key_int(g, "indices_total", (long long)t->n);
      snm_gen_key_int(g, "bytes_done", t->rec.bytes_done);
      snm_gen_key_int(g, "bytes_total", t->rec.bytes_total);
    }
    snm_gen_key_str(g, "error", t->error[0] != '\0' ? t->error : NULL);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
  if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
    fprintf(fp, "%.*s\n", (int)len, (const char *)buf);
done:
  free(state_json);
  if (g != NULL)
    yajl_gen_free(g);
}

/* Ask the clusters; fills `lv`.  Failures only leave facts unknown. */
static void ask_clusters(struct live *lv, const struct snm_plan *plan)
{
  struct snm_session s;
  struct snm_err err;

  snm_err_clear(&err);
  if (snm_session_init(&s, plan, 1, "status", &err) == 0) {
    lv->session = &s;
    ask_all(lv, plan, s.es);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    lv->session = NULL;
  } else {
    snm_log(SNM_LOG_WARN, "%s", err.msg);
  }
  snm_session_dispose(&s);
}

int snm_cmd_status(int argc, char **argv)
{
  const char *plan_path = NULL, *state_arg = NULL;
  struct snm_plan *plan = NULL;
  struct snm_state st;
  struct live lv;
  struct snm_err err;
  char *path = NULL;
  struct snm_opt_iter it;
  int json = 0, found = 0, c, rc, status = SNM_EXIT_FAILED;

  snm_opt_init(&it, &status_spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case O_HELP:
      snm_opt_help(stdout, &status_spec);
      return SNM_EXIT_OK;
    case O_JSON:
      json = 1;
      break;
    case O_STATE:
      state_arg = it.value;
      break;
    case SNM_OPT_OPERAND:
      if (plan_path != NULL)
        return snm_opt_usage_error(&status_spec, "one plan at a time");
      plan_path = it.value;
      break;
    default:
      return snm_opt_usage_error(&status_spec, "%s", it.error);
    }
  }
  if (plan_path == NULL)
    return snm_opt_missing(&status_spec, "PLAN");
  snm_log_set_level(SNM_LOG_WARN);
  memset(&lv, 0, sizeof(lv));
  snm_state_init(&st);
  snm_err_clear(&err);
  /* errors only: a plan that loads has no errors, so nothing is printed */
  if ((rc = snm_cli_load_plan(&plan, plan_path, 1)) != SNM_EXIT_OK) {
    status = rc;
    goto done;
  }
  if (snm_journal_state_path(&path, state_arg, plan_path, plan->name) != 0) {
    fprintf(stderr, "snapmig: error: out of memory\n");
    goto done;
  }
  if (snm_state_load(&st, &found, path, &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    goto done;
  }
  if (!found) {
    fprintf(stderr, "snapmig: no run recorded for plan %s at %s\n", plan->name,
            path);
    goto done;
  }
  lv.st = &st;
  lv.t = calloc(snm_state_cur(&st)->n_restores + 1, sizeof(*lv.t));
  if (lv.t == NULL)
    goto done;
  if (snm_state_cur(&st)->n_restores == plan->n_restores)
    ask_clusters(&lv, plan);
  if (json)
    print_json(stdout, &st, &lv, path);
  else
    print_human(stdout, plan, &st, &lv, path);
  status = SNM_EXIT_OK;
done:
  if (lv.t != NULL)
    for (size_t r = 0; r < snm_state_cur(&st)->n_restores; r++) {
      free(lv.t[r].names);
      snm_es_recovery_dispose(&lv.t[r].rec);
    }
  free(lv.t);
  snm_es_snap_info_dispose(&lv.info);
  snm_state_dispose(&st);
  free(path);
  snm_plan_free(plan);
  return status;
}
