/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the run's dispatcher (workflow.c, workflow_target.c, the
 * step tables of workflow_steps.c) with no cluster: every request of the
 * run, the preflight's too, goes through a scripted transport
 * (transport.h) that answers from a small model of a source and a target
 * (the repository, the snapshot, the target's indices and where they came
 * from).  Replies are delivered from a uv_timer on the run's own loop, so
 * the asynchronous paths are those of a real run.
 *
 * A run without a crash must walk the step table's `next` chain.  Then,
 * for every transition and every request of that run, a run is crashed
 * right there: its in-memory state is thrown away, the state file is put
 * back as it was at that instant, and a new run resumes from it.  The
 * resumed run must finish, its first request after the preflight must be
 * the one the state file calls for, it never restores over an index it
 * did not restore, never takes the snapshot twice, and an index is
 * "verified" only after its count was compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "jtree.h"
#include "journal.h"
#include "log.h"
#include "metadata.h"
#include "plan.h"
#include "plan_fixture.h"
#include "timefmt.h"
#include "transport.h"
#include "workflow.h"
#include "workflow_int.h"

#define N_IX 2
static const char *const SRC_NAMES[N_IX] = {"logs-1", "logs-2"};
static const char *const DST_NAMES[N_IX] = {"copy-1", "copy-2"};
static const long long DOCS[N_IX] = {5, 7};

/* Building a reply never fails (out of memory fails the test). */
#define PUTS(...) assert_int_equal(snm_buf_puts(__VA_ARGS__), 0)
#define PRINTF(...) assert_int_equal(snm_buf_printf(__VA_ARGS__), 0)

/* ---- the clusters ------------------------------------------------------- */

#define ERR_BODY(type, reason, status)                                         \
  "{\"error\":{\"type\":\"" type "\",\"reason\":\"" reason                     \
  "\"},\"status\":" #status "}"

/* The metadata the plan copies (its "metadata" section): one item of each
 * kind on the source, in the order a run must write them; the index
 * template needs the component and the pipeline, and its pattern is
 * renamed by the restore's rename (logs-* -> copy-*). */
#define N_META 4
static const struct {
  enum snm_meta_kind kind;
  const char *name, *body, *want; /* want: the body after the rename */
} META[N_META] = {
    {SNM_META_PIPELINE, "p1",
     "{\"processors\":[{\"set\":{\"field\":\"f\",\"value\":\"v\"}}]}", NULL},
    {SNM_META_COMPONENT, "c1",
     "{\"template\":{\"settings\":{\"index\":{\"number_of_shards\":"
     "\"1\"}}}}",
     NULL},
    {SNM_META_TEMPLATE, "t1",
     "{\"index_patterns\":[\"logs-*\"],\"composed_of\":[\"c1\"],"
     "\"template\":{\"settings\":{\"index\":{\"default_pipeline\":"
     "\"p1\"}}},\"priority\":5}",
     "{\"index_patterns\":[\"copy-*\"],\"composed_of\":[\"c1\"],"
     "\"template\":{\"settings\":{\"index\":{\"default_pipeline\":"
     "\"p1\"}}},\"priority\":5}"},
    {SNM_META_LEGACY, "l1",
     "{\"order\":0,\"index_patterns\":[\"old-*\"],\"settings\":{},"
     "\"mappings\":{},\"aliases\":{}}",
     NULL},
};

struct world {
  char *repo[2]; /* NULL or the registration (the PUT's body), per domain */
  char snap[128];
  char snap_run_id[64];
  int snap_done;        /* SUCCESS (else IN_PROGRESS) */
  int status_polls;     /* looks at it (listing or _status) */
  int exists[N_IX];     /* target index */
  int ours[N_IX];       /* restored from our snapshot */
  int recovered[N_IX];  /* _recovery answers since its restore */
  int counted[N_IX];    /* its target count was answered */
  int generation[N_IX]; /* made anew (deleted and created) this often */
  int closed[N_IX];     /* closed (a sync round, before its restore) */
  /* on_conflict replace: 1 + the generation of a foreign index the plan
   * may close and restore over (0: none) */
  int foreign_ok[N_IX];
  int regen_at_probe;   /* the check before the restore finds every foreign
                           index made anew (another UUID) */
  char from[N_IX][128]; /* the snapshot it was restored from */
  int puts;             /* snapshot PUTs taken */
  /* the repository's other snapshots: earlier rounds', and a foreign one
   * (another run id) that must survive keep_snapshots */
  char old[4][128];
  char old_rid[4][64];
  int n_old;
  int restored[N_IX];  /* restores of it from the current snapshot */
  int refreshed[N_IX]; /* refreshed on the target since its restore */
  int dst_refreshes;   /* POST .../_refresh requests on the target */
  int refresh_fail;    /* the target's first refresh: 503 */
  long long target_docs[N_IX];
  int info_lag; /* GET snapshot says IN_PROGRESS this often after done */
  long long lag_until_ms; /* > 0: ... and until this time (snm_time_now_ms) */
  int put_lost;           /* the snapshot PUT is taken, but answered 502 */
  int hide_recovery;      /* the check before a POST finds no recovery record */
  int msearch_refused;    /* POST /_msearch: 400, no handler (an old proxy) */
  int msearch_doubt;      /* the _msearch item of the second index: a shard
                             failed (so it is asked again with _count) */
  int msearches;          /* POST /_msearch requests answered */
  int counts;             /* GET NAME/_count requests answered */
  int count_broken;       /* GET copy-2/_count on the target: 500 */
  int status_broken;      /* GET .../_status: 500 (the repository is slow) */
  int statuses;           /* GET .../_status requests answered */
  int recover_polls;      /* _recovery polls until a restored index is done
                             (its health yellow until then) */
  int health_waits;       /* health requests that wait for green */
  /* the plan's metadata: the source's items (META_*), and what the
   * target holds of them (NULL: absent; malloced) and the PUTs it took */
  char *meta_have[N_META];
  int meta_puts[N_META];
  /* cutover: the source's index.blocks.write (-1 unset, 0, 1), the alias
   * "live" on the target (a comma list of the indices holding it), the
   * POST /_aliases that changed it */
  int cutover;
  int src_block[N_IX];
  char alias_on[128];
  int alias_posts;
  int restore_fail;  /* POST _restore: 500 (a failure after the block) */
  int sample_draws;  /* POST /_msearch sample draws on the source */
  int block_api;     /* PUT IDX/_block/write requests */
  int mgets;         /* POST /_mget on the target */
  int sample_differ; /* the target's copy of _id "b" differs */
  int alias_refused; /* POST /_aliases: 400 (nothing moves) */
  int violations;
  char violation[512];
};

