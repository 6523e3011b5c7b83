/* compat.h - engine versions and snapshot/index compatibility rules.
 *
 * Pure functions, no I/O.  The rules follow what Elastic and Amazon
 * document for restoring snapshots across versions:
 *  - a snapshot restores into the same or a newer cluster, never an older
 *    one, and an index restores at most one major version forward of the
 *    version that created it;
 *  - OpenSearch 1.x and 2.x read indices created by Elasticsearch 7.0-7.10
 *    (OpenSearch 1.x also 6.x); OpenSearch 2 refuses indices created by 6.x;
 *    OpenSearch 3 refuses indices created by Elasticsearch 7.x or
 *    OpenSearch 1.x;
 *  - snapshots taken by Elasticsearch 7.11 or later (and any 8.x) are not
 *    readable by OpenSearch;
 *  - Elasticsearch cannot read indices or snapshots made by OpenSearch.
 */
#ifndef SNM_COMPAT_H
#define SNM_COMPAT_H

#include "err.h"

#include <stddef.h>

enum snm_engine {
  SNM_ENGINE_UNKNOWN = 0,
  SNM_ENGINE_ELASTICSEARCH,
  SNM_ENGINE_OPENSEARCH
};

struct snm_version {
  enum snm_engine engine;
  int major, minor, patch;
};

/* "Elasticsearch" / "OpenSearch" / "unknown engine". */
const char *snm_engine_name(enum snm_engine e);

/* Parse "7.10.2", "2.19.1", "8.0.0-SNAPSHOT" for `engine` into `out`.
 * Returns 0, or -1 when `number` is not MAJOR.MINOR[.PATCH][suffix]. */
int snm_version_parse(struct snm_version *out, enum snm_engine engine,
                      const char *number) SNM_MUST_CHECK;

/* Decode an `index.version.created` id (e.g. 7100299 for Elasticsearch
 * 7.10.2; OpenSearch ids carry the 0x08000000 bit).  Returns 0 or -1. */
int snm_version_from_id(struct snm_version *out, long id);

/* Format as "OpenSearch 2.19.1" into buf; returns buf. */
const char *snm_version_str(char *buf, size_t bufsz,
                            const struct snm_version *v);

/* -1, 0, 1 comparing major.minor.patch (engines must match; asserted). */
int snm_version_cmp(const struct snm_version *a, const struct snm_version *b);

/* Can a snapshot taken on `source` holding an index created by `created`
 * be restored on `target`?  Returns 1 if yes; 0 if not, with the reason and
 * what to do in `why` (one sentence, no trailing newline). `created` may be
 * NULL to check the snapshot alone. */
int snm_compat_restore(const struct snm_version *source,
                       const struct snm_version *created,
                       const struct snm_version *target, char *why,
                       size_t whysz);

#endif
