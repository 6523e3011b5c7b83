/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_parse.c - the pure part of reading replies: what a 2xx reply
 * says, turned into facts, with every value checked, since a reply may
 * hold anything (a proxy's page, a truncated body, a hostile number).  A
 * reply that is not what was asked for is refused with the reason and
 * records nothing.  No I/O. */
#include "buf.h"
#include "jtree.h"
#include "es.h"
#include "indexpat.h"
#include "json.h"
#include "preflight.h"
#include "preflight_int.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

static char *xstrdup(struct snm_preflight *pf, const char *s)
{
  char *d = strdup(s != NULL ? s : "");
  if (d == NULL)
    pf->nomem = 1;
  return d;
}

int snm__pf_refuse(char *why, size_t whysz, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, whysz, fmt, ap);
  va_end(ap);
  return -1;
}

static const char *json_type(yajl_val v)
{
  if (YAJL_IS_OBJECT(v))
    return "an object";
  if (YAJL_IS_ARRAY(v))
    return "an array";
  if (YAJL_IS_STRING(v))
    return "a string";
  if (YAJL_IS_NUMBER(v))
    return "a number";
  if (YAJL_IS_NULL(v))
    return "null";
  return "a boolean";
}

/* ---- JSON -------------------------------------------------------------- */

static char *to_json(struct snm_preflight *pf, yajl_val v)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  char *out = NULL;

  if (g != NULL) {
    snm_jgen(g, v);
    (void)snm_gen_finish(&out, g); /* out stays NULL on failure */
    yajl_gen_free(g);
  }
  if (out == NULL)
    pf->nomem = 1;
  return out;
}

/* ---- replies ----------------------------------------------------------- */

int snm__pf_parse_health(struct snm_pf_domain *d, yajl_val j, char *why,
                         size_t whysz)
{
  const char *st = snm_jstr(j, "status", (char *)NULL);
  long long nodes = snm_jint(-1, j, "number_of_data_nodes", (char *)NULL);
  long open = snm__preflight_open_shards(j);

  if (!YAJL_IS_OBJECT(j))
    return snm__pf_refuse(why, whysz, "the reply is %s, not an object",
                          json_type(j));
  if (st == NULL || strlen(st) >= sizeof(d->health))
    return snm__pf_refuse(why, whysz, "the reply has no \"status\"");
  if (nodes < 0 || nodes > LONG_MAX)
    return snm__pf_refuse(why, whysz, "number_of_data_nodes is not a count");
  if (open < 0)
    return snm__pf_refuse(why, whysz, "the shard counts are not counts");
  snprintf(d->health, sizeof(d->health), "%s", st);
  d->data_nodes = (long)nodes;
  d->open_shards = open;
  return 0;
}

int snm__pf_parse_repo(struct snm_preflight *pf, struct snm_pf_domain *d,
                       yajl_val j, char *why, size_t whysz)
{
  const char *name = pf->plan->repository.name;
  yajl_val r = snm_jget(j, name, (char *)NULL);

  if (!YAJL_IS_OBJECT(r) || !YAJL_IS_STRING(snm_jget(r, "type", (char *)0)))
    return snm__pf_refuse(why, whysz,
                          "the reply does not describe repository %s", name);
  d->repo_have_json = to_json(pf, r);
  return 0;
}

int snm__pf_parse_running(struct snm_preflight *pf, struct snm_pf_domain *d,
                          yajl_val j, char *why, size_t whysz)
{
  yajl_val a = snm_jget(j, "snapshots", (char *)NULL);

  if (!YAJL_IS_ARRAY(a))
    return snm__pf_refuse(why, whysz, "the reply has no \"snapshots\" array");
  d->running_known = 1;
  if (a->u.array.len == 0)
    return 0;
  d->running = calloc(a->u.array.len, sizeof(*d->running));
  if (d->running == NULL) {
    pf->nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < a->u.array.len; i++) {
    yajl_val s = a->u.array.values[i];
    struct snm_pf_running *r = &d->running[d->n_running++];
    r->repository = xstrdup(pf, snm_jstr(s, "repository", (char *)NULL));
    r->snapshot = xstrdup(pf, snm_jstr(s, "snapshot", (char *)NULL));
    r->state = xstrdup(pf, snm_jstr(s, "state", (char *)NULL));
  }
  return 0;
}

