/* SPDX-License-Identifier: Apache-2.0 */
/* journal_json.c - the state file's JSON: write it (yajl_gen, fixed key
 * order) and read it back with every type checked and every problem
 * located (json.h keeps positions).
 *
 * Layout (format 2):
 *   {"format": 2, "snapmig_version": "0.1.0", "run_id": "...",
 *    "plan": {"name": "...", "path": "...", "digest": "<sha256 hex>"},
 *    "created": RFC3339, "updated": RFC3339, "step": "snapshot",
 *    "events": 12,
 *    "repositories": {"<domain>": "registered" | "existed", ...},
 *    "rounds": [{"number": 1,
 *                "snapshot": {"name", "repository", "state", "started_at",
 *                             "finished_at", "docs_before": {index: n},
 *                             "docs_after": {index: n}},
 *                "restores": [{"domain", "state", "indices": [{"source",
 *                              "target", "state", "docs_expected",
 *                              "docs_found", "bytes"}]}]}, ...]}
 * "rounds" has at least one round, numbered 1, 2, ... in order; the last is
 * the current one.  Format 1 (snapmig 0.1) had no "rounds": its one
 * "snapshot" and "restores" were top-level keys; it is read as round 1.
 * Unknown counts and times are null.  Unknown keys are ignored on read, so
 * a later snapmig may add keys without a format bump.
 */
#include "journal.h"
#include "json.h"
#include "timefmt.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

/* ---- writing ---------------------------------------------------------- */

static void put_time(yajl_gen g, const char *k, long long ms)
{
  char t[SNM_TIME_RFC3339_MAX];

  snm_gen_key_str(g, k,
                  ms == SNM_STATE_UNKNOWN ? NULL : snm_time_format(t, ms, 1));
}

static void put_counts(yajl_gen g, const char *k,
                       const struct snm_state_counts *c)
{
  snm_gen_str(g, k);
  yajl_gen_map_open(g);
  for (size_t i = 0; i < c->len; i++)
    snm_gen_key_int_or_null(g, c->items[i].index, c->items[i].count);
  yajl_gen_map_close(g);
}

static void put_restore(yajl_gen g, const struct snm_state_restore *r)
{
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "domain", r->domain);
  snm_gen_key_str(g, "state", snm_restore_state_name(r->state));
  snm_gen_str(g, "indices");
  yajl_gen_array_open(g);
  for (size_t j = 0; j < r->n_indices; j++) {
    const struct snm_state_index *x = &r->indices[j];

    yajl_gen_map_open(g);
    snm_gen_key_str(g, "source", x->source);
    snm_gen_key_str(g, "target", x->target);
    snm_gen_key_str(g, "state", snm_restore_state_name(x->state));
    snm_gen_key_int_or_null(g, "docs_expected", x->docs_expected);
    snm_gen_key_int_or_null(g, "docs_found", x->docs_found);
    snm_gen_key_int_or_null(g, "bytes", x->bytes);
    if (x->data_stream != NULL && x->target_stream != NULL) {
      snm_gen_key_str(g, "data_stream", x->data_stream);
      snm_gen_key_str(g, "target_data_stream", x->target_stream);
    }
    if (x->bytes_reused != SNM_STATE_UNKNOWN)
      snm_gen_key_int(g, "bytes_reused", x->bytes_reused);
    if (x->uuid != NULL)
      snm_gen_key_str(g, "uuid", x->uuid);
    if (x->replace)
      snm_gen_str(g, "replace"), yajl_gen_bool(g, 1);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  if (r->n_meta > 0) {
    snm_gen_str(g, "metadata");
    yajl_gen_array_open(g);
    for (size_t j = 0; j < r->n_meta; j++) {
      yajl_gen_map_open(g);
      snm_gen_key_str(g, "kind", r->meta[j].kind);
      snm_gen_key_str(g, "name", r->meta[j].name);
      snm_gen_key_str(g, "state", snm_meta_state_name(r->meta[j].state));
      yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
  }
  yajl_gen_map_close(g);
}

static void put_cutover(yajl_gen g, const struct snm_state_cutover *c)
{
  snm_gen_str(g, "cutover");
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "state", snm_cutover_state_name(c->state));
  snm_gen_str(g, "source_blocked");
  yajl_gen_bool(g, c->source_blocked);
  put_time(g, "blocked_at", c->blocked_ms);
  put_time(g, "verified_at", c->verified_ms);
  put_time(g, "switched_at", c->switched_ms);
  put_time(g, "unblocked_at", c->unblocked_ms);
  /* the write downtime so far: block effective -> verified */
  snm_gen_key_int_or_null(g, "downtime_ms",
                          c->blocked_ms != SNM_STATE_UNKNOWN &&
                                  c->verified_ms != SNM_STATE_UNKNOWN
                              ? c->verified_ms - c->blocked_ms
                              : SNM_STATE_UNKNOWN);
  snm_gen_str(g, "blocks");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < c->n_blocks; i++) {
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "index", c->blocks[i].index);
    snm_gen_str(g, "previous");
    if (c->blocks[i].previous == SNM_BLOCK_UNSET)
      yajl_gen_null(g);
    else
      yajl_gen_bool(g, c->blocks[i].previous);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  snm_gen_str(g, "aliases");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < c->n_aliases; i++) {
    const struct snm_state_alias *a = &c->aliases[i];

    yajl_gen_map_open(g);
    snm_gen_key_str(g, "domain", a->domain);
    snm_gen_key_str(g, "alias", a->alias);
    snm_gen_key_str(g, "index", a->index);
    snm_gen_str(g, "holders");
    yajl_gen_array_open(g);
    for (size_t k = 0; k < a->n_holders; k++)
      snm_gen_str(g, a->holders[k]);
    yajl_gen_array_close(g);
    snm_gen_str(g, "switched");
    yajl_gen_bool(g, a->switched);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
}

