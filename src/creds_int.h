/* creds_int.h - internals shared by creds.c (the chain and the provider),
 * creds_file.c (shared files) and creds_remote.c (ECS and IMDS).  Not part
 * of the public API; the unit tests include it to test the pieces.
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

#include <time.h>

#include "buf.h"
#include "creds.h"

struct curl_slist;

/* Default ECS credentials host for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. */
#define SNM__ECS_DEFAULT_ENDPOINT "http://169.254.170.2"
#define SNM__IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define SNM__IMDS_TOKEN_TTL "21600"
#define SNM__DEFAULT_TIMEOUT_MS 1000L

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

/* Shared files, profile `profile` (NULL: not named, i.e. "default" and a
 * missing profile is not an error). */
int snm__creds_from_files(struct snm_creds *out, const char *profile,
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

/* Parse an ISO 8601 UTC timestamp as the metadata services send it, with
 * snm_time_parse ("2024-05-01T12:00:00Z", optional fraction, "Z" or
 * "+hh:mm" offset), to whole seconds.
 * Returns 0 and sets *out, or SNM_EPARSE (no message). */
int snm__parse_iso8601(const char *s, time_t *out);

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
