/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_check.c - `snapmig check [--json] [-v] [-q] PLAN`: the preflight of a
 * migration, every domain at once, read-only; a report on stdout. */
#include "cli.h"
#include "diag.h"
#include "es.h"
#include "journal.h"
#include "log.h"
#include "plan.h"
#include "preflight.h"
#include "report_check.h"
#include "session.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

enum { O_HELP = SNM_OPT_HELP, O_JSON, O_VERBOSE, O_QUIET, O_STATE };

static const struct snm_opt check_opts[] = {
    {O_JSON, "json", 0, SNM_OPT_FLAG, NULL,
     "print the result as one JSON document on stdout"},
    {O_VERBOSE, "verbose", 'v', SNM_OPT_FLAG, NULL,
     "log every request (twice: HTTP traces) on stderr"},
    {O_QUIET, "quiet", 'q', SNM_OPT_FLAG, NULL,
     "print only blockers, warnings and the result line"},
    {O_STATE, "state", 0, SNM_OPT_VALUE, "FILE",
     "the plan's state file (default: .snapmig/NAME.state.json next to\n"
     "the plan): with earlier rounds, predict the next 'snapmig sync'"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec check_spec = {
    "check",
    "[--json] [-v] [-q] [--state FILE] PLAN",
    "Predict what 'snapmig run PLAN' would do, and find what would stop\n"
    "it, without changing anything: only GET requests are sent, to every\n"
    "domain of the plan at once.  Checks reachability and credentials,\n"
    "engine versions, the repository registration, running snapshots,\n"
    "the source indices the plan selects, the target name of each index\n"
    "after rename, name conflicts on the targets, version compatibility,\n"
    "disk space and shard headroom.  When the plan's state file holds\n"
    "earlier rounds, it predicts the next 'snapmig sync' instead: which\n"
    "indices are replaced, which are new, what changed since.\n",
    check_opts,
    "Exit status: 0 no blockers, 1 blockers found (or the check failed),\n"
    "2 invalid plan or usage, 130 interrupted.\n",
    0};

struct check {
  struct snm_session s;
  struct snm_preflight pf;
  int finished;    /* the preflight's done ran */
  int interrupted; /* SIGINT/SIGTERM */
  int closing;
};

/* Close the engine and the signal watchers; the loop then ends. */
static void check_close(struct check *c)
{
  if (c->closing)
    return;
  c->closing = 1;
  snm_session_close(&c->s);
}

static void on_stop(void *data, int signum)
{
  struct check *c = data;

  (void)signum;
  if (c->finished || c->interrupted)
    return;
  c->interrupted = 1;
  snm_preflight_cancel(&c->pf);
  check_close(c);
}

static void on_preflight_done(struct snm_preflight *pf, void *data)
{
  struct check *c = data;

  (void)pf;
  c->finished = 1;
  check_close(c);
}

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, const char **path, int *json,
                      int *verbose, int *quiet, const char **state)
{
  struct snm_opt_iter it;
  int c;

  snm_opt_init(&it, &check_spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case O_HELP:
      snm_opt_help(stdout, &check_spec);
      return SNM_EXIT_OK;
    case O_JSON:
      *json = 1;
      break;
    case O_VERBOSE:
      (*verbose)++;
      break;
    case O_QUIET:
      *quiet = 1;
      break;
    case O_STATE:
      *state = it.value;
      break;
    case SNM_OPT_OPERAND:
      if (*path != NULL)
        return snm_opt_usage_error(&check_spec, "one plan at a time");
      *path = it.value;
      break;
    default:
      return snm_opt_usage_error(&check_spec, "%s", it.error);
    }
  }
  if (*path == NULL)
    return snm_opt_missing(&check_spec, "PLAN");
  return -1;
}

/* The plan's state file, when there is one: its rounds feed the
 * prediction of the next sync (pf->rounds); one of another plan is a
 * blocker (pf->rounds_error).  Returns 0, or an exit status. */
