/* SPDX-License-Identifier: Apache-2.0 */
/* progress.c - modes, throttling, NDJSON events, plain lines and tty bars.
 * The text of each event type is in progress_text.c. */
#include "progress_int.h"
#include "err.h"
#include "json.h"
#include "timefmt.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#define BAR_WIDTH 20
#define LABEL_WIDTH 14

/* One progress stream: its throttle and, in tty mode, its bar. */
struct stream {
  char *key;         /* malloced */
  long long last_ms; /* last emitted update; -1 never */
  int has_bar;       /* 1: shown as a bar (tty) */
  double fraction;   /* 0..1, or -1 unknown */
  char *text;        /* NULL or malloced: the bar's detail text */
};

struct snm_progress {
  enum snm_progress_mode mode; /* resolved: never AUTO */
  FILE *out;                   /* not owned */
  FILE *err;                   /* not owned */
  int columns;
  long interval_ms;
  long long (*clock)(void *);
  void *clock_data;
  char *plan;             /* malloced */
  struct stream *streams; /* NULL or malloced, in creation order */
  size_t n_streams;
  int drawn;              /* tty: bar lines on screen above the cursor */
  long long last_draw_ms; /* tty: -1 never */
  unsigned long long count;
};

static long long real_clock(void *data)
{
  (void)data;
  return snm_time_now_ms();
}

void snm_progress_opts_init(struct snm_progress_opts *o)
{
  memset(o, 0, sizeof(*o));
  o->mode = SNM_PROGRESS_AUTO;
  o->is_tty = -1;
}

int snm_progress_new(struct snm_progress **out,
                     const struct snm_progress_opts *o)
{
  struct snm_progress *p = calloc(1, sizeof(*p));
  int tty;

  *out = NULL;
  if (p == NULL || (p->plan = strdup(o->plan != NULL ? o->plan : "")) == NULL) {
    free(p);
    return SNM_ENOMEM;
  }
  p->out = o->out != NULL ? o->out : stdout;
  p->err = o->err != NULL ? o->err : stderr;
  tty = o->is_tty >= 0 ? o->is_tty : isatty(fileno(p->err));
  p->mode = o->mode;
  if (p->mode == SNM_PROGRESS_AUTO)
    p->mode = tty ? SNM_PROGRESS_TTY : SNM_PROGRESS_PLAIN;
  p->columns = o->columns;
  if (p->columns <= 0) {
    struct winsize ws;

    p->columns = 80;
    if (tty && o->is_tty < 0 && ioctl(fileno(p->err), TIOCGWINSZ, &ws) == 0 &&
        ws.ws_col >= 20)
      p->columns = ws.ws_col;
  }
  p->interval_ms =
      o->interval_ms > 0 ? o->interval_ms : SNM_PROGRESS_DEFAULT_INTERVAL_MS;
  p->clock = o->clock != NULL ? o->clock : real_clock;
  p->clock_data = o->clock_data;
  p->last_draw_ms = -1;
  *out = p;
  return 0;
}

void snm_progress_free(struct snm_progress *p)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n_streams; i++) {
    free(p->streams[i].key);
    free(p->streams[i].text);
  }
  free(p->streams);
  free(p->plan);
  free(p);
}

enum snm_progress_mode snm_progress_mode(const struct snm_progress *p)
{
  return p->mode;
}

unsigned long long snm_progress_count(const struct snm_progress *p)
{
  return p->count;
}

/* ---- JSON ------------------------------------------------------------- */

static void gen_double(yajl_gen g, double d)
{
  char num[40];

  if (!isfinite(d)) {
    yajl_gen_null(g);
    return;
  }
  /* %.15g: round-trips the decimals people use, unlike yajl's %.20g */
  snprintf(num, sizeof(num), "%.15g", d);
  yajl_gen_number(g, num, strlen(num));
}

