/* SPDX-License-Identifier: Apache-2.0 */
#include "es_domain.h"

const char *snm_auth_type_name(enum snm_auth_type t)
{
  switch (t) {
  case SNM_AUTH_NONE:
    return "none";
  case SNM_AUTH_AWS_SIGV4:
    return "aws-sigv4";
  case SNM_AUTH_BASIC:
    return "basic";
  }
  return "?";
}
