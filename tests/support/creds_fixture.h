/* SPDX-License-Identifier: Apache-2.0 */
/* creds_fixture.h - a clean AWS environment for the credential tests.
 *
 * Every test starts with no AWS_* variable set, HOME pointing at a private
 * temporary directory, AWS_SHARED_CREDENTIALS_FILE/AWS_CONFIG_FILE pointing
 * at files that do not exist there, and AWS_EC2_METADATA_DISABLED=true, so
 * no test reads the real ~/.aws or reaches the real 169.254.169.254. */
#ifndef SNM_CREDS_FIXTURE_H
#define SNM_CREDS_FIXTURE_H

#include "creds.h"
#include "err.h"

/* cmocka group setup/teardown: curl_global_init and the temporary dir. */
int snm_fx_group_setup(void **state);
int snm_fx_group_teardown(void **state);
/* cmocka per-test setup/teardown: the clean environment; teardown removes
 * the test's files and forgets registered secrets. */
int snm_fx_setup(void **state);
int snm_fx_teardown(void **state);

/* The temporary directory (also $HOME). */
const char *snm_fx_dir(void);

/* Write `content` to a new file under the temporary directory; returns its
 * path (valid until teardown).  Fails the test on error. */
const char *snm_fx_file(const char *content);

/* Point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE at new files with
 * this content. */
void snm_fx_credentials_file(const char *content);
void snm_fx_config_file(const char *content);

/* A provider with `opts` (may be NULL), one get, and free.  Returns what
 * snm_creds_provider_get returned; `out` is filled on success. */
int snm_fx_resolve(const struct snm_creds_opts *opts, struct snm_creds *out,
                   struct snm_err *err);

/* 1 if snm_redact_text turns "x <secret> y" into text without `secret`
 * that contains [REDACTED]. */
int snm_fx_is_redacted(const char *secret);

/* Metadata-service JSON with these fields; `code` NULL leaves Code out.
 * Returns a static buffer. */
const char *snm_fx_creds_json(const char *code, const char *id,
                              const char *secret, const char *token,
                              const char *expiration);

#endif
