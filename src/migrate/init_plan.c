/* SPDX-License-Identifier: Apache-2.0 */
/* init_plan.c - `snapmig init`'s pure parts: auth specs, the probe plan,
 * the facts, the choices (repository, rename, replicas).  The plan's text
 * is written by init_write.c, the requests are in init_fetch.c. */
#include "init_int.h"
#include "buf.h"
#include "indexpat.h"
#include "rename.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A malloced formatted string, or NULL. */
char *snm__init_xprintf(const char *fmt, ...)
{
  struct snm_buf b;
  va_list ap;
  int rc;

  snm_buf_init(&b, 0);
  va_start(ap, fmt);
  rc = snm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  if (rc != 0) {
    snm_buf_dispose(&b);
    return NULL;
  }
  return snm_buf_steal(&b);
}

/* A JSON string (quoted, escaped) onto `b`. */
int snm__init_put_jstr(struct snm_buf *b, const char *s)
{
  int rc = snm_buf_putc(b, '"');

  for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
    if (*p == '"' || *p == '\\')
      rc = snm_buf_printf(b, "\\%c", *p);
    else if (*p < 0x20)
      rc = snm_buf_printf(b, "\\u%04x", *p);
    else
      rc = snm_buf_putc(b, (char)*p);
  }
  return rc != 0 ? rc : snm_buf_putc(b, '"');
}

/* Text for a // comment: one line, control characters as '?'. */
int snm__init_put_comment_text(struct snm_buf *b, const char *s)
{
  int rc = 0;

  for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++)
    rc = snm_buf_putc(b, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
  return rc;
}

/* The host of an endpoint URL into `host` ("" when there is none). */
static void url_host(char *host, size_t hostsz, const char *url)
{
  const char *p = strstr(url, "://"), *end;
  size_t n;

  host[0] = '\0';
  if (p == NULL)
    return;
  p += 3;
  if (*p == '[') {
    end = strchr(p, ']');
    p++;
  } else {
    end = p + strcspn(p, ":/?#");
  }
  if (end == NULL)
    return;
  n = (size_t)(end - p);
  if (n >= hostsz)
    n = hostsz - 1;
  memcpy(host, p, n);
  host[n] = '\0';
}

static int url_region(char *region, size_t regionsz, const char *url)
{
  char host[256], service[16];

  url_host(host, sizeof(host), url);
  region[0] = '\0';
  return host[0] != '\0' &&
         snm_aws_host_info(host, region, regionsz, service, sizeof(service));
}

