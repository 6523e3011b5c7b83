/* ini.h - the INI dialect of the AWS shared files (~/.aws/credentials,
 * ~/.aws/config), read the way the AWS CLI (botocore) reads them:
 *
 *   - "[name]" starts a section; the name is trimmed and case-sensitive;
 *   - "key = value": whitespace around '=' and the value is trimmed; keys are
 *     case-insensitive (stored lower-case);
 *   - lines whose first non-blank character is '#' or ';' are comments; a
 *     '#' or ';' later on a line is part of the value (no inline comments);
 *   - indented lines after a key continue it (the CLI's nested values such
 *     as "s3 =\n  max_concurrent_requests = 10"); they are not keys;
 *   - a key set twice in one section, or a section that appears twice, is
 *     merged: the last value wins.
 *
 * Values may be secrets: the parsed text is zeroed (OPENSSL_cleanse) when
 * the object is freed, and parse errors never quote the offending line.
 */
#ifndef SNM_INI_H
#define SNM_INI_H

#include <stddef.h>

#include "err.h"

struct snm_ini; /* opaque; owns copies of all names and values */

/* Parse `len` bytes of `text`; `name` (a file name for messages) is only
 * used in errors.  Returns 0 and sets *out, SNM_EPARSE ("name:line: ...")
 * on a line that is neither blank, comment, section header nor key = value
 * (or a key before the first section), or SNM_ENOMEM. */
int snm_ini_parse(struct snm_ini **out, const char *text, size_t len,
                  const char *name, struct snm_err *err) SNM_MUST_CHECK;

/* Read and parse the file at `path` (at most 1 MiB); `name` is how messages
 * call it (e.g. "~/.aws/config").  Returns 0 with *out set, or 0 with *out
 * NULL when the file does not exist; SNM_EIO when it cannot be read,
 * SNM_EPARSE or SNM_ENOMEM as snm_ini_parse. */
int snm_ini_load(struct snm_ini **out, const char *path, const char *name,
                 struct snm_err *err) SNM_MUST_CHECK;

/* Zero and free; NULL is fine. */
void snm_ini_free(struct snm_ini *ini);

/* 1 if a section named exactly `section` exists (even if empty), else 0. */
int snm_ini_has_section(const struct snm_ini *ini, const char *section);

/* The value of `key` (any case) in `section`, or NULL.  Borrowed: valid
 * until snm_ini_free.  `ini` may be NULL (no file): returns NULL. */
const char *snm_ini_get(const struct snm_ini *ini, const char *section,
                        const char *key);

#endif