static int json_line(struct snm_progress *p, long long now, const char *type,
                     const char *step, const struct snm_field *f, size_t n)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *buf;
  size_t len;
  char t[SNM_TIME_RFC3339_MAX];
  int rc = 0;

  if (g == NULL)
    return SNM_ENOMEM;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "type", type);
  snm_gen_key_str(g, "time", snm_time_format(t, now, 1));
  snm_gen_key_str(g, "plan", p->plan);
  snm_gen_key_str(g, "step", step);
  for (size_t i = 0; i < n; i++) {
    assert(strcmp(f[i].key, "type") != 0 && strcmp(f[i].key, "time") != 0 &&
           strcmp(f[i].key, "plan") != 0 && strcmp(f[i].key, "step") != 0);
    snm_gen_str(g, f[i].key);
    switch (f[i].type) {
    case SNM_FIELD_STR:
      snm_gen_str(g, f[i].u.s);
      break;
    case SNM_FIELD_INT:
      yajl_gen_integer(g, f[i].u.i);
      break;
    case SNM_FIELD_DOUBLE:
      gen_double(g, f[i].u.d);
      break;
    case SNM_FIELD_BOOL:
      yajl_gen_bool(g, f[i].u.b);
      break;
    case SNM_FIELD_STRV:
      yajl_gen_array_open(g);
      for (size_t j = 0; j < f[i].u.sv.n; j++)
        snm_gen_str(g, f[i].u.sv.v[j]);
      yajl_gen_array_close(g);
      break;
    case SNM_FIELD_INTMAP:
      yajl_gen_map_open(g);
      for (size_t j = 0; j < f[i].u.im.n; j++) {
        snm_gen_str(g, f[i].u.im.k[j]);
        yajl_gen_integer(g, f[i].u.im.v[j]);
      }
      yajl_gen_map_close(g);
      break;
    }
  }
  yajl_gen_map_close(g);
  if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
    rc = SNM_ENOMEM;
  else if (fwrite(buf, 1, len, p->out) != len || fputc('\n', p->out) == EOF ||
           fflush(p->out) != 0)
    rc = SNM_EIO;
  yajl_gen_free(g);
  return rc;
}

/* ---- plain lines ------------------------------------------------------ */

static int plain_line(struct snm_progress *p, long long now, const char *type,
                      const char *step, const struct snm_field *f, size_t n)
{
  struct snm_buf b;
  char t[SNM_TIME_RFC3339_MAX];
  int rc;

  snm_buf_init(&b, 0);
  rc = snm_buf_printf(&b, "%s %s: ", snm_time_format(t, now, 0), step);
  if (rc == 0)
    rc = snm__progress_text(&b, type, f, n);
  if (rc != 0) {
    rc = SNM_ENOMEM;
  } else if (fprintf(p->err, "%s\n", snm_buf_str(&b)) < 0 ||
             fflush(p->err) != 0) {
    rc = SNM_EIO;
  }
  snm_buf_dispose(&b);
  return rc;
}

/* ---- tty bars --------------------------------------------------------- */

/* Write `s` cut to the terminal width (never inside a UTF-8 sequence), so
 * no line wraps and the cursor-up count stays right. */
static void put_cut(struct snm_progress *p, const char *s)
{
  size_t len = strlen(s), max = (size_t)(p->columns > 1 ? p->columns - 1 : 1);

  if (len > max) {
    len = max;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
      len--;
  }
  fwrite(s, 1, len, p->err);
}

static void bar_line(struct snm_buf *b, const struct stream *s)
{
  char label[LABEL_WIDTH + 1];
  int fill = s->fraction >= 0 ? (int)(s->fraction * BAR_WIDTH + 0.5) : 0;

  /* "restore:new" is shown as "restore new" */
  snprintf(label, sizeof(label), "%s", s->key);
  for (char *c = label; *c != '\0'; c++)
    if (*c == ':')
      *c = ' ';
  snm_best_effort(snm_buf_printf(b, "%-*s [", LABEL_WIDTH, label));
  for (int i = 0; i < BAR_WIDTH; i++)
    snm_best_effort(snm_buf_putc(b, i < fill ? '#' : '-'));
  if (s->fraction >= 0)
    snm_best_effort(snm_buf_printf(b, "] %3d%% ", (int)(s->fraction * 100.0)));
  else
    snm_best_effort(snm_buf_puts(b, "]   ?% "));
  snm_best_effort(snm_buf_puts(b, s->text != NULL ? s->text : ""));
}

/* Redraw: go up over the bars drawn last time, print `above` (if any) in
 * their place, then every bar, each line cleared first; clear lines left
 * over when there are fewer rows now. */
static int redraw(struct snm_progress *p, const char *above, long long now)
{
  struct snm_buf b;
  int rows = 0, bars = 0;

  snm_buf_init(&b, 0);
  if (p->drawn > 0)
    fprintf(p->err, "\033[%dA", p->drawn);
  if (above != NULL) {
    fputs("\r\033[K", p->err);
    put_cut(p, above);
    fputc('\n', p->err);
    rows++;
  }
  for (size_t i = 0; i < p->n_streams; i++) {
    if (!p->streams[i].has_bar)
      continue;
    snm_buf_reset(&b);
    bar_line(&b, &p->streams[i]);
    fputs("\r\033[K", p->err);
    put_cut(p, snm_buf_str(&b));
    fputc('\n', p->err);
    rows++;
    bars++;
  }
  if (p->drawn > rows) {
    for (int i = rows; i < p->drawn; i++)
      fputs("\r\033[K\n", p->err);
    fprintf(p->err, "\033[%dA", p->drawn - rows);
  }
  p->drawn = bars;
  p->last_draw_ms = now;
  snm_buf_dispose(&b);
  return fflush(p->err) != 0 || ferror(p->err) ? SNM_EIO : 0;
}

