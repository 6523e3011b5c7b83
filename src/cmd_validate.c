#include "cli.h"

int snm_cmd_validate(int argc, char **argv)
{
  (void)argc;
  fprintf(stderr, "snapmig: %s: not implemented yet\n", argv[0]);
  return SNM_EXIT_FAILED;
}
