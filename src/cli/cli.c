/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"
#include "diag.h"
#include "err.h"
#include "log.h"
#include "plan.h"
#include "snm_version.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pcre2.h>
#include <string.h>
#include <uv.h>
#include <yajl/yajl_version.h>

const struct snm_command snm_commands[] = {
    {"init", snm_cmd_init,
     "write a starter plan from what two clusters hold (read-only)"},
    {"validate", snm_cmd_validate, "check a plan file offline"},
    {"check", snm_cmd_check,
     "dry run: predict what a migration would do, find its blockers"},
    {"run", snm_cmd_run, "migrate: snapshot, restore, verify (resumable)"},
    {"sync", snm_cmd_sync,
     "one more round: incremental snapshot, restore over, verify"},
    {"cutover", snm_cmd_cutover,
     "final round: write-block the source, sync, verify exact, switch"},
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

enum { G_HELP = SNM_OPT_HELP, G_VERSION };

static const struct snm_opt global_opts[] = {
    SNM_OPT_HELP_ENTRY,
    {G_VERSION, "version", 'V', SNM_OPT_FLAG, NULL,
     "versions of snapmig and its libraries"},
    {0, NULL, 0, 0, NULL, NULL}};

/* The options before COMMAND; the first operand is the command. */
static const struct snm_opt_spec global_spec = {
    NULL, "COMMAND [OPTIONS] [ARGS]", NULL, global_opts, NULL, 1};

void snm_cli_usage(FILE *fp)
{
  fprintf(fp,
          "usage: snapmig %s\n"
          "\n"
          "Move Elasticsearch and OpenSearch indices between domains "
          "through snapshots.\n"
          "\n"
          "Commands:\n",
          global_spec.synopsis);
  for (const struct snm_command *c = snm_commands; c->name != NULL; c++)
    fprintf(fp, "  %-11s %s\n", c->name, c->summary);
  fprintf(fp, "\n"
              "Run 'snapmig COMMAND --help' for a command's options.\n");
  snm_opt_help_options(fp, global_opts);
  fprintf(fp, "\n"
              "Exit status: 0 success, 1 failure (or blockers found), "
              "2 invalid plan or usage,\n"
              "130 interrupted.\n");
}

int snm_cli_main(int argc, char **argv)
{
  const struct snm_command *cmd = NULL;
  struct snm_opt_iter it;
  int c, help = 0;

  snm_opt_init(&it, &global_spec, argc, argv);
  while (cmd == NULL && (c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case G_HELP:
      help = 1;
      break;
    case G_VERSION:
      snm_cli_version(stdout);
      return SNM_EXIT_OK;
    case SNM_OPT_OPERAND:
      if (strcmp(it.value, "help") == 0 && !help) {
        help = 1; /* "snapmig help [COMMAND]" */
        break;
      }
      if ((cmd = snm_cli_find(it.value)) == NULL)
        return snm_opt_usage_error(&global_spec, "unknown command '%s'",
                                   it.value);
      break;
    default:
      return snm_opt_usage_error(&global_spec, "%s", it.error);
    }
  }
  if (cmd == NULL) {
    snm_cli_usage(help ? stdout : stderr);
    return help ? SNM_EXIT_OK : SNM_EXIT_USAGE;
  }
  if (help) {
    char *help_argv[] = {(char *)cmd->name, "--help", NULL};
    return cmd->fn(2, help_argv);
  }
  /* the command's argv[0] is its name */
  return cmd->fn(argc - it.i + 1, argv + it.i - 1);
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

static const struct snm_opt version_opts[] = {SNM_OPT_HELP_ENTRY,
                                              {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec version_spec = {
    "version",
    "",
    "Print the versions of snapmig, libcurl (and its TLS library), libuv,\n"
    "OpenSSL, yajl and PCRE2, one per line.\n",
    version_opts,
    NULL,
    0};

int snm_cmd_version(int argc, char **argv)
{
  struct snm_opt_iter it;
  int c;

  snm_opt_init(&it, &version_spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case SNM_OPT_HELP:
      snm_opt_help(stdout, &version_spec);
      return SNM_EXIT_OK;
    case SNM_OPT_OPERAND:
      return snm_opt_usage_error(&version_spec, "unexpected argument '%s'",
                                 it.value);
    default:
      return snm_opt_usage_error(&version_spec, "%s", it.error);
    }
  }
  snm_cli_version(stdout);
  return SNM_EXIT_OK;
}

void snm_cli_set_log_level(int quiet, int verbose)
{
  snm_log_set_level(quiet          ? SNM_LOG_ERROR
                    : verbose > 1  ? SNM_LOG_TRACE
                    : verbose == 1 ? SNM_LOG_DEBUG
                                   : SNM_LOG_WARN);
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
    /* an unreadable plan is bad input */
    status = snm_exit_status(rc == SNM_EIO ? SNM_EINVAL : rc);
    goto done;
  }
  snm_diag_list_print(stderr, path, &diags, errors_only);
  status = *out != NULL ? SNM_EXIT_OK : SNM_EXIT_USAGE;
done:
  snm_diag_list_dispose(&diags);
  return status;
}
