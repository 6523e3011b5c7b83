/* SPDX-License-Identifier: Apache-2.0 */
/* token.h - RFC 7230 tokens, the alphabet of HTTP methods and header names.
 *
 * snm_is_tchar: 1 if `c` is a token character (letters, digits and
 * !#$%&'*+-.^_`|~); never for NUL.  snm_is_token: 1 if the `len` bytes at
 * `s` are a non-empty token.
 */
#ifndef SNM_TOKEN_H
#define SNM_TOKEN_H

#include <stddef.h>

int snm_is_tchar(int c);
int snm_is_token(const char *s, size_t len);

#endif
