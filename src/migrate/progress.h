/* SPDX-License-Identifier: Apache-2.0 */
/* progress.h - what a run tells its user while it works: progress bars on a
 * terminal, timestamped lines otherwise, or NDJSON events on stdout.
 *
 * The run reports *events* (docs/events.md lists every type and field).
 * Each event has a type ("snapshot.progress"), the step it belongs to
 * ("snapshot") and typed fields.  By mode:
 *   json   one JSON object per line on the `out` stream (stdout):
 *          {"type":..., "time":"2026-11-23T23:59:01.123Z", "plan":...,
 *           "step":..., fields...}; nothing on `err`;
 *   plain  one line per event on `err` (stderr):
 *          "2026-11-23T23:59:01Z snapshot: 12/40 shards, 1.2 GiB of 4.0
 *          GiB, 35 MiB/s, ETA 1m12s";
 *   tty    a bar per progress stream (the snapshot, each target) redrawn
 *          in place on `err`, transitions printed above the bars;
 *   quiet  nothing at all.
 * Transitions (snm_progress_event) are never throttled.  Progress
 * (snm_progress_update) is emitted at most once per interval per stream
 * key ("snapshot", "restore:new"); in tty mode the bar's numbers are kept
 * up to date on every update and redrawn at most once per interval.
 *
 * A struct snm_progress is a heap object (_new/_free); it copies what it
 * keeps (plan name, keys, texts).  Field strings are only read during the
 * call.  Not thread-safe: call it from the loop thread.
 */
#ifndef SNM_PROGRESS_H
#define SNM_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum snm_progress_mode {
  SNM_PROGRESS_AUTO,  /* tty when `err` is a terminal, else plain */
  SNM_PROGRESS_TTY,   /* bars on `err` */
  SNM_PROGRESS_PLAIN, /* timestamped lines on `err` */
  SNM_PROGRESS_QUIET, /* nothing */
  SNM_PROGRESS_JSON   /* NDJSON events on `out` */
};

#define SNM_PROGRESS_DEFAULT_INTERVAL_MS 1000

struct snm_progress_opts {
  enum snm_progress_mode mode;
  FILE *out;        /* NULL: stdout.  Not owned. */
  FILE *err;        /* NULL: stderr.  Not owned. */
  int is_tty;       /* -1: isatty(fileno(err)); 0 or 1: as given (tests) */
  int columns;      /* tty width; 0: ask the terminal, else 80 */
  long interval_ms; /* progress throttle; 0: the default (1000) */
  /* Wall clock in ms since the epoch; NULL: the real one (timefmt.h).
   * Tests pass a fake clock so throttling needs no sleeps. */
  long long (*clock)(void *clock_data);
  void *clock_data;
  const char *plan; /* the plan's name, copied; NULL: "" */
};

/* Defaults: auto mode, stdout/stderr, is_tty -1, real clock. */
void snm_progress_opts_init(struct snm_progress_opts *o);

enum snm_field_type {
  SNM_FIELD_STR,    /* u.s: a string, or NULL for JSON null */
  SNM_FIELD_INT,    /* u.i */
  SNM_FIELD_DOUBLE, /* u.d: JSON null when not finite */
  SNM_FIELD_BOOL,   /* u.b */
  SNM_FIELD_STRV,   /* u.sv: an array of strings */
  SNM_FIELD_INTMAP  /* u.im: an object of ints, {"k[0]": v[0], ...} */
};

/* One typed key/value of an event.  Build them with the SNM_F* macros. */
struct snm_field {
  const char *key; /* not "type", "time", "plan" or "step" */
  enum snm_field_type type;
  union {
    const char *s;
    long long i;
    double d;
    int b;
    struct {
      const char *const *v;
      size_t n;
    } sv;
    struct {
      const char *const *k;
      const long long *v;
      size_t n;
    } im;
  } u;
};

#define SNM_FSTR(k, v)                                                         \
  ((struct snm_field){.key = (k), .type = SNM_FIELD_STR, .u.s = (v)})
#define SNM_FINT(k, v)                                                         \
  ((struct snm_field){.key = (k), .type = SNM_FIELD_INT, .u.i = (long long)(v)})
#define SNM_FDBL(k, v)                                                         \
  ((struct snm_field){.key = (k), .type = SNM_FIELD_DOUBLE, .u.d = (v)})
