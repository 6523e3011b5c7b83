/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for assume-role profiles: the profile chain (source_profile,
 * credential_source, loops), the STS AssumeRole call and its replies, and
 * the provider's refresh of assumed credentials.
 *
 * STS cannot run here, so a loopback stand-in for AWS STS
 * (tests/support/standin_http.h) plays it over plain http to 127.0.0.1.
 * The stand-in only answers; each test then checks the request it recorded:
 * the form fields, the signing key id and scope, and the SigV4 signature,
 * recomputed with src/sigv4 from the recorded request and the known source
 * secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "creds.h"
#include "creds_fixture.h"
#include "creds_int.h"
#include "err.h"
#include "faultsrv.h"
#include "log.h"
#include "sigv4.h"
#include "standin_http.h"

#define CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define EXP "2030-01-02T03:04:05Z"
#define EXP_T ((time_t)1893553445) /* EXP as a time_t */
#define LATER "2031-06-01T00:00:00Z"
#define LATER_T ((time_t)1938038400)
#define TARGET_ROLE "arn:aws:iam::222222222222:role/snapmig-target"
#define MIDDLE_ROLE "arn:aws:iam::333333333333:role/hop"
#define SRC_SECRET "source-secret-key-0001"
#define SRC_SECRET2 "source-secret-key-0002"

static time_t fake_clock(void *payload)
{
  return *(time_t *)payload;
}

/* An AssumeRole reply as STS writes it (a static buffer). */
static const char *sts_reply(const char *id, const char *secret,
                             const char *token, const char *exp)
{
  static char buf[2048];

  snprintf(buf, sizeof(buf),
           "<AssumeRoleResponse "
           "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
           "  <AssumeRoleResult>\n"
           "    <SourceIdentity>migrator</SourceIdentity>\n"
           "    <AssumedRoleUser>\n"
           "      <Arn>arn:aws:sts::222222222222:assumed-role/x/s</Arn>\n"
           "      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:s</AssumedRoleId>\n"
           "    </AssumedRoleUser>\n"
           "    <Credentials>\n"
           "      <AccessKeyId>%s</AccessKeyId>\n"
           "      <SecretAccessKey>%s</SecretAccessKey>\n"
           "      <SessionToken>%s</SessionToken>\n"
           "      <Expiration>%s</Expiration>\n"
           "    </Credentials>\n"
           "    <PackedPolicySize>6</PackedPolicySize>\n"
           "  </AssumeRoleResult>\n"
           "  <ResponseMetadata>\n"
           "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
           "  </ResponseMetadata>\n"
           "</AssumeRoleResponse>\n",
           id, secret, token, exp);
  return buf;
}

static void add_reply(struct snm_standin *s, int status, const char *body,
                      int times)
{
  struct snm_standin_reply r = {.method = "POST",
                                .path = "/",
                                .status = status,
                                .headers = "Content-Type: text/xml\r\n",
                                .body = body,
                                .times = times};

  assert_int_equal(snm_standin_add(s, &r), 0);
}

/* The decoded value of form field `name` in `body` (malloced), or NULL. */
static char *form_field(const char *body, const char *name)
{
  size_t nl = strlen(name);
  const char *p = body;
  struct snm_buf v;

  while (p != NULL && *p != '\0') {
    if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
      snm_buf_init(&v, 0);
      for (p += nl + 1; *p != '\0' && *p != '&'; p++) {
        if (*p == '%' && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
          char hex[3] = {p[1], p[2], '\0'};
          assert_int_equal(snm_buf_putc(&v, (char)strtol(hex, NULL, 16)), 0);
          p += 2;
        } else {
          assert_int_equal(snm_buf_putc(&v, *p), 0);
        }
      }
      assert_int_equal(snm_buf_putc(&v, '\0'), 0); /* "" is a value too */
      return snm_buf_steal(&v);
    }
    p = strchr(p, '&');
    if (p != NULL)
      p++;
  }
  return NULL;
}

