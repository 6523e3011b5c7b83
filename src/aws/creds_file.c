/* SPDX-License-Identifier: Apache-2.0 */
/* creds_file.c - credentials from the shared files, as the AWS CLI reads
 * them: ~/.aws/credentials ("[name]") before ~/.aws/config ("[profile
 * name]", "[default]"), including assume-role profiles (role_arn with
 * source_profile or credential_source), resolved the way botocore's
 * AssumeRoleProvider does: the source credentials first (another profile,
 * possibly itself an assume-role profile, or the environment, ECS or IMDS),
 * then STS AssumeRole (creds_sts.c). */
#include "buf.h"
#include "creds.h"
#include "creds_int.h"
#include "ini.h"
#include "log.h"
#include "secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_MAX_LEN 4096
#define SECTION_MAX 512
/* Longest chain of assume-role profiles (the selected one included). */
#define MAX_HOPS 16
/* AssumeRole's limits for DurationSeconds; the role's own maximum (1 to 12
 * hours) is checked by STS. */
#define DURATION_MIN 900L
#define DURATION_MAX 43200L
#define DURATION_DEFAULT 3600L

/* One shared file: where it is, how messages name it, what it holds. */
struct shared_file {
  char path[PATH_MAX_LEN]; /* expanded */
  char name[PATH_MAX_LEN]; /* as the user knows it: "~/.aws/config" */
  struct snm_ini *ini;     /* NULL: the file does not exist */
};

/* Both files, and the walk through a chain of assume-role profiles. */
struct shared_files {
  struct shared_file cred;           /* ~/.aws/credentials: "[name]" */
  struct shared_file conf;           /* ~/.aws/config: "[profile name]" */
  const struct snm_creds_opts *opts; /* borrowed */
  const char *top;                   /* the selected profile */
  const char *visited[MAX_HOPS];     /* profiles of the chain, borrowed */
  size_t n_visited;
};

/* Keys that need a provider snapmig does not have, in the CLI's order of
 * preference (all of them come before static keys in its chain; an
 * assume-role profile comes before them, unless it uses web identity). */
