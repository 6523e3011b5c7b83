/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for journal.c / journal_json.c (the run state file) and
 * timefmt.c: round trip, file and directory modes, atomic replace, crash
 * leftovers, damaged and newer files, the run lock, plan checks, secrecy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "journal.h"
#include "plan.h"
#include "plan_fixture.h"
#include "timefmt.h"

/* A fresh temporary directory per test, removed (one level deep plus
 * .snapmig/) at the end. */
struct tmpdir {
  char dir[64];
  char *state; /* DIR/.snapmig/t.state.json, malloced */
};

static char *join(const char *a, const char *b)
{
  struct snm_buf buf;

  snm_buf_init(&buf, 0);
  assert_int_equal(snm_buf_printf(&buf, "%s/%s", a, b), 0);
  return snm_buf_steal(&buf);
}

static void rm_tree(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;

  if (d == NULL)
    return;
  while ((e = readdir(d)) != NULL) {
    char *p;
    struct stat sb;

    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    p = join(dir, e->d_name);
    if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
      rm_tree(p);
    else
      unlink(p);
    free(p);
  }
  closedir(d);
  rmdir(dir);
}

static int setup_tmp(void **state)
{
  struct tmpdir *t = calloc(1, sizeof(*t));

  assert_non_null(t);
  snprintf(t->dir, sizeof(t->dir), "/tmp/snm-journal-XXXXXX");
  assert_non_null(mkdtemp(t->dir));
  t->state = join(t->dir, ".snapmig/t.state.json");
  *state = t;
  return 0;
}

static int teardown_tmp(void **state)
{
  struct tmpdir *t = *state;

  rm_tree(t->dir);
  free(t->state);
  free(t);
  return 0;
}

static struct snm_plan *load_plan(const char *rel)
{
  setenv("SNM_TEST_PW", "not-a-real-password", 1); /* the plan's password_env */
  return snm_test_plan_load(rel, NULL);
}

/* DIR/.snapmig (a static buffer). */
static const char *join_tmp_snapmig(const struct tmpdir *t)
{
  static char dir[96];

  snprintf(dir, sizeof(dir), "%s/.snapmig", t->dir);
  return dir;
}

static char *read_text(const char *path)
{
  FILE *fp = fopen(path, "rb");
  struct snm_buf b;
  char chunk[4096];
  size_t n;

  assert_non_null(fp);
  snm_buf_init(&b, 0);
  while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
    assert_int_equal(snm_buf_append(&b, chunk, n), 0);
  fclose(fp);
  return snm_buf_steal(&b);
}

static void write_text(const char *path, const char *text, size_t len)
{
  FILE *fp = fopen(path, "wb");

  assert_non_null(fp);
  assert_int_equal(fwrite(text, 1, len, fp), len);
  assert_int_equal(fclose(fp), 0);
}