static void violate(struct world *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void violate(struct world *w, const char *fmt, ...)
{
  va_list ap;

  w->violations++;
  va_start(ap, fmt);
  if (w->violations == 1)
    vsnprintf(w->violation, sizeof(w->violation), fmt, ap);
  va_end(ap);
}

static void world_init(struct world *w)
{
  memset(w, 0, sizeof(*w));
  snprintf(w->old[0], sizeof(w->old[0]), "foreign-1");
  snprintf(w->old_rid[0], sizeof(w->old_rid[0]), "someone-elses-run");
  w->n_old = 1;
  for (size_t i = 0; i < N_IX; i++)
    w->target_docs[i] = DOCS[i];
  w->recover_polls = 1;
  /* before any cutover: logs-1 has no write block set, logs-2 false; the
   * alias is on an old index of the target */
  w->src_block[0] = -1;
  w->src_block[1] = 0;
  snprintf(w->alias_on, sizeof(w->alias_on), "old-live");
}

static void world_dispose(struct world *w)
{
  free(w->repo[0]);
  free(w->repo[1]);
  for (size_t i = 0; i < N_META; i++)
    free(w->meta_have[i]);
}

/* The metadata item whose API root `path` starts with, or -1; *rest is
 * what follows the root ("", "/NAME", "/NAME?create=true", "/_simulate").*/
static int meta_of(const char *path, const char **rest)
{
  for (int i = 0; i < N_META; i++) {
    const char *root = snm_meta_root(META[i].kind);
    size_t n = strlen(root);
    if (strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/')) {
      *rest = path + n;
      return i;
    }
  }
  return -1;
}

/* A GET of a root: every item of that kind there; of ROOT/NAME: that one
 * (absent: 404, as the servers answer). */
static long meta_list(struct snm_buf *b, int i, const char *body,
                      const char *rest)
{
  enum snm_meta_kind k = META[i].kind;
  int named = rest[0] == '/';

  if (named && (body == NULL || strcmp(rest + 1, META[i].name) != 0)) {
    if (k == SNM_META_PIPELINE || k == SNM_META_LEGACY)
      PUTS(b, "{}");
    else
      PUTS(b, "{\"error\":{\"type\":\"resource_not_found_exception\","
              "\"reason\":\"not found\"},\"status\":404}");
    return 404;
  }
  if (k == SNM_META_PIPELINE || k == SNM_META_LEGACY) {
    if (body != NULL)
      PRINTF(b, "{\"%s\":%s}", META[i].name, body);
    else
      PUTS(b, "{}");
  } else {
    const char *lk =
        k == SNM_META_TEMPLATE ? "index_templates" : "component_templates";
    const char *bk =
        k == SNM_META_TEMPLATE ? "index_template" : "component_template";
    if (body != NULL)
      PRINTF(b, "{\"%s\":[{\"name\":\"%s\",\"%s\":%s}]}", lk, META[i].name, bk,
             body);
    else
      PRINTF(b, "{\"%s\":[]}", lk);
  }
  return 200;
}

/* The target's side of the metadata: lists, looks, PUTs (in dependency
 * order, never one that writes what is there already) and simulations. */
static long meta_target(struct world *w, const char *method, const char *path,
                        const char *body, struct snm_buf *b)
{
  const char *rest = NULL;
  int i = meta_of(path, &rest);

  if (i < 0)
    return 0;
  if (strcmp(method, "POST") == 0 && strcmp(rest, "/_simulate") == 0) {
    PUTS(b, "{}");
    return 200;
  }
  if (strcmp(method, "GET") == 0)
    return meta_list(b, i, w->meta_have[i], rest);
  if (strcmp(method, "PUT") == 0 && rest[0] == '/' &&
      strncmp(rest + 1, META[i].name, strlen(META[i].name)) == 0) {
    int create = strstr(rest, "?create=true") != NULL;
    const char *want = META[i].want != NULL ? META[i].want : META[i].body;

    if (w->meta_have[i] != NULL &&
        snm_meta_diff(NULL, META[i].kind, w->meta_have[i], body, 0) == 0)
      violate(w, "PUT %s: writes what the target has already", path);
    if (snm_meta_diff(NULL, META[i].kind, want, body, 0) != 0)
      violate(w, "PUT %s: not the source's body: %s", path, body);
    if (META[i].kind == SNM_META_TEMPLATE &&
        (w->meta_have[0] == NULL || w->meta_have[1] == NULL))
      violate(w, "PUT %s before its pipeline and component", path);
    if (create && w->meta_have[i] != NULL) {
      violate(w, "PUT %s: it exists (nobody else writes it)", path);
      PUTS(b, ERR_BODY("illegal_argument_exception", "template already exists",
                       400));
      return 400;
    }
    w->meta_puts[i]++;
    free(w->meta_have[i]);
    w->meta_have[i] = strdup(body);
    PUTS(b, "{\"acknowledged\":true}");
    return 200;
  }
  violate(w, "%s %s: not a request the metadata step sends", method, path);
  return 0;
}

/* Index `i` of the comma list at the start of `p` holds target name k? */
static int names_has(const char *p, const char *name)
{
  size_t n = strlen(name);

  for (const char *s = p; *s != '\0' && *s != '/' && *s != '?';) {
    if (strncmp(s, name, n) == 0 &&
        (s[n] == ',' || s[n] == '/' || s[n] == '?' || s[n] == '\0'))
      return 1;
    s += strcspn(s, ",/?");
    if (*s == ',')
      s++;
  }
  return 0;
}

/* A look at the snapshot (its listing or its status): the first says it
 * runs, every later one that it is done. */
static int snap_advance(struct world *w)
{
  if (!w->snap_done && w->status_polls++ >= 1)
    w->snap_done = 1;
  return w->snap_done;
}

/* POST /_msearch counting the indices its NDJSON body names: the source's
 * (d 0) or the target's (d 1) documents, or a 404 item for a name that
 * does not exist. */
static long answer_msearch(struct world *w, int d, const char *body, char **out)
{
  struct snm_buf b;
  const char *line = body;
  int first = 1, header = 1;

  snm_buf_init(&b, 0);
  w->msearches++;
  if (w->msearch_refused) {
    *out = strdup(ERR_BODY("illegal_argument_exception",
                           "no handler found for uri [/_msearch] and method "
                           "[POST]",
                           400));
    return 400;
  }
  PUTS(&b, "{\"took\":1,\"responses\":[");
  if (strstr(body, "random_score") != NULL) {
    /* a sample draw (cutover, verify "sample"): two documents an index */
    w->sample_draws++;
    if (d != 0)
      violate(w, "a sample drawn from the target");
    for (; line != NULL && *line != '\0'; header = !header) {
      const char *nl = strchr(line, '\n');
      char *one =
          nl != NULL ? strndup(line, (size_t)(nl - line)) : strdup(line);
      yajl_val j = yajl_tree_parse(one, NULL, 0);
      const char *name = snm_jstr(j, "index", NULL);

      if (header) {
        assert_non_null(name);
        PRINTF(&b,
               "%s{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":"
               "1,\"successful\":1,\"skipped\":0,\"failed\":0},\"hits\":"
               "{\"hits\":[{\"_index\":\"%s\",\"_id\":\"a\",\"_score\":"
               "1,\"_source\":{\"v\":1}},{\"_index\":\"%s\",\"_id\":"
               "\"b\",\"_score\":1,\"_source\":{\"v\":2}}]},\"status\":"
               "200}",
               first ? "" : ",", name, name);
        first = 0;
      }
      yajl_tree_free(j);
      free(one);
      line = nl != NULL ? nl + 1 : NULL;
    }
    PUTS(&b, "]}");
    *out = snm_buf_steal(&b);
    return 200;
  }
  while (line != NULL && *line != '\0') {
    const char *nl = strchr(line, '\n');
    char *one = nl != NULL ? strndup(line, (size_t)(nl - line)) : strdup(line);
    yajl_val j = yajl_tree_parse(one, NULL, 0);
    const char *name = snm_jstr(j, "index", NULL);

    if (header) {
      long long docs = -1;
      int doubt = 0;

      assert_non_null(name);
      for (size_t i = 0; i < N_IX; i++) {
        if (d == 0 && strcmp(name, SRC_NAMES[i]) == 0)
          docs = DOCS[i];
        if (d == 1 && strcmp(name, DST_NAMES[i]) == 0 && w->exists[i]) {
          docs = w->target_docs[i];
          w->counted[i] = 1;
          if (w->restored[i] > 0 && !w->refreshed[i])
            violate(w, "%s counted before a refresh after its restore",
                    DST_NAMES[i]);
        }
        doubt |= w->msearch_doubt && i == 1 &&
                 strcmp(name, d == 0 ? SRC_NAMES[i] : DST_NAMES[i]) == 0;
      }
      if (docs < 0)
        PRINTF(&b,
               "%s{\"error\":{\"type\":\"index_not_found_exception\","
               "\"reason\":\"no such index [%s]\"},\"status\":404}",
               first ? "" : ",", name);
      else
        PRINTF(&b,
               "%s{\"took\":1,\"timed_out\":false,\"_shards\":{"
               "\"total\":1,\"successful\":%d,\"skipped\":0,"
               "\"failed\":%d},\"hits\":{\"total\":{\"value\":%lld,"
               "\"relation\":\"eq\"},\"hits\":[]},\"status\":200}",
               first ? "" : ",", doubt ? 0 : 1, doubt ? 1 : 0,
               doubt ? 0 : docs);
      first = 0;
    }
    header = !header;
    yajl_tree_free(j);
    free(one);
    line = nl != NULL ? nl + 1 : NULL;
  }
  PUTS(&b, "]}");
  *out = snm_buf_steal(&b);
  return 200;
}

/* The source's answer to `method path`: status and body (malloced). */
static long answer_source(struct world *w, const char *method, const char *path,
                          const char *body, char **out)
{
  struct snm_buf b;
  long st = 200;
  char snap_path[256];

  snm_buf_init(&b, 0);
  snprintf(snap_path, sizeof(snap_path), "/_snapshot/r/%s", w->snap);
  {
    const char *rest = NULL;
    int m = meta_of(path, &rest);

    if (m >= 0 && strcmp(method, "GET") == 0) {
      st = meta_list(&b, m, META[m].body, rest);
      *out = snm_buf_steal(&b);
      return st;
    }
    if (m >= 0)
      violate(w, "%s %s: the source is only read", method, path);
  }
  if (strcmp(path, "/") == 0) {
    PUTS(&b, "{\"name\":\"n\",\"cluster_name\":\"c-src\","
             "\"cluster_uuid\":\"uuid-src\",\"version\":{\"number\":"
             "\"2.19.1\",\"distribution\":\"opensearch\"}}");
  } else if (strncmp(path, "/_cat/indices", 13) == 0) {
    PUTS(&b, "status health pri.store.size index\n"
             "open   green             100 logs-1\n"
             "open   green             100 logs-2\n");
  } else if (strcmp(path, "/_snapshot/_status") == 0) {
    PUTS(&b, "{\"snapshots\":[]}");
  } else if (strcmp(path, "/_data_stream") == 0) {
    PUTS(&b, "{\"data_streams\":[]}");
  } else if (strncmp(path, "/_all/_settings", 15) == 0) {
    for (size_t i = 0; i < N_IX; i++)
      PRINTF(&b,
             "%s\"%s\":{\"settings\":{\"index.number_of_shards\":"
             "\"1\",\"index.number_of_replicas\":\"0\","
             "\"index.version.created\":\"136407927\"}}",
             i == 0 ? "{" : ",", SRC_NAMES[i]);
    PUTS(&b, "}");
  } else if (strcmp(method, "GET") == 0 &&
             strstr(path, "/_settings/index.blocks.write") != NULL) {
    int first = 1;

    PUTS(&b, "{");
    for (size_t i = 0; i < N_IX; i++)
      if (names_has(path + 1, SRC_NAMES[i])) {
        /* as a server answers: an unset setting is left out; the uuid
         * (asked for too) lists the index */
        PRINTF(&b, "%s\"%s\":{\"settings\":{\"index.uuid\":\"s%zu\"",
               first ? "" : ",", SRC_NAMES[i], i);
        if (w->src_block[i] >= 0)
          PRINTF(&b, ",\"index.blocks.write\":\"%s\"",
                 w->src_block[i] ? "true" : "false");
        PUTS(&b, "}}");
        first = 0;
      }
    PUTS(&b, "}");
  } else if (strcmp(method, "PUT") == 0 &&
             strstr(path, "/_block/write") != NULL) {
    /* the add-block API (the source is OpenSearch 2.19) */
    w->block_api++;
    for (size_t i = 0; i < N_IX; i++)
      if (names_has(path + 1, SRC_NAMES[i]))
        w->src_block[i] = 1;
    PUTS(&b, "{\"acknowledged\":true,\"shards_acknowledged\":true}");
  } else if (strcmp(method, "PUT") == 0 && strstr(path, "/_settings") != NULL) {
    yajl_val j = yajl_tree_parse(body, NULL, 0);
    const char *key[] = {"index.blocks.write", NULL};
    yajl_val v = yajl_tree_get(j, key, yajl_t_any);
    int to = v == NULL || YAJL_IS_NULL(v) ? -1 : YAJL_IS_TRUE(v) ? 1 : 0;

    if (v == NULL)
      violate(w, "PUT %s: not a write block: %s", path, body);
    for (size_t i = 0; i < N_IX; i++)
      if (names_has(path + 1, SRC_NAMES[i])) {
        if (to != 1 && strcmp(w->alias_on, DST_NAMES[0]) == 0)
          violate(w, "PUT %s: %s unblocked after the aliases switched", path,
                  SRC_NAMES[i]);
        w->src_block[i] = to;
      }
    yajl_tree_free(j);
    PUTS(&b, "{\"acknowledged\":true}");
  } else if (strcmp(method, "POST") == 0 && strstr(path, "/_refresh") != NULL) {
    PUTS(&b, "{\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}}");
  } else if (strstr(path, "/_count") != NULL) {
    w->counts++;
    for (size_t i = 0; i < N_IX; i++)
      if (names_has(path + 1, SRC_NAMES[i]))
        PRINTF(&b,
               "{\"count\":%lld,\"_shards\":{\"total\":1,"
               "\"successful\":1,\"failed\":0}}",
               DOCS[i]);
  } else if (strcmp(method, "PUT") == 0 &&
             strncmp(path, "/_snapshot/r/", 13) == 0) {
    const char *name = path + 13;
    size_t n = strcspn(name, "?");
    yajl_val j = yajl_tree_parse(body, NULL, 0);
    const char *rid = snm_jstr(j, "metadata", "snapmig_run_id", NULL);

    for (size_t i = 0; w->cutover && i < N_IX; i++)
      if (w->src_block[i] != 1)
        violate(w, "PUT %s: a cutover snapshot while %s takes writes", path,
                SRC_NAMES[i]);
    if (w->snap[0] != '\0' && strlen(w->snap) == n &&
        strncmp(w->snap, name, n) == 0) {
      violate(w, "PUT %s: the snapshot was taken already", path);
      st = 400;
      PUTS(&b, ERR_BODY("invalid_snapshot_name_exception",
                        "snapshot with the same name already exists", 400));
    } else {
      if (w->snap[0] != '\0' && w->n_old < 4) {
        snprintf(w->old[w->n_old], sizeof(w->old[0]), "%s", w->snap);
        snprintf(w->old_rid[w->n_old], sizeof(w->old_rid[0]), "%s",
                 w->snap_run_id);
        w->n_old++;
      }
      snprintf(w->snap, sizeof(w->snap), "%.*s", (int)n, name);
      w->snap_done = 0;
      w->status_polls = 0;
      w->puts++;
      memset(w->restored, 0, sizeof(w->restored));
      snprintf(w->snap_run_id, sizeof(w->snap_run_id), "%s",
               rid != NULL ? rid : "");
      if (w->put_lost) {
        w->put_lost = 0;
        st = 502;
      }
      PUTS(&b, st == 502 ? "bad gateway" : "{\"accepted\":true}");
    }
    yajl_tree_free(j);
  } else if (w->snap[0] != '\0' &&
             strncmp(path, snap_path, strlen(snap_path)) == 0 &&
             strncmp(path + strlen(snap_path), "/_status", 8) == 0 &&
             strchr("?", path[strlen(snap_path) + 8]) != NULL) {
    int done;

    w->statuses++;
    if (w->status_broken) {
      *out = strdup(ERR_BODY("repository_exception", "timed out", 500));
      return 500;
    }
    done = snap_advance(w);
    PRINTF(&b,
           "{\"snapshots\":[{\"snapshot\":\"%s\",\"repository\":"
           "\"r\",\"state\":\"%s\",\"shards_stats\":{\"done\":%d,"
           "\"failed\":0,\"total\":2},\"stats\":{\"incremental\":{"
           "\"size_in_bytes\":200},\"processed\":{\"size_in_bytes\":"
           "%d},\"total\":{\"size_in_bytes\":200}}}]}",
           w->snap, done ? "SUCCESS" : "STARTED", done ? 2 : 1,
           done ? 200 : 100);
  } else if (strncmp(path, "/_snapshot/r/", 13) == 0 &&
             strcmp(path + 13, w->snap) != 0 &&
             (strcmp(method, "DELETE") == 0 ||
              (strcmp(method, "GET") == 0 && strchr(path + 13, '/') == NULL))) {
    /* an older snapshot: looked up or deleted (keep_snapshots) */
    int k = -1;

    for (int i = 0; i < w->n_old; i++)
      if (strcmp(path + 13, w->old[i]) == 0)
        k = i;
    if (k < 0) {
      st = 404;
      PUTS(&b, ERR_BODY("snapshot_missing_exception", "[r:x] is missing", 404));
    } else if (strcmp(method, "GET") == 0) {
      PRINTF(&b,
             "{\"snapshots\":[{\"snapshot\":\"%s\",\"uuid\":\"u\","
             "\"state\":\"SUCCESS\",\"metadata\":{\"snapmig_run_id\":"
             "\"%s\"},\"start_time_in_millis\":1000,\"end_time_in_millis\":"
             "2000,\"shards\":{\"total\":2,\"failed\":0,\"successful\":2},"
             "\"failures\":[]}]}",
             w->old[k], w->old_rid[k]);
    } else {
      if (strcmp(w->old_rid[k], w->snap_run_id) != 0)
        violate(w, "DELETE %s: a snapshot of another run", path);
      memmove(&w->old[k], &w->old[k + 1],
              (size_t)(w->n_old - k - 1) * sizeof(w->old[0]));
      memmove(&w->old_rid[k], &w->old_rid[k + 1],
              (size_t)(w->n_old - k - 1) * sizeof(w->old_rid[0]));
      w->n_old--;
      PUTS(&b, "{\"acknowledged\":true}");
    }
  } else if (strcmp(method, "DELETE") == 0) {
    violate(w, "DELETE %s", path);
    st = 400;
  } else if (strcmp(method, "GET") == 0 &&
             strncmp(path, "/_snapshot/r/", 13) == 0 &&
             strstr(path, "/_status") == NULL) {
    int done =
        w->snap[0] != '\0' && strcmp(path, snap_path) == 0 && snap_advance(w);

    if (w->snap[0] == '\0' || strcmp(path, snap_path) != 0) {
      st = 404;
      PUTS(&b, ERR_BODY("snapshot_missing_exception", "[r:x] is missing", 404));
    } else {
      if (done && w->lag_until_ms > 0 && snm_time_now_ms() >= w->lag_until_ms)
        w->info_lag = 0;
      if (done && w->info_lag > 0) {
        w->info_lag--;
        done = 0;
      }
      PRINTF(&b,
             "{\"snapshots\":[{\"snapshot\":\"%s\",\"uuid\":\"u\","
             "\"state\":\"%s\",\"metadata\":{\"snapmig_run_id\":"
             "\"%s\"},\"start_time_in_millis\":1000%s,\"shards\":{"
             "\"total\":2,\"failed\":0,\"successful\":%d},"
             "\"failures\":[]}]}",
             w->snap, done ? "SUCCESS" : "IN_PROGRESS", w->snap_run_id,
             done ? ",\"end_time_in_millis\":2000" : "", done ? 2 : 0);
    }
  } else {
    st = 404;
  }
  *out = snm_buf_steal(&b);
  return st;
}

/* A _recovery entry of target index `i` (ours: from snapshot r/SNAP). */
static void recovery_entry(struct snm_buf *b, const struct world *w, size_t i,
                           int done)
{
  PRINTF(b,
         "\"%s\":{\"shards\":[{\"id\":0,\"type\":\"SNAPSHOT\","
         "\"primary\":true,\"stage\":\"%s\",\"source\":{"
         "\"repository\":\"r\",\"snapshot\":\"%s\",\"index\":\"%s\"},"
         "\"index\":{\"size\":{\"total_in_bytes\":100,"
         "\"recovered_in_bytes\":%d},\"files\":{\"total\":1,"
         "\"recovered\":%d}}}]}",
         DST_NAMES[i], done ? "DONE" : "INDEX",
         w->ours[i] ? w->from[i] : "someone-elses", SRC_NAMES[i],
         done ? 100 : 40, done ? 1 : 0);
}

static long answer_target(struct world *w, const char *method, const char *path,
                          const char *body, char **out)
{
  struct snm_buf b;
  long st = 200;
  int first = 1;

  snm_buf_init(&b, 0);
  st = meta_target(w, method, path, body, &b);
  if (st != 0) {
    *out = snm_buf_steal(&b);
    return st;
  }
  st = 200;
  if (strcmp(path, "/") == 0) {
    PUTS(&b, "{\"name\":\"n\",\"cluster_name\":\"c-dst\","
             "\"cluster_uuid\":\"uuid-dst\",\"version\":{\"number\":"
             "\"2.19.1\",\"distribution\":\"opensearch\"}}");
  } else if (strncmp(path, "/_cat/indices", 13) == 0) {
    PUTS(&b, "status uuid pri index\n");
    for (size_t i = 0; i < N_IX; i++)
      if (w->exists[i])
        PRINTF(&b, "%-6s u%zu-%d 1 %s\n", w->closed[i] ? "close" : "open", i,
               w->generation[i], DST_NAMES[i]);
  } else if (strncmp(path, "/_cat/allocation", 16) == 0) {
    PUTS(&b, "[{\"shards\":\"1\",\"disk.avail\":\"1000000000\","
             "\"disk.total\":\"2000000000\",\"node\":\"n\"}]");
  } else if (strncmp(path, "/_cluster/settings", 18) == 0) {
    PUTS(&b, "{\"persistent\":{},\"transient\":{},\"defaults\":{"
             "\"cluster.max_shards_per_node\":\"1000\","
             "\"cluster.routing.allocation.disk.threshold_enabled\":\"true\","
             "\"cluster.routing.allocation.disk.watermark.high\":\"90%\"}}");
  } else if (strcmp(method, "GET") == 0 && strcmp(path, "/_alias/live") == 0) {
    if (w->alias_on[0] == '\0') {
      st = 404;
      PUTS(&b, "{\"error\":\"alias [live] missing\",\"status\":404}");
    } else {
      char tmp[128];
      snprintf(tmp, sizeof(tmp), "%s", w->alias_on);
      PUTS(&b, "{");
      for (char *h = strtok(tmp, ","); h != NULL; h = strtok(NULL, ",")) {
        PRINTF(&b, "%s\"%s\":{\"aliases\":{\"live\":{}}}", first ? "" : ",", h);
        first = 0;
      }
      PUTS(&b, "}");
    }
  } else if (strcmp(method, "POST") == 0 && strcmp(path, "/_aliases") == 0) {
    yajl_val j = yajl_tree_parse(body, NULL, 0);
    const char *key[] = {"actions", NULL};
    yajl_val a = yajl_tree_get(j, key, yajl_t_array);
    char now[128];
    int missing = 0;

    snprintf(now, sizeof(now), "%s", w->alias_on);
    if (strcmp(w->alias_on, DST_NAMES[0]) == 0)
      violate(w, "POST /_aliases after the alias was switched: %s", body);
    for (size_t i = 0; a != NULL && i < a->u.array.len; i++) {
      yajl_val act = a->u.array.values[i];
      const char *rm = snm_jstr(act, "remove", "index", NULL);
      const char *add = snm_jstr(act, "add", "index", NULL);

      if (rm != NULL) {
        if (!names_has(now, rm))
          missing = 1;
        else if (strcmp(now, rm) == 0)
          now[0] = '\0';
        else
          violate(w, "the test models one holder: %s", now);
      }
      if (add != NULL)
        snprintf(now, sizeof(now), "%s", add);
    }
    if (a == NULL)
      violate(w, "POST /_aliases without actions: %s", body);
    if (w->alias_refused) {
      st = 400;
      PUTS(&b, ERR_BODY("invalid_alias_name_exception",
                        "an index or data stream exists with the same name "
                        "as the alias",
                        400));
    } else if (missing) {
      st = 404;
      PUTS(&b, ERR_BODY("aliases_not_found_exception", "aliases [live] missing",
                        404));
    } else {
      snprintf(w->alias_on, sizeof(w->alias_on), "%s", now);
      w->alias_posts++;
      PUTS(&b, "{\"acknowledged\":true}");
    }
    yajl_tree_free(j);
  } else if (strcmp(method, "POST") == 0 && strcmp(path, "/_mget") == 0) {
    yajl_val j = yajl_tree_parse(body, NULL, 0);
    const char *key[] = {"docs", NULL};
    yajl_val a = yajl_tree_get(j, key, yajl_t_array);

    w->mgets++;
    PUTS(&b, "{\"docs\":[");
    for (size_t i = 0; a != NULL && i < a->u.array.len; i++) {
      const char *ix = snm_jstr(a->u.array.values[i], "_index", NULL);
      const char *id = snm_jstr(a->u.array.values[i], "_id", NULL);
      int have = 0;

      for (size_t k = 0; ix != NULL && k < N_IX; k++)
        if (strcmp(ix, DST_NAMES[k]) == 0 && w->exists[k] && !w->closed[k]) {
          have = 1;
          if (!w->counted[k])
            violate(w, "_mget of %s before its count", ix);
        }
      PRINTF(&b, "%s{\"_index\":\"%s\",\"_id\":\"%s\",\"found\":%s",
             i ? "," : "", ix, id, have ? "true" : "false");
      if (have)
        PRINTF(&b, ",\"_source\":{\"v\":%d}",
               strcmp(id, "a") == 0 ? 1
               : w->sample_differ   ? 3
                                    : 2);
      PUTS(&b, "}");
    }
    PUTS(&b, "]}");
    yajl_tree_free(j);
  } else if (strcmp(method, "POST") == 0 && strstr(path, "/_restore") != NULL &&
             w->restore_fail) {
    st = 500;
    PUTS(&b, ERR_BODY("repository_exception",
                      "[r] could not read repository "
                      "data from index blob",
                      500));
  } else if (strcmp(method, "POST") == 0 && strstr(path, "/_restore") != NULL) {
    yajl_val j = yajl_tree_parse(body, NULL, 0);
    const char *ix = snm_jstr(j, "indices", NULL);
    int named[N_IX] = {0}, clash = 0;

    for (size_t i = 0; ix != NULL && i < N_IX; i++) {
      named[i] = names_has(ix, SRC_NAMES[i]);
      if (named[i] && w->exists[i] && w->restored[i] > 0)
        violate(w, "POST %s restores %s a second time from one snapshot", path,
                DST_NAMES[i]);
      if (named[i] && w->exists[i] && w->closed[i] && !w->ours[i] &&
          w->foreign_ok[i] != w->generation[i] + 1)
        violate(w, "POST %s restores over %s, which the plan did not make",
                path, DST_NAMES[i]);
      if (named[i] && w->exists[i] && !w->closed[i]) {
        violate(w, "POST %s restores over %s, which exists", path,
                DST_NAMES[i]);
        clash = 1;
      }
    }
    if (clash) {
      st = 500;
      PUTS(&b, ERR_BODY("snapshot_restore_exception",
                        "cannot restore index because an open index "
                        "with same name already exists",
                        500));
    } else {
      for (size_t i = 0; i < N_IX; i++)
        if (named[i]) {
          w->exists[i] = w->ours[i] = 1;
          w->closed[i] = 0;
          w->restored[i]++;
          w->refreshed[i] = 0;
          snprintf(w->from[i], sizeof(w->from[i]), "%s", w->snap);
          w->recovered[i] = 0;
        }
      PUTS(&b, "{\"accepted\":true}");
    }
    yajl_tree_free(j);
  } else if (strcmp(method, "POST") == 0 && strstr(path, "/_close") != NULL) {
    for (size_t i = 0; i < N_IX; i++)
      if (names_has(path + 1, DST_NAMES[i])) {
        if ((!w->ours[i] && w->foreign_ok[i] != w->generation[i] + 1) ||
            !w->exists[i])
          violate(w, "POST %s closes %s, which the plan did not make", path,
                  DST_NAMES[i]);
        w->closed[i] = 1;
      }
    PUTS(&b, "{\"acknowledged\":true}");
  } else if (strstr(path, "/_settings/index.uuid") != NULL ||
             strstr(path, "/_settings/index.creation_date,index.uuid") !=
                 NULL) {
    if (w->regen_at_probe && strstr(path, "index.number_of_shards") != NULL) {
      w->regen_at_probe = 0;
      for (size_t i = 0; i < N_IX; i++)
        if (w->exists[i] && !w->ours[i])
          w->generation[i]++;
    }
    PUTS(&b, "{");
    for (size_t i = 0; i < N_IX; i++)
      if (w->exists[i] && names_has(path + 1, DST_NAMES[i])) {
        PRINTF(&b,
               "%s\"%s\":{\"settings\":{\"index\":{\"uuid\":\"u%zu-%d\","
               "\"number_of_shards\":\"1\",\"creation_date\":\"1\"}}}",
               first ? "" : ",", DST_NAMES[i], i, w->generation[i]);
        first = 0;
      }
    PUTS(&b, "}");
  } else if (strncmp(path, "/_cluster/state/routing_table/", 30) == 0) {
    /* a restore whose primaries wait to be allocated */
    PUTS(&b, "{\"routing_table\":{\"indices\":{");
    for (size_t i = 0; i < N_IX; i++)
      if (w->exists[i] && names_has(path + 30, DST_NAMES[i])) {
        PRINTF(&b,
               "%s\"%s\":{\"shards\":{\"0\":[{\"state\":"
               "\"INITIALIZING\",\"primary\":true,"
               "\"recovery_source\":{\"type\":\"SNAPSHOT\","
               "\"repository\":\"r\",\"snapshot\":\"%s\"}}]}}",
               first ? "" : ",", DST_NAMES[i],
               w->ours[i] ? w->from[i] : "someone-elses");
        first = 0;
      }
    PUTS(&b, "}}}");
  } else if (strstr(path, "/_recovery") != NULL) {
    int probe = strstr(path, "expand_wildcards") != NULL;

    PUTS(&b, "{");
    for (size_t i = 0; i < N_IX && !(probe && w->hide_recovery); i++)
      if (w->exists[i] && names_has(path + 1, DST_NAMES[i])) {
        /* a poll sees the copy under way once, then done */
        int done = probe || w->recovered[i] >= w->recover_polls;
        if (!probe)
          w->recovered[i]++;
        if (!first)
          PUTS(&b, ",");
        recovery_entry(&b, w, i, done);
        first = 0;
      }
    PUTS(&b, "}");
  } else if (strncmp(path, "/_cluster/health/", 17) == 0) {
    int all = 1;

    if (strstr(path, "wait_for_status=green&timeout=") != NULL)
      w->health_waits++;
    for (size_t i = 0; i < N_IX; i++)
      if (names_has(path + 17, DST_NAMES[i]) && !w->exists[i])
        all = 0;
    PRINTF(&b,
           "{\"status\":\"%s\",\"timed_out\":false,"
           "\"initializing_shards\":0,\"indices\":{",
           all ? "green" : "red");
    for (size_t i = 0; i < N_IX; i++)
      if (w->exists[i] && names_has(path + 17, DST_NAMES[i])) {
        PRINTF(&b, "%s\"%s\":{\"status\":\"%s\"}", first ? "" : ",",
               DST_NAMES[i],
               w->recovered[i] >= w->recover_polls ? "green" : "yellow");
        first = 0;
      }
    PUTS(&b, "}}");
  } else if (strstr(path, "/_refresh") != NULL && w->dst_refreshes++ == 0 &&
             w->refresh_fail) {
    st = 503;
    PUTS(&b, ERR_BODY("cluster_block_exception", "blocked for a moment", 503));
  } else if (strstr(path, "/_refresh") != NULL) {
    for (size_t i = 0; i < N_IX; i++)
      if (names_has(path + 1, DST_NAMES[i]))
        w->refreshed[i] = 1;
    PUTS(&b, "{\"_shards\":{\"total\":2,\"successful\":2,"
             "\"failed\":0}}");
  } else if (strstr(path, "/_count") != NULL && w->count_broken &&
             names_has(path + 1, DST_NAMES[1])) {
    w->counts++;
    st = 500;
    PUTS(&b, ERR_BODY("search_phase_execution_exception", "all shards failed",
                      500));
  } else if (strstr(path, "/_count") != NULL) {
    st = 404;
    w->counts++;
    for (size_t i = 0; i < N_IX; i++)
      if (w->exists[i] && names_has(path + 1, DST_NAMES[i])) {
        w->counted[i] = 1;
        if (w->restored[i] > 0 && !w->refreshed[i])
          violate(w, "%s counted before a refresh after its restore",
                  DST_NAMES[i]);
        st = 200;
        PRINTF(&b,
               "{\"count\":%lld,\"_shards\":{\"total\":1,"
               "\"successful\":1,\"failed\":0}}",
               w->target_docs[i]);
      }
    if (st == 404)
      PUTS(&b, ERR_BODY("index_not_found_exception", "no such index", 404));
  } else {
    st = 404;
  }
  *out = snm_buf_steal(&b);
  return st;
}

static long reply_printf(char **out, long status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static long reply_printf(char **out, long status, const char *fmt, ...)
{
  struct snm_buf b;
  va_list ap;

  snm_buf_init(&b, 0);
  va_start(ap, fmt);
  assert_int_equal(snm_buf_vprintf(&b, fmt, ap), 0);
  va_end(ap);
  *out = snm_buf_steal(&b);
  return status;
}

/* What both clusters share: the repository and their cluster health. */
static long answer(struct world *w, int d, const char *method, const char *path,
                   const char *body, char **out)
{
  if (strcmp(path, "/_snapshot/r") == 0) {
    if (strcmp(method, "PUT") == 0) {
      free(w->repo[d]);
      w->repo[d] = strdup(body);
      *out = strdup("{\"acknowledged\":true}");
      return 200;
    }
    if (w->repo[d] == NULL) {
      *out =
          strdup(ERR_BODY("repository_missing_exception", "[r] missing", 404));
      return 404;
    }
    return reply_printf(out, 200, "{\"r\":%s}", w->repo[d]);
  }
  if (strncmp(path, "/_cat/snapshots/r", 17) == 0) {
    if (w->repo[d] == NULL) {
      *out =
          strdup(ERR_BODY("repository_missing_exception", "[r] missing", 404));
      return 404;
    }
    return reply_printf(out, 200, "id\n%s%s", w->snap,
                        w->snap[0] != '\0' ? "\n" : "");
  }
  if (strcmp(path, "/_cluster/health") == 0) {
    *out = strdup("{\"status\":\"green\",\"number_of_data_nodes\":1,"
                  "\"active_shards\":1,\"initializing_shards\":0,"
                  "\"unassigned_shards\":0}");
    return 200;
  }
  if (strcmp(path, "/_cat/aliases") == 0 ||
      strncmp(path, "/_cat/aliases?", 14) == 0) {
    *out = strdup("alias index\n");
    return 200;
  }
  if (strcmp(method, "POST") == 0 && strcmp(path, "/_msearch") == 0)
    return answer_msearch(w, d, body, out);
  return d == 0 ? answer_source(w, method, path, body, out)
                : answer_target(w, method, path, body, out);
}

/* ---- coverage: the states and transitions every run entered ------------- */

static int seen_run[WF_N_STATES], seen_t[WFT_N_STATES];
static int seen_edge[WF_N_STATES][WF_N_STATES];
static int seen_tedge[WFT_N_STATES][WFT_N_STATES];

static int run_state(const char *name)
{
  for (int i = 0; i < WF_N_STATES; i++)
    if (strcmp(wf_step((enum wf_state)i)->name, name) == 0)
      return i;
  fail_msg("no run step %s", name);
  return -1;
}

static int target_state(const char *name)
{
  for (int i = 0; i < WFT_N_STATES; i++)
    if (strcmp(wf_tstep((enum wf_tstate)i)->name, name) == 0)
      return i;
  fail_msg("no target step %s", name);
  return -1;
}

/* ---- the scripted transport -------------------------------------------- */

struct script;

#define SCRIPT_LOG                                                             \
  128 /* requests kept for messages (a fresh run sends ~70)                    \
       */

struct pending {
  uv_timer_t timer;
  struct script *s;
  snm_es_done_fn done;
  void *data;
  long status;
  char *body; /* malloced */
  char what[512];
  int canceled;
  int raw;
  int identity;   /* a read of the restored indices' UUIDs */
  int register_d; /* 1 + the domain of a PUT /_snapshot/r (0: other) */
};

struct script {
  struct world *w;
  const char *state_path;
  uv_loop_t *loop; /* the run's, from its first request */
  /* the crash: at the crash_step-th transition, or when the crash_req-th
   * request is sent (reaching the cluster when crash_applied); 0: none */
  size_t crash_step, crash_req;
  const char *crash_at; /* or when the run enters this step */
  int crash_applied;
  int crashed, stopped;
  char *saved; /* the state file at the crash; NULL: there was none */
  size_t saved_len;
  /* what the run did */
  size_t steps, requests;
  const char *step; /* the run's current step */
  char run_steps[32][24];
  size_t n_run_steps;
  char first_work[512];      /* its first request after the preflight */
  int probed;                /* a probe listing went out since the last POST */
  char log[SCRIPT_LOG][160]; /* the first requests, for messages */
  int prev_run, prev_t;      /* the last state entered, + 1 (0: none) */
  int sync;                  /* `snapmig sync` instead of `run` */
  int cutover, rollback;     /* `snapmig cutover [--rollback]` */
  int fresh;                 /* `snapmig run --fresh` */
  size_t sent[2];            /* requests per domain (src, dst) */
  FILE *events;              /* NULL or where the run's JSON events go */
  /* state file writes: the count at the last request or reply, and the
   * most seen between two of those */
  unsigned long saves_mark, saves_burst;
  /* UUID reads of restored indices in flight; a target refresh went out
   * while one was */
  int identity_inflight, refresh_beside_identity;
  /* repository registrations in flight per domain; one went out while
   * the other domain's was */
  int register_inflight[2], registered_together;
  /* on entering this run step, the state file can no longer be written
   * (a directory where its temporary file goes) */
  const char *unwritable_at;
  char unwritable[512];
};

/* A request goes out or a reply comes in: how many times the state file
 * was written since the last one. */
static void mark_saves(struct script *s)
{
  unsigned long n = snm_state_saves();

  if (n - s->saves_mark > s->saves_burst)
    s->saves_burst = n - s->saves_mark;
  s->saves_mark = n;
}

static int in_preflight(const struct script *s)
{
  return s->step == NULL || strcmp(s->step, "preflight") == 0;
}

static void crash(struct script *s)
{
  FILE *fp = fopen(s->state_path, "rb");

  s->crashed = 1;
  free(s->saved);
  s->saved = NULL;
  s->saved_len = 0;
  if (fp != NULL) {
    char buf[4096];
    size_t n;
    struct snm_buf b;

    snm_buf_init(&b, 0);
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
      assert_int_equal(snm_buf_append(&b, buf, n), 0);
    fclose(fp);
    s->saved_len = b.len;
    s->saved = snm_buf_steal(&b);
    if (s->saved == NULL)
      s->saved = strdup("");
  }
  if (s->loop != NULL && !s->stopped) {
    s->stopped = 1;
    uv_stop(s->loop);
  }
}

/* A whole file, NUL-terminated (malloced), or NULL when it cannot be read. */
static char *read_file_text(const char *path)
{
  FILE *fp = fopen(path, "rb");
  char buf[4096];
  size_t n;
  struct snm_buf b;

  if (fp == NULL)
    return NULL;
  snm_buf_init(&b, 0);
  while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
    assert_int_equal(snm_buf_append(&b, buf, n), 0);
  fclose(fp);
  return b.len > 0 ? snm_buf_steal(&b) : strdup("");
}

/* Put the state file back as it was at the crash. */
static void restore_state_file(struct script *s)
{
  if (s->saved == NULL) {
    unlink(s->state_path);
    return;
  }
  FILE *fp = fopen(s->state_path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(s->saved, 1, s->saved_len, fp), s->saved_len);
  assert_int_equal(fclose(fp), 0);
}

static void on_step(void *data, size_t target, const char *step)
{
  struct script *s = data;

  if (s->crashed)
    return;
  if (target == SNM_RUN_STEP_RUN) {
    int at = run_state(step);
    seen_run[at] = 1;
    if (s->prev_run > 0)
      seen_edge[s->prev_run - 1][at] = 1;
    s->prev_run = at + 1;
  } else {
    int at = target_state(step);
    seen_t[at] = 1;
    if (s->prev_t > 0)
      seen_tedge[s->prev_t - 1][at] = 1;
    s->prev_t = at + 1;
  }
  if (target == SNM_RUN_STEP_RUN && s->unwritable_at != NULL &&
      s->unwritable[0] == '\0' && strcmp(step, s->unwritable_at) == 0) {
    snprintf(s->unwritable, sizeof(s->unwritable), "%s.tmp.%ld", s->state_path,
             (long)getpid());
    assert_int_equal(mkdir(s->unwritable, 0700), 0);
  }
  if (target == SNM_RUN_STEP_RUN) {
    s->step = step;
    if (s->n_run_steps < 32)
      snprintf(s->run_steps[s->n_run_steps++], 24, "%s", step);
  }
  if (++s->steps == s->crash_step ||
      (s->crash_at != NULL && target == SNM_RUN_STEP_RUN &&
       strcmp(step, s->crash_at) == 0))
    crash(s);
}

static void on_closed(uv_handle_t *h)
{
  struct pending *p = h->data;

  free(p->body);
  free(p);
}

static void on_due(uv_timer_t *t)
{
  struct pending *p = t->data;
  struct script *s = p->s;
  struct snm_es_reply reply = {0};
  struct snm_err err;

  snm_err_clear(&err);
  if (p->identity)
    s->identity_inflight--;
  if (p->register_d > 0)
    s->register_inflight[p->register_d - 1]--;
  if (p->canceled || s->crashed) {
    if (!s->stopped && s->loop != NULL) {
      s->stopped = 1;
      uv_stop(s->loop);
    }
    snm_err_set(&err, SNM_ECANCELED, "%s: canceled", p->what);
    p->done(NULL, &err, p->data);
  } else {
    reply.status = p->status;
    reply.body = p->body != NULL ? p->body : "";
    reply.body_len = strlen(reply.body);
    /* a raw request's 2xx reply is read from its body */
    if (!p->raw || p->status < 200 || p->status > 299)
      reply.json = yajl_tree_parse(reply.body, NULL, 0);
    reply.attempts = 1;
    if (p->status == 401 || p->status == 403) {
      snm_err_set(&err, SNM_EAUTH, "%s: HTTP %ld", p->what, p->status);
    } else if (p->status < 200 || p->status > 299) {
      const char *reason = snm_jstr(reply.json, "error", "reason", NULL);
      snm_err_set(&err, SNM_EHTTP, "%s: HTTP %ld %s", p->what, p->status,
                  reason != NULL ? reason : "");
      err.http_status = p->status;
    }
    mark_saves(s);
    p->done(&reply, &err, p->data);
    yajl_tree_free(reply.json);
  }
  uv_close((uv_handle_t *)t, on_closed);
}

static int script_send(void *ctx, const struct snm_request *req,
                       snm_es_done_fn done, void *data, struct snm_err *err)
{
  struct script *s = ctx;
  struct pending *p = calloc(1, sizeof(*p));
  int d = strcmp(req->es->dom->id, "src") == 0 ? 0 : 1;
  int change = strcmp(req->method, "GET") != 0;
  size_t k;

  (void)err;
  assert_non_null(p);
  mark_saves(s);
  s->loop = req->loop;
  p->s = s;
  p->done = done;
  p->data = data;
  p->raw = req->raw;
  snprintf(p->what, sizeof(p->what), "%s: %s %s", req->es->dom->id, req->method,
           req->path);
  k = ++s->requests;
  s->sent[d]++;
  if (d == 1 && strstr(p->what, "index.creation_date,index.uuid") != NULL) {
    p->identity = 1;
    s->identity_inflight++;
  }
  if (d == 1 && strstr(p->what, "/_refresh") != NULL &&
      s->identity_inflight > 0)
    s->refresh_beside_identity = 1;
  if (strcmp(req->method, "PUT") == 0 &&
      strcmp(req->path, "/_snapshot/r") == 0) {
    p->register_d = d + 1;
    s->register_inflight[d]++;
    if (s->register_inflight[1 - d] > 0)
      s->registered_together = 1;
  }
  if (k <= SCRIPT_LOG)
    snprintf(s->log[k - 1], sizeof(s->log[0]), "%.150s", p->what);
  if (s->crashed) {
    p->canceled = 1; /* after the crash: never reaches the cluster */
  } else if (k == s->crash_req) {
    /* the crash comes after the cluster took the request (its reply is
     * lost), or before it went out */
    if (s->crash_applied && change) {
      p->status = answer(s->w, d, req->method, req->path, req->body, &p->body);
      free(p->body);
      p->body = NULL;
    }
    crash(s);
    p->canceled = 1;
  } else {
    if (!in_preflight(s) && s->first_work[0] == '\0' &&
        !(strcmp(req->method, "PUT") == 0 &&
          strcmp(req->path, "/_snapshot/r") == 0))
      snprintf(s->first_work, sizeof(s->first_work), "%s", p->what);
    if (strstr(req->path, "/_settings/index.uuid") != NULL)
      s->probed = 1;
    if (strcmp(req->method, "POST") == 0 &&
        strstr(req->path, "/_restore") != NULL) {
      if (!s->probed)
        violate(s->w, "%s without a check of the target names first", p->what);
      s->probed = 0;
      /* once a restore is out, a resumed run needs nothing more from the
       * source: its "after" counts are on record */
      {
        struct snm_state st;
        struct snm_err e;
        int found = 0;

        snm_state_init(&st);
        if (snm_state_load(&st, &found, s->state_path, &e) != 0 || !found ||
            snm_state_cur(&st)->snapshot.docs_after.len != N_IX)
          violate(s->w, "%s before the source's \"after\" counts were saved",
                  p->what);
        snm_state_dispose(&st);
      }
    }
    p->status = answer(s->w, d, req->method, req->path, req->body, &p->body);
  }
  assert_int_equal(uv_timer_init(req->loop, &p->timer), 0);
  p->timer.data = p;
  assert_int_equal(uv_timer_start(&p->timer, on_due, 0, 0), 0);
  return 0;
}

/* ---- the runs ----------------------------------------------------------- */

struct fx {
  char dir[64];
  char state_path[128];
  struct snm_plan *plan;
  struct world w;
};

static const char *PLAN =
    "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
    "\"src\": {\"endpoint\": \"http://127.0.0.1:1\"},"
    "\"dst\": {\"endpoint\": \"http://127.0.0.1:2\"}},"
    "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
    "{\"location\": \"/x\"}},"
    "\"snapshot\": {\"domain\": \"src\"},"
    "\"restores\": [{\"domain\": \"dst\", \"rename\": {\"pattern\": "
    "\"logs-(.+)\", \"replacement\": \"copy-$1\"}}],"
    "\"metadata\": {\"index_templates\": [\"t*\"], \"component_templates\": "
    "[\"c1\"], \"legacy_templates\": \"l1\", \"ingest_pipelines\": "
    "[\"p*\"], \"rename_patterns\": true},"
    "\"polling\": {\"initial_ms\": 1, \"max_ms\": 2}}";

static const char *PLAN_S3 =
    "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
    "\"src\": {\"endpoint\": \"http://127.0.0.1:1\"},"
    "\"dst\": {\"endpoint\": \"http://127.0.0.1:2\"}},"
    "\"repository\": {\"name\": \"r\", \"type\": \"s3\", \"settings\": "
    "{\"bucket\": \"b\", \"base_path\": \"p\"}},"
    "\"snapshot\": {\"domain\": \"src\"},"
    "\"restores\": [{\"domain\": \"dst\", \"rename\": {\"pattern\": "
    "\"logs-(.+)\", \"replacement\": \"copy-$1\"}}],"
    "\"polling\": {\"initial_ms\": 1, \"max_ms\": 2}}";

static const char *PLAN_KEEP =
    "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
    "\"src\": {\"endpoint\": \"http://127.0.0.1:1\"},"
    "\"dst\": {\"endpoint\": \"http://127.0.0.1:2\"}},"
    "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
    "{\"location\": \"/x\"}, \"keep_snapshots\": 1},"
    "\"snapshot\": {\"domain\": \"src\"},"
    "\"restores\": [{\"domain\": \"dst\", \"rename\": {\"pattern\": "
    "\"logs-(.+)\", \"replacement\": \"copy-$1\"}}],"
    "\"polling\": {\"initial_ms\": 1, \"max_ms\": 2}}";

static const char *PLAN_REPLACE =
    "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
    "\"src\": {\"endpoint\": \"http://127.0.0.1:1\"},"
    "\"dst\": {\"endpoint\": \"http://127.0.0.1:2\"}},"
    "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
    "{\"location\": \"/x\"}},"
    "\"snapshot\": {\"domain\": \"src\"},"
    "\"restores\": [{\"domain\": \"dst\", \"on_conflict\": \"replace\", "
    "\"rename\": {\"pattern\": \"logs-(.+)\", \"replacement\": "
    "\"copy-$1\"}}],"
    "\"polling\": {\"initial_ms\": 1, \"max_ms\": 2}}";

static int fx_setup_plan(void **state, const char *plan);

/* The plan with on_conflict "replace". */
static int fx_setup_replace(void **state)
{
  return fx_setup_plan(state, PLAN_REPLACE);
}

static int fx_setup(void **state)
{
  return fx_setup_plan(state, PLAN);
}

/* The same plan with "keep_snapshots": 1. */
static int fx_setup_s3(void **state)
{
  return fx_setup_plan(state, PLAN_S3);
}

static int fx_setup_keep(void **state)
{
  return fx_setup_plan(state, PLAN_KEEP);
}

static int fx_setup_plan(void **state, const char *plan)
{
  struct fx *fx = calloc(1, sizeof(*fx));

  assert_non_null(fx);
  /* about 2000 state file saves, each with two fsyncs: on a tmpfs when
   * there is one */
  snprintf(fx->dir, sizeof(fx->dir), "%s/snm-dispatch-XXXXXX",
           access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  assert_non_null(mkdtemp(fx->dir));
  snprintf(fx->state_path, sizeof(fx->state_path), "%s/t.state.json", fx->dir);
  setenv("SNAPMIG_LOCK_DIR", fx->dir, 1);
  fx->plan = snm_test_plan_parse(plan, NULL);
  *state = fx;
  return 0;
}

static int fx_teardown(void **state)
{
  struct fx *fx = *state;
  char path[192];

  unlink(fx->state_path);
  snprintf(path, sizeof(path), "%s/t.state.json.lock", fx->dir);
  unlink(path);
  snm_plan_free(fx->plan);
  /* the plan lock's file, whatever its name */
  {
    uv_fs_t req;
    uv_dirent_t ent;
    if (uv_fs_scandir(NULL, &req, fx->dir, 0, NULL) >= 0) {
      while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
        snprintf(path, sizeof(path), "%s/%s", fx->dir, ent.name);
        unlink(path);
      }
    }
    uv_fs_req_cleanup(&req);
  }
  rmdir(fx->dir);
  free(fx);
  return 0;
}

static enum snm_run_result run(struct fx *fx, struct script *s)
{
  struct snm_transport tp = {.send = script_send, .ctx = s};
  struct snm_run_opts o = {0};
  FILE *out = fopen("/dev/null", "w");
  enum snm_run_result r;

  assert_non_null(out);
  o.plan_path = "t.json";
  o.state_path = fx->state_path;
  o.progress = SNM_PROGRESS_JSON;
  o.out = s->events != NULL ? s->events : out;
  o.err = out;
  o.transport = &tp;
  o.on_step = on_step;
  o.on_step_data = s;
  o.sync = s->sync || s->cutover;
  o.cutover = s->cutover;
  o.rollback = s->rollback;
  o.fresh = s->fresh;
  s->w = &fx->w;
  s->state_path = fx->state_path;
  s->saves_mark = snm_state_saves();
  r = snm_workflow_run(fx->plan, &o);
  mark_saves(s);
  fclose(out);
  return r;
}

static void script_dispose(struct script *s)
{
  free(s->saved);
  s->saved = NULL;
}

/* The world saw no broken guarantee (else the first one, as the failure). */
static void no_violations(struct fx *fx)
{
  if (fx->w.violations > 0)
    fail_msg("%s", fx->w.violation);
}

/* The end of a scenario: its script, its world and its state file gone. */
static void scenario_done(struct fx *fx, struct script *s)
{
  script_dispose(s);
  world_dispose(&fx->w);
  unlink(fx->state_path);
}

static void load_state(struct fx *fx, struct snm_state *st, int *found)
{
  struct snm_err err;

  snm_state_init(st);
  assert_int_equal(snm_state_load(st, found, fx->state_path, &err), 0);
}

/* The state file of a finished run: done, every index verified by a count
 * that was compared. */
static void check_done(struct fx *fx)
{
  struct snm_state st;
  int found = 0;

  load_state(fx, &st, &found);
  assert_true(found);
  assert_int_equal(st.step, SNM_STEP_DONE);
  assert_int_equal(snm_state_cur(&st)->n_restores, 1);
  assert_int_equal(snm_state_cur(&st)->restores[0].n_indices, N_IX);
  for (size_t i = 0; i < N_IX; i++) {
    const struct snm_state_index *ix =
        &snm_state_cur(&st)->restores[0].indices[i];
    size_t k = strcmp(ix->target, DST_NAMES[0]) == 0 ? 0 : 1;

    assert_string_equal(ix->target, DST_NAMES[k]);
    assert_int_equal(ix->state, SNM_RESTORE_VERIFIED);
    assert_true(fx->w.counted[k]); /* "verified" follows a count */
    assert_int_equal(ix->docs_found, DOCS[k]);
    assert_true(fx->w.exists[k] && fx->w.ours[k]);
  }
  /* every metadata item on the target with the source's body (renamed),
   * written once, and on record as created; none without the section */
  if (!fx->plan->metadata.present)
    for (size_t i = 0; i < N_META; i++)
      assert_int_equal(fx->w.meta_puts[i], 0);
  assert_int_equal(snm_state_cur(&st)->restores[0].n_meta,
                   fx->plan->metadata.present ? N_META : 0);
  for (size_t i = 0; i < N_META && fx->plan->metadata.present; i++) {
    const struct snm_state_meta *e =
        snm_state_find_meta(&snm_state_cur(&st)->restores[0],
                            snm_meta_kind_word(META[i].kind), META[i].name);
    assert_non_null(e);
    assert_int_equal(e->state, SNM_MSTATE_CREATED);
    assert_non_null(fx->w.meta_have[i]);
    assert_int_equal(
        snm_meta_diff(NULL, META[i].kind, fx->w.meta_have[i],
                      META[i].want != NULL ? META[i].want : META[i].body, 0),
        0);
    assert_int_equal(fx->w.meta_puts[i], 1);
  }
  snm_state_dispose(&st);
}

/* The metadata step's items all on record, each in a final state. */
static int meta_done(const struct snm_state *st)
{
  const struct snm_state_restore *r = &snm_state_cur(st)->restores[0];

  if (r->n_meta == 0)
    return 0;
  for (size_t i = 0; i < r->n_meta; i++)
    if (r->meta[i].state == SNM_MSTATE_PENDING ||
        r->meta[i].state == SNM_MSTATE_CREATING ||
        r->meta[i].state == SNM_MSTATE_REPLACING)
      return 0;
  return 1;
}

/* What the state file left by a crash calls for first after the
 * preflight (and registrations): a prefix of "DOMAIN: METHOD PATH". */
static const char *expected_first(struct fx *fx)
{
  struct snm_state st;
  int found = 0;
  const char *want;

  load_state(fx, &st, &found);
  if (!found)
    want = "src: POST /_msearch"; /* a fresh run: count, take the snapshot */
  else if (st.step == SNM_STEP_DONE)
    want = ""; /* nothing at all */
  else if (snm_state_cur(&st)->snapshot.state != SNM_SNAP_SUCCESS)
    want = "src: GET /_snapshot/r/"; /* look the snapshot up first */
  else if (snm_state_cur(&st)->snapshot.docs_after.len == 0 ||
           snm_state_cur(&st)->snapshot.docs_after.items[0].count ==
               SNM_STATE_UNKNOWN)
    want = "src: POST /logs-"; /* refreshed, then counted after it */
  else if (!meta_done(&st))
    want = "src: GET /_ingest/pipeline"; /* the metadata: the source */
  else
    want = "dst: GET /copy-"; /* the target: check the names, or poll */
  snm_state_dispose(&st);
  return want;
}

/* The last event of type `type` in `fp` (JSON lines), parsed. */
static yajl_val last_event(FILE *fp, const char *type)
{
  char line[8192];
  yajl_val found = NULL;

  rewind(fp);
  while (fgets(line, sizeof(line), fp) != NULL) {
    yajl_val j = yajl_tree_parse(line, NULL, 0);
    const char *t = snm_jstr(j, "type", NULL);

    if (t != NULL && strcmp(t, type) == 0) {
      yajl_tree_free(found);
      found = j;
    } else {
      yajl_tree_free(j);
    }
  }
  if (found == NULL)
    fail_msg("no %s event", type);
  return found;
}

static long long event_int(yajl_val j, const char *k1, const char *k2)
{
  const char *path[] = {k1, k2, NULL};
  yajl_val v = yajl_tree_get(j, path, yajl_t_number);

  if (v == NULL || !YAJL_IS_INTEGER(v))
    fail_msg("no integer %s%s%s in the event", k1, k2 != NULL ? "." : "",
             k2 != NULL ? k2 : "");
  return YAJL_GET_INTEGER(v);
}

static void dump(const struct script *s)
{
  for (size_t i = 0; i < s->requests && i < SCRIPT_LOG; i++)
    fprintf(stderr, "  #%zu %s\n", i + 1, s->log[i]);
}

/* A run with no crash walks the table's `next` chain; returns how many
 * transitions and requests it made. */
static void test_fresh_run(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};
  enum wf_state at = WF_PREFLIGHT;
  size_t k = 0;

  yajl_val done;

  world_init(&fx->w);
  s.events = tmpfile();
  assert_non_null(s.events);
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  /* run.done counts every request the run sent, per domain */
  done = last_event(s.events, "run.done");
  assert_int_equal(event_int(done, "requests", NULL), s.requests);
  assert_int_equal(event_int(done, "requests_by_domain", "src"), s.sent[0]);
  assert_int_equal(event_int(done, "requests_by_domain", "dst"), s.sent[1]);
  assert_true(s.sent[0] > 0 && s.sent[1] > 0);
  yajl_tree_free(done);
  fclose(s.events);
  /* every state a fresh run goes through, in the table's order */
  for (;;) {
    assert_true(k < s.n_run_steps);
    assert_string_equal(s.run_steps[k], wf_step(at)->name);
    k++;
    if (wf_step(at)->next == at)
      break;
    at = wf_step(at)->next;
  }
  assert_int_equal(k, s.n_run_steps);
  /* the state file is written at most once between two requests or
   * replies: changes no request separates share one write (each is a
   * file and a directory fsync) */
  assert_true(s.saves_mark > 0);
  assert_int_equal(s.saves_burst, 1);
  /* verify's refresh goes out beside the restored indices' UUID reads,
   * once (the world checks that every count follows one) */
  assert_true(s.refresh_beside_identity);
  assert_int_equal(fx->w.dst_refreshes, 1);
  /* an fs repository: the target registers once the source's
   * registration (which creates the location's root) answered */
  assert_false(s.registered_together);
  assert_string_equal(s.first_work, "src: POST /_msearch");
  /* every count in one _msearch: the preflight's, before, after, target */
  assert_int_equal(fx->w.msearches, 4);
  assert_int_equal(fx->w.counts, 0);
  assert_non_null(strstr(s.log[s.requests - 1], "dst: POST /_msearch"));
  /* the source's refresh before the "after" counts names every snapshot
   * index in one request (chunks of names), not one request an index */
  {
    size_t refreshes = 0;

    assert_true(s.requests <= SCRIPT_LOG);
    for (size_t i = 0; i < s.requests; i++)
      if (strncmp(s.log[i], "src: POST /", 11) == 0 &&
          strstr(s.log[i], "/_refresh") != NULL) {
        refreshes++;
        assert_non_null(strstr(s.log[i], "/logs-1,logs-2/_refresh"));
      }
    assert_int_equal(refreshes, 1);
  }
  scenario_done(fx, &s);
}

/* The state file cannot be written once the run counts the source
 * before its snapshot: the run stops there, failed, saying why, and
 * sends nothing more (the snapshot PUT's write-ahead record would be
 * missing); the state file left is the one written before. */
static void test_state_unwritable(void **state)
{
  struct fx *fx = *state;
  struct script s = {.unwritable_at = "count_before"};
  FILE *ev = tmpfile();
  size_t sent_before;
  yajl_val failed;

  assert_non_null(ev);
  world_init(&fx->w);
  s.events = ev;
  snm_log_set_level(SNM_LOG_QUIET);
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  snm_log_set_level(SNM_LOG_WARN);
  no_violations(fx);
  assert_true(s.unwritable[0] != '\0');
  assert_int_equal(fx->w.puts, 0);
  sent_before = s.requests;
  for (size_t i = 0; i < s.requests && i < SCRIPT_LOG; i++)
    assert_null(strstr(s.log[i], "/_snapshot/r/snapmig-"));
  failed = last_event(ev, "run.failed");
  {
    const char *path[] = {"error", NULL};
    yajl_val e = yajl_tree_get(failed, path, yajl_t_string);
    const char *msg = e != NULL ? YAJL_GET_STRING(e) : NULL;

    assert_non_null(msg);
    assert_non_null(strstr(msg, s.state_path));
    assert_non_null(strstr(msg, "POST /_msearch was not sent"));
    /* the state file's error, not what a failed count would say */
    assert_null(strstr(msg, "once the source answers"));
  }
  yajl_tree_free(failed);
  fclose(ev);
  {
    struct snm_state st;
    int found = 0;

    load_state(fx, &st, &found);
    assert_true(found);
    assert_int_equal(st.step, SNM_STEP_REPOSITORY);
    snm_state_dispose(&st);
  }
  /* writable again: the same command resumes and finishes */
  assert_int_equal(rmdir(s.unwritable), 0);
  {
    struct script r = {0};

    assert_int_equal(run(fx, &r), SNM_RUN_DONE);
    no_violations(fx);
    check_done(fx);
    assert_int_equal(fx->w.puts, 1);
    assert_true(r.requests > 0 && sent_before > 0);
    script_dispose(&r);
  }
  scenario_done(fx, &s);
}

/* An S3 repository has no root to create: the source and the target
 * register it at once, and the run goes on as with fs. */
static void test_register_s3_together(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  assert_true(s.registered_together);
  assert_non_null(fx->w.repo[0]);
  assert_non_null(fx->w.repo[1]);
  assert_non_null(strstr(fx->w.repo[1], "\"readonly\":true"));
  scenario_done(fx, &s);
}

/* The refresh sent beside the UUID reads fails: verify refreshes again
 * before it counts, and the run is verified. */
static void test_refresh_early_failed(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  fx->w.refresh_fail = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  assert_true(s.refresh_beside_identity);
  assert_int_equal(fx->w.dst_refreshes, 2);
  scenario_done(fx, &s);
}

/* Crash at transition `step` or request `req`, resume, check. */
static void crash_and_resume(struct fx *fx, size_t step, size_t req,
                             int applied, const char *where)
{
  struct script s = {0}, r = {0};
  enum snm_run_result res;
  const char *want;
  int level = snm_log_level();

  world_init(&fx->w);
  s.crash_step = step;
  s.crash_req = req;
  s.crash_applied = applied;
  /* what a crashed run says after its crash (its canceled requests) is
   * never seen in a real crash */
  snm_log_set_level(SNM_LOG_QUIET);
  (void)run(fx, &s);
  snm_log_set_level(level);
  assert_true(s.crashed);
  restore_state_file(&s);
  want = expected_first(fx);
  res = run(fx, &r);
  if (res != SNM_RUN_DONE || fx->w.violations > 0 ||
      strncmp(r.first_work, want, strlen(want)) != 0) {
    fprintf(stderr,
            "crash %s: result %d, first request after the "
            "preflight \"%s\" (want \"%s...\"); %s\nthe crashed "
            "run:\n",
            where, (int)res, r.first_work, want,
            fx->w.violations > 0 ? fx->w.violation : "");
    dump(&s);
    fprintf(stderr, "the resumed run:\n");
    dump(&r);
    fail_msg("crash %s", where);
  }
  if (want[0] == '\0')
    assert_int_equal(r.requests, 0);
  check_done(fx);
  script_dispose(&s);
  script_dispose(&r);
  world_dispose(&fx->w);
  unlink(fx->state_path);
}

/* Every transition and every request of a fresh run is a crash point;
 * each step of the table is entered in some resumed run. */
static void test_crash_everywhere(void **state)
{
  struct fx *fx = *state;
  struct script ref = {0};
  char where[128];

  world_init(&fx->w);
  assert_int_equal(run(fx, &ref), SNM_RUN_DONE);
  world_dispose(&fx->w);
  unlink(fx->state_path);
  assert_true(ref.steps > 10 && ref.requests > 20);
  for (size_t k = 1; k <= ref.steps; k++) {
    snprintf(where, sizeof(where), "at transition %zu", k);
    crash_and_resume(fx, k, 0, 0, where);
  }
  for (size_t k = 1; k <= ref.requests; k++) {
    snprintf(where, sizeof(where), "at request %zu (%.90s), lost", k,
             k <= SCRIPT_LOG ? ref.log[k - 1] : "?");
    crash_and_resume(fx, 0, k, 0, where);
    snprintf(where, sizeof(where), "at request %zu (%.90s), applied", k,
             k <= SCRIPT_LOG ? ref.log[k - 1] : "?");
    crash_and_resume(fx, 0, k, 1, where);
  }
  fprintf(stderr,
          "crashed and resumed at %zu transitions and %zu requests (each "
          "lost and taken)\n",
          ref.steps, ref.requests);
  script_dispose(&ref);
}

/* The request number of the first request whose text holds `what`. */
static size_t request_of(const struct script *s, const char *what)
{
  for (size_t i = 0; i < s->requests && i < SCRIPT_LOG; i++)
    if (strstr(s->log[i], what) != NULL)
      return i + 1;
  fail_msg("no request %s", what);
  return 0;
}

/* A target count that differs: the run fails; the index is not
 * verified, the other one is. */
static void test_count_mismatch(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};
  struct snm_state st;
  int found = 0;

  world_init(&fx->w);
  fx->w.target_docs[1] = DOCS[1] - 1;
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  assert_int_equal(fx->w.violations, 0);
  assert_string_equal(s.run_steps[s.n_run_steps - 1], "stopping");
  load_state(fx, &st, &found);
  assert_true(found);
  assert_int_equal(st.step, SNM_STEP_VERIFY);
  for (size_t i = 0; i < N_IX; i++) {
    const struct snm_state_index *ix =
        &snm_state_cur(&st)->restores[0].indices[i];
    int second = strcmp(ix->target, DST_NAMES[1]) == 0;
    assert_int_equal(ix->state,
                     second ? SNM_RESTORE_FAILED : SNM_RESTORE_VERIFIED);
    assert_int_equal(ix->docs_found, second ? DOCS[1] - 1 : DOCS[0]);
  }
  snm_state_dispose(&st);
  scenario_done(fx, &s);
}

