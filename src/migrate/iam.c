/* SPDX-License-Identifier: Apache-2.0 */
/* iam.c - IAM policy documents for manual snapshots, built with yajl_gen
 * from a plan.  See iam.h and docs/iam-policy.md. */
#include "iam.h"
#include "json.h"
#include "plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_gen.h>

#define POLICY_VERSION "2012-10-17"
#define ROLE_ARN_FORM "arn:aws:iam::123456789012:role/NAME"

int snm_iam_document_parse(const char *name, enum snm_iam_document *out)
{
  if (strcmp(name, "role-policy") == 0)
    *out = SNM_IAM_ROLE_POLICY;
  else if (strcmp(name, "trust-policy") == 0)
    *out = SNM_IAM_TRUST_POLICY;
  else if (strcmp(name, "user-policy") == 0)
    *out = SNM_IAM_USER_POLICY;
  else
    return SNM_EINVAL;
  return 0;
}

static int role_arn_error(struct snm_err *err, const char *arn, const char *why)
{
  return snm_err_set(err, SNM_EINVAL,
                     "repository.settings.role_arn \"%s\" is not an IAM role "
                     "ARN (%s): expected " ROLE_ARN_FORM,
                     arn, why);
}

int snm_iam_parse_role_arn(struct snm_iam_role *out, const char *arn,
                           struct snm_err *err)
{
  const char *p = arn, *colon, *name;
  size_t len;

  if (strncmp(p, "arn:", 4) != 0)
    return role_arn_error(err, arn, "it does not start with \"arn:\"");
  p += 4;
  colon = strchr(p, ':');
  len = colon != NULL ? (size_t)(colon - p) : 0;
  if (colon == NULL || !((len == 3 && strncmp(p, "aws", 3) == 0) ||
                         (len == 6 && strncmp(p, "aws-cn", 6) == 0) ||
                         (len == 10 && strncmp(p, "aws-us-gov", 10) == 0)))
    return role_arn_error(err, arn, "unknown partition");
  memcpy(out->partition, p, len);
  out->partition[len] = '\0';
  p = colon + 1;
  if (strncmp(p, "iam::", 5) != 0)
    return role_arn_error(err, arn, "not an IAM ARN without a region");
  p += 5;
  for (len = 0; isdigit((unsigned char)p[len]); len++)
    ;
  if (len != 12 || p[len] != ':')
    return role_arn_error(err, arn, "the account id must be 12 digits");
  memcpy(out->account, p, 12);
  out->account[12] = '\0';
  p += 13;
  if (strncmp(p, "role/", 5) != 0)
    return role_arn_error(err, arn, "not a role");
  name = strrchr(p, '/') + 1;
  if (*name == '\0')
    return role_arn_error(err, arn, "no role name");
  for (const char *c = p + 5; *c != '\0'; c++)
    if (!isalnum((unsigned char)*c) && strchr("+=,.@_-/", *c) == NULL)
      return role_arn_error(err, arn, "bad character in the role name");
  return 0;
}

