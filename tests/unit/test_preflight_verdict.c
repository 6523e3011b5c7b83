/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for preflight_verdict.c (and the fact helpers in preflight.c):
 * verdicts computed from hand-built facts, no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "plan.h"
#include "plan_fixture.h"
#include "preflight.h"
#include "preflight_int.h"
#include "report_check.h"

/* ---- fixture ------------------------------------------------------------- */

/* A plan: source "src", target "dst" (and "dst2"), one or two restores. */
static char *plan_text(const char *domains_extra, const char *repo,
                       const char *snapshot, const char *restores)
{
  static char buf[4096];
  snprintf(buf, sizeof(buf),
           "{\"snapmig\": 1, \"name\": \"t\",\n"
           " \"domains\": {\"src\": {\"endpoint\": \"http://127.0.0.1:1\"},\n"
           "   \"dst\": {\"endpoint\": \"http://127.0.0.1:2\"},\n"
           "   \"dst2\": {\"endpoint\": \"http://127.0.0.1:3\"}%s},\n"
           " \"repository\": %s,\n"
           " \"snapshot\": %s,\n"
           " \"restores\": %s}",
           domains_extra, repo, snapshot, restores);
  return buf;
}

#define REPO                                                                   \
  "{\"name\": \"r\", \"type\": \"fs\", \"settings\": {\"location\": \"/x\"}}"

static void reach(struct snm_pf_domain *d, enum snm_engine e, const char *ver,
                  long data_nodes)
{
  d->reached = 1;
  assert_int_equal(snm_version_parse(&d->info.version, e, ver), 0);
  snprintf(d->info.number, sizeof(d->info.number), "%s", ver);
  snprintf(d->health, sizeof(d->health), "green");
  d->data_nodes = data_nodes;
  d->open_shards = 0;
  d->max_shards_per_node = 1000;
  d->disk_avail = d->disk_usable = 1LL << 40;
  d->existing_known = d->aliases_known = 1;
  d->streams_known = d->templates_known = 1;
  d->repo_state = SNM_PF_REPO_ABSENT;
}

static struct snm_plan *plan;
static struct snm_preflight pf;

/* Plan + facts: every domain reached (OpenSearch 2.19.6, one data node). */
static void setup(const char *text)
{
  plan = snm_test_plan_parse(text, NULL);
  snm_preflight_init(&pf);
  assert_int_equal(snm_preflight_facts_alloc(&pf, plan), 0);
  snprintf(pf.snapshot_name, sizeof(pf.snapshot_name), "snap-1");
  for (size_t i = 0; i < pf.n_domains; i++)
    reach(&pf.domains[i], SNM_ENGINE_OPENSEARCH, "2.19.6", 1);
  pf.indices_known = 1;
}

static void teardown(void)
{
  snm_preflight_dispose(&pf);
  snm_plan_free(plan);
  plan = NULL;
}

static struct snm_pf_index *add_ix(const char *name, long long bytes,
                                   long shards, long replicas, long version_id)
{
  struct snm_pf_index *ix = snm_preflight_add_index(&pf, name);
  assert_non_null(ix);
  ix->docs = 10;
  ix->pri_bytes = bytes;
  ix->shards = shards;
  ix->replicas = replicas;
  ix->version_id = version_id;
  if (version_id != 0)
    assert_int_equal(snm_version_from_id(&ix->created, version_id), 0);
  return ix;
}

static void add_existing(size_t d, const char *name, int closed)
{
  struct snm_pf_domain *dom = &pf.domains[d];
  dom->existing =
      realloc(dom->existing, (dom->n_existing + 1) * sizeof(*dom->existing));
  assert_non_null(dom->existing);
  memset(&dom->existing[dom->n_existing], 0, sizeof(*dom->existing));
  dom->existing[dom->n_existing].name = strdup(name);
  dom->existing[dom->n_existing++].closed = closed;
}

static void add_alias(size_t d, const char *alias, const char *index)
{
  struct snm_pf_domain *dom = &pf.domains[d];
  dom->aliases =
      realloc(dom->aliases, (dom->n_aliases + 1) * sizeof(*dom->aliases));
  assert_non_null(dom->aliases);
  dom->aliases[dom->n_aliases].alias = strdup(alias);
  dom->aliases[dom->n_aliases++].index = strdup(index);
}

static size_t count_issues(enum snm_pf_severity sev, const char *code)
{
  size_t n = 0;
  for (size_t i = 0; i < pf.n_issues; i++)
    if (pf.issues[i].severity == sev && strcmp(pf.issues[i].code, code) == 0)
      n++;
  return n;
}

static const char *issue_msg(const char *code)
{
  for (size_t i = 0; i < pf.n_issues; i++)
    if (strcmp(pf.issues[i].code, code) == 0)
      return pf.issues[i].message;
  fail_msg("no issue %s", code);
  return NULL;
}

static const struct snm_pf_item *item(size_t r, const char *source)
{
  for (size_t i = 0; i < pf.restores[r].n_items; i++)
    if (strcmp(pf.indices[pf.restores[r].items[i].index].name, source) == 0)
      return &pf.restores[r].items[i];
  return NULL;
}

static void verdict(void)
{
  assert_int_equal(snm_preflight_verdict(&pf), 0);
  /* blockers come first */
  for (size_t i = 0; i < pf.n_issues; i++)
    assert_int_equal(pf.issues[i].severity,
                     i < pf.n_blockers ? SNM_PF_BLOCKER : SNM_PF_WARNING);
}

#define SNAP "{\"domain\": \"src\"}"

/* ---- tests --------------------------------------------------------------- */

static void test_rename_prediction(void **state)
{
  (void)state;
  setup(plan_text(
      "", REPO, SNAP,
      "[{\"domain\": \"dst\", \"indices\": \"logs-*\", \"rename\": "
      "{\"pattern\": \"^logs-(\\\\d+)$\", \"replacement\": \"old-$1\"}},"
      " {\"domain\": \"dst\", \"indices\": \"app-*\", \"rename\": "
      "{\"pattern\": \"(?<y>\\\\d{4})\\\\.(?<m>\\\\d\\\\d)\", "
      "\"replacement\": \"${m}-${y}\\\\$\"}},"
      " {\"domain\": \"dst2\", \"rename\": {\"pattern\": \"^\", "
      "\"replacement\": \"x-\"}}]"));
  add_ix("logs-1", 100, 1, 0, 0);
  add_ix("logs-x", 100, 1, 0, 0);
  add_ix("app-2024.05", 100, 1, 0, 0);
  add_ix("metrics", 100, 1, 0, 0);
  verdict();
  assert_int_equal(pf.n_blockers, 0);
  assert_string_equal(item(0, "logs-1")->target_name, "old-1");
  assert_string_equal(item(0, "logs-x")->target_name, "logs-x"); /* no match */
  assert_null(item(0, "metrics"));
  assert_string_equal(item(1, "app-2024.05")->target_name, "app-05-2024$");
  assert_int_equal(pf.restores[2].n_items, 4);
  assert_string_equal(item(2, "metrics")->target_name, "x-metrics");
  assert_int_equal(item(2, "metrics")->action, SNM_PF_RESTORE);
  assert_string_equal(item(2, "metrics")->verdict, "ok");
  teardown();
}

static void test_collisions(void **state)
{
  (void)state;
  /* within one restore: a-1 and b-1 -> x-1 */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"rename\": {\"pattern\": "
                  "\"^[ab]-\", \"replacement\": \"x-\"}}]"));
  add_ix("a-1", 10, 1, 0, 0);
  add_ix("b-1", 10, 1, 0, 0);
  add_ix("a-2", 10, 1, 0, 0);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "rename-collision"), 1);
  assert_int_equal(item(0, "a-1")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "b-1")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "a-2")->action, SNM_PF_RESTORE);
  assert_non_null(strstr(issue_msg("rename-collision"), "x-1"));
  teardown();

  /* across restores onto the same target, but not onto different ones */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"indices\": \"a-1\"},"
                  " {\"domain\": \"dst\", \"indices\": \"b-1\", \"rename\": "
                  "{\"pattern\": \"b\", \"replacement\": \"a\"}},"
                  " {\"domain\": \"dst2\", \"indices\": \"a-1\"}]"));
  add_ix("a-1", 10, 1, 0, 0);
  add_ix("b-1", 10, 1, 0, 0);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "rename-collision"), 1);
  assert_int_equal(item(0, "a-1")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(1, "b-1")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(2, "a-1")->action, SNM_PF_RESTORE);
  teardown();
}

