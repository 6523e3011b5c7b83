/* SPDX-License-Identifier: Apache-2.0 */
/* preflight_restore.c - the verdicts about the restores: which indices each
 * takes and under which names, collisions, what is in the way on the
 * target, versions, disk and shards.  Pure: no I/O, deterministic for
 * given facts (called by snm_preflight_verdict). */
#include "buf.h"
#include "indexpat.h"
#include "preflight.h"
#include "preflight_int.h"
#include "rename.h"

#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISSUE SNM__ISSUE

static char *xstrdup(struct snm__vctx *c, const char *s)
{
  char *d = strdup(s);
  if (d == NULL)
    c->nomem = 1;
  return d;
}

/* Replace an item's verdict. */
/* *verdict = the formatted text (c->nomem when it cannot be had). */
static void set_text(struct snm__vctx *c, char **verdict, const char *fmt,
                     va_list ap) __attribute__((format(printf, 3, 0)));
static void set_text(struct snm__vctx *c, char **verdict, const char *fmt,
                     va_list ap)
{
  struct snm_buf b;

  snm_buf_init(&b, 0);
  if (snm_buf_vprintf(&b, fmt, ap) != 0)
    c->nomem = 1;
  free(*verdict);
  *verdict = snm_buf_steal(&b);
  if (*verdict == NULL)
    c->nomem = 1;
  snm_buf_dispose(&b);
}

