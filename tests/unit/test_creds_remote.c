/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the remote credential sources: the ECS container
 * endpoint and EC2 IMDSv2, played by the loopback stand-in server
 * (tests/support/standin_http.h), and the provider's refresh.  No test
 * reaches 169.254.169.254 or 169.254.170.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "creds.h"
#include "creds_fixture.h"
#include "creds_int.h"
#include "err.h"
#include "standin_http.h"

#define ROLES "/latest/meta-data/iam/security-credentials/"
#define EXP "2030-01-02T03:04:05Z"
#define EXP_T ((time_t)1893553445)   /* EXP as a time_t */
#define LATER "2031-06-01T00:00:00Z" /* a later expiration */
#define LATER_T ((time_t)1938038400) /* LATER as a time_t */
#define IMDS_TOKEN "imds-session-token-AQAEAxyz"
#define ECS_TOKEN "ecs-authorization-token-0123"

static time_t fake_clock(void *payload)
{
  return *(time_t *)payload;
}

/* The i-th recorded request must be `method target`; returns header `name`
 * (malloced, or NULL). */
static char *request_header(struct snm_standin *s, size_t i, const char *method,
                            const char *target, const char *name)
{
  struct snm_standin_request r;
  char *v;

  assert_int_equal(snm_standin_request_get(s, i, &r), 0);
  assert_string_equal(r.method, method);
  assert_string_equal(r.target, target);
  v = snm_standin_request_header(&r, name);
  snm_standin_request_dispose(&r);
  return v;
}

static void add_reply(struct snm_standin *s, const char *method,
                      const char *path, int status, const char *body, int times)
{
  struct snm_standin_reply r = {.method = method,
                                .path = path,
                                .status = status,
                                .body = body,
                                .times = times};

  assert_int_equal(snm_standin_add(s, &r), 0);
}

/* A stand-in for EC2 IMDS: token, role "app-role", credentials. */
static void script_imds(struct snm_standin *s, const char *id,
                        const char *secret, const char *exp, int times)
{
  add_reply(s, "PUT", "/latest/api/token", 200, IMDS_TOKEN, times);
  add_reply(s, "GET", ROLES, 200, "app-role\n", times);
  add_reply(s, "GET", ROLES "app-role", 200,
            snm_fx_creds_json("Success", id, secret, "imds-sess-tok", exp),
            times);
}

static void test_ecs_full_uri_with_token(void **state)
{
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char url[128], *auth;
  (void)state;

  /* stand-in for the ECS credentials endpoint */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(
      s, "GET", "/creds?x=1", 200,
      snm_fx_creds_json(NULL, "AKIDECS", "secret-ecs-1", "tok-ecs-1", EXP), 0);
  snprintf(url, sizeof(url), "%s/creds?x=1", snm_standin_url(s));
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_TOKEN, 1);

  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDECS");
  assert_string_equal(c.secret_access_key, "secret-ecs-1");
  assert_string_equal(c.session_token, "tok-ecs-1");
  assert_int_equal(c.expiration, EXP_T);
  assert_string_equal(c.source, "ECS container credentials");
  assert_int_equal(snm_standin_request_count(s), 1);
  auth = request_header(s, 0, "GET", "/creds?x=1", "Authorization");
  assert_non_null(auth);
  assert_string_equal(auth, ECS_TOKEN);
  free(auth);
  assert_true(snm_fx_is_redacted(ECS_TOKEN));
  assert_true(snm_fx_is_redacted("secret-ecs-1"));
  assert_true(snm_fx_is_redacted("tok-ecs-1"));
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_ecs_token_file_and_relative_uri(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char *auth;
  (void)state;

  /* stand-in for the ECS credentials endpoint at 169.254.170.2 */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "GET", "/v2/credentials/uuid-1", 200,
            snm_fx_creds_json(NULL, "AKIDREL", "secret-rel-1", "tok-rel", EXP),
            0);
  opts.ecs_endpoint = snm_standin_url(s);
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/uuid-1", 1);
  /* the relative URI wins over the full one */
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/x", 1);
  /* the token file wins over the variable; its final newline is dropped */
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
         snm_fx_file("file-token-4567\n"), 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "variable-token", 1);

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDREL");
  auth = request_header(s, 0, "GET", "/v2/credentials/uuid-1", "Authorization");
  assert_non_null(auth);
  assert_string_equal(auth, "file-token-4567");
  free(auth);
  assert_true(snm_fx_is_redacted("file-token-4567"));
  snm_creds_dispose(&c);

  /* an unreadable token file is an error naming it */
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/token", 1);
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EIO);
  assert_non_null(strstr(err.msg, "/nonexistent/token"));
  assert_int_equal(snm_standin_request_count(s), 1);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_ecs_full_uri_host_rules(void **state)
{
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.10/creds", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EINVAL);
  assert_non_null(strstr(err.msg, "192.0.2.10"));
  assert_non_null(strstr(err.msg, "not allowed"));

  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EINVAL);

  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "not a url", 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EINVAL);
}

