/* cmd_sigv4.c - `snapmig sigv4`: sign a raw HTTP request read from a file
 * and print the canonical request, string to sign, signature and signed
 * request, to compare with what a service says it expected. */
#include "buf.h"
#include "cli.h"
#include "creds.h"
#include "reqfile.h"
#include "log.h"
#include "secret.h"
#include "sigv4.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX (64u << 20) /* largest request file read */

enum print_what {
  PRINT_ALL,
  PRINT_CANONICAL,
  PRINT_STRING_TO_SIGN,
  PRINT_SIGNATURE,
  PRINT_SIGNED_REQUEST
};

struct sigv4_opts {
  const char *service; /* borrowed from argv */
  const char *region;  /* borrowed from argv */
  const char *time;    /* NULL: X-Amz-Date of the request, else now */
  const char *profile; /* NULL: the chain's default */
  const char *file;    /* "-" for stdin */
  const char *expires; /* NULL: 3600 */
  int presign;
  int sign_body;
  int unsigned_payload;
  int no_normalize;
  int omit_token;
  enum print_what print;
};

enum {
  O_HELP = SNM_OPT_HELP,
  O_SERVICE,
  O_REGION,
  O_TIME,
  O_PRESIGN,
  O_EXPIRES,
  O_SIGN_BODY,
  O_UNSIGNED,
  O_NO_NORMALIZE,
  O_OMIT,
  O_PRINT,
  O_PROFILE
};

