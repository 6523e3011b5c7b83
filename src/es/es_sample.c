/* SPDX-License-Identifier: Apache-2.0 */
/* es_sample.c - sample verification (es_sample.h). */
#include "es_sample.h"
#include "buf.h"
#include "es.h"
#include "es_reply.h"
#include "jtree.h"
#include "json.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <yajl/yajl_gen.h>

void snm_es_sample_dispose(struct snm_es_sample *s)
{
  for (size_t i = 0; i < s->n; i++) {
    free(s->docs[i].id);
    free(s->docs[i].routing);
  }
  free(s->docs);
  s->docs = NULL;
  s->n = 0;
}

/* ---- the draw ----------------------------------------------------------- */

int snm_es_sample_msearch_body(struct snm_buf *out, size_t *taken,
                               const char *const *names, size_t n, unsigned k,
                               size_t limit)
{
  char query[256];

  if (k < 1)
    k = 1;
  if (k > SNM_ES_SAMPLE_K_MAX)
    k = SNM_ES_SAMPLE_K_MAX;
  /* random_score without a seed: the server's own random order, fresh on
   * every draw; no field needed, accepted by Elasticsearch 7 and every
   * OpenSearch */
  snprintf(query, sizeof(query),
           "{\"size\":%u,\"track_total_hits\":false,\"_source\":true,"
           "\"query\":{\"function_score\":{\"query\":{\"match_all\":{}},"
           "\"random_score\":{}}}}\n",
           k);
  return snm_es_msearch_body(out, taken, names, n, query, limit);
}

/* ---- canonical _source -------------------------------------------------- */

struct member_ref {
  const char *key;
  yajl_val value;
  size_t at; /* the member's place: duplicate keys keep their order */
};

static int member_cmp(const void *a, const void *b)
{
  const struct member_ref *x = a, *y = b;
  int c = strcmp(x->key, y->key);

  if (c != 0)
    return c;
  return x->at < y->at ? -1 : x->at > y->at;
}

/* Write v to g with every object's keys sorted; numbers as sent. */
static int gen_canon(yajl_gen g, yajl_val v, unsigned depth)
{
  if (depth > 512)
    return SNM_EPARSE; /* the server's own limit is far lower */
  if (YAJL_IS_OBJECT(v)) {
    size_t n = v->u.object.len;
    struct member_ref *m = n > 0 ? calloc(n, sizeof(*m)) : NULL;
    int rc = 0;

    if (n > 0 && m == NULL)
      return SNM_ENOMEM;
    for (size_t i = 0; i < n; i++)
      m[i] = (struct member_ref){v->u.object.keys[i], v->u.object.values[i], i};
    if (n > 1)
      qsort(m, n, sizeof(*m), member_cmp);
    if (yajl_gen_map_open(g) != yajl_gen_status_ok)
      rc = SNM_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
      if (snm_gen_str(g, m[i].key) != yajl_gen_status_ok)
        rc = SNM_ENOMEM;
      else
        rc = gen_canon(g, m[i].value, depth + 1);
    }
    if (rc == 0 && yajl_gen_map_close(g) != yajl_gen_status_ok)
      rc = SNM_ENOMEM;
    free(m);
    return rc;
  }
  if (YAJL_IS_ARRAY(v)) {
    if (yajl_gen_array_open(g) != yajl_gen_status_ok)
      return SNM_ENOMEM;
    for (size_t i = 0; i < v->u.array.len; i++) {
      int rc = gen_canon(g, v->u.array.values[i], depth + 1);
      if (rc != 0)
        return rc;
    }
    return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : SNM_ENOMEM;
  }
  if (YAJL_IS_NUMBER(v)) {
    const char *r = v->u.number.r;
    return yajl_gen_number(g, r, strlen(r)) == yajl_gen_status_ok ? 0
                                                                  : SNM_ENOMEM;
  }
  if (YAJL_IS_STRING(v))
    return snm_gen_str(g, YAJL_GET_STRING(v)) == yajl_gen_status_ok
               ? 0
               : SNM_ENOMEM;
  if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
    return yajl_gen_bool(g, YAJL_IS_TRUE(v)) == yajl_gen_status_ok ? 0
                                                                   : SNM_ENOMEM;
  return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : SNM_ENOMEM;
}

