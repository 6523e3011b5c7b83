/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h - command table, usage text and the version report.
 *
 * Each command is `int snm_cmd_<name>(int argc, char **argv)`, with argv[0]
 * the command's name; it returns the process exit status (SNM_EXIT_*) and
 * never exits itself: main.c is the only place that exits.
 */
#ifndef SNM_CLI_H
#define SNM_CLI_H

#include "err.h"

#include <stdio.h>

#include "exit.h"
#include "opt.h"

struct snm_plan;

typedef int (*snm_cmd_fn)(int argc, char **argv);

struct snm_command {
  const char *name;
  snm_cmd_fn fn;
  const char *summary; /* one line for the global usage */
};

/* The command table, terminated by an entry with name NULL. */
extern const struct snm_command snm_commands[];

const struct snm_command *snm_cli_find(const char *name);

/* `snapmig [-h|--help] [-V|--version] COMMAND ARGS...` and `snapmig help
 * [COMMAND]`: the global options, then the command.  Returns the exit
 * status. */
int snm_cli_main(int argc, char **argv);
void snm_cli_usage(FILE *fp);
/* Print "snapmig X.Y.Z" and the versions of the libraries it runs with. */
void snm_cli_version(FILE *fp);

/* Load the plan at `path` for a command and print what went wrong the way
 * every command does: "snapmig: error: MSG" when the file cannot be read
 * (or memory runs out), else the plan's diagnostics (errors only when
 * `errors_only`) on stderr.  Returns SNM_EXIT_OK and *out (the caller frees
 * it with snm_plan_free); SNM_EXIT_USAGE (*out NULL) for an unreadable or
 * invalid plan; SNM_EXIT_FAILED when out of memory. */
int snm_cli_load_plan(struct snm_plan **out, const char *path,
                      int errors_only) SNM_MUST_CHECK;

/* The log level -q and -v ask for: errors only when `quiet`, else
 * warnings, -v requests (debug), -vv HTTP traces. */
void snm_cli_set_log_level(int quiet, int verbose);

/* Commands (each in its own cmd_*.c file). */
int snm_cmd_init(int argc, char **argv);
int snm_cmd_validate(int argc, char **argv);
int snm_cmd_check(int argc, char **argv);
int snm_cmd_run(int argc, char **argv);
int snm_cmd_sync(int argc, char **argv);
int snm_cmd_cutover(int argc, char **argv);
int snm_cmd_status(int argc, char **argv);
int snm_cmd_sigv4(int argc, char **argv);
int snm_cmd_iam_policy(int argc, char **argv);
int snm_cmd_version(int argc, char **argv);

#endif
