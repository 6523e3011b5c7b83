/* SPDX-License-Identifier: Apache-2.0 */
/* plan_out.c - what other modules read out of a parsed plan: lookups, the
 * one-line description, and the content digest. */
#include "plan.h"
#include "buf.h"
#include "json.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <yajl/yajl_gen.h>

const struct snm_domain *snm_plan_find_domain(const struct snm_plan *p,
                                              const char *id)
{
  for (size_t i = 0; i < p->n_domains; i++)
    if (strcmp(p->domains[i].id, id) == 0)
      return &p->domains[i];
  return NULL;
}

const char *snm_repository_setting(const struct snm_repository *r,
                                   const char *key)
{
  const struct snm_json *v = snm_json_get(r->settings, key);

  return snm_json_is_cstring(v) ? v->u.string.ptr : NULL;
}

int snm_plan_describe(struct snm_buf *out, const struct snm_plan *p)
{
  const struct snm_repository *r = &p->repository;
  const char *key = r->type == SNM_REPO_S3 ? "bucket" : "location";
  const char *val = snm_repository_setting(r, key);
  int rc;

  rc = snm_buf_printf(out, "plan \"%s\", source \"%s\", %zu restore%s onto ",
                      p->name, p->domains[p->snapshot.domain].id, p->n_restores,
                      p->n_restores == 1 ? "" : "s");
  for (size_t i = 0; i < p->n_restores && rc == 0; i++)
    rc = snm_buf_printf(out, "%s\"%s\"", i == 0 ? "" : ",",
                        p->domains[p->restores[i].domain].id);
  if (rc == 0)
    rc = snm_buf_printf(out, ", repository \"%s\" (%s, %s %s)", r->name,
                        snm_repo_type_name(r->type), key,
                        val != NULL ? val : "?");
  return rc;
}

/* yajl_gen helpers that remember the first failure. */
struct canon {
  yajl_gen g;
  int failed;
};

static void c_str(struct canon *c, const char *s)
{
  if (snm_gen_str(c->g, s) != yajl_gen_status_ok)
    c->failed = 1;
}

static void c_int(struct canon *c, long long v)
{
  if (yajl_gen_integer(c->g, v) != yajl_gen_status_ok)
    c->failed = 1;
}

static void c_bool(struct canon *c, int v)
{
  if (yajl_gen_bool(c->g, v) != yajl_gen_status_ok)
    c->failed = 1;
}

static void c_open(struct canon *c, int map)
{
  if ((map ? yajl_gen_map_open(c->g) : yajl_gen_array_open(c->g)) !=
      yajl_gen_status_ok)
    c->failed = 1;
}

static void c_close(struct canon *c, int map)
{
  if ((map ? yajl_gen_map_close(c->g) : yajl_gen_array_close(c->g)) !=
      yajl_gen_status_ok)
    c->failed = 1;
}

static void c_list(struct canon *c, char **list, size_t n)
{
  if (list == NULL) {
    c_str(c, NULL);
    return;
  }
  c_open(c, 0);
  for (size_t i = 0; i < n; i++)
    c_str(c, list[i]);
  c_close(c, 0);
}

static void c_json(struct canon *c, const struct snm_json *v)
{
  if (v == NULL)
    c_str(c, NULL);
  else if (snm_json_gen(c->g, v, SNM_JSON_SORT_KEYS) != 0)
    c->failed = 1;
}

/* The canonical form: fixed key order, defaults filled in, free-form
 * objects with sorted keys.  Changing it changes every digest. */