/* An http host name is resolved to check it, and the request is pinned to
 * the checked addresses (CURLOPT_RESOLVE), so a second DNS answer cannot
 * redirect the token. */
static void test_ecs_full_uri_is_pinned(void **state)
{
  struct curl_slist *resolve = NULL;
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char url[128], prefix[64];
  (void)state;

  assert_int_equal(
      snm__ecs_check_full_uri("http://localhost/creds", &resolve, &err), 0);
  assert_non_null(resolve);
  assert_null(resolve->next);
  assert_int_equal(strncmp(resolve->data, "localhost:80:", 13), 0);
  assert_non_null(strstr(resolve->data, "127.0.0.1"));
  assert_null(strstr(resolve->data, ",,"));
  curl_slist_free_all(resolve);
  /* address literals and https need no pin */
  assert_int_equal(
      snm__ecs_check_full_uri("http://127.0.0.1:8/creds", &resolve, &err), 0);
  assert_null(resolve);
  assert_int_equal(
      snm__ecs_check_full_uri("http://[::1]:8/creds", &resolve, &err), 0);
  assert_null(resolve);
  assert_int_equal(
      snm__ecs_check_full_uri("https://creds.example/x", &resolve, &err), 0);
  assert_null(resolve);
  assert_int_equal(
      snm__ecs_check_full_uri("http://192.0.2.1/x", &resolve, &err),
      SNM_EINVAL);
  assert_null(resolve);

  /* the pinned request still gets there (stand-in for the ECS endpoint) */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "GET", "/creds", 200,
            snm_fx_creds_json(NULL, "AKIDPIN", "secret-pin", "tok-pin", EXP),
            0);
  snprintf(url, sizeof(url), "http://localhost:%d/creds", snm_standin_port(s));
  snprintf(prefix, sizeof(prefix), "localhost:%d:", snm_standin_port(s));
  assert_int_equal(snm__ecs_check_full_uri(url, &resolve, &err), 0);
  assert_non_null(resolve);
  assert_int_equal(strncmp(resolve->data, prefix, strlen(prefix)), 0);
  curl_slist_free_all(resolve);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDPIN");
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_request_count(s), 1);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_ecs_failure_stops_the_chain(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char url[128];
  (void)state;

  /* one stand-in for both the ECS endpoint and IMDS */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "GET", "/creds", 500, "{\"code\":\"x\"}", 1);
  add_reply(s, "GET", "/creds", 200, "not json", 1);
  script_imds(s, "AKIDIMDS", "secret-imds", EXP, 0);
  snprintf(url, sizeof(url), "%s/creds", snm_standin_url(s));
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EHTTP);
  assert_int_equal(err.http_status, 500);
  assert_non_null(strstr(err.msg, "ECS container credentials: GET"));
  assert_non_null(strstr(err.msg, "HTTP 500"));
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, "not a JSON object"));
  /* IMDS was never asked */
  assert_int_equal(snm_standin_request_count(s), 2);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_deeply_nested_reply(void **state)
{
  enum { LEVELS = 30000 }; /* the reply fits the 64 KiB cap */
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char url[128], *deep;
  (void)state;

  /* stand-in for an ECS credentials endpoint gone wrong: [[[...]]] */
  deep = malloc(2 * LEVELS + 1);
  assert_non_null(deep);
  memset(deep, '[', LEVELS);
  memset(deep + LEVELS, ']', LEVELS);
  deep[2 * LEVELS] = '\0';
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "GET", "/creds", 200, deep, 0);
  free(deep);
  snprintf(url, sizeof(url), "%s/creds", snm_standin_url(s));
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);

  /* refused before yajl builds (and recursively frees) the tree */
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, "ECS container credentials: GET"));
  assert_non_null(strstr(err.msg, "nested deeper than 128 levels"));
  assert_int_equal(snm_standin_request_count(s), 1);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_imds_v2(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char *h;
  (void)state;

  /* stand-in for EC2 IMDS */
  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDIMDS", "secret-imds-1", EXP, 0);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDIMDS");
  assert_string_equal(c.secret_access_key, "secret-imds-1");
  assert_string_equal(c.session_token, "imds-sess-tok");
  assert_int_equal(c.expiration, EXP_T);
  assert_string_equal(c.source, "EC2 instance metadata (role \"app-role\")");
  snm_creds_dispose(&c);

  /* token PUT first, then the role, then its credentials */
  assert_int_equal(snm_standin_request_count(s), 3);
  h = request_header(s, 0, "PUT", "/latest/api/token",
                     "X-aws-ec2-metadata-token-ttl-seconds");
  assert_non_null(h);
  assert_string_equal(h, "21600");
  free(h);
  h = request_header(s, 1, "GET", ROLES, "X-aws-ec2-metadata-token");
  assert_non_null(h);
  assert_string_equal(h, IMDS_TOKEN);
  free(h);
  h = request_header(s, 2, "GET", ROLES "app-role", "X-aws-ec2-metadata-token");
  assert_non_null(h);
  assert_string_equal(h, IMDS_TOKEN);
  free(h);
  assert_true(snm_fx_is_redacted(IMDS_TOKEN));
  assert_true(snm_fx_is_redacted("secret-imds-1"));

  /* the endpoint may come from AWS_EC2_METADATA_SERVICE_ENDPOINT */
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", snm_standin_url(s), 1);
  assert_int_equal(snm_fx_resolve(NULL, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDIMDS");
  assert_int_equal(snm_standin_request_count(s), 6);
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_imds_refusals(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  /* stand-in for EC2 IMDS that refuses, in turn: the token, the token on
   * the role request, a role, and the credentials' Code */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "PUT", "/latest/api/token", 401, "", 1);
  add_reply(s, "PUT", "/latest/api/token", 200, IMDS_TOKEN, 0);
  add_reply(s, "GET", ROLES, 401, "", 1);
  add_reply(s, "GET", ROLES, 404, "", 1);
  add_reply(s, "GET", ROLES, 200, "app-role", 0);
  add_reply(s, "GET", ROLES "app-role", 200,
            snm_fx_creds_json("AssumeRoleUnauthorizedAccess", "AKIDX",
                              "secret-x-1", "tok", EXP),
            0);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "IMDS (PUT "));
  assert_non_null(strstr(err.msg, "/latest/api/token: HTTP 401"));
  assert_non_null(strstr(err.msg, "IMDSv1"));
  assert_int_equal(snm_standin_request_count(s), 1);

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, ROLES ": HTTP 401"));
  assert_int_equal(snm_standin_request_count(s), 3);

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "no IAM role is attached"));

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "\"AssumeRoleUnauthorizedAccess\""));
  assert_null(strstr(err.msg, "secret-x-1"));
  assert_int_equal(snm_standin_request_count(s), 8);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_imds_unreachable_fails_fast(void **state)
{
  /* a long connect timeout, so that only a refusal can be fast */
  struct snm_creds_opts opts = {.timeout_ms = 5000};
  struct snm_creds c;
  struct snm_err err;
  char url[64];
  uint64_t t0, ms;
  int port;
  (void)state;

  port = snm_standin_unused_port();
  assert_true(port > 0);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = url;
  t0 = uv_hrtime();
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  ms = (uv_hrtime() - t0) / 1000000u;
  assert_true(ms < 2500); /* refused, not timed out */
  assert_non_null(strstr(err.msg, "IMDS (PUT http://127.0.0.1:"));
  assert_non_null(strstr(err.msg, url));
  assert_non_null(strstr(err.msg, "refused"));
}