/* The snapshot's listing lags its end once: it is not over until the
 * listing says so; poll again. */
static void test_info_behind_status(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  fx->w.info_lag = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  assert_int_equal(fx->w.violations, 0);
  assert_int_equal(fx->w.info_lag, 0);
  check_done(fx);
  scenario_done(fx, &s);
}

/* The snapshot PUT is taken but its answer is a 502: look it up, adopt
 * it, never PUT it again. */
static void test_put_outcome_unknown(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  fx->w.put_lost = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  assert_true(seen_edge[WF_SNAP_CREATE][WF_SNAP_LOOKUP]);
  check_done(fx);
  scenario_done(fx, &s);
}

/* A crash right after the restore POST was taken; on resume one of its
 * indices is gone, the other has no recovery record yet: the routing
 * table says it is ours (adopted), the gone one is restored again, alone. */
static void test_resume_origin_from_routing(void **state)
{
  struct fx *fx = *state;
  struct script ref = {0}, s = {0}, r = {0};
  size_t post;

  world_init(&fx->w);
  assert_int_equal(run(fx, &ref), SNM_RUN_DONE);
  post = request_of(&ref, "/_restore");
  world_dispose(&fx->w);
  unlink(fx->state_path);

  world_init(&fx->w);
  s.crash_req = post;
  s.crash_applied = 1;
  (void)run(fx, &s);
  assert_true(s.crashed);
  restore_state_file(&s);
  assert_true(fx->w.exists[0] && fx->w.exists[1]);
  fx->w.exists[1] = fx->w.ours[1] = 0;
  fx->w.hide_recovery = 1;
  assert_int_equal(run(fx, &r), SNM_RUN_DONE);
  no_violations(fx);
  assert_true(request_of(&r, "dst: GET /_cluster/state/routing_table/") <
              request_of(&r, "/_restore"));
  assert_true(seen_tedge[WFT_ROUTING][WFT_POST]);
  check_done(fx);
  script_dispose(&ref);
  script_dispose(&s);
  script_dispose(&r);
  world_dispose(&fx->w);
  unlink(fx->state_path);
}

