/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for progress.c / progress_text.c: NDJSON events parse and
 * carry their fields, throttling with a fake clock, plain lines, tty redraw
 * sequences, quiet mode, and the formatting helpers.  Output goes to
 * memory streams; time comes from the fake clock (no sleeps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "progress.h"
#include "timefmt.h"

#define T0 1795478341123LL /* 2026-11-23T23:59:01.123Z */

struct fake_clock {
  long long now;
};

static long long fake_now(void *data)
{
  return ((struct fake_clock *)data)->now;
}

/* A progress object writing to two memory streams. */
struct rig {
  struct fake_clock clock;
  char *out_buf, *err_buf;
  size_t out_len, err_len;
  FILE *out, *err;
  struct snm_progress *p;
};

static void rig_open(struct rig *r, enum snm_progress_mode mode, int is_tty)
{
  struct snm_progress_opts o;

  memset(r, 0, sizeof(*r));
  r->clock.now = T0;
  r->out = open_memstream(&r->out_buf, &r->out_len);
  r->err = open_memstream(&r->err_buf, &r->err_len);
  assert_non_null(r->out);
  assert_non_null(r->err);
  snm_progress_opts_init(&o);
  o.mode = mode;
  o.out = r->out;
  o.err = r->err;
  o.is_tty = is_tty;
  o.columns = 100;
  o.clock = fake_now;
  o.clock_data = &r->clock;
  o.plan = "logs-eu";
  assert_int_equal(snm_progress_new(&r->p, &o), 0);
}

static void rig_flush(struct rig *r)
{
  fflush(r->out);
  fflush(r->err);
}

static void rig_close(struct rig *r)
{
  snm_progress_free(r->p);
  fclose(r->out);
  fclose(r->err);
  free(r->out_buf);
  free(r->err_buf);
}

static size_t count_lines(const char *s, size_t len)
{
  size_t n = 0;

  for (size_t i = 0; i < len; i++)
    n += s[i] == '\n';
  return n;
}

static const char *tree_str(yajl_val root, const char *key)
{
  const char *path[] = {key, NULL};
  yajl_val v = yajl_tree_get(root, path, yajl_t_string);

  assert_non_null(v);
  return YAJL_GET_STRING(v);
}

static yajl_val tree_get(yajl_val root, const char *key, yajl_type t)
{
  const char *path[] = {key, NULL};
  yajl_val v = yajl_tree_get(root, path, t);

  if (v == NULL)
    fail_msg("no %s", key);
  return v;
}

static void test_json_events(void **state)
{
  struct rig r;
  const char *targets[] = {"new", "other \"one\""};
  char errbuf[256], *line, *save = NULL, when[SNM_TIME_RFC3339_MAX];
  int lines = 0;
  (void)state;

  rig_open(&r, SNM_PROGRESS_JSON, 1);
  assert_int_equal(snm_progress_mode(r.p), SNM_PROGRESS_JSON);
  assert_int_equal(
      snm_progress_event(
          r.p, "run.start", "preflight",
          SNM_FIELDS(SNM_FSTR("run_id", "r1"), SNM_FSTRV("targets", targets, 2),
                     SNM_FBOOL("resumed", 0), SNM_FSTR("nothing", NULL))),
      0);
  r.clock.now += 1500;
  assert_int_equal(
      snm_progress_update(
          r.p, "snapshot", "snapshot.progress", "snapshot",
          SNM_FIELDS(SNM_FINT("shards_done", 12), SNM_FINT("shards_total", 40),
                     SNM_FDBL("rate_bps", 1.5), SNM_FDBL("eta_s", INFINITY))),
      1);
  {
    const char *ids[] = {"old", "new \"x\""};
    const long long sent[] = {7, 1234567890123LL};

    assert_int_equal(
        snm_progress_event(
            r.p, "run.done", "done",
            SNM_FIELDS(SNM_FINT("requests", 7 + 1234567890123LL),
                       SNM_FINTMAP("requests_by_domain", ids, sent, 2))),
        0);
  }
  rig_flush(&r);
  assert_int_equal(r.err_len, 0); /* json mode: nothing on stderr */
  assert_int_equal(count_lines(r.out_buf, r.out_len), 3);
  assert_int_equal(snm_progress_count(r.p), 3);

  for (line = strtok_r(r.out_buf, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    yajl_val root = yajl_tree_parse(line, errbuf, sizeof(errbuf));

    if (root == NULL)
      fail_msg("not JSON: %s: %s", errbuf, line);
    assert_true(YAJL_IS_OBJECT(root));
    assert_string_equal(tree_str(root, "plan"), "logs-eu");
    if (lines == 0) {
      yajl_val tv = tree_get(root, "targets", yajl_t_array);

      assert_string_equal(tree_str(root, "type"), "run.start");
      assert_string_equal(tree_str(root, "step"), "preflight");
      assert_string_equal(tree_str(root, "time"), snm_time_format(when, T0, 1));
      assert_string_equal(tree_str(root, "run_id"), "r1");
      assert_int_equal(YAJL_GET_ARRAY(tv)->len, 2);
      assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(tv)->values[1]),
                          "other \"one\"");
      assert_true(YAJL_IS_FALSE(tree_get(root, "resumed", yajl_t_any)));
      assert_true(YAJL_IS_NULL(tree_get(root, "nothing", yajl_t_any)));
      /* the envelope comes first, in a fixed order */
      assert_memory_equal(line, "{\"type\":\"run.start\",\"time\":", 26);
    } else if (lines == 1) {
      assert_string_equal(tree_str(root, "type"), "snapshot.progress");
      assert_string_equal(tree_str(root, "time"),
                          snm_time_format(when, T0 + 1500, 1));
      assert_int_equal(
          YAJL_GET_INTEGER(tree_get(root, "shards_done", yajl_t_number)), 12);
      assert_true(YAJL_GET_DOUBLE(tree_get(root, "rate_bps", yajl_t_number)) ==
                  1.5);
      assert_true(YAJL_IS_NULL(tree_get(root, "eta_s", yajl_t_any)));
    } else {
      const char *by_old[] = {"requests_by_domain", "old", NULL};
      const char *by_new[] = {"requests_by_domain", "new \"x\"", NULL};
      yajl_val m = tree_get(root, "requests_by_domain", yajl_t_object);

      assert_string_equal(tree_str(root, "type"), "run.done");
      assert_string_equal(tree_str(root, "step"), "done");
      assert_int_equal(YAJL_GET_OBJECT(m)->len, 2);
      assert_int_equal(
          YAJL_GET_INTEGER(yajl_tree_get(root, by_old, yajl_t_number)), 7);
      assert_true(YAJL_GET_INTEGER(yajl_tree_get(
                      root, by_new, yajl_t_number)) == 1234567890123LL);
      assert_true(YAJL_GET_INTEGER(tree_get(root, "requests", yajl_t_number)) ==
                  7 + 1234567890123LL);
    }
    yajl_tree_free(root);
    lines++;
  }
  assert_int_equal(lines, 3);
  rig_close(&r);
}