static void test_conflicts(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\"}, {\"domain\": \"dst2\", "
                  "\"on_conflict\": \"skip\"}]"));
  add_ix("open-1", 10, 1, 0, 0);
  add_ix("closed-1", 10, 1, 0, 0);
  add_ix("new-1", 10, 1, 0, 0);
  for (size_t d = 1; d <= 2; d++) {
    add_existing(d, "open-1", 0);
    add_existing(d, "closed-1", 1);
  }
  verdict();
  /* fail: both are blockers, the closed one says it would be overwritten */
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-exists"), 2);
  assert_int_equal(item(0, "open-1")->action, SNM_PF_BLOCKED);
  assert_string_equal(item(0, "open-1")->verdict, "exists (open)");
  assert_int_equal(item(0, "closed-1")->action, SNM_PF_BLOCKED);
  assert_string_equal(item(0, "closed-1")->verdict, "exists (closed)");
  assert_int_equal(item(0, "new-1")->action, SNM_PF_RESTORE);
  /* skip: both skipped, no blocker from dst2 */
  assert_int_equal(item(1, "open-1")->action, SNM_PF_SKIP);
  assert_string_equal(item(1, "open-1")->verdict, "exists (open): skipped");
  assert_int_equal(item(1, "closed-1")->action, SNM_PF_SKIP);
  assert_int_equal(item(1, "new-1")->action, SNM_PF_RESTORE);
  for (size_t i = 0; i < pf.n_blockers; i++)
    assert_string_equal(pf.issues[i].domain, "dst");
  teardown();
}

static void test_versions(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\"}, {\"domain\": \"dst2\"}]"));
  /* source Elasticsearch 7.10.2; dst OpenSearch 2.19.6; dst2 ES 7.10.2 */
  reach(&pf.domains[0], SNM_ENGINE_ELASTICSEARCH, "7.10.2", 1);
  reach(&pf.domains[2], SNM_ENGINE_ELASTICSEARCH, "7.10.2", 1);
  add_ix("made-by-7", 10, 1, 0, 7100299);
  add_ix("made-by-6", 10, 1, 0, 6080099);
  verdict();
  assert_int_equal(item(0, "made-by-7")->action, SNM_PF_RESTORE);
  /* OpenSearch 2 does not read indices created by 6.x */
  assert_int_equal(item(0, "made-by-6")->action, SNM_PF_BLOCKED);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "version"), 1);
  assert_int_equal(item(1, "made-by-7")->action, SNM_PF_RESTORE);
  assert_int_equal(item(1, "made-by-6")->action, SNM_PF_RESTORE);
  teardown();

  /* OpenSearch -> Elasticsearch: one blocker for the restore, all blocked */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  reach(&pf.domains[1], SNM_ENGINE_ELASTICSEARCH, "7.10.2", 1);
  add_ix("a", 10, 1, 0, 136408427);
  add_ix("b", 10, 1, 0, 136408427);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "version"), 1);
  assert_non_null(strstr(issue_msg("version"), "Elasticsearch cannot restore"));
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "b")->action, SNM_PF_BLOCKED);
  teardown();
}

static void test_capacity(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.domains[1].data_nodes = 3;
  pf.domains[1].disk_usable = 5000;
  pf.domains[1].max_shards_per_node = 10;
  pf.domains[1].open_shards = 25; /* room for 5 */
  add_ix("a", 1000, 2, 1, 0);     /* 2 copies x 1000, 4 shards */
  add_ix("b", 2000, 1, 2, 0);     /* 3 copies x 2000, 3 shards */
  verdict();
  assert_int_equal(pf.restores[0].bytes_needed, 2000 + 6000);
  assert_int_equal(pf.restores[0].new_shards, 7);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "disk"), 1);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "shard-limit"), 1);
  assert_non_null(strstr(issue_msg("shard-limit"), "room for 5"));
  teardown();

  /* enough room; replicas lowered by index_settings (a string number) */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"index_settings\": "
                  "{\"index\": {\"number_of_replicas\": \"0\"}}}]"));
  pf.domains[1].disk_usable = 3000;
  pf.domains[1].max_shards_per_node = 10;
  pf.domains[1].open_shards = 7;
  add_ix("a", 1000, 2, 1, 0);
  add_ix("b", 2000, 1, 2, 0);
  verdict();
  assert_int_equal(pf.restores[0].replicas, 0);
  assert_int_equal(pf.restores[0].bytes_needed, 3000);
  assert_int_equal(pf.restores[0].new_shards, 3);
  assert_int_equal(pf.n_blockers, 0);
  teardown();
}

/* Safety issue, item 6: a resumed run's own (half-)restored indices are
 * already on the target: they are neither name conflicts nor new shards
 * or disk (the target's open shards and used disk count them already). */
static int own_a(void *data, size_t restore, const char *target)
{
  (void)data;
  return restore == 0 && strcmp(target, "a") == 0;
}

static void test_capacity_resumed(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.domains[1].data_nodes = 1;
  pf.domains[1].disk_usable = 1500;
  pf.domains[1].max_shards_per_node = 10;
  pf.domains[1].open_shards = 8; /* a's 6 shards are among them */
  add_ix("a", 4000, 6, 0, 0);
  add_ix("b", 1000, 2, 0, 0);
  add_existing(1, "a", 0);
  pf.own_fn = own_a;
  verdict();
  assert_int_equal(item(0, "a")->action, SNM_PF_RESTORE);
  assert_true(item(0, "a")->own);
  assert_false(item(0, "b")->own);
  assert_int_equal(pf.restores[0].new_shards, 2);
  assert_int_equal(pf.restores[0].bytes_needed, 1000);
  assert_int_equal(pf.n_blockers, 0);
  teardown();
}

static void add_existing_ident(size_t d, const char *name, const char *uuid,
                               long shards)
{
  struct snm_pf_existing *e;

  add_existing(d, name, 0);
  e = &pf.domains[d].existing[pf.domains[d].n_existing - 1];
  e->uuid = uuid != NULL ? strdup(uuid) : NULL;
  e->shards = shards;
}

/* on_conflict "replace": an existing index with the source's shard count
 * is replaced (its UUID kept for the run); another shard count, a data
 * stream's backing index or what cannot be told is a blocker; without
 * "replace" it stays an index-exists blocker. */
static void test_replace_verdicts(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"on_conflict\": \"replace\"}]"));
  pf.domains[1].disk_usable = 2500;
  add_ix("a", 1000, 2, 0, 0);
  add_ix("b", 1000, 1, 0, 0);
  add_ix("c", 1000, 3, 0, 0);
  add_ix("d", 1000, 1, 0, 0);
  add_ix("e", 1000, 1, 0, 0);
  add_existing_ident(1, "a", "uuid-a", 2); /* same shards: replaced */
  add_existing_ident(1, "b", "uuid-b", 3); /* differs */
  add_existing_ident(1, "c", NULL, 3);     /* UUID unknown */
  add_existing_ident(1, "d", "uuid-d", 0); /* shards unknown */
  verdict();
  assert_int_equal(item(0, "a")->action, SNM_PF_RESTORE);
  assert_int_equal(item(0, "a")->replace, 1);
  assert_string_equal(item(0, "a")->uuid, "uuid-a");
  assert_string_equal(item(0, "a")->verdict, "replace");
  assert_int_equal(item(0, "b")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "b")->replace, 0);
  assert_int_equal(item(0, "c")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "d")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "e")->action, SNM_PF_RESTORE); /* new */
  assert_int_equal(item(0, "e")->replace, 0);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "replace-shards"), 1);
  assert_non_null(strstr(issue_msg("replace-shards"), "3 primary shards"));
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "replace-unknown"), 2);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-exists"), 0);
  /* a replaced index adds no shards; its full size is the upper bound */
  assert_int_equal(pf.restores[0].new_shards, 1);
  assert_int_equal(pf.restores[0].bytes_needed, 1000);
  assert_int_equal(pf.restores[0].n_replace, 1);
  assert_int_equal(pf.restores[0].bytes_replace_max, 1000);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "disk"), 0);
  assert_int_equal(count_issues(SNM_PF_WARNING, "disk-headroom"), 0);
  pf.domains[1].disk_usable = 1500; /* the new fits, not the upper bound */
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "disk"), 0);
  assert_int_equal(count_issues(SNM_PF_WARNING, "disk-headroom"), 1);
  pf.domains[1].disk_usable = 900;
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "disk"), 1);
  teardown();

  /* a .ds- name is never replaced */
  setup(plan_text("", REPO,
                  "{\"domain\": \"src\", \"indices\": [\".ds-x-000001\"]}",
                  "[{\"domain\": \"dst\", \"on_conflict\": \"replace\"}]"));
  add_ix(".ds-x-000001", 10, 1, 0, 0);
  add_existing_ident(1, ".ds-x-000001", "uuid-x", 1);
  verdict();
  assert_int_equal(item(0, ".ds-x-000001")->action, SNM_PF_BLOCKED);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "replace-data-stream"), 1);
  teardown();

  /* an alias of that name is still an alias conflict */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"on_conflict\": \"replace\"}]"));
  add_ix("a", 10, 1, 0, 0);
  add_existing_ident(1, "other", "uuid-o", 1);
  add_alias(1, "a", "other");
  verdict();
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "alias-conflict"), 1);
  teardown();

  /* a data stream of that name: a blocker (replace or not) */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"on_conflict\": \"replace\"}]"));
  add_ix("a", 10, 1, 0, 0);
  pf.domains[1].streams = calloc(2, sizeof(char *));
  assert_non_null(pf.domains[1].streams);
  pf.domains[1].streams[0] = strdup("a");
  pf.domains[1].n_streams = 1;
  verdict();
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "a")->replace, 0);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-stream-exists"), 1);
  teardown();

  /* without "replace": a blocker, as always */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 2, 0, 0);
  add_existing_ident(1, "a", "uuid-a", 2);
  verdict();
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "a")->replace, 0);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-exists"), 1);
  teardown();
}