/* ---- a sync round ------------------------------------------------------ */

static void world_copy(struct world *dst, const struct world *src)
{
  *dst = *src;
  for (int d = 0; d < 2; d++)
    dst->repo[d] = src->repo[d] != NULL ? strdup(src->repo[d]) : NULL;
  for (int i = 0; i < N_META; i++)
    dst->meta_have[i] =
        src->meta_have[i] != NULL ? strdup(src->meta_have[i]) : NULL;
}

/* After a sync round: two rounds, two snapshots (one each), every index
 * replaced (closed, restored over from the round's snapshot exactly once,
 * open again), counted and verified. */
static void check_sync_done(struct fx *fx, const char *where)
{
  struct snm_state st;
  int found = 0;

  load_state(fx, &st, &found);
  assert_true(found);
  if (st.step != SNM_STEP_DONE || st.n_rounds != 2 || fx->w.puts != 2)
    fail_msg("sync %s: step %s, %zu rounds, %d snapshots taken", where,
             snm_step_name(st.step), st.n_rounds, fx->w.puts);
  assert_string_not_equal(st.rounds[0].snapshot.name,
                          st.rounds[1].snapshot.name);
  assert_string_equal(st.rounds[1].snapshot.name, fx->w.snap);
  /* keep_snapshots 1: round 1's snapshot is gone, the foreign one stays;
   * else both stay */
  {
    int foreign = 0, first = 0;
    for (int i = 0; i < fx->w.n_old; i++) {
      foreign |= strcmp(fx->w.old[i], "foreign-1") == 0;
      first |= strcmp(fx->w.old[i], st.rounds[0].snapshot.name) == 0;
    }
    if (!foreign || first == (fx->plan->repository.keep_snapshots == 1) ||
        st.rounds[0].snapshot.deleted != !first)
      fail_msg("sync %s: foreign snapshot %s, round 1's %s (recorded "
               "deleted: %d)",
               where, foreign ? "kept" : "GONE", first ? "kept" : "deleted",
               st.rounds[0].snapshot.deleted);
  }
  for (size_t i = 0; i < N_IX; i++) {
    const struct snm_state_index *ix = &st.rounds[1].restores[0].indices[i];
    size_t k = strcmp(ix->target, DST_NAMES[0]) == 0 ? 0 : 1;

    if (ix->state != SNM_RESTORE_VERIFIED || !ix->replace || ix->uuid == NULL ||
        !fx->w.counted[k] || fx->w.closed[k] || fx->w.restored[k] != 1 ||
        strcmp(fx->w.from[k], fx->w.snap) != 0)
      fail_msg("sync %s: %s is %s (replace %d, uuid %s), counted %d, closed "
               "%d, restored %d times from %s",
               where, ix->target, snm_restore_state_name(ix->state),
               ix->replace, ix->uuid != NULL ? ix->uuid : "none",
               fx->w.counted[k], fx->w.closed[k], fx->w.restored[k],
               fx->w.from[k]);
  }
  snm_state_dispose(&st);
}