static void put_round(yajl_gen g, const struct snm_state_round *rd)
{
  const struct snm_state_snapshot *s = &rd->snapshot;

  yajl_gen_map_open(g);
  snm_gen_key_int(g, "number", rd->number);
  snm_gen_str(g, "snapshot");
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "name", s->name);
  snm_gen_key_str(g, "repository", s->repository);
  snm_gen_key_str(g, "state", snm_snapshot_state_name(s->state));
  put_time(g, "started_at", s->started_ms);
  put_time(g, "finished_at", s->finished_ms);
  if (s->deleted)
    snm_gen_str(g, "deleted"), yajl_gen_bool(g, 1);
  put_counts(g, "docs_before", &s->docs_before);
  put_counts(g, "docs_after", &s->docs_after);
  if (s->n_data_streams > 0) {
    snm_gen_str(g, "data_streams");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < s->n_data_streams; i++)
      snm_gen_str(g, s->data_streams[i]);
    yajl_gen_array_close(g);
  }
  yajl_gen_map_close(g);
  snm_gen_str(g, "restores");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < rd->n_restores; i++)
    put_restore(g, &rd->restores[i]);
  yajl_gen_array_close(g);
  if (rd->cutover.state != SNM_CUT_NONE)
    put_cutover(g, &rd->cutover);
  yajl_gen_map_close(g);
}