static const struct {
  const char *key;
  const char *what;
} unsupported_keys[] = {
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

/* ---- one profile's settings ---- */

/* The config file's section for `profile`: "[profile x]", or "[default]"
 * for "default" unless "[profile default]" exists.  NULL when the name is
 * too long to be a section here. */
static const char *conf_section(const struct shared_files *sh,
                                const char *profile, char buf[SECTION_MAX])
{
  int n;

  if (strcmp(profile, "default") == 0 &&
      !snm_ini_has_section(sh->conf.ini, "profile default"))
    return "default";
  n = snprintf(buf, SECTION_MAX, "profile %s", profile);
  return n > 0 && n < SECTION_MAX ? buf : NULL;
}

static const char *cred_get(const struct shared_files *sh, const char *profile,
                            const char *key)
{
  return snm_ini_get(sh->cred.ini, profile, key);
}

static const char *conf_get(const struct shared_files *sh, const char *profile,
                            const char *key)
{
  char buf[SECTION_MAX];
  const char *section = conf_section(sh, profile, buf);

  return section != NULL ? snm_ini_get(sh->conf.ini, section, key) : NULL;
}

/* A setting of the profile as botocore merges the files: the credentials
 * file's value wins.  *where (may be NULL) gets the file it came from. */
static const char *get(const struct shared_files *sh, const char *profile,
                       const char *key, const struct shared_file **where)
{
  const char *v = cred_get(sh, profile, key);
  const struct shared_file *f = &sh->cred;

  if (v == NULL) {
    v = conf_get(sh, profile, key);
    f = &sh->conf;
  }
  if (where != NULL)
    *where = f;
  return v;
}

static int profile_exists(const struct shared_files *sh, const char *profile)
{
  char buf[SECTION_MAX];
  const char *section = conf_section(sh, profile, buf);

  return snm_ini_has_section(sh->cred.ini, profile) ||
         (section != NULL && snm_ini_has_section(sh->conf.ini, section));
}

static int has_keys_in(const struct shared_files *sh, const char *profile,
                       int cred)
{
  const char *(*g)(const struct shared_files *, const char *, const char *) =
      cred ? cred_get : conf_get;

  return g(sh, profile, "aws_access_key_id") != NULL ||
         g(sh, profile, "aws_secret_access_key") != NULL;
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
static int take_keys(struct snm_creds *out, const struct shared_files *sh,
                     const char *profile, int cred, struct snm_err *err)
{
  const struct shared_file *f = cred ? &sh->cred : &sh->conf;
  const char *(*g)(const struct shared_files *, const char *, const char *) =
      cred ? cred_get : conf_get;
  const char *id = g(sh, profile, "aws_access_key_id");
  const char *secret = g(sh, profile, "aws_secret_access_key");
  const char *token = g(sh, profile, "aws_session_token");

  if (token == NULL)
    token = g(sh, profile, "aws_security_token"); /* legacy name */
  if (snm_secret_add(secret) < 0 || snm_secret_add(token) < 0)
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
  snm__set_source(out, "shared %s file %s, profile \"%s\"",
                  cred ? "credentials" : "config", f->name, profile);
  return 0;
}

/* ---- assume-role profiles ---- */

static int resolve_profile(struct snm_creds *out, struct shared_files *sh,
                           const char *profile, const char *parent,
                           struct snm_buf *tried, struct snm_err *err);

/* "a -> b -> c" from the visited profiles, then `next`. */
static void chain_text(char *buf, size_t size, const struct shared_files *sh,
                       const char *next)
{
  size_t n = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < sh->n_visited && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s -> ", sh->visited[i]);
  if (n < size)
    snprintf(buf + n, size - n, "%s", next);
}

/* botocore's rule: a source_profile already in the chain is a loop, except
 * a profile naming itself when it has static keys (its own keys then assume
 * its role). */
static int check_source_profile(const struct shared_files *sh,
                                const char *profile, const char *source,
                                struct snm_err *err)
{
  char chain[512];
  int seen = 0;

  if (!profile_exists(sh, source))
    return snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\" has source_profile = %s, but there "
                       "is no profile \"%s\" in %s or %s: add it, or point "
                       "source_profile at a profile that has credentials",
                       profile, source, source, sh->cred.name, sh->conf.name);
  for (size_t i = 0; i < sh->n_visited; i++)
    seen |= strcmp(sh->visited[i], source) == 0;
  if (seen && (strcmp(source, profile) != 0 ||
               (!has_keys_in(sh, source, 1) && !has_keys_in(sh, source, 0)))) {
    chain_text(chain, sizeof(chain), sh, source);
    return snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\": the source_profile chain loops "
                       "(%s); end the chain with a profile that has static "
                       "keys or credential_source",
                       sh->top, chain);
  }
  if (sh->n_visited >= MAX_HOPS)
    return snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\": the source_profile chain is longer "
                       "than %d profiles",
                       sh->top, MAX_HOPS);
  return 0;
}

/* Source credentials from credential_source. */
static int from_credential_source(struct snm_creds *out,
                                  const struct shared_files *sh,
                                  const char *profile, const char *source,
                                  struct snm_err *err)
{
  const char *v = snm__getenv("AWS_EC2_METADATA_DISABLED");
  struct snm_buf tried;
  struct snm_err sub;
  int rc = 0;

  snm_buf_init(&tried, 1024);
  snm_err_clear(&sub);
  if (strcmp(source, "Environment") == 0) {
    rc = snm__creds_from_env(out, &tried, err);
  } else if (strcmp(source, "EcsContainer") == 0) {
    rc = snm__creds_from_ecs(out, sh->opts, &tried, err);
  } else if (strcmp(source, "Ec2InstanceMetadata") == 0) {
    if (v != NULL && strcasecmp(v, "true") == 0) {
      snm__tried(&tried, "AWS_EC2_METADATA_DISABLED is true");
    } else {
      rc = snm__creds_from_imds(out, sh->opts, &sub);
      if (rc < 0) {
        snm_err_set(err, rc,
                    "AWS profile \"%s\" has credential_source = %s: EC2 "
                    "instance metadata: %s",
                    profile, source, sub.msg);
        if (err != NULL)
          err->http_status = sub.http_status;
      }
    }
  } else {
    rc = snm_err_set(err, SNM_EAUTH,
                     "AWS profile \"%s\" has credential_source = %s: use "
                     "Environment, Ec2InstanceMetadata or EcsContainer",
                     profile, source);
  }
  if (rc == 0 && out->access_key_id == NULL)
    rc = snm_err_set(err, SNM_EAUTH,
                     "AWS profile \"%s\" has credential_source = %s, which "
                     "has no credentials (%s)",
                     profile, source, snm_buf_str(&tried));
  snm_buf_dispose(&tried);
  return rc;
}

