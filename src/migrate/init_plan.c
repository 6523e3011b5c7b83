/* init_plan.c - `snapmig init`'s pure parts: auth specs, the probe plan,
 * the choices (repository, rename, replicas) and the starter plan's text.
 * The requests are in init_fetch.c. */
#include "init_plan.h"
#include "buf.h"
#include "indexpat.h"
#include "rename.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INIT_RENAME_PATTERN "^(.+)$"

/* A malloced formatted string, or NULL. */
static char *xprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
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
static int put_jstr(struct snm_buf *b, const char *s)
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
static int put_comment_text(struct snm_buf *b, const char *s)
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
                     "auth \"%.64s\": the type is none, aws-sigv4 or basic, "
                     "then KEY=VALUE pairs (aws-sigv4,profile=NAME or "
                     "basic,username=USER,password_env=VARIABLE)",
                     spec);
    goto done;
  }
  keys = strcmp(type, "aws-sigv4") == 0 ? sigv4_keys
         : strcmp(type, "basic") == 0   ? basic_keys
                                        : no_keys;
  rc = snm_buf_puts(out, "{\"type\": ");
  if (rc == 0)
    rc = put_jstr(out, type);
  while (rc == 0 && (tok = strtok_r(NULL, ",", &save)) != NULL) {
    char *eq = strchr(tok, '=');
    size_t k;

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
    if (eq == NULL || eq[1] == '\0' || keys[k] == NULL) {
      rc = snm_err_set(err, SNM_EINVAL,
                       eq == NULL || eq[1] == '\0'
                           ? "auth \"%.64s\": \"%.32s\" is not KEY=VALUE"
                           : "auth \"%.64s\": %s auth has no key \"%.32s\"",
                       spec, eq == NULL || eq[1] == '\0' ? tok : type, tok);
      goto done;
    }
    rc = snm_buf_puts(out, ", ");
    if (rc == 0)
      rc = put_jstr(out, tok);
    if (rc == 0)
      rc = snm_buf_puts(out, ": ");
    if (rc == 0)
      rc = put_jstr(out, eq + 1);
  }
  if (rc == 0 && strcmp(type, "basic") == 0 &&
      (strstr(spec, "username=") == NULL ||
       strstr(spec, "password_env=") == NULL)) {
    rc = snm_err_set(err, SNM_EINVAL,
                     "auth \"%.64s\": basic needs username=USER and "
                     "password_env=VARIABLE (the variable that holds the "
                     "password)",
                     spec);
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
    rc = put_jstr(out, o->name);
  if (rc == 0)
    rc = snm_buf_puts(out, ", \"domains\": {\"source\": {\"endpoint\": ");
  if (rc == 0)
    rc = put_jstr(out, o->source_url);
  if (rc == 0)
    rc = snm_buf_puts(out, ", \"auth\": ");
  if (rc == 0)
    rc = snm_init_auth_json(out, o->source_auth, o->source_url, err);
  if (rc == 0)
    rc = snm_buf_puts(out, "}, \"target\": {\"endpoint\": ");
  if (rc == 0)
    rc = put_jstr(out, o->target_url);
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
      rc = put_jstr(out, o->indices);
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
        put_jstr(&b, src->region) != 0 ||
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
        char *loc = xprintf(
            "%s%s%s", dir,
            dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
        if (loc == NULL)
          goto done;
        rc = put_jstr(&b, loc);
        free(loc);
        if (rc != 0 || snm_buf_putc(&b, '}') != 0) {
          rc = SNM_ENOMEM;
          goto done;
        }
      }
      comment = xprintf("A shared file system: both clusters list %s in "
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
  c->rename_replacement = xprintf("%s$1", prefix);
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

/* ---- the plan's text --------------------------------------------------- */

static void human_bytes(char *out, size_t outsz, long long n)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = (double)n;
  int u = 0;

  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(out, outsz, "%lld B", n);
  else
    snprintf(out, outsz, "%.1f %s", v, units[u]);
}

/* ", N documents, SIZE" for a set of names (unknown parts left out). */
static int put_amounts(struct snm_buf *b, long long docs, long long bytes)
{
  char size[32];
  int rc = 0;

  if (docs >= 0)
    rc = snm_buf_printf(b, ", %lld document%s", docs, docs == 1 ? "" : "s");
  if (rc == 0 && bytes >= 0) {
    human_bytes(size, sizeof(size), bytes);
    rc = snm_buf_printf(b, ", %s", size);
  }
  return rc;
}

/* The group prefix of a name: up to and including its first '-', '_' or
 * '.' after the first character; 0 when it has none. */
static size_t group_prefix(const char *name)
{
  size_t k = strcspn(name + 1, "-_.") + 1;
  return name[0] != '\0' && name[k] != '\0' && name[k + 1] != '\0' ? k + 1 : 0;
}

struct entry {   /* one line of snapshot.indices */
  char *text;    /* malloced: the pattern or name */
  char *comment; /* malloced */
};

static int add_entry(struct entry **v, size_t *n, const char *text,
                     const char *comment)
{
  struct entry *nv = realloc(*v, (*n + 1) * sizeof(**v));

  if (nv == NULL)
    return SNM_ENOMEM;
  *v = nv;
  nv[*n].text = strdup(text);
  nv[*n].comment = strdup(comment);
  (*n)++;
  return nv[*n - 1].text && nv[*n - 1].comment ? 0 : SNM_ENOMEM;
}

/* The lines of snapshot.indices: prefix groups (or the user's patterns),
 * then an exclusion for each closed or red name. */
static int index_entries(struct entry **v, size_t *n,
                         const struct snm_init_facts *f,
                         const struct snm_init_opts *o)
{
  struct snm_buf b;
  int rc = 0;

  snm_buf_init(&b, 0);
  if (o->indices != NULL) {
    char *copy = strdup(o->indices), *save = NULL, *tok;
    size_t sel = 0;
    long long docs = 0, bytes = 0;

    if (copy == NULL)
      return SNM_ENOMEM;
    for (size_t i = 0; i < f->n_indices; i++) {
      if (f->indices[i].excluded)
        continue;
      sel++;
      docs =
          f->indices[i].docs < 0 || docs < 0 ? -1 : docs + f->indices[i].docs;
      bytes = f->indices[i].bytes < 0 || bytes < 0
                  ? -1
                  : bytes + f->indices[i].bytes;
    }
    for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
      while (*tok == ' ')
        tok++;
      for (size_t e = strlen(tok); e > 0 && tok[e - 1] == ' '; e--)
        tok[e - 1] = '\0';
      if (*tok == '\0')
        continue;
      snm_buf_reset(&b);
      if (*n == 0)
        rc = snm_buf_printf(&b, "--indices: %zu name%s", sel,
                            sel == 1 ? "" : "s");
      if (rc == 0 && *n == 0)
        rc = put_amounts(&b, docs, bytes);
      if (rc == 0)
        rc = add_entry(v, n, tok, snm_buf_str(&b));
    }
    free(copy);
  } else {
    for (size_t i = 0; i < f->n_indices && rc == 0;) {
      const struct snm_init_index *ix = &f->indices[i];
      size_t k = group_prefix(ix->name), j = i, members = 0, streams = 0;
      long long docs = 0, bytes = 0;

      /* the run of names sharing the prefix (names are sorted) */
      while (j < f->n_indices &&
             (k > 0 ? strncmp(f->indices[j].name, ix->name, k) == 0 : j == i))
        j++;
      for (size_t m = i; m < j; m++) {
        const struct snm_init_index *x = &f->indices[m];
        if (x->excluded)
          continue;
        members++;
        streams += x->data_stream != 0;
        docs = x->docs < 0 || docs < 0 ? -1 : docs + x->docs;
        bytes = x->bytes < 0 || bytes < 0 ? -1 : bytes + x->bytes;
      }
      snm_buf_reset(&b);
      if (members >= 2) {
        /* the members' longest common prefix, back to a separator */
        const char *first = NULL;
        size_t lcp = 0;
        char *pat;

        for (size_t m = i; m < j; m++) {
          const char *nm = f->indices[m].name;
          size_t l = 0;
          if (f->indices[m].excluded)
            continue;
          if (first == NULL) {
            first = nm;
            lcp = strlen(nm);
            continue;
          }
          while (l < lcp && nm[l] == first[l])
            l++;
          lcp = l;
        }
        while (lcp > k && strchr("-_.", first[lcp - 1]) == NULL)
          lcp--;
        pat = malloc(lcp + 2);
        if (pat == NULL) {
          rc = SNM_ENOMEM;
          break;
        }
        memcpy(pat, first, lcp);
        memcpy(pat + lcp, "*", 2);
        rc = snm_buf_printf(&b, "%zu ", members);
        if (rc == 0 && streams > 0 && streams < members)
          rc = snm_buf_printf(&b, "indices and data streams");
        else if (rc == 0)
          rc = snm_buf_puts(&b, streams > 0 ? "data streams" : "indices");
        if (rc == 0)
          rc = put_amounts(&b, docs, bytes);
        if (rc == 0)
          rc = add_entry(v, n, pat, snm_buf_str(&b));
        free(pat);
      } else {
        for (size_t m = i; m < j && rc == 0; m++) {
          const struct snm_init_index *x = &f->indices[m];
          if (x->excluded)
            continue;
          snm_buf_reset(&b);
          rc = snm_buf_puts(&b, x->data_stream ? "data stream" : "index");
          if (rc == 0)
            rc = put_amounts(&b, x->docs, x->bytes);
          if (rc == 0)
            rc = add_entry(v, n, x->name, snm_buf_str(&b));
        }
      }
      i = j;
    }
  }
  for (size_t i = 0; i < f->n_indices && rc == 0; i++) {
    const struct snm_init_index *ix = &f->indices[i];
    char *ex;

    if (!ix->excluded)
      continue;
    if ((ex = xprintf("-%s", ix->name)) == NULL)
      return SNM_ENOMEM;
    snm_buf_reset(&b);
    rc = snm_buf_printf(&b, "%s on the source: a snapshot would fail on it",
                        ix->why);
    if (rc == 0)
      rc = add_entry(v, n, ex, snm_buf_str(&b));
    free(ex);
  }
  snm_buf_dispose(&b);
  return rc;
}