static int ends_with(const char *s, const char *suffix)
{
  size_t ls = strlen(s), lx = strlen(suffix);

  return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

int snm_iam_domain_from_host(const char *host, char *name, size_t namesz,
                             char *partition, size_t partsz)
{
  char region[64], service[16];
  const char *dot = strchr(host, '.'), *p, *dash;
  size_t plen;

  if (!snm_aws_host_info(host, region, sizeof(region), service,
                         sizeof(service)) ||
      strcmp(service, "es") != 0 || dot == NULL)
    return 0;
  if (strncasecmp(host, "search-", 7) == 0)
    p = host + 7;
  else if (strncasecmp(host, "vpc-", 4) == 0)
    p = host + 4;
  else
    return 0;
  /* NAME-HASH: the hash is after the last '-' of the first label */
  for (dash = dot; dash > p && dash[-1] != '-'; dash--)
    ;
  if (dash <= p + 1 || dash == dot)
    return 0;
  plen = (size_t)(dash - 1 - p);
  if (plen >= namesz)
    return 0;
  for (size_t i = 0; i < plen; i++)
    name[i] = (char)tolower((unsigned char)p[i]);
  name[plen] = '\0';
  if (ends_with(host, ".amazonaws.com.cn"))
    snprintf(partition, partsz, "aws-cn");
  else if (strncmp(region, "us-gov-", 7) == 0)
    snprintf(partition, partsz, "aws-us-gov");
  else
    snprintf(partition, partsz, "aws");
  return 1;
}

/* ---- documents -------------------------------------------------------- */

struct ctx {
  const struct snm_plan *plan;
  const char *bucket;
  const char *role_arn;
  struct snm_iam_role role;
  char *base_path; /* NULL or malloced, without leading/trailing '/' */
};

static void strs(yajl_gen g, const char *const *v, size_t n)
{
  yajl_gen_array_open(g);
  for (size_t i = 0; i < n; i++)
    snm_gen_str(g, v[i]);
  yajl_gen_array_close(g);
}

/* Open a policy document: {"Version": ..., "Statement": [ */
static void policy_open(yajl_gen g)
{
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "Version", POLICY_VERSION);
  snm_gen_str(g, "Statement");
  yajl_gen_array_open(g);
}

static void policy_close(yajl_gen g)
{
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
}

/* Open an "Allow" statement: {"Sid": sid, "Effect": "Allow", */
static void allow_open(yajl_gen g, const char *sid)
{
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "Sid", sid);
  snm_gen_key_str(g, "Effect", "Allow");
}

static int gen_role_policy(yajl_gen g, const struct ctx *c)
{
  static const char *const list[] = {"s3:ListBucket"};
  static const char *const rw[] = {"s3:GetObject", "s3:PutObject",
                                   "s3:DeleteObject"};
  struct snm_buf bucket, objects, prefix;
  const char *res[1];
  int rc = 0;

  snm_buf_init(&bucket, 0);
  snm_buf_init(&objects, 0);
  snm_buf_init(&prefix, 0);
  if (snm_buf_printf(&bucket, "arn:%s:s3:::%s", c->role.partition, c->bucket) !=
          0 ||
      snm_buf_printf(&objects, "%s/%s%s*", snm_buf_str(&bucket),
                     c->base_path != NULL ? c->base_path : "",
                     c->base_path != NULL ? "/" : "") != 0 ||
      (c->base_path != NULL &&
       snm_buf_printf(&prefix, "%s/*", c->base_path) != 0)) {
    rc = SNM_ENOMEM;
    goto done;
  }
  policy_open(g);

  allow_open(g, "ListSnapshotBucket");
  snm_gen_str(g, "Action");
  strs(g, list, 1);
  snm_gen_str(g, "Resource");
  res[0] = snm_buf_str(&bucket);
  strs(g, res, 1);
  if (c->base_path != NULL) {
    snm_gen_str(g, "Condition");
    yajl_gen_map_open(g);
    snm_gen_str(g, "StringLike");
    yajl_gen_map_open(g);
    snm_gen_str(g, "s3:prefix");
    res[0] = snm_buf_str(&prefix);
    strs(g, res, 1);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
  }
  yajl_gen_map_close(g);

  allow_open(g, "ReadWriteSnapshots");
  snm_gen_str(g, "Action");
  strs(g, rw, 3);
  snm_gen_str(g, "Resource");
  res[0] = snm_buf_str(&objects);
  strs(g, res, 1);
  yajl_gen_map_close(g);

  policy_close(g);
done:
  snm_buf_dispose(&bucket);
  snm_buf_dispose(&objects);
  snm_buf_dispose(&prefix);
  return rc;
}

static void gen_trust_policy(yajl_gen g)
{
  policy_open(g);
  allow_open(g, "OpenSearchServiceAssumesRole");
  snm_gen_str(g, "Principal");
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "Service", "es.amazonaws.com");
  yajl_gen_map_close(g);
  snm_gen_key_str(g, "Action", "sts:AssumeRole");
  yajl_gen_map_close(g);
  policy_close(g);
}

