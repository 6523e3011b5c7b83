/* creds.c - the credential chain's order, the environment source, and the
 * caching provider.  Shared files and assume-role profiles are in
 * creds_file.c, ECS and IMDS in creds_remote.c, STS in creds_sts.c, the
 * fetch on the thread pool in creds_async.c. */
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

/* Walk the chain into `out` (initialised, empty). */
static int resolve_chain(struct snm__fetched *out,
                         const struct snm__creds_conf *conf,
                         struct snm_err *err)
{
  const char *profile = conf->profile;
  const char *creds_file = snm__getenv("AWS_SHARED_CREDENTIALS_FILE");
  struct snm_creds *c = &out->creds;
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
  if (conf->profile == NULL) {
    rc = snm__creds_from_env(c, &tried, err);
    if (rc < 0)
      goto done;
    if (c->access_key_id != NULL) {
      out->source = SNM__SRC_ENV;
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
               conf->profile);
  }

  /* 2. ~/.aws/credentials, then ~/.aws/config; only an assumed role
   * expires */
  rc = snm__creds_from_files(c, profile, &conf->opts, &tried, err);
  if (rc < 0)
    goto done;
  if (c->access_key_id != NULL) {
    out->source = c->expiration != 0 ? SNM__SRC_ROLE : SNM__SRC_FILES;
    if (out->source == SNM__SRC_ROLE && profile != NULL &&
        (out->role_profile = strdup(profile)) == NULL)
      rc = snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
    goto done;
  }

  /* 3. ECS/EKS container credentials; a configured but failing endpoint
   * is an error, as in the CLI */
  rc = snm__creds_from_ecs(c, &conf->opts, &tried, err);
  if (rc < 0)
    goto done;
  if (c->access_key_id != NULL) {
    out->source = SNM__SRC_ECS;
    goto done;
  }

