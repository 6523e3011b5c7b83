/* creds_int.h - internals shared by creds.c (the chain and the provider),
 * creds_async.c (fetching on libuv's thread pool), creds_file.c (shared
 * files and assume-role profiles), creds_remote.c (ECS and IMDS, and the
 * blocking HTTP request they share with STS) and creds_sts.c (the STS
 * AssumeRole call).  Not part of the public API; the unit tests include it
 * to test the pieces.
 *
 * Threads: the source functions below (snm__creds_from_*, snm__sts_*,
 * snm__fetch) and snm__creds_fetch may run on a thread-pool thread.  They
 * read the environment, files and the network, register secrets (the
 * registry is locked: secret.h) and never log directly: they call
 * snm__creds_log, which queues the line for the loop thread while a
 * worker runs (snm__job_ctx).  Everything else here, and the provider,
 * belongs to the loop thread.
 *
 * Every source function has the same contract: it returns 0 and either
 * fills `out` (out->access_key_id != NULL) or, when the source has nothing,
 * leaves `out` empty and appends one "name (why not)" note to `tried`;
 * or it returns a negative SNM_E* code with `err` filled, which stops the
 * chain (the source was configured but is broken or unsupported, as the
 * AWS CLI does it).  `out` must be initialised (snm_creds_init) by the
 * caller.
 */
#ifndef SNM_CREDS_INT_H
#define SNM_CREDS_INT_H

#include <stdatomic.h>
#include "err.h"

#include <time.h>

#include "buf.h"
#include "creds.h"

struct curl_slist;

/* Default ECS credentials host for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. */
#define SNM__ECS_DEFAULT_ENDPOINT "http://169.254.170.2"
#define SNM__IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define SNM__IMDS_TOKEN_TTL "21600"
#define SNM__DEFAULT_TIMEOUT_MS 1000L
#define SNM__DEFAULT_STS_TIMEOUT_MS 5000L
/* Fetch again when temporary credentials expire within this many seconds. */
#define SNM__REFRESH_WINDOW_S 300

/* Where a provider's credentials came from. */
enum snm__creds_source {
  SNM__SRC_NONE = 0, /* not resolved yet */
  SNM__SRC_ENV,
  SNM__SRC_FILES,
  SNM__SRC_ROLE, /* an assume-role profile in the shared files */
  SNM__SRC_ECS,
  SNM__SRC_IMDS
};

/* A provider's settings, with its own copies of the strings. */
struct snm__creds_conf {
  struct snm_creds_opts opts; /* its strings point at the copies below;
                                 timeouts defaulted */
  char *profile;              /* NULL or malloced */
  char *imds_endpoint;        /* NULL or malloced */
  char *ecs_endpoint;         /* NULL or malloced */
  char *sts_endpoint;         /* NULL or malloced */
};

/* Copy `opts` (NULL: all defaults) and fill in the default timeouts.
 * Returns 0 or SNM_ENOMEM (no message; `c` left empty). */
int snm__creds_conf_init(struct snm__creds_conf *c,
                         const struct snm_creds_opts *opts);
void snm__creds_conf_dispose(struct snm__creds_conf *c);

/* What one fetch produced. */
struct snm__fetched {
  struct snm_creds creds;        /* owned */
  enum snm__creds_source source; /* where from */
  char *role_profile;            /* SNM__SRC_ROLE: the profile, or NULL
                                    ("default"); malloced */
};

void snm__fetched_init(struct snm__fetched *f);
void snm__fetched_dispose(struct snm__fetched *f);

/* One fetch, blocking: walk the chain (`from` SNM__SRC_NONE) or fetch
 * again from source `from` (`role_profile`: the profile of an
 * SNM__SRC_ROLE source).  Touches nothing but its arguments, the
 * environment, files, the network and the secret registry, so it may run
 * on a worker thread.  Returns 0 with `out` filled, or the chain's error
 * (snm_creds_provider_get) with `out` empty. */
int snm__creds_fetch(struct snm__fetched *out,
                     const struct snm__creds_conf *conf,
                     enum snm__creds_source from, const char *role_profile,
                     struct snm_err *err);

struct snm__creds_job; /* creds_async.c: a fetch on the thread pool */

struct snm_creds_provider {
  struct snm__creds_conf conf;
  char *role_profile;             /* SNM__SRC_ROLE: the profile, or NULL */
  enum snm__creds_source source;  /* where `cached` came from; NONE: empty */
  struct snm_creds cached;        /* owned */
  struct snm__creds_job *job;     /* NULL, or the fetch under way */
  struct snm_creds_wait *waiters; /* waiting for `job`, oldest first */
  struct snm_creds_wait **waiters_tail;
  unsigned gen; /* counts fetches, to tell their waiters apart */
};