/* 1 if `needle` occurs in `hay`, ignoring ASCII case. */
static int strcasestr_portable(const char *hay, const char *needle)
{
  size_t n = strlen(needle);

  for (; *hay != '\0'; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return 1;
  return 0;
}

/* A state with every field set, built through the helpers: round 1 has
 * every snapshot and restore field, round 2 (the current one) a few. */
static void full_state(struct snm_state *st)
{
  struct snm_state_index *x;
  struct snm_state_restore *r;
  struct snm_state_round *rd;

  snm_state_init(st);
  assert_int_equal(snm_state_set_str(&st->snapmig_version, "0.1.0"), 0);
  assert_int_equal(snm_state_set_str(&st->plan_name, "logs-eu"), 0);
  assert_int_equal(snm_state_set_str(&st->plan_path, "plans/logs.json"), 0);
  memset(st->plan_digest, 'a', 64);
  st->plan_digest[64] = '\0';
  assert_int_equal(snm_state_set_str(&st->run_id, "20261123T235901Z-1a2b"), 0);
  st->created_ms = 1795478341123LL;
  st->updated_ms = 1795478399999LL;
  st->step = SNM_STEP_VERIFY;
  st->events = 42;
  assert_int_equal(snm_state_set_registration(st, "old", 1), 0);
  assert_int_equal(snm_state_set_registration(st, "new", 0), 0);
  assert_int_equal(snm_state_set_registration(st, "old", 1), 0);
  assert_int_equal(st->n_registrations, 2);
  assert_int_equal(snm_state_push_round(st, &rd), 0);
  assert_int_equal(rd->number, 1);
  assert_int_equal(snm_state_set_str(&rd->snapshot.name, "snap-1"), 0);
  assert_int_equal(snm_state_set_str(&rd->snapshot.repository, "repo"), 0);
  rd->snapshot.state = SNM_SNAP_PARTIAL;
  rd->snapshot.started_ms = 1795478341000LL;
  assert_int_equal(
      snm_state_counts_set(&rd->snapshot.docs_before, "logs-2", 20), 0);
  assert_int_equal(
      snm_state_counts_set(&rd->snapshot.docs_before, "logs-1", 10), 0);
  assert_int_equal(snm_state_counts_set(&rd->snapshot.docs_after, "logs-1", 11),
                   0);
  assert_int_equal(snm_state_counts_set(&rd->snapshot.docs_after, "logs-1", 12),
                   0);
  assert_int_equal(rd->snapshot.docs_after.len, 1);

  rd->restores = calloc(2, sizeof(*rd->restores));
  assert_non_null(rd->restores);
  rd->n_restores = 2;
  r = &rd->restores[0];
  r->domain = strdup("new");
  r->state = SNM_RESTORE_RESTORED;
  assert_int_equal(
      snm_state_restore_add_index(r, "logs-1", "migrated-logs-1", &x), 0);
  x->state = SNM_RESTORE_VERIFIED;
  x->docs_expected = 12;
  x->docs_found = 12;
  x->bytes = 4096;
  assert_int_equal(snm_state_set_str(&x->uuid, "Yf3-uuid"), 0);
  assert_int_equal(
      snm_state_restore_add_index(r, "logs-2", "migrated-logs-2", &x), 0);
  x->state = SNM_RESTORE_FAILED;
  x->docs_expected = 20;
  r = &rd->restores[1];
  r->domain = strdup("other \"quoted\"");
  r->state = SNM_RESTORE_SKIPPED;

  /* round 2: the current one */
  assert_int_equal(snm_state_push_round(st, &rd), 0);
  assert_int_equal(rd->number, 2);
  assert_ptr_equal(snm_state_cur(st), rd);
  assert_int_equal(snm_state_set_str(&rd->snapshot.name, "snap-2"), 0);
  assert_int_equal(snm_state_set_str(&rd->snapshot.repository, "repo"), 0);
  rd->snapshot.state = SNM_SNAP_STARTED;
  rd->snapshot.started_ms = 1795478390000LL;
  assert_int_equal(
      snm_state_counts_set(&rd->snapshot.docs_before, "logs-1", 15), 0);
  rd->restores = calloc(1, sizeof(*rd->restores));
  assert_non_null(rd->restores);
  rd->n_restores = 1;
  r = &rd->restores[0];
  r->domain = strdup("new");
  r->state = SNM_RESTORE_RESTORING;
  assert_int_equal(
      snm_state_restore_add_index(r, "logs-1", "migrated-logs-1", &x), 0);
  x->state = SNM_RESTORE_REPLACING;
  x->docs_expected = 15;
  x->bytes = 5000;
  x->bytes_reused = 4000;
  x->replace = 1;
  assert_int_equal(snm_state_set_str(&x->uuid, "Yf3-uuid"), 0);
}

static void assert_counts_equal(const struct snm_state_counts *a,
                                const struct snm_state_counts *b)
{
  assert_int_equal(a->len, b->len);
  for (size_t i = 0; i < a->len; i++) {
    assert_string_equal(a->items[i].index, b->items[i].index);
    assert_true(a->items[i].count == b->items[i].count);
  }
}

static void assert_rounds_equal(const struct snm_state_round *a,
                                const struct snm_state_round *b)
{
  assert_int_equal(a->number, b->number);
  assert_string_equal(a->snapshot.name, b->snapshot.name);
  assert_string_equal(a->snapshot.repository, b->snapshot.repository);
  assert_int_equal(a->snapshot.state, b->snapshot.state);
  assert_true(a->snapshot.started_ms == b->snapshot.started_ms);
  assert_true(a->snapshot.finished_ms == b->snapshot.finished_ms);
  assert_counts_equal(&a->snapshot.docs_before, &b->snapshot.docs_before);
  assert_counts_equal(&a->snapshot.docs_after, &b->snapshot.docs_after);
  assert_int_equal(a->n_restores, b->n_restores);
  for (size_t i = 0; i < a->n_restores; i++) {
    const struct snm_state_restore *ra = &a->restores[i], *rb = &b->restores[i];

    assert_string_equal(ra->domain, rb->domain);
    assert_int_equal(ra->state, rb->state);
    assert_int_equal(ra->n_indices, rb->n_indices);
    for (size_t j = 0; j < ra->n_indices; j++) {
      assert_string_equal(ra->indices[j].source, rb->indices[j].source);
      assert_string_equal(ra->indices[j].target, rb->indices[j].target);
      assert_int_equal(ra->indices[j].state, rb->indices[j].state);
      assert_true(ra->indices[j].docs_expected == rb->indices[j].docs_expected);
      assert_true(ra->indices[j].docs_found == rb->indices[j].docs_found);
      assert_true(ra->indices[j].bytes == rb->indices[j].bytes);
      assert_true(ra->indices[j].bytes_reused == rb->indices[j].bytes_reused);
      assert_int_equal(ra->indices[j].replace, rb->indices[j].replace);
      if (ra->indices[j].uuid == NULL)
        assert_null(rb->indices[j].uuid);
      else
        assert_string_equal(ra->indices[j].uuid, rb->indices[j].uuid);
    }
  }
}

/* Everything but the format. */
static void assert_runs_equal(const struct snm_state *a,
                              const struct snm_state *b)
{
  assert_string_equal(a->snapmig_version, b->snapmig_version);
  assert_string_equal(a->plan_name, b->plan_name);
  assert_string_equal(a->plan_path, b->plan_path);
  assert_string_equal(a->plan_digest, b->plan_digest);
  assert_string_equal(a->run_id, b->run_id);
  assert_true(a->created_ms == b->created_ms);
  assert_true(a->updated_ms == b->updated_ms);
  assert_int_equal(a->step, b->step);
  assert_int_equal(a->events, b->events);
  assert_int_equal(a->n_registrations, b->n_registrations);
  for (size_t i = 0; i < a->n_registrations; i++) {
    assert_string_equal(a->registrations[i].domain, b->registrations[i].domain);
    assert_int_equal(a->registrations[i].created, b->registrations[i].created);
  }
  assert_int_equal(a->n_rounds, b->n_rounds);
  for (size_t i = 0; i < a->n_rounds; i++)
    assert_rounds_equal(&a->rounds[i], &b->rounds[i]);
}

static void assert_states_equal(const struct snm_state *a,
                                const struct snm_state *b)
{
  assert_int_equal(a->format, b->format);
  assert_runs_equal(a, b);
}

static void test_round_trip(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a, b;
  struct snm_err err;
  char *text1, *text2;
  int found = -1;

  full_state(&a);
  snm_state_init(&b);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), 0);
  assert_int_equal(found, 1);
  assert_states_equal(&a, &b);
  /* the parts the generic compare does not spell out */
  assert_int_equal(b.format, 2);
  assert_int_equal(b.n_rounds, 2);
  assert_ptr_equal(snm_state_cur(&b), &b.rounds[1]);
  assert_string_equal(snm_state_cur(&b)->snapshot.name, "snap-2");
  assert_true(b.rounds[0].snapshot.finished_ms == SNM_STATE_UNKNOWN);
  /* a sync round's index: closing or closed, replaced, bytes reused */
  assert_int_equal(b.rounds[1].restores[0].indices[0].state,
                   SNM_RESTORE_REPLACING);
  assert_true(b.rounds[1].restores[0].indices[0].bytes_reused == 4000);
  assert_true(b.rounds[0].restores[0].indices[1].bytes_reused ==
              SNM_STATE_UNKNOWN);
  assert_false(b.rounds[0].restores[0].indices[0].replace);
  assert_true(b.rounds[0].restores[0].indices[1].docs_found ==
              SNM_STATE_UNKNOWN);
  assert_string_equal(b.rounds[0].snapshot.docs_before.items[0].index,
                      "logs-2");
  assert_true(b.rounds[0].snapshot.docs_after.items[0].count == 12);
  assert_string_equal(b.rounds[0].restores[1].domain, "other \"quoted\"");
  /* restores are looked up in the current round */
  assert_ptr_equal(snm_state_find_restore(&b, "new"), &b.rounds[1].restores[0]);
  assert_null(snm_state_find_restore(&b, "other \"quoted\""));
  assert_null(snm_state_find_restore(&b, "nope"));
  assert_int_equal(snm_state_find_registration(&b, "new")->created, 0);

  /* same text when written again: stable key order */
  text1 = read_text(t->state);
  assert_int_equal(snm_state_to_json(&text2, &b, &err), 0);
  assert_string_equal(text1, text2);
  assert_non_null(strstr(text1, "\"created\": \"2026-11-23T"));
  assert_non_null(strstr(text1, "\"step\": \"verify\""));
  assert_non_null(strstr(text1, "\"docs_found\": null"));
  assert_non_null(strstr(text1, "\"format\": 2"));
  assert_non_null(strstr(text1, "\"rounds\": ["));
  assert_non_null(strstr(text1, "\"number\": 2"));
  free(text1);
  free(text2);
  snm_state_dispose(&a);
  snm_state_dispose(&b);
}