static void set_verdict(struct snm__vctx *c, struct snm_pf_item *it,
                        enum snm_pf_action action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_verdict(struct snm__vctx *c, struct snm_pf_item *it,
                        enum snm_pf_action action, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  set_text(c, &it->verdict, fmt, ap);
  va_end(ap);
  it->action = action;
}

void snm__pf_set_stream_verdict(struct snm__vctx *c,
                                struct snm_pf_stream_item *st,
                                enum snm_pf_action action, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  set_text(c, &st->verdict, fmt, ap);
  va_end(ap);
  st->action = action;
}

#define set_stream_verdict snm__pf_set_stream_verdict

/* ---- restores --------------------------------------------------------- */

static const struct snm_pf_existing *
existing_index(const struct snm_pf_domain *d, const char *name)
{
  for (size_t i = 0; i < d->n_existing; i++)
    if (strcmp(d->existing[i].name, name) == 0)
      return &d->existing[i];
  return NULL;
}

/* 1: `name` is a data stream on the target. */
static int target_stream(const struct snm_pf_domain *d, const char *name)
{
  for (size_t i = 0; i < d->n_streams; i++)
    if (strcmp(d->streams[i], name) == 0)
      return 1;
  return 0;
}

static const char *existing_alias(const struct snm_pf_domain *d,
                                  const char *name)
{
  for (size_t i = 0; i < d->n_aliases; i++)
    if (strcmp(d->aliases[i].alias, name) == 0)
      return d->aliases[i].index;
  return NULL;
}

/* The data stream of snapshot entry k of `ds_of` (SIZE_MAX: an index). */
static size_t stream_index(const struct snm_preflight *pf, const char *name)
{
  for (size_t s = 0; s < pf->n_data_streams; s++)
    if (strcmp(pf->data_streams[s].name, name) == 0)
      return s;
  return SIZE_MAX;
}

/* The name `name` gets on the target: a backing index of a stream the
 * restore takes by the servers' backing rule, anything else plainly.
 * 0, or -1 with a blocker (the item's name is then the source's). */
static int rename_one(struct snm__vctx *c, size_t r, const char *name,
                      int backing, char **out)
{
  const struct snm_restore *rs = &c->plan->restores[r];
  const char *id = c->plan->domains[rs->domain].id;
  struct snm_err err;
  int rc;

  if (rs->rename == NULL) {
    *out = xstrdup(c, name);
    return 0;
  }
  rc = backing ? snm_rename_apply_backing(out, rs->rename, name, &err)
               : snm_rename_apply(out, rs->rename, name, &err);
  if (rc == 0)
    return 0;
  *out = xstrdup(c, name);
  ISSUE(c, SNM_PF_BLOCKER, "rename", id, name, "simplify the pattern",
        "restores[%zu]: cannot rename %s: %s", r, name, err.msg);
  return -1;
}

/* The items of restore r: which snapshotted indices it takes, renamed.
 * names[0..n) are the snapshot's indices (map: into pf->indices), then
 * the snapshot's data streams, so that restores[].indices may name a
 * stream.  A stream the restore's expressions select is taken whole (the
 * restore names it, and the server restores every backing index); the
 * backing indices of a stream it does not select are left out, and a
 * restore item naming one exactly is a blocker (the server would restore
 * it as a plain index, outside any stream). */
static void build_items(struct snm__vctx *c, size_t r, const char **names,
                        const size_t *map, size_t n)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_restore *rs = &c->plan->restores[r];
  struct snm_pf_restore *out = &pf->restores[r];
  const char *id = c->plan->domains[rs->domain].id;
  const char **all = NULL, **streams = NULL;
  size_t n_streams = 0, n_all;
  unsigned char *sel = NULL, *hits = malloc(rs->n_indices + 1);

  if (snm_preflight_snapshot_streams(pf, &streams, &n_streams) != 0 ||
      hits == NULL ||
      (all = malloc((n + n_streams + 1) * sizeof(*all))) == NULL ||
      (sel = malloc(n + n_streams + 1)) == NULL) {
    c->nomem = 1;
    goto done;
  }
  n_all = n + n_streams;
  memcpy(all, names, n * sizeof(*all));
  memcpy(all + n, streams, n_streams * sizeof(*all));
  snm_indexpat_select(sel, all, n_all, (const char *const *)rs->indices,
                      rs->n_indices, hits);
  for (size_t j = 0; j < rs->n_indices; j++) {
    if (hits[j] == SNM_INDEXPAT_NOT_FOUND)
      ISSUE(c, SNM_PF_BLOCKER, "restore-index-missing", id, rs->indices[j],
            "fix restores[].indices, or add the index to snapshot.indices",
            "restores[%zu].indices names %s, which the snapshot will not "
            "hold; the restore would fail",
            r, rs->indices[j]);
    else if (hits[j] == SNM_INDEXPAT_NO_MATCH)
      ISSUE(c, SNM_PF_WARNING, "pattern-no-match", id, NULL,
            "check the pattern, or remove it",
            "restores[%zu].indices pattern \"%s\" matches nothing in the "
            "snapshot",
            r, rs->indices[j]);
  }
  /* a backing index goes with its stream, and only with it */
  for (size_t i = 0; i < n; i++) {
    const char *ds = pf->indices[map[i]].data_stream;
    size_t k;
    int taken = 0;

    if (ds == NULL)
      continue;
    for (k = 0; k < n_streams; k++)
      if (strcmp(streams[k], ds) == 0) {
        taken = sel[n + k];
        break;
      }
    if (!taken && sel[i]) {
      for (size_t j = 0; j < rs->n_indices; j++) {
        const char *item = rs->indices[j];
        if (item[0] == '+')
          item++;
        if (strcmp(item, names[i]) == 0) {
          ISSUE(c, SNM_PF_BLOCKER, "data-stream-backing", id, names[i],
                "name the data stream in restores[].indices (it restores "
                "with all its backing indices), or leave the index out",
                "restores[%zu].indices names %s, a backing index of data "
                "stream %s: restored without its stream it would be a "
                "plain index no stream writes to",
                r, names[i], ds);
          break;
        }
      }
    }
    sel[i] = (unsigned char)taken;
  }
  out->items = calloc(n + 1, sizeof(*out->items));
  out->streams = calloc(n_streams + 1, sizeof(*out->streams));
  if (out->items == NULL || out->streams == NULL) {
    c->nomem = 1;
    goto done;
  }
  for (size_t k = 0; k < n_streams; k++) {
    struct snm_pf_stream_item *st;

    if (!sel[n + k])
      continue;
    st = &out->streams[out->n_streams++];
    st->stream = stream_index(pf, streams[k]);
    if (rename_one(c, r, streams[k], 0, &st->target_name) != 0) {
      set_stream_verdict(c, st, SNM_PF_BLOCKED, "rename failed");
      continue;
    }
    set_stream_verdict(c, st, SNM_PF_RESTORE, "ok");
  }
  for (size_t i = 0; i < n; i++) {
    struct snm_pf_item *it;

    if (!sel[i])
      continue;
    it = &out->items[out->n_items++];
    it->index = map[i];
    if (rename_one(c, r, names[i], pf->indices[map[i]].data_stream != NULL,
                   &it->target_name) != 0) {
      set_verdict(c, it, SNM_PF_BLOCKED, "rename failed");
      continue;
    }
    set_verdict(c, it, SNM_PF_RESTORE, "ok");
    if (c->pf->own_fn != NULL &&
        c->pf->own_fn(c->pf->own_data, r, it->target_name)) {
      it->own = 1;
      set_verdict(c, it, SNM_PF_RESTORE, "this run's own (resuming)");
    }
    it->docs_last = it->bytes_last = -1;
    if (!it->own && c->pf->rounds != NULL)
      snm__pf_prior(c, r, it);
  }
  if (out->n_items == 0)
    ISSUE(c, SNM_PF_WARNING, "restore-empty", id, NULL,
          "check restores[].indices", "restores[%zu] onto %s restores nothing",
          r, id);
done:
  free(sel);
  free(hits);
  free(all);
  free(streams);
}