/* The domain ARNs ("arn:P:es:R:A:domain/NAME/" and a star, each once), one note
 * per domain left out. */
static int domain_arns(struct snm_buf *arns, size_t *n, const struct ctx *c,
                       struct snm_buf *notes)
{
  struct snm_buf one;
  int rc = 0;

  *n = 0;
  snm_buf_init(&one, 0);
  for (size_t i = 0; i < c->plan->n_domains && rc == 0; i++) {
    const struct snm_domain *d = &c->plan->domains[i];
    char name[256], part[16], region[64], service[16];
    int dup = 0;

    if (d->auth != SNM_AUTH_AWS_SIGV4) {
      if (notes != NULL)
        rc = snm_buf_printf(notes,
                            "domain \"%s\" does not use aws-sigv4 (%s auth): "
                            "left out of the user policy\n",
                            d->id, snm_auth_type_name(d->auth));
      continue;
    }
    if (!snm_iam_domain_from_host(d->host, name, sizeof(name), part,
                                  sizeof(part))) {
      int aoss = snm_aws_host_info(d->host, region, sizeof(region), service,
                                   sizeof(service)) &&
                 strcmp(service, "aoss") == 0;

      if (notes != NULL && aoss)
        rc = snm_buf_printf(notes,
                            "domain \"%s\" is an OpenSearch Serverless "
                            "collection: grant access in its data access "
                            "policy (aoss:APIAccessAll); left out of the user "
                            "policy\n",
                            d->id);
      else if (notes != NULL)
        rc = snm_buf_printf(
            notes,
            "domain \"%s\": %s is not an Amazon OpenSearch Service endpoint "
            "(search-NAME-ID.REGION.es.amazonaws.com), so its domain name is "
            "unknown: add arn:%s:es:%s:%s:domain/NAME/* to the user policy "
            "by hand\n",
            d->id, d->host, c->role.partition,
            d->region != NULL ? d->region : "REGION", c->role.account);
      continue;
    }
    snm_buf_reset(&one);
    if (snm_buf_printf(&one, "arn:%s:es:%s:%s:domain/%s/*", part,
                       d->region != NULL ? d->region : "", c->role.account,
                       name) != 0) {
      rc = SNM_ENOMEM;
      break;
    }
    /* arns holds NUL-separated entries */
    for (size_t k = 0, off = 0; k < *n; k++) {
      const char *prev = arns->data + off;

      if (strcmp(prev, snm_buf_str(&one)) == 0)
        dup = 1;
      off += strlen(prev) + 1;
    }
    if (dup)
      continue;
    if (snm_buf_append(arns, one.data, one.len + 1) != 0) {
      rc = SNM_ENOMEM;
      break;
    }
    (*n)++;
  }
  snm_buf_dispose(&one);
  return rc != 0 ? SNM_ENOMEM : 0;
}

static int gen_user_policy(yajl_gen g, const struct ctx *c,
                           struct snm_buf *notes)
{
  static const char *const http[] = {"es:ESHttpDelete", "es:ESHttpGet",
                                     "es:ESHttpHead", "es:ESHttpPost",
                                     "es:ESHttpPut"};
  struct snm_buf arns;
  size_t n;
  int rc;

  snm_buf_init(&arns, 0);
  if ((rc = domain_arns(&arns, &n, c, notes)) != 0)
    goto done;
  policy_open(g);
  allow_open(g, "PassSnapshotRole");
  snm_gen_key_str(g, "Action", "iam:PassRole");
  snm_gen_key_str(g, "Resource", c->role_arn);
  yajl_gen_map_close(g);
  if (n > 0) {
    const char *p = arns.data;

    allow_open(g, "SnapshotApiCalls");
    snm_gen_str(g, "Action");
    strs(g, http, sizeof(http) / sizeof(http[0]));
    snm_gen_str(g, "Resource");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++, p += strlen(p) + 1)
      snm_gen_str(g, p);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
  }
  policy_close(g);