static void test_json_write_failure(void **state)
{
  char small[16];
  FILE *fp = fmemopen(small, sizeof(small), "w");
  struct snm_progress_opts o;
  struct snm_progress *p;
  (void)state;

  assert_non_null(fp);
  setvbuf(fp, NULL, _IONBF, 0);
  snm_progress_opts_init(&o);
  o.mode = SNM_PROGRESS_JSON;
  o.out = fp;
  assert_int_equal(snm_progress_new(&p, &o), 0);
  assert_int_equal(snm_progress_event(p, "warning", "preflight",
                                      SNM_FIELDS(SNM_FSTR("message", "x"))),
                   SNM_EIO);
  snm_progress_free(p);
  fclose(fp);
}

static void test_throttling(void **state)
{
  struct rig r;
  const struct snm_field f[] = {SNM_FINT("shards_done", 1),
                                SNM_FINT("shards_total", 2)};
  (void)state;

  rig_open(&r, SNM_PROGRESS_JSON, 0);
  assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                       "snapshot", f, 2),
                   1);
  r.clock.now = T0 + 500;
  assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                       "snapshot", f, 2),
                   0);
  /* another stream has its own throttle */
  assert_int_equal(snm_progress_update(r.p, "restore:new", "restore.progress",
                                       "restore", f, 2),
                   1);
  /* transitions are never throttled */
  assert_int_equal(snm_progress_event(r.p, "snapshot.done", "snapshot", f, 2),
                   0);
  assert_int_equal(snm_progress_event(r.p, "snapshot.done", "snapshot", f, 2),
                   0);
  r.clock.now = T0 + 999;
  assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                       "snapshot", f, 2),
                   0);
  r.clock.now = T0 + 1000;
  assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                       "snapshot", f, 2),
                   1);
  assert_int_equal(snm_progress_update(r.p, "restore:new", "restore.progress",
                                       "restore", f, 2),
                   0);
  /* an ended stream starts afresh */
  snm_progress_end(r.p, "restore:new");
  snm_progress_end(r.p, "no-such-key");
  assert_int_equal(snm_progress_update(r.p, "restore:new", "restore.progress",
                                       "restore", f, 2),
                   1);
  rig_flush(&r);
  assert_int_equal(count_lines(r.out_buf, r.out_len), 6);
  assert_int_equal(snm_progress_count(r.p), 6);
  rig_close(&r);
}