int snm_init_auth_json(struct snm_buf *out, const char *spec,
                       const char *endpoint, struct snm_err *err)
{
  static const char *const sigv4_keys[] = {"region", "service", "profile",
                                           NULL};
  static const char *const basic_keys[] = {"username", "password_env", NULL};
  static const char *const no_keys[] = {NULL};
  const char *const *keys;
  char region[64], *copy, *save = NULL, *tok;
  const char *type;
  size_t item = 0;
  int rc = 0;

  if (spec == NULL)
    return snm_buf_puts(out, url_region(region, sizeof(region), endpoint)
                                 ? "{\"type\": \"aws-sigv4\"}"
                                 : "{\"type\": \"none\"}");
  copy = strdup(spec);
  if (copy == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  type = strtok_r(copy, ",", &save);
  if (type == NULL ||
      (strcmp(type, "none") != 0 && strcmp(type, "aws-sigv4") != 0 &&
       strcmp(type, "basic") != 0)) {
    rc = snm_err_set(err, SNM_EINVAL,
                     "auth: the type is none, aws-sigv4 or basic, then "
                     "KEY=VALUE pairs (aws-sigv4,profile=NAME or "
                     "basic,username=USER,password_env=VARIABLE)");
    goto done;
  }
  keys = strcmp(type, "aws-sigv4") == 0 ? sigv4_keys
         : strcmp(type, "basic") == 0   ? basic_keys
                                        : no_keys;
  rc = snm_buf_puts(out, "{\"type\": ");
  if (rc == 0)
    rc = snm__init_put_jstr(out, type);
  while (rc == 0 && (tok = strtok_r(NULL, ",", &save)) != NULL) {
    char *eq = strchr(tok, '=');
    size_t k;

    item++;

    if (eq != NULL)
      *eq = '\0';
    if (strcmp(tok, "password") == 0) {
      rc = snm_err_set(err, SNM_EINVAL,
                       "auth: a password never goes in a plan: put it in an "
                       "environment variable and give password_env=VARIABLE");
      goto done;
    }
    for (k = 0; keys[k] != NULL; k++)
      if (strcmp(tok, keys[k]) == 0)
        break;
    /* values are never quoted back: one may be a secret typed by mistake */
    if (eq == NULL || eq[1] == '\0') {
      rc = snm_err_set(err, SNM_EINVAL,
                       "auth %s: item %zu after the type is not KEY=VALUE",
                       type, item);
      goto done;
    }
    if (keys[k] == NULL) {
      rc = snm_err_set(err, SNM_EINVAL,
                       "auth %s: no key \"%.32s\" (%s auth takes %s)", type,
                       tok, type,
                       keys == sigv4_keys   ? "region, service and profile"
                       : keys == basic_keys ? "username and password_env"
                                            : "no keys");
      goto done;
    }
    rc = snm_buf_puts(out, ", ");
    if (rc == 0)
      rc = snm__init_put_jstr(out, tok);
    if (rc == 0)
      rc = snm_buf_puts(out, ": ");
    if (rc == 0)
      rc = snm__init_put_jstr(out, eq + 1);
  }
  if (rc == 0 && strcmp(type, "basic") == 0 &&
      (strstr(spec, "username=") == NULL ||
       strstr(spec, "password_env=") == NULL)) {
    rc = snm_err_set(err, SNM_EINVAL,
                     "auth basic: needs username=USER and "
                     "password_env=VARIABLE (the variable that holds the "
                     "password)");
    goto done;
  }
  if (rc == 0)
    rc = snm_buf_putc(out, '}');
  if (rc == SNM_ENOMEM)
    snm_err_set(err, SNM_ENOMEM, "out of memory");
done:
  free(copy);
  return rc;
}

int snm_init_probe_plan(struct snm_buf *out, const struct snm_init_opts *o,
                        struct snm_err *err)
{
  int rc = snm_buf_puts(out, "{\"snapmig\": 1, \"name\": ");

  if (rc == 0)
    rc = snm__init_put_jstr(out, o->name);
  if (rc == 0)
    rc = snm_buf_puts(out, ", \"domains\": {\"source\": {\"endpoint\": ");
  if (rc == 0)
    rc = snm__init_put_jstr(out, o->source_url);
  if (rc == 0)
    rc = snm_buf_puts(out, ", \"auth\": ");
  if (rc == 0)
    rc = snm_init_auth_json(out, o->source_auth, o->source_url, err);
  if (rc == 0)
    rc = snm_buf_puts(out, "}, \"target\": {\"endpoint\": ");
  if (rc == 0)
    rc = snm__init_put_jstr(out, o->target_url);
  if (rc == 0)
    rc = snm_buf_puts(out, ", \"auth\": ");
  if (rc == 0)
    rc = snm_init_auth_json(out, o->target_auth, o->target_url, err);
  /* never registered: init only reads */
  if (rc == 0)
    rc = snm_buf_puts(out, "}}, \"repository\": {\"name\": "
                           "\"snapmig-init-probe\", \"type\": \"fs\", "
                           "\"settings\": {\"location\": "
                           "\"/snapmig-init-probe\"}}, \"snapshot\": "
                           "{\"domain\": \"source\"");
  if (rc == 0 && o->indices != NULL) {
    rc = snm_buf_puts(out, ", \"indices\": ");
    if (rc == 0)
      rc = snm__init_put_jstr(out, o->indices);
  }
  if (rc == 0)
    rc = snm_buf_puts(out, "}, \"restores\": [{\"domain\": \"target\"}]}\n");
  if (rc == SNM_ENOMEM && err->code == 0)
    snm_err_set(err, SNM_ENOMEM, "out of memory");
  return rc;
}

/* ---- facts ------------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static void side_dispose(struct snm_init_side *s)
{
  free(s->endpoint);
  free(s->auth_json);
  free_strv(s->path_repo, s->n_path_repo);
  for (size_t i = 0; i < s->n_repos; i++) {
    free(s->repos[i].name);
    free(s->repos[i].type);
    free(s->repos[i].settings_json);
  }
  free(s->repos);
  free(s->error);
}

void snm_init_facts_dispose(struct snm_init_facts *f)
{
  side_dispose(&f->source);
  side_dispose(&f->target);
  for (size_t i = 0; i < f->n_indices; i++) {
    free(f->indices[i].name);
    free_strv(f->indices[i].aliases, f->indices[i].n_aliases);
  }
  free(f->indices);
  free_strv(f->target_names, f->n_target_names);
  memset(f, 0, sizeof(*f));
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int target_has(const struct snm_init_facts *f, const char *name)
{
  return f->n_target_names > 0 &&
         bsearch(&name, f->target_names, f->n_target_names,
                 sizeof(*f->target_names), cmp_str) != NULL;
}

/* ---- choices ----------------------------------------------------------- */

void snm_init_choice_dispose(struct snm_init_choice *c)
{
  free(c->repo_name);
  free(c->repo_settings);
  free(c->repo_comment);
  free(c->rename_replacement);
  memset(c, 0, sizeof(*c));
}

static const struct snm_init_repo *find_repo(const struct snm_init_side *s,
                                             const char *name)
{
  for (size_t i = 0; i < s->n_repos; i++)
    if (strcmp(s->repos[i].name, name) == 0)
      return &s->repos[i];
  return NULL;
}

/* Amazon OpenSearch Service's automated snapshots ("cs-automated*") cannot
 * be registered elsewhere. */
static int usable_repo(const struct snm_init_repo *r)
{
  return (strcmp(r->type, "fs") == 0 || strcmp(r->type, "s3") == 0) &&
         strncmp(r->name, "cs-", 3) != 0 && r->name[0] != '.';
}

/* "snapmig-NAME" lowercased, a valid repository name. */
static char *repo_name_for(const char *plan_name)
{
  size_t n = strlen(plan_name);
  char *s = malloc(n + 9);

  if (s == NULL)
    return NULL;
  memcpy(s, "snapmig-", 8);
  for (size_t i = 0; i <= n; i++) {
    char ch = plan_name[i];
    s[8 + i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
  }
  if (strlen(s) > 200)
    s[200] = '\0';
  return s;
}

static int set_repo(struct snm_init_choice *c, const char *name,
                    const char *type, const char *settings, int placeholder,
                    const char *comment)
{
  c->repo_name = strdup(name);
  c->repo_settings = strdup(settings);
  c->repo_comment = strdup(comment);
  snprintf(c->repo_type, sizeof(c->repo_type), "%s", type);
  c->repo_placeholder = placeholder;
  return c->repo_name && c->repo_settings && c->repo_comment ? 0 : SNM_ENOMEM;
}

static int choose_repo(struct snm_init_choice *c,
                       const struct snm_init_facts *f,
                       const struct snm_init_opts *o)
{
  const struct snm_init_side *src = &f->source, *dst = &f->target;
  char *name = repo_name_for(o->name), *comment = NULL;
  struct snm_buf b;
  int rc = SNM_ENOMEM;

  snm_buf_init(&b, 0);
  if (name == NULL)
    goto done;
  /* both on AWS: S3, the source's manual-snapshot repository if it has
   * one, else a bucket and role to fill in */
  if (src->region[0] != '\0' && dst->region[0] != '\0') {
    for (size_t i = 0; i < src->n_repos; i++) {
      const struct snm_init_repo *r = &src->repos[i];
      if (usable_repo(r) && strcmp(r->type, "s3") == 0) {
        rc = set_repo(c, r->name, "s3", r->settings_json, 0,
                      "Both domains are on Amazon OpenSearch Service: the "
                      "source's manual-snapshot S3 repository, registered "
                      "read-only on the target too.");
        goto done;
      }
    }
    if (snm_buf_puts(&b, "{\"bucket\": \"CHANGE-ME-snapshot-bucket\", "
                         "\"region\": ") != 0 ||
        snm__init_put_jstr(&b, src->region) != 0 ||
        snm_buf_puts(&b, ", \"role_arn\": \"arn:aws:iam::ACCOUNT-ID:role/"
                         "CHANGE-ME-snapshot-role\", \"base_path\": ") != 0 ||
        snm_buf_printf(&b, "\"snapmig/%s\"}", name + 8) != 0)
      goto done;
    rc = set_repo(c, name, "s3", snm_buf_str(&b), 1,
                  "Both domains are on Amazon OpenSearch Service: an S3 "
                  "bucket in the source's region and the IAM role the "
                  "service assumes to reach it.  CHANGE-ME: fill in both; "
                  "`snapmig iam-policy PLAN` prints the role's policies.");
    goto done;
  }
  /* a repository both already have, registered alike */
  for (size_t i = 0; i < src->n_repos; i++) {
    const struct snm_init_repo *r = &src->repos[i], *t;
    if (!usable_repo(r) || (t = find_repo(dst, r->name)) == NULL ||
        strcmp(t->type, r->type) != 0 ||
        strcmp(t->settings_json, r->settings_json) != 0)
      continue;
    if (snm_buf_printf(&b,
                       "Registered alike on both clusters already (%s): "
                       "used as it is.",
                       r->type) != 0)
      goto done;
    rc = set_repo(c, r->name, r->type, r->settings_json, 0, snm_buf_str(&b));
    goto done;
  }
  /* a directory both list in path.repo: a shared file system */
  for (size_t i = 0; i < src->n_path_repo; i++) {
    for (size_t j = 0; j < dst->n_path_repo; j++) {
      if (strcmp(src->path_repo[i], dst->path_repo[j]) != 0)
        continue;
      if (snm_buf_puts(&b, "{\"location\": ") != 0)
        goto done;
      {
        const char *dir = src->path_repo[i];
        char *loc = snm__init_xprintf(
            "%s%s%s", dir,
            dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
        if (loc == NULL)
          goto done;
        rc = snm__init_put_jstr(&b, loc);
        free(loc);
        if (rc != 0 || snm_buf_putc(&b, '}') != 0) {
          rc = SNM_ENOMEM;
          goto done;
        }
      }
      comment =
          snm__init_xprintf("A shared file system: both clusters list %s in "
                            "path.repo (every node must see the same files "
                            "there).",
                            src->path_repo[i]);
      if (comment == NULL) {
        rc = SNM_ENOMEM;
        goto done;
      }
      rc = set_repo(c, name, "fs", snm_buf_str(&b), 0, comment);
      goto done;
    }
  }
  /* the source's own repository, if it has one */
  for (size_t i = 0; i < src->n_repos; i++) {
    const struct snm_init_repo *r = &src->repos[i];
    if (!usable_repo(r))
      continue;
    if (snm_buf_printf(&b,
                       "The source's %s repository, registered read-only on "
                       "the target too: the target must reach the same %s.",
                       r->type,
                       strcmp(r->type, "s3") == 0
                           ? "bucket (its S3 client "
                             "settings)"
                           : "directory (path.repo)") != 0)
      goto done;
    rc = set_repo(c, r->name, r->type, r->settings_json, 0, snm_buf_str(&b));
    goto done;
  }
  rc = set_repo(
      c, name, "fs",
      "{\"location\": \"/CHANGE-ME/a/directory/both/clusters/share\"}", 1,
      src->path_repo_known && dst->path_repo_known
          ? "CHANGE-ME: the clusters share no path.repo directory and have "
            "no repository registered: give a directory both list in "
            "path.repo (a shared file system), or an s3 repository."
          : "CHANGE-ME: the clusters' path.repo could not be read: give a "
            "directory both list in path.repo (a shared file system), or "
            "an s3 repository.");
done:
  free(name);
  free(comment);
  snm_buf_dispose(&b);
  return rc;
}

/* Every selected name renamed with "PREFIX$1" is free on the target. */
static int prefix_free(const struct snm_init_facts *f, const char *prefix)
{
  char buf[512];

  for (size_t i = 0; i < f->n_indices; i++) {
    if (f->indices[i].excluded)
      continue;
    snprintf(buf, sizeof(buf), "%s%s", prefix, f->indices[i].name);
    if (target_has(f, buf))
      return 0;
  }
  return 1;
}

static int choose_rename(struct snm_init_choice *c,
                         const struct snm_init_facts *f)
{
  static const char *const prefixes[] = {"restored-", "migrated-", "snapmig-",
                                         NULL};
  int taken = !f->target_names_known;
  char prefix[32];

  for (size_t i = 0; i < f->n_indices && !taken; i++)
    taken = !f->indices[i].excluded && target_has(f, f->indices[i].name);
  if (!taken)
    return 0;
  for (int i = 0; i < 100; i++) {
    if (i < 3)
      snprintf(prefix, sizeof(prefix), "%s", prefixes[i]);
    else
      snprintf(prefix, sizeof(prefix), "restored-%d-", i - 1);
    if (!f->target_names_known || prefix_free(f, prefix))
      break;
  }
  c->rename_replacement = snm__init_xprintf("%s$1", prefix);
  return c->rename_replacement != NULL ? 0 : SNM_ENOMEM;
}

int snm_init_choose(struct snm_init_choice *c, const struct snm_init_facts *f,
                    const struct snm_init_opts *o)
{
  long most = -1;
  int rc;

  memset(c, 0, sizeof(*c));
  c->replicas = -1;
  c->include_aliases = 1;
  rc = choose_repo(c, f, o);
  if (rc == 0)
    rc = choose_rename(c, f);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < f->n_indices; i++) {
    const struct snm_init_index *ix = &f->indices[i];
    if (ix->excluded)
      continue;
    if (ix->replicas > most)
      most = ix->replicas;
    /* an alias the restore brings must not be a name the target holds */
    for (size_t a = 0; a < ix->n_aliases; a++)
      if (!f->target_names_known || target_has(f, ix->aliases[a]))
        c->include_aliases = 0;
  }
  if (f->target.data_nodes > 0 && most >= f->target.data_nodes)
    c->replicas = f->target.data_nodes - 1;
  return 0;
}
