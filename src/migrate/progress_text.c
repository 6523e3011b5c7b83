/* SPDX-License-Identifier: Apache-2.0 */
/* progress_text.c - human sizes, rates, durations, and the one-line text of
 * each event type (docs/events.md). */
#include "progress_int.h"
#include "err.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

char *snm_fmt_bytes(char *out, size_t outsz, long long bytes)
{
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v;
  size_t u = 0;

  if (bytes < 0) {
    snprintf(out, outsz, "?");
    return out;
  }
  if (bytes < 1024) {
    snprintf(out, outsz, "%lld B", bytes);
    return out;
  }
  v = (double)bytes / 1024.0;
  /* move up while the one-decimal rounding would show 1024.0 or more */
  while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
    v /= 1024.0;
    u++;
  }
  snprintf(out, outsz, "%.1f %s", v, units[u]);
  return out;
}

char *snm_fmt_rate(char *out, size_t outsz, double bps)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;

  if (!isfinite(bps) || bps < 0) {
    snprintf(out, outsz, "?");
    return out;
  }
  while (bps >= 1023.5 && u + 1 < sizeof(units) / sizeof(units[0])) {
    bps /= 1024.0;
    u++;
  }
  if (u > 0 && bps < 9.95)
    snprintf(out, outsz, "%.1f %s/s", bps, units[u]);
  else
    snprintf(out, outsz, "%.0f %s/s", bps, units[u]);
  return out;
}

char *snm_fmt_duration(char *out, size_t outsz, double seconds)
{
  long long s;

  if (!isfinite(seconds) || seconds < 0 || seconds > 1e12) {
    snprintf(out, outsz, "?");
    return out;
  }
  if (seconds < 1.0) {
    snprintf(out, outsz, "%dms", (int)(seconds * 1000.0));
    return out;
  }
  s = (long long)seconds;
  if (s < 60)
    snprintf(out, outsz, "%llds", s);
  else if (s < 3600)
    snprintf(out, outsz, "%lldm%02llds", s / 60, s % 60);
  else
    snprintf(out, outsz, "%lldh%02lldm", s / 3600, s / 60 % 60);
  return out;
}

long long snm_snapshot_duration_ms(long long srv_start, long long srv_end,
                                   long long our_start, long long our_end)
{
  if (srv_start > 0 && srv_end > 0 && srv_end >= srv_start)
    return srv_end - srv_start;
  if (our_start > 0 && our_end > 0 && our_end >= our_start)
    return our_end - our_start;
  return -1;
}

double snm_eta_s(long long done, long long total, double rate)
{
  if (total <= 0 || done < 0)
    return -1;
  if (done >= total)
    return 0;
  if (!isfinite(rate) || rate <= 0)
    return -1;
  return (double)(total - done) / rate;
}

/* ---- fields ----------------------------------------------------------- */

const struct snm_field *snm__field(const struct snm_field *f, size_t n,
                                   const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(f[i].key, key) == 0)
      return &f[i];
  return NULL;
}

static const char *fstr(const struct snm_field *f, size_t n, const char *key)
{
  const struct snm_field *x = snm__field(f, n, key);

  return x != NULL && x->type == SNM_FIELD_STR && x->u.s != NULL ? x->u.s : "?";
}

/* An integer field (a double is truncated); -1 when absent. */
static long long fint(const struct snm_field *f, size_t n, const char *key)
{
  const struct snm_field *x = snm__field(f, n, key);

  if (x != NULL && x->type == SNM_FIELD_INT)
    return x->u.i;
  if (x != NULL && x->type == SNM_FIELD_DOUBLE && isfinite(x->u.d))
    return (long long)x->u.d;
  return -1;
}

static double fdbl(const struct snm_field *f, size_t n, const char *key)
{
  const struct snm_field *x = snm__field(f, n, key);

  if (x != NULL && x->type == SNM_FIELD_DOUBLE)
    return x->u.d;
  if (x != NULL && x->type == SNM_FIELD_INT)
    return (double)x->u.i;
  return -1;
}

static int fbool(const struct snm_field *f, size_t n, const char *key)
{
  const struct snm_field *x = snm__field(f, n, key);

  return x != NULL && x->type == SNM_FIELD_BOOL && x->u.b;
}

/* Number of strings of a string-array field, or its integer value. */
static long long fcount(const struct snm_field *f, size_t n, const char *key)
{
  const struct snm_field *x = snm__field(f, n, key);

  if (x != NULL && x->type == SNM_FIELD_STRV)
    return (long long)x->u.sv.n;
  return fint(f, n, key);
}