static void test_imds_timeout(void **state)
{
  struct snm_creds_opts opts = {.timeout_ms = 200};
  struct snm_standin_reply silent = {.path = "/latest/api/token",
                                     .action = SNM_STANDIN_SILENT};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  uint64_t t0, ms;
  (void)state;

  /* stand-in for an EC2 IMDS that never answers */
  assert_int_equal(snm_standin_new(&s), 0);
  assert_int_equal(snm_standin_add(s, &silent), 0);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  t0 = uv_hrtime();
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  ms = (uv_hrtime() - t0) / 1000000u;
  /* The timeout is enforced (no hang); curl may fire it a tick early, so
   * only the message names the limit. */
  assert_true(ms < 10000);
  assert_non_null(strstr(err.msg, "no reply within 400 ms"));
  assert_int_equal(snm_standin_request_count(s), 1);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_imds_disabled(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  /* stand-in for EC2 IMDS that must not be asked */
  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDIMDS", "secret-imds-2", EXP, 0);
  opts.imds_endpoint = snm_standin_url(s);
  setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(
      strstr(err.msg, "IMDS (disabled by AWS_EC2_METADATA_DISABLED)"));
  assert_int_equal(snm_standin_request_count(s), 0);

  /* any other value leaves it on */
  setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_int_equal(snm_standin_request_count(s), 3);
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_refresh_ecs(void **state)
{
  time_t now = EXP_T - 3600;
  struct snm_creds_opts opts = {.now = fake_clock, .now_payload = &now};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char url[128];
  (void)state;

  /* stand-in for the ECS credentials endpoint: a new key on each fetch */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "GET", "/creds", 200,
            snm_fx_creds_json(NULL, "AKIDFIRST", "secret-first", "t1", EXP), 1);
  add_reply(s, "GET", "/creds", 200,
            snm_fx_creds_json(NULL, "AKIDSECOND", "secret-second", "t2", LATER),
            1);
  snprintf(url, sizeof(url), "%s/creds", snm_standin_url(s));
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);

  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDFIRST");
  snm_creds_dispose(&c);
  /* 301 s before expiry: still cached */
  now = EXP_T - 301;
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDFIRST");
  assert_int_equal(snm_standin_request_count(s), 1);
  snm_creds_dispose(&c);
  /* within 5 minutes: fetched again */
  now = EXP_T - 299;
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDSECOND");
  assert_int_equal(c.expiration, LATER_T);
  assert_int_equal(snm_standin_request_count(s), 2);
  snm_creds_dispose(&c);
  /* and the new ones are cached */
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDSECOND");
  assert_int_equal(snm_standin_request_count(s), 2);
  snm_creds_dispose(&c);
  snm_creds_provider_free(p);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_refresh_imds(void **state)
{
  time_t now = EXP_T - 100; /* already within the window: no matter */
  struct snm_creds_opts opts = {.now = fake_clock, .now_payload = &now};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  /* stand-in for EC2 IMDS: a new key on the second round */
  assert_int_equal(snm_standin_new(&s), 0);
  script_imds(s, "AKIDIMDS1", "secret-imds-r1", EXP, 1);
  script_imds(s, "AKIDIMDS2", "secret-imds-r2", LATER, 1);
  unsetenv("AWS_EC2_METADATA_DISABLED");
  opts.imds_endpoint = snm_standin_url(s);
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);

  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDIMDS1");
  assert_int_equal(snm_standin_request_count(s), 3);
  snm_creds_dispose(&c);
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDIMDS2");
  assert_string_equal(c.source, "EC2 instance metadata (role \"app-role\")");
  assert_int_equal(snm_standin_request_count(s), 6);
  snm_creds_dispose(&c);
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_int_equal(snm_standin_request_count(s), 6);
  snm_creds_dispose(&c);
  snm_creds_provider_free(p);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_refresh_failure(void **state)
{
  time_t now = EXP_T - 3600;
  struct snm_creds_opts opts = {.now = fake_clock, .now_payload = &now};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char url[128];
  (void)state;

  /* stand-in for the ECS credentials endpoint that fails after once */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, "GET", "/creds", 200,
            snm_fx_creds_json(NULL, "AKIDONCE", "secret-once", "t1", EXP), 1);
  add_reply(s, "GET", "/creds", 503, "", 0);
  snprintf(url, sizeof(url), "%s/creds", snm_standin_url(s));
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  snm_creds_dispose(&c);

  /* still valid: the cached ones, after one failed try */
  now = EXP_T - 100;
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "AKIDONCE");
  assert_int_equal(snm_standin_request_count(s), 2);
  snm_creds_dispose(&c);
  /* expired: the error */
  now = EXP_T;
  assert_int_equal(snm_creds_provider_get(p, &c, &err), SNM_EHTTP);
  assert_non_null(strstr(err.msg, "HTTP 503"));
  assert_null(c.access_key_id);
  assert_int_equal(snm_standin_request_count(s), 3);
  snm_creds_provider_free(p);
  assert_int_equal(snm_standin_free(s), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, snm_fx_setup, snm_fx_teardown)
      T(test_ecs_full_uri_with_token),
      T(test_ecs_token_file_and_relative_uri),
      T(test_ecs_full_uri_host_rules),
      T(test_ecs_full_uri_is_pinned),
      T(test_ecs_failure_stops_the_chain),
      T(test_deeply_nested_reply),
      T(test_imds_v2),
      T(test_imds_refusals),
      T(test_imds_unreachable_fails_fast),
      T(test_imds_timeout),
      T(test_imds_disabled),
      T(test_refresh_ecs),
      T(test_refresh_imds),
      T(test_refresh_failure),
#undef T
  };
  return cmocka_run_group_tests(tests, snm_fx_group_setup,
                                snm_fx_group_teardown);
}
