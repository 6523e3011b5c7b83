/* cmd_run.c - `snapmig run [options] PLAN`: the migration (workflow.h). */
#include "cli.h"
#include "diag.h"
#include "log.h"
#include "plan.h"
#include "workflow.h"

#include <stdio.h>

enum { O_HELP = SNM_OPT_HELP, O_JSON, O_QUIET, O_VERBOSE, O_STATE, O_FRESH };

static const struct snm_opt run_opts[] = {
    {O_JSON, "json", 0, SNM_OPT_FLAG, NULL,
     "NDJSON events on stdout (docs/events.md)"},
    {O_QUIET, "quiet", 'q', SNM_OPT_FLAG, NULL,
     "no progress, no summary; errors only"},
    {O_VERBOSE, "verbose", 'v', SNM_OPT_FLAG, NULL,
     "log requests (-vv: HTTP traces, redacted)"},
    {O_STATE, "state", 0, SNM_OPT_VALUE, "FILE",
     "the state file (default: .snapmig/NAME.state.json\n"
     "beside the plan)"},
    {O_FRESH, "fresh", 0, SNM_OPT_FLAG, NULL,
     "start a new run (new snapshot name); the old state\n"
     "file is kept as FILE.RUNID.old"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec run_spec = {
    "run",
    "[--json] [-q] [-v] [--state FILE] [--fresh] PLAN",
    "Migrate the plan's indices: preflight (as 'snapmig check'), register\n"
    "the repository, snapshot the source, restore onto every target at\n"
    "once, wait for health, verify document counts, print a summary.\n"
    "Every step is saved in a state file; after a crash or Ctrl-C the same\n"
    "command resumes where it stopped (same snapshot, no index restored\n"
    "twice).  Nothing is ever deleted.  See docs/run.md.\n",
    run_opts,
    "Environment: SNAPMIG_LOCK_DIR  where the plan lock lives (one run of\n"
    "a plan against a source at a time; default $XDG_RUNTIME_DIR/snapmig,\n"
    "else /tmp/snapmig-UID).\n"
    "\n"
    "Exit status: 0 migrated and verified (or already done), 1 failed\n"
    "(blockers, a failed step, a count mismatch), 2 invalid plan or usage\n"
    "(also: the state file belongs to a changed plan), 130 interrupted.\n",
    0};

struct run_args {
  const char *plan;
  const char *state;
  int json, quiet, verbose, fresh;
};

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
  struct snm_opt_iter it;
  int c;

  snm_opt_init(&it, &run_spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case O_HELP:
      snm_opt_help(stdout, &run_spec);
      return SNM_EXIT_OK;
    case O_JSON:
      a->json = 1;
      break;
    case O_QUIET:
      a->quiet = 1;
      break;
    case O_VERBOSE:
      a->verbose++;
      break;
    case O_STATE:
      a->state = it.value;
      break;
    case O_FRESH:
      a->fresh = 1;
      break;
    case SNM_OPT_OPERAND:
      if (a->plan != NULL)
        return snm_opt_usage_error(&run_spec, "one plan at a time");
      a->plan = it.value;
      break;
    default:
      return snm_opt_usage_error(&run_spec, "%s", it.error);
    }
  }
  if (a->plan == NULL)
    return snm_opt_missing(&run_spec, "PLAN");
  return -1;
}

int snm_cmd_run(int argc, char **argv)
{
  struct run_args a = {0};
  struct snm_plan *plan = NULL;
  struct snm_run_opts opts = {0};
  int rc, status;

  if ((rc = parse_args(argc, argv, &a)) >= 0)
    return rc;
  snm_cli_set_log_level(a.quiet, a.verbose);
  if ((status = snm_cli_load_plan(&plan, a.plan, a.quiet)) != SNM_EXIT_OK)
    goto done;
  opts.plan_path = a.plan;
  opts.state_path = a.state;
  opts.fresh = a.fresh;
  opts.progress = a.json    ? SNM_PROGRESS_JSON
                  : a.quiet ? SNM_PROGRESS_QUIET
                            : SNM_PROGRESS_AUTO;
  status = snm_exit_status_run(snm_workflow_run(plan, &opts));
done:
  snm_plan_free(plan);
  return status;
}