double snm__progress_fraction(const struct snm_field *f, size_t n)
{
  static const char *const pairs[][2] = {{"bytes_done", "bytes_total"},
                                         {"shards_done", "shards_total"},
                                         {"files_done", "files_total"}};

  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
    long long done = fint(f, n, pairs[i][0]), total = fint(f, n, pairs[i][1]);

    if (done >= 0 && total > 0)
      return done >= total ? 1.0 : (double)done / (double)total;
  }
  return -1;
}

/* ", 35 MiB/s, ETA 1m12s" when known. */
static int rate_eta(struct snm_buf *b, const struct snm_field *f, size_t n)
{
  double rate = fdbl(f, n, "rate_bps"), eta = fdbl(f, n, "eta_s");
  char t[SNM_FMT_MAX];
  int rc = 0;

  if (rate >= 0)
    rc = snm_buf_printf(b, ", %s", snm_fmt_rate(t, sizeof(t), rate));
  if (rc == 0 && eta >= 0)
    rc = snm_buf_printf(b, ", ETA %s", snm_fmt_duration(t, sizeof(t), eta));
  return rc;
}

/* "1.2 GiB of 4.0 GiB" (or "1.2 GiB" without a total); nothing when the
 * bytes are unknown. */
static int bytes_of(struct snm_buf *b, const struct snm_field *f, size_t n,
                    const char *sep)
{
  long long done = fint(f, n, "bytes_done"), total = fint(f, n, "bytes_total");
  char d[SNM_FMT_MAX], t[SNM_FMT_MAX];

  if (done < 0)
    return 0;
  if (total >= 0)
    return snm_buf_printf(b, "%s%s of %s", sep,
                          snm_fmt_bytes(d, sizeof(d), done),
                          snm_fmt_bytes(t, sizeof(t), total));
  return snm_buf_printf(b, "%s%s", sep, snm_fmt_bytes(d, sizeof(d), done));
}

static int join_strv(struct snm_buf *b, const struct snm_field *x)
{
  int rc = 0;

  for (size_t i = 0; x != NULL && i < x->u.sv.n && rc == 0; i++)
    rc = snm_buf_printf(b, "%s%s", i > 0 ? ", " : "", x->u.sv.v[i]);
  return rc;
}

static int generic(struct snm_buf *b, const char *type,
                   const struct snm_field *f, size_t n)
{
  int rc = snm_buf_puts(b, type);

  for (size_t i = 0; i < n && rc == 0; i++) {
    rc = snm_buf_printf(b, " %s=", f[i].key);
    if (rc != 0)
      break;
    switch (f[i].type) {
    case SNM_FIELD_STR:
      rc = snm_buf_puts(b, f[i].u.s != NULL ? f[i].u.s : "null");
      break;
    case SNM_FIELD_INT:
      rc = snm_buf_printf(b, "%lld", f[i].u.i);
      break;
    case SNM_FIELD_DOUBLE:
      rc = snm_buf_printf(b, "%g", f[i].u.d);
      break;
    case SNM_FIELD_BOOL:
      rc = snm_buf_puts(b, f[i].u.b ? "true" : "false");
      break;
    case SNM_FIELD_STRV:
      rc = snm_buf_putc(b, '[');
      if (rc == 0)
        rc = join_strv(b, &f[i]);
      if (rc == 0)
        rc = snm_buf_putc(b, ']');
      break;
    case SNM_FIELD_INTMAP:
      rc = snm_buf_putc(b, '{');
      for (size_t j = 0; rc == 0 && j < f[i].u.im.n; j++)
        rc = snm_buf_printf(b, "%s%s: %lld", j > 0 ? ", " : "", f[i].u.im.k[j],
                            f[i].u.im.v[j]);
      if (rc == 0)
        rc = snm_buf_putc(b, '}');
      break;
    }
  }
  return rc;
}

/* ---- the text of each event type (docs/events.md) ---------------------- */

typedef int (*text_fn)(struct snm_buf *b, const struct snm_field *f, size_t n);

static int text_run_start(struct snm_buf *b, const struct snm_field *f,
                          size_t n)
{
  int rc =
      snm_buf_printf(b, "run %s: snapshot %s of %s onto ", fstr(f, n, "run_id"),
                     fstr(f, n, "snapshot"), fstr(f, n, "source"));

  if (rc == 0)
    rc = join_strv(b, snm__field(f, n, "targets"));
  if (rc == 0 && fbool(f, n, "resumed"))
    rc = snm_buf_puts(b, " (resumed)");
  return rc;
}

static int text_preflight_done(struct snm_buf *b, const struct snm_field *f,
                               size_t n)
{
  long long bl = fcount(f, n, "blockers"), w = fcount(f, n, "warnings");

  return snm_buf_printf(b, "%lld blocker%s, %lld warning%s", bl,
                        bl == 1 ? "" : "s", w, w == 1 ? "" : "s");
}

