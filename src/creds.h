/* creds.h - the AWS credential chain, in the AWS CLI's order:
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN;
 *   2. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 *      AWS_CONFIG_FILE (~/.aws/config, "[profile x]" sections), profile from
 *      the plan, else AWS_PROFILE, else "default";
 *   3. ECS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI /
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI, with the authorization token);
 *   4. EC2 IMDSv2 (PUT token, then role name, then role credentials), with
 *      short timeouts.
 * Secrets are registered with snm_log_add_secret as soon as they are read.
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

void snm_creds_init(struct snm_creds *c);
void snm_creds_dispose(struct snm_creds *c); /* frees and zeroes secrets */
int snm_creds_copy(struct snm_creds *dst, const struct snm_creds *src,
                   struct snm_err *err);

struct snm_creds_opts {
  const char *profile; /* NULL: $AWS_PROFILE, else "default" */
  long timeout_ms;     /* per remote request (ECS/IMDS); 0: 1000 */
  /* Base URL of the instance metadata service; NULL:
   * $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254 */
  const char *imds_endpoint;
};

struct snm_creds_provider; /* caches and refreshes one chain's result */

/* Create a provider; resolves nothing yet.  Returns 0 or SNM_ENOMEM. */
int snm_creds_provider_new(struct snm_creds_provider **out,
                           const struct snm_creds_opts *opts,
                           struct snm_err *err);
void snm_creds_provider_free(struct snm_creds_provider *p);

/* Current credentials, copied into `out` (caller disposes).  The chain is
 * walked on first use; temporary credentials are fetched again when they
 * expire within 5 minutes.  Remote fetches block for at most the configured
 * timeouts.  Returns 0, or SNM_EAUTH when no source has credentials (the
 * message lists what was tried), or another SNM_E* code. */
int snm_creds_provider_get(struct snm_creds_provider *p, struct snm_creds *out,
                           struct snm_err *err);

#endif
