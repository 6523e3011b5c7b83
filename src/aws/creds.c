/* creds.c - the credential chain's order, the environment source, and the
 * caching provider.  Shared files and assume-role profiles are in
 * creds_file.c, ECS and IMDS in creds_remote.c, STS in creds_sts.c. */
#include "creds.h"
#include "buf.h"
#include "creds_int.h"
#include "log.h"
#include "secret.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define TRIED_MAX 2048

enum creds_source {
  SRC_NONE = 0, /* not resolved yet */
  SRC_ENV,
  SRC_FILES,
  SRC_ROLE, /* an assume-role profile in the shared files */
  SRC_ECS,
  SRC_IMDS
};

struct snm_creds_provider {
  struct snm_creds_opts opts; /* its strings point at the copies below */
  char *profile;              /* NULL or malloced */
  char *imds_endpoint;        /* NULL or malloced */
  char *ecs_endpoint;         /* NULL or malloced */
  char *sts_endpoint;         /* NULL or malloced */
  char *role_profile;         /* SRC_ROLE: the profile, malloced; or NULL */
  enum creds_source source;   /* where `cached` came from; SRC_NONE: empty */
  struct snm_creds cached;    /* owned */
};

/* ---- helpers shared with creds_file.c and creds_remote.c ---- */

const char *snm__getenv(const char *name)
{
  const char *v = getenv(name);

  return v != NULL && v[0] != '\0' ? v : NULL;
}

void snm__tried(struct snm_buf *tried, const char *fmt, ...)
{
  va_list ap;

  if (tried->len > 0)
    snm_best_effort(snm_buf_puts(tried, ", "));
  va_start(ap, fmt);
  snm_best_effort(
      snm_buf_vprintf(tried, fmt, ap)); /* on a full buffer the note is lost */
  va_end(ap);
}

void snm__set_source(struct snm_creds *c, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(c->source, sizeof(c->source), fmt, ap);
  va_end(ap);
}

void snm__free_secret(char *s)
{
  if (s == NULL)
    return;
  OPENSSL_cleanse(s, strlen(s));
  free(s);
}

/* ---- struct snm_creds ---- */

void snm_creds_init(struct snm_creds *c)
{
  memset(c, 0, sizeof(*c));
}

void snm_creds_dispose(struct snm_creds *c)
{
  if (c == NULL)
    return;
  free(c->access_key_id);
  snm__free_secret(c->secret_access_key);
  snm__free_secret(c->session_token);
  snm_creds_init(c);
}

int snm_creds_copy(struct snm_creds *dst, const struct snm_creds *src,
                   struct snm_err *err)
{
  assert(dst != src);
  snm_creds_init(dst);
  if (src->access_key_id != NULL &&
      (dst->access_key_id = strdup(src->access_key_id)) == NULL)
    goto nomem;
  if (src->secret_access_key != NULL &&
      (dst->secret_access_key = strdup(src->secret_access_key)) == NULL)
    goto nomem;
  if (src->session_token != NULL &&
      (dst->session_token = strdup(src->session_token)) == NULL)
    goto nomem;
  dst->expiration = src->expiration;
  memcpy(dst->source, src->source, sizeof(dst->source));
  return 0;
nomem:
  snm_creds_dispose(dst);
  return snm_err_set(err, SNM_ENOMEM, "copying AWS credentials: out of memory");
}

/* ---- the environment ---- */

int snm__creds_from_env(struct snm_creds *out, struct snm_buf *tried,
                        struct snm_err *err)
{
  const char *id = snm__getenv("AWS_ACCESS_KEY_ID");
  const char *secret = snm__getenv("AWS_SECRET_ACCESS_KEY");
  /* The CLI still reads the legacy AWS_SECURITY_TOKEN when
   * AWS_SESSION_TOKEN is not set. */
  const char *token = snm__getenv("AWS_SESSION_TOKEN");

  if (token == NULL)
    token = snm__getenv("AWS_SECURITY_TOKEN");
  if (id == NULL && secret == NULL) {
    snm__tried(tried, "environment (AWS_ACCESS_KEY_ID not set)");
    return 0;
  }
  if (snm_secret_add(secret) < 0 || snm_secret_add(token) < 0)
    return snm_err_set(err, SNM_ENOMEM, "environment: out of memory");
  if (secret == NULL)
    return snm_err_set(err, SNM_EAUTH,
                       "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is "
                       "not: set both, or unset AWS_ACCESS_KEY_ID to use "
                       "the other credential sources");
  if (id == NULL)
    return snm_err_set(err, SNM_EAUTH,
                       "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is "
                       "not: set both, or unset AWS_SECRET_ACCESS_KEY to use "
                       "the other credential sources");
  out->access_key_id = strdup(id);
  out->secret_access_key = strdup(secret);
  out->session_token = token != NULL ? strdup(token) : NULL;
  if (out->access_key_id == NULL || out->secret_access_key == NULL ||
      (token != NULL && out->session_token == NULL)) {
    snm_creds_dispose(out);
    return snm_err_set(err, SNM_ENOMEM, "environment: out of memory");
  }
  snm__set_source(out, "environment");
  return 0;
}