static int parse_text(const char *text, struct snm_err *err);

/* A cutover round's record: the previous values (true, false, unset),
 * the aliases with their holders, the times and the downtime, read back
 * as written; a bad "previous" is refused with its position. */
static void test_cutover_round_trip(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a, b;
  struct snm_state_cutover *c;
  struct snm_state_alias *al;
  const char *holders[] = {"old-1", "old-2"};
  struct snm_err err;
  char *text;
  int found = -1;

  full_state(&a);
  c = &snm_state_cur(&a)->cutover;
  c->state = SNM_CUT_SWITCHING;
  c->source_blocked = 1;
  assert_int_equal(snm_state_cutover_add_block(c, "logs-1", SNM_BLOCK_UNSET),
                   0);
  assert_int_equal(snm_state_cutover_add_block(c, "logs-2", 0), 0);
  assert_int_equal(snm_state_cutover_add_block(c, "logs-3", 1), 0);
  /* the first reading is kept */
  assert_int_equal(snm_state_cutover_add_block(c, "logs-2", 1), 0);
  assert_int_equal(snm_state_cutover_add_alias(c, "new", "live", "copy-1", &al),
                   0);
  assert_int_equal(snm_state_alias_set_holders(al, holders, 2), 0);
  c->blocked_ms = 1764000000000LL;
  c->verified_ms = 1764000001234LL;
  snm_state_init(&b);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), 0);
  assert_int_equal(found, 1);
  assert_int_equal(b.rounds[0].cutover.state, SNM_CUT_NONE); /* not written */
  c = &snm_state_cur(&b)->cutover;
  assert_int_equal(c->state, SNM_CUT_SWITCHING);
  assert_true(c->source_blocked);
  assert_int_equal(c->n_blocks, 3);
  assert_int_equal(c->blocks[0].previous, SNM_BLOCK_UNSET);
  assert_int_equal(c->blocks[1].previous, 0);
  assert_int_equal(c->blocks[2].previous, 1);
  assert_string_equal(c->blocks[2].index, "logs-3");
  assert_int_equal(c->n_aliases, 1);
  assert_string_equal(c->aliases[0].domain, "new");
  assert_string_equal(c->aliases[0].index, "copy-1");
  assert_int_equal(c->aliases[0].n_holders, 2);
  assert_string_equal(c->aliases[0].holders[1], "old-2");
  assert_false(c->aliases[0].switched);
  assert_true(c->blocked_ms == 1764000000000LL);
  assert_true(c->verified_ms == 1764000001234LL);
  assert_true(c->switched_ms == SNM_STATE_UNKNOWN);
  text = read_text(t->state);
  assert_non_null(strstr(text, "\"downtime_ms\": 1234"));
  assert_non_null(strstr(text, "\"previous\": null"));
  free(text);
  snm_state_dispose(&a);
  snm_state_dispose(&b);

  /* a "previous" that is not true, false or null */
  text = read_text(t->state);
  {
    char *at = strstr(text, "\"previous\": null");
    assert_non_null(at);
    memcpy(at, "\"previous\": 7   ", 16);
    assert_int_equal(parse_text(text, &err), SNM_EPARSE);
    assert_non_null(strstr(err.msg, "previous"));
  }
  free(text);
}

static void test_modes_and_no_tmp_left(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a;
  struct snm_err err;
  struct stat sb;
  char *dir = join(t->dir, ".snapmig");
  DIR *d;
  struct dirent *e;
  int entries = 0;

  full_state(&a);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  assert_int_equal(stat(dir, &sb), 0);
  assert_int_equal(sb.st_mode & 07777, 0700);
  assert_int_equal(stat(t->state, &sb), 0);
  assert_int_equal(sb.st_mode & 07777, 0600);

  /* an older file with looser bits is replaced by a 0600 one */
  assert_int_equal(chmod(t->state, 0644), 0);
  a.events++;
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  assert_int_equal(stat(t->state, &sb), 0);
  assert_int_equal(sb.st_mode & 07777, 0600);

  d = opendir(dir);
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' &&
        (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
      continue;
    assert_string_equal(e->d_name, "t.state.json");
    entries++;
  }
  closedir(d);
  assert_int_equal(entries, 1);
  snm_state_dispose(&a);
  free(dir);
}

static void test_save_errors_name_path(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a;
  struct snm_err err;
  char *bad = join(t->dir, "missing/deeper/x.state.json");

  snm_state_init(&a);
  assert_int_equal(snm_state_save(&a, bad, &err), SNM_EIO);
  assert_non_null(strstr(err.msg, "missing/deeper"));
  assert_non_null(strstr(err.msg, "No such file or directory"));
  assert_non_null(strstr(err.msg, "--state FILE"));
  free(bad);
}

static void test_crash_leftover_tmp(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a, b;
  struct snm_journal_lock lk;
  struct snm_err err;
  struct snm_buf tmp;
  int found;

  full_state(&a);
  snm_state_init(&b);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  /* a writer that died between creating its tmp file and renaming it */
  snm_buf_init(&tmp, 0);
  assert_int_equal(snm_buf_printf(&tmp, "%s.tmp.%d", t->state, 999999), 0);
  write_text(snm_buf_str(&tmp), "{\"format\": 1, \"run_", 19);

  assert_int_equal(snm_state_load(&b, &found, t->state, &err), 0);
  assert_int_equal(found, 1);
  assert_states_equal(&a, &b);
  /* the next run's lock removes the leftover */
  assert_int_equal(access(snm_buf_str(&tmp), F_OK), 0);
  assert_int_equal(snm_journal_lock(&lk, t->state, &err), 0);
  assert_int_equal(access(snm_buf_str(&tmp), F_OK), -1);
  /* a leftover with our own pid does not stop the next save */
  snm_buf_reset(&tmp);
  assert_int_equal(snm_buf_printf(&tmp, "%s.tmp.%ld", t->state, (long)getpid()),
                   0);
  write_text(snm_buf_str(&tmp), "junk", 4);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  assert_int_equal(access(snm_buf_str(&tmp), F_OK), -1);
  snm_journal_unlock(&lk);
  snm_buf_dispose(&tmp);
  snm_state_dispose(&a);
  snm_state_dispose(&b);
}