/* `sync` after a finished run, then crashed at every transition and
 * request of that round and resumed with `sync`: one snapshot per round,
 * nothing restored twice, nothing closed or restored over that the plan
 * did not restore, never an index left closed, verified only after its
 * count was compared. */
static void test_sync_round(void **state)
{
  struct fx *fx = *state;
  struct script first = {0}, ref = {0};
  struct world after_run;
  char *saved;
  size_t saved_len;
  char where[160];

  world_init(&fx->w);
  assert_int_equal(run(fx, &first), SNM_RUN_DONE);
  check_done(fx);
  /* keep the state file and the clusters as the run left them */
  crash(&first);
  saved = first.saved;
  saved_len = first.saved_len;
  first.saved = NULL;
  world_copy(&after_run, &fx->w);
  memset(after_run.counted, 0, sizeof(after_run.counted));

  /* a sync of a plan with no run recorded is refused */
  {
    struct script none = {.sync = 1};
    unlink(fx->state_path);
    assert_int_equal(run(fx, &none), SNM_RUN_REFUSED);
    assert_int_equal(none.requests, 0);
  }

  world_dispose(&fx->w);
  world_copy(&fx->w, &after_run);
  ref.saved = saved;
  ref.saved_len = saved_len;
  ref.state_path = fx->state_path;
  restore_state_file(&ref);
  ref.saved = NULL;
  ref.sync = 1;
  assert_int_equal(run(fx, &ref), SNM_RUN_DONE);
  no_violations(fx);
  check_sync_done(fx, "without a crash");
  assert_true(seen_tedge[WFT_CLOSE][WFT_POST]);

  for (size_t k = 1; k <= ref.steps + ref.requests * 2; k++) {
    struct script s = {.sync = 1}, r = {.sync = 1};
    int level = snm_log_level();
    size_t req = k > ref.steps ? (k - ref.steps + 1) / 2 : 0;

    if (req == 0)
      s.crash_step = k;
    else {
      s.crash_req = req;
      s.crash_applied = (k - ref.steps) % 2 == 0;
    }
    snprintf(where, sizeof(where), "crashed at %s %zu%s",
             req ? "request" : "transition", req ? req : k,
             req ? (s.crash_applied ? " (taken)" : " (lost)") : "");
    world_dispose(&fx->w);
    world_copy(&fx->w, &after_run);
    s.saved = saved;
    s.saved_len = saved_len;
    s.state_path = fx->state_path;
    restore_state_file(&s);
    s.saved = NULL;
    snm_log_set_level(SNM_LOG_QUIET);
    (void)run(fx, &s);
    snm_log_set_level(level);
    if (!s.crashed)
      fail_msg("sync %s: no crash", where);
    restore_state_file(&s);
    if (run(fx, &r) != SNM_RUN_DONE || fx->w.violations > 0) {
      dump(&s);
      fprintf(stderr, "the resumed sync:\n");
      dump(&r);
      fail_msg("sync %s: %s", where,
               fx->w.violations > 0 ? fx->w.violation : "did not finish");
    }
    check_sync_done(fx, where);
    script_dispose(&s);
    script_dispose(&r);
  }
  fprintf(stderr,
          "sync: crashed and resumed at %zu transitions and %zu requests\n",
          ref.steps, ref.requests);
  free(saved);
  world_dispose(&after_run);
  world_dispose(&fx->w);
  script_dispose(&first);
  script_dispose(&ref);
  unlink(fx->state_path);
}