int snm_state_to_json(char **out, const struct snm_state *st,
                      struct snm_err *err)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *buf;
  size_t len;
  int rc = 0;

  *out = NULL;
  if (g == NULL)
    return snm_err_set(err, SNM_ENOMEM, "out of memory");
  yajl_gen_config(g, yajl_gen_beautify, 1);
  yajl_gen_config(g, yajl_gen_indent_string, "  ");
  yajl_gen_map_open(g);
  snm_gen_key_int(g, "format", SNM_STATE_FORMAT);
  snm_gen_key_str(g, "snapmig_version", st->snapmig_version);
  snm_gen_key_str(g, "run_id", st->run_id);
  snm_gen_str(g, "plan");
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "name", st->plan_name);
  snm_gen_key_str(g, "path", st->plan_path);
  snm_gen_key_str(g, "digest", st->plan_digest);
  yajl_gen_map_close(g);
  put_time(g, "created", st->created_ms);
  put_time(g, "updated", st->updated_ms);
  snm_gen_key_str(g, "step", snm_step_name(st->step));
  snm_gen_key_int(g, "events", (long long)st->events);
  snm_gen_str(g, "repositories");
  yajl_gen_map_open(g);
  for (size_t i = 0; i < st->n_registrations; i++)
    snm_gen_key_str(g, st->registrations[i].domain,
                    st->registrations[i].created ? "registered" : "existed");
  yajl_gen_map_close(g);
  snm_gen_str(g, "rounds");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < st->n_rounds; i++)
    put_round(g, &st->rounds[i]);
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);

  if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok ||
      (*out = malloc(len + 2)) == NULL) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
  } else {
    memcpy(*out, buf, len);
    if (len == 0 || buf[len - 1] != '\n')
      (*out)[len++] = '\n';
    (*out)[len] = '\0';
  }
  yajl_gen_free(g);
  return rc;
}

/* ---- reading ---------------------------------------------------------- */

struct rd {
  const struct snm_json_doc *doc;
  const char *path;
  struct snm_err *err;
  int rc; /* first error; later ones are not reported */
};

/* Record "PATH:LINE:COL: WHAT: MESSAGE" for value `v` (first error wins). */
__attribute__((format(printf, 4, 5))) static void bad(struct rd *r,
                                                      const struct snm_json *v,
                                                      const char *what,
                                                      const char *fmt, ...)
{
  struct snm_json_pos pos = snm_json_doc_pos(r->doc, v->offset);
  char msg[256];
  va_list ap;

  if (r->rc != 0)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  r->rc = snm_err_set(r->err, SNM_EPARSE,
                      "%s:%u:%u: %s: %s (not a valid snapmig state file; "
                      "move it aside and start over with --fresh)",
                      r->path, pos.line, pos.col, what, msg);
}

static void nomem(struct rd *r)
{
  if (r->rc == 0)
    r->rc = snm_err_set(r->err, SNM_ENOMEM, "out of memory");
}

/* Member `key` of `obj` with `type`, or NULL (error recorded when required
 * or when present with another type; null counts as absent if nullable). */
static const struct snm_json *get(struct rd *r, const struct snm_json *obj,
                                  const char *where, const char *key,
                                  enum snm_json_type type, int required)
{
  const struct snm_json *v = snm_json_get(obj, key);
  char what[96];

  snprintf(what, sizeof(what), "%s%s%s", where, *where ? "." : "", key);
  if (v == NULL) {
    if (required)
      bad(r, obj, what, "missing");
    return NULL;
  }
  if (v->type == SNM_JSON_NULL && !required)
    return NULL;
  if (v->type != type) {
    bad(r, v, what, "expected %s %s, found %s",
        type == SNM_JSON_ARRAY || type == SNM_JSON_OBJECT ? "an" : "a",
        snm_json_type_name(type), snm_json_type_name(v->type));
    return NULL;
  }
  if (type == SNM_JSON_STRING && !snm_json_is_cstring(v)) {
    bad(r, v, what, "contains a NUL character");
    return NULL;
  }
  return v;
}

static void get_str(struct rd *r, const struct snm_json *obj, const char *where,
                    const char *key, int required, char **out)
{
  const struct snm_json *v = get(r, obj, where, key, SNM_JSON_STRING, required);

  if (v != NULL && snm_state_set_str(out, v->u.string.ptr) != 0)
    nomem(r);
}

/* An optional boolean: absent or null is 0. */
static int get_bool(struct rd *r, const struct snm_json *obj, const char *where,
                    const char *key)
{
  const struct snm_json *v = get(r, obj, where, key, SNM_JSON_BOOL, 0);

  return v != NULL && v->u.boolean;
}

/* A count: null (SNM_STATE_UNKNOWN) or an integer >= 0. */
static long long count_value(struct rd *r, const struct snm_json *v,
                             const char *what)
{
  long long n;

  if (v == NULL || v->type == SNM_JSON_NULL)
    return SNM_STATE_UNKNOWN;
  if (snm_json_int(v, &n) != 0 || n < 0) {
    bad(r, v, what, "expected a count (an integer >= 0) or null");
    return SNM_STATE_UNKNOWN;
  }
  return n;
}

