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
 *
 * Two ways to use a provider: snm_creds_provider_get blocks while it reads
 * files and asks ECS, IMDS or STS (for a command without an event loop);
 * on an event loop, snm_creds_provider_peek never blocks and
 * snm_creds_provider_fetch does the blocking part on libuv's thread pool
 * (uv_queue_work), so the loop keeps running meanwhile.
 */
#ifndef SNM_CREDS_H
#define SNM_CREDS_H

#include <time.h>
#include <uv.h>

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
 * belongs to one thread (the loop's); its fetches run elsewhere on copies. */
int snm_creds_provider_new(struct snm_creds_provider **out,
                           const struct snm_creds_opts *opts,
                           struct snm_err *err);
/* Zero and free.  With a fetch under way (snm_creds_provider_fetch) the
 * fetch is abandoned: its waiters are dropped without being called, its
 * worker is told to stop (an HTTP request it is making is aborted within
 * about a second; a running worker cannot be stopped sooner), and what it
 * holds is freed on the loop when it ends.  So keep running the loop until
 * uv_run returns before uv_loop_close, as for any request. */
void snm_creds_provider_free(struct snm_creds_provider *p);

/* Current credentials, copied into `out` (need not be initialised; the
 * caller disposes it, also on failure).  The chain is walked on first use
 * and after a failure; credentials from ECS/IMDS or an assumed role that
 * expire within 5 minutes are fetched again from the same source (an
 * assumed role is assumed again, with fresh source credentials; if that
 * fails while they are still valid, the cached ones are returned with a
 * warning).  Remote fetches block for at most the configured timeouts
 * (on a loop, use snm_creds_provider_peek and _fetch instead; never call
 * this while a fetch is under way).
 * Returns 0, or SNM_EAUTH when no source has credentials (the message lists
 * what was tried), for a half-set environment, a missing named profile, a
 * profile that needs an unsupported provider, a broken assume-role profile
 * (missing or looping source_profile, mfa_serial, ...) or a role STS
 * refuses to let the source identity assume; SNM_EPARSE/SNM_EIO for a bad
 * shared file; SNM_ENET/SNM_ETIMEOUT/SNM_EHTTP/SNM_EPARSE/SNM_EINVAL when
 * ECS or STS is configured but fails; SNM_ENOMEM. */
int snm_creds_provider_get(struct snm_creds_provider *p, struct snm_creds *out,
                           struct snm_err *err);

/* ---- on an event loop ---- */

/* What snm_creds_provider_peek found. */
enum snm_creds_state {
  SNM_CREDS_FRESH = 0, /* `out` filled, no refresh due */
  SNM_CREDS_STALE = 1, /* `out` filled and still valid, but they expire
                          within the refresh window: fetch again, without
                          waiting */
  SNM_CREDS_NEEDED = 2 /* nothing usable (not fetched yet, the last walk of
                          the chain failed, or expired): fetch and wait */
};

/* The cached credentials, never fetching.  Returns an snm_creds_state
 * (`out`, which need not be initialised, is filled for FRESH and STALE,
 * empty for NEEDED; the caller disposes it), or SNM_ENOMEM. */
int snm_creds_provider_peek(struct snm_creds_provider *p, struct snm_creds *out,
                            struct snm_err *err);

struct snm_creds_wait;

/* A fetch ended: `status` 0 (snm_creds_provider_peek now has usable
 * credentials) or the fetch's error, as from snm_creds_provider_get, in
 * `err` (valid during the call; its message holds no secret). */
typedef void (*snm_creds_wait_fn)(struct snm_creds_wait *w, int status,
                                  const struct snm_err *err);

/* One waiter for a fetch, embedded in the caller's struct (libuv's
 * request style); it must stay put until its callback ran or it was
 * cancelled. */
struct snm_creds_wait {
  void *data; /* the caller's */
  /* private */
  snm_creds_wait_fn cb;
  struct snm_creds_provider *p; /* NULL when not waiting */
  struct snm_creds_wait *next;
  unsigned gen; /* the fetch it waits for */
};

/* Fetch credentials without blocking the loop: walk the chain (nothing
 * resolved yet, or the last walk failed) or fetch again from the source
 * they came from, with the blocking code of snm_creds_provider_get run on
 * `loop`'s thread pool.  At most one fetch per provider runs at a time:
 * when one is under way, nothing new starts and `w` waits for that one.
 * `w` may be NULL (a refresh ahead of expiry nobody waits for).
 *
 * Returns 0: `cb(w, ...)` runs once from the loop when the fetch ends
 * (never from inside this call), unless `w` is cancelled or the provider
 * freed first.  Waiters are called in the order they came.  A callback
 * may peek, start another fetch, or cancel any wait; not free the
 * provider.  A failed refresh while the cached credentials are still valid
 * logs a warning and reports 0 (as snm_creds_provider_get does).
 * Or returns SNM_ENOMEM/SNM_EIO (the thread pool refused the work) with
 * `err` filled, and `cb` is never called.
 *
 * The worker reads the environment: do not change it (setenv) while a
 * fetch runs.  curl_global_init() must have been called. */
int snm_creds_provider_fetch(struct snm_creds_provider *p, uv_loop_t *loop,
                             struct snm_creds_wait *w, snm_creds_wait_fn cb,
                             struct snm_err *err);

/* 1 while a fetch is under way. */
int snm_creds_provider_busy(const struct snm_creds_provider *p);

/* Ask the fetch under way to stop (shutdown): an HTTP request it is making
 * is aborted within about a second, and the fetch ends with SNM_ECANCELED
 * (its waiters are told, from the loop, as usual) unless it got through
 * first.  A no-op when no fetch runs. */
void snm_creds_provider_cancel(struct snm_creds_provider *p);

/* Stop waiting: `w`'s callback will not run.  A no-op when `w` is not
 * waiting.  The fetch itself goes on. */
void snm_creds_wait_cancel(struct snm_creds_wait *w);

#endif