static void assert_field(const char *body, const char *name,
                         const char *expected)
{
  char *v = form_field(body, name);

  if (expected == NULL) {
    assert_null(v);
    return;
  }
  assert_non_null(v);
  assert_string_equal(v, expected);
  free(v);
}

/* Check that the i-th request the stand-in for AWS STS received is an
 * AssumeRole POST signed with `akid`/`secret` (and `token`) for `region`:
 * the scope, the session token header, and the signature recomputed from
 * the recorded request.  Returns its body (malloced). */
static char *check_signed(struct snm_standin *s, size_t i, const char *akid,
                          const char *secret, const char *token,
                          const char *region)
{
  struct snm_sigv4_result res = {0};
  struct snm_standin_request r;
  struct snm_err err;
  char scope[160], *host, *ctype, *date, *auth, *tok, *body;
  time_t when;

  assert_int_equal(snm_standin_request_get(s, i, &r), 0);
  assert_string_equal(r.method, "POST");
  assert_string_equal(r.target, "/");
  host = snm_standin_request_header(&r, "Host");
  ctype = snm_standin_request_header(&r, "Content-Type");
  date = snm_standin_request_header(&r, "X-Amz-Date");
  auth = snm_standin_request_header(&r, "Authorization");
  tok = snm_standin_request_header(&r, "X-Amz-Security-Token");
  assert_non_null(host);
  assert_non_null(ctype);
  assert_string_equal(ctype, CONTENT_TYPE);
  assert_non_null(date);
  assert_non_null(auth);
  assert_int_equal(snm_sigv4_parse_time(&when, date, 1, &err), 0);
  snprintf(scope, sizeof(scope), "Credential=%s/%.8s/%s/sts/aws4_request", akid,
           date, region);
  assert_non_null(strstr(auth, scope));
  if (token != NULL) {
    assert_non_null(tok);
    assert_string_equal(tok, token);
  } else {
    assert_null(tok);
  }

  {
    struct snm_sigv4_header h[] = {{"Host", host}, {"Content-Type", ctype}};
    struct snm_sigv4_request req = {.method = r.method,
                                    .path = r.target,
                                    .headers = h,
                                    .n_headers = 2,
                                    .body = r.body,
                                    .body_len = r.body_len};
    struct snm_sigv4_params p = {.access_key_id = akid,
                                 .secret_access_key = secret,
                                 .session_token = token,
                                 .region = region,
                                 .service = "sts",
                                 .when = when};

    assert_int_equal(snm_sigv4_sign(&res, &req, &p, &err), 0);
    assert_string_equal(auth, res.authorization);
    assert_string_equal(
        res.signed_headers,
        token != NULL ? "content-type;host;x-amz-date;x-amz-security-token"
                      : "content-type;host;x-amz-date");
  }
  snm_sigv4_result_dispose(&res);
  body = strdup(r.body);
  assert_non_null(body);
  free(host);
  free(ctype);
  free(date);
  free(auth);
  free(tok);
  snm_standin_request_dispose(&r);
  return body;
}

static void test_static_source_profile(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char *body;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 200,
            sts_reply("ASIATARGET1", "target-secret-1", "target-token-1", EXP),
            0);
  opts.sts_endpoint = snm_standin_url(s);
  opts.profile = "target";
  snm_fx_credentials_file("[src]\naws_access_key_id = AKIDSOURCE\n"
                          "aws_secret_access_key = " SRC_SECRET "\n");
  snm_fx_config_file("[profile target]\n"
                     "role_arn = " TARGET_ROLE "\n"
                     "source_profile = src\n"
                     "region = eu-west-1\n"
                     "external_id = ext id&1\n"
                     "role_session_name = migration-1\n"
                     "duration_seconds = 1800\n");

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIATARGET1");
  assert_string_equal(c.secret_access_key, "target-secret-1");
  assert_string_equal(c.session_token, "target-token-1");
  assert_int_equal(c.expiration, EXP_T);
  assert_string_equal(c.source, "assumed role, AWS profile \"target\"");
  assert_int_equal(snm_standin_request_count(s), 1);

  body = check_signed(s, 0, "AKIDSOURCE", SRC_SECRET, NULL, "eu-west-1");
  assert_field(body, "Action", "AssumeRole");
  assert_field(body, "Version", "2011-06-15");
  assert_field(body, "RoleArn", TARGET_ROLE);
  assert_field(body, "RoleSessionName", "migration-1");
  assert_field(body, "DurationSeconds", "1800");
  assert_field(body, "ExternalId", "ext id&1");
  assert_null(strchr(body, ' ')); /* form-encoded */
  free(body);

  /* the assumed secrets are redacted from logs */
  assert_true(snm_fx_is_redacted("target-secret-1"));
  assert_true(snm_fx_is_redacted("target-token-1"));
  assert_true(snm_fx_is_redacted(SRC_SECRET));
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_free(s), 0);
}