static void test_plain_lines(void **state)
{
  struct rig r;
  const long long done = 1288490189LL, total = 4294967296LL;
  const double rate = 36700160.0; /* 35 MiB/s */
  const char *idx[] = {"logs-1", "logs-2", "logs-3"};
  (void)state;

  rig_open(&r, SNM_PROGRESS_AUTO, 0);
  assert_int_equal(snm_progress_mode(r.p), SNM_PROGRESS_PLAIN);
  r.clock.now = T0 - 123; /* 23:59:01.000 */
  assert_int_equal(
      snm_progress_update(
          r.p, "snapshot", "snapshot.progress", "snapshot",
          SNM_FIELDS(SNM_FINT("shards_done", 12), SNM_FINT("shards_total", 40),
                     SNM_FINT("bytes_done", done),
                     SNM_FINT("bytes_total", total), SNM_FDBL("rate_bps", rate),
                     SNM_FDBL("eta_s", snm_eta_s(done, total, rate)))),
      1);
  assert_int_equal(snm_progress_event(r.p, "restore.start", "restore",
                                      SNM_FIELDS(SNM_FSTR("domain", "new"),
                                                 SNM_FSTRV("indices", idx, 3))),
                   0);
  assert_int_equal(
      snm_progress_event(
          r.p, "custom.thing", "verify",
          SNM_FIELDS(SNM_FINT("n", 3), SNM_FBOOL("ok", 1), SNM_FSTR("s", "x"))),
      0);
  rig_flush(&r);
  assert_int_equal(r.out_len, 0); /* plain mode: nothing on stdout */
  assert_string_equal(r.err_buf,
                      "2026-11-23T23:59:01Z snapshot: 12/40 shards, 1.2 GiB "
                      "of 4.0 GiB, 35 MiB/s, ETA 1m21s\n"
                      "2026-11-23T23:59:01Z restore: new: restoring 3 "
                      "indices\n"
                      "2026-11-23T23:59:01Z verify: custom.thing n=3 ok=true "
                      "s=x\n");
  rig_close(&r);
}

/* Names and messages may come from a server: newlines and escapes in them
 * must not reach the terminal (a line per event, no cursor tricks). */
static void test_text_is_one_clean_line(void **state)
{
  struct rig r;
  const char *idx[] = {"logs\n1", "\033[2Jx"};
  (void)state;

  rig_open(&r, SNM_PROGRESS_AUTO, 0);
  r.clock.now = T0 - 123;
  assert_int_equal(
      snm_progress_event(r.p, "restore.start", "restore",
                         SNM_FIELDS(SNM_FSTR("domain", "new\r\033[31m"),
                                    SNM_FSTRV("indices", idx, 2))),
      0);
  assert_int_equal(
      snm_progress_event(r.p, "warning", "verify",
                         SNM_FIELDS(SNM_FSTR("message", "a\tb\x7f\nc"))),
      0);
  rig_flush(&r);
  assert_string_equal(r.err_buf,
                      "2026-11-23T23:59:01Z restore: new??[31m: restoring 2 "
                      "indices\n"
                      "2026-11-23T23:59:01Z verify: warning: a?b??c\n");
  rig_close(&r);
}