/* "// TEXT" lines at `indent`, wrapped at 76 columns. */
static int put_comment(struct snm_buf *b, int indent, const char *text)
{
  const char *p = text;
  int rc = 0;

  while (*p != '\0' && rc == 0) {
    size_t room = 76 - (size_t)indent - 3, len = strlen(p), cut = len;

    if (len > room) {
      cut = room;
      while (cut > 0 && p[cut] != ' ')
        cut--;
      if (cut == 0)
        cut = strcspn(p, " ");
    }
    rc = snm_buf_printf(b, "%*s// ", indent, "");
    if (rc == 0) {
      char *line = snm_memdup0(p, cut);
      if (line == NULL)
        return SNM_ENOMEM;
      rc = put_comment_text(b, line);
      free(line);
    }
    if (rc == 0)
      rc = snm_buf_putc(b, '\n');
    p += cut;
    while (*p == ' ')
      p++;
  }
  return rc;
}

static int side_line(struct snm_buf *b, const struct snm_init_side *s,
                     const char *what)
{
  int rc = snm_buf_printf(b, "//   %-7s", s->id);

  if (rc == 0)
    rc = put_comment_text(b, s->endpoint);
  if (rc == 0)
    rc = snm_buf_puts(b, ": ");
  if (rc == 0)
    rc = put_comment_text(b,
                          s->engine[0] != '\0' ? s->engine : "engine unknown");
  if (rc == 0)
    rc = snm_buf_printf(b, "%s\n", what);
  return rc;
}