/* ---- the chain ---- */

static int imds_disabled(void)
{
  const char *v = snm__getenv("AWS_EC2_METADATA_DISABLED");

  return v != NULL && strcasecmp(v, "true") == 0;
}

/* Walk the chain into `out` (initialised, empty); set *src on success. */
static int resolve_chain(struct snm_creds_provider *p, struct snm_creds *out,
                         enum creds_source *src, struct snm_err *err)
{
  const char *profile = p->profile;
  const char *creds_file = snm__getenv("AWS_SHARED_CREDENTIALS_FILE");
  struct snm_buf tried;
  struct snm_err sub;
  int rc;

  snm_buf_init(&tried, TRIED_MAX);
  snm_err_clear(&sub);
  if (profile == NULL)
    profile = snm__getenv("AWS_PROFILE");

  /* 1. the environment, unless the plan names a profile (the CLI's rule:
   * an explicit --profile ignores environment credentials; AWS_PROFILE
   * does not) */
  if (p->profile == NULL) {
    rc = snm__creds_from_env(out, &tried, err);
    if (rc < 0)
      goto done;
    if (out->access_key_id != NULL) {
      *src = SRC_ENV;
      goto done;
    }
    /* web identity from the environment (EKS IRSA) comes before the shared
     * files in the CLI's chain; it is not supported, so say so rather than
     * fall through to a different identity */
    if (snm__getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != NULL &&
        snm__getenv("AWS_ROLE_ARN") != NULL) {
      rc = snm_err_set(
          err, SNM_EAUTH,
          "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set (web "
          "identity), which snapmig does not support; export temporary "
          "credentials instead (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
          "AWS_SESSION_TOKEN), e.g. from \"aws configure export-credentials "
          "--format env\"");
      goto done;
    }
  } else {
    snm__tried(&tried, "environment (ignored: the plan names profile \"%s\")",
               p->profile);
  }

  /* 2. ~/.aws/credentials, then ~/.aws/config; only an assumed role
   * expires */
  rc = snm__creds_from_files(out, profile, &p->opts, &tried, err);
  if (rc < 0)
    goto done;
  if (out->access_key_id != NULL) {
    *src = out->expiration != 0 ? SRC_ROLE : SRC_FILES;
    if (*src == SRC_ROLE) {
      free(p->role_profile);
      p->role_profile = profile != NULL ? strdup(profile) : NULL;
      if (profile != NULL && p->role_profile == NULL) {
        rc = snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
        goto done;
      }
    }
    goto done;
  }

  /* 3. ECS/EKS container credentials; a configured but failing endpoint
   * is an error, as in the CLI */
  rc = snm__creds_from_ecs(out, &p->opts, &tried, err);
  if (rc < 0)
    goto done;
  if (out->access_key_id != NULL) {
    *src = SRC_ECS;
    goto done;
  }

  /* 4. EC2 instance metadata, the last resort: failures become a note */
  if (imds_disabled()) {
    snm__tried(&tried, "IMDS (disabled by AWS_EC2_METADATA_DISABLED)");
  } else {
    rc = snm__creds_from_imds(out, &p->opts, &sub);
    if (rc == 0) {
      *src = SRC_IMDS;
      goto done;
    }
    if (rc == SNM_ENOMEM) {
      rc = snm_err_set(err, rc, "%s", sub.msg);
      goto done;
    }
    snm__tried(&tried, "IMDS (%s)", sub.msg);
  }
  rc = snm_err_set(err, SNM_EAUTH,
                   "no AWS credentials found: %s. Set "
                   "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_PROFILE "
                   "with a profile in %s",
                   snm_buf_str(&tried),
                   creds_file != NULL ? creds_file : "~/.aws/credentials");
done:
  if (rc < 0)
    snm_creds_dispose(out);
  snm_buf_dispose(&tried);
  return rc;
}

/* ---- the provider ---- */

static int dup_opt(char **dst, const char *src)
{
  *dst = NULL;
  if (src == NULL)
    return 0;
  *dst = strdup(src);
  return *dst != NULL ? 0 : SNM_ENOMEM;
}

int snm_creds_provider_new(struct snm_creds_provider **out,
                           const struct snm_creds_opts *opts,
                           struct snm_err *err)
{
  struct snm_creds_provider *p;
  static const struct snm_creds_opts no_opts;

