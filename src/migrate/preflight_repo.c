/* preflight_repo.c - the repository registration `run` sends to each
 * domain, and how a registration found on a domain compares with it. */
#include "buf.h"
#include "jtree.h"
#include "json.h"
#include "preflight.h"
#include "preflight_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

int snm_preflight_repo_body(char **out, char **note,
                            const struct snm_plan *plan, size_t d)
{
  const struct snm_repository *repo = &plan->repository;
  const struct snm_domain *dom = &plan->domains[d];
  const struct snm_json *set = repo->settings;
  const char *bucket_region = snm_repository_setting(repo, "region");
  int target = 0, endpoint = 0, rc = 0;
  char host[160] = "";
  yajl_gen g;

  assert(d < plan->n_domains);
  *out = NULL;
  if (note != NULL)
    *note = NULL;
  for (size_t r = 0; r < plan->n_restores; r++)
    if (plan->restores[r].domain == d)
      target = 1;
  if (repo->type == SNM_REPO_S3 && dom->auth == SNM_AUTH_AWS_SIGV4 &&
      bucket_region != NULL && dom->region != NULL &&
      strcmp(bucket_region, dom->region) != 0 &&
      snm_json_get(set, "endpoint") == NULL) {
    endpoint = 1;
    snprintf(host, sizeof(host), "s3.%s.amazonaws.com%s", bucket_region,
             strncmp(bucket_region, "cn-", 3) == 0 ? ".cn" : "");
  }
  g = yajl_gen_alloc(NULL);
  if (g == NULL)
    return SNM_ENOMEM;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "type", snm_repo_type_name(repo->type));
  snm_gen_str(g, "settings");
  yajl_gen_map_open(g);
  for (size_t i = 0; set != NULL && set->type == SNM_JSON_OBJECT &&
                     i < set->u.object.len && rc == 0;
       i++) {
    const struct snm_json_member *m = &set->u.object.items[i];
    if (m->duplicate || (endpoint && strcmp(m->key, "region") == 0) ||
        (target && repo->readonly_on_targets &&
         strcmp(m->key, "readonly") == 0))
      continue;
    yajl_gen_string(g, (const unsigned char *)m->key, m->key_len);
    rc = snm_json_gen(g, m->value, 0);
  }
  if (endpoint) {
    snm_gen_key_str(g, "endpoint", host);
  }
  if (target && repo->readonly_on_targets) {
    snm_gen_str(g, "readonly");
    yajl_gen_bool(g, 1);
  }
  yajl_gen_map_close(g);
  yajl_gen_map_close(g);
  if (rc == 0)
    (void)snm_gen_finish(out, g); /* *out stays NULL on failure */
  yajl_gen_free(g);
  if (*out == NULL)
    return SNM_ENOMEM;
  if (endpoint && note != NULL) {
    struct snm_buf b;
    snm_buf_init(&b, 0);
    snm_best_effort(
        snm_buf_printf(&b,
                       "the bucket is in %s and domain \"%s\" in %s: the "
                       "registration sets \"endpoint\": \"%s\" instead of "
                       "\"region\"",
                       bucket_region, dom->id, dom->region, host));
    *note = snm_buf_steal(&b);
    snm_buf_dispose(&b);
    if (*note == NULL) {
      free(*out);
      *out = NULL;
      return SNM_ENOMEM;
    }
  }
  return 0;
}

/* ---- comparison ---------------------------------------------------- */

/* Flatten a settings object to "a.b" -> normalised string pairs. */
struct kv {
  char *key, *val;
};

static void flatten(int *nomem, yajl_val v, const char *prefix, struct kv **out,
                    size_t *n)
{
  for (size_t i = 0; YAJL_IS_OBJECT(v) && i < v->u.object.len; i++) {
    yajl_val x = v->u.object.values[i];
    struct snm_buf key, val;
    struct kv *grown;
    int rc;

    snm_buf_init(&key, 0);
    snm_buf_init(&val, 0);
    if ((prefix[0] != '\0' && snm_buf_printf(&key, "%s.", prefix) != 0) ||
        snm_buf_puts(&key, v->u.object.keys[i]) != 0) {
      *nomem = 1;
      snm_buf_dispose(&key);
      return;
    }
    if (YAJL_IS_OBJECT(x)) {
      flatten(nomem, x, snm_buf_str(&key), out, n);
      snm_buf_dispose(&key);
      continue;
    }
    rc = 0;
    if (YAJL_IS_STRING(x))
      rc = snm_buf_puts(&val, x->u.string);
    else if (YAJL_IS_TRUE(x))
      rc = snm_buf_puts(&val, "true");
    else if (YAJL_IS_FALSE(x))
      rc = snm_buf_puts(&val, "false");
    else if (YAJL_IS_NUMBER(x))
      rc = snm_buf_puts(&val, x->u.number.r);
    else if (YAJL_IS_ARRAY(x)) {
      for (size_t k = 0; rc == 0 && k < x->u.array.len; k++) {
        yajl_val e = x->u.array.values[k];
        rc = snm_buf_printf(&val, "%s%s", k ? "," : "",
                            YAJL_IS_STRING(e)   ? e->u.string
                            : YAJL_IS_NUMBER(e) ? e->u.number.r
                            : YAJL_IS_TRUE(e)   ? "true"
                                                : "false");
      }
    }
    if (rc != 0) { /* a cut value would compare as a difference */
      *nomem = 1;
      snm_buf_dispose(&key);
      snm_buf_dispose(&val);
      return;
    }
    grown = realloc(*out, (*n + 1) * sizeof(**out));
    if (grown == NULL) {
      *nomem = 1;
      snm_buf_dispose(&key);
      snm_buf_dispose(&val);
      return;
    }
    *out = grown;
    grown[*n].key = snm_buf_steal(&key);
    grown[*n].val = val.data != NULL ? snm_buf_steal(&val) : strdup("");
    if (grown[*n].key == NULL || grown[*n].val == NULL)
      *nomem = 1;
    (*n)++;
    snm_buf_dispose(&key);
    snm_buf_dispose(&val);
  }
}

