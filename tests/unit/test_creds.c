/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the credential chain: environment, shared files, the
 * order of the sources, and the small parsers.  ECS, IMDS and refresh are
 * in test_creds_remote.c.  Each test starts from the clean environment of
 * creds_fixture.h (no real ~/.aws, IMDS disabled). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "creds_fixture.h"
#include "creds_int.h"
#include "err.h"
#include "ini.h"
#include "standin_http.h"

#define KEY_ID "AKIDEXAMPLE0001"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLETOKEN=="

static void test_env_without_token(void **state)
{
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, KEY_ID);
  assert_string_equal(c.secret_access_key, SECRET);
  assert_null(c.session_token);
  assert_int_equal(c.expiration, 0);
  assert_string_equal(c.source, "environment");
  assert_true(snm_fx_is_redacted(SECRET));
  snm_creds_dispose(&c);
  assert_null(c.secret_access_key);
}

static void test_env_with_token(void **state)
{
  struct snm_creds c, copy;
  struct snm_err err;
  (void)state;

  setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  setenv("AWS_SESSION_TOKEN", TOKEN, 1);
  setenv("AWS_SECURITY_TOKEN", "legacy-token-not-used", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.session_token, TOKEN);
  assert_true(snm_fx_is_redacted(TOKEN));
  assert_int_equal(snm_creds_copy(&copy, &c, &err), 0);
  assert_string_equal(copy.session_token, TOKEN);
  assert_ptr_not_equal(copy.session_token, c.session_token);
  assert_string_equal(copy.source, c.source);
  snm_creds_dispose(&copy);
  snm_creds_dispose(&c);

  /* the CLI still reads the legacy name when AWS_SESSION_TOKEN is unset */
  unsetenv("AWS_SESSION_TOKEN");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.session_token, "legacy-token-not-used");
  snm_creds_dispose(&c);
}

static void test_env_half_set(void **state)
{
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "AWS_SECRET_ACCESS_KEY is not"));
  assert_null(c.access_key_id);

  unsetenv("AWS_ACCESS_KEY_ID");
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID is not"));
  assert_null(strstr(err.msg, SECRET));
  assert_true(snm_fx_is_redacted(SECRET));

  /* an empty value counts as unset */
  setenv("AWS_ACCESS_KEY_ID", "", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID is not"));
}

static void test_file_default_profile(void **state)
{
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_credentials_file("[default]\n"
                          "aws_access_key_id = AKIDDEFAULT\n"
                          "aws_secret_access_key = secret-default-1\n"
                          "[other]\n"
                          "aws_access_key_id = AKIDOTHER\n"
                          "aws_secret_access_key = secret-other-1\n");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDDEFAULT");
  assert_string_equal(c.secret_access_key, "secret-default-1");
  assert_null(c.session_token);
  assert_non_null(strstr(c.source, "shared credentials file"));
  assert_non_null(strstr(c.source, "profile \"default\""));
  assert_true(snm_fx_is_redacted("secret-default-1"));
  snm_creds_dispose(&c);
}

