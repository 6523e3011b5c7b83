/* SPDX-License-Identifier: Apache-2.0 */
/* metadata.h - index templates, component templates, legacy templates and
 * ingest pipelines as the plan's "metadata" section copies them: the
 * requests that read and write them, their bodies compared semantically,
 * the differences as JSON paths, and the restores' renames applied to
 * templates.  Pure functions (no I/O); the preflight (preflight_meta.c)
 * and the run (workflow_meta.c) send the requests.
 *
 * Bodies are compact JSON text as a PUT sends them: what the source's GET
 * returned for the item (the object under "index_template" or
 * "component_template", a legacy template's or a pipeline's object).
 *
 * The canonical form (snm_meta_canon) is what "identical" means: keys
 * sorted at every level; numbers by value; index settings flattened to
 * dotted keys with the "index." prefix and string values (the way the
 * servers store them: {"index":{"number_of_shards":1}} and
 * {"number_of_shards":"1"} are the same setting); and the defaults the
 * engines add or leave out dropped: an empty `composed_of`, `template`,
 * `settings`, `mappings` or `aliases`; a legacy template's `order` 0; a
 * data stream's `hidden` false and `timestamp_field` {"name":
 * "@timestamp"} (OpenSearch returns it, Elasticsearch 7.x does not); a
 * mapping wrapped in the single type `_doc`.  Order is kept where it
 * matters: `composed_of`, `index_patterns`, a pipeline's processors.
 */
#ifndef SNM_METADATA_H
#define SNM_METADATA_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "err.h"
#include "plan.h"

struct snm_buf;
struct snm_rename;

/* "ingest pipeline", "component template", "index template", "legacy
 * template". */
const char *snm_meta_label(enum snm_meta_kind k);
/* The API root: "/_ingest/pipeline", "/_component_template",
 * "/_index_template", "/_template" (GET it for every item; GET/PUT
 * ROOT/NAME for one). */
const char *snm_meta_root(enum snm_meta_kind k);
/* The state file's and events' word: "pipeline", "component_template",
 * "index_template", "legacy_template"; and back (0, or SNM_EINVAL). */
const char *snm_meta_kind_word(enum snm_meta_kind k);
int snm_meta_kind_parse(const char *word, enum snm_meta_kind *out);

struct snm_meta_item {
  enum snm_meta_kind kind;
  char *name; /* malloced */
  char *body; /* malloced compact JSON */
};

struct snm_meta_list {
  struct snm_meta_item *items; /* malloced, sorted by name */
  size_t len;
};

void snm_meta_list_dispose(struct snm_meta_list *l);
/* The item named `name`, or NULL. */
const struct snm_meta_item *snm_meta_list_find(const struct snm_meta_list *l,
                                               const char *name);

/* Read a 2xx reply of GET ROOT or GET ROOT/NAME of kind `k` into `out`
 * (appended, then sorted):
 *   pipelines, legacy templates: {"NAME": {body}, ...}
 *   component templates: {"component_templates": [{"name": N,
 *                         "component_template": {body}}, ...]}
 *   index templates:     {"index_templates": [{"name": N,
 *                         "index_template": {body}}, ...]}
 * Returns 0; -1 with `why` when the reply is not that (nothing appended);
 * SNM_ENOMEM. */
int snm_meta_parse_list(struct snm_meta_list *out, enum snm_meta_kind k,
                        yajl_val j, char *why, size_t whysz);

/* The names of `l` the plan's items select (indexpat.h rules: `*`
 * wildcards, "-x" excludes); *sel is a malloced array of l->len flags.
 * hits[j] (n_items, may be NULL) is an snm_indexpat_hit per plan item.
 * Returns the number selected, or (size_t)-1 when out of memory. */
size_t snm_meta_select(unsigned char **sel, const struct snm_meta_list *l,
                       char *const *items, size_t n_items, unsigned char *hits);