static const char *kv_find(const struct kv *v, size_t n, const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (v[i].key != NULL && strcmp(v[i].key, key) == 0)
      return v[i].val;
  return NULL;
}

/* Servers return every setting as a string: "true" == true, "1" == 1. */
static int same_value(const char *a, const char *b)
{
  char *ea, *eb;
  double x, y;

  if (a == NULL || b == NULL)
    return a == b;
  if (strcasecmp(a, b) == 0 &&
      (strcasecmp(a, "true") == 0 || strcasecmp(a, "false") == 0))
    return 1;
  if (strcmp(a, b) == 0)
    return 1;
  x = strtod(a, &ea);
  y = strtod(b, &eb);
  return ea != a && eb != b && *ea == '\0' && *eb == '\0' && x == y;
}

static void kv_free(struct kv *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].key);
    free(v[i].val);
  }
  free(v);
}

int snm__preflight_compare_repo(struct snm_pf_domain *d)
{
  int nomem_flag = 0, *nomem = &nomem_flag;
  yajl_val have = yajl_tree_parse(d->repo_have_json, NULL, 0);
  yajl_val want = yajl_tree_parse(d->repo_want_json, NULL, 0);
  struct kv *hv = NULL, *wv = NULL;
  size_t nh = 0, nw = 0;
  struct snm_buf diff;
  const char *ht = snm_jstr(have, "type", (char *)NULL);
  const char *wt = snm_jstr(want, "type", (char *)NULL);

  snm_buf_init(&diff, 0);
  if (have == NULL || want == NULL) {
    nomem_flag = want == NULL;
    goto done;
  }
  /* the diff decides "differs": a failed append must not read as "same" */
  if ((ht == NULL || wt == NULL || strcmp(ht, wt) != 0) &&
      snm_buf_printf(&diff, "type (%s, plan %s)", ht ? ht : "none", wt) != 0)
    *nomem = 1;
  flatten(nomem, snm_jget(have, "settings", (char *)NULL), "", &hv, &nh);
  flatten(nomem, snm_jget(want, "settings", (char *)NULL), "", &wv, &nw);
  for (size_t i = 0; i < nw; i++) {
    const char *h = kv_find(hv, nh, wv[i].key);
    if (wv[i].key != NULL && !same_value(h, wv[i].val) &&
        snm_buf_printf(&diff, "%s%s (%s%s%s, plan %s)", diff.len ? ", " : "",
                       wv[i].key, h ? "\"" : "", h ? h : "not set",
                       h ? "\"" : "", wv[i].val) != 0)
      *nomem = 1;
  }
  for (size_t i = 0; i < nh; i++)
    if (hv[i].key != NULL && kv_find(wv, nw, hv[i].key) == NULL &&
        snm_buf_printf(&diff, "%s%s (\"%s\", plan not set)",
                       diff.len ? ", " : "", hv[i].key, hv[i].val) != 0)
      *nomem = 1;
  free(d->repo_diff);
  d->repo_diff = NULL;
  if (diff.len > 0) {
    d->repo_state = SNM_PF_REPO_DIFFERS;
    d->repo_diff = snm_buf_steal(&diff);
    if (d->repo_diff == NULL)
      *nomem = 1;
  } else {
    d->repo_state = SNM_PF_REPO_MATCHES;
  }
done:
  kv_free(hv, nh);
  kv_free(wv, nw);
  yajl_tree_free(have);
  yajl_tree_free(want);
  snm_buf_dispose(&diff);
  return nomem_flag ? SNM_ENOMEM : 0;
}