int snm__pf_parse_settings(struct snm_preflight *pf, yajl_val j, char *why,
                           size_t whysz)
{
  if (!YAJL_IS_OBJECT(j))
    return snm__pf_refuse(why, whysz, "the reply is %s, not an object",
                          json_type(j));
  /* patterns of different chunks may match the same index: taken once */
  for (size_t i = 0; i < j->u.object.len; i++) {
    yajl_val s = snm_jget(j->u.object.values[i], "settings", (char *)NULL);
    struct snm_pf_index *ix;
    const char *hidden;

    if (snm__pf_find_index(pf, j->u.object.keys[i]) != NULL)
      continue;
    ix = snm_preflight_add_index(pf, j->u.object.keys[i]);
    if (ix == NULL) {
      pf->nomem = 1;
      return 0;
    }
    ix->version_id =
        (long)snm_jint(0, s, "index.version.created", (char *)NULL);
    if (ix->version_id != 0 &&
        snm_version_from_id(&ix->created, ix->version_id) != 0)
      memset(&ix->created, 0, sizeof(ix->created));
    ix->shards = (long)snm_jint(-1, s, "index.number_of_shards", (char *)0);
    ix->replicas = (long)snm_jint(-1, s, "index.number_of_replicas", (char *)0);
    hidden = snm_jstr(s, "index.hidden", (char *)NULL);
    ix->hidden = hidden != NULL && strcmp(hidden, "true") == 0;
  }
  return 0;
}

/* ---- _cat tables --------------------------------------------------------
 *
 * The big listings (indices, aliases, snapshot names) are asked for as
 * _cat text tables with a header line (`v`), not as JSON: the es layer
 * builds a yajl tree of a JSON reply, about eight times its size, while a
 * text reply is read here line by line, keeping only the fields asked
 * for.  Names (of indices, aliases, snapshots) cannot hold a space, so
 * cells split on runs of spaces; an empty cell (a closed index's size)
 * leaves no token, and the columns that may be empty are told apart by
 * their content.  A reply is checked whole before anything is recorded:
 * the header must name the columns asked for and every line must end
 * with a newline and parse, so a truncated or foreign reply (a proxy's
 * page, a JSON body, a name with a newline in it) is refused, never read
 * short.
 */

#define CAT_MAX_CELLS 8

struct cat_cell {
  const char *p;
  size_t n;
};

/* Split [p, end) on runs of spaces; returns the number of cells, or
 * CAT_MAX_CELLS + 1 when there are more. */
static size_t cat_split(const char *p, const char *end, struct cat_cell *cells)
{
  size_t n = 0;

  while (p < end) {
    const char *q;
    while (p < end && *p == ' ')
      p++;
    if (p == end)
      break;
    for (q = p; q < end && *q != ' ';)
      q++;
    if (n == CAT_MAX_CELLS)
      return CAT_MAX_CELLS + 1;
    cells[n].p = p;
    cells[n++].n = (size_t)(q - p);
    p = q;
  }
  return n;
}

static int cell_is(const struct cat_cell *c, const char *word)
{
  return c->n == strlen(word) && memcmp(c->p, word, c->n) == 0;
}

static int cell_digits(const struct cat_cell *c)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->p[i] < '0' || c->p[i] > '9')
      return 0;
  return c->n > 0;
}

static char *cell_dup(struct snm_preflight *pf, const struct cat_cell *c)
{
  char *d = snm_memdup0(c->p, c->n);
  if (d == NULL)
    pf->nomem = 1;
  return d;
}

/* One table row: checked (record 0) or recorded (record 1, only once
 * every row passed the check).  Returns 0, or -1 with `why` set. */
typedef int (*cat_row_fn)(void *payload, const struct cat_cell *cells, size_t n,
                          int record, char *why, size_t whysz);

