/* Unit tests for iam.c: the three documents for plan fixtures (exact
 * ARNs, base_path scoping, partitions), domain name derivation from
 * endpoint hosts, role ARN checks, notes for domains left out, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "buf.h"
#include "iam.h"
#include "plan_fixture.h"

/* A plan with two domains and an s3 repository; the arguments fill in the
 * source endpoint, the target's endpoint and auth, and the repository's
 * type and settings. */
static struct snm_plan *make_plan(const char *src_endpoint,
                                  const char *tgt_endpoint,
                                  const char *tgt_auth, const char *repo_type,
                                  const char *settings)
{
  return snm_test_plan_parsef(
      "{\"snapmig\": 1, \"name\": \"iam-test\",\n"
      " \"domains\": {\n"
      "  \"src\": {\"endpoint\": \"%s\", \"auth\": {\"type\": "
      "\"aws-sigv4\"}},\n"
      "  \"tgt\": {\"endpoint\": \"%s\", \"auth\": %s}},\n"
      " \"repository\": {\"name\": \"r\", \"type\": \"%s\", "
      "\"settings\": %s},\n"
      " \"snapshot\": {\"domain\": \"src\"},\n"
      " \"restores\": [{\"domain\": \"tgt\"}]}\n",
      src_endpoint, tgt_endpoint, tgt_auth, repo_type, settings);
}

static yajl_val parse_json(const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));

  if (v == NULL)
    fail_msg("not JSON (%s): %s", errbuf, text);
  return v;
}

/* The value at a path of object keys and array indices ("#0"). */
static yajl_val at(yajl_val v, const char *const *path)
{
  for (; *path != NULL; path++) {
    if ((*path)[0] == '#') {
      size_t i = (size_t)atoi(*path + 1);

      if (!YAJL_IS_ARRAY(v) || i >= YAJL_GET_ARRAY(v)->len)
        fail_msg("no element %s", *path);
      v = YAJL_GET_ARRAY(v)->values[i];
    } else {
      const char *one[] = {*path, NULL};

      v = yajl_tree_get(v, one, yajl_t_any);
      if (v == NULL)
        fail_msg("no key %s", *path);
    }
  }
  return v;
}

#define AT(v, ...) at((v), (const char *const[]){__VA_ARGS__, NULL})
#define STR_AT(v, ...) YAJL_GET_STRING(AT((v), __VA_ARGS__))

static char *docs(const struct snm_plan *p, enum snm_iam_document which,
                  struct snm_buf *notes)
{
  char *out = NULL;
  struct snm_err err;

  if (snm_iam_documents(&out, p, which, notes, &err) != 0)
    fail_msg("%s", err.msg);
  assert_non_null(out);
  assert_int_equal(out[strlen(out) - 1], '\n');
  return out;
}