/* Two sources landing on one name on the same cluster (all restores onto
 * it, under any of its domain ids). */
static void check_collisions(struct snm__vctx *c, size_t dom)
{
  struct snm_preflight *pf = c->pf;

  for (size_t r = 0; r < pf->n_restores; r++) {
    const char *id = c->plan->domains[pf->restores[r].domain].id;
    if (snm__pf_cluster_of(pf, pf->restores[r].domain) != dom)
      continue;
    for (size_t i = 0; i < pf->restores[r].n_items; i++) {
      struct snm_pf_item *a = &pf->restores[r].items[i];
      for (size_t r2 = r; r2 < pf->n_restores; r2++) {
        if (snm__pf_cluster_of(pf, pf->restores[r2].domain) != dom)
          continue;
        for (size_t k = r2 == r ? i + 1 : 0; k < pf->restores[r2].n_items;
             k++) {
          struct snm_pf_item *b = &pf->restores[r2].items[k];
          const char *an = pf->indices[a->index].name;
          const char *bn = pf->indices[b->index].name;
          if (strcmp(a->target_name, b->target_name) != 0)
            continue;
          ISSUE(c, SNM_PF_BLOCKER, "rename-collision", id, a->target_name,
                "change the rename so every index gets its own name, or "
                "restore one of them only",
                "%s (restores[%zu]) and %s (restores[%zu]) would both be "
                "restored as %s on %s",
                an, r, bn, r2, a->target_name, id);
          set_verdict(c, a, SNM_PF_BLOCKED, "collides with %s", bn);
          set_verdict(c, b, SNM_PF_BLOCKED, "collides with %s", an);
        }
      }
    }
  }
}

static int predicted_name(const struct snm_preflight *pf, size_t dom,
                          const char *name)
{
  for (size_t r = 0; r < pf->n_restores; r++)
    for (size_t i = 0; snm__pf_cluster_of(pf, pf->restores[r].domain) == dom &&
                       i < pf->restores[r].n_items;
         i++)
      if (pf->restores[r].items[i].action != SNM_PF_SKIP &&
          strcmp(pf->restores[r].items[i].target_name, name) == 0)
        return 1;
  return 0;
}

/* on_conflict "replace": index `ex` on the target has the name item `it`
 * of restore `r` gets.  It is closed and restored over when it is a plain
 * index with the source index's number of primary shards (a restore over
 * an existing index needs the same), its UUID known (the run refuses
 * another one).  0: the verdict is "replace"; -1: a blocker says why not. */