static void test_tty_bars(void **state)
{
  struct rig r;
  const struct snm_field half[] = {SNM_FINT("bytes_done", 50),
                                   SNM_FINT("bytes_total", 100)};
  const struct snm_field full[] = {SNM_FINT("bytes_done", 100),
                                   SNM_FINT("bytes_total", 100)};
  (void)state;

  rig_open(&r, SNM_PROGRESS_AUTO, 1);
  assert_int_equal(snm_progress_mode(r.p), SNM_PROGRESS_TTY);
  /* first bar: drawn at once, no cursor-up yet */
  assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                       "snapshot", half, 2),
                   1);
  rig_flush(&r);
  assert_int_equal(r.out_len, 0);
  assert_null(strstr(r.err_buf, "\033[1A"));
  assert_non_null(strstr(r.err_buf, "\r\033[Ksnapshot       [##########"
                                    "----------]  50% "));
  /* a new bar redraws at once: up over the one drawn line */
  assert_int_equal(snm_progress_update(r.p, "restore:new", "restore.progress",
                                       "restore", half, 2),
                   1);
  rig_flush(&r);
  assert_non_null(strstr(r.err_buf, "\033[1A\r\033[Ksnapshot"));
  assert_non_null(strstr(r.err_buf, "\r\033[Krestore new    [#####"));
  /* throttled: the bar takes the numbers but the screen waits */
  r.clock.now += 10;
  {
    size_t before = r.err_len;

    assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                         "snapshot", full, 2),
                     0);
    rig_flush(&r);
    assert_int_equal(r.err_len, before);
  }
  /* a transition prints above both bars and redraws them (with 100%) */
  assert_int_equal(snm_progress_event(r.p, "warning", "snapshot",
                                      SNM_FIELDS(SNM_FSTR("message", "slow"))),
                   0);
  rig_flush(&r);
  assert_non_null(strstr(r.err_buf, "\033[2A\r\033[Ksnapshot: warning: slow\n"
                                    "\r\033[Ksnapshot       [#############"
                                    "#######] 100% "));
  /* ending a bar clears the line it leaves behind */
  snm_progress_end(r.p, "snapshot");
  rig_flush(&r);
  assert_non_null(strstr(r.err_buf, "\033[2A\r\033[Krestore new"));
  assert_non_null(strstr(r.err_buf, "\r\033[K\n\033[1A"));
  rig_close(&r);
}

static void test_tty_cut_to_width(void **state)
{
  struct rig r;
  char longname[300];
  const char *p, *line;
  (void)state;

  memset(longname, 'x', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  rig_open(&r, SNM_PROGRESS_TTY, 1);
  assert_int_equal(
      snm_progress_event(r.p, "warning", "restore",
                         SNM_FIELDS(SNM_FSTR("message", longname))),
      0);
  rig_flush(&r);
  line = strstr(r.err_buf, "\r\033[K");
  assert_non_null(line);
  line += 4;
  p = strchr(line, '\n');
  assert_non_null(p);
  assert_int_equal(p - line, 99); /* columns - 1 */
  rig_close(&r);
}

static void test_quiet(void **state)
{
  struct rig r;
  const struct snm_field f[] = {SNM_FINT("bytes_done", 1)};
  (void)state;

  rig_open(&r, SNM_PROGRESS_QUIET, 1);
  assert_int_equal(snm_progress_event(r.p, "run.start", "preflight", f, 1), 0);
  assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                       "snapshot", f, 1),
                   1);
  assert_int_equal(snm_progress_update(r.p, "snapshot", "snapshot.progress",
                                       "snapshot", f, 1),
                   0);
  rig_flush(&r);
  assert_int_equal(r.out_len, 0);
  assert_int_equal(r.err_len, 0);
  assert_int_equal(snm_progress_count(r.p), 2);
  rig_close(&r);
}

/* The first restore line comes before the server reported any shard's
 * recovery: no "0 B of 0 B, 0/0 files" (issue #8, item 21); the sizes
 * once it did. */
static void test_restore_line_before_sizes(void **state)
{
  struct rig r;
  (void)state;

  rig_open(&r, SNM_PROGRESS_AUTO, 0);
  assert_int_equal(
      snm_progress_update(
          r.p, "restore:new", "restore.progress", "restore",
          SNM_FIELDS(SNM_FSTR("domain", "new"), SNM_FINT("indices_done", 0),
                     SNM_FINT("indices_total", 2), SNM_FINT("bytes_done", 0),
                     SNM_FINT("bytes_total", 0), SNM_FINT("files_done", 0),
                     SNM_FINT("files_total", 0))),
      1);
  r.clock.now += 1000;
  assert_int_equal(
      snm_progress_update(
          r.p, "restore:new", "restore.progress", "restore",
          SNM_FIELDS(SNM_FSTR("domain", "new"), SNM_FINT("indices_done", 0),
                     SNM_FINT("indices_total", 2), SNM_FINT("bytes_done", 0),
                     SNM_FINT("bytes_total", 2048), SNM_FINT("files_done", 0),
                     SNM_FINT("files_total", 4))),
      1);
  rig_flush(&r);
  assert_null(strstr(r.err_buf, "0 B of 0 B"));
  assert_null(strstr(r.err_buf, "0/0 files"));
  assert_non_null(strstr(r.err_buf, "restore: new: starting, 0/2 indices\n"));
  assert_non_null(strstr(r.err_buf,
                         "restore: new: 0 B of 2.0 KiB, 0/4 files, 0/2 "
                         "indices\n"));
  rig_close(&r);
}