static void test_manual_snapshot_plan(void **state)
{
  struct snm_buf notes;
  struct snm_plan *p;
  yajl_val root, res;
  char *out;
  (void)state;

  snm_buf_init(&notes, 0);
  p = snm_test_plan_load("plans/aws-manual-snapshot.json", NULL);

  out = docs(p, SNM_IAM_ALL, &notes);
  assert_int_equal(notes.len, 0);
  root = parse_json(out);
  assert_int_equal(YAJL_GET_OBJECT(root)->len, 3);
  assert_string_equal(STR_AT(root, "snapshot_role_policy", "Version"),
                      "2012-10-17");
  assert_string_equal(
      STR_AT(root, "snapshot_role_policy", "Statement", "#0", "Action", "#0"),
      "s3:ListBucket");
  assert_string_equal(
      STR_AT(root, "snapshot_role_policy", "Statement", "#0", "Resource", "#0"),
      "arn:aws:s3:::my-snapshot-bucket");
  /* base_path "snapmig/logs-eu": listing and objects scoped to it */
  assert_string_equal(STR_AT(root, "snapshot_role_policy", "Statement", "#0",
                             "Condition", "StringLike", "s3:prefix", "#0"),
                      "snapmig/logs-eu/*");
  assert_string_equal(
      STR_AT(root, "snapshot_role_policy", "Statement", "#1", "Resource", "#0"),
      "arn:aws:s3:::my-snapshot-bucket/snapmig/logs-eu/*");
  assert_string_equal(
      STR_AT(root, "snapshot_role_policy", "Statement", "#1", "Action", "#2"),
      "s3:DeleteObject");
  assert_string_equal(STR_AT(root, "snapshot_role_trust_policy", "Statement",
                             "#0", "Principal", "Service"),
                      "es.amazonaws.com");
  assert_string_equal(
      STR_AT(root, "snapshot_role_trust_policy", "Statement", "#0", "Action"),
      "sts:AssumeRole");
  assert_string_equal(STR_AT(root, "user_policy", "Statement", "#0", "Action"),
                      "iam:PassRole");
  assert_string_equal(
      STR_AT(root, "user_policy", "Statement", "#0", "Resource"),
      "arn:aws:iam::123456789012:role/TheSnapshotRole");
  res = AT(root, "user_policy", "Statement", "#1", "Resource");
  assert_int_equal(YAJL_GET_ARRAY(res)->len, 2);
  assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(res)->values[0]),
                      "arn:aws:es:eu-central-1:123456789012:domain/logs-old/*");
  assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(res)->values[1]),
                      "arn:aws:es:eu-central-1:123456789012:domain/logs-new/*");
  assert_int_equal(
      YAJL_GET_ARRAY(AT(root, "user_policy", "Statement", "#1", "Action"))->len,
      5);
  yajl_tree_free(root);
  free(out);

  /* each document alone equals its part of the whole */
  out = docs(p, SNM_IAM_TRUST_POLICY, NULL);
  root = parse_json(out);
  assert_string_equal(STR_AT(root, "Statement", "#0", "Principal", "Service"),
                      "es.amazonaws.com");
  assert_null(
      yajl_tree_get(root, (const char *[]){"user_policy", NULL}, yajl_t_any));
  yajl_tree_free(root);
  free(out);
  out = docs(p, SNM_IAM_ROLE_POLICY, NULL);
  root = parse_json(out);
  assert_string_equal(STR_AT(root, "Statement", "#1", "Resource", "#0"),
                      "arn:aws:s3:::my-snapshot-bucket/snapmig/logs-eu/*");
  yajl_tree_free(root);
  free(out);

  snm_plan_free(p);
  snm_buf_dispose(&notes);
}

static void test_china_partition_and_no_base_path(void **state)
{
  struct snm_plan *p =
      make_plan("https://search-cn-logs-x1y2z3.cn-north-1.es.amazonaws.com.cn",
                "https://vpc-cn-new-abc.cn-northwest-1.es.amazonaws.com.cn",
                "{\"type\": \"aws-sigv4\"}", "s3",
                "{\"bucket\": \"cnb\", \"role_arn\": "
                "\"arn:aws-cn:iam::210987654321:role/service-role/Snap\"}");
  yajl_val root;
  char *out;
  (void)state;

  out = docs(p, SNM_IAM_ALL, NULL);
  root = parse_json(out);
  assert_string_equal(
      STR_AT(root, "snapshot_role_policy", "Statement", "#0", "Resource", "#0"),
      "arn:aws-cn:s3:::cnb");
  assert_null(yajl_tree_get(AT(root, "snapshot_role_policy", "Statement", "#0"),
                            (const char *[]){"Condition", NULL}, yajl_t_any));
  assert_string_equal(
      STR_AT(root, "snapshot_role_policy", "Statement", "#1", "Resource", "#0"),
      "arn:aws-cn:s3:::cnb/*");
  assert_string_equal(
      STR_AT(root, "user_policy", "Statement", "#0", "Resource"),
      "arn:aws-cn:iam::210987654321:role/service-role/Snap");
  assert_string_equal(
      STR_AT(root, "user_policy", "Statement", "#1", "Resource", "#0"),
      "arn:aws-cn:es:cn-north-1:210987654321:domain/cn-logs/*");
  assert_string_equal(
      STR_AT(root, "user_policy", "Statement", "#1", "Resource", "#1"),
      "arn:aws-cn:es:cn-northwest-1:210987654321:domain/cn-new/*");
  yajl_tree_free(root);
  free(out);
  snm_plan_free(p);
}

