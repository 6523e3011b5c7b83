/* SPDX-License-Identifier: Apache-2.0 */
/* rename.h - index renaming on restore, exactly as the cluster does it.
 *
 * Elasticsearch and OpenSearch rename a restored index with Java's
 * `index.replaceAll(rename_pattern, rename_replacement)`.  This module
 * reproduces that with PCRE2 (UTF mode; Java and PCRE2 agree on the syntax
 * index patterns use: classes, groups, named groups (?<name>...), anchors,
 * quantifiers, lookaround):
 *  - every non-overlapping match is replaced, left to right; a pattern is
 *    not anchored unless it says so;
 *  - after an empty match the search resumes one character later, after a
 *    non-empty match at its end (so "abc" with "b*" -> "X" gives "XaXXcX",
 *    as Java does);
 *  - in the replacement, `$n` is group n (one digit, then further digits as
 *    long as the number stays a valid group: with 1 group "$10" is group 1
 *    then "0"), `${name}` a named group, `\x` the character x; a group that
 *    did not take part in the match gives the empty string;
 *  - no match leaves the name unchanged.
 * Errors Java would throw (bad pattern, `$3` with one group, unknown
 * `${name}`, a trailing `$` or `\`) are reported by snm_rename_compile, so a
 * plan is rejected before anything is sent to a cluster.
 */
#ifndef SNM_RENAME_H
#define SNM_RENAME_H

#include <stddef.h>

#include "err.h"

struct snm_rename; /* opaque: compiled pattern + parsed replacement */

/* Where a compile error is (for pointing at it in a plan). */
enum snm_rename_part { SNM_RENAME_PATTERN, SNM_RENAME_REPLACEMENT };
struct snm_rename_errpos {
  enum snm_rename_part part; /* which string is wrong */
  size_t offset;             /* byte offset inside that string */
};

/* Compile `pattern` and parse `replacement` (both NUL-terminated UTF-8).
 * Returns 0 and *out (free with snm_rename_free); SNM_EINVAL with `err`
 * saying what is wrong and where, e.g.
 *   missing closing parenthesis at offset 8: "logs-(.+"
 *   no group 3 (the pattern has 1): "old-$3"
 * and `where` (if not NULL) filled; SNM_ENOMEM. */
int snm_rename_compile(struct snm_rename **out, const char *pattern,
                       const char *replacement, struct snm_rename_errpos *where,
                       struct snm_err *err);
void snm_rename_free(struct snm_rename *r);

/* Number of capturing groups in the pattern. */
unsigned snm_rename_groups(const struct snm_rename *r);

/* Apply to one index name: 0 and *out (malloced; equal to `index_name`
 * when nothing matched); SNM_EINVAL when the name is not valid UTF-8 or the
 * match hits PCRE2's backtracking limit (err says which); SNM_ENOMEM. */
int snm_rename_apply(char **out, const struct snm_rename *r,
                     const char *index_name, struct snm_err *err);

/* The prefix of a data stream's backing indices. */
#define SNM_DS_BACKING_PREFIX ".ds-"

/* Apply to a backing index of a data stream restored as a stream, as the
 * servers' RestoreService does (Elasticsearch 7.9+, OpenSearch 1.x-3.x):
 * a name that starts with ".ds-" is renamed without that prefix and gets
 * it back (".ds-app-000001" with "(.+)" -> "m-$1" is ".ds-m-app-000001");
 * any other name as snm_rename_apply.  The data stream's own name is
 * renamed with snm_rename_apply.  Returns as snm_rename_apply. */
int snm_rename_apply_backing(char **out, const struct snm_rename *r,
                             const char *index_name, struct snm_err *err);

#endif
