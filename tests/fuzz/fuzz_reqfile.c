/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_reqfile - libFuzzer target: a request file as `snapmig sigv4` reads
 * it (snm_reqfile_parse), written back, and, when it parses, signed with
 * the suite's example credentials: header and presigned, normalised and
 * S3 rules.  The input's first byte picks the signing options; the rest is
 * the request file.
 *
 * Built with -DENABLE_FUZZ=ON (see docs/fuzzing.md); run by
 * scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "reqfile.h"
#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sign(const struct snm_reqfile *r, unsigned opts)
{
  struct snm_sigv4_header *hdrs = calloc(r->n_headers + 1, sizeof(*hdrs));
  struct snm_sigv4_request req;
  struct snm_sigv4_params p;
  struct snm_sigv4_result res;
  struct snm_buf out;
  struct snm_err err;

  if (hdrs == NULL)
    return;
  for (size_t i = 0; i < r->n_headers; i++) {
    hdrs[i].name = r->headers[i].name;
    hdrs[i].value = r->headers[i].value;
  }
  memset(&req, 0, sizeof(req));
  req.method = r->method;
  req.path = r->target;
  req.headers = hdrs;
  req.n_headers = r->n_headers;
  req.body = r->body;
  req.body_len = r->body_len;
  memset(&p, 0, sizeof(p));
  p.access_key_id = "AKIDEXAMPLE";
  p.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  p.session_token = (opts & 1) != 0 ? "token" : NULL;
  p.region = "us-east-1";
  p.service = (opts & 2) != 0 ? "s3" : "es";
  p.when = 1440938160; /* 2015-08-30T12:36:00Z */
  p.s3_rules = (opts & 2) != 0;
  p.presign = (opts & 4) != 0;
  p.expires = 3600;
  p.unsigned_payload = (opts & 8) != 0;
  p.add_content_sha256_header = (opts & 16) != 0;
  p.omit_session_token_from_signature = (opts & 32) != 0;
  memset(&res, 0, sizeof(res));
  if (snm_sigv4_sign(&res, &req, &p, &err) == 0) {
    snm_buf_init(&out, 0);
    (void)snm_reqfile_write(&out, r, res.presigned_path, res.add_headers,
                            res.n_add_headers);
    snm_buf_dispose(&out);
  }
  snm_sigv4_result_dispose(&res);
  free(hdrs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct snm_reqfile r;
  struct snm_buf out;
  struct snm_err err;
  unsigned opts;

  if (size == 0)
    return 0;
  opts = data[0];
  if (snm_reqfile_parse(&r, (const char *)data + 1, size - 1, "fuzz.txt",
                        &err) == 0) {
    snm_buf_init(&out, 0);
    (void)snm_reqfile_write(&out, &r, NULL, NULL, 0);
    snm_buf_dispose(&out);
    (void)snm_reqfile_header(&r, "content-length");
    sign(&r, opts);
    (void)snm_reqfile_remove_header(&r, "x-amz-date");
  }
  snm_reqfile_dispose(&r);
  return 0;
}