/* The restore's members, each with its comment. */
static int write_restore(struct snm_buf *out, const struct snm_init_facts *f,
                         const struct snm_init_choice *c)
{
  struct member {
    char *comment; /* malloced or NULL */
    char *text;    /* malloced */
  } m[5];
  size_t n = 0;
  int rc = 0;

  memset(m, 0, sizeof(m));
  m[n].comment =
      c->rename_replacement != NULL
          ? NULL
          : xprintf("No rename: none of these names is taken on the "
                    "target.  To restore under other names: \"rename\": "
                    "{\"pattern\": \"%s\", \"replacement\": "
                    "\"restored-$1\"}",
                    INIT_RENAME_PATTERN);
  m[n++].text = xprintf("\"domain\": \"target\"");
  if (c->rename_replacement != NULL) {
    size_t plen = strlen(c->rename_replacement) - 2; /* without "$1" */
    m[n].comment = xprintf(
        f->target_names_known
            ? "Some of these names are taken on the target: every name is "
              "restored with \"%.*s\" in front, which none is."
            : "The target's names could not be read: every name is "
              "restored with \"%.*s\" in front, to be safe.",
        (int)plen, c->rename_replacement);
    m[n++].text = xprintf("\"rename\": {\"pattern\": \"%s\", "
                          "\"replacement\": \"%s\"}",
                          INIT_RENAME_PATTERN, c->rename_replacement);
  }
  if (c->replicas >= 0) {
    m[n].comment = xprintf(
        "The target has %ld data node%s, fewer than the copies the source "
        "keeps: %ld replica%s, or the indices never turn green.",
        f->target.data_nodes, f->target.data_nodes == 1 ? "" : "s", c->replicas,
        c->replicas == 1 ? "" : "s");
    m[n++].text = xprintf(
        "\"index_settings\": {\"index.number_of_replicas\": %ld}", c->replicas);
  } else if (f->target.data_nodes < 0) {
    m[n].comment = xprintf(
        "The target's data nodes could not be counted: with fewer than 1 "
        "+ the source's replicas, add \"index_settings\": "
        "{\"index.number_of_replicas\": N}.");
    m[n++].text = xprintf("\"wait_for\": \"green\"");
  }
  if (!c->include_aliases) {
    m[n].comment =
        xprintf("An alias of these indices is a name the target holds (or the "
                "target's names are unknown): the aliases are not restored.");
    m[n++].text = xprintf("\"include_aliases\": false");
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (m[i].text == NULL || (i > 0 && m[i].comment == NULL) ||
        (i == 0 && c->rename_replacement == NULL && m[i].comment == NULL)) {
      rc = SNM_ENOMEM;
      break;
    }
    if (m[i].comment != NULL)
      rc = put_comment(out, 6, m[i].comment);
    if (rc == 0)
      rc = snm_buf_printf(out, "      %s%s\n", m[i].text, i + 1 < n ? "," : "");
  }
  for (size_t i = 0; i < n; i++) {
    free(m[i].comment);
    free(m[i].text);
  }
  return rc;
}