/* One of the run's indices was deleted and made again by hand (another
 * UUID): the sync round refuses before it closes anything, and says why. */
static void test_sync_identity_changed(void **state)
{
  struct fx *fx = *state;
  struct script first = {0}, s = {.sync = 1};
  struct snm_state st;
  int found = 0;

  world_init(&fx->w);
  assert_int_equal(run(fx, &first), SNM_RUN_DONE);
  fx->w.ours[1] = 0; /* someone else's now */
  fx->w.generation[1]++;
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  no_violations(fx);
  assert_false(fx->w.closed[0] || fx->w.closed[1]);
  assert_int_equal(fx->w.puts, 2); /* the round's snapshot was taken */
  for (size_t i = 0; i < s.requests && i < 64; i++)
    if (strstr(s.log[i], "/_close") != NULL ||
        strstr(s.log[i], "/_restore") != NULL)
      fail_msg("the refused round sent %s", s.log[i]);
  load_state(fx, &st, &found);
  assert_true(found);
  assert_int_equal(st.n_rounds, 2);
  assert_int_equal(st.rounds[1].restores[0].state, SNM_RESTORE_FAILED);
  snm_state_dispose(&st);
  script_dispose(&first);
  scenario_done(fx, &s);
}

/* ---- on_conflict replace ------------------------------------------------ */

/* Both target names exist, made by someone else (generation 5), with the
 * source's shard count; the plan says on_conflict "replace". */
static void world_foreign(struct world *w)
{
  world_init(w);
  for (size_t i = 0; i < N_IX; i++) {
    w->exists[i] = 1;
    w->generation[i] = 5;
    w->foreign_ok[i] = 6;
  }
}

/* Every foreign index closed and restored over exactly once, from this
 * run's snapshot, with the UUID the preflight saw, open and verified. */
static void check_replace_done(struct fx *fx, const char *where)
{
  struct snm_state st;
  int found = 0;

  load_state(fx, &st, &found);
  assert_true(found);
  if (st.step != SNM_STEP_DONE || st.n_rounds != 1 || fx->w.puts != 1)
    fail_msg("replace %s: step %s, %zu rounds, %d snapshots taken", where,
             snm_step_name(st.step), st.n_rounds, fx->w.puts);
  for (size_t i = 0; i < N_IX; i++) {
    const struct snm_state_index *ix = &st.rounds[0].restores[0].indices[i];
    size_t k = strcmp(ix->target, DST_NAMES[0]) == 0 ? 0 : 1;
    char uuid[32];

    snprintf(uuid, sizeof(uuid), "u%zu-5", k);
    if (ix->state != SNM_RESTORE_VERIFIED || !ix->replace || ix->uuid == NULL ||
        strcmp(ix->uuid, uuid) != 0 || !fx->w.counted[k] || fx->w.closed[k] ||
        fx->w.restored[k] != 1 || fx->w.generation[k] != 5 ||
        strcmp(fx->w.from[k], fx->w.snap) != 0)
      fail_msg("replace %s: %s is %s (replace %d, uuid %s), counted %d, "
               "closed %d, restored %d times from %s, generation %d",
               where, ix->target, snm_restore_state_name(ix->state),
               ix->replace, ix->uuid != NULL ? ix->uuid : "none",
               fx->w.counted[k], fx->w.closed[k], fx->w.restored[k],
               fx->w.from[k], fx->w.generation[k]);
  }
  snm_state_dispose(&st);
}

/* `run` with on_conflict "replace" over two foreign indices, then crashed
 * at every transition and request and resumed: each is closed and
 * restored over once (never twice), never one of another UUID, and
 * verified after its count. */
static void test_replace_foreign(void **state)
{
  struct fx *fx = *state;
  struct script ref = {0};
  char where[160];

  world_foreign(&fx->w);
  assert_int_equal(run(fx, &ref), SNM_RUN_DONE);
  no_violations(fx);
  check_replace_done(fx, "without a crash");
  assert_true(seen_tedge[WFT_CLOSE][WFT_POST]);
  world_dispose(&fx->w);
  unlink(fx->state_path);
  for (size_t k = 1; k <= ref.steps + ref.requests * 2; k++) {
    struct script s = {0}, r = {0};
    int level = snm_log_level();
    size_t req = k > ref.steps ? (k - ref.steps + 1) / 2 : 0;

    if (req == 0)
      s.crash_step = k;
    else {
      s.crash_req = req;
      s.crash_applied = (k - ref.steps) % 2 == 0;
    }
    snprintf(where, sizeof(where), "crashed at %s %zu%s",
             req ? "request" : "transition", req ? req : k,
             req ? (s.crash_applied ? " (taken)" : " (lost)") : "");
    world_foreign(&fx->w);
    snm_log_set_level(SNM_LOG_QUIET);
    (void)run(fx, &s);
    snm_log_set_level(level);
    if (!s.crashed)
      fail_msg("replace %s: no crash", where);
    restore_state_file(&s);
    if (run(fx, &r) != SNM_RUN_DONE || fx->w.violations > 0) {
      dump(&s);
      fprintf(stderr, "the resumed run:\n");
      dump(&r);
      fail_msg("replace %s: %s", where,
               fx->w.violations > 0 ? fx->w.violation : "did not finish");
    }
    check_replace_done(fx, where);
    script_dispose(&s);
    script_dispose(&r);
    world_dispose(&fx->w);
    unlink(fx->state_path);
  }
  fprintf(stderr,
          "replace: crashed and resumed at %zu transitions and %zu requests\n",
          ref.steps, ref.requests);
  script_dispose(&ref);
}

