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

static void iam_policy_usage(FILE *fp)
{
  fprintf(fp,
          "usage: snapmig iam-policy [--document NAME] PLAN\n"
          "\n"
          "Print the IAM documents that manual snapshots on Amazon OpenSearch\n"
          "Service need, filled in from the plan's s3 repository (bucket,\n"
          "base_path, role_arn) and its aws-sigv4 domains:\n"
          "\n"
          "  role-policy   the snapshot role's S3 permissions\n"
          "  trust-policy  the snapshot role's trust policy "
          "(es.amazonaws.com)\n"
          "  user-policy   for the identity snapmig signs with: "
          "iam:PassRole on\n"
          "                the role and es:ESHttp* on each domain\n"
          "\n"
          "Without --document, one JSON object holds all three under\n"
          "\"snapshot_role_policy\", \"snapshot_role_trust_policy\" and\n"
          "\"user_policy\".  With it, exactly that document, ready for\n"
          "  aws iam put-role-policy --policy-document file://FILE ...\n"
          "Domains that are not Amazon OpenSearch Service endpoints are "
          "left\n"
          "out of the user policy, with a note on stderr.\n"
          "\n"
          "  --document NAME  role-policy, trust-policy or user-policy\n"
          "  -h, --help       this text\n"
          "\n"
          "Exit status: 0 printed, 2 invalid plan or usage, or the plan "
          "lacks\n"
          "what the documents need.\n");
}

int snm_cmd_iam_policy(int argc, char **argv)
{
  struct snm_plan *plan = NULL;
  struct snm_buf notes;
  struct snm_err err;
  enum snm_iam_document which = SNM_IAM_ALL;
  const char *path = NULL;
  char *doc = NULL;
  int rc, status;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];

    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      iam_policy_usage(stdout);
      return SNM_EXIT_OK;
    } else if (strcmp(a, "--document") == 0 ||
               strncmp(a, "--document=", 11) == 0) {
      const char *v = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);

      if (v == NULL || snm_iam_document_parse(v, &which) != 0) {
        fprintf(stderr,
                "snapmig: iam-policy: --document wants role-policy, "
                "trust-policy or user-policy%s%s%s\n",
                v != NULL ? " (not \"" : "", v != NULL ? v : "",
                v != NULL ? "\")" : "");
        return SNM_EXIT_USAGE;
      }
    } else if (strcmp(a, "--") == 0 && i + 2 == argc && path == NULL) {
      path = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "snapmig: iam-policy: unknown option '%s'\n", a);
      iam_policy_usage(stderr);
      return SNM_EXIT_USAGE;
    } else if (path == NULL) {
      path = a;
    } else {
      fprintf(stderr, "snapmig: iam-policy: one plan at a time\n");
      return SNM_EXIT_USAGE;
    }
  }
  if (path == NULL) {
    iam_policy_usage(stderr);
    return SNM_EXIT_USAGE;
  }

  snm_buf_init(&notes, 0);
  snm_err_clear(&err);
  /* errors and warnings as `validate` shows them */
  if ((status = snm_cli_load_plan(&plan, path, 0)) != SNM_EXIT_OK)
    goto done;
  rc = snm_iam_documents(&doc, plan, which, &notes, &err);
  if (rc != 0) {
    fprintf(stderr, "snapmig: error: %s: %s\n", path, err.msg);
    status = rc == SNM_EINVAL ? SNM_EXIT_USAGE : SNM_EXIT_FAILED;
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