static int text_repo_registered(struct snm_buf *b, const struct snm_field *f,
                                size_t n)
{
  return snm_buf_printf(b, "registered repository %s on %s",
                        fstr(f, n, "repository"), fstr(f, n, "domain"));
}

static int text_repo_exists(struct snm_buf *b, const struct snm_field *f,
                            size_t n)
{
  return snm_buf_printf(b, "repository %s already registered on %s",
                        fstr(f, n, "repository"), fstr(f, n, "domain"));
}

static int text_metadata_item(struct snm_buf *b, const struct snm_field *f,
                              size_t n)
{
  const char *st = fstr(f, n, "state");

  return snm_buf_printf(
      b, "%s %s on %s: %s", fstr(f, n, "kind"), fstr(f, n, "name"),
      fstr(f, n, "domain"),
      strcmp(st, "identical") == 0 ? "already there, identical"
      : strcmp(st, "skipped") == 0 ? "differs, kept (on_conflict skip)"
                                   : st);
}

static int text_snapshot_start(struct snm_buf *b, const struct snm_field *f,
                               size_t n)
{
  return snm_buf_printf(b, "started snapshot %s of %lld indices on %s",
                        fstr(f, n, "snapshot"), fcount(f, n, "indices"),
                        fstr(f, n, "domain"));
}

static int text_snapshot_progress(struct snm_buf *b, const struct snm_field *f,
                                  size_t n)
{
  int rc = snm_buf_printf(b, "%lld/%lld shards", fint(f, n, "shards_done"),
                          fint(f, n, "shards_total"));

  if (rc == 0)
    rc = bytes_of(b, f, n, ", ");
  if (rc == 0)
    rc = rate_eta(b, f, n);
  return rc;
}

static int text_snapshot_done(struct snm_buf *b, const struct snm_field *f,
                              size_t n)
{
  char d[SNM_FMT_MAX];

  return snm_buf_printf(
      b, "snapshot %s: %s in %s (%lld shards, %lld failed)",
      fstr(f, n, "snapshot"), fstr(f, n, "state"),
      snm_fmt_duration(d, sizeof(d), fdbl(f, n, "duration_s")),
      fint(f, n, "shards_total"), fint(f, n, "shards_failed"));
}

static int text_restore_start(struct snm_buf *b, const struct snm_field *f,
                              size_t n)
{
  return snm_buf_printf(b, "%s: restoring %lld indices", fstr(f, n, "domain"),
                        fcount(f, n, "indices"));
}

static int text_restore_progress(struct snm_buf *b, const struct snm_field *f,
                                 size_t n)
{
  long long fd = fint(f, n, "files_done"), ft = fint(f, n, "files_total");
  long long id = fint(f, n, "indices_done"), it = fint(f, n, "indices_total");
  /* before the server reports a shard's recovery the totals are 0: no
   * "0 B of 0 B, 0/0 files" (issue #8, item 21) */
  int sized = fint(f, n, "bytes_total") > 0 || ft > 0;
  int rc = snm_buf_printf(b, "%s:", fstr(f, n, "domain"));

  if (rc == 0 && !sized)
    rc = snm_buf_puts(b, " starting");
  if (rc == 0 && sized)
    rc = bytes_of(b, f, n, " ");
  if (rc == 0 && sized && fd >= 0 && ft >= 0)
    rc = snm_buf_printf(b, ", %lld/%lld files", fd, ft);
  if (rc == 0 && id >= 0 && it >= 0)
    rc = snm_buf_printf(b, ", %lld/%lld indices", id, it);
  if (rc == 0)
    rc = rate_eta(b, f, n);
  return rc;
}

static int text_restore_done(struct snm_buf *b, const struct snm_field *f,
                             size_t n)
{
  char d[SNM_FMT_MAX];

  return snm_buf_printf(
      b, "%s: %s, %lld indices in %s", fstr(f, n, "domain"),
      fstr(f, n, "state"), fcount(f, n, "indices"),
      snm_fmt_duration(d, sizeof(d), fdbl(f, n, "duration_s")));
}

static int text_restore_index(struct snm_buf *b, const struct snm_field *f,
                              size_t n)
{
  char t[SNM_FMT_MAX], r[SNM_FMT_MAX];

  return snm_buf_printf(
      b, "%s: %s %s: %s transferred, %s reused", fstr(f, n, "domain"),
      fstr(f, n, "target"), fbool(f, n, "replaced") ? "replaced" : "restored",
      snm_fmt_bytes(t, sizeof(t), fint(f, n, "bytes_transferred")),
      snm_fmt_bytes(r, sizeof(r), fint(f, n, "bytes_reused")));
}

