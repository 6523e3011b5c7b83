/* iam.h - the IAM documents Amazon OpenSearch Service manual snapshots
 * need, filled in from a plan (docs/iam-policy.md):
 *
 *  - the snapshot role's permissions policy (S3 access to the bucket);
 *  - the snapshot role's trust policy (es.amazonaws.com may assume it);
 *  - the calling identity's policy (iam:PassRole on the role, and the
 *    es:ESHttp* actions on every aws-sigv4 domain of the plan).
 *
 * Pure functions: no I/O, no AWS calls.
 */
#ifndef SNM_IAM_H
#define SNM_IAM_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct snm_plan;

enum snm_iam_document {
  SNM_IAM_ALL,          /* {"snapshot_role_policy": ..., ...} */
  SNM_IAM_ROLE_POLICY,  /* "role-policy" */
  SNM_IAM_TRUST_POLICY, /* "trust-policy" */
  SNM_IAM_USER_POLICY   /* "user-policy" */
};

/* "role-policy" etc. -> 0 and *out; SNM_EINVAL for another name. */
int snm_iam_document_parse(const char *name,
                           enum snm_iam_document *out) SNM_MUST_CHECK;

/* A role ARN split up: "arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME". */
struct snm_iam_role {
  char partition[16]; /* "aws", "aws-cn", "aws-us-gov" */
  char account[13];   /* 12 digits */
};

/* Parse and check a role ARN.  Returns 0 and *out; SNM_EINVAL (err says
 * what is wrong and shows the expected form). */
int snm_iam_parse_role_arn(struct snm_iam_role *out, const char *arn,
                           struct snm_err *err) SNM_MUST_CHECK;

/* The domain name and partition of an Amazon OpenSearch Service endpoint
 * host: "search-NAME-HASH.REGION.es.amazonaws.com" or "vpc-NAME-HASH..."
 * gives NAME (everything between the prefix and the last '-'), partition
 * "aws"; "*.es.amazonaws.com.cn" gives partition "aws-cn".
 * Returns 1 and fills both; 0 when `host` is not such a host (a custom
 * endpoint, OpenSearch Serverless, anything else). */
int snm_iam_domain_from_host(const char *host, char *name, size_t namesz,
                             char *partition, size_t partsz);

/* Build `which` for `plan` as pretty-printed JSON into *out (malloced,
 * NUL-terminated, ending in a newline).  Domains left out of the user
 * policy (not aws-sigv4, or not an OpenSearch Service endpoint) each get
 * one line appended to `notes` (may be NULL).
 * Returns 0; SNM_EINVAL when the plan cannot give the documents: the
 * repository is not "s3", or its settings lack "bucket" or "role_arn", or
 * role_arn is malformed (err says what to add to the plan); SNM_ENOMEM. */
int snm_iam_documents(char **out, const struct snm_plan *plan,
                      enum snm_iam_document which, struct snm_buf *notes,
                      struct snm_err *err);

#endif