/* A state file of one finished round that restored `names` (UUID
 * "u-NAME", verified; the source had 7 documents then). */
static void one_round(struct snm_state *st, const char *const *names, size_t n)
{
  struct snm_err err;
  struct snm_state_round *rd;

  snm_state_init(st);
  assert_int_equal(snm_state_add_round(st, plan, "snap-0", &err), 0);
  rd = snm_state_cur(st);
  for (size_t i = 0; i < n; i++) {
    struct snm_state_index *ix;
    char uuid[64];
    assert_int_equal(
        snm_state_restore_add_index(&rd->restores[0], names[i], names[i], &ix),
        0);
    snprintf(uuid, sizeof(uuid), "u-%s", names[i]);
    assert_int_equal(snm_state_set_str(&ix->uuid, uuid), 0);
    ix->state = SNM_RESTORE_VERIFIED;
    ix->bytes = 900;
    assert_int_equal(
        snm_state_counts_set(&rd->snapshot.docs_after, names[i], 7), 0);
  }
  st->step = SNM_STEP_DONE;
}

/* check on a plan with an earlier round predicts the next sync: the
 * round's indices are replaced while their UUID, shard count and open
 * state are as recorded, else blocked; the others are new. */
static void test_next_round(void **state)
{
  static const char *const done[] = {"a", "b", "c", "e", "f"};
  struct snm_state st;
  (void)state;

  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  one_round(&st, done, 5);
  add_ix("a", 1000, 2, 0, 0);
  add_ix("b", 1000, 1, 0, 0);
  add_ix("c", 1000, 1, 0, 0);
  add_ix("d", 1000, 1, 0, 0);
  add_ix("e", 1000, 1, 0, 0);
  add_ix("f", 1000, 1, 0, 0);
  add_existing_ident(1, "a", "u-a", 2);  /* as recorded: replaced */
  add_existing_ident(1, "b", "u-b2", 1); /* made again */
  add_existing_ident(1, "c", "u-c", 1);  /* closed by someone */
  pf.domains[1].existing[2].closed = 1;
  add_existing_ident(1, "f", "u-f", 3); /* another shard count */
  /* without the state file: index-exists blockers (the old report) */
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-exists"), 4);
  pf.rounds = &st;
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-exists"), 0);
  assert_int_equal(item(0, "a")->action, SNM_PF_RESTORE);
  assert_int_equal(item(0, "a")->replace, 2);
  assert_int_equal(item(0, "a")->round, 1);
  assert_true(item(0, "a")->docs_last == 7);
  assert_true(item(0, "a")->bytes_last == 900);
  assert_string_equal(item(0, "a")->verdict, "replace");
  assert_int_equal(item(0, "b")->action, SNM_PF_BLOCKED);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-recreated"), 1);
  assert_non_null(strstr(issue_msg("index-recreated"), "u-b2, not u-b"));
  assert_int_equal(item(0, "c")->action, SNM_PF_BLOCKED);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "target-index-closed"), 1);
  assert_int_equal(item(0, "f")->action, SNM_PF_BLOCKED);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "replace-shards"), 1);
  assert_string_equal(item(0, "d")->verdict, "new");
  assert_int_equal(item(0, "d")->round, 0);
  assert_string_equal(item(0, "e")->verdict, "new (the earlier copy is gone)");
  assert_int_equal(item(0, "e")->replace, 0);
  assert_int_equal(snm_preflight_next_round(&pf), 2);
  /* the replaced index adds no shards: d and e do */
  assert_int_equal(pf.restores[0].new_shards, 2);
  assert_int_equal(pf.restores[0].n_replace, 1);
  assert_int_equal(count_issues(SNM_PF_WARNING, "round-unfinished"), 0);

  /* an unfinished round: its indices are the resumed run's own */
  st.step = SNM_STEP_RESTORE;
  verdict();
  assert_int_equal(snm_preflight_next_round(&pf), 1);
  assert_int_equal(count_issues(SNM_PF_WARNING, "round-unfinished"), 1);
  assert_true(item(0, "b")->own);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-recreated"), 0);

  /* a state file of another plan: a blocker */
  pf.rounds = NULL;
  pf.rounds_error = strdup("the state file is of another plan");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "state-mismatch"), 1);
  snm_state_dispose(&st);
  teardown();
}

/* Safety issue, item 8: one cluster under two domain ids shares one
 * registration; its repository facts are the source's. */
static void test_same_cluster(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\"}, {\"domain\": \"dst2\"}]"));
  snprintf(pf.domains[0].cluster_uuid, sizeof(pf.domains[0].cluster_uuid),
           "uuid-a");
  snprintf(pf.domains[1].cluster_uuid, sizeof(pf.domains[1].cluster_uuid),
           "uuid-a");
  snprintf(pf.domains[2].cluster_uuid, sizeof(pf.domains[2].cluster_uuid),
           "uuid-b");
  /* dst sees the source's writable registration, not the read-only one a
   * target would get: not a mismatch there */
  pf.domains[1].repo_state = SNM_PF_REPO_DIFFERS;
  add_ix("a", 10, 1, 0, 0);
  verdict();
  assert_true(pf.domains[1].same_as_source);
  assert_false(pf.domains[2].same_as_source);
  assert_false(pf.domains[0].same_as_source);
  assert_int_equal(count_issues(SNM_PF_WARNING, "same-cluster"), 1);
  assert_non_null(
      strstr(issue_msg("same-cluster"), "same cluster as the source"));
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "repo-settings"), 0);
  teardown();

  /* "_na_" and missing ids never match */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  snprintf(pf.domains[0].cluster_uuid, sizeof(pf.domains[0].cluster_uuid),
           "_na_");
  snprintf(pf.domains[1].cluster_uuid, sizeof(pf.domains[1].cluster_uuid),
           "_na_");
  verdict();
  assert_false(pf.domains[1].same_as_source);
  teardown();
}

/* Safety issue, item 10: a resumed run whose snapshot is taken and
 * counted needs nothing from the source: an unreachable source is a
 * warning then, not a blocker. */
static void test_source_optional(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.domains[0].reached = 0;
  snm_err_set(&pf.domains[0].error, SNM_ENET, "src: GET /: connection refused");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "unreachable"), 1);
  teardown();

  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.domains[0].reached = 0;
  snm_err_set(&pf.domains[0].error, SNM_ENET, "src: GET /: connection refused");
  pf.source_optional = 1;
  verdict();
  assert_int_equal(pf.n_blockers, 0);
  assert_int_equal(count_issues(SNM_PF_WARNING, "unreachable"), 1);
  assert_non_null(strstr(issue_msg("unreachable"), "goes on with the targets"));
  teardown();

  /* a target is never optional */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.domains[1].reached = 0;
  snm_err_set(&pf.domains[1].error, SNM_ENET, "dst: GET /: connection refused");
  pf.source_optional = 1;
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "unreachable"), 1);
  teardown();
}

/* Sizes and counts from a server can be anything: the arithmetic
 * saturates instead of overflowing (UBSan aborts on signed overflow). */
static void test_capacity_huge_numbers(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.domains[1].data_nodes = 3;
  pf.domains[1].max_shards_per_node = LONG_MAX;
  pf.domains[1].open_shards = 5;
  add_ix("a", LLONG_MAX, 2, 1, 0);
  add_ix("b", LLONG_MAX / 2, LONG_MAX, LONG_MAX, 0);
  verdict();
  assert_true(pf.restores[0].bytes_needed == LLONG_MAX);
  assert_true(pf.restores[0].new_shards == LONG_MAX);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "disk"), 1);
  /* LONG_MAX x 3 nodes - 5 open: room for LONG_MAX - 5 */
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "shard-limit"), 1);
  assert_non_null(
      strstr(issue_msg("shard-limit"), "room for 9223372036854775802"));
  teardown();
}