#define SNM_FBOOL(k, v)                                                        \
  ((struct snm_field){.key = (k), .type = SNM_FIELD_BOOL, .u.b = !!(v)})
#define SNM_FSTRV(k, v, n)                                                     \
  ((struct snm_field){.key = (k), .type = SNM_FIELD_STRV, .u.sv = {(v), (n)}})
#define SNM_FINTMAP(k, keys, vals, n)                                          \
  ((struct snm_field){                                                         \
      .key = (k), .type = SNM_FIELD_INTMAP, .u.im = {(keys), (vals), (n)}})

/* The `fields, n_fields` argument pair from a list of SNM_F* values:
 *   snm_progress_event(p, "snapshot.start", "snapshot",
 *                      SNM_FIELDS(SNM_FSTR("snapshot", name),
 *                                 SNM_FSTR("domain", "old")));
 * (for an event without fields pass NULL, 0). */
#define SNM_FIELDS(...)                                                        \
  (const struct snm_field[]){__VA_ARGS__},                                     \
      sizeof((const struct snm_field[]){__VA_ARGS__}) /                        \
          sizeof(struct snm_field)

struct snm_progress;

/* Returns 0 and *out; SNM_ENOMEM. */
int snm_progress_new(struct snm_progress **out,
                     const struct snm_progress_opts *opts);
/* Leaves whatever is on the terminal as it is (bars stay visible). */
void snm_progress_free(struct snm_progress *p);

/* The mode in use (auto resolved to tty or plain). */
enum snm_progress_mode snm_progress_mode(const struct snm_progress *p);

/* Emit a transition event (never throttled).
 * Returns 0; SNM_EIO when writing failed (e.g. stdout closed); SNM_ENOMEM.
 * A failed write never stops the run: the caller may log and go on. */
int snm_progress_event(struct snm_progress *p, const char *type,
                       const char *step, const struct snm_field *fields,
                       size_t n_fields);

/* Emit a progress event for stream `key` unless one was emitted for the
 * same key less than interval_ms ago.  In tty mode, the key's bar (created
 * on first use) takes the new numbers either way, and the bars are redrawn
 * at most once per interval (at once when a bar is new).
 * Returns 1 when emitted, 0 when throttled, or SNM_EIO / SNM_ENOMEM. */
int snm_progress_update(struct snm_progress *p, const char *key,
                        const char *type, const char *step,
                        const struct snm_field *fields, size_t n_fields);

/* The stream `key` is finished: its bar is removed and its throttle
 * forgotten (the next update for it is emitted at once).  Unknown keys are
 * ignored. */
void snm_progress_end(struct snm_progress *p, const char *key);

/* Events emitted so far (transitions plus updates not throttled), in any
 * mode, quiet included: the state file's "events" counter. */
unsigned long long snm_progress_count(const struct snm_progress *p);

/* ---- formatting helpers (pure) ---------------------------------------- */

#define SNM_FMT_MAX 32 /* buffer size that fits any helper's output */

/* "850 B", "1.0 KiB", "35.2 MiB", "4.0 GiB", "1.5 TiB" (1024-based, one
 * decimal above bytes); negative sizes give "?".  Returns `out`. */
char *snm_fmt_bytes(char *out, size_t outsz, long long bytes);

/* A rate: "512 B/s", "1.2 MiB/s", "35 MiB/s" (one decimal below 10, none
 * from 10 up); a negative or non-finite rate gives "?".  Returns `out`. */
char *snm_fmt_rate(char *out, size_t outsz, double bytes_per_s);

/* "850ms", "12s", "1m12s", "1h02m", "26h05m" (rounded down); negative or
 * non-finite gives "?".  Returns `out`. */
char *snm_fmt_duration(char *out, size_t outsz, double seconds);

/* How long a snapshot took, in ms: the server's own end - start when it
 * gave both (and end is not before start); else ours, our_end - our_start
 * (both read from this machine's clock) when both are known (> 0); else -1
 * (unknown).  Never a server's time minus ours: the two clocks differ, so
 * such a difference can read 0 ms, or less, for a long snapshot. */
long long snm_snapshot_duration_ms(long long srv_start, long long srv_end,
                                   long long our_start, long long our_end);

/* Seconds left to go from `done` to `total` at `rate` per second; 0 when
 * done; -1 when unknown (no total, no rate). */
double snm_eta_s(long long done, long long total, double rate);

#endif