done:
  snm_buf_dispose(&arns);
  return rc;
}

/* Check the plan and fill `c`. */
static int ctx_init(struct ctx *c, const struct snm_plan *plan,
                    struct snm_err *err)
{
  const struct snm_repository *r = &plan->repository;
  const char *base;
  size_t len;

  memset(c, 0, sizeof(*c));
  c->plan = plan;
  if (r->type != SNM_REPO_S3)
    return snm_err_set(err, SNM_EINVAL,
                       "repository \"%s\" is of type \"%s\": these IAM "
                       "documents are for an \"s3\" repository on Amazon "
                       "OpenSearch Service (set repository.type to \"s3\" "
                       "with settings.bucket and settings.role_arn)",
                       r->name, snm_repo_type_name(r->type));
  c->bucket = snm_repository_setting(r, "bucket");
  if (c->bucket == NULL || *c->bucket == '\0')
    return snm_err_set(err, SNM_EINVAL,
                       "repository.settings has no \"bucket\": add \"bucket\": "
                       "\"BUCKET-NAME\", the S3 bucket that holds the "
                       "snapshots");
  c->role_arn = snm_repository_setting(r, "role_arn");
  if (c->role_arn == NULL || *c->role_arn == '\0')
    return snm_err_set(err, SNM_EINVAL,
                       "repository.settings has no \"role_arn\": add "
                       "\"role_arn\": \"" ROLE_ARN_FORM "\", the role Amazon "
                       "OpenSearch Service assumes to reach the bucket");
  if (snm_iam_parse_role_arn(&c->role, c->role_arn, err) != 0)
    return SNM_EINVAL;
  base = snm_repository_setting(r, "base_path");
  if (base != NULL) {
    while (*base == '/')
      base++;
    len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
      len--;
    if (len > 0 && (c->base_path = strndup(base, len)) == NULL)
      return snm_err_set(err, SNM_ENOMEM, "out of memory");
  }
  return 0;
}

int snm_iam_documents(char **out, const struct snm_plan *plan,
                      enum snm_iam_document which, struct snm_buf *notes,
                      struct snm_err *err)
{
  struct ctx c;
  yajl_gen g = NULL;
  const unsigned char *buf;
  size_t len;
  int rc;

  *out = NULL;
  if ((rc = ctx_init(&c, plan, err)) != 0)
    goto done;
  if ((g = yajl_gen_alloc(NULL)) == NULL) {
    rc = SNM_ENOMEM;
    goto done;
  }
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "  ");
  if (which == SNM_IAM_ALL) {
    yajl_gen_map_open(g);
    snm_gen_str(g, "snapshot_role_policy");
  }
  if (which == SNM_IAM_ALL || which == SNM_IAM_ROLE_POLICY)
    if ((rc = gen_role_policy(g, &c)) != 0)
      goto done;
  if (which == SNM_IAM_ALL)
    snm_gen_str(g, "snapshot_role_trust_policy");
  if (which == SNM_IAM_ALL || which == SNM_IAM_TRUST_POLICY)
    gen_trust_policy(g);
  if (which == SNM_IAM_ALL)
    snm_gen_str(g, "user_policy");
  if (which == SNM_IAM_ALL || which == SNM_IAM_USER_POLICY)
    if ((rc = gen_user_policy(g, &c, notes)) != 0)
      goto done;
  if (which == SNM_IAM_ALL)
    yajl_gen_map_close(g);
  if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok ||
      (*out = malloc(len + 2)) == NULL) {
    rc = SNM_ENOMEM;
    goto done;
  }
  memcpy(*out, buf, len);
  /* yajl's beautified output already ends in a newline */
  if (len == 0 || buf[len - 1] != '\n')
    (*out)[len++] = '\n';
  (*out)[len] = '\0';
done:
  if (rc == SNM_ENOMEM)
    snm_err_set(err, SNM_ENOMEM, "out of memory");
  if (g != NULL)
    yajl_gen_free(g);
  free(c.base_path);
  return rc;
}
