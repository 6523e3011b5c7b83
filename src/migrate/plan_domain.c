/* SPDX-License-Identifier: Apache-2.0 */
/* plan_domain.c - the "domains" section: endpoints and authentication. */
#include "plan_int.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const domain_keys[] = {"endpoint", "auth",      "ca_file",
                                          "insecure", "timeout_s", NULL};
/* every key any auth type knows, "password" included so it gets its own
 * message rather than "unknown key" */
static const char *const auth_keys[] = {"type",     "region",   "service",
                                        "profile",  "username", "password_env",
                                        "password", NULL};
static const char *const auth_type_names[] = {"none", "aws-sigv4", "basic",
                                              NULL};

static void read_aws_auth(struct pctx *c, struct snm_domain *d,
                          const struct snm_json *a, const char *path,
                          const struct snm_json *endpoint)
{
  char region[64], service[16], where[PC_PATH_MAX];
  int derivable =
      d->host != NULL && snm_aws_host_info(d->host, region, sizeof(region),
                                           service, sizeof(service));
  const struct snm_json *rv = snm_json_get(a, "region");
  const struct snm_json *sv = snm_json_get(a, "service");

  pc_string(c, a, path, "region", 0, &d->region);
  pc_string(c, a, path, "service", 0, &d->service);
  pc_string(c, a, path, "profile", 0, &d->profile);
  pc_path(where, sizeof(where), path, "region");
  if (d->region != NULL && !pc_all_chars_in(d->region, "-"))
    pc_error(c, rv->offset, "%s: \"%s\" is not an AWS region name", where,
             d->region);
  else if (d->region != NULL && derivable && strcmp(d->region, region) != 0)
    pc_warn(c, rv->offset,
            "%s: \"%s\" differs from the endpoint's region "
            "\"%s\"",
            where, d->region, region);
  if (d->region == NULL && rv == NULL) {
    if (derivable) {
      d->region = pc_strdup(c, region);
      d->region_derived = 1;
    } else if (d->host != NULL) {
      pc_error(c, a->offset,
               "%s: missing required key 'region' (it cannot "
               "be derived from the endpoint's host name)",
               path);
    }
  }
  if (d->service == NULL && sv == NULL)
    d->service = pc_strdup(c, derivable ? service : "es");
  else if (d->service != NULL && derivable && strcmp(d->service, service) != 0)
    pc_warn(c, sv->offset,
            "%s.service: \"%s\" differs from the endpoint's "
            "service \"%s\"",
            path, d->service, service);
  if (endpoint != NULL && d->host != NULL && !d->tls)
    pc_warn(c, endpoint->offset,
            "domains.%s.endpoint: aws-sigv4 over plain "
            "http: requests and replies are not encrypted",
            d->id);
}

static void read_basic_auth(struct pctx *c, struct snm_domain *d,
                            const struct snm_json *a, const char *path,
                            const struct snm_json *endpoint)
{
  char where[PC_PATH_MAX];

  pc_string(c, a, path, "username", 1, &d->username);
  if (!pc_string(c, a, path, "password_env", 1, &d->password_env) ||
      d->password_env == NULL)
    return;
  pc_path(where, sizeof(where), path, "password_env");
  if (!(d->password_env[0] < '0' || d->password_env[0] > '9') ||
      strspn(d->password_env, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                              "tuvwxyz0123456789_") != strlen(d->password_env))
    pc_error(c, snm_json_get(a, "password_env")->offset,
             "%s: \"%s\" is not an environment variable name", where,
             d->password_env);
  else if (getenv(d->password_env) == NULL)
    pc_warn(c, snm_json_get(a, "password_env")->offset,
            "%s: environment variable %s is not set (it must be when the plan "
            "runs)",
            where, d->password_env);
  if (endpoint != NULL && d->host != NULL && !d->tls)
    pc_warn(c, endpoint->offset,
            "domains.%s.endpoint: basic auth over plain "
            "http sends the password unencrypted",
            d->id);
}

