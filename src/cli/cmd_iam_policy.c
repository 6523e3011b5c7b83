/* cmd_iam_policy.c - `snapmig iam-policy [--document NAME] PLAN`: the IAM
 * documents Amazon OpenSearch Service manual snapshots need, filled in
 * from the plan (iam.h). */
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "iam.h"
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_HELP = SNM_OPT_HELP, O_DOCUMENT };

static const struct snm_opt iam_opts[] = {
    {O_DOCUMENT, "document", 0, SNM_OPT_VALUE, "NAME",
     "role-policy, trust-policy or user-policy"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec iam_spec = {
    "iam-policy",
    "[--document NAME] PLAN",
    "Print the IAM documents that manual snapshots on Amazon OpenSearch\n"
    "Service need, filled in from the plan's s3 repository (bucket,\n"
    "base_path, role_arn) and its aws-sigv4 domains:\n"
    "\n"
    "  role-policy   the snapshot role's S3 permissions\n"
    "  trust-policy  the snapshot role's trust policy (es.amazonaws.com)\n"
    "  user-policy   for the identity snapmig signs with: iam:PassRole on\n"
    "                the role and es:ESHttp* on each domain\n"
    "\n"
    "Without --document, one JSON object holds all three under\n"
    "\"snapshot_role_policy\", \"snapshot_role_trust_policy\" and\n"
    "\"user_policy\".  With it, exactly that document, ready for\n"
    "  aws iam put-role-policy --policy-document file://FILE ...\n"
    "Domains that are not Amazon OpenSearch Service endpoints are left\n"
    "out of the user policy, with a note on stderr.\n",
    iam_opts,
    "Exit status: 0 printed, 2 invalid plan or usage, or the plan lacks\n"
    "what the documents need.\n",
    0};

int snm_cmd_iam_policy(int argc, char **argv)
{
  struct snm_plan *plan = NULL;
  struct snm_buf notes;
  struct snm_err err;
  enum snm_iam_document which = SNM_IAM_ALL;
  const char *path = NULL;
  char *doc = NULL;
  struct snm_opt_iter it;
  int c, rc, status;

  snm_opt_init(&it, &iam_spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case O_HELP:
      snm_opt_help(stdout, &iam_spec);
      return SNM_EXIT_OK;
    case O_DOCUMENT:
      if (snm_iam_document_parse(it.value, &which) != 0)
        return snm_opt_usage_error(&iam_spec,
                                   "--document wants role-policy, "
                                   "trust-policy or user-policy (not \"%s\")",
                                   it.value);
      break;
    case SNM_OPT_OPERAND:
      if (path != NULL)
        return snm_opt_usage_error(&iam_spec, "one plan at a time");
      path = it.value;
      break;
    default:
      return snm_opt_usage_error(&iam_spec, "%s", it.error);
    }
  }
  if (path == NULL)
    return snm_opt_missing(&iam_spec, "PLAN");

  snm_buf_init(&notes, 0);
  snm_err_clear(&err);
  /* errors and warnings as `validate` shows them */
  if ((status = snm_cli_load_plan(&plan, path, 0)) != SNM_EXIT_OK)
    goto done;
  rc = snm_iam_documents(&doc, plan, which, &notes, &err);
  if (rc != 0) {
    fprintf(stderr, "snapmig: error: %s: %s\n", path, err.msg);
    status = snm_exit_status(rc);
    goto done;
  }
  if (notes.len > 0) {
    /* one "snapmig: note: ..." per line */
    for (const char *p = snm_buf_str(&notes), *nl; *p != '\0'; p = nl + 1) {
      nl = strchr(p, '\n');
      fprintf(stderr, "snapmig: note: %.*s\n", (int)(nl - p), p);
    }
  }
  fputs(doc, stdout);
  status = SNM_EXIT_OK;
done:
  free(doc);
  snm_buf_dispose(&notes);
  snm_plan_free(plan);
  return status;
}
