#include "cli.h"
#include "diag.h"
#include "err.h"
#include "plan.h"
#include "snm_version.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pcre2.h>
#include <string.h>
#include <uv.h>
#include <yajl/yajl_version.h>

const struct snm_command snm_commands[] = {
    {"validate", snm_cmd_validate, "check a plan file offline"},
    {"check", snm_cmd_check,
     "dry run: predict what a migration would do, find its blockers"},
    {"run", snm_cmd_run, "migrate: snapshot, restore, verify (resumable)"},
    {"status", snm_cmd_status, "show a run's state and live progress"},
    {"sigv4", snm_cmd_sigv4,
     "sign a raw HTTP request and show each step (token in clear)"},
    {"iam-policy", snm_cmd_iam_policy,
     "print the IAM policies AWS manual snapshots need"},
    {"version", snm_cmd_version, "print versions of snapmig and its libraries"},
    {NULL, NULL, NULL}};

const struct snm_command *snm_cli_find(const char *name)
{
  for (const struct snm_command *c = snm_commands; c->name != NULL; c++)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

void snm_cli_usage(FILE *fp)
{
  fprintf(fp, "usage: snapmig COMMAND [OPTIONS] [ARGS]\n"
              "\n"
              "Move Elasticsearch and OpenSearch indices between domains "
              "through snapshots.\n"
              "\n"
              "Commands:\n");
  for (const struct snm_command *c = snm_commands; c->name != NULL; c++)
    fprintf(fp, "  %-11s %s\n", c->name, c->summary);
  fprintf(fp, "\n"
              "Run 'snapmig COMMAND --help' for a command's options.\n"
              "  -h, --help     this text\n"
              "  -V, --version  versions of snapmig and its libraries\n"
              "\n"
              "Exit status: 0 success, 1 failure (or blockers found), "
              "2 invalid plan or usage,\n"
              "130 interrupted.\n");
}

void snm_cli_version(FILE *fp)
{
  const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
  char pcre[64] = "";
  int yv = yajl_version();

  pcre2_config(PCRE2_CONFIG_VERSION, pcre);
  fprintf(fp, "snapmig %s\n", SNM_VERSION);
  fprintf(fp, "libcurl %s (%s)\n", cv->version,
          cv->ssl_version != NULL ? cv->ssl_version : "no TLS");
  fprintf(fp, "libuv %s\n", uv_version_string());
  fprintf(fp, "OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
  fprintf(fp, "yajl %d.%d.%d\n", yv / 10000, yv / 100 % 100, yv % 100);
  fprintf(fp, "PCRE2 %s\n", pcre);
}

int snm_cmd_version(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  snm_cli_version(stdout);
  return SNM_EXIT_OK;
}

int snm_cli_load_plan(struct snm_plan **out, const char *path, int errors_only)
{
  struct snm_diag_list diags;
  struct snm_err err;
  int rc, status;

  snm_diag_list_init(&diags);
  snm_err_clear(&err);
  rc = snm_plan_load(out, path, &diags, &err);
  if (rc == SNM_EIO || rc == SNM_ENOMEM) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    status = rc == SNM_EIO ? SNM_EXIT_USAGE : SNM_EXIT_FAILED;
    goto done;
  }
  snm_diag_list_print(stderr, path, &diags, errors_only);
  status = *out != NULL ? SNM_EXIT_OK : SNM_EXIT_USAGE;
done:
  snm_diag_list_dispose(&diags);
  return status;
}