static int load_rounds(struct snm_preflight *pf, struct snm_state *st,
                       const struct snm_plan *plan, const char *plan_path,
                       const char *state_arg)
{
  char *path = NULL;
  struct snm_err err;
  int found = 0;

  snm_err_clear(&err);
  if (snm_journal_state_path(&path, state_arg, plan_path, plan->name) != 0) {
    fprintf(stderr, "snapmig: error: out of memory\n");
    return SNM_EXIT_FAILED;
  }
  if (snm_state_load(st, &found, path, &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    free(path);
    return SNM_EXIT_FAILED;
  }
  if (found && snm_state_check_plan(st, plan, path, &err) != 0) {
    if ((pf->rounds_error = strdup(err.msg)) == NULL) {
      free(path);
      return SNM_EXIT_FAILED;
    }
  } else if (found) {
    snm_log(SNM_LOG_INFO, "check: %zu round%s on record in %s", st->n_rounds,
            st->n_rounds == 1 ? "" : "s", path);
    pf->rounds = st;
  }
  free(path);
  return 0;
}

/* Run the preflight on a loaded plan; returns the exit status. */
static int run_check(const struct snm_plan *plan, const char *plan_path,
                     const char *state_arg, int json, int quiet)
{
  struct check c;
  struct snm_preflight_opts opts = {0};
  struct snm_err err;
  struct snm_state st;
  int status = SNM_EXIT_FAILED, started = 0;

  memset(&c, 0, sizeof(c));
  snm_preflight_init(&c.pf);
  snm_state_init(&st);
  snm_err_clear(&err);
  if (snm_session_init(&c.s, plan, 1, "check", &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    goto done;
  }
  snm_session_on_stop(&c.s, on_stop, &c);
  if (load_rounds(&c.pf, &st, plan, plan_path, state_arg) != 0)
    goto done;
  opts.init_errors = c.s.es_init_err;
  snm_log(SNM_LOG_INFO, "check: asking %zu domain%s", plan->n_domains,
          plan->n_domains == 1 ? "" : "s");
  if (snm_preflight_start(&c.pf, &c.s.loop, plan, c.s.es, &opts,
                          on_preflight_done, &c, &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    goto done;
  }
  started = 1;
done:
  if (!started)
    check_close(&c);
  if (c.s.loop_ok)
    uv_run(&c.s.loop, UV_RUN_DEFAULT);
  if (c.interrupted) {
    status = snm_exit_status(SNM_ECANCELED);
  } else if (started && c.pf.result != SNM_OK) {
    fprintf(stderr, "snapmig: error: check failed: %s\n",
            snm_err_name(c.pf.result));
    status = snm_exit_status(c.pf.result);
  } else if (started) {
    if (json) {
      if (snm_report_check_json(stdout, &c.pf) != 0)
        fprintf(stderr, "snapmig: error: out of memory\n");
    } else {
      snm_report_check_human(stdout, &c.pf, quiet);
    }
    status = c.pf.n_blockers > 0 ? SNM_EXIT_FAILED : SNM_EXIT_OK;
  }
  snm_preflight_dispose(&c.pf);
  snm_state_dispose(&st);
  snm_session_dispose(&c.s);
  return status;
}

int snm_cmd_check(int argc, char **argv)
{
  struct snm_plan *plan = NULL;
  const char *path = NULL, *state = NULL;
  int json = 0, verbose = 0, quiet = 0, rc, status;

  if ((rc = parse_args(argc, argv, &path, &json, &verbose, &quiet, &state)) >=
      0)
    return rc;
  snm_cli_set_log_level(quiet, verbose);
  status = snm_cli_load_plan(&plan, path, quiet);
  if (status == SNM_EXIT_OK)
    status = run_check(plan, path, state, json, quiet);
  snm_plan_free(plan);
  return status;
}