static int check_replace(struct snm__vctx *c, size_t r, struct snm_pf_item *it,
                         const struct snm_pf_existing *ex)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_pf_index *ix = &pf->indices[it->index];
  const char *id = c->plan->domains[c->plan->restores[r].domain].id;

  if (ix->data_stream != NULL || strncmp(ex->name, ".ds-", 4) == 0) {
    set_verdict(c, it, SNM_PF_BLOCKED, "exists: data stream, not replaced");
    ISSUE(c, SNM_PF_BLOCKER, "replace-data-stream", id, it->target_name,
          "delete it or rename the restore",
          "%s exists on %s and %s: on_conflict \"replace\" replaces plain "
          "indices only",
          it->target_name, id,
          ix->data_stream != NULL
              ? "the source index backs a data stream (restored whole, as a "
                "stream)"
              : "its name is a data stream backing index's (.ds-)");
    return -1;
  }
  if (ex->uuid == NULL || ex->shards <= 0 || ix->shards <= 0) {
    set_verdict(c, it, SNM_PF_BLOCKED, "exists: cannot tell if replaceable");
    ISSUE(c, SNM_PF_BLOCKER, "replace-unknown", id, it->target_name,
          "check that GET _cat/indices answers on both clusters, then check "
          "again",
          "%s exists on %s and %s is unknown: snapmig replaces an index only "
          "when it knows its UUID and that the shard counts match",
          it->target_name, id,
          ex->uuid == NULL ? "its UUID"
          : ex->shards <= 0
              ? "its number of primary shards"
              : "the number of primary shards of the source index");
    return -1;
  }
  if (ex->shards != ix->shards) {
    set_verdict(c, it, SNM_PF_BLOCKED, "exists: %ld shards, source %ld",
                ex->shards, ix->shards);
    ISSUE(c, SNM_PF_BLOCKER, "replace-shards", id, it->target_name,
          "delete it or rename the restore (a restore over an existing index "
          "needs the same number of primary shards)",
          "%s exists on %s with %ld primary shard%s and the source index %s "
          "has %ld: it cannot be replaced",
          it->target_name, id, ex->shards, ex->shards == 1 ? "" : "s", ix->name,
          ix->shards);
    return -1;
  }
  free(it->uuid);
  it->uuid = xstrdup(c, ex->uuid);
  it->replace = 1;
  set_verdict(c, it, SNM_PF_RESTORE, "replace");
  return 0;
}