/* Loop thread: take the result of a fetch from `from` (`rc`, `f`, `err`)
 * into `p`.  A failed refresh while the cached credentials are still
 * valid is logged as a warning and becomes 0.  Returns the outcome. */
int snm__creds_install(struct snm_creds_provider *p,
                       enum snm__creds_source from, int rc,
                       struct snm__fetched *f, struct snm_err *err);

/* The current time by the provider's clock (loop thread). */
time_t snm__creds_now(const struct snm_creds_provider *p);

/* ---- a fetch on a worker thread (creds_async.c) ---- */

/* A deferred log line. */
struct snm__log_line {
  struct snm__log_line *next;
  int level;
  char text[]; /* NUL-terminated */
};

/* The worker's context, thread-local while snm__creds_fetch runs there. */
struct snm__job_ctx {
  atomic_int cancel;          /* set by the loop thread: abandon the fetch */
  struct snm__log_line *logs; /* queued lines, oldest first */
  struct snm__log_line **logs_tail;
};

/* Make `ctx` the calling thread's context (NULL: none, log directly). */
void snm__job_ctx_enter(struct snm__job_ctx *ctx);
/* The calling thread's context, or NULL on the loop thread. */
struct snm__job_ctx *snm__job_ctx_current(void);

/* snm_log from the loop thread; from a worker the line is queued and
 * logged (redacted as usual) by the loop thread when the fetch ends. */
void snm__creds_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* getenv() that treats an empty value as unset. */
const char *snm__getenv(const char *name);

