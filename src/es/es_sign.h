/* es_sign.h - AWS SigV4 for one domain (es.c's internals): sign each
 * attempt with the cached credentials, and hold requests back while the
 * credentials are fetched, so that the event loop never waits for ECS, IMDS
 * or STS.
 *
 * A request goes out at once when the domain's credential provider has
 * usable credentials (snm_creds_provider_peek); when they expire within
 * the refresh window it also starts a refresh that nobody waits for.  When
 * there are none (first use, a failed walk of the chain, expired), the
 * request is held and a fetch starts on libuv's thread pool (at most one
 * per domain: requests that come meanwhile wait for the same one).  When
 * the fetch ends, every held request is sent, or fails with the fetch's
 * error ("DOMAIN: METHOD PATH: <the chain's message>"), or, when the HTTP
 * engine is closing by then, with SNM_ECANCELED (closing the engine also
 * tells a running fetch to stop, so shutdown does not wait for IMDS or
 * STS timeouts).
 *
 * Everything here runs on the loop thread.
 */
#ifndef SNM_ES_SIGN_H
#define SNM_ES_SIGN_H

#include "err.h"
#include "http.h"

struct snm_es;
struct snm_es_signer; /* one per aws-sigv4 domain */

/* Create the signer of `es` (which must not move while it exists; its
 * `http` and `creds` set).  Returns 0 or SNM_ENOMEM. */
int snm_es_signer_new(struct snm_es_signer **out, struct snm_es *es,
                      struct snm_err *err);

/* Free; requests still held finish with SNM_ECANCELED, their `done`
 * running from inside this call.  NULL is fine. */
void snm_es_signer_free(struct snm_es_signer *s);

/* snm_http_send for a request of the domain (`req->sign` is set here),
 * with the same contract: 0 and `done` runs once from the loop, or an
 * error in `err` and `done` never runs.  `method` and `path` (as given to
 * snm_es_request) name the request in messages. */
int snm_es_signer_send(struct snm_es_signer *s,
                       const struct snm_http_request *req, const char *method,
                       const char *path, snm_http_done_fn done, void *data,
                       struct snm_err *err);

#endif