static void test_missing_file(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state b;
  struct snm_err err;
  int found = -1;

  snm_state_init(&b);
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), 0);
  assert_int_equal(found, 0);
  assert_null(b.run_id);
}

static void test_damaged_files(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a, b;
  struct snm_err err;
  char *text, *p;
  int found = -1;

  full_state(&a);
  snm_state_init(&b);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  text = read_text(t->state);

  /* truncated */
  write_text(t->state, text, strlen(text) / 2);
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), SNM_EPARSE);
  assert_int_equal(found, 0);
  assert_non_null(strstr(err.msg, t->state));
  assert_non_null(strstr(err.msg, "not JSON"));
  assert_null(b.run_id);

  /* empty */
  write_text(t->state, "", 0);
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, t->state));

  /* a wrong type, located */
  p = strstr(text, "\"events\": 42");
  assert_non_null(p);
  memcpy(p, "\"events\": \"\"", 12);
  write_text(t->state, text, strlen(text));
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, t->state));
  if (strstr(err.msg, ":13:13: state.events: expected a count") == NULL)
    fail_msg("%s", err.msg);
  memcpy(p, "\"events\": 42", 12);

  /* an unknown state name */
  p = strstr(text, "\"partial\"");
  assert_non_null(p);
  memcpy(p, "\"partiel\"", 9);
  write_text(t->state, text, strlen(text));
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, "unknown state \"partiel\""));

  /* not an object */
  write_text(t->state, "[1]", 3);
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, "expected an object"));
  free(text);
  snm_state_dispose(&a);
}

static void test_newer_format(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a, b;
  struct snm_err err;
  char *text, *p;
  int found = -1;

  full_state(&a);
  snm_state_init(&b);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  text = read_text(t->state);
  p = strstr(text, "\"format\": 2");
  assert_non_null(p);
  p[10] = '7';
  write_text(t->state, text, strlen(text));
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), SNM_EPARSE);
  assert_non_null(strstr(err.msg, "newer snapmig (state format 7"));
  assert_non_null(strstr(err.msg, t->state));
  /* the next format: refused, not read as something it is not */
  p[10] = '3';
  write_text(t->state, text, strlen(text));
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), SNM_EPARSE);
  assert_int_equal(found, 0);
  assert_null(b.run_id);
  assert_non_null(strstr(err.msg, "newer snapmig (state format 3; this "
                                  "snapmig reads format 2)"));
  assert_non_null(strstr(err.msg, "--fresh"));
  free(text);
  snm_state_dispose(&a);
}

static void test_lock_conflict(void **state)
{
  struct tmpdir *t = *state;
  struct snm_journal_lock one, two;
  struct snm_err err;
  char want[64], *text;
  struct stat sb;

  assert_int_equal(snm_journal_lock(&one, t->state, &err), 0);
  assert_int_equal(stat(one.path, &sb), 0);
  assert_int_equal(sb.st_mode & 07777, 0600);
  text = read_text(one.path);
  snprintf(want, sizeof(want), "%ld\n", (long)getpid());
  assert_string_equal(text, want);
  free(text);

  /* a second open file description: flock refuses it */
  assert_int_equal(snm_journal_lock(&two, t->state, &err), SNM_EIO);
  assert_int_equal(two.fd, -1);
  snprintf(want, sizeof(want), "(pid %ld)", (long)getpid());
  assert_non_null(strstr(err.msg, "another snapmig run holds "));
  assert_non_null(strstr(err.msg, ".state.json.lock"));
  assert_non_null(strstr(err.msg, want));

  snm_journal_unlock(&one);
  snm_journal_unlock(&one); /* harmless twice */
  assert_int_equal(snm_journal_lock(&two, t->state, &err), 0);
  snm_journal_unlock(&two);
}

/* Safety issue, item 12: one plan against one source runs once at a time,
 * whatever its state file. */