/* Check the header line against `h` (the request's h= columns, comma
 * separated), then run `row` over every further line.  *n_rows: the rows.
 * Returns 0, or -1 with `why`. */
static int cat_table(const char *body, size_t len, const char *h,
                     cat_row_fn row, void *payload, int record, size_t *n_rows,
                     char *why, size_t whysz)
{
  const char *end = body + len, *p;
  struct cat_cell cells[CAT_MAX_CELLS];
  size_t n, line = 1;

  *n_rows = 0;
  if (len == 0)
    return snm__pf_refuse(why, whysz, "the reply is empty");
  if (body[len - 1] != '\n')
    return snm__pf_refuse(why, whysz, "the reply ends in the middle of a line");
  p = memchr(body, '\n', len);
  n = cat_split(body, p, cells);
  for (size_t i = 0; *h != '\0'; i++) {
    size_t k = strcspn(h, ",");
    if (i == n || cells[i].n != k || memcmp(cells[i].p, h, k) != 0)
      return snm__pf_refuse(
          why, whysz,
          "the reply is not the table asked for (no header line "
          "naming its columns)");
    h += k + (h[k] == ',');
    if (*h == '\0' && i + 1 != n)
      return snm__pf_refuse(why, whysz, "the reply's header has other columns");
  }
  for (p++; p < end; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    char what[160];

    n = cat_split(p, nl, cells);
    if (n == 0)
      return snm__pf_refuse(why, whysz, "line %zu of the reply is blank",
                            line + 1);
    if (n > CAT_MAX_CELLS ||
        row(payload, cells, n, record, what, sizeof(what)) != 0)
      return snm__pf_refuse(why, whysz, "line %zu of the reply: %s", line + 1,
                            n > CAT_MAX_CELLS ? "too many cells" : what);
    p = nl + 1;
  }
  *n_rows = line - 1;
  return 0;
}

struct cat_ctx {
  struct snm_preflight *pf;
  struct snm_pf_domain *d;
  int source;        /* _cat/indices: the source's columns */
  int resolved_only; /* _cat/aliases: only those of pf->indices */
  size_t kept;       /* rows the check would keep */
};

/* Check a table, then grow the array (n elements of `size`) by the rows
 * the check kept and record them.  Returns 0 (also out of memory:
 * pf->nomem), or -1 with `why` and nothing changed. */
static int cat_read(struct cat_ctx *cx, const char *body, size_t len,
                    const char *h, cat_row_fn row, void **array, size_t n,
                    size_t size, char *why, size_t whysz)
{
  size_t rows;
  void *grown;
  int rc;

  cx->kept = 0;
  if (cat_table(body, len, h, row, cx, 0, &rows, why, whysz) != 0)
    return -1;
  grown = realloc(*array, (n + cx->kept + 1) * size);
  if (grown == NULL) {
    cx->pf->nomem = 1;
    return 0;
  }
  *array = grown;
  memset((char *)grown + n * size, 0, (cx->kept + 1) * size);
  rc = cat_table(body, len, h, row, cx, 1, &rows, why, whysz);
  assert(rc == 0); /* checked above */
  (void)rc;
  return 0;
}

/* status uuid pri index (a target), or status [health] [pri.store.size]
 * index (the source) */