/* SHA-256 of v's canonical text. */
static int source_digest(unsigned char digest[32], yajl_val v)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *text;
  size_t len;
  unsigned int md_len = 0;
  int rc;

  if (g == NULL)
    return SNM_ENOMEM;
  rc = gen_canon(g, v, 0);
  if (rc == 0 && yajl_gen_get_buf(g, &text, &len) != yajl_gen_status_ok)
    rc = SNM_ENOMEM;
  if (rc == 0 &&
      (EVP_Digest(text, len, digest, &md_len, EVP_sha256(), NULL) != 1 ||
       md_len != 32))
    rc = SNM_ENOMEM;
  yajl_gen_free(g);
  return rc;
}

/* One entry of "responses". */
static int sample_item(struct snm_es_sample *s, yajl_val r)
{
  yajl_val hits = snm_jget(r, "hits", "hits", NULL);

  if (!snm_es_msearch_item_ok(r, "draw", s->why, sizeof(s->why)))
    return 0;
  if (!YAJL_IS_ARRAY(hits)) {
    snm_es_why(s->why, sizeof(s->why), "the reply has no hits.hits array");
    return 0;
  }
  if (hits->u.array.len > 0) {
    s->docs = calloc(hits->u.array.len, sizeof(*s->docs));
    if (s->docs == NULL)
      return SNM_ENOMEM;
  }
  for (size_t i = 0; i < hits->u.array.len; i++) {
    yajl_val h = hits->u.array.values[i];
    const char *id = snm_jstr(h, "_id", NULL);
    const char *routing = snm_jstr(h, "_routing", NULL);
    yajl_val src = snm_jget(h, "_source", NULL);
    struct snm_es_sample_doc *d = &s->docs[s->n];
    int rc;

    if (id == NULL) {
      snm_es_sample_dispose(s);
      snm_es_why(s->why, sizeof(s->why), "a hit of the reply has no _id");
      return 0;
    }
    d->id = strdup(id);
    d->routing = routing != NULL ? strdup(routing) : NULL;
    s->n++;
    if (d->id == NULL || (routing != NULL && d->routing == NULL))
      return SNM_ENOMEM;
    if (src != NULL) {
      d->has_source = 1;
      rc = source_digest(d->digest, src);
      if (rc == SNM_ENOMEM)
        return rc;
      if (rc != 0) {
        snm_es_sample_dispose(s);
        snm_es_why(s->why, sizeof(s->why),
                   "a document's _source is nested too deeply to compare");
        return 0;
      }
    }
  }
  s->why[0] = '\0';
  return 0;
}

int snm_es_parse_sample_msearch(struct snm_es_sample *samples, size_t n,
                                yajl_val json, struct snm_err *err)
{
  yajl_val arr = snm_es_msearch_responses(json, n, err);

  for (size_t i = 0; i < n; i++) {
    snm_es_sample_dispose(&samples[i]);
    snprintf(samples[i].why, sizeof(samples[i].why), "%.200s",
             arr != NULL ? "no reply for this index" : err->msg);
  }
  if (arr == NULL)
    return SNM_EPARSE;
  for (size_t i = 0; i < n; i++) {
    int rc = sample_item(&samples[i], arr->u.array.values[i]);
    if (rc != 0) {
      for (size_t j = 0; j < n; j++)
        snm_es_sample_dispose(&samples[j]);
      return snm_err_set(err, rc, "out of memory reading a sample");
    }
  }
  return 0;
}

/* ---- the fetch from a target -------------------------------------------- */

int snm_es_sample_mget_body(char **out, size_t *taken, size_t *docs,
                            const char *const *targets,
                            const struct snm_es_sample *samples, size_t n)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  int rc = 0;

  *out = NULL;
  *taken = 0;
  *docs = 0;
  if (g == NULL)
    return SNM_ENOMEM;
  if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
      snm_gen_str(g, "docs") != yajl_gen_status_ok ||
      yajl_gen_array_open(g) != yajl_gen_status_ok)
    rc = SNM_ENOMEM;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const struct snm_es_sample *s = &samples[i];

    if (*docs > 0 && *docs + s->n > SNM_ES_SAMPLE_MGET_DOCS_MAX)
      break;
    for (size_t j = 0; rc == 0 && j < s->n; j++) {
      const struct snm_es_sample_doc *d = &s->docs[j];

      if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
          snm_gen_key_str(g, "_index", targets[i]) != yajl_gen_status_ok ||
          snm_gen_key_str(g, "_id", d->id) != yajl_gen_status_ok ||
          (d->routing != NULL &&
           snm_gen_key_str(g, "routing", d->routing) != yajl_gen_status_ok) ||
          snm_gen_str(g, "_source") != yajl_gen_status_ok ||
          yajl_gen_bool(g, d->has_source) != yajl_gen_status_ok ||
          yajl_gen_map_close(g) != yajl_gen_status_ok)
        rc = SNM_ENOMEM;
    }
    *docs += s->n;
    (*taken)++;
  }
  if (rc == 0 && (yajl_gen_array_close(g) != yajl_gen_status_ok ||
                  yajl_gen_map_close(g) != yajl_gen_status_ok))
    rc = SNM_ENOMEM;
  if (rc == 0 && *docs == 0) {
    *out = strdup("");
    rc = *out != NULL ? 0 : SNM_ENOMEM;
  } else if (rc == 0) {
    rc = snm_gen_finish(out, g);
  }
  yajl_gen_free(g);
  if (rc != 0) {
    free(*out);
    *out = NULL;
    *taken = 0;
    *docs = 0;
  }
  return rc;
}

