/* SPDX-License-Identifier: Apache-2.0 */
#include "compat.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define OPENSEARCH_ID_MASK 0x08000000L

const char *snm_engine_name(enum snm_engine e)
{
  switch (e) {
  case SNM_ENGINE_ELASTICSEARCH:
    return "Elasticsearch";
  case SNM_ENGINE_OPENSEARCH:
    return "OpenSearch";
  default:
    return "unknown engine";
  }
}

static int parse_part(const char **p, int *out)
{
  long v;
  char *end;

  if (!isdigit((unsigned char)**p))
    return -1;
  v = strtol(*p, &end, 10);
  if (v < 0 || v > 999)
    return -1;
  *out = (int)v;
  *p = end;
  return 0;
}

int snm_version_parse(struct snm_version *out, enum snm_engine engine,
                      const char *number)
{
  const char *p = number;
  struct snm_version v = {engine, 0, 0, 0};

  if (number == NULL || parse_part(&p, &v.major) != 0 || *p++ != '.' ||
      parse_part(&p, &v.minor) != 0)
    return -1;
  if (*p == '.') {
    p++;
    if (parse_part(&p, &v.patch) != 0)
      return -1;
  }
  if (*p != '\0' && *p != '-')
    return -1;
  *out = v;
  return 0;
}

int snm_version_from_id(struct snm_version *out, long id)
{
  enum snm_engine engine = SNM_ENGINE_ELASTICSEARCH;

  if (id <= 0)
    return -1;
  if (id & OPENSEARCH_ID_MASK) {
    engine = SNM_ENGINE_OPENSEARCH;
    id &= ~OPENSEARCH_ID_MASK;
  }
  out->engine = engine;
  out->major = (int)(id / 1000000 % 100);
  out->minor = (int)(id / 10000 % 100);
  out->patch = (int)(id / 100 % 100);
  return out->major > 0 || engine == SNM_ENGINE_OPENSEARCH ? 0 : -1;
}

const char *snm_version_str(char *buf, size_t bufsz,
                            const struct snm_version *v)
{
  snprintf(buf, bufsz, "%s %d.%d.%d", snm_engine_name(v->engine), v->major,
           v->minor, v->patch);
  return buf;
}

int snm_version_cmp(const struct snm_version *a, const struct snm_version *b)
{
  assert(a->engine == b->engine);
  if (a->major != b->major)
    return a->major < b->major ? -1 : 1;
  if (a->minor != b->minor)
    return a->minor < b->minor ? -1 : 1;
  if (a->patch != b->patch)
    return a->patch < b->patch ? -1 : 1;
  return 0;
}

/* Same engine: an index restores onto the same or a newer version, at most
 * one major forward. */
static int readable_same_engine(const struct snm_version *created,
                                const struct snm_version *target, const char *c,
                                const char *t, char *why, size_t whysz)
{
  if (snm_version_cmp(created, target) > 0) {
    snprintf(why, whysz,
             "index created by %s is newer than the target %s; upgrade the "
             "target first",
             c, t);
    return 0;
  }
  if (target->major - created->major > 1) {
    snprintf(why, whysz,
             "%s reads indices from one major version back only, and this "
             "one was created by %s; reindex it on %d.x first",
             t, c, target->major - 1);
    return 0;
  }
  return 1;
}

/* Elasticsearch-created indices on OpenSearch: OpenSearch 1.x forked
 * Elasticsearch 7.10 and reads 6.x and 7.x indices; 2.x reads 7.x only;
 * 3.x none. */
static int es_index_on_opensearch(const struct snm_version *created,
                                  const struct snm_version *target,
                                  const char *c, const char *t, char *why,
                                  size_t whysz)
{
  int ok;

  if (created->major == 7 && created->minor > 10) {
    snprintf(why, whysz,
             "index created by %s: OpenSearch reads indices from "
             "Elasticsearch 7.10 and older only",
             c);
    return 0;
  }
  switch (target->major) {
  case 1:
    ok = created->major == 6 || created->major == 7;
    break;
  case 2:
    ok = created->major == 7;
    break;
  default:
    ok = 0;
    break;
  }
  if (!ok)
    snprintf(why, whysz,
             "%s cannot read an index created by %s; restore it on a "
             "version in between first and reindex it there",
             t, c);
  return ok;
}

static int index_readable(const struct snm_version *created,
                          const struct snm_version *target, char *why,
                          size_t whysz)
{
  char c[48], t[48];

  snm_version_str(c, sizeof(c), created);
  snm_version_str(t, sizeof(t), target);
  if (created->engine == target->engine)
    return readable_same_engine(created, target, c, t, why, whysz);
  if (target->engine == SNM_ENGINE_OPENSEARCH)
    return es_index_on_opensearch(created, target, c, t, why, whysz);
  snprintf(why, whysz,
           "Elasticsearch cannot read indices created by OpenSearch (%s)", c);
  return 0;
}

int snm_compat_restore(const struct snm_version *source,
                       const struct snm_version *created,
                       const struct snm_version *target, char *why,
                       size_t whysz)
{
  char s[48], t[48];

  snm_version_str(s, sizeof(s), source);
  snm_version_str(t, sizeof(t), target);
  if (source->engine == SNM_ENGINE_UNKNOWN ||
      target->engine == SNM_ENGINE_UNKNOWN) {
    snprintf(why, whysz, "cannot tell the engine of %s or %s", s, t);
    return 0;
  }
  /* The snapshot itself. */
  if (target->engine == SNM_ENGINE_OPENSEARCH) {
    if (source->engine == SNM_ENGINE_ELASTICSEARCH &&
        (source->major > 7 || (source->major == 7 && source->minor > 10))) {
      snprintf(why, whysz,
               "snapshots taken by %s cannot be read by OpenSearch (only "
               "Elasticsearch 7.10 and older); take the snapshot on 7.10 or "
               "migrate with reindex",
               s);
      return 0;
    }
    if (source->engine == SNM_ENGINE_OPENSEARCH &&
        snm_version_cmp(source, target) > 0) {
      snprintf(why, whysz,
               "a snapshot from %s cannot be restored on the older %s; "
               "upgrade the target first",
               s, t);
      return 0;
    }
  } else {
    if (source->engine == SNM_ENGINE_OPENSEARCH) {
      snprintf(why, whysz,
               "Elasticsearch cannot restore snapshots taken by OpenSearch "
               "(%s -> %s)",
               s, t);
      return 0;
    }
    if (snm_version_cmp(source, target) > 0) {
      snprintf(why, whysz,
               "a snapshot from %s cannot be restored on the older %s; "
               "upgrade the target first",
               s, t);
      return 0;
    }
  }
  if (created == NULL)
    return 1;
  return index_readable(created, target, why, whysz);
}
