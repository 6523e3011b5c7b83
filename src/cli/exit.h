/* exit.h - the process exit status, and the one mapping from error classes
 * (err.h codes) and run results (workflow.h) to it.
 *
 * Documented in README.md ("Exit status"); scripts rely on these values.
 */
#ifndef SNM_EXIT_H
#define SNM_EXIT_H

enum snm_exit {
  SNM_EXIT_OK = 0,           /* done (and verified) / no blockers */
  SNM_EXIT_FAILED = 1,       /* failed, or blockers found */
  SNM_EXIT_USAGE = 2,        /* invalid usage or input: options, plan, request
                                file; a state file that belongs to a changed plan */
  SNM_EXIT_INTERRUPTED = 130 /* SIGINT/SIGTERM (128 + 2) */
};

/* The exit status for an error class (an snm_errcode):
 *   SNM_OK                 -> SNM_EXIT_OK
 *   SNM_EINVAL             -> SNM_EXIT_USAGE  (what the user gave is wrong)
 *   SNM_ECANCELED          -> SNM_EXIT_INTERRUPTED
 *   anything else (ENOMEM, EIO, ENET, ETIMEOUT, EHTTP, EAUTH, EPARSE)
 *                          -> SNM_EXIT_FAILED
 * A command that reads a file the user named (the plan, a request file)
 * reports a failure to read it as SNM_EINVAL: bad input, exit 2. */
int snm_exit_status(int code);

/* The exit status for an snm_run_result: done 0, refused (the state file
 * is another plan's) 2, interrupted 130, failed 1. */
int snm_exit_status_run(int run_result);

#endif