static void test_open_shards_from_health(void **state)
{
  static const struct {
    const char *json;
    long want;
  } cases[] = {
      {"{\"active_shards\": 5, \"initializing_shards\": 2, "
       "\"unassigned_shards\": 1}",
       8},
      {"{\"active_shards\": 5}", 5},
      {"{\"active_shards\": 9223372036854775807, \"unassigned_shards\": 1}",
       -1},
      {"{\"active_shards\": 4611686018427387904, \"initializing_shards\": "
       "4611686018427387904}",
       -1},
      {"{\"active_shards\": 1e300}", -1},
      {"{\"active_shards\": 99999999999999999999}", -1},
      {"{\"active_shards\": -3, \"unassigned_shards\": 4}", -1},
      {"{\"active_shards\": \"x\"}", -1},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    yajl_val v = yajl_tree_parse(cases[i].json, NULL, 0);
    assert_non_null(v);
    assert_int_equal(snm__preflight_open_shards(v), cases[i].want);
    yajl_tree_free(v);
  }
  assert_true(snm__sat_add(LLONG_MAX, 1) == LLONG_MAX);
  assert_true(snm__sat_add(LLONG_MIN, -1) == LLONG_MIN);
  assert_true(snm__sat_add(40, 2) == 42);
  assert_true(snm__sat_mul(LLONG_MAX, 2) == LLONG_MAX);
  assert_true(snm__sat_mul(LLONG_MAX, -2) == LLONG_MIN);
  assert_true(snm__sat_mul(-6, 7) == -42);
}

static void test_replicas_single_node(void **state)
{
  (void)state;
  /* wait_for green (default) + replicas 1 on one data node: blocker */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\"}, {\"domain\": \"dst2\", "
                  "\"wait_for\": \"yellow\"}]"));
  add_ix("a", 10, 1, 1, 0);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "replicas-single-node"), 1);
  assert_int_equal(count_issues(SNM_PF_WARNING, "replicas-single-node"), 1);
  /* only one copy is placed on a single node */
  assert_int_equal(pf.restores[0].bytes_needed, 10);
  assert_int_equal(pf.restores[0].new_shards, 2);
  teardown();

  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"index_settings\": "
                  "{\"index.number_of_replicas\": 0}}]"));
  add_ix("a", 10, 1, 1, 0);
  verdict();
  assert_int_equal(pf.n_issues, 0);
  teardown();

  /* ignore_index_settings drops it: the cluster default (1) applies */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"ignore_index_settings\": "
                  "\"index.number_of_replicas\"}]"));
  add_ix("a", 10, 1, 0, 0);
  verdict();
  assert_int_equal(pf.restores[0].replicas, 1);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "replicas-single-node"), 1);
  teardown();
}

/* ---- data streams -------------------------------------------------------- */

/* A source data stream `name` with `n` backing indices .ds-NAME-00000k,
 * all resolved (10 docs each). */
static void add_stream(const char *name, size_t n)
{
  struct snm_pf_data_stream *g =
      realloc(pf.data_streams, (pf.n_data_streams + 1) * sizeof(*g));
  assert_non_null(g);
  pf.data_streams = g;
  g[pf.n_data_streams].name = strdup(name);
  g[pf.n_data_streams++].n_backing = n;
  for (size_t k = 1; k <= n; k++) {
    char b[128];
    snprintf(b, sizeof(b), ".ds-%s-%06zu", name, k);
    add_ix(b, 100, 1, 0, 0)->data_stream = strdup(name);
  }
}

static void add_template(size_t d, const char *name, const char *pattern,
                         long long priority, int data_stream)
{
  struct snm_pf_domain *dom = &pf.domains[d];
  struct snm_pf_template *t =
      realloc(dom->templates, (dom->n_templates + 1) * sizeof(*t));
  assert_non_null(t);
  dom->templates = t;
  t += dom->n_templates++;
  memset(t, 0, sizeof(*t));
  t->name = strdup(name);
  t->patterns = calloc(1, sizeof(*t->patterns));
  t->patterns[t->n_patterns++] = strdup(pattern);
  t->priority = priority;
  t->data_stream = data_stream;
}

static void add_target_stream(size_t d, const char *name)
{
  struct snm_pf_domain *dom = &pf.domains[d];
  dom->streams =
      realloc(dom->streams, (dom->n_streams + 1) * sizeof(*dom->streams));
  assert_non_null(dom->streams);
  dom->streams[dom->n_streams++] = strdup(name);
}

#define RENAME_M                                                               \
  "\"rename\": {\"pattern\": \"(.+)\", \"replacement\": \"m-$1\"}"

static void test_data_stream_prediction(void **state)
{
  const char **names;
  size_t n;
  (void)state;

  /* the stream renamed by the pattern, its backing indices without .ds-
   * then with it again (as OpenSearch 2.19 and 3.6 do) */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\", " RENAME_M "}]"));
  add_stream("app-logs", 2);
  add_ix("plain", 100, 1, 0, 0);
  add_template(1, "m-logs", "m-*-logs", 100, 1);
  add_template(1, "all", "*", 0, 0); /* lower priority: not used */
  verdict();
  assert_int_equal(pf.n_blockers, 0);
  assert_int_equal(snm_preflight_snapshot_streams(&pf, &names, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(names[0], "app-logs");
  free(names);
  assert_int_equal(pf.restores[0].n_streams, 1);
  assert_string_equal(pf.restores[0].streams[0].target_name, "m-app-logs");
  assert_string_equal(pf.restores[0].streams[0].template_name, "m-logs");
  assert_string_equal(item(0, ".ds-app-logs-000001")->target_name,
                      ".ds-m-app-logs-000001");
  assert_string_equal(item(0, ".ds-app-logs-000002")->target_name,
                      ".ds-m-app-logs-000002");
  assert_string_equal(item(0, "plain")->target_name, "m-plain");
  teardown();

  /* the template that wins has no data_stream: blocked, and its backing
   * indices with it */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\", " RENAME_M "}]"));
  add_stream("app-logs", 1);
  add_template(1, "m-logs", "m-*", 100, 1);
  add_template(1, "m-app", "m-app*", 200, 0);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-stream-template"), 1);
  assert_non_null(strstr(issue_msg("data-stream-template"), "m-app has no"));
  assert_int_equal(pf.restores[0].streams[0].action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, ".ds-app-logs-000001")->action, SNM_PF_BLOCKED);
  teardown();

  /* a restore naming the stream takes it whole; one excluding it leaves its
   * backing indices out; one naming a backing index alone is a blocker */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"indices\": [\"app-*\"]},"
                  " {\"domain\": \"dst2\", \"indices\": [\"*\", "
                  "\"-app-logs\"]},"
                  " {\"domain\": \"dst2\", \"indices\": "
                  "[\".ds-app-logs-000002\"], " RENAME_M "}]"));
  add_stream("app-logs", 2);
  add_ix("other", 100, 1, 0, 0);
  add_template(1, "t", "app-*", 1, 1);
  add_template(2, "t", "*", 1, 1);
  verdict();
  assert_int_equal(pf.restores[0].n_items, 2);
  assert_int_equal(pf.restores[0].n_streams, 1);
  assert_int_equal(pf.restores[1].n_items, 1);
  assert_string_equal(pf.indices[pf.restores[1].items[0].index].name, "other");
  assert_int_equal(pf.restores[1].n_streams, 0);
  assert_int_equal(pf.restores[2].n_items, 0);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-stream-backing"), 1);
  teardown();

  /* a snapshot that takes one of two backing indices */
  setup(plan_text("", REPO,
                  "{\"domain\": \"src\", \"indices\": "
                  "[\".ds-app-logs-000001\"]}",
                  "[{\"domain\": \"dst\"}]"));
  add_stream("app-logs", 2);
  pf.indices[1].selected = 0; /* .ds-app-logs-000002 not resolved */
  free(pf.indices[1].data_stream);
  pf.indices[1].data_stream = NULL;
  free(pf.indices[1].name);
  pf.indices[1].name = strdup("x-unrelated");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-stream-partial"), 1);
  assert_non_null(strstr(issue_msg("data-stream-partial"), "1 of the 2"));
  teardown();
}

