/* main.c - argv -> command.  The only place that exits. */
#include "cli.h"
#include "log.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
  const struct snm_command *cmd;
  int rc;

  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    snm_cli_usage(stderr);
    return SNM_EXIT_USAGE;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "help") == 0) {
    if (argc > 2 && (cmd = snm_cli_find(argv[2])) != NULL) {
      char *help_argv[] = {argv[2], "--help", NULL};
      return cmd->fn(2, help_argv);
    }
    snm_cli_usage(stdout);
    return SNM_EXIT_OK;
  }
  if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
    snm_cli_version(stdout);
    return SNM_EXIT_OK;
  }
  cmd = snm_cli_find(argv[1]);
  if (cmd == NULL) {
    fprintf(stderr, "snapmig: unknown command '%s'\n", argv[1]);
    snm_cli_usage(stderr);
    return SNM_EXIT_USAGE;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "snapmig: error: libcurl failed to initialise\n");
    return SNM_EXIT_FAILED;
  }
  rc = cmd->fn(argc - 1, argv + 1);
  snm_log_clear_secrets();
  curl_global_cleanup();
  fflush(stdout);
  if (ferror(stdout)) {
    fprintf(stderr, "snapmig: error: writing to standard output failed\n");
    return rc == SNM_EXIT_OK ? SNM_EXIT_FAILED : rc;
  }
  return rc;
}
