/* main.c - argv -> command.  The only place that exits. */
#include "cli.h"
#include "log.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv)
{
  int rc;

  signal(SIGPIPE, SIG_IGN);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "snapmig: error: libcurl failed to initialise\n");
    return SNM_EXIT_FAILED;
  }
  rc = snm_cli_main(argc, argv);
  snm_log_clear_secrets();
  curl_global_cleanup();
  fflush(stdout);
  if (ferror(stdout)) {
    fprintf(stderr, "snapmig: error: writing to standard output failed\n");
    return rc == SNM_EXIT_OK ? SNM_EXIT_FAILED : rc;
  }
  return rc;
}