  assert(out != NULL);
  *out = NULL;
  if (opts == NULL)
    opts = &no_opts;
  p = calloc(1, sizeof(*p));
  if (p == NULL)
    return snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
  p->opts = *opts;
  if (dup_opt(&p->profile, opts->profile) < 0 ||
      dup_opt(&p->imds_endpoint, opts->imds_endpoint) < 0 ||
      dup_opt(&p->ecs_endpoint, opts->ecs_endpoint) < 0 ||
      dup_opt(&p->sts_endpoint, opts->sts_endpoint) < 0) {
    snm_creds_provider_free(p);
    return snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
  }
  p->opts.profile = p->profile;
  p->opts.imds_endpoint = p->imds_endpoint;
  p->opts.ecs_endpoint = p->ecs_endpoint;
  p->opts.sts_endpoint = p->sts_endpoint;
  if (p->opts.timeout_ms <= 0)
    p->opts.timeout_ms = SNM__DEFAULT_TIMEOUT_MS;
  if (p->opts.sts_timeout_ms <= 0)
    p->opts.sts_timeout_ms = SNM__DEFAULT_STS_TIMEOUT_MS;
  snm_creds_init(&p->cached);
  *out = p;
  return 0;
}

void snm_creds_provider_free(struct snm_creds_provider *p)
{
  if (p == NULL)
    return;
  snm_creds_dispose(&p->cached);
  free(p->profile);
  free(p->imds_endpoint);
  free(p->ecs_endpoint);
  free(p->sts_endpoint);
  free(p->role_profile);
  free(p);
}

static time_t provider_now(const struct snm_creds_provider *p)
{
  return p->opts.now != NULL ? p->opts.now(p->opts.now_payload) : time(NULL);
}

static int needs_refresh(const struct snm_creds_provider *p, time_t now)
{
  if (p->source != SRC_ECS && p->source != SRC_IMDS && p->source != SRC_ROLE)
    return 0; /* static credentials never expire here */
  if (p->cached.expiration == 0)
    return 0;
  return p->cached.expiration - now <= SNM__REFRESH_WINDOW_S;
}

/* Fetch again from the source the cached credentials came from. */
static int refresh(struct snm_creds_provider *p, struct snm_err *err)
{
  struct snm_creds fresh;
  struct snm_buf tried;
  int rc;

  snm_creds_init(&fresh);
  snm_buf_init(&tried, TRIED_MAX);
  if (p->source == SRC_ECS) {
    rc = snm__creds_from_ecs(&fresh, &p->opts, &tried, err);
    if (rc == 0 && fresh.access_key_id == NULL)
      rc = snm_err_set(err, SNM_EAUTH,
                       "cannot refresh ECS container credentials: %s",
                       snm_buf_str(&tried));
  } else if (p->source == SRC_ROLE) {
    /* the whole profile chain again: fresh source credentials, then STS */
    rc = snm__creds_from_files(&fresh, p->role_profile, &p->opts, &tried, err);
    if (rc == 0 && fresh.expiration == 0) {
      /* the profile was edited and no longer assumes a role: keep the
       * role's credentials until they expire rather than switch identity */
      snm_creds_dispose(&fresh);
      rc = snm_err_set(err, SNM_EAUTH,
                       "cannot assume the role again: AWS profile \"%s\" no "
                       "longer has role_arn",
                       p->role_profile != NULL ? p->role_profile : "default");
    }
  } else {
    assert(p->source == SRC_IMDS);
    rc = snm__creds_from_imds(&fresh, &p->opts, err);
    if (rc < 0 && rc != SNM_ENOMEM && err != NULL) {
      struct snm_err sub = *err;
      snm_err_set(err, rc, "EC2 instance metadata: %s", sub.msg);
      err->http_status = sub.http_status;
    }
  }
  if (rc == 0) {
    snm_creds_dispose(&p->cached);
    p->cached = fresh; /* moved */
    snm_log(SNM_LOG_DEBUG, "refreshed AWS credentials from %s",
            p->cached.source);
  } else {
    snm_creds_dispose(&fresh);
  }
  snm_buf_dispose(&tried);
  return rc;
}

int snm_creds_provider_get(struct snm_creds_provider *p, struct snm_creds *out,
                           struct snm_err *err)
{
  struct snm_err sub;
  time_t now;
  int rc;

  assert(p != NULL && out != NULL);
  snm_creds_init(out);
  snm_err_clear(&sub);
  if (p->source == SRC_NONE) {
    rc = resolve_chain(p, &p->cached, &p->source, &sub);
    if (rc < 0) {
      p->source = SRC_NONE;
      goto fail;
    }
    snm_log(SNM_LOG_DEBUG, "AWS credentials from %s", p->cached.source);
  } else {
    now = provider_now(p);
    if (needs_refresh(p, now)) {
      rc = refresh(p, &sub);
      if (rc < 0) {
        if (rc == SNM_ENOMEM || now >= p->cached.expiration)
          goto fail;
        snm_log(SNM_LOG_WARN,
                "could not refresh AWS credentials (%s); using the current "
                "ones until they expire in %lld s",
                sub.msg, (long long)(p->cached.expiration - now));
      }
    }
  }
  return snm_creds_copy(out, &p->cached, err);
fail:
  if (err != NULL)
    *err = sub;
  return rc;
}