static long long get_count(struct rd *r, const struct snm_json *obj,
                           const char *where, const char *key)
{
  char what[96];

  snprintf(what, sizeof(what), "%s.%s", where, key);
  return count_value(r, snm_json_get(obj, key), what);
}

static long long get_time(struct rd *r, const struct snm_json *obj,
                          const char *where, const char *key)
{
  const struct snm_json *v = get(r, obj, where, key, SNM_JSON_STRING, 0);
  long long ms;

  if (v == NULL)
    return SNM_STATE_UNKNOWN;
  if (snm_time_parse(v->u.string.ptr, &ms) != 0) {
    char what[96];

    snprintf(what, sizeof(what), "%s%s%s", where, *where ? "." : "", key);
    bad(r, v, what, "\"%s\" is not an RFC 3339 time", v->u.string.ptr);
    return SNM_STATE_UNKNOWN;
  }
  return ms;
}

/* An enum given by name; `parse` is one of the snm_*_parse functions. */
#define GET_ENUM(r, obj, where, key, parse, out)                               \
  do {                                                                         \
    const struct snm_json *v_ =                                                \
        get((r), (obj), (where), (key), SNM_JSON_STRING, 1);                   \
    char w_[128];                                                              \
    snprintf(w_, sizeof(w_), "%s%s%s", (where), *(where) ? "." : "", (key));   \
    if (v_ != NULL && parse(v_->u.string.ptr, (out)) != 0)                     \
      bad((r), v_, w_, "unknown state \"%s\"", v_->u.string.ptr);              \
  } while (0)

static void get_counts(struct rd *r, const struct snm_json *obj,
                       const char *where, const char *key,
                       struct snm_state_counts *out)
{
  const struct snm_json *m = get(r, obj, where, key, SNM_JSON_OBJECT, 0);
  char what[160];

  for (size_t i = 0; m != NULL && i < m->u.object.len && r->rc == 0; i++) {
    const struct snm_json_member *e = &m->u.object.items[i];
    long long n;

    snprintf(what, sizeof(what), "%s.%s.%s", where, key, e->key);
    n = count_value(r, e->value, what);
    if (r->rc == 0 && snm_state_counts_set(out, e->key, n) != 0)
      nomem(r);
  }
}

static void read_registrations(struct rd *r, const struct snm_json *root,
                               struct snm_state *st)
{
  const struct snm_json *m =
      get(r, root, "", "repositories", SNM_JSON_OBJECT, 0);

  for (size_t i = 0; m != NULL && i < m->u.object.len && r->rc == 0; i++) {
    const struct snm_json_member *e = &m->u.object.items[i];
    const struct snm_json *v = e->value;
    int created;

    if (v->type == SNM_JSON_STRING &&
        strcmp(v->u.string.ptr, "registered") == 0)
      created = 1;
    else if (v->type == SNM_JSON_STRING &&
             strcmp(v->u.string.ptr, "existed") == 0)
      created = 0;
    else {
      bad(r, v, "repositories", "expected \"registered\" or \"existed\"");
      return;
    }
    if (snm_state_set_registration(st, e->key, created) != 0)
      nomem(r);
  }
}

/* The snapshot's "data_streams": absent, or an array of names. */
static void read_streams(struct rd *r, const struct snm_json *o,
                         const char *where, struct snm_state_snapshot *s)
{
  const struct snm_json *a =
      get(r, o, where, "data_streams", SNM_JSON_ARRAY, 0);
  char what[192];

  if (a == NULL)
    return;
  s->data_streams = calloc(a->u.array.len + 1, sizeof(*s->data_streams));
  if (s->data_streams == NULL) {
    nomem(r);
    return;
  }
  for (size_t i = 0; i < a->u.array.len && r->rc == 0; i++) {
    const struct snm_json *v = a->u.array.items[i];
    snprintf(what, sizeof(what), "%s.data_streams[%zu]", where, i);
    if (v->type != SNM_JSON_STRING || !snm_json_is_cstring(v) ||
        v->u.string.len == 0) {
      bad(r, v, what, "expected a data stream name");
      return;
    }
    if ((s->data_streams[s->n_data_streams] = strdup(v->u.string.ptr)) ==
        NULL) {
      nomem(r);
      return;
    }
    s->n_data_streams++;
  }
}