static int text_snapshot_deleted(struct snm_buf *b, const struct snm_field *f,
                                 size_t n)
{
  return snm_buf_printf(b, "snapshot %s of round %lld deleted (keep_snapshots)",
                        fstr(f, n, "snapshot"), fint(f, n, "round"));
}

static int text_verify_index(struct snm_buf *b, const struct snm_field *f,
                             size_t n)
{
  if (fbool(f, n, "ok"))
    return snm_buf_printf(b, "%s: %s: %lld docs, ok", fstr(f, n, "domain"),
                          fstr(f, n, "target"), fint(f, n, "found"));
  return snm_buf_printf(b, "%s: %s: %lld docs, expected %lld (from %s)",
                        fstr(f, n, "domain"), fstr(f, n, "target"),
                        fint(f, n, "found"), fint(f, n, "expected"),
                        fstr(f, n, "source"));
}

static int text_verify_data_stream(struct snm_buf *b, const struct snm_field *f,
                                   size_t n)
{
  if (fbool(f, n, "ok"))
    return snm_buf_printf(b,
                          "%s: data stream %s (from %s): backing indices "
                          "%s, ok",
                          fstr(f, n, "domain"), fstr(f, n, "data_stream"),
                          fstr(f, n, "source"), fstr(f, n, "backing"));
  return snm_buf_printf(b,
                        "%s: data stream %s (from %s): backing indices "
                        "[%s] are not the ones restored",
                        fstr(f, n, "domain"), fstr(f, n, "data_stream"),
                        fstr(f, n, "source"), fstr(f, n, "backing"));
}

static int text_verify_done(struct snm_buf *b, const struct snm_field *f,
                            size_t n)
{
  long long c = fint(f, n, "checked"), m = fint(f, n, "mismatched");

  if (fbool(f, n, "ok") && c == 0)
    return snm_buf_printf(b, "no document counts compared (verify is "
                             "\"none\", or nothing was restored)");
  if (fbool(f, n, "ok"))
    return snm_buf_printf(b, "all %lld indices match", c);
  return snm_buf_printf(b, "%lld of %lld indices differ", m, c);
}

static int text_run_done(struct snm_buf *b, const struct snm_field *f, size_t n)
{
  char d[SNM_FMT_MAX];

  return snm_buf_printf(
      b, "finished: %s in %s", fstr(f, n, "status"),
      snm_fmt_duration(d, sizeof(d), fdbl(f, n, "duration_s")));
}

static int text_run_interrupted(struct snm_buf *b, const struct snm_field *f,
                                size_t n)
{
  return snm_buf_printf(b,
                        "interrupted (%s); state saved in %s, run again "
                        "to resume",
                        fstr(f, n, "signal"), fstr(f, n, "state_file"));
}

static int text_run_failed(struct snm_buf *b, const struct snm_field *f,
                           size_t n)
{
  return snm_buf_printf(b, "failed: %s", fstr(f, n, "error"));
}

static int text_warning(struct snm_buf *b, const struct snm_field *f, size_t n)
{
  return snm_buf_printf(b, "warning: %s", fstr(f, n, "message"));
}

/* One row per event type: adding a type is adding a row and its text
 * function; a type without a row is shown as "TYPE key=value ...". */
static const struct {
  const char *type;
  text_fn text;
} texts[] = {
    {"run.start", text_run_start},
    {"preflight.done", text_preflight_done},
    {"repository.registered", text_repo_registered},
    {"repository.exists", text_repo_exists},
    {"metadata.item", text_metadata_item},
    {"snapshot.start", text_snapshot_start},
    {"snapshot.progress", text_snapshot_progress},
    {"snapshot.done", text_snapshot_done},
    {"restore.start", text_restore_start},
    {"restore.progress", text_restore_progress},
    {"restore.index", text_restore_index},
    {"restore.done", text_restore_done},
    {"snapshot.deleted", text_snapshot_deleted},
    {"verify.index", text_verify_index},
    {"verify.data_stream", text_verify_data_stream},
    {"verify.done", text_verify_done},
    {"run.done", text_run_done},
    {"run.interrupted", text_run_interrupted},
    {"run.failed", text_run_failed},
    {"warning", text_warning},
};

int snm__progress_text(struct snm_buf *b, const char *type,
                       const struct snm_field *f, size_t n)
{
  size_t start = b->len;
  text_fn text = NULL;
  int rc;

  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]) && text == NULL; i++)
    if (strcmp(texts[i].type, type) == 0)
      text = texts[i].text;
  rc = text != NULL ? text(b, f, n) : generic(b, type, f, n);
  /* names and messages may come from a server: one line, no escapes */
  if (b->data != NULL)
    snm_sanitize_line(b->data + start, b->len - start);
  return rc != 0 ? SNM_ENOMEM : 0;
}
