/* creds_file.c - credentials from the shared files, as the AWS CLI reads
 * them: ~/.aws/credentials ("[name]") before ~/.aws/config ("[profile
 * name]", "[default]"). */
#include "buf.h"
#include "creds.h"
#include "creds_int.h"
#include "ini.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 4096

/* One shared file: where it is, how messages name it, what it holds. */
struct shared_file {
  char path[PATH_MAX_LEN]; /* expanded */
  char name[PATH_MAX_LEN]; /* as the user knows it: "~/.aws/config" */
  const char *section;     /* the profile's section name in this file */
  struct snm_ini *ini;     /* NULL: the file does not exist */
};

/* Keys that need a provider snapmig does not have, in the CLI's order of
 * preference (all of them come before static keys in its chain). */
static const struct {
  const char *key;
  const char *what;
} unsupported_keys[] = {
    {"role_arn", "assume role"},
    {"web_identity_token_file", "web identity"},
    {"sso_session", "IAM Identity Center (SSO)"},
    {"sso_start_url", "IAM Identity Center (SSO)"},
    {"sso_account_id", "IAM Identity Center (SSO)"},
    {"sso_role_name", "IAM Identity Center (SSO)"},
};

/* `env` names a file or is NULL; the default is ~/<rel>. */
static int locate(struct shared_file *f, const char *env, const char *rel,
                  struct snm_err *err)
{
  const char *home = snm__getenv("HOME");
  const char *given = snm__getenv(env);
  int n;

  if (given == NULL) {
    if (home == NULL)
      return snm_err_set(err, SNM_EINVAL,
                         "HOME is not set, so ~/%s cannot be found: set HOME "
                         "or %s",
                         rel, env);
    snprintf(f->name, sizeof(f->name), "~/%s", rel);
    n = snprintf(f->path, sizeof(f->path), "%s/%s", home, rel);
  } else if (given[0] == '~' && given[1] == '/') {
    if (home == NULL)
      return snm_err_set(err, SNM_EINVAL,
                         "%s starts with ~/ but HOME is not set", env);
    snprintf(f->name, sizeof(f->name), "%s", given);
    n = snprintf(f->path, sizeof(f->path), "%s%s", home, given + 1);
  } else {
    snprintf(f->name, sizeof(f->name), "%s", given);
    n = snprintf(f->path, sizeof(f->path), "%s", given);
  }
  if (n < 0 || (size_t)n >= sizeof(f->path))
    return snm_err_set(err, SNM_EINVAL, "%s: path too long", f->name);
  return 0;
}

static const char *get(const struct shared_file *f, const char *key)
{
  return snm_ini_get(f->ini, f->section, key);
}

/* The error for a profile that needs an unsupported provider. */
static int unsupported(const char *profile, const struct shared_file *f,
                       const char *key, const char *what, struct snm_err *err)
{
  return snm_err_set(
      err, SNM_EAUTH,
      "AWS profile \"%s\" in %s uses %s (%s), which snapmig does not "
      "support; export temporary credentials instead: eval \"$(aws "
      "configure export-credentials --profile %s --format env)\", and run "
      "snapmig with them and without a profile in the plan",
      profile, f->name, key, what, profile);
}

/* Static keys of one file's section into `out`. */
static int take_keys(struct snm_creds *out, const struct shared_file *f,
                     const char *profile, const char *kind, struct snm_err *err)
{
  const char *id = get(f, "aws_access_key_id");
  const char *secret = get(f, "aws_secret_access_key");
  const char *token = get(f, "aws_session_token");

  if (token == NULL)
    token = get(f, "aws_security_token"); /* legacy name the CLI reads */
  if (snm_log_add_secret(secret) < 0 || snm_log_add_secret(token) < 0)
    return snm_err_set(err, SNM_ENOMEM, "%s: out of memory", f->name);
  if (id == NULL || id[0] == '\0' || secret == NULL || secret[0] == '\0')
    return snm_err_set(
        err, SNM_EAUTH,
        "AWS profile \"%s\" in %s has %s but no %s: add it, "
        "or remove the other key",
        profile, f->name,
        id != NULL && id[0] ? "aws_access_key_id" : "aws_secret_access_key",
        id != NULL && id[0] ? "aws_secret_access_key" : "aws_access_key_id");
  out->access_key_id = strdup(id);
  out->secret_access_key = strdup(secret);
  out->session_token = token != NULL && token[0] ? strdup(token) : NULL;
  if (out->access_key_id == NULL || out->secret_access_key == NULL ||
      (token != NULL && token[0] && out->session_token == NULL)) {
    snm_creds_dispose(out);
    return snm_err_set(err, SNM_ENOMEM, "%s: out of memory", f->name);
  }
  snm__set_source(out, "shared %s file %s, profile \"%s\"", kind, f->name,
                  profile);
  return 0;
}

