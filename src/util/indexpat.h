/* indexpat.h - index name expressions, matched locally the way
 * Elasticsearch/OpenSearch match them against a snapshot's indices.
 *
 * A restore's `indices` is resolved by the cluster against the list of
 * indices in the snapshot (SnapshotUtils.filterIndices), not against the
 * cluster's metadata.  This module reproduces that so a dry run can predict
 * which indices a restore takes:
 *  - an item is an exact name or a pattern where `*` matches any run of
 *    characters, the empty one included (Regex.simpleMatch; no other
 *    wildcard, no escapes);
 *  - items apply left to right: a plain item adds what it matches, an item
 *    starting with `-` removes what it matches from what the items before it
 *    selected; a first item starting with `-` starts from every index (so
 *    "-logs-*" alone means "all but logs-*"); a leading `+` is an explicit
 *    add and is ignored;
 *  - an exact name that is in the list is taken as is;
 *  - an empty list, or the single item "_all", selects everything.
 * Pure functions, no allocation, no I/O.
 */
#ifndef SNM_INDEXPAT_H
#define SNM_INDEXPAT_H

#include <stddef.h>

/* 1 if `pattern` holds a `*`. */
int snm_indexpat_is_wildcard(const char *pattern);

/* Regex.simpleMatch: 1 if `str` matches `pattern` (`*` = any run of
 * characters), else 0. */
int snm_indexpat_match(const char *pattern, const char *str);

/* 1 if `name` is a system or internal index by snapmig's rule: it starts
 * with '.' (.kibana*, .opendistro*, .opensearch*, .security*, .plugins*,
 * .tasks, ...), which is also when Elasticsearch wildcards skip it unless
 * the pattern starts with '.'. */
int snm_index_is_system(const char *name);

/* 1 if `name` is an index a cluster's security or plugins own, which a
 * migration must never restore elsewhere (it would replace the target's
 * users, roles, dashboards or plugin state): the security plugin's
 * (.opendistro_security, .plugins-security-*, .opendistro-security-*,
 * .security*), .kibana* and .opensearch_dashboards*, .opensearch-*,
 * .opendistro-*, .plugins-*, .ql-datasources, .tasks. */
int snm_index_is_protected(const char *name);

/* What one item of an expression list did. */
enum snm_indexpat_hit {
  SNM_INDEXPAT_HIT = 0,      /* matched at least one name */
  SNM_INDEXPAT_NO_MATCH = 1, /* a wildcard that matched nothing */
  SNM_INDEXPAT_NOT_FOUND = 2 /* an exact name that is not in the list
                                (the cluster refuses the request) */
};

/* Apply `items` (n_items expressions, see above) to `names` (n_names
 * distinct names).  Sets selected[i] to 1 or 0 for every name i, and, when
 * `hits` is not NULL, hits[j] to an snm_indexpat_hit for every item j.
 * Returns the number of names selected. */
size_t snm_indexpat_select(unsigned char *selected, const char *const *names,
                           size_t n_names, const char *const *items,
                           size_t n_items, unsigned char *hits);

#endif
