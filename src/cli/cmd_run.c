/* cmd_run.c - `snapmig run [options] PLAN`: the migration (workflow.h). */
#include "cli.h"
#include "diag.h"
#include "log.h"
#include "plan.h"
#include "workflow.h"

#include <stdio.h>
#include <string.h>

static void run_usage(FILE *fp)
{
  fprintf(
      fp,
      "usage: snapmig run [--json] [-q] [-v] [--state FILE] [--fresh] PLAN\n"
      "\n"
      "Migrate the plan's indices: preflight (as 'snapmig check'), register\n"
      "the repository, snapshot the source, restore onto every target at\n"
      "once, wait for health, verify document counts, print a summary.\n"
      "Every step is saved in a state file; after a crash or Ctrl-C the same\n"
      "command resumes where it stopped (same snapshot, no index restored\n"
      "twice).  Nothing is ever deleted.  See docs/run.md.\n"
      "\n"
      "  --json        NDJSON events on stdout (docs/events.md)\n"
      "  -q, --quiet   no progress, no summary; errors only\n"
      "  -v, --verbose log requests (-vv: HTTP traces, redacted)\n"
      "  --state FILE  the state file (default: .snapmig/NAME.state.json\n"
      "                beside the plan)\n"
      "  --fresh       start a new run (new snapshot name); the old state\n"
      "                file is kept as FILE.RUNID.old\n"
      "  -h, --help    this text\n"
      "\n"
      "Environment: SNAPMIG_LOCK_DIR  where the plan lock lives (one run of\n"
      "a plan against a source at a time; default $XDG_RUNTIME_DIR/snapmig,\n"
      "else /tmp/snapmig-UID).\n"
      "\n"
      "Exit status: 0 migrated and verified (or already done), 1 failed\n"
      "(blockers, a failed step, a count mismatch), 2 invalid plan or usage\n"
      "(also: the state file belongs to a changed plan), 130 interrupted.\n");
}

struct run_args {
  const char *plan;
  const char *state;
  int json, quiet, verbose, fresh;
};

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];

    if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
      run_usage(stdout);
      return SNM_EXIT_OK;
    } else if (strcmp(s, "--json") == 0) {
      a->json = 1;
    } else if (strcmp(s, "-q") == 0 || strcmp(s, "--quiet") == 0) {
      a->quiet = 1;
    } else if (strcmp(s, "-v") == 0 || strcmp(s, "--verbose") == 0) {
      a->verbose++;
    } else if (strcmp(s, "-vv") == 0) {
      a->verbose += 2;
    } else if (strcmp(s, "--fresh") == 0) {
      a->fresh = 1;
    } else if (strcmp(s, "--state") == 0 && i + 1 < argc) {
      a->state = argv[++i];
    } else if (strncmp(s, "--state=", 8) == 0) {
      a->state = s + 8;
    } else if (strcmp(s, "--") == 0 && i + 2 == argc && a->plan == NULL) {
      a->plan = argv[++i];
    } else if (s[0] == '-' && s[1] != '\0') {
      fprintf(stderr, "snapmig: %s: unknown option '%s'\n", argv[0], s);
      run_usage(stderr);
      return SNM_EXIT_USAGE;
    } else if (a->plan == NULL) {
      a->plan = s;
    } else {
      fprintf(stderr, "snapmig: %s: one plan at a time\n", argv[0]);
      return SNM_EXIT_USAGE;
    }
  }
  if (a->plan == NULL) {
    run_usage(stderr);
    return SNM_EXIT_USAGE;
  }
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
  snm_log_set_level(a.quiet ? SNM_LOG_ERROR
                    : a.verbose
                        ? (a.verbose > 1 ? SNM_LOG_TRACE : SNM_LOG_DEBUG)
                        : SNM_LOG_WARN);
  if ((status = snm_cli_load_plan(&plan, a.plan, a.quiet)) != SNM_EXIT_OK)
    goto done;
  opts.plan_path = a.plan;
  opts.state_path = a.state;
  opts.fresh = a.fresh;
  opts.progress = a.json    ? SNM_PROGRESS_JSON
                  : a.quiet ? SNM_PROGRESS_QUIET
                            : SNM_PROGRESS_AUTO;
  switch (snm_workflow_run(plan, &opts)) {
  case SNM_RUN_DONE:
    status = SNM_EXIT_OK;
    break;
  case SNM_RUN_REFUSED:
    status = SNM_EXIT_USAGE;
    break;
  case SNM_RUN_INTERRUPTED:
    status = SNM_EXIT_INTERRUPTED;
    break;
  case SNM_RUN_FAILED:
  default:
    status = SNM_EXIT_FAILED;
    break;
  }
done:
  snm_plan_free(plan);
  return status;
}