static void note_first(struct snm_es_sample_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_first(struct snm_es_sample_verdict *v, const char *fmt, ...)
{
  va_list ap;

  if (v->first[0] != '\0')
    return;
  va_start(ap, fmt);
  snm_es_vwhy(v->first, sizeof(v->first), fmt, ap);
  va_end(ap);
}

int snm_es_sample_check_mget(struct snm_es_sample_verdict *verdicts,
                             const struct snm_es_sample *samples, size_t n,
                             yajl_val json, struct snm_err *err)
{
  yajl_val arr = snm_jget(json, "docs", NULL);
  size_t want = 0, at = 0;

  for (size_t i = 0; i < n; i++)
    want += samples[i].n;
  if (!YAJL_IS_OBJECT(json) || !YAJL_IS_ARRAY(arr)) {
    struct snm_buf reason;
    int rc;

    snm_buf_init(&reason, 0);
    if (YAJL_IS_OBJECT(json))
      snm_best_effort(snm_es_error_reason(&reason, json, NULL, 0));
    rc = snm_err_set(err, SNM_EPARSE,
                     "the _mget reply has no \"docs\" "
                     "array%s%s",
                     reason.len > 0 ? ": " : "", snm_buf_str(&reason));
    snm_buf_dispose(&reason);
    return rc;
  }
  if (arr->u.array.len != want)
    return snm_err_set(err, SNM_EPARSE,
                       "the _mget reply lists %zu documents for the %zu asked "
                       "for",
                       arr->u.array.len, want);
  /* every entry must be the document asked for, in order, before any
   * verdict is counted */
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < samples[i].n; j++, at++) {
      const char *id = snm_jstr(arr->u.array.values[at], "_id", NULL);
      if (id == NULL || strcmp(id, samples[i].docs[j].id) != 0)
        return snm_err_set(err, SNM_EPARSE,
                           "the _mget reply's entry %zu is not the document "
                           "asked for",
                           at);
    }
  at = 0;
  for (size_t i = 0; i < n; i++) {
    struct snm_es_sample_verdict *v = &verdicts[i];

    for (size_t j = 0; j < samples[i].n; j++, at++) {
      const struct snm_es_sample_doc *d = &samples[i].docs[j];
      yajl_val e = arr->u.array.values[at];
      yajl_val src = snm_jget(e, "_source", NULL);
      unsigned char digest[32];
      int rc;

      if (snm_jget(e, "error", NULL) != NULL) {
        char why[400];

        snm_es_error_why(why, sizeof(why), "the target could not read it", e);
        v->unknown++;
        note_first(v, "_id \"%.80s\": %s", d->id, why);
        continue;
      }
      if (!YAJL_IS_TRUE(snm_jget(e, "found", NULL))) {
        v->missing++;
        note_first(v, "_id \"%.80s\": not found on the target", d->id);
        continue;
      }
      if (!d->has_source) {
        v->equal++;
        continue;
      }
      if (src == NULL) {
        v->differ++;
        note_first(v, "_id \"%.80s\": the target returned no _source", d->id);
        continue;
      }
      rc = source_digest(digest, src);
      if (rc == SNM_ENOMEM)
        return snm_err_set(err, rc, "out of memory comparing a sample");
      if (rc != 0 || memcmp(digest, d->digest, sizeof(digest)) != 0) {
        v->differ++;
        note_first(v, "_id \"%.80s\": _source differs", d->id);
        continue;
      }
      v->equal++;
    }
  }
  return 0;
}