static int cat_index_row(void *payload, const struct cat_cell *c, size_t n,
                         int record, char *why, size_t whysz)
{
  struct cat_ctx *cx = payload;
  const struct cat_cell *health = NULL, *size = NULL;
  struct snm_pf_existing *e;

  if (cx->source ? n < 2 || n > 4 : n != 4)
    return snm__pf_refuse(why, whysz, "%zu cells", n);
  if (!cell_is(&c[0], "open") && !cell_is(&c[0], "close"))
    return snm__pf_refuse(why, whysz, "the status is not open or close");
  if (!cx->source) {
    if (!cell_digits(&c[2]) || c[2].n > 6 || c[1].n >= 64)
      return snm__pf_refuse(why, whysz, "no uuid and shard count");
    if (!record) {
      cx->kept++;
      return 0;
    }
    e = &cx->d->existing[cx->d->n_existing++];
    e->name = cell_dup(cx->pf, &c[3]);
    e->uuid = cell_dup(cx->pf, &c[1]);
    e->closed = cell_is(&c[0], "close");
    e->shards = strtol(c[2].p, NULL, 10);
    e->pri_bytes = -1;
    return 0;
  }
  for (size_t i = 1; i + 1 < n; i++) {
    if (cell_digits(&c[i]) && size == NULL && c[i].n <= 18)
      size = &c[i];
    else if (!cell_digits(&c[i]) && health == NULL && size == NULL &&
             c[i].n < sizeof(e->health))
      health = &c[i];
    else
      return snm__pf_refuse(why, whysz,
                            "cell %zu is neither a health nor a size", i + 1);
  }
  if (cx->resolved_only && !snm__pf_resolved(cx->pf, c[n - 1].p, c[n - 1].n))
    return 0;
  if (!record) {
    cx->kept++;
    return 0;
  }
  e = &cx->d->existing[cx->d->n_existing++];
  e->name = cell_dup(cx->pf, &c[n - 1]);
  e->closed = cell_is(&c[0], "close");
  if (health != NULL)
    memcpy(e->health, health->p, health->n); /* the rest is zero */
  e->pri_bytes = size != NULL ? strtoll(size->p, NULL, 10) : -1;
  return 0;
}

int snm__pf_parse_cat_indices(struct snm_preflight *pf, struct snm_pf_domain *d,
                              const char *body, size_t len, int source,
                              int resolved_only, char *why, size_t whysz)
{
  struct cat_ctx cx = {pf, d, source, resolved_only, 0};

  if (cat_read(&cx, body, len,
               source ? SNM__PF_CAT_INDICES_SOURCE : SNM__PF_CAT_INDICES,
               cat_index_row, (void **)&d->existing, d->n_existing,
               sizeof(*d->existing), why, whysz) != 0)
    return -1;
  d->existing_known = !pf->nomem;
  return 0;
}