static void test_file_named_profile(void **state)
{
  static const char content[] = "[default]\n"
                                "aws_access_key_id = AKIDDEFAULT\n"
                                "aws_secret_access_key = secret-default-1\n"
                                "[work]\n"
                                "aws_access_key_id = AKIDWORK\n"
                                "aws_secret_access_key = secret-work-1\n"
                                "aws_session_token = token-work-1\n"
                                "[plan]\n"
                                "aws_access_key_id = AKIDPLAN\n"
                                "aws_secret_access_key = secret-plan-1\n";
  struct snm_creds_opts opts = {.profile = "plan"};
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_credentials_file(content);
  setenv("AWS_PROFILE", "work", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDWORK");
  assert_string_equal(c.session_token, "token-work-1");
  assert_non_null(strstr(c.source, "profile \"work\""));
  snm_creds_dispose(&c);

  /* the plan's profile wins over AWS_PROFILE */
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDPLAN");
  assert_non_null(strstr(c.source, "profile \"plan\""));
  snm_creds_dispose(&c);
}

static void test_config_profile_sections(void **state)
{
  struct snm_creds_opts opts = {.profile = "cfg"};
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_config_file("[default]\n"
                     "region = eu-west-1\n"
                     "aws_access_key_id = AKIDCFGDEFAULT\n"
                     "aws_secret_access_key = secret-cfg-default\n"
                     "[profile cfg]\n"
                     "aws_access_key_id = AKIDCFG\n"
                     "aws_secret_access_key = secret-cfg-1\n"
                     "[cfg]\n" /* not a profile in the config file */
                     "aws_access_key_id = AKIDWRONG\n"
                     "aws_secret_access_key = secret-wrong\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDCFG");
  assert_non_null(strstr(c.source, "shared config file"));
  snm_creds_dispose(&c);

  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDCFGDEFAULT");
  snm_creds_dispose(&c);
}

static void test_credentials_file_wins(void **state)
{
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_credentials_file("[both]\n"
                          "aws_access_key_id = AKIDFROMCREDS\n"
                          "aws_secret_access_key = secret-from-creds\n");
  snm_fx_config_file("[profile both]\n"
                     "aws_access_key_id = AKIDFROMCONFIG\n"
                     "aws_secret_access_key = secret-from-config\n"
                     "aws_session_token = token-from-config\n");
  setenv("AWS_PROFILE", "both", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDFROMCREDS");
  assert_string_equal(c.secret_access_key, "secret-from-creds");
  /* keys are taken from one file, as the CLI does: no mixing */
  assert_null(c.session_token);
  assert_non_null(strstr(c.source, "shared credentials file"));
  snm_creds_dispose(&c);
}

static void test_file_comments_whitespace_case(void **state)
{
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_credentials_file("# a comment\r\n"
                          "; another comment\n"
                          "\n"
                          "   [  spaced  ]   \n"
                          "\tAWS_Access_Key_ID\t=   AKIDSPACED   \n"
                          "s3 =\n"
                          "  max_concurrent_requests = 10\n"
                          "  aws_access_key_id = AKIDNESTED\n"
                          "aws_secret_access_key=sec#ret;not-a-comment\r\n"
                          "  # indented comment\n"
                          "Aws_Session_Token =    tok-spaced  ");
  setenv("AWS_PROFILE", "spaced", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDSPACED");
  assert_string_equal(c.secret_access_key, "sec#ret;not-a-comment");
  assert_string_equal(c.session_token, "tok-spaced");
  snm_creds_dispose(&c);
}

static void test_missing_profile(void **state)
{
  struct snm_creds_opts opts = {.profile = "nope"};
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_credentials_file("[default]\n"
                          "aws_access_key_id = AKIDDEFAULT\n"
                          "aws_secret_access_key = secret-default-1\n");
  setenv("AWS_PROFILE", "nope", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "profile \"nope\" not found"));
  assert_non_null(strstr(err.msg, getenv("AWS_SHARED_CREDENTIALS_FILE")));
  assert_non_null(strstr(err.msg, getenv("AWS_CONFIG_FILE")));
  assert_non_null(strstr(err.msg, "no such file")); /* the config file */

  unsetenv("AWS_PROFILE");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "profile \"nope\" not found"));

  /* an unnamed "default" that does not exist is no error: the chain goes on
   * (and here ends with nothing) */
  snm_fx_credentials_file("[other]\naws_access_key_id = A\n");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "no AWS credentials found"));
  assert_non_null(strstr(err.msg, "no profile \"default\""));
}

static void test_default_paths_under_home(void **state)
{
  char path[700];
  struct snm_creds c;
  struct snm_err err;
  FILE *fp;
  (void)state;

  /* no AWS_*_FILE: ~/.aws/credentials under HOME (the temporary dir) */
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  unsetenv("AWS_CONFIG_FILE");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "~/.aws/credentials (no such file)"));

  snprintf(path, sizeof(path), "%s/.aws", snm_fx_dir());
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/.aws/credentials", snm_fx_dir());
  fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("[default]\naws_access_key_id=AKIDHOME\n"
        "aws_secret_access_key=secret-home\n",
        fp);
  assert_int_equal(fclose(fp), 0);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDHOME");
  assert_string_equal(c.source, "shared credentials file ~/.aws/credentials, "
                                "profile \"default\"");
  snm_creds_dispose(&c);
  assert_int_equal(unlink(path), 0);
  snprintf(path, sizeof(path), "%s/.aws", snm_fx_dir());
  assert_int_equal(rmdir(path), 0);
}