static void test_domains_left_out(void **state)
{
  struct snm_plan *p;
  struct snm_buf notes;
  yajl_val root, stmts;
  char *out;
  (void)state;

  snm_buf_init(&notes, 0);
  /* target with basic auth; base_path with stray slashes */
  p = make_plan("https://search-a-1.us-east-1.es.amazonaws.com",
                "https://es.example.com",
                "{\"type\": \"basic\", \"username\": \"u\", \"password_env\": "
                "\"PATH\"}",
                "s3",
                "{\"bucket\": \"b\", \"base_path\": \"/x/y/\", \"role_arn\": "
                "\"arn:aws:iam::123456789012:role/R\"}");
  out = docs(p, SNM_IAM_USER_POLICY, &notes);
  root = parse_json(out);
  assert_string_equal(STR_AT(root, "Statement", "#1", "Resource", "#0"),
                      "arn:aws:es:us-east-1:123456789012:domain/a/*");
  assert_int_equal(YAJL_GET_ARRAY(AT(root, "Statement", "#1", "Resource"))->len,
                   1);
  assert_non_null(strstr(notes.data, "domain \"tgt\" does not use aws-sigv4 "
                                     "(basic auth): left out"));
  yajl_tree_free(root);
  free(out);
  out = docs(p, SNM_IAM_ROLE_POLICY, NULL);
  root = parse_json(out);
  assert_string_equal(STR_AT(root, "Statement", "#1", "Resource", "#0"),
                      "arn:aws:s3:::b/x/y/*");
  assert_string_equal(STR_AT(root, "Statement", "#0", "Condition", "StringLike",
                             "s3:prefix", "#0"),
                      "x/y/*");
  yajl_tree_free(root);
  free(out);
  snm_plan_free(p);

  /* serverless and custom endpoints: no es statement at all */
  snm_buf_reset(&notes);
  p = make_plan("https://abc123.us-east-1.aoss.amazonaws.com",
                "https://search.example.com",
                "{\"type\": \"aws-sigv4\", \"region\": \"eu-west-1\"}", "s3",
                "{\"bucket\": \"b\", \"role_arn\": "
                "\"arn:aws:iam::123456789012:role/R\"}");
  out = docs(p, SNM_IAM_USER_POLICY, &notes);
  root = parse_json(out);
  stmts = AT(root, "Statement");
  assert_int_equal(YAJL_GET_ARRAY(stmts)->len, 1);
  assert_non_null(strstr(notes.data, "domain \"src\" is an OpenSearch "
                                     "Serverless collection"));
  assert_non_null(strstr(notes.data,
                         "domain \"tgt\": search.example.com is not an "
                         "Amazon OpenSearch Service endpoint"));
  assert_non_null(strstr(
      notes.data, "arn:aws:es:eu-west-1:123456789012:domain/NAME/* to the"));
  yajl_tree_free(root);
  free(out);
  snm_plan_free(p);

  /* the same domain twice is listed once */
  p = make_plan("https://search-same-1.us-east-1.es.amazonaws.com",
                "https://search-same-1.us-east-1.es.amazonaws.com:443",
                "{\"type\": \"aws-sigv4\"}", "s3",
                "{\"bucket\": \"b\", \"role_arn\": "
                "\"arn:aws:iam::123456789012:role/R\"}");
  out = docs(p, SNM_IAM_USER_POLICY, NULL);
  root = parse_json(out);
  assert_int_equal(YAJL_GET_ARRAY(AT(root, "Statement", "#1", "Resource"))->len,
                   1);
  yajl_tree_free(root);
  free(out);
  snm_plan_free(p);
  snm_buf_dispose(&notes);
}

static void test_domain_name_from_host(void **state)
{
  static const struct {
    const char *host, *name, *partition;
  } ok[] = {
      {"search-logs-old-abc123def456.eu-central-1.es.amazonaws.com", "logs-old",
       "aws"},
      {"vpc-a-b-c-0123456789abcdef.us-east-1.es.amazonaws.com", "a-b-c", "aws"},
      {"SEARCH-Upper-XYZ.eu-west-1.es.amazonaws.com", "upper", "aws"},
      {"search-x-1.cn-north-1.es.amazonaws.com.cn", "x", "aws-cn"},
      {"search-gov-abc.us-gov-west-1.es.amazonaws.com", "gov", "aws-us-gov"},
  };
  static const char *const not_domains[] = {
      "search-nohash.eu-west-1.es.amazonaws.com",
      "search--abc.eu-west-1.es.amazonaws.com",
      "search-name-.eu-west-1.es.amazonaws.com",
      "logs-abc.eu-west-1.es.amazonaws.com",
      "abc123.us-east-1.aoss.amazonaws.com",
      "search-logs-abc.example.com",
      "localhost",
  };
  char name[64], part[16];
  (void)state;

  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    if (!snm_iam_domain_from_host(ok[i].host, name, sizeof(name), part,
                                  sizeof(part)))
      fail_msg("%s: not recognised", ok[i].host);
    assert_string_equal(name, ok[i].name);
    assert_string_equal(part, ok[i].partition);
  }
  for (size_t i = 0; i < sizeof(not_domains) / sizeof(not_domains[0]); i++)
    if (snm_iam_domain_from_host(not_domains[i], name, sizeof(name), part,
                                 sizeof(part)))
      fail_msg("%s: taken for a domain (%s)", not_domains[i], name);
}