static const struct snm_opt sigv4_opts[] = {
    {O_SERVICE, "service", 0, SNM_OPT_VALUE, "S",
     "service name in the scope: es, s3, sts, ..."},
    {O_REGION, "region", 0, SNM_OPT_VALUE, "R",
     "region in the scope, e.g. us-east-1"},
    {O_TIME, "time", 0, SNM_OPT_VALUE, "T",
     "signing time, YYYY-MM-DDTHH:MM:SSZ (UTC);\n"
     "default: the request's X-Amz-Date, else now"},
    {O_PRESIGN, "presign", 0, SNM_OPT_FLAG, NULL,
     "sign in the query string (X-Amz-* parameters)\n"
     "instead of the Authorization header"},
    {O_EXPIRES, "expires", 0, SNM_OPT_VALUE, "SECONDS",
     "presigned validity, 1..604800 (default 3600)"},
    {O_SIGN_BODY, "sign-body", 0, SNM_OPT_FLAG, NULL,
     "also send and sign x-amz-content-sha256 with\n"
     "the body's SHA-256 (S3 needs it)"},
    {O_UNSIGNED, "unsigned-payload", 0, SNM_OPT_FLAG, NULL,
     "sign UNSIGNED-PAYLOAD instead of the body's\n"
     "SHA-256 (and send it in x-amz-content-sha256)"},
    {O_NO_NORMALIZE, "no-normalize", 0, SNM_OPT_FLAG, NULL,
     "S3 path rules: keep '.', '..' and '//', encode\n"
     "the path once (default: normalise the path and\n"
     "encode it again, as every other service does)"},
    {O_OMIT, "omit-session-token", 0, SNM_OPT_FLAG, NULL,
     "send X-Amz-Security-Token but leave it out of\n"
     "the signature (some services want that)"},
    {O_PRINT, "print", 0, SNM_OPT_VALUE, "WHAT",
     "print only canonical-request, string-to-sign,\n"
     "signature or signed-request (and a newline)"},
    {O_PROFILE, "profile", 0, SNM_OPT_VALUE, "NAME",
     "credentials profile (default: $AWS_PROFILE,\n"
     "else 'default')"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec sigv4_spec = {
    "sigv4",
    "--service S --region R [--time YYYY-MM-DDTHH:MM:SSZ]\n"
    "         [--presign [--expires SECONDS]] [--sign-body | "
    "--unsigned-payload]\n"
    "         [--no-normalize] [--omit-session-token]\n"
    "         [--print canonical-request|string-to-sign|signature|"
    "signed-request]\n"
    "         [--profile NAME] REQUEST_FILE|-",
    "Sign a raw HTTP/1.1 request (request line, header lines, empty line,\n"
    "body; LF or CRLF) with AWS Signature Version 4 and show each step, to\n"
    "compare with the canonical request and string to sign a service\n"
    "reports when it rejects a signature.  '-' reads the request from\n"
    "standard input.\n",
    sigv4_opts,
    "The payload hash is the SHA-256 of the body unless --unsigned-payload\n"
    "is given.  Credentials come from the AWS chain: AWS_ACCESS_KEY_ID,\n"
    "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, the shared credentials\n"
    "and config files, ECS, then EC2 instance metadata.  A pasted request's\n"
    "Authorization, X-Amz-Date and X-Amz-Security-Token are replaced.\n"
    "\n"
    "Unlike the rest of snapmig, this command does not redact: the\n"
    "canonical request, the signed request and a presigned URL hold the\n"
    "session token in clear (it is part of what is signed), so that they\n"
    "can be compared byte for byte.  A warning goes to stderr when such\n"
    "output goes to a terminal.  Do not share it while the token is valid.\n"
    "The secret key is never printed.\n"
    "\n"
    "Exit status: 0 signed, 1 failure (e.g. no credentials), 2 invalid\n"
    "usage or request file.\n",
    0};

#define usage_error(...) snm_opt_usage_error(&sigv4_spec, __VA_ARGS__)

static int parse_print(const char *s, enum print_what *out)
{
  static const struct {
    const char *name;
    enum print_what what;
  } names[] = {{"canonical-request", PRINT_CANONICAL},
               {"string-to-sign", PRINT_STRING_TO_SIGN},
               {"signature", PRINT_SIGNATURE},
               {"signed-request", PRINT_SIGNED_REQUEST}};

  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(s, names[i].name) == 0) {
      *out = names[i].what;
      return 0;
    }
  return -1;
}

/* argv -> opts; returns -1 to go on, else the exit status. */
static int parse_args(struct sigv4_opts *o, int argc, char **argv)
{
  struct snm_opt_iter it;
  int c;

  memset(o, 0, sizeof(*o));
  o->print = PRINT_ALL;
  snm_opt_init(&it, &sigv4_spec, argc, argv);
  while ((c = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (c) {
    case O_SERVICE:
      o->service = it.value;
      break;
    case O_REGION:
      o->region = it.value;
      break;
    case O_TIME:
      o->time = it.value;
      break;
    case O_PRESIGN:
      o->presign = 1;
      break;
    case O_EXPIRES:
      o->expires = it.value;
      break;
    case O_SIGN_BODY:
      o->sign_body = 1;
      break;
    case O_UNSIGNED:
      o->unsigned_payload = 1;
      break;
    case O_NO_NORMALIZE:
      o->no_normalize = 1;
      break;
    case O_OMIT:
      o->omit_token = 1;
      break;
    case O_PRINT:
      if (parse_print(it.value, &o->print) != 0)
        return usage_error("--print takes canonical-request, "
                           "string-to-sign, signature or signed-request, "
                           "not '%s'",
                           it.value);
      break;
    case O_PROFILE:
      o->profile = it.value;
      break;
    case O_HELP:
      snm_opt_help(stdout, &sigv4_spec);
      return SNM_EXIT_OK;
    case SNM_OPT_OPERAND:
      if (o->file != NULL)
        return usage_error("%s", "give only one REQUEST_FILE");
      o->file = it.value;
      break;
    default:
      return usage_error("%s", it.error);
    }
  }
  if (o->service == NULL || *o->service == '\0')
    return usage_error("%s", "--service is required (e.g. --service es)");
  if (o->region == NULL || *o->region == '\0')
    return usage_error("%s", "--region is required (e.g. --region us-east-1)");
  if (o->sign_body && o->unsigned_payload)
    return usage_error("%s", "--sign-body and --unsigned-payload exclude "
                             "each other");
  if (o->expires != NULL && !o->presign)
    return usage_error("%s", "--expires only applies with --presign");
  if (o->file == NULL)
    return usage_error("%s", "give one REQUEST_FILE, or '-' for stdin");
  return -1;
}

/* Read the whole request file (or stdin) into `b`. */
static int read_request(struct snm_buf *b, const char *file)
{
  FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
  char chunk[16384];
  size_t n;
  int rc = 0;

  if (fp == NULL) {
    snm_log(SNM_LOG_ERROR, "sigv4: cannot open request file %s: %s", file,
            strerror(errno));
    return SNM_EXIT_USAGE;
  }
  while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
    if (snm_buf_append(b, chunk, n) != 0) {
      snm_log(SNM_LOG_ERROR, "sigv4: request file %s is larger than %u MiB",
              file, REQUEST_MAX >> 20);
      rc = SNM_EXIT_USAGE;
      break;
    }
  if (rc == 0 && ferror(fp)) {
    snm_log(SNM_LOG_ERROR, "sigv4: cannot read request file %s: %s", file,
            strerror(errno));
    rc = SNM_EXIT_USAGE;
  }
  if (fp != stdin)
    fclose(fp);
  return rc;
}

/* Replace what an earlier signature left in a pasted request; a request
 * X-Amz-Date becomes the signing time unless --time was given. */
static int strip_old_signature(struct snm_reqfile *req, const char *origin,
                               time_t *when, int have_time)
{
  const char *date = snm_reqfile_header(req, "X-Amz-Date");
  struct snm_err err;

  if (date != NULL && !have_time) {
    if (snm_sigv4_parse_time(when, date, 1, &err) != 0) {
      snm_log(SNM_LOG_ERROR, "sigv4: %s: X-Amz-Date: %s", origin, err.msg);
      return SNM_EXIT_USAGE;
    }
    snm_log(SNM_LOG_INFO, "sigv4: signing at the request's X-Amz-Date %s",
            date);
  }
  if (snm_reqfile_remove_header(req, "X-Amz-Date") +
          snm_reqfile_remove_header(req, "Authorization") +
          snm_reqfile_remove_header(req, "X-Amz-Security-Token") >
      0)
    snm_log(SNM_LOG_INFO, "sigv4: replaced the request's own Authorization, "
                          "X-Amz-Date and X-Amz-Security-Token headers");
  return -1;
}

static int get_credentials(struct snm_creds *creds, const char *profile)
{
  struct snm_creds_provider *prov = NULL;
  struct snm_creds_opts copts = {0};
  struct snm_err err;
  int rc;

  copts.profile = profile;
  snm_err_clear(&err);
  rc = snm_creds_provider_new(&prov, &copts, &err);
  if (rc == 0)
    rc = snm_creds_provider_get(prov, creds, &err);
  snm_creds_provider_free(prov);
  if (rc != 0) {
    snm_log(SNM_LOG_ERROR, "sigv4: %s", err.msg);
    if (rc == SNM_EAUTH)
      snm_log(SNM_LOG_ERROR,
              "sigv4: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
              "(and AWS_SESSION_TOKEN for temporary credentials), or "
              "name a profile of ~/.aws/credentials with --profile");
    return SNM_EXIT_FAILED;
  }
  snm_secret_add(creds->secret_access_key);
  snm_secret_add(creds->session_token);
  return -1;
}

/* Whether what `o` asks for shows the session token: the signed request
 * always carries it, the canonical request when it is signed. */
static int prints_token(const struct sigv4_opts *o,
                        const struct snm_creds *creds)
{
  if (creds->session_token == NULL || creds->session_token[0] == '\0')
    return 0;
  switch (o->print) {
  case PRINT_ALL:
  case PRINT_SIGNED_REQUEST:
    return 1;
  case PRINT_CANONICAL:
    return !o->omit_token;
  default:
    return 0;
  }
}

static void print_report(const struct sigv4_opts *o,
                         const struct snm_creds *creds,
                         const struct snm_sigv4_result *res,
                         const struct snm_buf *signed_req)
{
  const char *token = creds->session_token == NULL ? "none"
                      : o->omit_token              ? "sent, not signed"
                                                   : "sent and signed";

  printf("== parameters ==\n"
         "access key ID:    %s (from %s)\n"
         "credential scope: %s\n"
         "X-Amz-Date:       %s\n"
         "session token:    %s\n"
         "path rules:       %s\n"
         "payload hash:     %s\n"
         "signed headers:   %s\n",
         creds->access_key_id, creds->source, res->credential_scope,
         res->amz_date, token,
         o->no_normalize ? "S3 (as sent, encoded once)"
                         : "normalised, encoded twice",
         res->payload_hash, res->signed_headers);
  printf("\n== canonical request ==\n%s\n", res->canonical_request);
  printf("\n== string to sign ==\n%s\n", res->string_to_sign);
  printf("\n== signature ==\n%s\n", res->signature);
  printf("\n== signed request ==\n");
  fwrite(signed_req->data, 1, signed_req->len, stdout);
  printf("\n");
}

int snm_cmd_sigv4(int argc, char **argv)
{
  struct sigv4_opts o;
  struct snm_buf text, signed_req;
  struct snm_reqfile req;
  struct snm_creds creds;
  struct snm_sigv4_header *hdrs = NULL;
  struct snm_sigv4_request sreq;
  struct snm_sigv4_params params;
  struct snm_sigv4_result res;
  struct snm_err err;
  const char *origin;
  time_t when = time(NULL);
  long expires = 3600;
  int rc;

  snm_buf_init(&text, REQUEST_MAX);
  snm_buf_init(&signed_req, 0);
  snm_reqfile_init(&req);
  snm_creds_init(&creds);
  memset(&res, 0, sizeof(res));
  snm_err_clear(&err);
  if ((rc = parse_args(&o, argc, argv)) >= 0)
    goto done;
  origin = strcmp(o.file, "-") == 0 ? "<stdin>" : o.file;
  rc = SNM_EXIT_USAGE;
  if (o.time != NULL && snm_sigv4_parse_time(&when, o.time, 0, &err) != 0) {
    snm_log(SNM_LOG_ERROR, "sigv4: --time: %s", err.msg);
    goto done;
  }
  if (o.expires != NULL) {
    char *end;

    errno = 0;
    expires = strtol(o.expires, &end, 10);
    if (errno != 0 || end == o.expires || *end != '\0' || expires < 1 ||
        expires > SNM_SIGV4_MAX_EXPIRES) {
      snm_log(SNM_LOG_ERROR,
              "sigv4: --expires '%s' is not a number of seconds in 1..%ld",
              o.expires, SNM_SIGV4_MAX_EXPIRES);
      goto done;
    }
  }
  if ((rc = read_request(&text, o.file)) != 0)
    goto done;
  rc = SNM_EXIT_USAGE;
  if (snm_reqfile_parse(&req, snm_buf_str(&text), text.len, origin, &err) !=
      0) {
    snm_log(SNM_LOG_ERROR, "sigv4: %s", err.msg);
    rc = err.code == SNM_ENOMEM ? SNM_EXIT_FAILED : SNM_EXIT_USAGE;
    goto done;
  }
  if ((rc = strip_old_signature(&req, origin, &when, o.time != NULL)) >= 0 ||
      (rc = get_credentials(&creds, o.profile)) >= 0)
    goto done;

  rc = SNM_EXIT_FAILED;
  hdrs = calloc(req.n_headers + 1, sizeof(*hdrs));
  if (hdrs == NULL)
    goto done;
  for (size_t i = 0; i < req.n_headers; i++) {
    hdrs[i].name = req.headers[i].name;
    hdrs[i].value = req.headers[i].value;
  }
  memset(&sreq, 0, sizeof(sreq));
  sreq.method = req.method;
  sreq.path = req.target;
  sreq.headers = hdrs;
  sreq.n_headers = req.n_headers;
  sreq.body = req.body;
  sreq.body_len = req.body_len;
  memset(&params, 0, sizeof(params));
  params.access_key_id = creds.access_key_id;
  params.secret_access_key = creds.secret_access_key;
  params.session_token = creds.session_token;
  params.region = o.region;
  params.service = o.service;
  params.when = when;
  params.s3_rules = o.no_normalize;
  params.unsigned_payload = o.unsigned_payload;
  params.add_content_sha256_header = o.sign_body || o.unsigned_payload;
  params.omit_session_token_from_signature = o.omit_token;
  params.presign = o.presign;
  params.expires = expires;
  if (snm_sigv4_sign(&res, &sreq, &params, &err) != 0) {
    snm_log(SNM_LOG_ERROR, "sigv4: %s: %s", origin, err.msg);
    rc = err.code == SNM_EINVAL ? SNM_EXIT_USAGE : SNM_EXIT_FAILED;
    goto done;
  }
  if (snm_reqfile_write(&signed_req, &req, res.presigned_path, res.add_headers,
                        res.n_add_headers) != 0) {
    snm_log(SNM_LOG_ERROR, "sigv4: out of memory");
    goto done;
  }
  if (prints_token(&o, &creds) && isatty(STDOUT_FILENO))
    snm_log(SNM_LOG_WARN,
            "sigv4: the output holds the session token in clear (it is "
            "signed); anyone who can read this terminal or its scrollback "
            "can use it until it expires");
  switch (o.print) {
  case PRINT_CANONICAL:
    printf("%s\n", res.canonical_request);
    break;
  case PRINT_STRING_TO_SIGN:
    printf("%s\n", res.string_to_sign);
    break;
  case PRINT_SIGNATURE:
    printf("%s\n", res.signature);
    break;
  case PRINT_SIGNED_REQUEST:
    fwrite(signed_req.data, 1, signed_req.len, stdout);
    putchar('\n');
    break;
  case PRINT_ALL:
    print_report(&o, &creds, &res, &signed_req);
    break;
  }
  rc = SNM_EXIT_OK;
done:
  snm_sigv4_result_dispose(&res);
  free(hdrs);
  snm_creds_dispose(&creds);
  snm_reqfile_dispose(&req);
  snm_buf_dispose(&signed_req);
  snm_buf_dispose(&text);
  return rc;
}
