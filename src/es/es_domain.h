/* SPDX-License-Identifier: Apache-2.0 */
/* es_domain.h - one Elasticsearch / OpenSearch domain as snapmig reaches
 * it: where it is, how to authenticate, how to verify its certificate.
 *
 * The plan (migrate/plan.h) fills these from its "domains" object; the es
 * layer only reads them.  Strings are malloced and owned by whoever filled
 * the struct (the plan).
 */
#ifndef SNM_ES_DOMAIN_H
#define SNM_ES_DOMAIN_H

#include "diag.h"

enum snm_auth_type { SNM_AUTH_NONE, SNM_AUTH_AWS_SIGV4, SNM_AUTH_BASIC };

/* The name as written in a plan: "none", "aws-sigv4", "basic". */
const char *snm_auth_type_name(enum snm_auth_type t);

struct snm_domain {
  char *id;        /* the key under "domains" */
  char *endpoint;  /* as written, without a trailing '/' */
  char *base_url;  /* normalised "scheme://host[:port][/prefix]", the port
                      only when not the scheme's default */
  int tls;         /* 1: https */
  char *host;      /* name or address; an IPv6 address without brackets */
  unsigned port;   /* as written, else 80 / 443 */
  char *base_path; /* "" or "/prefix" (no trailing '/') */
  enum snm_auth_type auth;
  char *region;       /* aws-sigv4: given or derived; else NULL */
  int region_derived; /* 1: taken from the endpoint's host name */
  char *service;      /* aws-sigv4: "es" or "aoss" (or as given); else NULL */
  char *profile;      /* aws-sigv4: NULL or the AWS profile to use */
  char *username;     /* basic: the user */
  char *password_env; /* basic: the environment variable holding the
                         password (the password itself is never stored) */
  char *ca_file;      /* NULL or a CA bundle path (PEM) */
  int insecure;       /* 1: TLS verification off (warned about) */
  long timeout_s;     /* per request, default 30 */
  struct snm_plan_pos pos; /* the domain's key, for messages */
};

#endif