/* The canonical form of `body` of kind `k` (above): 0 and *out (malloced);
 * SNM_EINVAL when `body` is not a JSON object; SNM_ENOMEM. */
int snm_meta_canon(char **out, enum snm_meta_kind k, const char *body);

/* Compare two bodies of kind `k` semantically.  Returns the number of JSON
 * paths that differ (0: identical) and appends the first `max_paths` of
 * them to `out` (may be NULL), ", " between them and ", ... (N more)"
 * after; paths read like "template.settings.index.number_of_shards",
 * "index_patterns[1]", "processors" (an array whose length differs).
 * Returns -1 when a body is not a JSON object, -2 when out of memory. */
long snm_meta_diff(struct snm_buf *out, enum snm_meta_kind k, const char *a,
                   const char *b, size_t max_paths);

/* A template's body with `rn` applied to each of its `index_patterns`, as
 * if each pattern were an index name: Java's replaceAll over the whole
 * string, `*` an ordinary character to the pattern (so "logs-*" with
 * "(.+)" -> "m-$1" becomes "m-logs-*", and a pattern the rename does not
 * match stays as it is).  Other kinds, and a NULL `rn`, are copied as they
 * are.  0 and *out (malloced), *changed (may be NULL) the number of
 * patterns the rename changed; SNM_EINVAL (err) for a body that is not an
 * object or a rename that fails; SNM_ENOMEM. */
int snm_meta_rename(char **out, size_t *changed, enum snm_meta_kind k,
                    const char *body, const struct snm_rename *rn,
                    struct snm_err *err);

/* What a template's body needs on the target first: the component
 * templates in `composed_of` (index templates), or the pipelines its
 * settings name (index.default_pipeline, index.final_pipeline; "_none"
 * is none).  Calls fn(kind, name, data) for each.  0, or SNM_EINVAL for a
 * body that does not parse. */
int snm_meta_refs(enum snm_meta_kind k, const char *body,
                  void (*fn)(enum snm_meta_kind ref_kind, const char *name,
                             void *data),
                  void *data);

/* 1 when an index template's body creates data streams ("data_stream"). */
int snm_meta_is_data_stream(enum snm_meta_kind k, const char *body);

/* The body a simulate request checks an item with on a target, or NULL
 * (out of memory, or a body that does not parse; *out NULL and 0 for a
 * kind with nothing to simulate never happens: every kind has one):
 *   index template:     the template without `composed_of` (its
 *                       components are simulated on their own), sent to
 *                       POST /_index_template/_simulate
 *   component template: {"index_patterns": [P], "template": BODY's
 *                       template}, same endpoint
 *   legacy template:    {"index_patterns": ..., "template": {settings,
 *                       mappings, aliases}}, same endpoint
 *   ingest pipeline:    {"pipeline": BODY, "docs": [{"_source": {}}]},
 *                       sent to POST /_ingest/pipeline/_simulate
 * `pattern`: an index pattern no index or other template uses, put in
 * place of the item's own patterns (a template of the same name that the
 * copy replaces would otherwise "overlap" it); NULL keeps an index
 * template's own patterns, so that the target reports an overlap with
 * its other templates of the same priority as the PUT would (component
 * and legacy templates always take `pattern`, or "snapmig-simulate-*").
 * Returns 0 and *out (malloced); SNM_EINVAL; SNM_ENOMEM. */
int snm_meta_simulate_body(char **out, enum snm_meta_kind k, const char *body,
                           const char *pattern);
/* "/_index_template/_simulate" or "/_ingest/pipeline/_simulate". */
const char *snm_meta_simulate_path(enum snm_meta_kind k);

/* 1 when a reply to GET of a named item or a list says "no such item", as
 * opposed to any other 404 (a proxy's, an API the server does not have):
 * a 404 with the body {} (pipelines, legacy templates) or a
 * resource_not_found_exception. */
struct snm_es_reply;
int snm_meta_reply_absent(const struct snm_es_reply *reply);

#endif
