/* SPDX-License-Identifier: Apache-2.0 */
#include "creds_fixture.h"
#include "buf.h"
#include "log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#define MAX_FILES 16

static char dir[512];
static char files[MAX_FILES][600];
static size_t n_files;

static const char *const aws_vars[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_STS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_STS_REGIONAL_ENDPOINTS",
};

int snm_fx_group_setup(void **state)
{
  const char *tmp = getenv("TMPDIR");

  (void)state;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return -1;
  snprintf(dir, sizeof(dir), "%s/snm-creds-XXXXXX",
           tmp != NULL && tmp[0] ? tmp : "/tmp");
  return mkdtemp(dir) != NULL ? 0 : -1;
}

int snm_fx_group_teardown(void **state)
{
  (void)state;
  curl_global_cleanup();
  return rmdir(dir);
}

int snm_fx_setup(void **state)
{
  char path[600];

  (void)state;
  for (size_t i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
    unsetenv(aws_vars[i]);
  setenv("HOME", dir, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  snprintf(path, sizeof(path), "%s/absent-credentials", dir);
  setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
  snprintf(path, sizeof(path), "%s/absent-config", dir);
  setenv("AWS_CONFIG_FILE", path, 1);
  snm_log_set_level(SNM_LOG_ERROR);
  return 0;
}

int snm_fx_teardown(void **state)
{
  (void)state;
  for (size_t i = 0; i < n_files; i++)
    unlink(files[i]);
  n_files = 0;
  snm_log_clear_secrets();
  return 0;
}

const char *snm_fx_dir(void)
{
  return dir;
}

const char *snm_fx_file(const char *content)
{
  char *path;
  FILE *fp;
  int fd;

  assert_true(n_files < MAX_FILES);
  path = files[n_files];
  snprintf(path, sizeof(files[0]), "%s/file-XXXXXX", dir);
  fd = mkstemp(path);
  assert_true(fd >= 0);
  n_files++;
  fp = fdopen(fd, "w");
  assert_non_null(fp);
  assert_int_equal(fputs(content, fp) >= 0, 1);
  assert_int_equal(fclose(fp), 0);
  return path;
}

void snm_fx_credentials_file(const char *content)
{
  setenv("AWS_SHARED_CREDENTIALS_FILE", snm_fx_file(content), 1);
}

void snm_fx_config_file(const char *content)
{
  setenv("AWS_CONFIG_FILE", snm_fx_file(content), 1);
}

int snm_fx_resolve(const struct snm_creds_opts *opts, struct snm_creds *out,
                   struct snm_err *err)
{
  struct snm_creds_provider *p;
  int rc;

  snm_err_clear(err);
  assert_int_equal(snm_creds_provider_new(&p, opts, err), 0);
  rc = snm_creds_provider_get(p, out, err);
  snm_creds_provider_free(p);
  return rc;
}

int snm_fx_is_redacted(const char *secret)
{
  struct snm_buf in, out;
  int ok;

  snm_buf_init(&in, 0);
  snm_buf_init(&out, 0);
  assert_int_equal(snm_buf_printf(&in, "x %s y", secret), 0);
  assert_int_equal(snm_redact_text(&out, in.data, in.len), 0);
  ok = strstr(snm_buf_str(&out), secret) == NULL &&
       strstr(snm_buf_str(&out), SNM_REDACTED) != NULL;
  snm_buf_dispose(&in);
  snm_buf_dispose(&out);
  return ok;
}

const char *snm_fx_creds_json(const char *code, const char *id,
                              const char *secret, const char *token,
                              const char *expiration)
{
  static char json[1024];
  int n = 0;

  n += snprintf(json + n, sizeof(json) - (size_t)n, "{");
  if (code != NULL)
    n += snprintf(json + n, sizeof(json) - (size_t)n,
                  "\"Code\": \"%s\", \"LastUpdated\": "
                  "\"2024-01-01T00:00:00Z\", \"Type\": \"AWS-HMAC\", ",
                  code);
  n += snprintf(json + n, sizeof(json) - (size_t)n,
                "\"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\", "
                "\"Token\": \"%s\", \"Expiration\": \"%s\"}",
                id, secret, token, expiration);
  assert_true(n > 0 && (size_t)n < sizeof(json));
  return json;
}