/* The foreign indices were made anew between the preflight and the
 * restore (another UUID): nothing is closed or restored over. */
static void test_replace_uuid_changed(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_foreign(&fx->w);
  fx->w.regen_at_probe = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  no_violations(fx);
  for (size_t i = 0; i < N_IX; i++) {
    assert_false(fx->w.closed[i]);
    assert_int_equal(fx->w.restored[i], 0);
    assert_int_equal(fx->w.generation[i], 6);
  }
  for (size_t i = 0; i < s.requests && i < SCRIPT_LOG; i++)
    if (strstr(s.log[i], "/_close") != NULL ||
        strstr(s.log[i], "/_restore") != NULL)
      fail_msg("the refused run sent %s", s.log[i]);
  scenario_done(fx, &s);
}

/* The end of the snapshot is the listing's (GET _snapshot/R/S) to say:
 * a _status that fails (it reads the repository) costs the progress
 * only, never the run. */
static void test_status_only_progress(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  fx->w.status_broken = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  assert_true(fx->w.statuses >= 1);
  assert_true(fx->w.snap_done);
  scenario_done(fx, &s);
}

/* Every shard done by the _status, the listing still "IN_PROGRESS" for a
 * while (the server finalizing: seconds at 900 shards): the end is the
 * listing's to tell, and no more _status goes out (it reads every
 * shard's metadata from the repository and has nothing left to say).
 * Finalizing outlasts WF_STATUS_MIN_GAP_MS here, after which a _status
 * would otherwise be due again. */
static void test_snapshot_finalizing(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};
  long long t0 = snm_time_now_ms();

  world_init(&fx->w);
  fx->w.info_lag = 1000000; /* until ended below */
  fx->w.lag_until_ms = t0 + WF_STATUS_MIN_GAP_MS + 300;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  assert_true(snm_time_now_ms() >= fx->w.lag_until_ms);
  assert_int_equal(fx->w.statuses, 1);
  scenario_done(fx, &s);
}

/* A restore that takes more polls than the warm-up: after it, the health
 * request itself is the wait (wait_for_status, answering the moment the
 * indices get there); the run still needs every shard DONE. */
static void test_restore_long_poll(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  fx->w.recover_polls = 14;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  assert_true(fx->w.health_waits >= 1);
  for (size_t i = 0; i < N_IX; i++)
    assert_true(fx->w.recovered[i] >= 14);
  scenario_done(fx, &s);
}

/* A server without _msearch (an old proxy answers 400, no handler): every
 * count is a _count, and the run verifies as before. */
static void test_msearch_refused(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  fx->w.msearch_refused = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  /* the preflight's, then one per count step: each refused once */
  assert_int_equal(fx->w.msearches, 4);
  /* before, after and the target's: one _count per index each */
  assert_int_equal(fx->w.counts, 3 * N_IX);
  scenario_done(fx, &s);
}

/* An _msearch item that is doubtful (a shard failed) is asked again with
 * _count, once; the others are taken from the _msearch. */
static void test_msearch_item_doubtful(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};

  world_init(&fx->w);
  fx->w.msearch_doubt = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_done(fx);
  assert_int_equal(fx->w.msearches, 4);
  assert_int_equal(fx->w.counts, 3); /* before, after, target: index 2 */
  /* the re-ask follows the "before" _msearch (the preflight's is first) */
  {
    size_t re = request_of(&s, "src: GET /logs-2/_count"), n = 0;
    for (size_t i = 0; i + 1 < re; i++)
      n += strstr(s.log[i], "src: POST /_msearch") != NULL;
    assert_int_equal(n, 2);
    assert_true(re < request_of(&s, "src: PUT /_snapshot/r/snapmig-"));
  }
  scenario_done(fx, &s);
}

/* The doubtful item's _count fails too: the run stops in verify, and the
 * index is not verified (its count was never compared). */
static void test_msearch_doubt_count_fails(void **state)
{
  struct fx *fx = *state;
  struct script s = {0};
  struct snm_state st;
  int found = 0;

  world_init(&fx->w);
  fx->w.msearch_doubt = 1;
  fx->w.count_broken = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  assert_int_equal(fx->w.violations, 0);
  load_state(fx, &st, &found);
  assert_true(found);
  assert_int_equal(st.step, SNM_STEP_VERIFY);
  for (size_t i = 0; i < N_IX; i++) {
    const struct snm_state_index *ix =
        &snm_state_cur(&st)->restores[0].indices[i];
    if (strcmp(ix->target, DST_NAMES[1]) == 0)
      assert_int_not_equal(ix->state, SNM_RESTORE_VERIFIED);
  }
  snm_state_dispose(&st);
  scenario_done(fx, &s);
}

/* ---- cutover ------------------------------------------------------------ */

static const char *PLAN_CUT =
    "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
    "\"src\": {\"endpoint\": \"http://127.0.0.1:1\"},"
    "\"dst\": {\"endpoint\": \"http://127.0.0.1:2\"}},"
    "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
    "{\"location\": \"/x\"}},"
    "\"snapshot\": {\"domain\": \"src\"},"
    "\"restores\": [{\"domain\": \"dst\", \"rename\": {\"pattern\": "
    "\"logs-(.+)\", \"replacement\": \"copy-$1\"}, \"verify\": \"sample\"}],"
    "\"cutover\": {\"aliases\": [{\"alias\": \"live\", \"index\": "
    "\"copy-1\"}]},"
    "\"polling\": {\"initial_ms\": 1, \"max_ms\": 2}}";

static const char *PLAN_CUT_KEEP =
    "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
    "\"src\": {\"endpoint\": \"http://127.0.0.1:1\"},"
    "\"dst\": {\"endpoint\": \"http://127.0.0.1:2\"}},"
    "\"repository\": {\"name\": \"r\", \"type\": \"fs\", \"settings\": "
    "{\"location\": \"/x\"}},"
    "\"snapshot\": {\"domain\": \"src\"},"
    "\"restores\": [{\"domain\": \"dst\", \"rename\": {\"pattern\": "
    "\"logs-(.+)\", \"replacement\": \"copy-$1\"}}],"
    "\"cutover\": {\"aliases\": [{\"alias\": \"live\", \"index\": "
    "\"copy-1\", \"target\": \"dst\"}], \"keep_blocked_on_failure\": true},"
    "\"polling\": {\"initial_ms\": 1, \"max_ms\": 2}}";

static int fx_setup_cut(void **state)
{
  return fx_setup_plan(state, PLAN_CUT);
}

static int fx_setup_cut_keep(void **state)
{
  return fx_setup_plan(state, PLAN_CUT_KEEP);
}

/* The previous value recorded for source index `name`, or -3. */
static int recorded_previous(const struct snm_state_cutover *c,
                             const char *name)
{
  for (size_t i = 0; i < c->n_blocks; i++)
    if (strcmp(c->blocks[i].index, name) == 0)
      return c->blocks[i].previous;
  return -3;
}

/* After a finished cutover round `round`: one snapshot per round, every
 * index replaced once and verified after its count, the source blocked
 * (and its previous values on record as they were), the alias moved by
 * exactly one effective POST /_aliases, the downtime on record. */
static void check_cutover_done(struct fx *fx, unsigned round, const int *before,
                               const char *where)
{
  struct snm_state st;
  const struct snm_state_cutover *c;
  int found = 0;

  load_state(fx, &st, &found);
  assert_true(found);
  if (st.step != SNM_STEP_DONE || st.n_rounds != round ||
      fx->w.puts != (int)round)
    fail_msg("cutover %s: step %s, %zu rounds, %d snapshots taken", where,
             snm_step_name(st.step), st.n_rounds, fx->w.puts);
  c = &st.rounds[round - 1].cutover;
  if (c->state != SNM_CUT_DONE || !c->source_blocked || c->n_blocks != N_IX ||
      c->n_aliases != 1 || !c->aliases[0].switched ||
      c->aliases[0].n_holders != 1 ||
      strcmp(c->aliases[0].holders[0], "old-live") != 0)
    fail_msg("cutover %s: cutover %s, source_blocked %d, %zu blocks, %zu "
             "aliases",
             where, snm_cutover_state_name(c->state), c->source_blocked,
             c->n_blocks, c->n_aliases);
  for (size_t i = 0; i < N_IX; i++) {
    if (recorded_previous(c, SRC_NAMES[i]) != before[i])
      fail_msg("cutover %s: %s's previous block recorded %d, was %d", where,
               SRC_NAMES[i], recorded_previous(c, SRC_NAMES[i]), before[i]);
    if (fx->w.src_block[i] != 1)
      fail_msg("cutover %s: %s is not write-blocked (%d)", where, SRC_NAMES[i],
               fx->w.src_block[i]);
  }
  if (c->blocked_ms == SNM_STATE_UNKNOWN || c->verified_ms < c->blocked_ms ||
      c->switched_ms < c->verified_ms)
    fail_msg("cutover %s: times blocked %lld verified %lld switched %lld",
             where, c->blocked_ms, c->verified_ms, c->switched_ms);
  if (fx->w.block_api < 1)
    fail_msg("cutover %s: the block was not set through _block/write "
             "(which waits for the writes in flight)",
             where);
  if (fx->w.sample_draws < 1 || fx->w.mgets < 1)
    fail_msg("cutover %s: verify sample: %d draws, %d _mget", where,
             fx->w.sample_draws, fx->w.mgets);
  if (strcmp(fx->w.alias_on, DST_NAMES[0]) != 0 || fx->w.alias_posts != 1)
    fail_msg("cutover %s: alias on [%s] after %d effective POST /_aliases",
             where, fx->w.alias_on, fx->w.alias_posts);
  for (size_t i = 0; i < N_IX; i++) {
    const struct snm_state_index *ix =
        &st.rounds[round - 1].restores[0].indices[i];
    size_t k = strcmp(ix->target, DST_NAMES[0]) == 0 ? 0 : 1;

    if (ix->state != SNM_RESTORE_VERIFIED || !fx->w.counted[k] ||
        fx->w.closed[k] || fx->w.restored[k] != 1 ||
        ix->docs_found != DOCS[k] || strcmp(fx->w.from[k], fx->w.snap) != 0)
      fail_msg("cutover %s: %s is %s, counted %d, closed %d, restored %d "
               "times",
               where, ix->target, snm_restore_state_name(ix->state),
               fx->w.counted[k], fx->w.closed[k], fx->w.restored[k]);
  }
  snm_state_dispose(&st);
}

/* Run round 1 (`snapmig run`) and keep the state file and the world. */
static char *first_round(struct fx *fx, size_t *len, struct world *after)
{
  struct script first = {0};
  char *saved;

  world_init(&fx->w);
  assert_int_equal(run(fx, &first), SNM_RUN_DONE);
  crash(&first);
  saved = first.saved;
  *len = first.saved_len;
  first.saved = NULL;
  script_dispose(&first);
  world_copy(after, &fx->w);
  memset(after->counted, 0, sizeof(after->counted));
  after->cutover = 1;
  world_dispose(&fx->w);
  memset(&fx->w, 0, sizeof(fx->w));
  return saved;
}

static void reset_to(struct fx *fx, const struct world *w, const char *saved,
                     size_t len)
{
  struct script tmp = {0};

  world_dispose(&fx->w);
  world_copy(&fx->w, w);
  tmp.saved = (char *)saved;
  tmp.saved_len = len;
  tmp.state_path = fx->state_path;
  restore_state_file(&tmp);
}

/* `cutover` after a finished run, then crashed at every transition and
 * request of that round and resumed with `cutover`. */
static void test_cutover_round(void **state)
{
  struct fx *fx = *state;
  struct script ref = {.cutover = 1};
  struct world after_run;
  size_t saved_len;
  char *saved = first_round(fx, &saved_len, &after_run);
  const int before[N_IX] = {-1, 0};
  char where[160];
  yajl_val done;

  reset_to(fx, &after_run, saved, saved_len);
  ref.events = tmpfile();
  assert_non_null(ref.events);
  assert_int_equal(run(fx, &ref), SNM_RUN_DONE);
  no_violations(fx);
  check_cutover_done(fx, 2, before, "without a crash");
  /* the downtime in cutover.done and run.done */
  done = last_event(ref.events, "cutover.done");
  assert_true(event_int(done, "downtime_ms", NULL) >= 0);
  assert_true(event_int(done, "switch_downtime_ms", NULL) >=
              event_int(done, "downtime_ms", NULL));
  yajl_tree_free(done);
  done = last_event(ref.events, "run.done");
  assert_true(event_int(done, "downtime_ms", NULL) >= 0);
  yajl_tree_free(done);
  fclose(ref.events);
  ref.events = NULL;

  for (size_t k = 1; k <= ref.steps + ref.requests * 2; k++) {
    struct script s = {.cutover = 1}, r = {.cutover = 1};
    int level = snm_log_level();
    size_t req = k > ref.steps ? (k - ref.steps + 1) / 2 : 0;

    if (req == 0)
      s.crash_step = k;
    else {
      s.crash_req = req;
      s.crash_applied = (k - ref.steps) % 2 == 0;
    }
    snprintf(where, sizeof(where), "crashed at %s %zu%s",
             req ? "request" : "transition", req ? req : k,
             req ? (s.crash_applied ? " (taken)" : " (lost)") : "");
    reset_to(fx, &after_run, saved, saved_len);
    snm_log_set_level(SNM_LOG_QUIET);
    (void)run(fx, &s);
    if (!s.crashed)
      fail_msg("cutover %s: no crash", where);
    restore_state_file(&s);
    if (run(fx, &r) != SNM_RUN_DONE || fx->w.violations > 0) {
      snm_log_set_level(level);
      dump(&s);
      fprintf(stderr, "the resumed cutover:\n");
      dump(&r);
      fail_msg("cutover %s: %s", where,
               fx->w.violations > 0 ? fx->w.violation : "did not finish");
    }
    snm_log_set_level(level);
    check_cutover_done(fx, 2, before, where);
    script_dispose(&s);
    script_dispose(&r);
  }
  fprintf(stderr,
          "cutover: crashed and resumed at %zu transitions and %zu requests\n",
          ref.steps, ref.requests);
  free(saved);
  world_dispose(&after_run);
  world_dispose(&fx->w);
  script_dispose(&ref);
  unlink(fx->state_path);
}