int snm__pf_resolved(const struct snm_preflight *pf, const char *p, size_t n)
{
  size_t lo = 0, hi = pf->n_indices;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *name = pf->indices[mid].name;
    int cmp = strncmp(name, p, n);
    if (cmp == 0)
      cmp = name[n] != '\0'; /* longer: after */
    if (cmp == 0)
      return 1;
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

/* alias index */
static int cat_alias_row(void *payload, const struct cat_cell *c, size_t n,
                         int record, char *why, size_t whysz)
{
  struct cat_ctx *cx = payload;
  struct snm_pf_alias *a;

  if (n != 2)
    return snm__pf_refuse(why, whysz, "%zu cells", n);
  if (cx->resolved_only && !snm__pf_resolved(cx->pf, c[1].p, c[1].n))
    return 0;
  if (!record) {
    cx->kept++;
    return 0;
  }
  a = &cx->d->aliases[cx->d->n_aliases++];
  a->alias = cell_dup(cx->pf, &c[0]);
  a->index = cell_dup(cx->pf, &c[1]);
  return 0;
}

int snm__pf_parse_cat_aliases(struct snm_preflight *pf, struct snm_pf_domain *d,
                              const char *body, size_t len, int resolved_only,
                              char *why, size_t whysz)
{
  struct cat_ctx cx = {pf, d, 0, resolved_only, 0};

  if (cat_read(&cx, body, len, SNM__PF_CAT_ALIASES, cat_alias_row,
               (void **)&d->aliases, d->n_aliases, sizeof(*d->aliases), why,
               whysz) != 0)
    return -1;
  d->aliases_known = !pf->nomem;
  return 0;
}

/* id: every row counted, only the name the run would take kept */
static int cat_snapshot_row(void *payload, const struct cat_cell *c, size_t n,
                            int record, char *why, size_t whysz)
{
  struct cat_ctx *cx = payload;
  const char *want = cx->pf->snapshot_name;
  int keep = 1;

  if (n != 1)
    return snm__pf_refuse(why, whysz, "%zu cells", n);
  if (c[0].n != strlen(want) || memcmp(c[0].p, want, c[0].n) != 0)
    keep = 0;
  if (!record) {
    cx->kept += keep;
    return 0;
  }
  cx->d->snapshots_in_repo++;
  if (keep)
    cx->d->snapshots[cx->d->n_snapshots++] = cell_dup(cx->pf, &c[0]);
  return 0;
}

int snm__pf_parse_cat_snapshots(struct snm_preflight *pf,
                                struct snm_pf_domain *d, const char *body,
                                size_t len, char *why, size_t whysz)
{
  struct cat_ctx cx = {pf, d, 0, 0, 0};

  if (cat_read(&cx, body, len, SNM__PF_CAT_SNAPSHOTS, cat_snapshot_row,
               (void **)&d->snapshots, d->n_snapshots, sizeof(*d->snapshots),
               why, whysz) != 0)
    return -1;
  d->snapshots_listed = !pf->nomem;
  return 0;
}

int snm__pf_parse_allocation(struct snm_preflight *pf, struct snm_pf_domain *d,
                             yajl_val j, char *why, size_t whysz)
{
  size_t n;

  if (!YAJL_IS_ARRAY(j))
    return snm__pf_refuse(why, whysz, "the reply is %s, not an array",
                          json_type(j));
  n = j->u.array.len;
  d->node_avail = calloc(n + 1, sizeof(long long));
  d->node_total = calloc(n + 1, sizeof(long long));
  if (d->node_avail == NULL || d->node_total == NULL) {
    pf->nomem = 1;
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    yajl_val row = j->u.array.values[i];
    yajl_val av = snm_jget(row, "disk.avail", (char *)NULL);
    yajl_val tv = snm_jget(row, "disk.total", (char *)NULL);
    long long avail = snm_jint(-1, av, (char *)NULL);
    long long total = snm_jint(-1, tv, (char *)NULL);

    if ((av == NULL || YAJL_IS_NULL(av)) && (tv == NULL || YAJL_IS_NULL(tv)))
      continue; /* the UNASSIGNED row */
    if (avail < 0 || total <= 0)
      return snm__pf_refuse(why, whysz,
                            "row %zu's disk.avail or disk.total is not "
                            "a size",
                            i + 1);
    d->node_avail[d->n_nodes] = avail;
    d->node_total[d->n_nodes++] = total;
  }
  if (d->n_nodes == 0)
    return snm__pf_refuse(why, whysz,
                          "the reply lists no node with its disk space");
  return 0;
}

/* A flat cluster setting: transient over persistent over defaults. */
static const char *cluster_setting(yajl_val j, const char *key)
{
  static const char *const scopes[] = {"transient", "persistent", "defaults"};

  for (size_t i = 0; i < 3; i++) {
    const char *v = snm_jstr(j, scopes[i], key, (char *)NULL);
    if (v != NULL)
      return v;
  }
  return NULL;
}

int snm__pf_parse_cluster_settings(struct snm_pf_domain *d, yajl_val j,
                                   char *why, size_t whysz)
{
  const char *max = cluster_setting(j, "cluster.max_shards_per_node");
  const char *on =
      cluster_setting(j, "cluster.routing.allocation.disk.threshold_enabled");
  const char *high =
      cluster_setting(j, "cluster.routing.allocation.disk.watermark.high");
  long long max_n = 1000; /* the default where the setting is unknown */

  if (!YAJL_IS_OBJECT(snm_jget(j, "defaults", (char *)NULL)))
    return snm__pf_refuse(why, whysz, "the reply has no \"defaults\" object");
  if (max != NULL) {
    char *end;
    errno = 0;
    max_n = strtoll(max, &end, 10);
    if (end == max || *end != '\0' || errno == ERANGE || max_n <= 0 ||
        max_n > LONG_MAX)
      return snm__pf_refuse(
          why, whysz, "cluster.max_shards_per_node is \"%.40s\", not a count",
          max);
  }
  if (on != NULL && strcmp(on, "true") != 0 && strcmp(on, "false") != 0)
    return snm__pf_refuse(
        why, whysz,
        "cluster.routing.allocation.disk.threshold_enabled is "
        "\"%.40s\", not true or false",
        on);
  if (high == NULL)
    high = "90%";
  if (strlen(high) >= sizeof(d->watermark_high) ||
      snm__preflight_usable(high, 0, 0) < 0)
    return snm__pf_refuse(why, whysz,
                          "cluster.routing.allocation.disk.watermark.high is "
                          "\"%.40s\", not a percentage, a ratio or a byte size",
                          high);
  d->max_shards_per_node = (long)max_n;
  d->threshold_enabled = on == NULL || strcmp(on, "false") != 0;
  snprintf(d->watermark_high, sizeof(d->watermark_high), "%s", high);
  return 0;
}

int snm__pf_parse_count(long long *docs, yajl_val j, char *why, size_t whysz)
{
  long long n = snm_jint(-1, j, "count", (char *)NULL);

  if (n < 0)
    return snm__pf_refuse(why, whysz, "the reply has no \"count\"");
  *docs = n;
  return 0;
}

/* ---- numbers ----------------------------------------------------------- */

long snm__preflight_open_shards(yajl_val health)
{
  static const char *const keys[] = {"active_shards", "initializing_shards",
                                     "unassigned_shards"};
  long sum = 0;

  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    yajl_val v = snm_jget(health, keys[i], (char *)NULL);
    long long n = v != NULL ? snm_jint(-1, v, (char *)NULL) : 0;
    if (n < 0 || n > LONG_MAX - sum)
      return -1;
    sum += (long)n;
  }
  return sum;
}