static void test_data_stream_conflicts(void **state)
{
  (void)state;

  /* two streams onto one name; a stream onto an index's target name */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"rename\": {\"pattern\": "
                  "\"^(a|b)-logs\", \"replacement\": \"all-logs\"}}]"));
  add_stream("a-logs", 1);
  add_stream("b-logs", 1);
  add_template(1, "t", "*", 1, 1);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "rename-collision"), 2);
  assert_int_equal(pf.restores[0].streams[0].action, SNM_PF_BLOCKED);
  assert_int_equal(pf.restores[0].streams[1].action, SNM_PF_BLOCKED);
  teardown();

  /* the stream exists on the target: blocked; with skip, skipped whole */
  for (int skip = 0; skip <= 1; skip++) {
    setup(plan_text("", REPO, SNAP,
                    skip ? "[{\"domain\": \"dst\", \"on_conflict\": "
                           "\"skip\"}]"
                         : "[{\"domain\": \"dst\"}]"));
    add_stream("app-logs", 2);
    add_template(1, "t", "*", 1, 1);
    add_target_stream(1, "app-logs");
    verdict();
    assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-stream-exists"),
                     skip ? 0 : 1);
    assert_int_equal(pf.restores[0].streams[0].action,
                     skip ? SNM_PF_SKIP : SNM_PF_BLOCKED);
    assert_int_equal(item(0, ".ds-app-logs-000002")->action,
                     skip ? SNM_PF_SKIP : SNM_PF_BLOCKED);
    teardown();
  }

  /* a backing index's target name exists (skip): the whole stream skips;
   * an index of the stream's name: blocked; an alias: blocked */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"on_conflict\": \"skip\"}]"));
  add_stream("app-logs", 2);
  add_template(1, "t", "*", 1, 1);
  add_existing(1, ".ds-app-logs-000001", 0);
  verdict();
  assert_int_equal(pf.restores[0].streams[0].action, SNM_PF_SKIP);
  assert_int_equal(item(0, ".ds-app-logs-000002")->action, SNM_PF_SKIP);
  teardown();
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_stream("app-logs", 1);
  add_stream("web-logs", 1);
  add_template(1, "t", "*", 1, 1);
  add_existing(1, "app-logs", 0);
  add_alias(1, "web-logs", "w1");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-exists"), 1);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "alias-conflict"), 1);
  teardown();

  /* not known: never "nothing there" */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_stream("app-logs", 1);
  pf.domains[1].streams_known = 0;
  pf.domains[1].fact_error[SNM_PF_FACT_DATA_STREAMS] =
      strdup("dst: GET /_data_stream: HTTP 403");
  pf.domains[1].templates_known = 0;
  pf.domains[1].fact_error[SNM_PF_FACT_TEMPLATES] =
      strdup("dst: GET /_index_template: HTTP 403");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-streams-unreadable"), 1);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "templates-unreadable"), 1);
  assert_int_equal(pf.restores[0].streams[0].action, SNM_PF_BLOCKED);
  teardown();

  /* Elasticsearch 7.8 has no data streams */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  reach(&pf.domains[1], SNM_ENGINE_ELASTICSEARCH, "7.8.1", 1);
  add_stream("app-logs", 1);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-stream-unsupported"), 1);
  teardown();
}

static void test_system_indices(void **state)
{
  const char **names;
  size_t n;
  (void)state;

  /* default: system indices left out with one warning; data stream
   * backing indices kept */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("logs", 10, 1, 0, 0);
  add_ix(".kibana_1", 10, 1, 0, 0);
  add_ix(".opendistro-job-scheduler-lock", 10, 1, 0, 0);
  add_ix(".ds-events-000001", 10, 1, 0, 0)->data_stream = strdup("events");
  pf.data_streams = calloc(1, sizeof(*pf.data_streams));
  pf.data_streams[0].name = strdup("events");
  pf.data_streams[0].n_backing = 1;
  pf.n_data_streams = 1;
  verdict();
  assert_int_equal(snm_preflight_snapshot_indices(&pf, &names, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(names[0], ".ds-events-000001");
  assert_string_equal(names[1], "logs");
  free(names);
  assert_int_equal(count_issues(SNM_PF_WARNING, "system-indices-left-out"), 1);
  assert_non_null(strstr(issue_msg("system-indices-left-out"), ".kibana_1"));
  /* the stream restores as one, and needs a template on the target */
  assert_int_equal(pf.restores[0].n_streams, 1);
  assert_string_equal(pf.restores[0].streams[0].target_name, "events");
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "data-stream-template"), 1);
  assert_int_equal(pf.restores[0].n_items, 2);
  teardown();

  /* a dot-index of one's own named explicitly: included, with a warning */
  setup(plan_text("", REPO,
                  "{\"domain\": \"src\", \"indices\": [\"logs\", "
                  "\".my-data*\"]}",
                  "[{\"domain\": \"dst\"}]"));
  add_ix("logs", 10, 1, 0, 0);
  add_ix(".my-data-1", 10, 1, 0, 0);
  verdict();
  assert_int_equal(pf.indices[0].selected, 1); /* .my-data-1 sorts first */
  assert_int_equal(count_issues(SNM_PF_WARNING, "system-index"), 1);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "system-index-named"), 0);
  assert_int_equal(count_issues(SNM_PF_WARNING, "system-indices-left-out"), 0);
  teardown();

  /* a security or plugin index named explicitly: a blocker saying why */
  setup(plan_text("", REPO,
                  "{\"domain\": \"src\", \"indices\": [\"logs\", "
                  "\".kibana*\", \".opendistro_security\"]}",
                  "[{\"domain\": \"dst\"}]"));
  add_ix("logs", 10, 1, 0, 0);
  add_ix(".kibana_1", 10, 1, 0, 0);
  add_ix(".opendistro_security", 10, 1, 0, 0);
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "system-index-named"), 2);
  assert_int_equal(count_issues(SNM_PF_WARNING, "system-index"), 0);
  assert_non_null(
      strstr(issue_msg("system-index-named"), "break its security"));
  teardown();
}

static void test_source_patterns(void **state)
{
  (void)state;
  setup(plan_text("", REPO,
                  "{\"domain\": \"src\", \"indices\": [\"logs-*\", "
                  "\"gone\", \"none-*\", \"by-alias\", \"-logs-x\"]}",
                  "[{\"domain\": \"dst\", \"indices\": [\"logs-*\", "
                  "\"absent\", \"zz-*\"]}]"));
  add_ix("logs-1", 10, 1, 0, 0);
  add_ix("other", 10, 1, 0, 0)->closed = 1;
  add_alias(0, "by-alias", "other");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-missing"), 1);
  assert_non_null(strstr(issue_msg("index-missing"), "gone"));
  /* none-* (source) and zz-* (restore) */
  assert_int_equal(count_issues(SNM_PF_WARNING, "pattern-no-match"), 2);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "restore-index-missing"), 1);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-closed"), 1);
  teardown();

  /* allow_partial turns the closed index into a warning; nothing selected
   * is a blocker of its own */
  setup(plan_text("", REPO, "{\"domain\": \"src\", \"allow_partial\": true}",
                  "[{\"domain\": \"dst\"}]"));
  add_ix("c", 10, 1, 0, 0)->closed = 1;
  verdict();
  assert_int_equal(count_issues(SNM_PF_WARNING, "index-closed"), 1);
  assert_int_equal(pf.n_blockers, 0);
  teardown();
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "nothing-to-snapshot"), 1);
  teardown();
}

static void test_aliases(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  add_ix("b", 10, 1, 0, 0);
  add_ix("c", 10, 1, 0, 0);
  add_alias(0, "b", "a");          /* a's alias "b" = another restored index */
  add_alias(0, "shared", "c");     /* exists on the target: warning */
  add_alias(1, "shared", "t-old"); /* target alias */
  add_existing(1, "t-old", 0);
  verdict();
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "alias-conflict"), 1);
  assert_int_equal(count_issues(SNM_PF_WARNING, "alias-exists"), 1);
  assert_int_equal(item(0, "c")->action, SNM_PF_RESTORE);
  teardown();

  /* include_aliases false: no alias checks; a target alias named like a
   * restored index still blocks */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\", \"include_aliases\": false}]"));
  add_ix("a", 10, 1, 0, 0);
  add_ix("b", 10, 1, 0, 0);
  add_alias(0, "b", "a");
  add_alias(1, "a", "other");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "alias-conflict"), 1);
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  assert_int_equal(item(0, "b")->action, SNM_PF_RESTORE);
  teardown();
}