/* `cutover` as the very first round: no `run` before it. */
static void test_cutover_first_round(void **state)
{
  struct fx *fx = *state;
  struct script s = {.cutover = 1};
  const int before[N_IX] = {-1, 0};

  unlink(fx->state_path);
  world_init(&fx->w);
  fx->w.cutover = 1;
  assert_int_equal(run(fx, &s), SNM_RUN_DONE);
  no_violations(fx);
  check_cutover_done(fx, 1, before, "as the first round");
  world_dispose(&fx->w);
  script_dispose(&s);
  unlink(fx->state_path);
}

/* The source's blocks as they were before, the round rolled back, the
 * alias untouched. */
static void check_rolled_back(struct fx *fx, const int *before,
                              const char *where)
{
  struct snm_state st;
  const struct snm_state_cutover *c;
  int found = 0;

  load_state(fx, &st, &found);
  assert_true(found);
  c = &snm_state_cur(&st)->cutover;
  for (size_t i = 0; i < N_IX; i++)
    if (fx->w.src_block[i] != before[i] ||
        recorded_previous(c, SRC_NAMES[i]) != before[i])
      fail_msg("rollback %s: %s's block is %d (recorded previous %d), was %d",
               where, SRC_NAMES[i], fx->w.src_block[i],
               recorded_previous(c, SRC_NAMES[i]), before[i]);
  if (c->state != SNM_CUT_ROLLED_BACK || c->source_blocked ||
      st.step != SNM_STEP_DONE || strcmp(fx->w.alias_on, "old-live") != 0 ||
      fx->w.alias_posts != 0)
    fail_msg("rollback %s: cutover %s, source_blocked %d, step %s, alias on "
             "[%s]",
             where, snm_cutover_state_name(c->state), c->source_blocked,
             snm_step_name(st.step), fx->w.alias_on);
  snm_state_dispose(&st);
}

/* A failure between the block and the restore (the restore POST fails):
 * the blocks go back to their previous values, the run fails; crashed
 * anywhere and resumed, the same. */
static void test_cutover_failure_rolls_back(void **state)
{
  struct fx *fx = *state;
  struct script ref = {.cutover = 1};
  struct world after_run;
  size_t saved_len;
  char *saved = first_round(fx, &saved_len, &after_run);
  const int before[N_IX] = {-1, 0};
  char where[160];

  after_run.restore_fail = 1;
  reset_to(fx, &after_run, saved, saved_len);
  snm_log_set_level(SNM_LOG_QUIET);
  assert_int_equal(run(fx, &ref), SNM_RUN_FAILED);
  snm_log_set_level(SNM_LOG_WARN);
  no_violations(fx);
  check_rolled_back(fx, before, "without a crash");
  assert_true(seen_edge[WF_ROLLBACK][WF_STOPPING]);

  for (size_t k = 1; k <= ref.steps + ref.requests * 2; k++) {
    struct script s = {.cutover = 1}, r = {.cutover = 1};
    int level = snm_log_level();
    size_t req = k > ref.steps ? (k - ref.steps + 1) / 2 : 0;
    enum snm_run_result res;

    if (req == 0)
      s.crash_step = k;
    else {
      s.crash_req = req;
      s.crash_applied = (k - ref.steps) % 2 == 0;
    }
    snprintf(where, sizeof(where), "crashed at %s %zu%s",
             req ? "request" : "transition", req ? req : k,
             req ? (s.crash_applied ? " (taken)" : " (lost)") : "");
    reset_to(fx, &after_run, saved, saved_len);
    snm_log_set_level(SNM_LOG_QUIET);
    (void)run(fx, &s);
    if (!s.crashed) { /* the crash point lies past the end of this run */
      snm_log_set_level(level);
      script_dispose(&s);
      continue;
    }
    restore_state_file(&s);
    res = run(fx, &r);
    snm_log_set_level(level);
    if (res == SNM_RUN_INTERRUPTED || res == SNM_RUN_REFUSED ||
        fx->w.violations > 0) {
      dump(&s);
      fprintf(stderr, "the resumed cutover:\n");
      dump(&r);
      fail_msg("rollback %s: %s", where,
               fx->w.violations > 0 ? fx->w.violation : "ended badly");
    }
    check_rolled_back(fx, before, where);
    script_dispose(&s);
    script_dispose(&r);
  }
  free(saved);
  world_dispose(&after_run);
  world_dispose(&fx->w);
  script_dispose(&ref);
  unlink(fx->state_path);
}

/* verify "sample": a sampled document whose _source differs on the
 * target fails the round before the switch, naming index and _id; the
 * blocks go back. */
static void test_cutover_sample_differs(void **state)
{
  struct fx *fx = *state;
  struct script s = {.cutover = 1};
  struct world after_run;
  size_t saved_len;
  char *saved = first_round(fx, &saved_len, &after_run);
  const int before[N_IX] = {-1, 0};
  FILE *ev = tmpfile();
  yajl_val failed;

  assert_non_null(ev);
  after_run.sample_differ = 1;
  reset_to(fx, &after_run, saved, saved_len);
  s.events = ev;
  snm_log_set_level(SNM_LOG_QUIET);
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  snm_log_set_level(SNM_LOG_WARN);
  no_violations(fx);
  check_rolled_back(fx, before, "after a sample mismatch");
  failed = last_event(ev, "run.failed");
  {
    const char *path[] = {"error", NULL};
    yajl_val e = yajl_tree_get(failed, path, yajl_t_string);
    const char *msg = e != NULL ? YAJL_GET_STRING(e) : NULL;

    assert_non_null(msg);
    assert_non_null(strstr(msg, "_id \"b\": _source differs"));
    assert_non_null(strstr(msg, "put back to their previous"));
  }
  yajl_tree_free(failed);
  fclose(ev);
  free(saved);
  world_dispose(&after_run);
  world_dispose(&fx->w);
  script_dispose(&s);
  unlink(fx->state_path);
}

/* The target refuses POST /_aliases (nothing moved, read back): the
 * switch did not happen, so the blocks go back like any failure before
 * it. */
static void test_cutover_switch_refused(void **state)
{
  struct fx *fx = *state;
  struct script s = {.cutover = 1};
  struct world after_run;
  size_t saved_len;
  char *saved = first_round(fx, &saved_len, &after_run);
  const int before[N_IX] = {-1, 0};

  after_run.alias_refused = 1;
  reset_to(fx, &after_run, saved, saved_len);
  snm_log_set_level(SNM_LOG_QUIET);
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  snm_log_set_level(SNM_LOG_WARN);
  no_violations(fx);
  check_rolled_back(fx, before, "after a refused switch");
  free(saved);
  world_dispose(&after_run);
  world_dispose(&fx->w);
  script_dispose(&s);
  unlink(fx->state_path);
}

/* keep_blocked_on_failure: a failure leaves the blocks on (an index that
 * was blocked before stays so either way); --rollback lifts them, and is
 * refused when there is nothing left to lift. */
static void test_cutover_keep_blocked_and_rollback(void **state)
{
  struct fx *fx = *state;
  struct script s = {.cutover = 1}, rb = {.cutover = 1, .rollback = 1},
                again = {.cutover = 1, .rollback = 1};
  struct world after_run;
  size_t saved_len;
  char *saved = first_round(fx, &saved_len, &after_run);
  const int before[N_IX] = {-1, 1};
  struct snm_state st;
  int found = 0;

  after_run.restore_fail = 1;
  after_run.src_block[1] = 1; /* blocked before the cutover */
  reset_to(fx, &after_run, saved, saved_len);
  snm_log_set_level(SNM_LOG_QUIET);
  assert_int_equal(run(fx, &s), SNM_RUN_FAILED);
  assert_int_equal(fx->w.src_block[0], 1);
  assert_int_equal(fx->w.src_block[1], 1);
  load_state(fx, &st, &found);
  assert_int_equal(snm_state_cur(&st)->cutover.state, SNM_CUT_BLOCKED);
  assert_true(snm_state_cur(&st)->cutover.source_blocked);
  snm_state_dispose(&st);
  /* `sync` and `run` leave an unfinished cutover to cutover (its blocks
   * would be forgotten): refused, nothing sent */
  {
    struct script sy = {.sync = 1}, ru = {0};

    assert_int_equal(run(fx, &sy), SNM_RUN_REFUSED);
    assert_int_equal(sy.requests, 0);
    assert_int_equal(run(fx, &ru), SNM_RUN_REFUSED);
    assert_int_equal(ru.requests, 0);
  }
  /* nor does `run --fresh` set the state file aside: the blocks on
   * record would be forgotten; the file stays where it was */
  {
    struct script fr = {.fresh = 1};
    char *was = read_file_text(fx->state_path), *after;

    assert_int_equal(run(fx, &fr), SNM_RUN_REFUSED);
    assert_int_equal(fr.requests, 0);
    after = read_file_text(fx->state_path);
    assert_non_null(after);
    assert_string_equal(was, after);
    free(was);
    free(after);
  }
  /* --rollback, crashed at each of its requests (taken) and resumed */
  {
    struct script keep = {0};
    struct world w;
    char *blocked;
    size_t blen;

    keep.state_path = fx->state_path;
    crash(&keep); /* the state file as the failure left it */
    blocked = keep.saved;
    blen = keep.saved_len;
    keep.saved = NULL;
    world_copy(&w, &fx->w);
    for (size_t req = 1;; req++) {
      struct script c = {.cutover = 1,
                         .rollback = 1,
                         .crash_req = req,
                         .crash_applied = 1},
                    res = {.cutover = 1, .rollback = 1};
      int crashed;

      reset_to(fx, &w, blocked, blen);
      (void)run(fx, &c);
      crashed = c.crashed;
      if (crashed) {
        restore_state_file(&c);
        assert_int_equal(run(fx, &res), SNM_RUN_DONE);
      }
      check_rolled_back(fx, before, "--rollback after a crash");
      script_dispose(&c);
      script_dispose(&res);
      if (!crashed)
        break;
    }
    reset_to(fx, &w, blocked, blen);
    free(blocked);
    world_dispose(&w);
  }
  assert_int_equal(run(fx, &rb), SNM_RUN_DONE);
  no_violations(fx);
  check_rolled_back(fx, before, "--rollback");
  /* nothing left to lift */
  assert_int_equal(run(fx, &again), SNM_RUN_REFUSED);
  snm_log_set_level(SNM_LOG_WARN);
  free(saved);
  world_dispose(&after_run);
  world_dispose(&fx->w);
  script_dispose(&s);
  script_dispose(&rb);
  script_dispose(&again);
  unlink(fx->state_path);
}

/* Stopped right after the switch: --rollback refuses (writes may go to
 * the target), the blocks stay; `cutover` finishes without unblocking. */
static void test_cutover_no_rollback_after_switch(void **state)
{
  struct fx *fx = *state;
  struct script s = {.cutover = 1, .crash_at = "unblock"},
                rb = {.cutover = 1, .rollback = 1}, r = {.cutover = 1};
  struct world after_run;
  size_t saved_len;
  char *saved = first_round(fx, &saved_len, &after_run);
  const int before[N_IX] = {-1, 0};

  reset_to(fx, &after_run, saved, saved_len);
  snm_log_set_level(SNM_LOG_QUIET);
  (void)run(fx, &s);
  assert_true(s.crashed);
  restore_state_file(&s);
  assert_int_equal(run(fx, &rb), SNM_RUN_REFUSED);
  assert_int_equal(rb.requests, 0);
  assert_int_equal(fx->w.src_block[0], 1);
  assert_int_equal(fx->w.src_block[1], 1);
  assert_int_equal(run(fx, &r), SNM_RUN_DONE);
  snm_log_set_level(SNM_LOG_WARN);
  no_violations(fx);
  check_cutover_done(fx, 2, before, "after a stop at the switch");
  free(saved);
  world_dispose(&after_run);
  world_dispose(&fx->w);
  script_dispose(&s);
  script_dispose(&rb);
  script_dispose(&r);
  unlink(fx->state_path);
}

/* Every row of both tables was entered, and every `next` taken, by the
 * tests above (they run first). */
static void test_every_step_covered(void **state)
{
  (void)state;
  for (int i = 0; i < WF_N_STATES; i++) {
    const struct wf_step *row = wf_step((enum wf_state)i);
    if (!seen_run[i])
      fail_msg("run step %s was never entered", row->name);
    if (row->next != (enum wf_state)i && !seen_edge[i][row->next])
      fail_msg("run step %s never went on to %s", row->name,
               wf_step(row->next)->name);
  }
  for (int i = 0; i < WFT_N_STATES; i++) {
    const struct wf_tstep *row = wf_tstep((enum wf_tstate)i);
    if (!seen_t[i])
      fail_msg("target step %s was never entered", row->name);
    if (row->next != (enum wf_tstate)i && !seen_tedge[i][row->next])
      fail_msg("target step %s never went on to %s", row->name,
               wf_tstep(row->next)->name);
  }
  /* and the resume and retry branches */
  /* (the registrations go on to the block row, which decides: a
   * cutover's block first, then the snapshot, its lookup, its "after"
   * counts or the restores) */
  assert_true(seen_edge[WF_BLOCK][WF_SNAP_LOOKUP]);
  assert_true(seen_edge[WF_BLOCK][WF_COUNT_AFTER]);
  assert_true(seen_edge[WF_BLOCK][WF_METADATA]);
  assert_true(seen_edge[WF_VERIFY][WF_ROLLBACK] ||
              seen_edge[WF_RESTORE][WF_ROLLBACK]);
  assert_true(seen_edge[WF_SNAP_LOOKUP][WF_SNAP_CREATE]);
  assert_true(seen_edge[WF_SNAP_LOOKUP][WF_COUNT_BEFORE]);
  assert_true(seen_tedge[WFT_LIST][WFT_POST]);
  assert_true(seen_tedge[WFT_WAITING][WFT_RECOVER]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fresh_run, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_state_unwritable, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_refresh_early_failed, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_register_s3_together, fx_setup_s3,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_crash_everywhere, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_count_mismatch, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_info_behind_status, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_put_outcome_unknown, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_resume_origin_from_routing, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_sync_round, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_sync_identity_changed, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_sync_round, fx_setup_keep,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_snapshot_finalizing, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_status_only_progress, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_restore_long_poll, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_msearch_refused, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_msearch_item_doubtful, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_msearch_doubt_count_fails, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_cutover_round, fx_setup_cut,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_cutover_first_round, fx_setup_cut,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_cutover_failure_rolls_back,
                                      fx_setup_cut, fx_teardown),
      cmocka_unit_test_setup_teardown(test_cutover_sample_differs, fx_setup_cut,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_cutover_switch_refused, fx_setup_cut,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_cutover_keep_blocked_and_rollback,
                                      fx_setup_cut_keep, fx_teardown),
      cmocka_unit_test_setup_teardown(test_cutover_no_rollback_after_switch,
                                      fx_setup_cut, fx_teardown),
      cmocka_unit_test_setup_teardown(test_replace_foreign, fx_setup_replace,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_replace_uuid_changed,
                                      fx_setup_replace, fx_teardown),
      cmocka_unit_test(test_every_step_covered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