/* The "snapshot" member of `obj` (the root in format 1, a round in format
 * 2); `where` names `obj` in messages ("" for the root). */
static void read_snapshot(struct rd *r, const struct snm_json *obj,
                          const char *where, struct snm_state_snapshot *s)
{
  const struct snm_json *o = get(r, obj, where, "snapshot", SNM_JSON_OBJECT, 1);
  char w[64];

  if (o == NULL)
    return;
  snprintf(w, sizeof(w), "%s%ssnapshot", where, *where ? "." : "");
  get_str(r, o, w, "name", 0, &s->name);
  get_str(r, o, w, "repository", 0, &s->repository);
  GET_ENUM(r, o, w, "state", snm_snapshot_state_parse, &s->state);
  s->started_ms = get_time(r, o, w, "started_at");
  s->finished_ms = get_time(r, o, w, "finished_at");
  s->deleted = get_bool(r, o, w, "deleted");
  get_counts(r, o, w, "docs_before", &s->docs_before);
  get_counts(r, o, w, "docs_after", &s->docs_after);
  read_streams(r, o, w, s);
}

static void read_index(struct rd *r, const struct snm_json *o,
                       struct snm_state_restore *rs, const char *where)
{
  char *source = NULL, *target = NULL;
  struct snm_state_index *x;

  if (o->type != SNM_JSON_OBJECT) {
    bad(r, o, where, "expected an object");
    return;
  }
  get_str(r, o, where, "source", 1, &source);
  get_str(r, o, where, "target", 1, &target);
  if (r->rc == 0 && snm_state_restore_find_index(rs, source) != NULL)
    bad(r, o, where, "index \"%s\" is listed twice", source);
  if (r->rc == 0 && snm_state_restore_add_index(rs, source, target, &x) != 0)
    nomem(r);
  if (r->rc == 0) {
    GET_ENUM(r, o, where, "state", snm_restore_state_parse, &x->state);
    x->docs_expected = get_count(r, o, where, "docs_expected");
    x->docs_found = get_count(r, o, where, "docs_found");
    x->bytes = get_count(r, o, where, "bytes");
    get_str(r, o, where, "data_stream", 0, &x->data_stream);
    get_str(r, o, where, "target_data_stream", 0, &x->target_stream);
    if (r->rc == 0 && (x->data_stream == NULL) != (x->target_stream == NULL))
      bad(r, o, where,
          "\"data_stream\" and \"target_data_stream\" go "
          "together");
    x->bytes_reused = get_count(r, o, where, "bytes_reused");
    get_str(r, o, where, "uuid", 0, &x->uuid);
    x->replace = get_bool(r, o, where, "replace");
  }
  free(source);
  free(target);
}

static void read_meta(struct rd *r, const struct snm_json *o,
                      struct snm_state_restore *rs, const char *where)
{
  char *kind = NULL, *name = NULL;
  struct snm_state_meta *m;

  if (o->type != SNM_JSON_OBJECT) {
    bad(r, o, where, "expected an object");
    return;
  }
  get_str(r, o, where, "kind", 1, &kind);
  get_str(r, o, where, "name", 1, &name);
  if (r->rc == 0 && snm_state_find_meta(rs, kind, name) != NULL)
    bad(r, o, where, "%s \"%s\" is listed twice", kind, name);
  if (r->rc == 0 && snm_state_add_meta(rs, kind, name, &m) != 0)
    nomem(r);
  if (r->rc == 0)
    GET_ENUM(r, o, where, "state", snm_meta_state_parse, &m->state);
  free(kind);
  free(name);
}