static void test_role_arns(void **state)
{
  static const struct {
    const char *arn, *why;
  } bad[] = {
      {"TheSnapshotRole", "does not start with \"arn:\""},
      {"arn:aws-xx:iam::123456789012:role/R", "unknown partition"},
      {"arn:aws:s3:::bucket", "not an IAM ARN"},
      {"arn:aws:iam:eu-west-1:123456789012:role/R", "not an IAM ARN"},
      {"arn:aws:iam::12345:role/R", "12 digits"},
      {"arn:aws:iam::123456789012:user/R", "not a role"},
      {"arn:aws:iam::123456789012:role/", "no role name"},
      {"arn:aws:iam::123456789012:role/a b", "bad character"},
  };
  struct snm_iam_role role;
  struct snm_err err;
  (void)state;

  assert_int_equal(
      snm_iam_parse_role_arn(
          &role, "arn:aws-us-gov:iam::000000000001:role/p/q/R", &err),
      0);
  assert_string_equal(role.partition, "aws-us-gov");
  assert_string_equal(role.account, "000000000001");
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(snm_iam_parse_role_arn(&role, bad[i].arn, &err),
                     SNM_EINVAL);
    if (strstr(err.msg, bad[i].why) == NULL ||
        strstr(err.msg, bad[i].arn) == NULL ||
        strstr(err.msg, "expected arn:aws:iam::123456789012:role/NAME") == NULL)
      fail_msg("%s: %s", bad[i].arn, err.msg);
  }
}

static void test_plan_errors(void **state)
{
  static const struct {
    const char *type, *settings, *want;
  } cases[] = {
      {"fs", "{\"location\": \"/mnt/snap\"}",
       "of type \"fs\": these IAM documents are for an \"s3\" repository"},
      {"s3", "{\"bucket\": \"b\"}",
       "repository.settings has no \"role_arn\": add \"role_arn\": "
       "\"arn:aws:iam::123456789012:role/NAME\""},
      {"s3", "{\"bucket\": \"b\", \"role_arn\": \"TheSnapshotRole\"}",
       "repository.settings.role_arn \"TheSnapshotRole\" is not an IAM role "
       "ARN"},
  };
  enum snm_iam_document which;
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct snm_plan *p = make_plan(
        "https://search-a-1.us-east-1.es.amazonaws.com",
        "https://search-b-2.us-east-1.es.amazonaws.com",
        "{\"type\": \"aws-sigv4\"}", cases[i].type, cases[i].settings);
    struct snm_err err;
    char *out = (char *)"unchanged";

    assert_int_equal(snm_iam_documents(&out, p, SNM_IAM_ALL, NULL, &err),
                     SNM_EINVAL);
    assert_null(out);
    if (strstr(err.msg, cases[i].want) == NULL)
      fail_msg("case %zu: %s", i, err.msg);
    snm_plan_free(p);
  }
  assert_int_equal(snm_iam_document_parse("user-policy", &which), 0);
  assert_int_equal(which, SNM_IAM_USER_POLICY);
  assert_int_equal(snm_iam_document_parse("all", &which), SNM_EINVAL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_manual_snapshot_plan),
      cmocka_unit_test(test_china_partition_and_no_base_path),
      cmocka_unit_test(test_domains_left_out),
      cmocka_unit_test(test_domain_name_from_host),
      cmocka_unit_test(test_role_arns),
      cmocka_unit_test(test_plan_errors),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