/* Defaults: a generated session name, an hour, no ExternalId; a source
 * profile with a session token signs with it. */
static void test_defaults_and_source_token(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char *body, *session;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 200, sts_reply("ASIAT", "target-secret-2", "target-tok-2", EXP),
            0);
  opts.sts_endpoint = snm_standin_url(s);
  setenv("AWS_PROFILE", "target", 1);
  snm_fx_config_file("[profile target]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = src\n"
                     "[profile src]\naws_access_key_id = AKIDTEMP\n"
                     "aws_secret_access_key = " SRC_SECRET "\n"
                     "aws_session_token = source-session-token\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIAT");
  /* no region anywhere: signed for us-east-1, as for the global endpoint */
  body = check_signed(s, 0, "AKIDTEMP", SRC_SECRET, "source-session-token",
                      "us-east-1");
  assert_field(body, "DurationSeconds", "3600");
  assert_field(body, "ExternalId", NULL);
  session = form_field(body, "RoleSessionName");
  assert_non_null(session);
  assert_int_equal(strncmp(session, "snapmig-", 8), 0);
  assert_true(strlen(session) > 8 &&
              strspn(session + 8, "0123456789") == strlen(session + 8));
  free(session);
  free(body);
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_free(s), 0);
}

/* target -> middle (assume-role) -> base (static keys): two AssumeRole
 * calls, the second signed with the first one's temporary credentials. */
static void test_chained_profiles(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char *body;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 200,
            sts_reply("ASIAMIDDLE", "middle-secret-1", "middle-token-1", EXP),
            1);
  add_reply(s, 200,
            sts_reply("ASIATARGET", "target-secret-3", "target-token-3", LATER),
            1);
  opts.sts_endpoint = snm_standin_url(s);
  opts.profile = "target";
  snm_fx_credentials_file("[base]\naws_access_key_id = AKIDBASE\n"
                          "aws_secret_access_key = " SRC_SECRET "\n");
  snm_fx_config_file("[profile target]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = middle\nregion = us-west-2\n"
                     "[profile middle]\nrole_arn = " MIDDLE_ROLE "\n"
                     "source_profile = base\n"
                     "role_session_name = hop-session\n");

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIATARGET");
  assert_int_equal(c.expiration, LATER_T);
  assert_int_equal(snm_standin_request_count(s), 2);
  /* the selected profile's region signs every call of the chain */
  body = check_signed(s, 0, "AKIDBASE", SRC_SECRET, NULL, "us-west-2");
  assert_field(body, "RoleArn", MIDDLE_ROLE);
  assert_field(body, "RoleSessionName", "hop-session");
  free(body);
  body = check_signed(s, 1, "ASIAMIDDLE", "middle-secret-1", "middle-token-1",
                      "us-west-2");
  assert_field(body, "RoleArn", TARGET_ROLE);
  free(body);
  assert_true(snm_fx_is_redacted("middle-secret-1"));
  assert_true(snm_fx_is_redacted("middle-token-1"));
  snm_creds_dispose(&c);

  /* a profile may name itself as source when it has static keys (its own
   * keys assume its role); in a source profile, static keys win over
   * role_arn */
  snm_standin_clear(s);
  add_reply(s, 200, sts_reply("ASIASELF", "self-secret-1", "self-tok-1", EXP),
            0);
  snm_fx_credentials_file("[self]\naws_access_key_id = AKIDSELF\n"
                          "aws_secret_access_key = " SRC_SECRET2 "\n");
  snm_fx_config_file("[profile self]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = self\n");
  opts.profile = "self";
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIASELF");
  assert_int_equal(snm_standin_request_count(s), 1);
  free(check_signed(s, 0, "AKIDSELF", SRC_SECRET2, NULL, "us-east-1"));
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_free(s), 0);
}