  /* 4. EC2 instance metadata, the last resort: failures become a note */
  if (imds_disabled()) {
    snm__tried(&tried, "IMDS (disabled by AWS_EC2_METADATA_DISABLED)");
  } else {
    rc = snm__creds_from_imds(c, &conf->opts, &sub);
    if (rc == 0) {
      out->source = SNM__SRC_IMDS;
      goto done;
    }
    if (rc == SNM_ENOMEM || rc == SNM_ECANCELED) {
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
    snm__fetched_dispose(out);
  snm_buf_dispose(&tried);
  return rc;
}

/* Fetch again from `from`, the source the cached credentials came from. */
static int refresh(struct snm__fetched *out, const struct snm__creds_conf *conf,
                   enum snm__creds_source from, const char *role_profile,
                   struct snm_err *err)
{
  struct snm_creds *fresh = &out->creds;
  struct snm_buf tried;
  int rc;

  snm_buf_init(&tried, TRIED_MAX);
  out->source = from;
  if (from == SNM__SRC_ECS) {
    rc = snm__creds_from_ecs(fresh, &conf->opts, &tried, err);
    if (rc == 0 && fresh->access_key_id == NULL)
      rc = snm_err_set(err, SNM_EAUTH,
                       "cannot refresh ECS container credentials: %s",
                       snm_buf_str(&tried));
  } else if (from == SNM__SRC_ROLE) {
    /* the whole profile chain again: fresh source credentials, then STS */
    rc = snm__creds_from_files(fresh, role_profile, &conf->opts, &tried, err);
    if (rc == 0 && fresh->expiration == 0) {
      /* the profile was edited and no longer assumes a role: keep the
       * role's credentials until they expire rather than switch identity */
      rc = snm_err_set(err, SNM_EAUTH,
                       "cannot assume the role again: AWS profile \"%s\" no "
                       "longer has role_arn",
                       role_profile != NULL ? role_profile : "default");
    }
    if (rc == 0 && role_profile != NULL &&
        (out->role_profile = strdup(role_profile)) == NULL)
      rc = snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
  } else {
    assert(from == SNM__SRC_IMDS);
    rc = snm__creds_from_imds(fresh, &conf->opts, err);
    if (rc < 0 && rc != SNM_ENOMEM && rc != SNM_ECANCELED && err != NULL) {
      struct snm_err sub = *err;
      snm_err_set(err, rc, "EC2 instance metadata: %s", sub.msg);
      err->http_status = sub.http_status;
    }
  }
  if (rc < 0)
    snm__fetched_dispose(out);
  snm_buf_dispose(&tried);
  return rc;
}

void snm__fetched_init(struct snm__fetched *f)
{
  snm_creds_init(&f->creds);
  f->source = SNM__SRC_NONE;
  f->role_profile = NULL;
}

void snm__fetched_dispose(struct snm__fetched *f)
{
  snm_creds_dispose(&f->creds);
  free(f->role_profile);
  snm__fetched_init(f);
}

int snm__creds_fetch(struct snm__fetched *out,
                     const struct snm__creds_conf *conf,
                     enum snm__creds_source from, const char *role_profile,
                     struct snm_err *err)
{
  snm__fetched_init(out);
  if (from == SNM__SRC_NONE)
    return resolve_chain(out, conf, err);
  return refresh(out, conf, from, role_profile, err);
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

int snm__creds_conf_init(struct snm__creds_conf *c,
                         const struct snm_creds_opts *opts)
{
  static const struct snm_creds_opts no_opts;

  memset(c, 0, sizeof(*c));
  if (opts == NULL)
    opts = &no_opts;
  c->opts = *opts;
  if (dup_opt(&c->profile, opts->profile) < 0 ||
      dup_opt(&c->imds_endpoint, opts->imds_endpoint) < 0 ||
      dup_opt(&c->ecs_endpoint, opts->ecs_endpoint) < 0 ||
      dup_opt(&c->sts_endpoint, opts->sts_endpoint) < 0) {
    snm__creds_conf_dispose(c);
    return SNM_ENOMEM;
  }
  c->opts.profile = c->profile;
  c->opts.imds_endpoint = c->imds_endpoint;
  c->opts.ecs_endpoint = c->ecs_endpoint;
  c->opts.sts_endpoint = c->sts_endpoint;
  if (c->opts.timeout_ms <= 0)
    c->opts.timeout_ms = SNM__DEFAULT_TIMEOUT_MS;
  if (c->opts.sts_timeout_ms <= 0)
    c->opts.sts_timeout_ms = SNM__DEFAULT_STS_TIMEOUT_MS;
  return 0;
}

void snm__creds_conf_dispose(struct snm__creds_conf *c)
{
  free(c->profile);
  free(c->imds_endpoint);
  free(c->ecs_endpoint);
  free(c->sts_endpoint);
  memset(c, 0, sizeof(*c));
}

int snm_creds_provider_new(struct snm_creds_provider **out,
                           const struct snm_creds_opts *opts,
                           struct snm_err *err)
{
  struct snm_creds_provider *p;

  assert(out != NULL);
  *out = NULL;
  p = calloc(1, sizeof(*p));
  if (p == NULL || snm__creds_conf_init(&p->conf, opts) < 0) {
    free(p);
    return snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
  }
  snm_creds_init(&p->cached);
  p->waiters_tail = &p->waiters;
  *out = p;
  return 0;
}

time_t snm__creds_now(const struct snm_creds_provider *p)
{
  return p->conf.opts.now != NULL ? p->conf.opts.now(p->conf.opts.now_payload)
                                  : time(NULL);
}

int snm__creds_install(struct snm_creds_provider *p,
                       enum snm__creds_source from, int rc,
                       struct snm__fetched *f, struct snm_err *err)
{
  time_t now;

  if (rc == 0) {
    snm_creds_dispose(&p->cached);
    p->cached = f->creds; /* moved */
    snm_creds_init(&f->creds);
    p->source = f->source;
    free(p->role_profile);
    p->role_profile = f->role_profile; /* moved */
    f->role_profile = NULL;
    snm_log(SNM_LOG_DEBUG,
            from == SNM__SRC_NONE ? "AWS credentials from %s"
                                  : "refreshed AWS credentials from %s",
            p->cached.source);
    return 0;
  }
  if (from == SNM__SRC_NONE) {
    p->source = SNM__SRC_NONE; /* the next use walks the chain again */
    return rc;
  }
  now = snm__creds_now(p);
  if (rc == SNM_ENOMEM || rc == SNM_ECANCELED || now >= p->cached.expiration)
    return rc;
  snm_log(SNM_LOG_WARN,
          "could not refresh AWS credentials (%s); using the current ones "
          "until they expire in %lld s",
          err->msg, (long long)(p->cached.expiration - now));
  return 0;
}

static int needs_refresh(const struct snm_creds_provider *p, time_t now)
{
  if (p->source != SNM__SRC_ECS && p->source != SNM__SRC_IMDS &&
      p->source != SNM__SRC_ROLE)
    return 0; /* static credentials never expire here */
  if (p->cached.expiration == 0)
    return 0;
  return p->cached.expiration - now <= SNM__REFRESH_WINDOW_S;
}

int snm_creds_provider_get(struct snm_creds_provider *p, struct snm_creds *out,
                           struct snm_err *err)
{
  enum snm__creds_source from = p->source;
  struct snm__fetched f;
  struct snm_err sub;
  int rc;

  assert(p != NULL && out != NULL);
  assert(p->job == NULL); /* not while a fetch runs on the thread pool */
  snm_creds_init(out);
  snm_err_clear(&sub);
  if (from == SNM__SRC_NONE || needs_refresh(p, snm__creds_now(p))) {
    rc = snm__creds_fetch(&f, &p->conf, from, p->role_profile, &sub);
    rc = snm__creds_install(p, from, rc, &f, &sub);
    snm__fetched_dispose(&f);
    if (rc < 0) {
      if (err != NULL)
        *err = sub;
      return rc;
    }
  }
  return snm_creds_copy(out, &p->cached, err);
}

int snm_creds_provider_peek(struct snm_creds_provider *p, struct snm_creds *out,
                            struct snm_err *err)
{
  time_t now;
  int rc;

  assert(p != NULL && out != NULL);
  snm_creds_init(out);
  if (p->source == SNM__SRC_NONE)
    return SNM_CREDS_NEEDED;
  now = snm__creds_now(p);
  if (p->cached.expiration != 0 && now >= p->cached.expiration)
    return SNM_CREDS_NEEDED;
  rc = snm_creds_copy(out, &p->cached, err);
  if (rc < 0)
    return rc;
  return needs_refresh(p, now) ? SNM_CREDS_STALE : SNM_CREDS_FRESH;
}