/* Existing indices and aliases on the target. */
static void check_conflicts(struct snm__vctx *c, size_t r)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_restore *rs = &c->plan->restores[r];
  const struct snm_pf_domain *t = &pf->domains[rs->domain];
  const struct snm_pf_domain *src = &pf->domains[c->plan->snapshot.domain];
  const char *id = t->dom->id;
  int skip = rs->on_conflict == SNM_CONFLICT_SKIP;

  for (size_t i = 0; i < pf->restores[r].n_items; i++) {
    struct snm_pf_item *it = &pf->restores[r].items[i];
    const struct snm_pf_existing *ex;
    const char *owner;

    if (it->action == SNM_PF_BLOCKED || it->own)
      continue;
    if (t->reached && (!t->existing_known || !t->aliases_known)) {
      /* a blocker of check_facts says why */
      set_verdict(c, it, SNM_PF_BLOCKED, "not checked: the target's %s",
                  !t->existing_known ? "indices are unknown"
                                     : "aliases are unknown");
      continue;
    }
    if (t->existing_known &&
        (ex = existing_index(t, it->target_name)) != NULL) {
      const char *state = ex->closed ? "closed" : "open";
      if (it->round > 0) { /* an earlier round's: the next sync's */
        snm__pf_check_prior(c, r, it, ex);
        if (it->action == SNM_PF_RESTORE)
          goto aliases;
        continue;
      }
      if (skip) {
        set_verdict(c, it, SNM_PF_SKIP, "exists (%s): skipped", state);
        continue;
      }
      if (rs->on_conflict == SNM_CONFLICT_REPLACE) {
        if (check_replace(c, r, it, ex) == 0)
          goto aliases; /* the name is an index's: no alias has it */
        continue;
      }
      set_verdict(c, it, SNM_PF_BLOCKED, "exists (%s)", state);
      ISSUE(c, SNM_PF_BLOCKER, "index-exists", id, it->target_name,
            ex->closed ? "delete it, rename the restore, or set on_conflict "
                         "to \"skip\" (snapmig never overwrites an index)"
                       : "delete it, rename the restore, or set on_conflict "
                         "to \"skip\"",
            "%s index %s already exists on %s (restore of %s)%s", state,
            it->target_name, id, pf->indices[it->index].name,
            ex->closed ? ": the restore would overwrite it" : "");
      continue;
    }
    if (t->streams_known && target_stream(t, it->target_name)) {
      /* (an index of a data stream's backing index name is an index) */
      set_verdict(c, it, SNM_PF_BLOCKED, "name taken by a data stream");
      ISSUE(c, SNM_PF_BLOCKER, "data-stream-exists", id, it->target_name,
            "rename the restore, or delete the data stream on the target",
            "%s is a data stream on %s; index %s cannot be restored under "
            "its name%s",
            it->target_name, id, pf->indices[it->index].name,
            rs->on_conflict == SNM_CONFLICT_REPLACE
                ? " (on_conflict \"replace\" replaces plain indices only)"
                : "");
      continue;
    }
    if (t->aliases_known &&
        (owner = existing_alias(t, it->target_name)) != NULL) {
      set_verdict(c, it, SNM_PF_BLOCKED, "name taken by an alias");
      ISSUE(c, SNM_PF_BLOCKER, "alias-conflict", id, it->target_name,
            "rename the restore, or remove the alias",
            "%s is an alias (of %s) on %s; an index cannot take its name",
            it->target_name, owner, id);
      continue;
    }
  aliases:
    if (!rs->include_aliases || it->action != SNM_PF_RESTORE)
      continue;
    for (size_t k = 0; k < src->n_aliases; k++) {
      const char *alias = src->aliases[k].alias;
      if (strcmp(src->aliases[k].index, pf->indices[it->index].name) != 0)
        continue;
      if ((t->existing_known && existing_index(t, alias) != NULL) ||
          predicted_name(pf, snm__pf_cluster_of(pf, rs->domain), alias)) {
        set_verdict(c, it, SNM_PF_BLOCKED, "alias %s collides", alias);
        ISSUE(c, SNM_PF_BLOCKER, "alias-conflict", id, it->target_name,
              "set include_aliases to false, or rename the index",
              "alias %s of %s would collide with the index %s on %s", alias,
              pf->indices[it->index].name, alias, id);
      } else if (t->aliases_known && existing_alias(t, alias) != NULL) {
        ISSUE(c, SNM_PF_WARNING, "alias-exists", id, it->target_name,
              "set include_aliases to false if the alias must keep "
              "pointing only at its current indices",
              "alias %s exists on %s; restoring %s adds %s to it", alias, id,
              pf->indices[it->index].name, it->target_name);
      }
    }
  }
}

static void check_versions(struct snm__vctx *c, size_t r)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_restore *rs = &c->plan->restores[r];
  const struct snm_pf_domain *t = &pf->domains[rs->domain];
  const struct snm_pf_domain *s = &pf->domains[c->plan->snapshot.domain];
  char why[512];

  if (!t->reached || !s->reached)
    return;
  if (!snm_compat_restore(&s->info.version, NULL, &t->info.version, why,
                          sizeof(why))) {
    ISSUE(c, SNM_PF_BLOCKER, "version", t->dom->id, NULL,
          "migrate in the supported direction, or through an intermediate "
          "cluster",
          "restores[%zu] onto %s: %s", r, t->dom->id, why);
    for (size_t i = 0; i < pf->restores[r].n_items; i++)
      set_verdict(c, &pf->restores[r].items[i], SNM_PF_BLOCKED,
                  "version: cannot restore");
    return;
  }
  for (size_t i = 0; i < pf->restores[r].n_items; i++) {
    struct snm_pf_item *it = &pf->restores[r].items[i];
    const struct snm_pf_index *ix = &pf->indices[it->index];
    if (ix->created.engine == SNM_ENGINE_UNKNOWN)
      continue;
    if (!snm_compat_restore(&s->info.version, &ix->created, &t->info.version,
                            why, sizeof(why))) {
      set_verdict(c, it, SNM_PF_BLOCKED, "version: cannot restore");
      ISSUE(c, SNM_PF_BLOCKER, "version", t->dom->id, ix->name,
            "reindex it on a version the target reads, or leave it out",
            "%s cannot be restored on %s: %s", ix->name, t->dom->id, why);
    }
  }
}