/* A byte count computed in double, rounded; `over` when it does not fit
 * a long long (every double from 2^63 up, and NaN). */
static long long bytes_of(double x, long long over)
{
  if (!(x >= 0.0 && x < 9223372036854775808.0))
    return over;
  x = x + 0.5 < 9223372036854775808.0 ? x + 0.5 : x;
  return (long long)x;
}

long long snm__preflight_usable(const char *high, long long avail,
                                long long total)
{
  static const char *const units[][2] = {{"b", "b"},  {"kb", "k"}, {"mb", "m"},
                                         {"gb", "g"}, {"tb", "t"}, {"pb", "p"}};
  const size_t n_units = sizeof(units) / sizeof(units[0]);
  long long keep_free;
  double x, mult = 1;
  char *end;
  size_t u;

  if (avail < 0 || total < 0)
    return -1;
  x = strtod(high, &end);
  if (end == high || !isfinite(x) || x < 0)
    return -1;
  if (strcmp(end, "%") == 0) {
    if (x > 100)
      return -1;
    /* a share of at most `total`: only rounding can pass 2^63 */
    keep_free = bytes_of((double)total * (100.0 - x) / 100.0, LLONG_MAX);
  } else if (*end == '\0') {
    if (x > 1)
      return -1;
    keep_free =
        bytes_of((double)total * (100.0 - x * 100.0) / 100.0, LLONG_MAX);
  } else {
    for (u = 0; u < n_units; u++, mult *= 1024)
      if (strcasecmp(end, units[u][0]) == 0 ||
          strcasecmp(end, units[u][1]) == 0)
        break;
    if (u == n_units)
      return -1;
    keep_free = bytes_of(x * mult, -1);
  }
  if (keep_free < 0)
    return -1;
  return avail > keep_free ? avail - keep_free : 0;
}

void snm__preflight_sum_disk(struct snm_pf_domain *d)
{
  const char *high = d->watermark_high[0] ? d->watermark_high : "90%";

  if (d->node_avail == NULL || d->n_nodes == 0)
    return;
  d->disk_avail = d->disk_usable = 0;
  for (size_t k = 0; k < d->n_nodes; k++) {
    long long u =
        d->threshold_enabled == 0
            ? d->node_avail[k]
            : snm__preflight_usable(high, d->node_avail[k], d->node_total[k]);
    d->disk_avail = snm__sat_add(d->disk_avail, d->node_avail[k]);
    if (u < 0 || d->disk_usable < 0)
      d->disk_usable = -1; /* one node unknown: the sum is too */
    else
      d->disk_usable = snm__sat_add(d->disk_usable, u);
  }
}