static int tty_transition(struct snm_progress *p, long long now,
                          const char *type, const char *step,
                          const struct snm_field *f, size_t n)
{
  struct snm_buf b;
  int rc;

  snm_buf_init(&b, 0);
  rc = snm_buf_printf(&b, "%s: ", step);
  if (rc == 0)
    rc = snm__progress_text(&b, type, f, n);
  rc = rc != 0 ? SNM_ENOMEM : redraw(p, snm_buf_str(&b), now);
  snm_buf_dispose(&b);
  return rc;
}

/* ---- the API ---------------------------------------------------------- */

static struct stream *find_stream(struct snm_progress *p, const char *key)
{
  for (size_t i = 0; i < p->n_streams; i++)
    if (strcmp(p->streams[i].key, key) == 0)
      return &p->streams[i];
  return NULL;
}

static struct stream *add_stream(struct snm_progress *p, const char *key)
{
  struct stream *s = realloc(p->streams, (p->n_streams + 1) * sizeof(*s));
  char *k = strdup(key);

  if (s != NULL)
    p->streams = s;
  if (s == NULL || k == NULL) {
    free(k);
    return NULL;
  }
  s += p->n_streams++;
  memset(s, 0, sizeof(*s));
  s->key = k;
  s->last_ms = -1;
  s->fraction = -1;
  return s;
}

int snm_progress_event(struct snm_progress *p, const char *type,
                       const char *step, const struct snm_field *fields,
                       size_t n_fields)
{
  long long now = p->clock(p->clock_data);

  assert(type != NULL && step != NULL && (fields != NULL || n_fields == 0));
  p->count++;
  switch (p->mode) {
  case SNM_PROGRESS_JSON:
    return json_line(p, now, type, step, fields, n_fields);
  case SNM_PROGRESS_PLAIN:
    return plain_line(p, now, type, step, fields, n_fields);
  case SNM_PROGRESS_TTY:
    return tty_transition(p, now, type, step, fields, n_fields);
  case SNM_PROGRESS_QUIET:
  case SNM_PROGRESS_AUTO:
    break;
  }
  return 0;
}

int snm_progress_update(struct snm_progress *p, const char *key,
                        const char *type, const char *step,
                        const struct snm_field *fields, size_t n_fields)
{
  long long now = p->clock(p->clock_data);
  struct stream *s = find_stream(p, key);
  int due, rc = 0;

  assert(type != NULL && step != NULL && (fields != NULL || n_fields == 0));
  if (s == NULL && (s = add_stream(p, key)) == NULL)
    return SNM_ENOMEM;
  due = s->last_ms < 0 || now - s->last_ms >= p->interval_ms;

  if (p->mode == SNM_PROGRESS_TTY) {
    struct snm_buf b;
    int new_bar = !s->has_bar;

    /* the bar always takes the latest numbers ... */
    snm_buf_init(&b, 0);
    if (snm__progress_text(&b, type, fields, n_fields) != 0) {
      snm_buf_dispose(&b);
      return SNM_ENOMEM;
    }
    free(s->text);
    s->text = snm_buf_steal(&b);
    s->fraction = snm__progress_fraction(fields, n_fields);
    s->has_bar = 1;
    /* ... and the screen is redrawn once per interval for all bars, or at
     * once for a new bar */
    if (new_bar || p->last_draw_ms < 0 ||
        now - p->last_draw_ms >= p->interval_ms)
      rc = redraw(p, NULL, now);
  }
  if (!due)
    return rc;
  s->last_ms = now;
  p->count++;
  if (p->mode == SNM_PROGRESS_JSON)
    rc = json_line(p, now, type, step, fields, n_fields);
  else if (p->mode == SNM_PROGRESS_PLAIN)
    rc = plain_line(p, now, type, step, fields, n_fields);
  return rc != 0 ? rc : 1;
}

void snm_progress_end(struct snm_progress *p, const char *key)
{
  struct stream *s = find_stream(p, key);
  int had_bar;

  if (s == NULL)
    return;
  had_bar = s->has_bar;
  free(s->key);
  free(s->text);
  memmove(s, s + 1, (size_t)(p->streams + p->n_streams - (s + 1)) * sizeof(*s));
  p->n_streams--;
  if (had_bar && p->mode == SNM_PROGRESS_TTY)
    redraw(p, NULL, p->clock(p->clock_data));
}
