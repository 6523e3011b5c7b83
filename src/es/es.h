/* SPDX-License-Identifier: Apache-2.0 */
/* es.h - one Elasticsearch/OpenSearch domain as snapmig talks to it.
 *
 * A `struct snm_es` ties a plan domain to the HTTP engine: it builds
 * request paths (each name percent-encoded, so what is sent is what is
 * signed), authenticates (none, basic from an environment variable, or AWS
 * SigV4 through the credential chain), parses JSON replies and turns
 * errors into one line naming the domain, the request and the server's
 * reason, with a hint for 401/403.
 *
 * Everything runs on the HTTP engine's loop thread.  AWS credentials are
 * fetched on libuv's thread pool (creds.h), never on the loop: a request
 * of an aws-sigv4 domain that has no usable credentials yet is held until
 * the fetch ends, while the loop goes on with everything else.
 */
#ifndef SNM_ES_H
#define SNM_ES_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "compat.h"
#include "err.h"

struct snm_buf;
struct snm_domain;
struct snm_http;
struct snm_creds_provider;
struct snm_es_signer;

/* Observer of every request a domain sends (tests, -v traces). */
typedef void (*snm_es_trace_fn)(const char *domain_id, const char *method,
                                const char *path, void *payload);

struct snm_es {
  const struct snm_domain *dom;     /* borrowed from the plan */
  struct snm_http *http;            /* borrowed */
  struct snm_creds_provider *creds; /* NULL or owned (aws-sigv4) */
  struct snm_es_signer *signer;     /* NULL or owned (aws-sigv4): signs,
                                       holds requests while credentials
                                       are fetched (es_sign.h) */
  char *basic_auth;      /* NULL or malloced "Basic base64"; secret */
  char creds_source[96]; /* where the last signing credentials came from */
  int read_only;         /* 1: only GET, HEAD and the POSTs that read
                            (snm_es_may_send) may be sent */
  snm_es_trace_fn trace; /* NULL or observer */
  void *trace_payload;
  unsigned long requests; /* sent so far */
};

/* Prepare `es` for `dom`.  Basic auth reads the password from the
 * variable named by password_env now (and registers the password, and
 * "user:password" in base64 and in clear, as secrets: secret.h);
 * aws-sigv4 creates a credential provider that resolves on first use, and
 * watches `http` for its closing.  `es` must not move until disposed.
 * Returns 0; SNM_EAUTH when password_env is not set or empty (message
 * names the domain and the variable); SNM_EINVAL when the basic auth
 * username holds a ':'; SNM_ENOMEM.  Dispose with snm_es_dispose even on
 * failure. */
int snm_es_init(struct snm_es *es, const struct snm_domain *dom,
                struct snm_http *http, struct snm_err *err);
/* Free what `es` holds.  Call it after the loop ran out (as for the HTTP
 * engine's calls); requests still held for credentials then finish with
 * SNM_ECANCELED from inside this call, and a credential fetch still running
 * is abandoned (creds.h: snm_creds_provider_free). */
void snm_es_dispose(struct snm_es *es);

/* A reply that arrived (any status). */
struct snm_es_reply {
  long status;
  yajl_val json;    /* parsed body, or NULL when empty or not JSON */
  const char *body; /* raw body, NUL-terminated */
  size_t body_len;
  int attempts;
  double elapsed_s;
};

/* Completion: called once per successful snm_es_request, from the loop.
 *  - transport failure: reply NULL, err as from the HTTP engine;
 *  - 2xx: reply set, err->code SNM_OK; but a 2xx whose body is an error
 *    object, {"error": {...} or "...", "status": N} with N in 400..599 (as
 *    some proxies answer), fails like status N: SNM_EAUTH for 401/403,
 *    else SNM_EHTTP, err->http_status N, the message "DOMAIN: METHOD PATH:
 *    HTTP 200 with an error body (status N): type: reason";
 *  - 401/403: reply set, SNM_EAUTH; other statuses: reply set, SNM_EHTTP
 *    (err->http_status set).
 *  - a JSON body nested deeper than SNM_JSON_MAX_DEPTH (128) levels, any
 *    status: reply set with json NULL, SNM_EPARSE (err->http_status set),
 *    "DOMAIN: METHOD PATH: reply nested deeper than 128 levels".  The message
 * reads "DOMAIN: METHOD PATH: HTTP 404 index_not_found_exception: no such index
 * [x]" (plus a hint for 401/403), so callers can use it as is or treat an
 * expected status (404 for "absent") as an answer.  A long path is
 * shortened in the middle ("/a,b,...(37 more)...,y,z/_count") and a long
 * reason too, so that the message keeps the status, the reason and the
 * hint within SNM_ERR_MSG_MAX.  The reply body was scrubbed of every known
 * secret by the HTTP engine (secret.h).  `reply` and its JSON are valid
 * only during the callback. */
typedef void (*snm_es_done_fn)(const struct snm_es_reply *reply,
                               const struct snm_err *err, void *data);