static void canon_plan(struct canon *c, const struct snm_plan *p)
{
  c_open(c, 1);
  c_str(c, "snapmig");
  c_int(c, SNM_PLAN_FORMAT);
  c_str(c, "name");
  c_str(c, p->name);
  c_str(c, "domains");
  c_open(c, 0);
  for (size_t i = 0; i < p->n_domains; i++) {
    c_open(c, 1);
    c_str(c, "id");
    c_str(c, p->domains[i].id);
    c_str(c, "url");
    c_str(c, p->domains[i].base_url);
    c_close(c, 1);
  }
  c_close(c, 0);
  c_str(c, "repository");
  c_open(c, 1);
  c_str(c, "name");
  c_str(c, p->repository.name);
  c_str(c, "type");
  c_str(c, snm_repo_type_name(p->repository.type));
  c_str(c, "settings");
  if (p->repository.settings != NULL)
    c_json(c, p->repository.settings);
  else {
    c_open(c, 1);
    c_close(c, 1);
  }
  c_str(c, "readonly_on_targets");
  c_bool(c, p->repository.readonly_on_targets);
  c_close(c, 1);
  c_str(c, "snapshot");
  c_open(c, 1);
  c_str(c, "domain");
  c_str(c, p->domains[p->snapshot.domain].id);
  c_str(c, "name");
  c_str(c, p->snapshot.name_template);
  c_str(c, "indices");
  c_list(c, p->snapshot.indices, p->snapshot.n_indices);
  c_str(c, "include_global_state");
  c_bool(c, p->snapshot.include_global_state);
  c_str(c, "allow_partial");
  c_bool(c, p->snapshot.allow_partial);
  c_close(c, 1);
  c_str(c, "restores");
  c_open(c, 0);
  for (size_t i = 0; i < p->n_restores; i++) {
    const struct snm_restore *r = &p->restores[i];

    c_open(c, 1);
    c_str(c, "domain");
    c_str(c, p->domains[r->domain].id);
    c_str(c, "indices");
    c_list(c, r->indices, r->n_indices);
    c_str(c, "rename_pattern");
    c_str(c, r->rename_pattern);
    c_str(c, "rename_replacement");
    c_str(c, r->rename_replacement);
    c_str(c, "index_settings");
    c_json(c, r->index_settings);
    c_str(c, "ignore_index_settings");
    c_list(c, r->ignore_index_settings, r->n_ignore_index_settings);
    c_str(c, "include_aliases");
    c_bool(c, r->include_aliases);
    c_str(c, "on_conflict");
    c_str(c, snm_on_conflict_name(r->on_conflict));
    c_str(c, "wait_for");
    c_str(c, snm_wait_for_name(r->wait_for));
    c_str(c, "verify");
    /* "sample" only adds a comparison in cutover: it changes nothing a
     * round copies, so a plan may switch to it between rounds */
    c_str(c,
          snm_verify_name(r->verify == SNM_VERIFY_SAMPLE ? SNM_VERIFY_DOC_COUNT
                                                         : r->verify));
    c_close(c, 1);
  }
  c_close(c, 0);
  /* only when present: the digests of plans without it do not change */
  if (p->metadata.present) {
    const struct snm_metadata_spec *m = &p->metadata;

    c_str(c, "metadata");
    c_open(c, 1);
    for (int k = 0; k < SNM_META_N_KINDS; k++) {
      c_str(c, snm_meta_kind_key((enum snm_meta_kind)k));
      c_list(c, m->names[k], m->n_names[k]);
    }
    c_str(c, "on_conflict");
    c_str(c, snm_meta_conflict_name(m->on_conflict));
    c_str(c, "rename_patterns");
    c_bool(c, m->rename_patterns);
    c_close(c, 1);
  }
  c_close(c, 1);
}

int snm_plan_digest(char out_hex[65], const struct snm_plan *p)
{
  struct canon c = {NULL, 0};
  const unsigned char *buf;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  size_t len;
  int rc = SNM_ENOMEM;

  assert(p->snapshot.domain < p->n_domains);
  out_hex[0] = '\0';
  c.g = yajl_gen_alloc(NULL);
  if (c.g == NULL)
    return SNM_ENOMEM;
  canon_plan(&c, p);
  if (!c.failed && yajl_gen_get_buf(c.g, &buf, &len) == yajl_gen_status_ok &&
      EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
      mdlen == 32) {
    for (unsigned i = 0; i < mdlen; i++)
      snprintf(out_hex + 2 * i, 3, "%02x", md[i]);
    rc = 0;
  }
  yajl_gen_free(c.g);
  return rc;
}