static int has_keys(const struct shared_file *f)
{
  return get(f, "aws_access_key_id") != NULL ||
         get(f, "aws_secret_access_key") != NULL;
}

int snm__creds_from_files(struct snm_creds *out, const char *profile,
                          struct snm_buf *tried, struct snm_err *err)
{
  struct shared_file *cred = NULL, *conf = NULL, *f;
  const char *name = profile != NULL ? profile : "default";
  char conf_section[512];
  int rc;

  cred = calloc(1, sizeof(*cred));
  conf = calloc(1, sizeof(*conf));
  if (cred == NULL || conf == NULL) {
    rc = snm_err_set(err, SNM_ENOMEM, "shared files: out of memory");
    goto done;
  }
  rc = locate(cred, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", err);
  if (rc < 0)
    goto done;
  rc = locate(conf, "AWS_CONFIG_FILE", ".aws/config", err);
  if (rc < 0)
    goto done;
  rc = snm_ini_load(&cred->ini, cred->path, cred->name, err);
  if (rc < 0)
    goto done;
  rc = snm_ini_load(&conf->ini, conf->path, conf->name, err);
  if (rc < 0)
    goto done;

  cred->section = name;
  if (strcmp(name, "default") == 0 &&
      !snm_ini_has_section(conf->ini, "profile default")) {
    snprintf(conf_section, sizeof(conf_section), "default");
  } else {
    snprintf(conf_section, sizeof(conf_section), "profile %s", name);
  }
  conf->section = conf_section;

  if (!snm_ini_has_section(cred->ini, cred->section) &&
      !snm_ini_has_section(conf->ini, conf->section)) {
    if (profile != NULL) {
      rc = snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\" not found: no [%s] in %s%s and "
                       "no [profile %s] in %s%s",
                       name, name, cred->name,
                       cred->ini == NULL ? " (no such file)" : "", name,
                       conf->name, conf->ini == NULL ? " (no such file)" : "");
      goto done;
    }
    snm__tried(tried, "shared files (no profile \"default\" in %s%s or %s%s)",
               cred->name, cred->ini == NULL ? " (no such file)" : "",
               conf->name, conf->ini == NULL ? " (no such file)" : "");
    goto done;
  }

  /* assume-role, web identity and SSO come before static keys in the CLI's
   * chain (keys of both files count, the credentials file's first) */
  for (size_t i = 0; i < sizeof(unsupported_keys) / sizeof(unsupported_keys[0]);
       i++) {
    f = get(cred, unsupported_keys[i].key) != NULL ? cred : conf;
    if (get(f, unsupported_keys[i].key) != NULL) {
      rc = unsupported(name, f, unsupported_keys[i].key,
                       unsupported_keys[i].what, err);
      goto done;
    }
  }
  /* then static keys from the credentials file, credential_process, and
   * static keys from the config file */
  if (has_keys(cred)) {
    rc = take_keys(out, cred, name, "credentials", err);
    goto done;
  }
  f = get(cred, "credential_process") != NULL ? cred : conf;
  if (get(f, "credential_process") != NULL) {
    rc = unsupported(name, f, "credential_process", "an external process", err);
    goto done;
  }
  if (has_keys(conf)) {
    rc = take_keys(out, conf, name, "config", err);
    goto done;
  }
  snm__tried(tried, "shared files (profile \"%s\" has no aws_access_key_id)",
             name);
done:
  if (cred != NULL)
    snm_ini_free(cred->ini);
  if (conf != NULL)
    snm_ini_free(conf->ini);
  free(cred);
  free(conf);
  return rc;
}