static void test_repository_settings(void **state)
{
  struct snm_pf_domain *t;
  (void)state;

  setup(plan_text(
      "",
      "{\"name\": \"r\", \"type\": \"s3\", \"settings\": {\"bucket\": "
      "\"b\", \"compress\": true, \"buffer_size\": 5, \"chunk_size\": "
      "\"1gb\"}}",
      SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  t = &pf.domains[1];
  /* the target wants readonly; servers answer with strings */
  assert_non_null(strstr(t->repo_want_json, "\"readonly\":true"));
  assert_null(strstr(pf.domains[0].repo_want_json, "readonly"));
  t->repo_have_json = strdup(
      "{\"type\":\"s3\",\"settings\":{\"bucket\":\"b\",\"compress\":\"true\","
      "\"buffer_size\":\"5\",\"chunk_size\":\"1gb\",\"readonly\":\"true\"}}");
  verdict();
  assert_int_equal(t->repo_state, SNM_PF_REPO_MATCHES);
  assert_int_equal(pf.n_blockers, 0);

  free(t->repo_have_json);
  t->repo_have_json =
      strdup("{\"type\":\"s3\",\"settings\":{\"bucket\":\"other\",\"compress\":"
             "\"false\",\"buffer_size\":\"5.0\",\"chunk_size\":\"1gb\","
             "\"base_path\":\"p\"}}");
  verdict();
  assert_int_equal(t->repo_state, SNM_PF_REPO_DIFFERS);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "repo-settings"), 1);
  assert_non_null(strstr(t->repo_diff, "bucket"));
  assert_non_null(strstr(t->repo_diff, "compress"));
  assert_non_null(strstr(t->repo_diff, "readonly"));  /* missing there */
  assert_non_null(strstr(t->repo_diff, "base_path")); /* extra there */
  assert_null(strstr(t->repo_diff, "buffer_size"));   /* 5 == "5.0" */
  assert_null(strstr(t->repo_diff, "chunk_size"));

  free(t->repo_have_json);
  t->repo_have_json = strdup("{\"type\":\"fs\",\"settings\":{}}");
  verdict();
  assert_non_null(strstr(t->repo_diff, "type (fs, plan s3)"));
  teardown();
}

static void test_repository_endpoint(void **state)
{
  char *body, *note;
  (void)state;

  plan = snm_test_plan_parse(
      plan_text(
          ", \"aws\": {\"endpoint\": "
          "\"https://search-a-b.us-east-1.es.amazonaws.com\", \"auth\": "
          "{\"type\": \"aws-sigv4\"}}, \"cn\": {\"endpoint\": "
          "\"https://search-a-b.cn-north-1.es.amazonaws.com.cn\", \"auth\": "
          "{\"type\": \"aws-sigv4\"}}, \"same\": {\"endpoint\": "
          "\"https://search-a-b.eu-west-1.es.amazonaws.com\", \"auth\": "
          "{\"type\": \"aws-sigv4\"}}",
          "{\"name\": \"r\", \"type\": \"s3\", \"settings\": {\"bucket\": "
          "\"b\", \"region\": \"eu-west-1\"}}",
          "{\"domain\": \"aws\"}",
          "[{\"domain\": \"cn\"}, {\"domain\": \"same\"}, {\"domain\": "
          "\"dst\"}]"),
      NULL);
  assert_int_equal(snm_preflight_repo_body(&body, &note, plan, 3), 0);
  assert_string_equal(body, "{\"type\":\"s3\",\"settings\":{\"bucket\":\"b\","
                            "\"endpoint\":\"s3.eu-west-1.amazonaws.com\"}}");
  assert_non_null(strstr(note, "us-east-1"));
  free(body);
  free(note);
  /* a cn- bucket region would give .com.cn; here the bucket is eu-west-1 */
  assert_int_equal(snm_preflight_repo_body(&body, &note, plan, 4), 0);
  assert_non_null(strstr(body, "s3.eu-west-1.amazonaws.com\""));
  assert_non_null(strstr(body, "\"readonly\":true"));
  free(body);
  free(note);
  /* same region, or no sigv4: region kept */
  assert_int_equal(snm_preflight_repo_body(&body, &note, plan, 5), 0);
  assert_null(note);
  assert_non_null(strstr(body, "\"region\":\"eu-west-1\""));
  free(body);
  assert_int_equal(snm_preflight_repo_body(&body, &note, plan, 1), 0);
  assert_null(note);
  assert_non_null(strstr(body, "\"region\":\"eu-west-1\""));
  free(body);
  snm_plan_free(plan);

  plan = snm_test_plan_parse(
      plan_text(
          ", \"aws\": {\"endpoint\": "
          "\"https://search-a-b.us-east-1.es.amazonaws.com\", \"auth\": "
          "{\"type\": \"aws-sigv4\"}}",
          "{\"name\": \"r\", \"type\": \"s3\", \"settings\": {\"bucket\": "
          "\"b\", \"region\": \"cn-northwest-1\"}}",
          "{\"domain\": \"aws\"}", "[{\"domain\": \"dst\"}]"),
      NULL);
  assert_int_equal(snm_preflight_repo_body(&body, NULL, plan, 3), 0);
  assert_non_null(strstr(body, "s3.cn-northwest-1.amazonaws.com.cn"));
  free(body);
  snm_plan_free(plan);
  plan = NULL;
}

static void test_domains_and_running(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  pf.domains[1].reached = 0;
  snm_err_set(&pf.domains[1].error, SNM_ENET,
              "dst: GET http://127.0.0.1:2/: connection refused");
  pf.domains[2].reached = 0;
  snm_err_set(&pf.domains[2].error, SNM_EAUTH,
              "dst2: GET /: HTTP 403 (credentials from environment)");
  verdict();
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "unreachable"), 1);
  assert_string_equal(issue_msg("unreachable"),
                      "target dst unreachable: GET http://127.0.0.1:2/: "
                      "connection refused");
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "auth"), 1);
  assert_string_equal(issue_msg("auth"),
                      "domain dst2: authentication failed: GET /: HTTP 403 "
                      "(credentials from environment)");
  /* the source is still checked and predicted */
  assert_int_equal(pf.restores[0].n_items, 1);
  teardown();

  /* a running snapshot: a blocker before Elasticsearch 7.7 only */
  for (int old = 0; old <= 1; old++) {
    setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
    if (old)
      reach(&pf.domains[0], SNM_ENGINE_ELASTICSEARCH, "7.6.2", 1);
    add_ix("a", 10, 1, 0, 0);
    pf.domains[0].running = calloc(1, sizeof(*pf.domains[0].running));
    pf.domains[0].running[0].repository = strdup("nightly");
    pf.domains[0].running[0].snapshot = strdup("s1");
    pf.domains[0].running[0].state = strdup("STARTED");
    pf.domains[0].n_running = 1;
    verdict();
    assert_int_equal(
        count_issues(old ? SNM_PF_BLOCKER : SNM_PF_WARNING, "snapshot-running"),
        1);
    teardown();
  }
}

/* A domain failure names the role, the domain, the request and the cause
 * once each, also when the domain is called like its role (issue #8,
 * item 19: "[not-a-cluster] source source: source: ..."). */
static void test_domain_failure_text(void **state)
{
  static const char *const why =
      "GET / did not report a version number this tool understands (none); "
      "is the endpoint an Elasticsearch or OpenSearch cluster?";
  (void)state;

  plan = snm_test_plan_parse(
      "{\"snapmig\": 1, \"name\": \"t\", \"domains\": {"
      "\"source\": {\"endpoint\": \"http://127.0.0.1:1\"},"
      "\"target\": {\"endpoint\": \"http://127.0.0.1:2\"},"
      "\"spare\": {\"endpoint\": \"http://127.0.0.1:3\"}},"
      "\"repository\": " REPO ", \"snapshot\": {\"domain\": "
      "\"source\"}, \"restores\": [{\"domain\": \"target\"}]}",
      NULL);
  snm_preflight_init(&pf);
  assert_int_equal(snm_preflight_facts_alloc(&pf, plan), 0);
  snm_err_set(&pf.domains[0].error, SNM_EPARSE, "source: %s", why);
  snm_err_set(&pf.domains[1].error, SNM_ENET,
              "target: GET http://127.0.0.1:2/: connection refused");
  /* a message that does not start with the id is kept whole */
  snm_err_set(&pf.domains[2].error, SNM_EAUTH,
              "$SPARE_PW is not set (basic auth of domain spare)");
  verdict();
  assert_int_equal(pf.n_blockers, 3);
  assert_string_equal(issue_msg("not-a-cluster"), "source: GET / did not "
                                                  "report a version number "
                                                  "this tool understands "
                                                  "(none); is the endpoint an "
                                                  "Elasticsearch or "
                                                  "OpenSearch cluster?");
  assert_string_equal(issue_msg("unreachable"),
                      "target unreachable: GET http://127.0.0.1:2/: "
                      "connection refused");
  assert_string_equal(issue_msg("auth"),
                      "domain spare: authentication failed: $SPARE_PW is not "
                      "set (basic auth of domain spare)");
  teardown();
}