long long snm__sat_add(long long a, long long b)
{
  long long r;

  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? LLONG_MAX : LLONG_MIN;
  return r;
}

long long snm__sat_mul(long long a, long long b)
{
  long long r;

  if (__builtin_mul_overflow(a, b, &r))
    return (a < 0) != (b < 0) ? LLONG_MIN : LLONG_MAX;
  return r;
}

/* Disk, shard headroom and replicas on one target (all its restores). */
static void check_capacity(struct snm__vctx *c, size_t dom)
{
  struct snm_preflight *pf = c->pf;
  const struct snm_pf_domain *t = &pf->domains[dom];
  const char *id = t->dom->id;
  long long bytes = 0, upper = 0;
  long shards = 0, unknown = 0;
  int replicas_single = 0, wait_green = 0;

  for (size_t r = 0; r < pf->n_restores; r++) {
    struct snm_pf_restore *rs = &pf->restores[r];
    if (rs->domain != dom)
      continue;
    rs->bytes_needed = 0;
    rs->new_shards = 0;
    rs->n_replace = 0;
    rs->bytes_replace_max = 0;
    for (size_t i = 0; i < rs->n_items; i++) {
      const struct snm_pf_index *ix = &pf->indices[rs->items[i].index];
      long rep = rs->replicas >= 0   ? rs->replicas
                 : ix->replicas >= 0 ? ix->replicas
                                     : 1;
      long copies = (long)snm__sat_add(1, rep), placed = copies;
      if (t->data_nodes > 0 && placed > t->data_nodes)
        placed = t->data_nodes; /* never two copies on one node */
      if (rs->items[i].action == SNM_PF_RESTORE && rs->items[i].replace) {
        /* no new shards; at most its full size downloaded again */
        rs->n_replace++;
        if (ix->pri_bytes >= 0)
          rs->bytes_replace_max = snm__sat_add(
              rs->bytes_replace_max, snm__sat_mul(ix->pri_bytes, placed));
        else
          unknown++;
        continue;
      }
      if (rs->items[i].action != SNM_PF_RESTORE || rs->items[i].own)
        continue;
      if (ix->pri_bytes >= 0)
        rs->bytes_needed =
            snm__sat_add(rs->bytes_needed, snm__sat_mul(ix->pri_bytes, placed));
      else
        unknown++;
      if (ix->shards > 0)
        rs->new_shards = (long)snm__sat_add(rs->new_shards,
                                            snm__sat_mul(ix->shards, copies));
      if (rep > 0 && t->data_nodes == 1) {
        replicas_single = 1;
        wait_green |= c->plan->restores[r].wait_for == SNM_WAIT_GREEN;
      }
    }
    bytes = snm__sat_add(bytes, rs->bytes_needed);
    upper = snm__sat_add(upper, rs->bytes_replace_max);
    shards = (long)snm__sat_add(shards, rs->new_shards);
  }
  if (!t->reached)
    return;
  if (t->disk_usable >= 0 && bytes > t->disk_usable)
    ISSUE(c, SNM_PF_BLOCKER, "disk", id, NULL,
          "free disk space or add nodes on the target, lower the replicas "
          "with index_settings, or restore fewer indices",
          "%s needs %lld bytes for the restored shards but has %lld usable "
          "(below the high disk watermark)",
          id, bytes, t->disk_usable);
  else if (t->disk_usable >= 0 && upper > 0 &&
           snm__sat_add(bytes, upper) > t->disk_usable)
    ISSUE(c, SNM_PF_WARNING, "disk-headroom", id, NULL,
          "free disk space on the target, or force-merge nothing on the "
          "source before the next round",
          "%s has %lld bytes usable (below the high disk watermark); the "
          "restore needs %lld for new indices and up to %lld more for the "
          "indices it replaces (only their changed files are downloaded, "
          "but a merge on the source may have rewritten all of them)",
          id, t->disk_usable, bytes, upper);
  if (unknown > 0)
    ISSUE(c, SNM_PF_WARNING, "size-unknown", id, NULL,
          "open the indices on the source to measure them",
          "the size of %ld restored %s is unknown (closed on the "
          "source); the disk check leaves %s out",
          unknown, unknown == 1 ? "index" : "indices",
          unknown == 1 ? "it" : "them");
  if (t->max_shards_per_node > 0 && t->data_nodes > 0 && t->open_shards >= 0) {
    long headroom = (long)snm__sat_add(
        snm__sat_mul(t->max_shards_per_node, t->data_nodes), -t->open_shards);
    if (shards > headroom)
      ISSUE(c, SNM_PF_BLOCKER, "shard-limit", id, NULL,
            "raise cluster.max_shards_per_node, add data nodes, lower the "
            "replicas with index_settings, or restore fewer indices",
            "%s would get %ld new shards but has room for %ld "
            "(cluster.max_shards_per_node %ld x %ld data node%s - %ld open)",
            id, shards, headroom < 0 ? 0 : headroom, t->max_shards_per_node,
            t->data_nodes, t->data_nodes == 1 ? "" : "s", t->open_shards);
  }
  if (replicas_single)
    ISSUE(c, wait_green ? SNM_PF_BLOCKER : SNM_PF_WARNING,
          "replicas-single-node", id, NULL,
          "add \"index_settings\": {\"index.number_of_replicas\": 0} to the "
          "restore, or set \"wait_for\": \"yellow\"",
          "%s has one data node: replicas of the restored indices can never "
          "be assigned%s",
          id,
          wait_green ? ", so waiting for green health would never end"
                     : " (the indices stay yellow)");
}