int snm_init_write(struct snm_buf *out, const struct snm_init_facts *f,
                   const struct snm_init_opts *o, struct snm_err *err)
{
  struct snm_init_choice c;
  struct entry *ents = NULL;
  size_t n_ents = 0, n_sel = 0, n_streams = 0, n_excluded = 0, width = 0;
  struct snm_buf t;
  long long docs = 0;
  int rc;

  if (!f->indices_known)
    return snm_err_set(err, SNM_EINVAL,
                       "the source's indices could not be read%s%s",
                       f->source.error != NULL ? ": " : "",
                       f->source.error != NULL ? f->source.error : "");
  for (size_t i = 0; i < f->n_indices; i++) {
    if (f->indices[i].excluded) {
      n_excluded++;
      continue;
    }
    n_sel++;
    n_streams += f->indices[i].data_stream != 0;
    docs = f->indices[i].docs < 0 || docs < 0 ? -1 : docs + f->indices[i].docs;
  }
  if (n_sel == 0 && o->indices != NULL)
    return snm_err_set(err, SNM_EINVAL,
                       "--indices \"%.128s\" selects no open, readable index "
                       "or data stream on the source%s",
                       o->indices,
                       n_excluded > 0 ? " (only closed or red ones)" : "");
  if (n_sel == 0)
    return snm_err_set(err, SNM_EINVAL,
                       "the source holds no index or data stream to migrate "
                       "(system indices, starting with '.', are left "
                       "out)%s",
                       n_excluded > 0 ? " (only closed or red ones)" : "");
  rc = snm_init_choose(&c, f, o);
  if (rc == 0)
    rc = index_entries(&ents, &n_ents, f, o);
  snm_buf_init(&t, 0);
  if (rc != 0)
    goto done;

  /* the header */
  rc = snm_buf_puts(
      out, "// A starter plan written by `snapmig init` from what the two "
           "clusters hold.\n"
           "// Review it, then `snapmig validate PLAN`, `snapmig check "
           "PLAN` and\n"
           "// `snapmig run PLAN`.  The format: snapmig-plan(5), "
           "docs/plan-format.md.\n//\n");
  if (rc == 0)
    rc = snm_buf_printf(&t, ", %zu name%s to migrate (%zu data stream%s)",
                        n_sel, n_sel == 1 ? "" : "s", n_streams,
                        n_streams == 1 ? "" : "s");
  if (rc == 0 && docs >= 0)
    rc = snm_buf_printf(&t, ", %lld documents", docs);
  if (rc == 0)
    rc = side_line(out, &f->source, snm_buf_str(&t));
  snm_buf_reset(&t);
  if (rc == 0 && f->target.data_nodes >= 0)
    rc = snm_buf_printf(&t, ", %ld data node%s", f->target.data_nodes,
                        f->target.data_nodes == 1 ? "" : "s");
  if (rc == 0 && f->target_names_known)
    rc = snm_buf_printf(&t, ", %zu index and alias name%s", f->n_target_names,
                        f->n_target_names == 1 ? "" : "s");
  if (rc == 0)
    rc = side_line(out, &f->target, snm_buf_str(&t));
  if (rc == 0 && c.repo_placeholder)
    rc = snm_buf_puts(out, "//\n// Fill in every CHANGE-ME before running "
                           "it.\n");

  /* the plan */
  if (rc == 0)
    rc = snm_buf_puts(out, "{\n");
  if (rc == 0 && o->schema_uri != NULL) {
    rc = snm_buf_puts(out, "  \"$schema\": ");
    if (rc == 0)
      rc = put_jstr(out, o->schema_uri);
    if (rc == 0)
      rc = snm_buf_puts(out, ",\n");
  }
  if (rc == 0)
    rc = snm_buf_puts(out, "  \"snapmig\": 1,\n  \"name\": ");
  if (rc == 0)
    rc = put_jstr(out, o->name);
  if (rc == 0)
    rc = snm_buf_puts(out, ",\n  \"domains\": {\n    \"source\": "
                           "{\"endpoint\": ");
  if (rc == 0)
    rc = put_jstr(out, f->source.endpoint);
  if (rc == 0)
    rc = snm_buf_printf(out,
                        ", \"auth\": %s},\n    \"target\": "
                        "{\"endpoint\": ",
                        f->source.auth_json);
  if (rc == 0)
    rc = put_jstr(out, f->target.endpoint);
  if (rc == 0)
    rc = snm_buf_printf(out, ", \"auth\": %s}\n  },\n\n", f->target.auth_json);

  if (rc == 0)
    rc = put_comment(out, 2, c.repo_comment);
  if (rc == 0)
    rc = snm_buf_puts(out, "  \"repository\": {\n    \"name\": ");
  if (rc == 0)
    rc = put_jstr(out, c.repo_name);
  if (rc == 0)
    rc = snm_buf_printf(out,
                        ",\n    \"type\": \"%s\",\n    \"settings\": %s\n"
                        "  },\n\n",
                        c.repo_type, c.repo_settings);

  if (rc == 0)
    rc = put_comment(
        out, 2,
        o->indices != NULL
            ? "What is snapshotted: the --indices patterns."
            : "What is snapshotted: the source's indices and data streams, "
              "grouped by their common prefix (system indices, starting "
              "with '.', are left out).");
  if (rc == 0)
    rc = snm_buf_puts(out, "  \"snapshot\": {\n    \"domain\": \"source\",\n"
                           "    \"indices\": [\n");
  for (size_t i = 0; i < n_ents; i++)
    if (strlen(ents[i].text) > width)
      width = strlen(ents[i].text);
  for (size_t i = 0; i < n_ents && rc == 0; i++) {
    rc = snm_buf_puts(out, "      ");
    if (rc == 0)
      rc = put_jstr(out, ents[i].text);
    if (rc == 0)
      rc = snm_buf_printf(out, "%s%*s", i + 1 < n_ents ? ", " : "  ",
                          width > 40 ? 0 : (int)(width - strlen(ents[i].text)),
                          "");
    if (rc == 0 && ents[i].comment[0] != '\0') {
      rc = snm_buf_puts(out, "// ");
      if (rc == 0)
        rc = put_comment_text(out, ents[i].comment);
    }
    if (rc == 0)
      rc = snm_buf_putc(out, '\n');
  }
  if (rc == 0)
    rc = snm_buf_puts(out, "    ]\n  },\n\n  \"restores\": [\n    {\n");
  if (rc == 0)
    rc = write_restore(out, f, &c);
  if (rc == 0)
    rc = snm_buf_puts(out, "    }\n  ]\n}\n");
done:
  if (rc == SNM_ENOMEM)
    snm_err_set(err, SNM_ENOMEM, "out of memory");
  for (size_t i = 0; i < n_ents; i++) {
    free(ents[i].text);
    free(ents[i].comment);
  }
  free(ents);
  snm_buf_dispose(&t);
  snm_init_choice_dispose(&c);
  return rc;
}
