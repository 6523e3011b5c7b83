/* cmd_validate.c - `snapmig validate [--json] [-q] PLAN`: every offline
 * check of a plan, every problem reported. */
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "json.h"
#include "plan.h"

#include <stdio.h>

#include <yajl/yajl_gen.h>

enum { O_HELP = SNM_OPT_HELP, O_JSON, O_QUIET };

static const struct snm_opt validate_opts[] = {
    {O_JSON, "json", 0, SNM_OPT_FLAG, NULL,
     "print the result as one JSON document on stdout"},
    {O_QUIET, "quiet", 'q', SNM_OPT_FLAG, NULL,
     "print nothing on success, and no warnings"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec validate_spec = {
    "validate",
    "[--json] [-q] PLAN",
    "Check a plan file offline: JSON syntax, keys, types, values, domain\n"
    "references, rename patterns, snapshot name template.  Every\n"
    "problem is printed on stderr as PLAN:LINE:COL: error: message\n"
    "(columns count characters); warnings do not fail the check.\n",
    validate_opts,
    "Exit status: 0 valid (maybe with warnings), 2 invalid or "
    "unreadable.\n",
    0};

static void gen_diags(yajl_gen g, const struct snm_diag_list *diags)
{
  snm_gen_key_int(g, "errors", (long long)diags->errors);
  snm_gen_key_int(g, "warnings", (long long)diags->warnings);
  snm_gen_str(g, "diagnostics");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < diags->len; i++) {
    const struct snm_diag *d = &diags->items[i];

    yajl_gen_map_open(g);
    snm_gen_key_str(g, "severity", snm_diag_severity_name(d->severity));
    snm_gen_key_int(g, "line", d->line);
    snm_gen_key_int(g, "column", d->col);
    snm_gen_key_str(g, "message", d->message);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
}

static void gen_summary(yajl_gen g, const struct snm_plan *p)
{
  struct snm_buf desc;
  char digest[65];

  snm_buf_init(&desc, 0);
  snm_gen_str(g, "summary");
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "name", p->name);
  snm_gen_key_str(g, "source", p->domains[p->snapshot.domain].id);
  snm_gen_str(g, "targets");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < p->n_restores; i++)
    snm_gen_str(g, p->domains[p->restores[i].domain].id);
  yajl_gen_array_close(g);
  snm_gen_str(g, "repository");
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "name", p->repository.name);
  snm_gen_key_str(g, "type", snm_repo_type_name(p->repository.type));
  yajl_gen_map_close(g);
  if (snm_plan_digest(digest, p) == 0) {
    snm_gen_key_str(g, "digest", digest);
  }
  if (snm_plan_describe(&desc, p) == 0) {
    snm_gen_key_str(g, "description", snm_buf_str(&desc));
  }
  yajl_gen_map_close(g);
  snm_buf_dispose(&desc);
}

/* One JSON document on stdout. */
static int print_json(const char *path, const struct snm_plan *p,
                      const struct snm_diag_list *diags, const char *error)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *buf;
  size_t len;

  if (g == NULL)
    return -1;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "plan", path);
  snm_gen_str(g, "valid");
  yajl_gen_bool(g, p != NULL);
  if (error != NULL) {
    snm_gen_key_str(g, "error", error);
  } else {
    gen_diags(g, diags);
  }
  if (p != NULL)
    gen_summary(g, p);
  yajl_gen_map_close(g);
  if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
    printf("%.*s\n", (int)len, (const char *)buf);
  yajl_gen_free(g);
  return 0;
}

/* --json: the load error or the diagnostics go into the document (the load
 * error to stderr as well), so this path loads the plan itself. */
static int validate_json(const char *path)
{
  struct snm_diag_list diags;
  struct snm_plan *plan = NULL;
  struct snm_err err;
  int rc, status;

  snm_diag_list_init(&diags);
  snm_err_clear(&err);
  rc = snm_plan_load(&plan, path, &diags, &err);
  if (rc == SNM_EIO || rc == SNM_ENOMEM) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    print_json(path, NULL, &diags, err.msg);
    /* an unreadable plan is bad input */
    status = snm_exit_status(rc == SNM_EIO ? SNM_EINVAL : rc);
  } else {
    print_json(path, plan, &diags, NULL);
    status = plan != NULL ? SNM_EXIT_OK : SNM_EXIT_USAGE;
  }
  snm_plan_free(plan);
  snm_diag_list_dispose(&diags);
  return status;
}

int snm_cmd_validate(int argc, char **argv)
{
  struct snm_plan *plan = NULL;
  const char *path = NULL;
  struct snm_opt_iter it;
  int json = 0, quiet = 0, c, status;

  snm_opt_init(&it, &validate_spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case O_HELP:
      snm_opt_help(stdout, &validate_spec);
      return SNM_EXIT_OK;
    case O_JSON:
      json = 1;
      break;
    case O_QUIET:
      quiet = 1;
      break;
    case SNM_OPT_OPERAND:
      if (path != NULL)
        return snm_opt_usage_error(&validate_spec, "one plan at a time");
      path = it.value;
      break;
    default:
      return snm_opt_usage_error(&validate_spec, "%s", it.error);
    }
  }
  if (path == NULL)
    return snm_opt_missing(&validate_spec, "PLAN");

  if (json)
    return validate_json(path);
  status = snm_cli_load_plan(&plan, path, quiet);
  if (status == SNM_EXIT_OK && !quiet) {
    struct snm_buf desc;

    snm_buf_init(&desc, 0);
    if (snm_plan_describe(&desc, plan) == 0)
      printf("%s: ok: %s\n", path, snm_buf_str(&desc));
    snm_buf_dispose(&desc);
  }
  snm_plan_free(plan);
  return status;
}