/* 1 when `es` may send `method` `path`: always, unless es->read_only,
 * which allows only GET, HEAD and POST to exactly /_msearch (searches,
 * which read), /_index_template/_simulate and /_ingest/pipeline/_simulate
 * (checks of a body that store nothing).
 * snm_es_request and every other carrier of requests (a test's transport)
 * apply this one rule. */
int snm_es_may_send(const struct snm_es *es, const char *method,
                    const char *path);

/* Send METHOD `path` (built with snm_es_path: already encoded, may carry a
 * "?query"; the domain's base path is prepended) with an optional JSON
 * body.  `replay` is an snm_http_replay value (0: by method).  Returns 0
 * and calls `done` once; or SNM_EINVAL/SNM_ENOMEM/SNM_ECANCELED (the engine
 * is closing) with `err` filled and `done` never called.  With
 * es->read_only set, a method other than GET or HEAD (but POST /_msearch,
 * which only searches) is refused with
 * SNM_EINVAL before anything is sent or traced.
 * aws-sigv4: when the domain has no usable credentials yet, the request is
 * held while they are fetched (one fetch for every request that waits);
 * if the fetch fails, `done` gets reply NULL and the credential chain's
 * error (SNM_EAUTH, SNM_ENET, ...: "DOMAIN: METHOD PATH: <why>"); if the
 * engine closes meanwhile, SNM_ECANCELED. */
int snm_es_request(struct snm_es *es, const char *method, const char *path,
                   const char *json_body, int replay, snm_es_done_fn done,
                   void *data, struct snm_err *err);

/* snm_es_request for a reply that may be huge (a listing the caller reads
 * with a streaming parser): a 2xx reply is not parsed into a yajl tree
 * (a tree costs about eight times the body), so `reply->json` is NULL and
 * the caller reads `reply->body`.  Nothing else changes: a 2xx whose body
 * is an error object fails as with snm_es_request (a scan of the body's
 * top level, which builds nothing, finds the candidates, and only those
 * are parsed), a body nested deeper than SNM_JSON_MAX_DEPTH fails with
 * SNM_EPARSE, and the body of any other status is parsed as before. */
int snm_es_request_raw(struct snm_es *es, const char *method, const char *path,
                       const char *json_body, int replay, snm_es_done_fn done,
                       void *data, struct snm_err *err);

/* snm_es_request with a newline-delimited JSON body (_msearch, _bulk):
 * sent as Content-Type application/x-ndjson; the reply is read as with
 * snm_es_request. */
int snm_es_request_ndjson(struct snm_es *es, const char *method,
                          const char *path, const char *ndjson_body, int replay,
                          snm_es_done_fn done, void *data, struct snm_err *err);

/* Append a request path to `out` from `fmt`: literal text is copied as is
 * (it must be URL-safe), each "%s" takes a string argument that is
 * percent-encoded as one path segment or query value (so '/', ',', '*',
 * '<', ':' and UTF-8 in names are safe), "%l" takes a (const char *const *,
 * size_t) pair and writes the items encoded and joined with ',', and "%%"
 * is a '%'.  Returns 0, SNM_EINVAL for another conversion, SNM_ENOMEM;
 * on an error `out` may hold a cut-off path, which must not be sent. */
int snm_es_path(struct snm_buf *out, const char *fmt, ...) SNM_MUST_CHECK;

/* The server's own explanation in an error body: "type: reason" from
 * {"error": {...}}, a plain "error" string, or AWS's {"message": ...};
 * appended to `out` (nothing when none is found) with control characters
 * replaced by '?' (snm_sanitize_line).  Returns 0/SNM_ENOMEM. */
int snm_es_error_reason(struct snm_buf *out, yajl_val json, const char *body,
                        size_t body_len) SNM_MUST_CHECK;

/* The permission an OpenSearch security plugin refusal names: from a
 * reason such as "no permissions for [cluster:admin/repository/put] and
 * User [name=...]" the text between the first "no permissions for [" and
 * the next ']' (when several are listed, the first).  Writes it to `out`
 * (NUL-terminated, cut to out_size - 1) and returns 1; returns 0 (out = "")
 * when the reason names none. */
int snm_es_denied_permission(char *out, size_t out_size, const char *reason);

/* The security plugin's predefined role that grants `permission`, for
 * advice: "manage_snapshots" for the cluster:admin/repository/ and
 * cluster:admin/snapshot/ actions, NULL for anything else. */
const char *snm_es_role_granting(const char *permission);

/* What GET / says about a cluster. */
struct snm_es_info {
  struct snm_version version; /* engine and number */
  char cluster_name[128];
  char number[32]; /* version.number as reported */
};

/* Parse the reply of GET /.  OpenSearch says "distribution": "opensearch";
 * anything else is Elasticsearch.  Returns 0, or SNM_EPARSE with a message
 * naming `domain_id`. */
int snm_es_parse_info(struct snm_es_info *out, yajl_val json,
                      const char *domain_id,
                      struct snm_err *err) SNM_MUST_CHECK;

#endif
