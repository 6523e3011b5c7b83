/* creds.h - the AWS credential chain, in the AWS CLI's order:
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN;
 *   2. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 *      AWS_CONFIG_FILE (~/.aws/config, "[profile x]" sections), profile from
 *      the plan, else AWS_PROFILE, else "default"; a profile with role_arn
 *      and source_profile or credential_source assumes that role with STS
 *      AssumeRole (chains of such profiles included);
 *   3. ECS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI /
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI, with the authorization token);
 *   4. EC2 IMDSv2 (PUT token, then role name, then role credentials), with
 *      short timeouts.
 * Secrets are registered with snm_secret_add (secret.h) as soon as they are
 * read.
 */
#ifndef SNM_CREDS_H
#define SNM_CREDS_H

#include <time.h>

#include "err.h"

struct snm_creds {
  char *access_key_id;     /* malloced */
  char *secret_access_key; /* malloced; secret */
  char *session_token;     /* NULL or malloced; secret */
  time_t expiration;       /* 0: does not expire */
  char source[96];         /* where they came from, for messages */
};

/* Empty credentials: no strings, no expiration, empty source. */
void snm_creds_init(struct snm_creds *c);
/* Zero (OPENSSL_cleanse) the secrets, free everything, leave `c` empty. */
void snm_creds_dispose(struct snm_creds *c);
/* Deep copy; `dst` need not be initialised.  Returns 0, or SNM_ENOMEM with
 * `dst` left empty.  The caller disposes `dst`. */
int snm_creds_copy(struct snm_creds *dst, const struct snm_creds *src,
                   struct snm_err *err);

struct snm_creds_opts {
  /* The plan's profile, like the CLI's --profile: when set, environment
   * credentials are ignored (the CLI's rule).  NULL: $AWS_PROFILE (which
   * does not hide environment credentials), else "default". */
  const char *profile;
  /* ECS/IMDS: connect timeout per request; a whole request may take twice
   * this long.  0: 1000 (so at most 1 s to connect, 2 s per request). */
  long timeout_ms;
  /* Base URL of the instance metadata service; NULL:
   * $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254 */
  const char *imds_endpoint;

  /* Test hooks; leave them zero in production. */
  /* Base URL that AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is appended to;
   * NULL: http://169.254.170.2 */
  const char *ecs_endpoint;
  /* The clock used to decide on refreshes; NULL: time(). */
  time_t (*now)(void *payload);
  void *now_payload;

  /* STS (assume-role profiles): connect timeout per request; a whole
   * request may take twice this long.  0: 5000. */
  long sts_timeout_ms;
  /* Base URL of STS, e.g. a VPC endpoint or, in tests, a loopback stand-in
   * (https, or http to a loopback address only).  NULL:
   * $AWS_ENDPOINT_URL_STS, else the regional endpoint (docs/credentials.md).
   */
  const char *sts_endpoint;
};

struct snm_creds_provider; /* caches and refreshes one chain's result */

/* Create a provider; resolves nothing yet.  `opts` may be NULL (all
 * defaults); its strings are copied.  Returns 0 or SNM_ENOMEM.  A provider
 * is not thread-safe. */
int snm_creds_provider_new(struct snm_creds_provider **out,
                           const struct snm_creds_opts *opts,
                           struct snm_err *err);
void snm_creds_provider_free(struct snm_creds_provider *p); /* zeroes */

/* Current credentials, copied into `out` (need not be initialised; the
 * caller disposes it, also on failure).  The chain is walked on first use
 * and after a failure; credentials from ECS/IMDS or an assumed role that
 * expire within 5 minutes are fetched again from the same source (an
 * assumed role is assumed again, with fresh source credentials; if that
 * fails while they are still valid, the cached ones are returned with a
 * warning).  Remote fetches block for at most the configured timeouts.
 * Returns 0, or SNM_EAUTH when no source has credentials (the message lists
 * what was tried), for a half-set environment, a missing named profile, a
 * profile that needs an unsupported provider, a broken assume-role profile
 * (missing or looping source_profile, mfa_serial, ...) or a role STS
 * refuses to let the source identity assume; SNM_EPARSE/SNM_EIO for a bad
 * shared file; SNM_ENET/SNM_ETIMEOUT/SNM_EHTTP/SNM_EPARSE/SNM_EINVAL when
 * ECS or STS is configured but fails; SNM_ENOMEM. */
int snm_creds_provider_get(struct snm_creds_provider *p, struct snm_creds *out,
                           struct snm_err *err);

#endif