/* The "restores" member of `obj` (as read_snapshot). */
static void read_restores(struct rd *r, const struct snm_json *obj,
                          const char *prefix, struct snm_state_round *rd)
{
  const struct snm_json *a = get(r, obj, prefix, "restores", SNM_JSON_ARRAY, 1);
  char where[64];

  if (a == NULL)
    return;
  if (a->u.array.len > 0 &&
      (rd->restores = calloc(a->u.array.len, sizeof(*rd->restores))) == NULL) {
    nomem(r);
    return;
  }
  for (size_t i = 0; i < a->u.array.len && r->rc == 0; i++) {
    const struct snm_json *o = a->u.array.items[i], *ix;
    struct snm_state_restore *rs = &rd->restores[i];

    snprintf(where, sizeof(where), "%s%srestores[%zu]", prefix,
             *prefix ? "." : "", i);
    rd->n_restores = i + 1;
    if (o->type != SNM_JSON_OBJECT) {
      bad(r, o, where, "expected an object");
      return;
    }
    get_str(r, o, where, "domain", 1, &rs->domain);
    GET_ENUM(r, o, where, "state", snm_restore_state_parse, &rs->state);
    ix = get(r, o, where, "indices", SNM_JSON_ARRAY, 1);
    for (size_t j = 0; ix != NULL && j < ix->u.array.len && r->rc == 0; j++) {
      char iwhere[96];

      snprintf(iwhere, sizeof(iwhere), "%s.indices[%zu]", where, j);
      read_index(r, ix->u.array.items[j], rs, iwhere);
    }
    ix = get(r, o, where, "metadata", SNM_JSON_ARRAY, 0);
    for (size_t j = 0; ix != NULL && j < ix->u.array.len && r->rc == 0; j++) {
      char mwhere[96];

      snprintf(mwhere, sizeof(mwhere), "%s.metadata[%zu]", where, j);
      read_meta(r, ix->u.array.items[j], rs, mwhere);
    }
  }
}

/* A cutover round's "cutover" (absent: not a cutover round). */
static void read_cutover(struct rd *r, const struct snm_json *obj,
                         const char *where, struct snm_state_cutover *c)
{
  const struct snm_json *o = get(r, obj, where, "cutover", SNM_JSON_OBJECT, 0);
  const struct snm_json *a;
  char w[64], iw[96];

  if (o == NULL)
    return;
  snprintf(w, sizeof(w), "%s.cutover", where);
  GET_ENUM(r, o, w, "state", snm_cutover_state_parse, &c->state);
  c->source_blocked = get_bool(r, o, w, "source_blocked");
  c->blocked_ms = get_time(r, o, w, "blocked_at");
  c->verified_ms = get_time(r, o, w, "verified_at");
  c->switched_ms = get_time(r, o, w, "switched_at");
  c->unblocked_ms = get_time(r, o, w, "unblocked_at");
  a = get(r, o, w, "blocks", SNM_JSON_ARRAY, 0);
  for (size_t i = 0; a != NULL && i < a->u.array.len && r->rc == 0; i++) {
    const struct snm_json *b = a->u.array.items[i], *pv;
    char *index = NULL;
    int prev = SNM_BLOCK_UNSET;

    snprintf(iw, sizeof(iw), "%s.blocks[%zu]", w, i);
    if (b->type != SNM_JSON_OBJECT) {
      bad(r, b, iw, "expected an object");
      return;
    }
    get_str(r, b, iw, "index", 1, &index);
    pv = snm_json_get(b, "previous");
    if (pv != NULL && pv->type == SNM_JSON_BOOL)
      prev = pv->u.boolean;
    else if (pv == NULL || pv->type != SNM_JSON_NULL)
      bad(r, pv != NULL ? pv : b, iw,
          "\"previous\" must be true, false or "
          "null (unset)");
    if (r->rc == 0 && snm_state_cutover_add_block(c, index, prev) != 0)
      nomem(r);
    free(index);
  }
  a = get(r, o, w, "aliases", SNM_JSON_ARRAY, 0);
  for (size_t i = 0; a != NULL && i < a->u.array.len && r->rc == 0; i++) {
    const struct snm_json *e = a->u.array.items[i], *h;
    char *dom = NULL, *alias = NULL, *index = NULL;
    struct snm_state_alias *sa = NULL;

    snprintf(iw, sizeof(iw), "%s.aliases[%zu]", w, i);
    if (e->type != SNM_JSON_OBJECT) {
      bad(r, e, iw, "expected an object");
      return;
    }
    get_str(r, e, iw, "domain", 1, &dom);
    get_str(r, e, iw, "alias", 1, &alias);
    get_str(r, e, iw, "index", 1, &index);
    if (r->rc == 0 &&
        snm_state_cutover_add_alias(c, dom, alias, index, &sa) != 0)
      nomem(r);
    if (r->rc == 0) {
      sa->switched = get_bool(r, e, iw, "switched");
      h = get(r, e, iw, "holders", SNM_JSON_ARRAY, 0);
      for (size_t k = 0; h != NULL && k < h->u.array.len && r->rc == 0; k++) {
        const struct snm_json *hv = h->u.array.items[k];
        char **nh;

        if (hv->type != SNM_JSON_STRING || !snm_json_is_cstring(hv)) {
          bad(r, hv, iw, "holders: expected index names");
          break;
        }
        nh = realloc(sa->holders, (sa->n_holders + 1) * sizeof(*nh));
        if (nh == NULL) {
          nomem(r);
          break;
        }
        sa->holders = nh;
        if ((nh[sa->n_holders] = strdup(hv->u.string.ptr)) == NULL) {
          nomem(r);
          break;
        }
        sa->n_holders++;
      }
    }
    free(dom);
    free(alias);
    free(index);
  }
}