/* Append ", " (unless `tried` is empty) and the formatted note. */
void snm__tried(struct snm_buf *tried, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Format the `source` field (truncated to its size). */
void snm__set_source(struct snm_creds *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* free() after zeroing a NUL-terminated string; NULL is fine. */
void snm__free_secret(char *s);

/* The environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN (or AWS_SECURITY_TOKEN).  Half a key pair is SNM_EAUTH. */
int snm__creds_from_env(struct snm_creds *out, struct snm_buf *tried,
                        struct snm_err *err);

/* Shared files, profile `profile` (NULL: not named, i.e. "default" and a
 * missing profile is not an error).  A profile with role_arn (and
 * source_profile or credential_source) is resolved by assuming the role
 * with STS (creds_sts.c); then, and only then, out->expiration is set, and
 * calling this again assumes the role again with fresh source credentials
 * (that is how the provider refreshes them).  Errors: SNM_EAUTH for a
 * missing named profile, an unsupported provider, a broken assume-role
 * configuration (missing or looping source_profile, mfa_serial, bad
 * duration_seconds, ...) or an STS refusal; SNM_EPARSE/SNM_EIO for a bad
 * shared file; the STS call's errors (see snm__sts_assume_role). */
int snm__creds_from_files(struct snm_creds *out, const char *profile,
                          const struct snm_creds_opts *opts,
                          struct snm_buf *tried, struct snm_err *err);

/* ECS/EKS container credentials; nothing when neither
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor ..._FULL_URI is set. */
int snm__creds_from_ecs(struct snm_creds *out,
                        const struct snm_creds_opts *opts,
                        struct snm_buf *tried, struct snm_err *err);

/* EC2 IMDSv2: PUT the session token, GET the role name, GET the role's
 * credentials.  The caller checks AWS_EC2_METADATA_DISABLED.  Returns 0 with
 * `out` filled, or SNM_ENET/SNM_ETIMEOUT (no answer), SNM_EHTTP/SNM_EAUTH
 * (error status), SNM_EPARSE (bad reply) or SNM_ENOMEM; the chain turns
 * those (but SNM_ENOMEM) into a note, since IMDS is the last resort. */
int snm__creds_from_imds(struct snm_creds *out,
                         const struct snm_creds_opts *opts,
                         struct snm_err *err);

/* One blocking HTTP request with a libcurl easy handle (creds_remote.c):
 * connect timeout `timeout_ms`, whole request twice that, no redirects,
 * TLS verification on. */
struct snm__fetch {
  const char *method; /* "GET", "PUT" (empty body) or "POST" (`body`) */
  const char *url;
  const struct curl_slist *headers; /* NULL or borrowed */
  const struct curl_slist *resolve; /* NULL or a CURLOPT_RESOLVE list */
  const char *body;                 /* POST: `body_len` bytes, borrowed */
  size_t body_len;
  long timeout_ms;
  int use_proxy; /* 0: never (link-local services); 1: libcurl's proxy
                    environment variables apply (STS) */
};

/* Perform `f`.  Returns 0 with *status and `body` (whatever the status;
 * `body`'s cap limits the reply), or SNM_ENET/SNM_ETIMEOUT/SNM_ENOMEM with
 * "METHOD URL: why" in `err`; on a worker whose fetch was abandoned
 * (snm__job_ctx.cancel), SNM_ECANCELED, the request being aborted within
 * about a second. */
int snm__fetch(const struct snm__fetch *f, struct snm_buf *body, long *status,
               struct snm_err *err);

/* Append "name: value" to *list (the temporary copy is zeroed).  Returns
 * 0 or SNM_ENOMEM (no message). */
int snm__add_header(struct curl_slist **list, const char *name,
                    const char *value);
/* Zero every line of a header list that carries a secret, and free it;
 * NULL is fine. */
void snm__free_secret_headers(struct curl_slist *list);

/* The STS AssumeRole call (creds_sts.c). */
struct snm__assume_role {
  const char *role_arn;     /* required */
  const char *session_name; /* NULL: "snapmig-<unix seconds>" */
  const char *external_id;  /* NULL: not sent */
  long duration_s;          /* DurationSeconds */
  const char *region;       /* NULL: the global endpoint, us-east-1 */
  int legacy_global;        /* sts_regional_endpoints = legacy */
  const char *profile;      /* the assume-role profile, for messages */
  const char *source;       /* where the source credentials came from, for
                               messages: "source profile \"b\"" */
};

/* Where STS is and how requests to it are signed. */
struct snm__sts_endpoint {
  char url[512];   /* "https://sts.eu-west-1.amazonaws.com/" */
  char host[300];  /* the Host header: host[:port] */
  char path[256];  /* the request target: "/" */
  char region[64]; /* the SigV4 signing region */
};

/* Choose the endpoint: `override` (opts.sts_endpoint, else
 * $AWS_ENDPOINT_URL_STS unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true;
 * https, or http to a loopback address literal) with `region` (or
 * us-east-1) for signing; else https://sts.<region>.amazonaws.com (".com.cn"
 * for cn- regions), or https://sts.amazonaws.com and us-east-1 when there is
 * no region, or when `legacy_global` and `region` is one of the regions
 * the legacy global endpoint served.  Returns 0, or SNM_EINVAL for a bad
 * override or region (the message names the variable or key), or
 * SNM_ENOMEM. */
int snm__sts_endpoint(struct snm__sts_endpoint *out, const char *region,
                      int legacy_global, const char *override,
                      struct snm_err *err);

/* Assume `ar->role_arn` with the source credentials `src`: POST the
 * AssumeRole form, signed with SigV4 (service "sts"), with a blocking
 * easy handle (opts->sts_timeout_ms).  Returns 0 with `out` filled (its
 * expiration always set, its secrets registered with snm_secret_add);
 * SNM_EAUTH when STS refuses (the message has the role, the source, STS's
 * Code and Message and what to do; http_status is set); SNM_EHTTP for
 * other error statuses (throttling, 5xx); SNM_EPARSE for a reply that is
 * not the expected XML; SNM_ENET/SNM_ETIMEOUT; SNM_EINVAL for a bad
 * endpoint; SNM_ENOMEM. */
int snm__sts_assume_role(struct snm_creds *out, const struct snm_creds *src,
                         const struct snm__assume_role *ar,
                         const struct snm_creds_opts *opts,
                         struct snm_err *err);

/* Credentials from an AssumeRole reply body (XML).  Returns 0 with `out`
 * filled and its secrets registered, or SNM_EPARSE ("`what`: why", never
 * quoting the reply) or SNM_ENOMEM. */
int snm__sts_parse_credentials(struct snm_creds *out, const char *xml,
                               size_t len, const char *what,
                               struct snm_err *err) SNM_MUST_CHECK;

/* STS's error reply (ErrorResponse/Error/Code and Message) into `code` and
 * `message` (truncated, control characters replaced).  Returns 0, or
 * SNM_EPARSE when `xml` is not such a reply (both left empty). */
int snm__sts_parse_error(char *code, size_t code_size, char *message,
                         size_t message_size, const char *xml,
                         size_t len) SNM_MUST_CHECK;

/* Parse an ISO 8601 UTC timestamp as the metadata services send it, with
 * snm_time_parse ("2024-05-01T12:00:00Z", optional fraction, "Z" or
 * "+hh:mm" offset), to whole seconds.
 * Returns 0 and sets *out, or SNM_EPARSE (no message). */
int snm__parse_iso8601(const char *s, time_t *out) SNM_MUST_CHECK;

/* Check AWS_CONTAINER_CREDENTIALS_FULL_URI: https to anywhere, or http to
 * a host whose every address is loopback, 169.254.170.2, 169.254.170.23
 * or fd00:ec2::23.  For http to a name, *resolve gets one CURLOPT_RESOLVE
 * entry ("host:port:addr,...") pinning the request to the addresses that
 * were checked (caller frees with curl_slist_free_all); else NULL.
 * Returns 0, SNM_EINVAL (message names the variable and what is allowed)
 * or SNM_ENOMEM. */
int snm__ecs_check_full_uri(const char *uri, struct curl_slist **resolve,
                            struct snm_err *err);

#endif