static const struct snm_pf_issue *issue_of(const char *code, const char *domain)
{
  for (size_t i = 0; i < pf.n_issues; i++)
    if (strcmp(pf.issues[i].code, code) == 0 && pf.issues[i].domain != NULL &&
        strcmp(pf.issues[i].domain, domain) == 0)
      return &pf.issues[i];
  return NULL;
}

static void fact_failed(size_t d, enum snm_pf_fact f, const char *msg)
{
  pf.domains[d].fact_error[f] = strdup(msg);
  if (f == SNM_PF_FACT_INDICES)
    pf.domains[d].existing_known = 0;
  if (f == SNM_PF_FACT_ALIASES)
    pf.domains[d].aliases_known = 0;
}

/* A fact that could not be read is a blocker where a verdict relies on it,
 * a warning where it is only reported (issue #8, item 2). */
static void test_unknown_facts(void **state)
{
  const struct snm_pf_issue *is;
  (void)state;

  /* the target's listing: blocker naming domain, request, reason, what to
   * do; its restores are not predicted as fine */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  fact_failed(1, SNM_PF_FACT_INDICES,
              "dst: GET /_cat/indices?h=status,index: HTTP 403 "
              "security_exception: no permissions for [indices:monitor/*]");
  verdict();
  is = issue_of("indices-unreadable", "dst");
  assert_non_null(is);
  assert_int_equal(is->severity, SNM_PF_BLOCKER);
  assert_string_equal(is->message,
                      "target dst: cannot list its indices, so whether a "
                      "restore would overwrite an index is unknown: GET "
                      "/_cat/indices?h=status,index: HTTP 403 "
                      "security_exception: no permissions for "
                      "[indices:monitor/*]");
  assert_non_null(strstr(is->hint, "indices:monitor/*"));
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  assert_string_equal(item(0, "a")->verdict,
                      "not checked: the target's indices are unknown");
  teardown();

  /* every target fact a blocker relies on */
  {
    static const struct {
      enum snm_pf_fact f;
      const char *code;
    } target_facts[] = {
        {SNM_PF_FACT_HEALTH, "health-unreadable"},
        {SNM_PF_FACT_ALIASES, "aliases-unreadable"},
        {SNM_PF_FACT_DISK, "disk-unreadable"},
        {SNM_PF_FACT_CLUSTER_SETTINGS, "cluster-settings-unreadable"},
    };
    for (size_t k = 0; k < sizeof(target_facts) / sizeof(target_facts[0]);
         k++) {
      setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
      add_ix("a", 10, 1, 0, 0);
      fact_failed(1, target_facts[k].f, "dst: GET /x: HTTP 500 boom");
      verdict();
      is = issue_of(target_facts[k].code, "dst");
      assert_non_null(is);
      assert_int_equal(is->severity, SNM_PF_BLOCKER);
      assert_non_null(strstr(is->message, ": GET /x: HTTP 500 boom"));
      teardown();
    }
  }

  /* source: health and counts are reported only; the listing blocks */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  fact_failed(0, SNM_PF_FACT_HEALTH, "src: GET /_cluster/health: HTTP 500");
  fact_failed(0, SNM_PF_FACT_COUNTS, "src: GET /a/_count: HTTP 403");
  fact_failed(0, SNM_PF_FACT_INDICES, "src: GET /_cat/indices: HTTP 403");
  verdict();
  assert_int_equal(issue_of("health-unreadable", "src")->severity,
                   SNM_PF_WARNING);
  assert_int_equal(issue_of("count-unreadable", "src")->severity,
                   SNM_PF_WARNING);
  is = issue_of("indices-unreadable", "src");
  assert_int_equal(is->severity, SNM_PF_BLOCKER);
  assert_non_null(strstr(is->message, "closed or red"));
  teardown();

  /* source aliases: a blocker only when a restore brings aliases */
  for (int with = 0; with <= 1; with++) {
    setup(plan_text("", REPO, SNAP,
                    with ? "[{\"domain\": \"dst\"}]"
                         : "[{\"domain\": \"dst\", \"include_aliases\": "
                           "false}]"));
    add_ix("a", 10, 1, 0, 0);
    fact_failed(0, SNM_PF_FACT_ALIASES, "src: GET /_alias: HTTP 403");
    verdict();
    assert_int_equal(issue_of("aliases-unreadable", "src")->severity,
                     with ? SNM_PF_BLOCKER : SNM_PF_WARNING);
    teardown();
  }

  /* running snapshots: a blocker where only one may run */
  for (int old = 0; old <= 1; old++) {
    setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
    if (old)
      reach(&pf.domains[0], SNM_ENGINE_ELASTICSEARCH, "7.6.2", 1);
    add_ix("a", 10, 1, 0, 0);
    fact_failed(0, SNM_PF_FACT_RUNNING, "src: GET /_snapshot/_status: 403");
    verdict();
    assert_int_equal(issue_of("snapshot-status-unreadable", "src")->severity,
                     old ? SNM_PF_BLOCKER : SNM_PF_WARNING);
    teardown();
  }

  /* data streams: no such API before Elasticsearch 7.9; a blocker when a
   * resolved index may be a backing index */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  reach(&pf.domains[0], SNM_ENGINE_ELASTICSEARCH, "7.8.1", 1);
  reach(&pf.domains[1], SNM_ENGINE_ELASTICSEARCH, "7.8.1", 1);
  add_ix(".ds-x-000001", 10, 1, 0, 0);
  add_ix("a", 10, 1, 0, 0);
  fact_failed(0, SNM_PF_FACT_DATA_STREAMS, "src: GET /_data_stream: 400");
  verdict();
  assert_null(issue_of("data-streams-unreadable", "src"));
  teardown();
  for (int backing = 0; backing <= 1; backing++) {
    setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
    if (backing)
      add_ix(".ds-x-000001", 10, 1, 0, 0);
    add_ix("a", 10, 1, 0, 0);
    fact_failed(0, SNM_PF_FACT_DATA_STREAMS, "src: GET /_data_stream: 403");
    verdict();
    assert_int_equal(issue_of("data-streams-unreadable", "src")->severity,
                     backing ? SNM_PF_BLOCKER : SNM_PF_WARNING);
    teardown();
  }

  /* the index settings: which indices the snapshot takes is unknown */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.indices_known = 0;
  fact_failed(0, SNM_PF_FACT_SETTINGS,
              "src: GET /_all/_settings: HTTP 403 security_exception: no");
  verdict();
  is = issue_of("source-indices", "src");
  assert_int_equal(is->severity, SNM_PF_BLOCKER);
  assert_non_null(strstr(is->message, "GET /_all/_settings: HTTP 403"));
  teardown();

  /* an unreachable domain: one blocker, not one per request */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  pf.domains[1].reached = 0;
  snm_err_set(&pf.domains[1].error, SNM_ENET, "dst: GET /: refused");
  fact_failed(1, SNM_PF_FACT_INDICES, "dst: GET /_cat/indices: refused");
  fact_failed(1, SNM_PF_FACT_DISK, "dst: GET /_cat/allocation: refused");
  verdict();
  assert_int_equal(pf.n_blockers, 1);
  assert_non_null(issue_of("unreachable", "dst"));
  teardown();
}

static void same_uuid(size_t d, const char *uuid)
{
  snprintf(pf.domains[d].cluster_uuid, sizeof(pf.domains[d].cluster_uuid), "%s",
           uuid);
}

static char *report(int json)
{
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);

  assert_non_null(fp);
  if (json)
    assert_int_equal(snm_report_check_json(fp, &pf), 0);
  else
    snm_report_check_human(fp, &pf, 0);
  assert_int_equal(fclose(fp), 0);
  return text;
}

/* One cluster under two domain ids (issue #8, item 8): detected by
 * cluster_uuid; the target shares the source's (writable) registration,
 * with no repository blocker between the two ids. */
