/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_run.c - `snapmig run [options] PLAN`: the migration (workflow.h);
 * `snapmig sync [options] PLAN`: one more round of a finished run
 * (docs/live-migration.md): a new, incremental snapshot, restored over
 * the indices earlier rounds of this plan restored, plus new ones.  One
 * parser and one body; sync has no --fresh. */
#include "cli.h"
#include "diag.h"
#include "log.h"
#include "plan.h"
#include "workflow.h"

#include <stdio.h>

enum {
  O_HELP = SNM_OPT_HELP,
  O_JSON,
  O_QUIET,
  O_VERBOSE,
  O_STATE,
  O_FRESH,
  O_ROLLBACK
};

/* The options run and sync share. */
/* clang-format off */
#define RUN_COMMON_OPTS                                                        \
  {O_JSON, "json", 0, SNM_OPT_FLAG, NULL,                                      \
   "NDJSON events on stdout (docs/events.md)"},                                \
  {O_QUIET, "quiet", 'q', SNM_OPT_FLAG, NULL,                                  \
   "no progress, no summary; errors only"},                                    \
  {O_VERBOSE, "verbose", 'v', SNM_OPT_FLAG, NULL,                              \
   "log requests (-vv: HTTP traces, redacted)"},                               \
  {O_STATE, "state", 0, SNM_OPT_VALUE, "FILE",                                 \
   "the state file (default: .snapmig/NAME.state.json\n"                       \
   "beside the plan)"}
/* clang-format on */

static const struct snm_opt run_opts[] = {
    RUN_COMMON_OPTS,
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

static const struct snm_opt sync_opts[] = {
    RUN_COMMON_OPTS, SNM_OPT_HELP_ENTRY, {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec sync_spec = {
    "sync",
    "[--json] [-q] [-v] [--state FILE] PLAN",
    "One more round of a finished run: a new snapshot of the same indices\n"
    "(and of new ones that now match the plan) in the same repository, which\n"
    "stores only what changed; on every target, the indices earlier rounds\n"
    "of this plan restored are closed and restored over (only changed files\n"
    "are downloaded) while their UUID is the one recorded, new ones are\n"
    "restored; then health and document counts are checked.  Repeatable;\n"
    "after a crash or Ctrl-C the same command resumes the round.  See\n"
    "docs/live-migration.md.\n",
    sync_opts,
    "Environment: SNAPMIG_LOCK_DIR  where the plan lock lives.\n"
    "\n"
    "Exit status: 0 the round is restored and verified, 1 failed (blockers,\n"
    "a failed step, a count mismatch), 2 invalid plan or usage (also: no\n"
    "run recorded, or its first round unfinished), 130 interrupted.\n",
    0};

static const struct snm_opt cutover_opts[] = {
    RUN_COMMON_OPTS,
    {O_ROLLBACK, "rollback", 0, SNM_OPT_FLAG, NULL,
     "lift the write blocks of an unfinished cutover that\n"
     "has not switched (their previous values back)"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec cutover_spec = {
    "cutover",
    "[--json] [-q] [-v] [--state FILE] [--rollback] PLAN",
    "The final round of a live migration: write-block the source indices\n"
    "(their previous index.blocks.write saved first), take an incremental\n"
    "snapshot, close and restore over on every target, verify exact\n"
    "document counts (and samples with \"verify\": \"sample\"), move the\n"
    "plan's cutover.aliases in one atomic request per target, and report\n"
    "the write downtime.  A failure before the switch puts the previous\n"
    "blocks back (unless cutover.keep_blocked_on_failure).  Also works as\n"
    "the very first round.  After a crash or Ctrl-C the same command\n"
    "resumes.  See docs/live-migration.md.\n",
    cutover_opts,
    "Environment: SNAPMIG_LOCK_DIR  where the plan lock lives.\n"
    "\n"
    "Exit status: 0 verified and switched (--rollback: blocks lifted), 1\n"
    "failed (the message says what became of the blocks), 2 invalid plan\n"
    "or usage (also: an unfinished run or sync round), 130 interrupted.\n",
    0};

struct run_args {
  const char *plan;
  const char *state;
  int json, quiet, verbose, fresh, rollback;
};

/* -1: go on; else the exit status. */
static int parse_args(int argc, char **argv, const struct snm_opt_spec *spec,
                      struct run_args *a)
{
  struct snm_opt_iter it;
  int c;

  snm_opt_init(&it, spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case O_HELP:
      snm_opt_help(stdout, spec);
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
    case O_ROLLBACK:
      a->rollback = 1;
      break;
    case SNM_OPT_OPERAND:
      if (a->plan != NULL)
        return snm_opt_usage_error(spec, "one plan at a time");
      a->plan = it.value;
      break;
    default:
      return snm_opt_usage_error(spec, "%s", it.error);
    }
  }
  if (a->plan == NULL)
    return snm_opt_missing(spec, "PLAN");
  return -1;
}

/* sync: 1 sync, 2 cutover */
static int run_or_sync(int argc, char **argv, const struct snm_opt_spec *spec,
                       int sync)
{
  struct run_args a = {0};
  struct snm_plan *plan = NULL;
  struct snm_run_opts opts = {0};
  int rc, status;

  if ((rc = parse_args(argc, argv, spec, &a)) >= 0)
    return rc;
  snm_cli_set_log_level(a.quiet, a.verbose);
  if ((status = snm_cli_load_plan(&plan, a.plan, a.quiet)) != SNM_EXIT_OK)
    goto done;
  opts.plan_path = a.plan;
  opts.state_path = a.state;
  opts.fresh = a.fresh;
  opts.sync = sync != 0;
  opts.cutover = sync == 2;
  opts.rollback = a.rollback;
  opts.progress = a.json    ? SNM_PROGRESS_JSON
                  : a.quiet ? SNM_PROGRESS_QUIET
                            : SNM_PROGRESS_AUTO;
  status = snm_exit_status_run(snm_workflow_run(plan, &opts));
done:
  snm_plan_free(plan);
  return status;
}

int snm_cmd_run(int argc, char **argv)
{
  return run_or_sync(argc, argv, &run_spec, 0);
}

int snm_cmd_sync(int argc, char **argv)
{
  return run_or_sync(argc, argv, &sync_spec, 1);
}

int snm_cmd_cutover(int argc, char **argv)
{
  return run_or_sync(argc, argv, &cutover_spec, 2);
}