/* Format 2: "rounds", a non-empty array of rounds numbered 1, 2, ... */
static void read_rounds(struct rd *r, const struct snm_json *root,
                        struct snm_state *st)
{
  const struct snm_json *a = get(r, root, "", "rounds", SNM_JSON_ARRAY, 1);
  char where[32];

  if (a == NULL)
    return;
  if (a->u.array.len == 0) {
    bad(r, a, "rounds", "empty (a run has at least one round)");
    return;
  }
  for (size_t i = 0; i < a->u.array.len && r->rc == 0; i++) {
    const struct snm_json *o = a->u.array.items[i], *num;
    struct snm_state_round *rd;
    long long n;

    snprintf(where, sizeof(where), "rounds[%zu]", i);
    if (o->type != SNM_JSON_OBJECT) {
      bad(r, o, where, "expected an object");
      return;
    }
    if (snm_state_push_round(st, &rd) != 0) {
      nomem(r);
      return;
    }
    num = get(r, o, where, "number", SNM_JSON_NUMBER, 1);
    if (num != NULL && (snm_json_int(num, &n) != 0 || n != (long long)i + 1)) {
      char what[48];

      snprintf(what, sizeof(what), "%s.number", where);
      bad(r, num, what, "expected %zu (rounds are numbered 1, 2, ... in order)",
          i + 1);
    }
    read_snapshot(r, o, where, &rd->snapshot);
    read_restores(r, o, where, rd);
    read_cutover(r, o, where, &rd->cutover);
  }
}

/* Format 1: one "snapshot" and its "restores" at the top: round 1. */
static void read_format1_round(struct rd *r, const struct snm_json *root,
                               struct snm_state *st)
{
  struct snm_state_round *rd;

  if (snm_state_push_round(st, &rd) != 0) {
    nomem(r);
    return;
  }
  read_snapshot(r, root, "", &rd->snapshot);
  read_restores(r, root, "", rd);
}