void snm__pf_check_restores(struct snm__vctx *c)
{
  struct snm_preflight *pf = c->pf;
  const char **names = malloc((pf->n_indices + 1) * sizeof(*names));
  size_t *map = malloc((pf->n_indices + 1) * sizeof(*map));
  size_t n = 0;

  pf->restores = calloc(c->plan->n_restores, sizeof(*pf->restores));
  if (names == NULL || map == NULL || pf->restores == NULL) {
    c->nomem = 1;
    goto done;
  }
  pf->n_restores = c->plan->n_restores;
  for (size_t i = 0; i < pf->n_indices; i++)
    if (pf->indices[i].selected) {
      names[n] = pf->indices[i].name;
      map[n++] = i;
    }
  for (size_t r = 0; r < pf->n_restores; r++) {
    pf->restores[r].domain = c->plan->restores[r].domain;
    pf->restores[r].replicas =
        snm_preflight_restore_replicas(&c->plan->restores[r]);
    if (pf->indices_known)
      build_items(c, r, names, map, n);
  }
  for (size_t d = 0; d < pf->n_domains; d++)
    if (pf->domains[d].same_as < 0)
      check_collisions(c, d);
  for (size_t r = 0; r < pf->n_restores; r++) {
    check_versions(c, r);
    check_conflicts(c, r);
    if (!pf->domains[pf->restores[r].domain].reached)
      for (size_t i = 0; i < pf->restores[r].n_items; i++)
        if (pf->restores[r].items[i].action == SNM_PF_RESTORE)
          set_verdict(c, &pf->restores[r].items[i], SNM_PF_RESTORE,
                      "not checked: target unreachable");
  }
  snm__pf_check_streams(c);
  for (size_t d = 0; d < pf->n_domains; d++)
    if (pf->domains[d].roles & SNM_PF_ROLE_TARGET)
      check_capacity(c, d);
done:
  free(names);
  free(map);
}
