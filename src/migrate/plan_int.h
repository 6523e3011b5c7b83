/* SPDX-License-Identifier: Apache-2.0 */
/* plan_int.h - internals shared by plan*.c: reading typed values out of the
 * JSON tree and reporting located problems.  Not a public API. */
#ifndef SNM_PLAN_INT_H
#define SNM_PLAN_INT_H

#include "diag.h"
#include "json.h"
#include "plan.h"

#define PC_PATH_MAX 192

struct pctx {
  const struct snm_json_doc *doc;
  struct snm_diag_list *diags;
  int nomem; /* an allocation failed; the result is not to be trusted */
};

/* Add a diagnostic located at a source offset. */
void pc_diag(struct pctx *c, enum snm_severity sev, size_t offset,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define pc_error(c, off, ...) pc_diag((c), SNM_DIAG_ERROR, (off), __VA_ARGS__)
#define pc_warn(c, off, ...) pc_diag((c), SNM_DIAG_WARNING, (off), __VA_ARGS__)

struct snm_plan_pos pc_pos(const struct pctx *c, size_t offset);

/* "path.key" (or "key" at the top level) into out. */
void pc_path(char *out, size_t outsz, const char *path, const char *key);

/* The closest candidate to `word` by edit distance, or NULL if none is
 * close enough to be a plausible typo. */
const char *pc_suggest(const char *word, const char *const *candidates,
                       size_t n);

/* Report duplicate keys and keys not in `allowed` (NULL-terminated). */
void pc_check_keys(struct pctx *c, const struct snm_json *obj, const char *path,
                   const char *const *allowed);

/* Report duplicate keys in `v` and every object inside it (for free-form
 * settings objects, whose keys are not checked). */
void pc_check_duplicates(struct pctx *c, const struct snm_json *v,
                         const char *path);

/* The value of `key` in `obj` if it has the wanted type.  Reports a wrong
 * type (at the value), or a missing key when `required` (at the object's
 * '{'), and returns NULL then; absent and optional: NULL, no report. */
const struct snm_json *pc_get(struct pctx *c, const struct snm_json *obj,
                              const char *path, const char *key,
                              enum snm_json_type type, int required);

/* Typed readers.  Each returns 1 when a usable value (or the default) is
 * in *out, 0 after reporting a problem (*out holds the default).  Strings
 * must not be empty or hold NUL bytes; *out is malloced or NULL. */
int pc_string(struct pctx *c, const struct snm_json *obj, const char *path,
              const char *key, int required, char **out);
int pc_bool(struct pctx *c, const struct snm_json *obj, const char *path,
            const char *key, int def, int *out);
int pc_long(struct pctx *c, const struct snm_json *obj, const char *path,
            const char *key, long def, long min, long max, long *out);
int pc_enum(struct pctx *c, const struct snm_json *obj, const char *path,
            const char *key, const char *const *names, int def, int *out);
/* An array of strings, or one comma-separated string; elements trimmed,
 * none empty.  Absent: *out NULL, *n 0. */
int pc_string_list(struct pctx *c, const struct snm_json *obj, const char *path,
                   const char *key, char ***out, size_t *n);

/* 1 if every character of `s` is a-z, 0-9 or in `extra`. */
int pc_all_chars_in(const char *s, const char *extra);

/* A required enum: reports a missing key at the object's '{'. */
int pc_required_enum(struct pctx *c, const struct snm_json *obj,
                     const char *path, const char *key,
                     const char *const *names, int *out);

/* The "domains" section (plan_domain.c). */
void pc_read_domains(struct pctx *c, struct snm_plan *p,
                     const struct snm_json *root);

/* The "metadata" section (plan_meta.c). */
void pc_read_metadata(struct pctx *c, struct snm_plan *p,
                      const struct snm_json *root);
void pc_metadata_dispose(struct snm_metadata_spec *m);

/* The "cutover" section (plan_cutover.c); after the restores are read. */
void pc_read_cutover(struct pctx *c, struct snm_plan *p,
                     const struct snm_json *root);
void pc_cutover_dispose(struct snm_cutover_spec *cs);

char *pc_strdup(struct pctx *c, const char *s);
void pc_free_list(char **list, size_t n);

/* Endpoint URL -> domain fields (endpoint, base_url, tls, host, port,
 * base_path).  Reports problems at `v`; returns 1 when usable. */
int pc_endpoint(struct pctx *c, const struct snm_json *v, const char *path,
                struct snm_domain *d);

#endif