static void test_unsupported_profiles(void **state)
{
  static const char *const keys[] = {"credential_process", "sso_start_url",
                                     "sso_session", "web_identity_token_file"};
  char content[512];
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  setenv("AWS_PROFILE", "r", 1);
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    snprintf(content, sizeof(content),
             "[profile r]\n%s = something\nsource_profile = default\n",
             keys[i]);
    snm_fx_config_file(content);
    assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
    assert_non_null(strstr(err.msg, keys[i]));
    assert_non_null(strstr(err.msg, "does not support"));
    assert_non_null(
        strstr(err.msg, "aws configure export-credentials --profile r"));
  }

  /* role_arn is supported now (test_creds_sts.c), but web identity wins
   * over it in the CLI's chain, and web identity is still refused */
  snm_fx_config_file("[profile r]\nrole_arn = arn:aws:iam::1:role/x\n"
                     "web_identity_token_file = /var/run/token\n");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "uses web_identity_token_file"));
  assert_null(strstr(err.msg, "role_arn"));

  /* role_arn wins over static keys, as in the CLI: without a source it is
   * an assume-role configuration error, not the static keys */
  snm_fx_credentials_file("[r]\naws_access_key_id = AKIDSTATIC\n"
                          "aws_secret_access_key = secret-static\n");
  snm_fx_config_file("[profile r]\nrole_arn = arn:aws:iam::1:role/x\n");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(
      strstr(err.msg, "neither source_profile nor credential_source"));

  /* web identity from the environment is refused too */
  unsetenv("AWS_PROFILE");
  setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/x", 1);
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "AWS_WEB_IDENTITY_TOKEN_FILE"));
}

static void test_file_errors(void **state)
{
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_credentials_file("[default]\naws_access_key_id = AKIDHALF\n");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "no aws_secret_access_key"));

  /* a syntax error names the line and never quotes it */
  snm_fx_credentials_file("[default]\n"
                          "aws_access_key_id = AKIDX\n"
                          "secret-without-equals-sign\n");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, ":3:"));
  assert_null(strstr(err.msg, "secret-without"));

  snm_fx_credentials_file("key = before-section\n");
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, ":1:"));
}

static void test_precedence_env_and_files(void **state)
{
  struct snm_creds_opts opts = {.profile = "p"};
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  snm_fx_credentials_file("[p]\naws_access_key_id = AKIDFILE\n"
                          "aws_secret_access_key = secret-file\n");
  setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);

  /* AWS_PROFILE does not hide environment credentials */
  setenv("AWS_PROFILE", "p", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.source, "environment");
  snm_creds_dispose(&c);

  /* a profile named by the plan (the CLI's --profile) does */
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDFILE");
  snm_creds_dispose(&c);

  /* ... even when the environment is half set */
  unsetenv("AWS_SECRET_ACCESS_KEY");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDFILE");
  snm_creds_dispose(&c);
}