int snm_state_parse(struct snm_state *out, const char *text, size_t len,
                    const char *path, struct snm_err *err)
{
  struct snm_json_doc *doc = NULL;
  struct rd r = {NULL, path, err, 0};
  const struct snm_json *root, *v, *plan;
  long long n;
  int rc;

  snm_state_dispose(out);
  rc = snm_json_parse(&doc, text, len, NULL, err);
  if (rc == SNM_EPARSE) {
    char why[SNM_ERR_MSG_MAX] = "";

    if (err != NULL)
      memcpy(why, err->msg, sizeof(why));
    return snm_err_set(err, SNM_EPARSE,
                       "%s: damaged state file, not JSON: %s (was the disk "
                       "full?  move it aside and start over with --fresh)",
                       path, why);
  }
  if (rc != 0)
    return rc;
  r.doc = doc;
  root = doc->root;
  if (root->type != SNM_JSON_OBJECT) {
    bad(&r, root, "state", "expected an object");
    goto done;
  }
  v = get(&r, root, "", "format", SNM_JSON_NUMBER, 1);
  if (v == NULL)
    goto done;
  if (snm_json_int(v, &n) != 0 || n < 1) {
    bad(&r, v, "format", "expected a format number (1 or 2)");
    goto done;
  }
  if (n > SNM_STATE_FORMAT) {
    r.rc = snm_err_set(err, SNM_EPARSE,
                       "%s was written by a newer snapmig (state format %lld; "
                       "this snapmig reads format %d): finish the run with "
                       "that snapmig, or start over with --fresh",
                       path, n, SNM_STATE_FORMAT);
    goto done;
  }
  out->format = (int)n;
  get_str(&r, root, "", "snapmig_version", 0, &out->snapmig_version);
  get_str(&r, root, "", "run_id", 1, &out->run_id);
  plan = get(&r, root, "", "plan", SNM_JSON_OBJECT, 1);
  if (plan != NULL) {
    get_str(&r, plan, "plan", "name", 1, &out->plan_name);
    get_str(&r, plan, "plan", "path", 0, &out->plan_path);
    v = get(&r, plan, "plan", "digest", SNM_JSON_STRING, 1);
    if (v != NULL && v->u.string.len != 64)
      bad(&r, v, "plan.digest", "expected 64 hex digits");
    else if (v != NULL)
      memcpy(out->plan_digest, v->u.string.ptr, 65);
  }
  out->created_ms = get_time(&r, root, "", "created");
  out->updated_ms = get_time(&r, root, "", "updated");
  GET_ENUM(&r, root, "", "step", snm_step_parse, &out->step);
  n = get_count(&r, root, "state", "events");
  out->events = n < 0 ? 0 : (unsigned long long)n;
  read_registrations(&r, root, out);
  if (out->format == 1)
    read_format1_round(&r, root, out);
  else
    read_rounds(&r, root, out);
done:
  snm_json_doc_free(doc);
  if (r.rc != 0)
    snm_state_dispose(out);
  return r.rc;
}

int snm_state_load(struct snm_state *out, int *found, const char *path,
                   struct snm_err *err)
{
  struct stat sb;
  char *text = NULL;
  size_t len = 0;
  int fd, rc;

  *found = 0;
  snm_state_dispose(out);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return snm_err_set(err, SNM_EIO, "cannot read the run state %s: %s", path,
                       strerror(errno));
  if (fstat(fd, &sb) != 0) {
    rc = snm_err_set(err, SNM_EIO, "cannot read the run state %s: %s", path,
                     strerror(errno));
    goto done;
  }
  if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)SNM_STATE_MAX_BYTES) {
    rc = snm_err_set(err, SNM_EIO,
                     "%s is not a snapmig state file (%s); pass another "
                     "--state FILE",
                     path, S_ISREG(sb.st_mode) ? "too large" : "not a file");
    goto done;
  }
  if ((text = malloc((size_t)sb.st_size + 1)) == NULL) {
    rc = snm_err_set(err, SNM_ENOMEM, "out of memory");
    goto done;
  }
  while (len < (size_t)sb.st_size) {
    ssize_t n = read(fd, text + len, (size_t)sb.st_size - len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = snm_err_set(err, SNM_EIO, "cannot read the run state %s: %s", path,
                       strerror(errno));
      goto done;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  rc = snm_state_parse(out, text, len, path, err);
  if (rc == 0)
    *found = 1;
done:
  free(text);
  close(fd);
  return rc;
}
