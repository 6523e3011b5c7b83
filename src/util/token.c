/* SPDX-License-Identifier: Apache-2.0 */
#include "token.h"

#include <string.h>

int snm_is_tchar(int c)
{
  /* c != '\0': strchr would find the terminator */
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int snm_is_token(const char *s, size_t len)
{
  if (len == 0)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (!snm_is_tchar((unsigned char)s[i]))
      return 0;
  return 1;
}