static void test_precedence_files_ecs_imds(void **state)
{
  struct snm_standin *s;
  struct snm_creds_opts opts = {0};
  struct snm_standin_reply ecs = {.path = "/ecs", .status = 200};
  struct snm_creds c;
  struct snm_err err;
  char url[128];
  (void)state;

  /* one stand-in plays both the ECS credentials endpoint and EC2 IMDS */
  assert_int_equal(snm_standin_new(&s), 0);
  ecs.body = snm_fx_creds_json(NULL, "AKIDECS", "secret-ecs-prec", "tok-ecs",
                               "2031-06-01T00:00:00Z");
  assert_int_equal(snm_standin_add(s, &ecs), 0);
  snprintf(url, sizeof(url), "%s/ecs", snm_standin_url(s));
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);

  /* the shared files come before ECS */
  snm_fx_credentials_file("[default]\naws_access_key_id = AKIDFILE\n"
                          "aws_secret_access_key = secret-file\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDFILE");
  assert_int_equal(snm_standin_request_count(s), 0);
  snm_creds_dispose(&c);

  /* ECS comes before IMDS (which would get /latest/api/token) */
  snm_fx_credentials_file("[default]\nregion = us-east-1\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDECS");
  assert_string_equal(c.source, "ECS container credentials");
  assert_int_equal(snm_standin_request_count(s), 1);
  snm_creds_dispose(&c);

  /* with nothing anywhere, the message lists the sources in order */
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "no AWS credentials found: environment ("));
  assert_true(strstr(err.msg, "environment (") <
              strstr(err.msg, "shared files ("));
  assert_true(strstr(err.msg, "shared files (") < strstr(err.msg, "ECS ("));
  assert_true(strstr(err.msg, "ECS (not in a container)") <
              strstr(err.msg, "IMDS (disabled"));
  assert_non_null(strstr(err.msg, "Set AWS_ACCESS_KEY_ID"));
  assert_int_equal(snm_standin_request_count(s), 1);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_iso8601(void **state)
{
  time_t t;
  (void)state;

  assert_int_equal(snm__parse_iso8601("1970-01-01T00:00:00Z", &t), 0);
  assert_int_equal(t, 0);
  assert_int_equal(snm__parse_iso8601("2000-03-01T00:00:00Z", &t), 0);
  assert_int_equal(t, 951868800);
  assert_int_equal(snm__parse_iso8601("2030-01-02T03:04:05.123456Z", &t), 0);
  assert_int_equal(t, 1893553445);
  assert_int_equal(snm__parse_iso8601("2030-01-02T05:04:05+02:00", &t), 0);
  assert_int_equal(t, 1893553445);
  assert_int_equal(snm__parse_iso8601("2030-01-01T23:04:05-0400", &t), 0);
  assert_int_equal(t, 1893553445);
  assert_int_equal(snm__parse_iso8601("2024-02-29T12:00:00Z", &t), 0);
  assert_int_equal(t, 1709208000);
  assert_int_equal(snm__parse_iso8601("2023-02-29T12:00:00Z", &t), SNM_EPARSE);
  assert_int_equal(snm__parse_iso8601("2030-01-02T03:04:05", &t), SNM_EPARSE);
  assert_int_equal(snm__parse_iso8601("2030-13-02T03:04:05Z", &t), SNM_EPARSE);
  assert_int_equal(snm__parse_iso8601("2030-01-02T03:04:05Zjunk", &t),
                   SNM_EPARSE);
  assert_int_equal(snm__parse_iso8601("", &t), SNM_EPARSE);
}

static void test_ini_parser(void **state)
{
  static const char text[] = "[a]\nk = 1\nK = 2\n[b]\n[a]\nother=x\n";
  struct snm_ini *ini;
  struct snm_err err;
  (void)state;

  assert_int_equal(snm_ini_parse(&ini, text, strlen(text), "t", &err), 0);
  assert_string_equal(snm_ini_get(ini, "a", "k"), "2"); /* last wins */
  assert_string_equal(snm_ini_get(ini, "a", "OTHER"), "x");
  assert_true(snm_ini_has_section(ini, "b"));
  assert_false(snm_ini_has_section(ini, "A"));
  assert_null(snm_ini_get(ini, "b", "k"));
  assert_null(snm_ini_get(NULL, "a", "k"));
  snm_ini_free(ini);

  assert_int_equal(snm_ini_parse(&ini, "[]\n", 3, "t", &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, "t:1:"));
  assert_int_equal(snm_ini_parse(&ini, "[a\n", 3, "t", &err), SNM_EPARSE);
  assert_null(ini);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, snm_fx_setup, snm_fx_teardown)
      T(test_env_without_token),
      T(test_env_with_token),
      T(test_env_half_set),
      T(test_file_default_profile),
      T(test_file_named_profile),
      T(test_config_profile_sections),
      T(test_credentials_file_wins),
      T(test_file_comments_whitespace_case),
      T(test_missing_profile),
      T(test_default_paths_under_home),
      T(test_unsupported_profiles),
      T(test_file_errors),
      T(test_precedence_env_and_files),
      T(test_precedence_files_ecs_imds),
      T(test_iso8601),
      T(test_ini_parser),
#undef T
  };
  return cmocka_run_group_tests(tests, snm_fx_group_setup,
                                snm_fx_group_teardown);
}