/* A snapshot's duration is the server's end - start, or ours, never the
 * server's end or start against our clock (issue #8, item 21: "success in
 * 0ms" for a long snapshot). */
static void test_snapshot_duration(void **state)
{
  const long long srv = 1764547200000LL; /* the server's clock */
  const long long ours = srv - 600000;   /* ours: 10 minutes behind */
  char b[SNM_FMT_MAX];
  (void)state;

  /* both of the server's times: its own duration */
  assert_int_equal(snm_snapshot_duration_ms(srv, srv + 95000, ours, ours + 1),
                   95000);
  /* no end time (missing, or 0 read as missing): ours, PUT to now */
  assert_int_equal(snm_snapshot_duration_ms(srv, -1, ours - 95000, ours + 3),
                   95003);
  /* no start time */
  assert_int_equal(
      snm_snapshot_duration_ms(-1, srv + 95000, ours - 95000, ours), 95000);
  /* a server's start after its end: ours */
  assert_int_equal(snm_snapshot_duration_ms(srv + 5, srv, ours - 7000, ours),
                   7000);
  /* no end time from a server whose clock runs ahead of ours by the
   * snapshot's length: its start minus our end read "0ms" before */
  assert_int_equal(snm_snapshot_duration_ms(ours, -1, ours - 60000, ours),
                   60000);
  /* nothing known: unknown, printed "?" (never "0ms") */
  assert_int_equal(snm_snapshot_duration_ms(-1, -1, -1, ours), -1);
  assert_int_equal(snm_snapshot_duration_ms(-1, -1, ours + 1, ours), -1);
  assert_string_equal(snm_fmt_duration(b, sizeof(b), -1 / 1000.0), "?");
}

static void test_formatting(void **state)
{
  char b[SNM_FMT_MAX];
  (void)state;

  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 0), "0 B");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 1023), "1023 B");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 1024), "1.0 KiB");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 1536), "1.5 KiB");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 1048575), "1.0 MiB");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 36700160), "35.0 MiB");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 1288490189LL), "1.2 GiB");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), 4LL << 40), "4.0 TiB");
  assert_string_equal(snm_fmt_bytes(b, sizeof(b), -1), "?");

  assert_string_equal(snm_fmt_rate(b, sizeof(b), 512), "512 B/s");
  assert_string_equal(snm_fmt_rate(b, sizeof(b), 1258291), "1.2 MiB/s");
  assert_string_equal(snm_fmt_rate(b, sizeof(b), 36700160), "35 MiB/s");
  assert_string_equal(snm_fmt_rate(b, sizeof(b), NAN), "?");

  assert_string_equal(snm_fmt_duration(b, sizeof(b), 0.85), "850ms");
  assert_string_equal(snm_fmt_duration(b, sizeof(b), 0), "0ms");
  assert_string_equal(snm_fmt_duration(b, sizeof(b), 12.9), "12s");
  assert_string_equal(snm_fmt_duration(b, sizeof(b), 72), "1m12s");
  assert_string_equal(snm_fmt_duration(b, sizeof(b), 3720), "1h02m");
  assert_string_equal(snm_fmt_duration(b, sizeof(b), 93900), "26h05m");
  assert_string_equal(snm_fmt_duration(b, sizeof(b), -1), "?");

  assert_true(snm_eta_s(50, 100, 10) == 5.0);
  assert_true(snm_eta_s(100, 100, 0) == 0.0);
  assert_true(snm_eta_s(0, 0, 5) == -1.0);
  assert_true(snm_eta_s(10, 100, 0) == -1.0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_events),
      cmocka_unit_test(test_json_write_failure),
      cmocka_unit_test(test_throttling),
      cmocka_unit_test(test_plain_lines),
      cmocka_unit_test(test_text_is_one_clean_line),
      cmocka_unit_test(test_tty_bars),
      cmocka_unit_test(test_tty_cut_to_width),
      cmocka_unit_test(test_quiet),
      cmocka_unit_test(test_formatting),
      cmocka_unit_test(test_restore_line_before_sizes),
      cmocka_unit_test(test_snapshot_duration),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