static void read_auth(struct pctx *c, struct snm_domain *d,
                      const struct snm_json *dobj, const char *dpath)
{
  const struct snm_json *a = pc_get(c, dobj, dpath, "auth", SNM_JSON_OBJECT, 0);
  const struct snm_json *endpoint = snm_json_get(dobj, "endpoint");
  const struct snm_json_member *pw;
  static const char *const applies[] = {
      "region",       "aws-sigv4", "service",  "aws-sigv4",
      "profile",      "aws-sigv4", "username", "basic",
      "password_env", "basic",     NULL};
  char path[PC_PATH_MAX];
  int type = SNM_AUTH_NONE;

  d->auth = SNM_AUTH_NONE;
  if (a == NULL)
    return;
  pc_path(path, sizeof(path), dpath, "auth");
  pc_check_keys(c, a, path, auth_keys);
  pw = snm_json_member(a, "password");
  if (pw != NULL) {
    /* never quote it; and scrub it from any later log line */
    if (pw->value->type == SNM_JSON_STRING &&
        snm_log_add_secret(pw->value->u.string.ptr) != 0)
      c->nomem = 1;
    pc_error(c, pw->key_offset,
             "%s.password: a password must not be written "
             "in a plan; put it in an environment variable and name that in "
             "\"password_env\"",
             path);
  }
  if (!pc_required_enum(c, a, path, "type", auth_type_names, &type))
    return;
  d->auth = (enum snm_auth_type)type;
  for (size_t i = 0; applies[i] != NULL; i += 2) {
    const struct snm_json_member *m = snm_json_member(a, applies[i]);
    if (m != NULL && !m->duplicate &&
        strcmp(applies[i + 1], auth_type_names[type]) != 0)
      pc_error(c, m->key_offset, "%s.%s: only used with auth type \"%s\"", path,
               applies[i], applies[i + 1]);
  }
  if (d->auth == SNM_AUTH_AWS_SIGV4)
    read_aws_auth(c, d, a, path, endpoint);
  else if (d->auth == SNM_AUTH_BASIC)
    read_basic_auth(c, d, a, path, endpoint);
}

static void read_domain(struct pctx *c, struct snm_domain *d,
                        const struct snm_json *v)
{
  char path[PC_PATH_MAX], *ca = NULL;
  const struct snm_json *ev;
  long timeout = 30;

  pc_path(path, sizeof(path), "domains", d->id);
  d->timeout_s = 30;
  if (v->type != SNM_JSON_OBJECT) {
    pc_error(c, v->offset, "%s: expected an object, got %s", path,
             snm_json_type_name(v->type));
    return;
  }
  pc_check_keys(c, v, path, domain_keys);
  ev = pc_get(c, v, path, "endpoint", SNM_JSON_STRING, 1);
  if (ev != NULL)
    pc_endpoint(c, ev, path, d);
  read_auth(c, d, v, path);
  if (pc_string(c, v, path, "ca_file", 0, &ca) && ca != NULL &&
      access(ca, R_OK) != 0)
    pc_warn(c, snm_json_get(v, "ca_file")->offset,
            "%s.ca_file: cannot read \"%s\": %s (it must be readable when "
            "the plan runs)",
            path, ca, strerror(errno));
  d->ca_file = ca;
  pc_bool(c, v, path, "insecure", 0, &d->insecure);
  if (d->insecure)
    pc_warn(c, snm_json_get(v, "insecure")->offset,
            "%s.insecure: TLS certificate verification is off for this "
            "domain",
            path);
  pc_long(c, v, path, "timeout_s", 30, 1, 3600, &timeout);
  d->timeout_s = timeout;
}

void pc_read_domains(struct pctx *c, struct snm_plan *p,
                     const struct snm_json *root)
{
  const struct snm_json *obj =
      pc_get(c, root, "", "domains", SNM_JSON_OBJECT, 1);

  if (obj == NULL)
    return;
  if (obj->u.object.len == 0) {
    pc_error(c, obj->offset, "domains: at least one domain is needed");
    return;
  }
  p->domains = calloc(obj->u.object.len, sizeof(*p->domains));
  if (p->domains == NULL) {
    c->nomem = 1;
    return;
  }
  for (size_t i = 0; i < obj->u.object.len; i++) {
    const struct snm_json_member *m = &obj->u.object.items[i];
    struct snm_domain *d;

    if (m->duplicate) {
      pc_error(c, m->key_offset, "domains.%s: duplicate domain id", m->key);
      continue;
    }
    d = &p->domains[p->n_domains++];
    d->id = pc_strdup(c, m->key);
    d->pos = pc_pos(c, m->key_offset);
    if (d->id == NULL)
      return;
    if (m->key_len == 0 || strlen(m->key) != m->key_len ||
        !pc_all_chars_in(m->key, "_-"))
      pc_error(c, m->key_offset,
               "domains: domain id \"%s\" may only use "
               "a-z, 0-9, '_' and '-'",
               m->key);
    read_domain(c, d, m->value);
  }
}