/* duration_seconds: whole seconds in AssumeRole's range. */
static int parse_duration(long *out, const char *v, const char *profile,
                          struct snm_err *err)
{
  char *end;
  long n;

  *out = DURATION_DEFAULT;
  if (v == NULL)
    return 0;
  errno = 0;
  n = strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n < DURATION_MIN ||
      n > DURATION_MAX)
    return snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\" has duration_seconds = %s: use "
                       "whole seconds from %ld to %ld (and at most the role's "
                       "maximum session duration)",
                       profile, v, DURATION_MIN, DURATION_MAX);
  *out = n;
  return 0;
}

/* The region and endpoint style for STS, from the selected profile (as
 * botocore's session does for every call of a chain) and the
 * environment. */
static int sts_region(struct snm__assume_role *ar,
                      const struct shared_files *sh, struct snm_err *err)
{
  const char *mode = snm__getenv("AWS_STS_REGIONAL_ENDPOINTS");

  ar->region = snm__getenv("AWS_REGION");
  if (ar->region == NULL)
    ar->region = snm__getenv("AWS_DEFAULT_REGION");
  if (ar->region == NULL)
    ar->region = get(sh, sh->top, "region", NULL);
  if (ar->region != NULL && ar->region[0] == '\0')
    ar->region = NULL;
  if (mode == NULL)
    mode = get(sh, sh->top, "sts_regional_endpoints", NULL);
  ar->legacy_global = mode != NULL && strcmp(mode, "legacy") == 0;
  if (mode != NULL && !ar->legacy_global && strcmp(mode, "regional") != 0)
    return snm_err_set(err, SNM_EAUTH,
                       "sts_regional_endpoints (profile \"%s\" or "
                       "AWS_STS_REGIONAL_ENDPOINTS) is \"%s\": use regional "
                       "or legacy",
                       sh->top, mode);
  return 0;
}

/* Assume the role of `profile` (which has role_arn). */
static int assume_role(struct snm_creds *out, struct shared_files *sh,
                       const char *profile, struct snm_err *err)
{
  const struct shared_file *f;
  const char *source = get(sh, profile, "source_profile", NULL);
  const char *cs = get(sh, profile, "credential_source", NULL);
  struct snm__assume_role ar = {0};
  struct snm_creds src;
  char what[300];
  int rc;

  snm_creds_init(&src);
  ar.role_arn = get(sh, profile, "role_arn", &f);
  ar.profile = profile;
  ar.session_name = get(sh, profile, "role_session_name", NULL);
  ar.external_id = get(sh, profile, "external_id", NULL);
  if (get(sh, profile, "mfa_serial", &f) != NULL)
    return snm_err_set(
        err, SNM_EAUTH,
        "AWS profile \"%s\" in %s has mfa_serial: assuming its role needs an "
        "MFA code, and snapmig cannot prompt for one; export temporary "
        "credentials instead: eval \"$(aws configure export-credentials "
        "--profile %s --format env)\", and run snapmig with them and without "
        "a profile in the plan",
        profile, f->name, profile);
  if (ar.role_arn[0] == '\0')
    return snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\" has an empty role_arn", profile);
  if (source != NULL && cs != NULL)
    return snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\" has both source_profile and "
                       "credential_source: keep one",
                       profile);
  if (source == NULL && cs == NULL)
    return snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\" has role_arn but neither "
                       "source_profile nor credential_source: add the profile "
                       "whose credentials assume the role (source_profile = "
                       "NAME), or credential_source = Environment, "
                       "Ec2InstanceMetadata or EcsContainer",
                       profile);
  rc = parse_duration(&ar.duration_s,
                      get(sh, profile, "duration_seconds", NULL), profile, err);
  if (rc < 0)
    return rc;
  rc = sts_region(&ar, sh, err);
  if (rc < 0)
    return rc;

  if (cs != NULL) {
    snprintf(what, sizeof(what), "credential_source %s", cs);
    rc = from_credential_source(&src, sh, profile, cs, err);
  } else {
    snprintf(what, sizeof(what), "source profile \"%s\"", source);
    rc = check_source_profile(sh, profile, source, err);
    if (rc == 0) {
      sh->visited[sh->n_visited++] = source;
      rc = resolve_profile(&src, sh, source, profile, NULL, err);
    }
  }
  if (rc < 0)
    goto done;
  ar.source = what;
  rc = snm__sts_assume_role(out, &src, &ar, sh->opts, err);
  if (rc == 0)
    snm__set_source(out, "assumed role, AWS profile \"%s\"", profile);
