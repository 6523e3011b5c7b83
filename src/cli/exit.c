/* exit.c - error class -> exit status (exit.h). */
#include "exit.h"
#include "err.h"
#include "workflow.h"

int snm_exit_status(int code)
{
  switch (code) {
  case SNM_OK:
    return SNM_EXIT_OK;
  case SNM_EINVAL:
    return SNM_EXIT_USAGE;
  case SNM_ECANCELED:
    return SNM_EXIT_INTERRUPTED;
  default:
    return SNM_EXIT_FAILED;
  }
}

int snm_exit_status_run(int run_result)
{
  switch (run_result) {
  case SNM_RUN_DONE:
    return snm_exit_status(SNM_OK);
  case SNM_RUN_REFUSED:
    return snm_exit_status(SNM_EINVAL);
  case SNM_RUN_INTERRUPTED:
    return snm_exit_status(SNM_ECANCELED);
  case SNM_RUN_FAILED:
  default:
    return SNM_EXIT_FAILED;
  }
}