static void test_same_cluster_ids(void **state)
{
  static const char *const found =
      "{\"type\":\"s3\",\"settings\":{\"bucket\":\"b\"}}";
  char *text;
  (void)state;

  setup(plan_text("",
                  "{\"name\": \"r\", \"type\": \"s3\", \"readonly_on_"
                  "targets\": true, \"settings\": {\"bucket\": \"b\"}}",
                  SNAP,
                  "[{\"domain\": \"dst\", \"rename\": {\"pattern\": "
                  "\"^\", \"replacement\": \"copy-\"}}]"));
  add_ix("a", 10, 1, 0, 0);
  add_existing(0, "a", 0);
  add_existing(1, "a", 0); /* the same listing, read through both ids */
  same_uuid(0, "uuid-1");
  same_uuid(1, "uuid-1");
  same_uuid(2, "uuid-2");
  /* the source's registration, writable, found through both ids */
  for (size_t d = 0; d < 2; d++) {
    pf.domains[d].repo_have_json = strdup(found);
    pf.domains[d].repo_state = SNM_PF_REPO_UNKNOWN;
  }
  assert_non_null(strstr(pf.domains[1].repo_want_json, "readonly"));
  verdict();
  assert_int_equal(pf.domains[0].same_as, -1);
  assert_int_equal(pf.domains[1].same_as, 0);
  assert_int_equal(pf.domains[2].same_as, -1);
  /* no read-only registration planned for it: the source's */
  assert_string_equal(pf.domains[1].repo_want_json,
                      pf.domains[0].repo_want_json);
  assert_null(strstr(pf.domains[1].repo_want_json, "readonly"));
  assert_int_equal(pf.domains[0].repo_state, SNM_PF_REPO_MATCHES);
  assert_int_equal(pf.domains[1].repo_state, SNM_PF_REPO_MATCHES);
  assert_int_equal(pf.n_blockers, 0);
  text = report(0);
  assert_non_null(strstr(text, "same cluster as src"));
  free(text);
  text = report(1);
  assert_non_null(strstr(text, "\"same_as\":\"src\""));
  assert_non_null(strstr(text, "\"cluster_uuid\":\"uuid-1\""));
  free(text);
  /* absent on the source: both read it as absent, one registration */
  for (size_t d = 0; d < 2; d++) {
    free(pf.domains[d].repo_have_json);
    pf.domains[d].repo_have_json = NULL;
    pf.domains[d].repo_state = SNM_PF_REPO_ABSENT;
  }
  verdict();
  assert_int_equal(pf.domains[1].repo_state, SNM_PF_REPO_ABSENT);
  assert_null(strstr(pf.domains[1].repo_want_json, "readonly"));
  assert_int_equal(pf.n_blockers, 0);
  teardown();

  /* no rename: the restore would land on the source's own open index */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  add_existing(0, "a", 0);
  add_existing(1, "a", 0);
  same_uuid(0, "uuid-1");
  same_uuid(1, "uuid-1");
  verdict();
  assert_int_equal(pf.domains[1].same_as, 0);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "index-exists"), 1);
  assert_int_equal(item(0, "a")->action, SNM_PF_BLOCKED);
  teardown();

  /* a missing or "_na_" uuid never matches; nor an unreached domain */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  add_ix("a", 10, 1, 0, 0);
  same_uuid(0, "_na_");
  same_uuid(1, "_na_");
  verdict();
  assert_int_equal(pf.domains[1].same_as, -1);
  same_uuid(0, "");
  same_uuid(1, "");
  verdict();
  assert_int_equal(pf.domains[1].same_as, -1);
  same_uuid(0, "u");
  same_uuid(1, "u");
  pf.domains[1].reached = 0;
  snm_err_set(&pf.domains[1].error, SNM_ENET, "dst: GET /: refused");
  verdict();
  assert_int_equal(pf.domains[1].same_as, -1);
  teardown();

  /* two targets on one cluster: the first is the one registering; their
   * restores collide on a name as on one target */
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\"}, {\"domain\": \"dst2\"}]"));
  add_ix("a", 10, 1, 0, 0);
  same_uuid(0, "u-src");
  same_uuid(1, "u-dst");
  same_uuid(2, "u-dst");
  verdict();
  assert_int_equal(pf.domains[1].same_as, -1);
  assert_int_equal(pf.domains[2].same_as, 1);
  assert_string_equal(pf.domains[2].repo_want_json,
                      pf.domains[1].repo_want_json);
  assert_int_equal(count_issues(SNM_PF_BLOCKER, "rename-collision"), 1);
  teardown();
}

/* A resumed run with only target work left (issue #8, item 10): the
 * source may be down, its verdicts do not apply, and no issue claims that
 * nothing was changed. */
static void test_source_optional_verdicts(void **state)
{
  const struct snm_pf_issue *is;
  (void)state;

  /* unreachable source: a warning, the targets still checked */
  for (int optional = 0; optional <= 1; optional++) {
    setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
    pf.source_optional = optional;
    pf.resuming = optional;
    pf.indices_known = 0;
    pf.domains[0].reached = 0;
    snm_err_set(&pf.domains[0].error, SNM_ENET,
                "src: GET http://127.0.0.1:1/: connection refused");
    fact_failed(0, SNM_PF_FACT_SETTINGS, "src: GET /_all/_settings: refused");
    fact_failed(1, SNM_PF_FACT_DISK, "dst: GET /_cat/allocation: HTTP 500");
    verdict();
    is = issue_of("unreachable", "src");
    assert_non_null(is);
    assert_int_equal(is->severity, optional ? SNM_PF_WARNING : SNM_PF_BLOCKER);
    if (optional)
      assert_string_equal(is->message,
                          "source src unreachable: GET http://127.0.0.1:1/: "
                          "connection refused; the snapshot is already "
                          "taken, so the run goes on with the targets");
    assert_int_equal(issue_of("disk-unreadable", "dst")->severity,
                     SNM_PF_BLOCKER);
    assert_int_equal(pf.n_blockers, optional ? 1 : 2);
    teardown();
  }

  /* a reachable source: its own verdicts are skipped */
  setup(plan_text("", REPO, SNAP, "[{\"domain\": \"dst\"}]"));
  pf.source_optional = 1;
  reach(&pf.domains[0], SNM_ENGINE_ELASTICSEARCH, "7.6.2", 1);
  reach(&pf.domains[1], SNM_ENGINE_ELASTICSEARCH, "7.10.2", 1);
  add_ix("a", 10, 1, 0, 0)->closed = 1;
  pf.domains[0].running = calloc(1, sizeof(*pf.domains[0].running));
  pf.domains[0].running[0].repository = strdup("nightly");
  pf.domains[0].running[0].snapshot = strdup("s1");
  pf.domains[0].running[0].state = strdup("STARTED");
  pf.domains[0].n_running = 1;
  pf.domains[0].repo_error = strdup("src: GET /_snapshot/r: HTTP 500");
  fact_failed(0, SNM_PF_FACT_INDICES, "src: GET /_cat/indices: HTTP 403");
  verdict();
  assert_int_equal(pf.n_blockers, 0);
  assert_null(issue_of("index-closed", "src"));
  assert_null(issue_of("snapshot-running", "src"));
  assert_null(issue_of("repo-unusable", "src"));
  teardown();
}

static void test_resuming_wording(void **state)
{
  (void)state;
  setup(plan_text("", REPO, SNAP,
                  "[{\"domain\": \"dst\"}, {\"domain\": \"dst2\"}]"));
  pf.resuming = 1;
  add_ix("a", 10, 1, 0, 0);
  add_existing(1, "a", 1);
  pf.domains[2].reached = 0;
  snm_err_set(&pf.domains[2].error, SNM_ENET, "dst2: GET /: refused");
  fact_failed(1, SNM_PF_FACT_DISK, "dst: GET /_cat/allocation: HTTP 500");
  verdict();
  assert_true(pf.n_blockers >= 3);
  for (size_t i = 0; i < pf.n_issues; i++) {
    assert_null(strstr(pf.issues[i].message, "nothing"));
    assert_null(strstr(pf.issues[i].hint, "nothing was changed"));
    assert_null(strstr(pf.issues[i].hint, "check only"));
  }
  assert_non_null(strstr(issue_of("unreachable", "dst2")->hint,
                         "resumes where it stopped"));
  teardown();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rename_prediction),
      cmocka_unit_test(test_collisions),
      cmocka_unit_test(test_conflicts),
      cmocka_unit_test(test_versions),
      cmocka_unit_test(test_capacity),
      cmocka_unit_test(test_capacity_resumed),
      cmocka_unit_test(test_source_optional),
      cmocka_unit_test(test_same_cluster),
      cmocka_unit_test(test_capacity_huge_numbers),
      cmocka_unit_test(test_open_shards_from_health),
      cmocka_unit_test(test_replicas_single_node),
      cmocka_unit_test(test_system_indices),
      cmocka_unit_test(test_data_stream_prediction),
      cmocka_unit_test(test_data_stream_conflicts),
      cmocka_unit_test(test_source_patterns),
      cmocka_unit_test(test_aliases),
      cmocka_unit_test(test_repository_settings),
      cmocka_unit_test(test_repository_endpoint),
      cmocka_unit_test(test_domains_and_running),
      cmocka_unit_test(test_domain_failure_text),
      cmocka_unit_test(test_unknown_facts),
      cmocka_unit_test(test_same_cluster_ids),
      cmocka_unit_test(test_source_optional_verdicts),
      cmocka_unit_test(test_resuming_wording),
      cmocka_unit_test(test_replace_verdicts),
      cmocka_unit_test(test_next_round),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