done:
  snm_creds_dispose(&src);
  return rc;
}

/* ---- the profile's provider, in the CLI's order ---- */

/* Credentials of `profile`.  `parent` NULL: the selected profile (a
 * missing one is not an error unless it was named; no credentials is a
 * note in `tried`); else the assume-role profile whose source_profile this
 * is (it must exist and have credentials). */
static int resolve_profile(struct snm_creds *out, struct shared_files *sh,
                           const char *profile, const char *parent,
                           struct snm_buf *tried, struct snm_err *err)
{
  const struct shared_file *f;
  int has_keys = has_keys_in(sh, profile, 1) || has_keys_in(sh, profile, 0);

  /* 1. assume role, unless the profile uses web identity; a source profile
   * with static keys uses them (botocore's rule) */
  if (get(sh, profile, "role_arn", NULL) != NULL &&
      get(sh, profile, "web_identity_token_file", NULL) == NULL &&
      (parent == NULL || !has_keys))
    return assume_role(out, sh, profile, err);
  /* 2. web identity and SSO, not supported (keys of both files count, the
   * credentials file's first) */
  for (size_t i = 0; i < sizeof(unsupported_keys) / sizeof(unsupported_keys[0]);
       i++)
    if (get(sh, profile, unsupported_keys[i].key, &f) != NULL)
      return unsupported(profile, f, unsupported_keys[i].key,
                         unsupported_keys[i].what, err);
  /* 3. static keys from the credentials file, credential_process, and
   * static keys from the config file */
  if (has_keys_in(sh, profile, 1))
    return take_keys(out, sh, profile, 1, err);
  if (get(sh, profile, "credential_process", &f) != NULL)
    return unsupported(profile, f, "credential_process", "an external process",
                       err);
  if (has_keys_in(sh, profile, 0))
    return take_keys(out, sh, profile, 0, err);
  if (parent != NULL)
    return snm_err_set(
        err, SNM_EAUTH,
        "AWS profile \"%s\" has source_profile = %s, but profile "
        "\"%s\" has no credentials: add aws_access_key_id and "
        "aws_secret_access_key, or role_arn with its own "
        "source_profile or credential_source",
        parent, profile, profile);
  snm__tried(tried, "shared files (profile \"%s\" has no aws_access_key_id)",
             profile);
  return 0;
}

int snm__creds_from_files(struct snm_creds *out, const char *profile,
                          const struct snm_creds_opts *opts,
                          struct snm_buf *tried, struct snm_err *err)
{
  struct shared_files *sh;
  const char *name = profile != NULL ? profile : "default";
  int rc;

  sh = calloc(1, sizeof(*sh));
  if (sh == NULL)
    return snm_err_set(err, SNM_ENOMEM, "shared files: out of memory");
  sh->opts = opts;
  sh->top = name;
  sh->visited[sh->n_visited++] = name;
  rc =
      locate(&sh->cred, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", err);
  if (rc < 0)
    goto done;
  rc = locate(&sh->conf, "AWS_CONFIG_FILE", ".aws/config", err);
  if (rc < 0)
    goto done;
  rc = snm_ini_load(&sh->cred.ini, sh->cred.path, sh->cred.name, err);
  if (rc < 0)
    goto done;
  rc = snm_ini_load(&sh->conf.ini, sh->conf.path, sh->conf.name, err);
  if (rc < 0)
    goto done;

  if (!profile_exists(sh, name)) {
    if (profile != NULL) {
      rc = snm_err_set(err, SNM_EAUTH,
                       "AWS profile \"%s\" not found: no [%s] in %s%s and "
                       "no [profile %s] in %s%s",
                       name, name, sh->cred.name,
                       sh->cred.ini == NULL ? " (no such file)" : "", name,
                       sh->conf.name,
                       sh->conf.ini == NULL ? " (no such file)" : "");
      goto done;
    }
    snm__tried(tried, "shared files (no profile \"default\" in %s%s or %s%s)",
               sh->cred.name, sh->cred.ini == NULL ? " (no such file)" : "",
               sh->conf.name, sh->conf.ini == NULL ? " (no such file)" : "");
    goto done;
  }
  rc = resolve_profile(out, sh, name, NULL, tried, err);
done:
  if (rc < 0)
    snm_creds_dispose(out);
  snm_ini_free(sh->cred.ini);
  snm_ini_free(sh->conf.ini);
  free(sh);
  return rc;
}