/* credential_source = Environment uses the environment's keys even though
 * the plan names the profile (which hides them from the chain), and
 * AWS_ENDPOINT_URL_STS points at the stand-in. */
static void test_credential_source_environment(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  char *body;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 200,
            sts_reply("ASIAENV", "env-role-secret", "env-role-tok", EXP), 0);
  setenv("AWS_ENDPOINT_URL_STS", snm_standin_url(s), 1);
  setenv("AWS_REGION", "ap-southeast-2", 1);
  setenv("AWS_DEFAULT_REGION", "eu-central-1", 1); /* AWS_REGION wins */
  setenv("AWS_ACCESS_KEY_ID", "AKIDENVIRON", 1);
  setenv("AWS_SECRET_ACCESS_KEY", SRC_SECRET, 1);
  opts.profile = "envrole";
  snm_fx_config_file("[profile envrole]\nrole_arn = " TARGET_ROLE "\n"
                     "credential_source = Environment\nregion = us-east-2\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIAENV");
  body = check_signed(s, 0, "AKIDENVIRON", SRC_SECRET, NULL, "ap-southeast-2");
  assert_field(body, "RoleArn", TARGET_ROLE);
  free(body);
  snm_creds_dispose(&c);

  /* without keys in the environment it is an error, not the next source */
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "credential_source = Environment"));
  assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID not set"));
  assert_int_equal(snm_standin_request_count(s), 1);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_configuration_errors(void **state)
{
  static const struct {
    const char *config;
    const char *msg[3];
  } cases[] = {
      /* a loop through two profiles */
      {"[profile a]\nrole_arn = " TARGET_ROLE "\nsource_profile = b\n"
       "[profile b]\nrole_arn = " MIDDLE_ROLE "\nsource_profile = a\n",
       {"loops", "a -> b -> a", "static keys or credential_source"}},
      /* a profile naming itself without static keys */
      {"[profile a]\nrole_arn = " TARGET_ROLE "\nsource_profile = a\n",
       {"loops", "a -> a", NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\nsource_profile = nothere\n",
       {"source_profile = nothere", "no profile \"nothere\"", NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\nsource_profile = empty\n"
       "[profile empty]\nregion = eu-west-1\n",
       {"profile \"empty\" has no credentials", NULL, NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\nsource_profile = b\n"
       "mfa_serial = arn:aws:iam::1:mfa/me\n"
       "[profile b]\naws_access_key_id = A\naws_secret_access_key = B\n",
       {"mfa_serial", "cannot prompt", "export-credentials --profile a"}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\n",
       {"neither source_profile nor credential_source", NULL, NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\nsource_profile = a\n"
       "credential_source = Environment\n",
       {"both source_profile and credential_source", NULL, NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\n"
       "credential_source = Keychain\n",
       {"credential_source = Keychain", "Ec2InstanceMetadata", NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\n"
       "credential_source = Environment\nduration_seconds = 1h\n",
       {"duration_seconds = 1h", "900", NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\n"
       "credential_source = Environment\nduration_seconds = 60\n",
       {"duration_seconds = 60", NULL, NULL}},
      {"[profile a]\nrole_arn = " TARGET_ROLE "\n"
       "credential_source = Environment\nsts_regional_endpoints = global\n",
       {"sts_regional_endpoints", "regional or legacy", NULL}},
      /* the source profile uses a provider snapmig does not have */
      {"[profile a]\nrole_arn = " TARGET_ROLE "\nsource_profile = sso\n"
       "[profile sso]\nsso_session = corp\n",
       {"\"sso\"", "does not support", NULL}},
  };
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  /* the stand-in for AWS STS must never be asked */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 200, sts_reply("ASIANO", "never-secret", "never-tok", EXP), 0);
  opts.sts_endpoint = snm_standin_url(s);
  opts.profile = "a";
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", SRC_SECRET, 1);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    snm_fx_config_file(cases[i].config);
    assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
    for (size_t k = 0; k < 3 && cases[i].msg[k] != NULL; k++) {
      if (strstr(err.msg, cases[i].msg[k]) == NULL)
        fail_msg("case %zu: \"%s\" not in: %s", i, cases[i].msg[k], err.msg);
    }
    assert_null(c.access_key_id);
  }
  assert_int_equal(snm_standin_request_count(s), 0);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_sts_refuses(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 403,
            "<ErrorResponse "
            "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
            "  <Error>\n    <Type>Sender</Type>\n"
            "    <Code>AccessDenied</Code>\n"
            "    <Message>User: arn:aws:iam::111111111111:user/mig is not "
            "authorized to perform: sts:AssumeRole on resource: " TARGET_ROLE
            "</Message>\n  </Error>\n"
            "  <RequestId>0f2b3c4d</RequestId>\n</ErrorResponse>\n",
            1);
  add_reply(s, 400,
            "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate "
            "exceeded</Message></Error></ErrorResponse>",
            1);
  add_reply(s, 403, "<html>Forbidden</html>", 1);
  opts.sts_endpoint = snm_standin_url(s);
  opts.profile = "target";
  snm_fx_config_file("[profile target]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = src\n"
                     "[profile src]\naws_access_key_id = AKIDSOURCE\n"
                     "aws_secret_access_key = " SRC_SECRET "\n");

  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_int_equal(err.http_status, 403);
  assert_non_null(strstr(err.msg, "AWS profile \"target\""));
  assert_non_null(strstr(err.msg, "source profile \"src\""));
  assert_non_null(strstr(err.msg, TARGET_ROLE));
  assert_non_null(strstr(err.msg, "AccessDenied: User: arn:aws:iam::"
                                  "111111111111:user/mig is not authorized"));
  assert_non_null(strstr(err.msg, "trust policy must allow"));
  assert_null(strstr(err.msg, SRC_SECRET));
  assert_null(strchr(err.msg, '\n'));

  /* throttling is not an authorization problem */
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EHTTP);
  assert_non_null(strstr(err.msg, "Throttling: Rate exceeded"));

  /* an error that is not STS's XML still names the status */
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  assert_non_null(strstr(err.msg, "HTTP 403"));
  assert_int_equal(snm_standin_request_count(s), 3);
  assert_int_equal(snm_standin_free(s), 0);
}

/* An STS (here a stand-in that quotes the request) whose error message
 * holds the request's signature: the message keeps STS's words, not the
 * signature. */
static void test_sts_error_quoting_the_signature(void **state)
{
  struct faultsrv_echo echo = {.status = 403, .xml = 1};
  struct snm_creds_opts opts = {0};
  struct faultsrv *srv;
  struct snm_creds c;
  struct snm_err err;
  char url[64];
  const char *auth, *sig;
  char sigv[65];
  (void)state;

  assert_int_equal(faultsrv_start(&srv, faultsrv_echo, &echo), 0);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", faultsrv_port(srv));
  opts.sts_endpoint = url;
  opts.profile = "target";
  snm_fx_config_file("[profile target]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = src\n"
                     "[profile src]\naws_access_key_id = AKIDSOURCE\n"
                     "aws_secret_access_key = " SRC_SECRET "\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EAUTH);
  faultsrv_stop(srv);
  auth = strstr(echo.last_head, "\r\nAuthorization: ");
  assert_non_null(auth);
  sig = strstr(auth, "Signature=");
  assert_non_null(sig);
  memcpy(sigv, sig + 10, 64);
  sigv[64] = '\0';
  assert_non_null(strstr(err.msg, "SignatureDoesNotMatch: Authorization: "));
  assert_null(strstr(err.msg, sigv));
  assert_null(strstr(err.msg, "Credential=AKIDSOURCE"));
  faultsrv_echo_dispose(&echo);
}

static void test_malformed_replies(void **state)
{
  static const char *const bad[] = {
      "",
      "not xml",
      /* truncated */
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIA1</AccessKeyId>",
      /* mismatched end tag */
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIA1</SecretAccessKey></Credentials></AssumeRoleResult>"
      "</AssumeRoleResponse>",
      /* no SessionToken */
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s3cr3t-x"
      "</SecretAccessKey><Expiration>" EXP "</Expiration></Credentials>"
      "</AssumeRoleResult></AssumeRoleResponse>",
      /* a bad Expiration */
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s3cr3t-x"
      "</SecretAccessKey><SessionToken>tok-x</SessionToken>"
      "<Expiration>tomorrow</Expiration></Credentials>"
      "</AssumeRoleResult></AssumeRoleResponse>",
      /* the credentials twice */
      "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
      "<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s3cr3t-x"
      "</SecretAccessKey><SessionToken>tok-x</SessionToken>"
      "<Expiration>" EXP "</Expiration><AccessKeyId>ASIA2</AccessKeyId>"
      "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
      /* a DOCTYPE (entity tricks) and CDATA are refused */
      "<!DOCTYPE x [<!ENTITY e \"ASIA\">]><AssumeRoleResponse/>",
      "<AssumeRoleResponse><![CDATA[x]]></AssumeRoleResponse>",
      /* an unknown entity, a second root, text outside the root */
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>"
      "&nbsp;</AccessKeyId></Credentials></AssumeRoleResult>"
      "</AssumeRoleResponse>",
      "<a></a><b></b>",
      "<a></a>tail",
      /* the wrong document */
      "<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>",
  };
  struct snm_creds_opts opts = {0};
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  (void)state;

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snm_creds_init(&c);
    if (snm__sts_parse_credentials(&c, bad[i], strlen(bad[i]), "STS", &err) !=
        SNM_EPARSE)
      fail_msg("case %zu was accepted", i);
    assert_null(c.access_key_id);
    assert_int_equal(strncmp(err.msg, "STS: ", 5), 0);
  }

  /* what the reader does accept: a declaration, comments outside the
   * root, attributes (with '>' and '/' in quotes), entities, self-closing
   * elements, whitespace in end tags */
  {
    const char *ok =
        "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!-- a comment -->\n"
        "<AssumeRoleResponse xmlns='a>/b'><AssumeRoleResult>"
        "<SourceIdentity/><Credentials >"
        "<AccessKeyId>ASIA&#x41;&#66;</AccessKeyId >"
        "<SecretAccessKey>s&lt;&gt;&amp;&quot;&apos;k</SecretAccessKey>"
        "<SessionToken>t&#233;k</SessionToken>"
        "<Expiration>" EXP "</Expiration>"
        "</Credentials></AssumeRoleResult></AssumeRoleResponse>\n";

    snm_creds_init(&c);
    assert_int_equal(snm__sts_parse_credentials(&c, ok, strlen(ok), "x", &err),
                     0);
    assert_string_equal(c.access_key_id, "ASIAAB");
    assert_string_equal(c.secret_access_key, "s<>&\"'k");
    assert_string_equal(c.session_token, "t\xC3\xA9k");
    assert_int_equal(c.expiration, EXP_T);
    snm_creds_dispose(&c);
  }

  /* through the provider: SNM_EPARSE naming the role */
  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 200, bad[4], 0);
  opts.sts_endpoint = snm_standin_url(s);
  opts.profile = "target";
  snm_fx_config_file("[profile target]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = src\n"
                     "[profile src]\naws_access_key_id = AKIDSOURCE\n"
                     "aws_secret_access_key = " SRC_SECRET "\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, TARGET_ROLE));
  assert_non_null(strstr(err.msg, "no AssumeRoleResponse/AssumeRoleResult/"
                                  "Credentials/SessionToken"));
  assert_null(strstr(err.msg, "s3cr3t-x"));
  assert_int_equal(snm_standin_free(s), 0);
}

/* Assumed credentials expiring within 5 minutes are replaced by assuming
 * the role again, with the source profile read again. */
static void test_refresh_before_expiry(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_creds_provider *p;
  struct snm_standin *s;
  struct snm_creds c;
  struct snm_err err;
  time_t now = EXP_T - 3600;
  (void)state;

  assert_int_equal(snm_standin_new(&s), 0);
  add_reply(s, 200, sts_reply("ASIAFIRST", "first-secret", "first-tok", EXP),
            1);
  add_reply(s, 200,
            sts_reply("ASIASECOND", "second-secret", "second-tok", LATER), 1);
  opts.sts_endpoint = snm_standin_url(s);
  opts.profile = "target";
  opts.now = fake_clock;
  opts.now_payload = &now;
  snm_fx_config_file("[profile target]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = src\n");
  snm_fx_credentials_file("[src]\naws_access_key_id = AKIDOLD\n"
                          "aws_secret_access_key = " SRC_SECRET "\n");
  assert_int_equal(snm_creds_provider_new(&p, &opts, &err), 0);
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIAFIRST");
  snm_creds_dispose(&c);

  /* an hour left: cached, nothing asked */
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIAFIRST");
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_request_count(s), 1);

  /* the source keys were rotated meanwhile; 4 minutes left: assume again,
   * signed with the new source keys */
  snm_fx_credentials_file("[src]\naws_access_key_id = AKIDNEW\n"
                          "aws_secret_access_key = " SRC_SECRET2 "\n");
  now = EXP_T - 240;
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIASECOND");
  assert_string_equal(c.secret_access_key, "second-secret");
  assert_int_equal(c.expiration, LATER_T);
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_request_count(s), 2);
  free(check_signed(s, 1, "AKIDNEW", SRC_SECRET2, NULL, "us-east-1"));

  /* STS fails while the credentials are still valid: keep them */
  now = LATER_T - 100;
  add_reply(s, 503, "", 0);
  assert_int_equal(snm_creds_provider_get(p, &c, &err), 0);
  assert_string_equal(c.access_key_id, "ASIASECOND");
  snm_creds_dispose(&c);
  assert_int_equal(snm_standin_request_count(s), 3);
  /* ... and once they expired, the error */
  now = LATER_T + 1;
  assert_int_equal(snm_creds_provider_get(p, &c, &err), SNM_EHTTP);
  assert_non_null(strstr(err.msg, "HTTP 503"));
  snm_creds_provider_free(p);
  assert_int_equal(snm_standin_free(s), 0);
}

static void test_endpoints(void **state)
{
  struct snm__sts_endpoint ep;
  struct snm_err err;
  (void)state;

  assert_int_equal(snm__sts_endpoint(&ep, "eu-west-1", 0, NULL, &err), 0);
  assert_string_equal(ep.url, "https://sts.eu-west-1.amazonaws.com/");
  assert_string_equal(ep.host, "sts.eu-west-1.amazonaws.com");
  assert_string_equal(ep.path, "/");
  assert_string_equal(ep.region, "eu-west-1");

  assert_int_equal(snm__sts_endpoint(&ep, NULL, 0, NULL, &err), 0);
  assert_string_equal(ep.url, "https://sts.amazonaws.com/");
  assert_string_equal(ep.region, "us-east-1");

  assert_int_equal(snm__sts_endpoint(&ep, "cn-north-1", 1, NULL, &err), 0);
  assert_string_equal(ep.url, "https://sts.cn-north-1.amazonaws.com.cn/");
  assert_string_equal(ep.region, "cn-north-1");

  /* legacy: the global endpoint for the regions it served, else regional */
  assert_int_equal(snm__sts_endpoint(&ep, "eu-west-1", 1, NULL, &err), 0);
  assert_string_equal(ep.host, "sts.amazonaws.com");
  assert_string_equal(ep.region, "us-east-1");
  assert_int_equal(snm__sts_endpoint(&ep, "ap-east-1", 1, NULL, &err), 0);
  assert_string_equal(ep.host, "sts.ap-east-1.amazonaws.com");

  assert_int_equal(snm__sts_endpoint(&ep, "eu-west-1/../x", 0, NULL, &err),
                   SNM_EINVAL);
  assert_non_null(strstr(err.msg, "not a region name"));

  /* overrides: https anywhere (a VPC endpoint), http only to loopback */
  setenv("AWS_ENDPOINT_URL_STS", "https://vpce-1.sts.example:8443/sts", 1);
  assert_int_equal(snm__sts_endpoint(&ep, "eu-west-1", 0, NULL, &err), 0);
  assert_string_equal(ep.url, "https://vpce-1.sts.example:8443/sts");
  assert_string_equal(ep.host, "vpce-1.sts.example:8443");
  assert_string_equal(ep.path, "/sts");
  assert_string_equal(ep.region, "eu-west-1");
  setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
  assert_int_equal(snm__sts_endpoint(&ep, "eu-west-1", 0, NULL, &err), 0);
  assert_string_equal(ep.host, "sts.eu-west-1.amazonaws.com");
  unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  setenv("AWS_ENDPOINT_URL_STS", "http://sts.example/", 1);
  assert_int_equal(snm__sts_endpoint(&ep, NULL, 0, NULL, &err), SNM_EINVAL);
  assert_non_null(strstr(err.msg, "AWS_ENDPOINT_URL_STS"));
  assert_non_null(strstr(err.msg, "not allowed"));
  setenv("AWS_ENDPOINT_URL_STS", "http://localhost:1/", 1);
  assert_int_equal(snm__sts_endpoint(&ep, NULL, 0, NULL, &err), SNM_EINVAL);
  setenv("AWS_ENDPOINT_URL_STS", "https://sts.example/?x=1", 1);
  assert_int_equal(snm__sts_endpoint(&ep, NULL, 0, NULL, &err), SNM_EINVAL);
  /* the options' override wins over the variable */
  assert_int_equal(snm__sts_endpoint(&ep, NULL, 0, "http://[::1]:8080", &err),
                   0);
  assert_string_equal(ep.host, "[::1]:8080");
  assert_string_equal(ep.path, "/");
  assert_int_equal(snm__sts_endpoint(&ep, NULL, 0, "http://127.0.0.2:9/", &err),
                   0);
  assert_string_equal(ep.url, "http://127.0.0.2:9/");
}

/* A refused connection to STS is a network error naming the profile. */
static void test_sts_unreachable(void **state)
{
  struct snm_creds_opts opts = {0};
  struct snm_creds c;
  struct snm_err err;
  char url[64];
  int port = snm_standin_unused_port();
  (void)state;

  assert_true(port > 0);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
  opts.sts_endpoint = url;
  opts.profile = "target";
  snm_fx_config_file("[profile target]\nrole_arn = " TARGET_ROLE "\n"
                     "source_profile = src\n"
                     "[profile src]\naws_access_key_id = AKIDSOURCE\n"
                     "aws_secret_access_key = " SRC_SECRET "\n");
  assert_int_equal(snm_fx_resolve(&opts, &c, &err), SNM_ENET);
  assert_non_null(strstr(err.msg, "AWS profile \"target\""));
  assert_non_null(strstr(err.msg, url));
}

#define T(f) cmocka_unit_test_setup_teardown(f, snm_fx_setup, snm_fx_teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
      T(test_static_source_profile),
      T(test_defaults_and_source_token),
      T(test_chained_profiles),
      T(test_credential_source_environment),
      T(test_configuration_errors),
      T(test_sts_refuses),
      T(test_sts_error_quoting_the_signature),
      T(test_malformed_replies),
      T(test_refresh_before_expiry),
      T(test_endpoints),
      T(test_sts_unreachable),
  };

  return cmocka_run_group_tests(tests, snm_fx_group_setup,
                                snm_fx_group_teardown);
}