static void test_plan_lock(void **state)
{
  struct tmpdir *t = *state;
  struct snm_journal_lock one, two, other;
  struct snm_err err;
  char *dir = join(t->dir, "locks"), want[64];
  struct stat sb;

  setenv("SNAPMIG_LOCK_DIR", dir, 1);
  assert_int_equal(
      snm_journal_plan_lock(&one, "nightly", "https://src.example:9200", &err),
      0);
  assert_int_equal(stat(dir, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0700);
  /* the same plan and source, written otherwise: refused */
  assert_int_equal(
      snm_journal_plan_lock(&two, "nightly", "HTTPS://SRC.example:9200/", &err),
      SNM_EIO);
  assert_int_equal(two.fd, -1);
  snprintf(want, sizeof(want), "(pid %ld,", (long)getpid());
  assert_non_null(strstr(err.msg, "another snapmig run of plan \"nightly\""));
  assert_non_null(strstr(err.msg, want));
  /* another plan, or another source: free */
  assert_int_equal(
      snm_journal_plan_lock(&other, "weekly", "https://src.example:9200", &err),
      0);
  snm_journal_unlock(&other);
  assert_int_equal(snm_journal_plan_lock(&other, "nightly",
                                         "https://src2.example:9200", &err),
                   0);
  snm_journal_unlock(&other);
  snm_journal_unlock(&one);
  assert_int_equal(
      snm_journal_plan_lock(&two, "nightly", "https://src.example:9200", &err),
      0);
  snm_journal_unlock(&two);
  /* a lock folder others can write is refused */
  assert_int_equal(chmod(dir, 0777), 0);
  assert_int_equal(
      snm_journal_plan_lock(&two, "nightly", "https://src.example:9200", &err),
      SNM_EIO);
  assert_non_null(strstr(err.msg, "only it can write"));
  unsetenv("SNAPMIG_LOCK_DIR");
  free(dir);
}

static void test_begin_check_and_secrets(void **state)
{
  struct tmpdir *t = *state;
  struct snm_plan *p = load_plan("tests/plans/valid-full.json");
  struct snm_plan *other = load_plan("plans/aws-manual-snapshot.json");
  struct snm_state st;
  struct snm_err err;
  char *text;
  static const char *const secretish[] = {"password", "secret", "token",
                                          "Authorization", "SNM_TEST_PW"};

  snm_state_init(&st);
  assert_int_equal(snm_state_begin(&st, p, "tests/plans/valid-full.json",
                                   "snap-x", 1795478341123LL, &err),
                   0);
  assert_string_equal(st.plan_name, p->name);
  assert_int_equal(st.n_rounds, 1);
  assert_int_equal(snm_state_cur(&st)->number, 1);
  assert_int_equal(snm_state_cur(&st)->n_restores, p->n_restores);
  assert_string_equal(snm_state_cur(&st)->restores[0].domain,
                      p->domains[p->restores[0].domain].id);
  assert_string_equal(snm_state_cur(&st)->snapshot.name, "snap-x");
  assert_string_equal(snm_state_cur(&st)->snapshot.repository,
                      p->repository.name);
  assert_int_equal(strlen(st.run_id), strlen("20261123T235901Z-") + 8);
  assert_memory_equal(st.run_id, "20261123T235901Z-", 17);
  assert_int_equal(snm_state_check_plan(&st, p, t->state, &err), 0);

  assert_int_equal(snm_state_check_plan(&st, other, t->state, &err),
                   SNM_EINVAL);
  assert_non_null(strstr(err.msg, "belongs to plan"));
  assert_non_null(strstr(err.msg, "--fresh"));

  st.plan_digest[0] = st.plan_digest[0] == '0' ? '1' : '0';
  assert_int_equal(snm_state_check_plan(&st, p, t->state, &err), SNM_EINVAL);
  assert_non_null(strstr(err.msg, "changed since"));
  assert_non_null(strstr(err.msg, t->state));
  assert_non_null(strstr(err.msg, "--fresh to start a new run"));
  assert_non_null(strstr(err.msg, "nothing is deleted"));

  assert_int_equal(snm_state_save(&st, t->state, &err), 0);
  text = read_text(t->state);
  for (size_t i = 0; i < sizeof(secretish) / sizeof(secretish[0]); i++)
    if (strcasestr_portable(text, secretish[i]))
      fail_msg("state file contains \"%s\":\n%s", secretish[i], text);
  assert_null(strstr(text, "not-a-real-password"));
  free(text);
  snm_state_dispose(&st);
  snm_plan_free(p);
  snm_plan_free(other);
}

/* A state file as snapmig 0.1 (format 1) wrote it, mid-restore: the text
 * the format 1 writer (journal_json.c before rounds) produced for these
 * values. */
static const char format1_text[] =
    "{\n"
    "  \"format\": 1,\n"
    "  \"snapmig_version\": \"0.1.0\",\n"
    "  \"run_id\": \"20261123T235901Z-1a2b\",\n"
    "  \"plan\": {\n"
    "    \"name\": \"logs-eu\",\n"
    "    \"path\": \"plans/logs.json\",\n"
    "    \"digest\": "
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
    "  },\n"
    "  \"created\": \"2026-11-23T23:59:01.123Z\",\n"
    "  \"updated\": \"2026-11-23T23:59:59.999Z\",\n"
    "  \"step\": \"restore\",\n"
    "  \"events\": 42,\n"
    "  \"repositories\": {\n"
    "    \"old\": \"registered\",\n"
    "    \"new\": \"existed\"\n"
    "  },\n"
    "  \"snapshot\": {\n"
    "    \"name\": \"snap-1\",\n"
    "    \"repository\": \"repo\",\n"
    "    \"state\": \"success\",\n"
    "    \"started_at\": \"2026-11-23T23:59:01.000Z\",\n"
    "    \"finished_at\": \"2026-11-23T23:59:02.500Z\",\n"
    "    \"docs_before\": {\n"
    "      \"logs-2\": 20,\n"
    "      \"logs-1\": 10\n"
    "    },\n"
    "    \"docs_after\": {\n"
    "      \"logs-1\": 12\n"
    "    }\n"
    "  },\n"
    "  \"restores\": [\n"
    "    {\n"
    "      \"domain\": \"new\",\n"
    "      \"state\": \"restoring\",\n"
    "      \"indices\": [\n"
    "        {\n"
    "          \"source\": \"logs-1\",\n"
    "          \"target\": \"migrated-logs-1\",\n"
    "          \"state\": \"restored\",\n"
    "          \"docs_expected\": 12,\n"
    "          \"docs_found\": null,\n"
    "          \"bytes\": 4096\n"
    "        },\n"
    "        {\n"
    "          \"source\": \"logs-2\",\n"
    "          \"target\": \"migrated-logs-2\",\n"
    "          \"state\": \"restoring\",\n"
    "          \"docs_expected\": 20,\n"
    "          \"docs_found\": null,\n"
    "          \"bytes\": null\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"domain\": \"other\",\n"
    "      \"state\": \"pending\",\n"
    "      \"indices\": [\n"
    "\n"
    "      ]\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* Format 1 is read as a run of one round, every field in its place, and
 * written back as format 2. */
static void test_format1(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state st, again;
  struct snm_state_round *rd;
  struct snm_state_restore *r;
  struct snm_err err;
  char *text;
  int found = -1;

  assert_int_equal(mkdir(join_tmp_snapmig(t), 0700), 0);
  write_text(t->state, format1_text, strlen(format1_text));
  snm_state_init(&st);
  snm_state_init(&again);
  if (snm_state_load(&st, &found, t->state, &err) != 0)
    fail_msg("%s", err.msg);
  assert_int_equal(found, 1);
  assert_int_equal(st.format, 1);
  /* the run */
  assert_string_equal(st.snapmig_version, "0.1.0");
  assert_string_equal(st.run_id, "20261123T235901Z-1a2b");
  assert_string_equal(st.plan_name, "logs-eu");
  assert_string_equal(st.plan_path, "plans/logs.json");
  assert_int_equal(strspn(st.plan_digest, "a"), 64);
  assert_true(st.created_ms == 1795478341123LL);
  assert_true(st.updated_ms == 1795478399999LL);
  assert_int_equal(st.step, SNM_STEP_RESTORE);
  assert_int_equal(st.events, 42);
  assert_int_equal(st.n_registrations, 2);
  assert_int_equal(snm_state_find_registration(&st, "old")->created, 1);
  assert_int_equal(snm_state_find_registration(&st, "new")->created, 0);
  /* round 1 */
  assert_int_equal(st.n_rounds, 1);
  rd = snm_state_cur(&st);
  assert_ptr_equal(rd, &st.rounds[0]);
  assert_int_equal(rd->number, 1);
  assert_string_equal(rd->snapshot.name, "snap-1");
  assert_string_equal(rd->snapshot.repository, "repo");
  assert_int_equal(rd->snapshot.state, SNM_SNAP_SUCCESS);
  assert_true(rd->snapshot.started_ms == 1795478341000LL);
  assert_true(rd->snapshot.finished_ms == 1795478342500LL);
  assert_int_equal(rd->snapshot.docs_before.len, 2);
  assert_string_equal(rd->snapshot.docs_before.items[0].index, "logs-2");
  assert_true(rd->snapshot.docs_before.items[0].count == 20);
  assert_string_equal(rd->snapshot.docs_before.items[1].index, "logs-1");
  assert_true(rd->snapshot.docs_before.items[1].count == 10);
  assert_int_equal(rd->snapshot.docs_after.len, 1);
  assert_true(
      snm_state_counts_find(&rd->snapshot.docs_after, "logs-1")->count == 12);
  assert_int_equal(rd->n_restores, 2);
  r = &rd->restores[0];
  assert_ptr_equal(snm_state_find_restore(&st, "new"), r);
  assert_int_equal(r->state, SNM_RESTORE_RESTORING);
  assert_int_equal(r->n_indices, 2);
  assert_string_equal(r->indices[0].source, "logs-1");
  assert_string_equal(r->indices[0].target, "migrated-logs-1");
  assert_int_equal(r->indices[0].state, SNM_RESTORE_RESTORED);
  assert_true(r->indices[0].docs_expected == 12);
  assert_true(r->indices[0].docs_found == SNM_STATE_UNKNOWN);
  assert_true(r->indices[0].bytes == 4096);
  assert_string_equal(r->indices[1].source, "logs-2");
  assert_string_equal(r->indices[1].target, "migrated-logs-2");
  assert_int_equal(r->indices[1].state, SNM_RESTORE_RESTORING);
  assert_true(r->indices[1].docs_expected == 20);
  assert_true(r->indices[1].bytes == SNM_STATE_UNKNOWN);
  r = &rd->restores[1];
  assert_string_equal(r->domain, "other");
  assert_int_equal(r->state, SNM_RESTORE_PENDING);
  assert_int_equal(r->n_indices, 0);

  /* saved again (a resumed run does): format 2, one round, same content */
  assert_int_equal(snm_state_save(&st, t->state, &err), 0);
  text = read_text(t->state);
  assert_non_null(strstr(text, "\"format\": 2"));
  assert_non_null(strstr(text, "\"rounds\": ["));
  assert_null(strstr(text, "\n  \"snapshot\""));
  assert_null(strstr(text, "\n  \"restores\""));
  assert_int_equal(snm_state_load(&again, &found, t->state, &err), 0);
  assert_int_equal(again.format, 2);
  assert_runs_equal(&st, &again);
  free(text);
  snm_state_dispose(&st);
  snm_state_dispose(&again);
}

/* Parse `text` as a state file named "x.json": the return code; err set. */
static int parse_text(const char *text, struct snm_err *err)
{
  struct snm_state st;
  int rc;

  snm_state_init(&st);
  rc = snm_state_parse(&st, text, strlen(text), "x.json", err);
  if (rc != 0)
    assert_null(st.run_id); /* left empty */
  else
    assert_true(st.n_rounds > 0);
  snm_state_dispose(&st);
  return rc;
}

/* A run's keys, then `rest` (a format number and the rounds). */
static char *state_text(const char *rest)
{
  struct snm_buf b;

  snm_buf_init(&b, 0);
  assert_int_equal(
      snm_buf_printf(&b,
                     "{\"run_id\": \"r\", \"plan\": {\"name\": \"p\", "
                     "\"digest\": \"%064d\"},\n\"step\": \"snapshot\", "
                     "\"events\": 0,\n%s}",
                     0, rest),
      0);
  return snm_buf_steal(&b);
}

static void expect_bad(const char *rest, const char *want)
{
  struct snm_err err;
  char *text = state_text(rest);

  assert_int_equal(parse_text(text, &err), SNM_EPARSE);
  if (strstr(err.msg, want) == NULL)
    fail_msg("want \"%s\" in: %s", want, err.msg);
  assert_non_null(strstr(err.msg, "not a valid snapmig state file"));
  free(text);
}

#define ROUND_OK(n)                                                            \
  "{\"number\": " #n ", \"snapshot\": {\"name\": \"s\", \"state\": "           \
  "\"pending\"}, \"restores\": []}"

static void test_bad_rounds(void **state)
{
  struct snm_err err;
  char *text;
  (void)state;

  /* the well-formed ones parse */
  text = state_text("\"format\": 2, \"rounds\": [" ROUND_OK(1) "]");
  assert_int_equal(parse_text(text, &err), 0);
  free(text);
  text = state_text(
      "\"format\": 2, \"rounds\": [" ROUND_OK(1) ", " ROUND_OK(2) "]");
  assert_int_equal(parse_text(text, &err), 0);
  free(text);

  /* located: "rounds" is on line 4 */
  expect_bad("\"format\": 2,\n\"rounds\": {}",
             "x.json:4:11: rounds: expected an array, found object");
  expect_bad("\"format\": 2, \"rounds\": []",
             "rounds: empty (a run has at least one round)");
  expect_bad("\"format\": 2", "rounds: missing");
  expect_bad("\"format\": 2, \"rounds\": [7]", "rounds[0]: expected an object");
  expect_bad("\"format\": 2, \"rounds\": [{\"number\": 1, \"restores\": []}]",
             "rounds[0].snapshot: missing");
  expect_bad(
      "\"format\": 2, \"rounds\": [{\"number\": 1, \"snapshot\": {\"state\": "
      "\"pending\"}}]",
      "rounds[0].restores: missing");
  expect_bad("\"format\": 2, \"rounds\": [{\"snapshot\": {\"state\": "
             "\"pending\"}, \"restores\": []}]",
             "rounds[0].number: missing");
  expect_bad("\"format\": 2, \"rounds\": [" ROUND_OK(1) ", " ROUND_OK(3) "]",
             "rounds[1].number: expected 2 (rounds are numbered 1, 2, ... in "
             "order)");
  expect_bad("\"format\": 2, \"rounds\": [" ROUND_OK(
                 1) ", {\"number\": 2, "
                    "\"snapshot\": {\"state\": \"done\"}, \"restores\": []}]",
             "rounds[1].snapshot.state: unknown state \"done\"");
  expect_bad(
      "\"format\": 2, \"rounds\": [{\"number\": 1, \"snapshot\": {\"state\": "
      "\"pending\"}, \"restores\": [{\"domain\": \"t\", \"state\": "
      "\"pending\", \"indices\": [{\"source\": \"a\"}]}]}]",
      "rounds[0].restores[0].indices[0].target: missing");
  expect_bad(
      "\"format\": 2, \"rounds\": [{\"number\": 1, \"snapshot\": {\"state\": "
      "\"pending\", \"docs_before\": {\"a\": -1}}, \"restores\": []}]",
      "rounds[0].snapshot.docs_before.a: expected a count");
  /* format 1 keeps its own names */
  expect_bad("\"format\": 1, \"restores\": []", "snapshot: missing");
  expect_bad("\"format\": 1, \"snapshot\": {\"state\": \"pending\"}",
             "restores: missing");
  /* a format 1 file is read from its top-level keys, not "rounds" */
  expect_bad("\"format\": 1, \"rounds\": [" ROUND_OK(1) "]",
             "snapshot: missing");
  expect_bad("\"format\": 0, \"rounds\": [" ROUND_OK(1) "]",
             "format: expected a format number (1 or 2)");
}

/* The next round of a run (what an incremental sync adds). */
/* A data stream's backing index keeps its stream and the stream's target
 * name; the snapshot keeps the streams it names. */
static void test_data_streams(void **state)
{
  struct tmpdir *t = *state;
  struct snm_state a, b;
  struct snm_state_round *rd;
  struct snm_state_index *ix;
  struct snm_err err;
  char *text;
  int found = -1;

  full_state(&a);
  rd = snm_state_cur(&a);
  rd->snapshot.data_streams = calloc(2, sizeof(char *));
  assert_non_null(rd->snapshot.data_streams);
  rd->snapshot.data_streams[rd->snapshot.n_data_streams++] = strdup("app");
  assert_true(rd->n_restores > 0);
  assert_int_equal(snm_state_restore_add_index(&rd->restores[0],
                                               ".ds-app-000001",
                                               ".ds-m-app-000001", &ix),
                   0);
  assert_int_equal(snm_state_set_str(&ix->data_stream, "app"), 0);
  assert_int_equal(snm_state_set_str(&ix->target_stream, "m-app"), 0);
  assert_int_equal(snm_state_save(&a, t->state, &err), 0);
  snm_state_init(&b);
  assert_int_equal(snm_state_load(&b, &found, t->state, &err), 0);
  assert_states_equal(&a, &b);
  rd = snm_state_cur(&b);
  assert_int_equal(rd->snapshot.n_data_streams, 1);
  assert_string_equal(rd->snapshot.data_streams[0], "app");
  ix = snm_state_restore_find_index(&rd->restores[0], ".ds-app-000001");
  assert_non_null(ix);
  assert_string_equal(ix->data_stream, "app");
  assert_string_equal(ix->target_stream, "m-app");
  /* a plain index has neither */
  assert_null(rd->restores[0].indices[0].data_stream);
  text = read_text(t->state);
  assert_non_null(strstr(text, "\"target_data_stream\": \"m-app\""));
  assert_non_null(strstr(text, "\"data_streams\": ["));
  free(text);
  snm_state_dispose(&a);
  snm_state_dispose(&b);

  expect_bad("\"format\": 2, \"rounds\": [{\"number\": 1, \"snapshot\": "
             "{\"state\": \"pending\", \"data_streams\": [\"\"]}, "
             "\"restores\": []}]",
             "data_streams[0]: expected a data stream name");
  expect_bad("\"format\": 2, \"rounds\": [{\"number\": 1, \"snapshot\": "
             "{\"state\": \"pending\"}, \"restores\": [{\"domain\": \"d\", "
             "\"state\": \"pending\", \"indices\": [{\"source\": \"a\", "
             "\"target\": \"b\", \"state\": \"pending\", \"data_stream\": "
             "\"s\"}]}]}]",
             "go together");
}

static void test_add_round(void **state)
{
  struct tmpdir *t = *state;
  struct snm_plan *p = load_plan("tests/plans/valid-full.json");
  struct snm_state st, back;
  struct snm_state_round *r1, *r2;
  struct snm_state_index *x;
  struct snm_err err;
  int found;

  snm_state_init(&st);
  snm_state_init(&back);
  assert_int_equal(snm_state_begin(&st, p, "tests/plans/valid-full.json",
                                   "snap-x", 1795478341123LL, &err),
                   0);
  assert_true(p->n_restores > 0);
  r1 = snm_state_cur(&st);
  r1->snapshot.state = SNM_SNAP_SUCCESS;
  r1->snapshot.started_ms = 1795478341500LL;
  r1->snapshot.finished_ms = 1795478342500LL;
  assert_int_equal(snm_state_counts_set(&r1->snapshot.docs_after, "a", 5), 0);
  assert_int_equal(snm_state_restore_add_index(&r1->restores[0], "a", "b", &x),
                   0);
  x->state = SNM_RESTORE_VERIFIED;
  r1->restores[0].state = SNM_RESTORE_VERIFIED;
  st.step = SNM_STEP_DONE;

  assert_int_equal(snm_state_add_round(&st, p, "snap-y", &err), 0);
  assert_int_equal(st.n_rounds, 2);
  assert_int_equal(st.step, SNM_STEP_DONE); /* the caller's to change */
  r1 = &st.rounds[0];
  r2 = snm_state_cur(&st);
  assert_ptr_equal(r2, &st.rounds[1]);
  assert_int_equal(r2->number, 2);
  assert_string_equal(r2->snapshot.name, "snap-y");
  assert_string_equal(r2->snapshot.repository, p->repository.name);
  assert_int_equal(r2->snapshot.state, SNM_SNAP_PENDING);
  assert_true(r2->snapshot.started_ms == SNM_STATE_UNKNOWN);
  assert_true(r2->snapshot.finished_ms == SNM_STATE_UNKNOWN);
  assert_int_equal(r2->snapshot.docs_before.len, 0);
  assert_int_equal(r2->snapshot.docs_after.len, 0);
  assert_int_equal(r2->n_restores, p->n_restores);
  for (size_t i = 0; i < p->n_restores; i++) {
    assert_string_equal(r2->restores[i].domain,
                        p->domains[p->restores[i].domain].id);
    assert_int_equal(r2->restores[i].state, SNM_RESTORE_PENDING);
    assert_int_equal(r2->restores[i].n_indices, 0);
  }
  assert_ptr_equal(snm_state_find_restore(&st, r2->restores[0].domain),
                   &r2->restores[0]);
  /* round 1 as it was */
  assert_int_equal(r1->number, 1);
  assert_string_equal(r1->snapshot.name, "snap-x");
  assert_int_equal(r1->snapshot.state, SNM_SNAP_SUCCESS);
  assert_int_equal(r1->restores[0].n_indices, 1);
  assert_int_equal(r1->restores[0].indices[0].state, SNM_RESTORE_VERIFIED);

  /* a third, saved and read back */
  assert_int_equal(snm_state_add_round(&st, p, "snap-z", &err), 0);
  assert_int_equal(snm_state_cur(&st)->number, 3);
  assert_int_equal(snm_state_save(&st, t->state, &err), 0);
  assert_int_equal(snm_state_load(&back, &found, t->state, &err), 0);
  assert_int_equal(found, 1);
  assert_states_equal(&st, &back);
  assert_string_equal(snm_state_cur(&back)->snapshot.name, "snap-z");
  snm_state_dispose(&st);
  snm_state_dispose(&back);
  snm_plan_free(p);
}

static void test_default_path(void **state)
{
  char *out = NULL;
  (void)state;

  assert_int_equal(snm_journal_default_path(&out, "plans/logs.json", "logs"),
                   0);
  assert_string_equal(out, "plans/.snapmig/logs.state.json");
  free(out);
  assert_int_equal(
      snm_journal_default_path(&out, "/abs/p.json", "Logs-EU_to.US"), 0);
  assert_string_equal(out, "/abs/.snapmig/Logs-EU_to.US.state.json");
  free(out);
  assert_int_equal(snm_journal_default_path(&out, "p.json", "../a b/c"), 0);
  assert_string_equal(out, ".snapmig/_._a_b_c.state.json");
  free(out);
}

static void test_names(void **state)
{
  enum snm_step s;
  enum snm_snapshot_state ss;
  enum snm_restore_state rs;
  (void)state;

  for (int i = SNM_STEP_PREFLIGHT; i <= SNM_STEP_DONE; i++) {
    assert_int_equal(snm_step_parse(snm_step_name((enum snm_step)i), &s), 0);
    assert_int_equal(s, i);
  }
  for (int i = SNM_SNAP_PENDING; i <= SNM_SNAP_FAILED; i++) {
    assert_int_equal(
        snm_snapshot_state_parse(
            snm_snapshot_state_name((enum snm_snapshot_state)i), &ss),
        0);
    assert_int_equal(ss, i);
  }
  for (int i = SNM_RESTORE_PENDING; i <= SNM_RESTORE_FAILED; i++) {
    assert_int_equal(
        snm_restore_state_parse(
            snm_restore_state_name((enum snm_restore_state)i), &rs),
        0);
    assert_int_equal(rs, i);
  }
  assert_string_equal(snm_restore_state_name(SNM_RESTORE_RESTORING),
                      "restoring");
  assert_int_equal(snm_step_parse("Snapshot", &s), SNM_EINVAL);
}

static void test_rfc3339(void **state)
{
  char out[SNM_TIME_RFC3339_MAX];
  long long ms;
  (void)state;

  assert_string_equal(snm_time_format(out, 0, 1), "1970-01-01T00:00:00.000Z");
  assert_string_equal(snm_time_format(out, 1795478341123LL, 1),
                      "2026-11-23T23:59:01.123Z");
  assert_string_equal(snm_time_format(out, 1795478341123LL, 0),
                      "2026-11-23T23:59:01Z");
  assert_string_equal(snm_time_format(out, 951782400000LL, 0),
                      "2000-02-29T00:00:00Z");
  assert_int_equal(snm_time_parse("2026-11-23T23:59:01.123Z", &ms), 0);
  assert_true(ms == 1795478341123LL);
  assert_int_equal(snm_time_parse("2026-11-24T01:59:01.1+02:00", &ms), 0);
  assert_true(ms == 1795478341100LL);
  assert_int_equal(snm_time_parse("2000-02-29T00:00:00Z", &ms), 0);
  assert_true(ms == 951782400000LL);
  assert_int_equal(snm_time_parse("2001-02-29T00:00:00Z", &ms), SNM_EINVAL);
  assert_int_equal(snm_time_parse("2026-11-23T23:59:01", &ms), SNM_EINVAL);
  assert_int_equal(snm_time_parse("2026-13-01T00:00:00Z", &ms), SNM_EINVAL);
  assert_int_equal(snm_time_parse("2026-11-23T23:59:01Zx", &ms), SNM_EINVAL);
  /* what the ECS and IMDS credential endpoints may send */
  assert_int_equal(snm_time_parse("2026-11-24T01:59:01,1+0200", &ms), 0);
  assert_true(ms == 1795478341100LL);
  assert_int_equal(snm_time_parse("2026-11-23T19:59:01.123456-04:00", &ms), 0);
  assert_true(ms == 1795478341123LL);
  assert_int_equal(snm_time_parse("2026-11-23T23:59:01+02", &ms), SNM_EINVAL);
  assert_int_equal(snm_time_parse("2026-11-23T23:59:01.Z", &ms), SNM_EINVAL);
  assert_true(snm_time_from_civil(1970, 1, 1) == 0);
  assert_true(snm_time_from_civil(2000, 3, 1) == 11017);
  assert_true(snm_time_from_civil(1969, 12, 31) == -1);
  /* every formatted time parses back to itself */
  for (long long t = -86400000LL; t < 4102444800000LL; t += 987654321987LL) {
    assert_int_equal(snm_time_parse(snm_time_format(out, t, 1), &ms), 0);
    assert_true(ms == t);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip, setup_tmp, teardown_tmp),
      cmocka_unit_test_setup_teardown(test_cutover_round_trip, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_modes_and_no_tmp_left, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_save_errors_name_path, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_crash_leftover_tmp, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_missing_file, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_damaged_files, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_newer_format, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_plan_lock, setup_tmp, teardown_tmp),
      cmocka_unit_test_setup_teardown(test_lock_conflict, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_begin_check_and_secrets, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test_setup_teardown(test_format1, setup_tmp, teardown_tmp),
      cmocka_unit_test(test_bad_rounds),
      cmocka_unit_test_setup_teardown(test_add_round, setup_tmp, teardown_tmp),
      cmocka_unit_test_setup_teardown(test_data_streams, setup_tmp,
                                      teardown_tmp),
      cmocka_unit_test(test_default_path),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_rfc3339),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
