/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_report.c - what the run tells its user: events (progress.h),
 * warnings, the failure line and the closing summary. */
#include "buf.h"
#include "log.h"
#include "timefmt.h"
#include "workflow_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The step an event belongs to: where the run is (its row of the step
 * table), not the state file's furthest step (a resumed run starts over
 * with the preflight). */
static const char *step_name(const struct snm_workflow *wf)
{
  return wf_step_event_name(wf->state, wf->st.step);
}

double wf_seconds(long long from_ms, long long to_ms)
{
  if (from_ms <= 0 || to_ms < from_ms)
    return NAN;
  return (double)(to_ms - from_ms) / 1000.0;
}

void wf_event(struct snm_workflow *wf, const char *type,
              const struct snm_field *fields, size_t n)
{
  if (snm_progress_event(wf->progress, type, step_name(wf), fields, n) != 0)
    snm_log(SNM_LOG_DEBUG, "event %s could not be written", type);
}

void wf_update(struct snm_workflow *wf, const char *key, const char *type,
               const struct snm_field *fields, size_t n)
{
  if (snm_progress_update(wf->progress, key, type, step_name(wf), fields, n) <
      0)
    snm_log(SNM_LOG_DEBUG, "event %s could not be written", type);
}

void wf_warn(struct snm_workflow *wf, const char *domain, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (domain != NULL)
    wf_event(wf, "warning",
             SNM_FIELDS(SNM_FSTR("message", msg), SNM_FSTR("domain", domain)));
  else
    wf_event(wf, "warning", SNM_FIELDS(SNM_FSTR("message", msg)));
}

void wf_final_event(struct snm_workflow *wf, const char *type,
                    const struct snm_field *fields, size_t n)
{
  size_t nd = wf->es != NULL ? wf->plan->n_domains : 0;
  const char **ids = calloc(nd + 1, sizeof(*ids));
  long long *sent = calloc(nd + 1, sizeof(*sent));
  struct snm_field *all = calloc(n + 2, sizeof(*all));
  long long total = 0;

  if (ids == NULL || sent == NULL || all == NULL) {
    wf_event(wf, type, fields, n); /* without the counts */
    goto done;
  }
  for (size_t d = 0; d < nd; d++) {
    ids[d] = wf->plan->domains[d].id;
    sent[d] = (long long)wf->es[d].requests;
    total += sent[d];
  }
  if (n > 0)
    memcpy(all, fields, n * sizeof(*all));
  all[n] = SNM_FINT("requests", total);
  all[n + 1] = SNM_FINTMAP("requests_by_domain", ids, sent, nd);
  wf_event(wf, type, all, n + 2);
done:
  free(all);
  free(sent);
  free(ids);
}

long long wf_requests_sent(const struct snm_workflow *wf)
{
  long long total = 0;

  for (size_t d = 0; wf->es != NULL && d < wf->plan->n_domains; d++)
    total += (long long)wf->es[d].requests;
  return total;
}

void wf_failed_event(struct snm_workflow *wf, const struct snm_err *err)
{
  struct snm_buf clean;

  snm_log(SNM_LOG_ERROR, "%s", err->msg);
  if (wf->progress == NULL)
    return;
  snm_buf_init(&clean, 0);
  if (snm_redact_text(&clean, err->msg, strlen(err->msg)) == 0)
    wf_final_event(wf, "run.failed",
                   SNM_FIELDS(SNM_FSTR("error", snm_buf_str(&clean)),
                              SNM_FSTR("code", snm_err_name(err->code))));
  snm_buf_dispose(&clean);
}

/* ---- summary ------------------------------------------------------------ */

static long long count_or(long long v)
{
  return v == SNM_STATE_UNKNOWN ? -1 : v;
}

/* The width of the terminal `fp` writes to; 0 when it is not one (then
 * names are printed in full). */
static int terminal_columns(FILE *fp)
{
  struct winsize ws;
  int fd = fileno(fp);

  if (fd < 0 || !isatty(fd))
    return 0;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
    return ws.ws_col;
  return 80;
}

/* `s` left-aligned in `w` columns (whole when longer); on a terminal
 * (`fit`) shortened in the middle to `w`. */
static void put_cell(FILE *fp, const char *s, size_t w, int fit)
{
  char cut[4 * SNM_WF_NAME_COL_MAX + 1];
  size_t cols;

  if (fit && w >= 3 && w <= SNM_WF_NAME_COL_MAX) {
    snm_wf_fit_name(cut, sizeof(cut), s, w);
    s = cut;
  }
  fputs(s, fp);
  for (cols = snm_wf_text_columns(s); cols < w; cols++)
    fputc(' ', fp);
  fputc(' ', fp);
}

/* Per index rows on `fp` (NULL: none); adds up the totals either way.
 * The name columns are as wide as the names (bounded); on a terminal the
 * table fits its width, long names cut in the middle. */
static void print_table(struct snm_workflow *wf, FILE *fp, long long *docs,
                        long long *bytes, size_t *n)
{
  const struct snm_plan *p = wf->plan;
  char b[SNM_FMT_MAX], d[SNM_FMT_MAX];
  size_t lt = 0, ls = 0, lr = 0;
  struct snm_wf_table_widths w;
  int columns = fp != NULL ? terminal_columns(fp) : 0;

  for (size_t r = 0; r < wf->n_targets; r++) {
    const struct snm_state_restore *sr = &wf_round(wf)->restores[r];
    size_t c = snm_wf_text_columns(p->domains[p->restores[r].domain].id);

    lt = c > lt ? c : lt;
    for (size_t i = 0; i < sr->n_indices; i++) {
      size_t cs = snm_wf_text_columns(sr->indices[i].source);
      size_t cr = snm_wf_text_columns(sr->indices[i].target);
      ls = cs > ls ? cs : ls;
      lr = cr > lr ? cr : lr;
    }
  }
  snm_wf_table_widths(&w, lt, ls, lr, columns);
  if (fp != NULL) {
    put_cell(fp, "TARGET", w.target, 0);
    put_cell(fp, "SOURCE", w.source, 0);
    put_cell(fp, "RESTORED AS", w.restored, 0);
    fprintf(fp, "%12s %10s %10s  %s\n", "DOCS", "SIZE", "TIME", "STATE");
  }
  for (size_t r = 0; r < wf->n_targets; r++) {
    const struct snm_state_restore *sr = &wf_round(wf)->restores[r];
    const struct wf_target *t = &wf->targets[r];
    double secs = wf_seconds(t->restore_ms, t->done_ms);

    for (size_t i = 0; i < sr->n_indices; i++) {
      const struct snm_state_index *ix = &sr->indices[i];
      long long docs_i = ix->docs_found != SNM_STATE_UNKNOWN
                             ? ix->docs_found
                             : ix->docs_expected;

      if (fp != NULL) {
        put_cell(fp, p->domains[p->restores[r].domain].id, w.target,
                 columns > 0);
        put_cell(fp, ix->source, w.source, columns > 0);
        put_cell(fp, ix->target, w.restored, columns > 0);
        fprintf(fp, "%12lld %10s %10s  %s\n", count_or(docs_i),
                snm_fmt_bytes(b, sizeof(b), ix->bytes),
                snm_fmt_duration(d, sizeof(d), secs),
                snm_restore_state_name(ix->state));
      }
      if (ix->state != SNM_RESTORE_SKIPPED) {
        (*n)++;
        if (docs_i > 0)
          *docs += docs_i;
        if (ix->bytes > 0)
          *bytes += ix->bytes;
      }
    }
  }
}

/* The data streams restored (each domain's once): "DOMAIN: SRC -> TARGET"
 * lines into `lines` (malloced each) and their target names into `names`
 * (borrowed), both of `cap` entries; returns how many. */
static size_t stream_lines(const struct snm_workflow *wf, char **lines,
                           const char **names, size_t cap)
{
  const struct snm_plan *p = wf->plan;
  size_t n = 0;

  for (size_t r = 0; r < wf->n_targets; r++) {
    const struct snm_state_restore *sr = &wf_round(wf)->restores[r];
    const char *dom = p->domains[p->restores[r].domain].id;
    for (size_t i = 0; i < sr->n_indices && n < cap; i++) {
      const struct snm_state_index *ix = &sr->indices[i];
      size_t backing = 0, verified = 0, seen = 0;
      struct snm_buf b;
      if (ix->target_stream == NULL)
        continue;
      for (size_t k = 0; k < i; k++)
        seen |= sr->indices[k].target_stream != NULL &&
                strcmp(sr->indices[k].target_stream, ix->target_stream) == 0;
      if (seen)
        continue;
      for (size_t k = i; k < sr->n_indices; k++)
        if (sr->indices[k].target_stream != NULL &&
            strcmp(sr->indices[k].target_stream, ix->target_stream) == 0) {
          backing++;
          verified += sr->indices[k].state == SNM_RESTORE_VERIFIED;
        }
      snm_buf_init(&b, 0);
      if (snm_buf_printf(&b,
                         "%s: data stream %s -> %s (%zu backing ind%s, "
                         "%s)",
                         dom, ix->data_stream, ix->target_stream, backing,
                         backing == 1 ? "ex" : "ices",
                         ix->state == SNM_RESTORE_SKIPPED ? "skipped"
                         : verified == backing
                             ? "verified"
                             : snm_restore_state_name(ix->state)) == 0 &&
          (lines[n] = snm_buf_steal(&b)) != NULL)
        names[n++] = ix->target_stream;
      snm_buf_dispose(&b);
    }
  }
  return n;
}

/* "verified" only when every restored index's counts were compared and
 * matched; else what holds. */
static const char *verified_text(const struct snm_workflow *wf)
{
  size_t verified = 0, other = 0;

  for (size_t r = 0; r < wf->n_targets; r++) {
    const struct snm_state_restore *sr = &wf_round(wf)->restores[r];
    for (size_t i = 0; i < sr->n_indices; i++) {
      if (sr->indices[i].state == SNM_RESTORE_VERIFIED)
        verified++;
      else if (sr->indices[i].state != SNM_RESTORE_SKIPPED)
        other++;
    }
  }
  if (other == 0 && verified > 0)
    return "verified";
  if (other == 0)
    return "nothing to verify";
  if (verified == 0)
    return "NOT verified (verify is \"none\")";
  return "partly verified (verify is \"none\" for some restores)";
}

/* A cutover round's write downtime: block effective -> verified
 * (`switch` 0) or -> switched (1); -1 when unknown or not a cutover. */
static long long cut_ms(const struct snm_workflow *wf, int to_switch)
{
  const struct snm_state_cutover *c = &wf_round(wf)->cutover;
  long long end = to_switch ? c->switched_ms : c->verified_ms;

  if (c->state == SNM_CUT_NONE || c->blocked_ms == SNM_STATE_UNKNOWN ||
      end == SNM_STATE_UNKNOWN)
    return -1;
  return end - c->blocked_ms;
}

static void cutover_lines(const struct snm_workflow *wf, FILE *fp)
{
  const struct snm_state_cutover *c = &wf_round(wf)->cutover;
  char a[SNM_FMT_MAX], b[SNM_FMT_MAX];

  if (c->state == SNM_CUT_NONE)
    return;
  fprintf(fp,
          "\nCutover (round %u): writes to the source were blocked for %s "
          "until verified, %s until the aliases were switched.\n",
          wf_round(wf)->number,
          snm_fmt_duration(a, sizeof(a), cut_ms(wf, 0) / 1000.0),
          snm_fmt_duration(b, sizeof(b), cut_ms(wf, 1) / 1000.0));
  for (size_t i = 0; i < c->n_aliases; i++)
    fprintf(fp, "  alias %s on %s -> %s\n", c->aliases[i].alias,
            c->aliases[i].domain, c->aliases[i].index);
  if (c->source_blocked)
    fprintf(fp,
            "The source stays write-blocked (%zu ind%s, "
            "index.blocks.write: true; cutover.unblock_source is false).\n",
            c->n_blocks, c->n_blocks == 1 ? "ex" : "ices");
  else
    fprintf(fp, "The source's write blocks were put back to their previous "
                "values (cutover.unblock_source).\n");
}

void wf_summary(struct snm_workflow *wf)
{
  const struct snm_plan *p = wf->plan;
  FILE *fp = wf->o->out != NULL ? wf->o->out : stdout;
  enum snm_progress_mode mode = snm_progress_mode(wf->progress);
  const char **left = calloc(p->n_domains + 2, sizeof(*left));
  char **owned = calloc(p->n_domains + 2, sizeof(*owned));
  long long docs = 0, bytes = 0, reused = 0, now = snm_time_now_ms();
  size_t replaced = 0;
  size_t n = 0, n_left = 0, n_ds = 0, cap = 0;
  char **ds_lines = NULL;
  const char **ds_names = NULL;
  char b[SNM_FMT_MAX], d[SNM_FMT_MAX];
  struct snm_buf line;

  snm_buf_init(&line, 0);
  if (left == NULL || owned == NULL)
    goto done;
  for (size_t i = 0; i < wf->st.n_registrations; i++) {
    snm_buf_reset(&line);
    if (snm_buf_printf(&line, "repository %s on %s (%s)", p->repository.name,
                       wf->st.registrations[i].domain,
                       wf->st.registrations[i].created
                           ? "registered by this run"
                           : "already registered") == 0 &&
        (owned[n_left] = snm_buf_steal(&line)) != NULL)
      left[n_left] = owned[n_left], n_left++;
  }
  snm_buf_reset(&line);
  if (snm_buf_printf(&line, "snapshot %s in repository %s",
                     wf_round(wf)->snapshot.name, p->repository.name) == 0 &&
      (owned[n_left] = snm_buf_steal(&line)) != NULL)
    left[n_left] = owned[n_left], n_left++;

  for (size_t r = 0; r < wf->n_targets; r++) {
    const struct snm_state_restore *sr = &wf_round(wf)->restores[r];
    for (size_t i = 0; i < sr->n_indices; i++) {
      if (sr->indices[i].bytes_reused > 0)
        reused += sr->indices[i].bytes_reused;
      replaced += sr->indices[i].replace;
    }
  }
  for (size_t r = 0; r < wf->n_targets; r++)
    cap += wf_round(wf)->restores[r].n_indices;
  ds_lines = calloc(cap + 1, sizeof(*ds_lines));
  ds_names = calloc(cap + 1, sizeof(*ds_names));
  if (ds_lines == NULL || ds_names == NULL)
    goto done;
  n_ds = stream_lines(wf, ds_lines, ds_names, cap);
  if (mode != SNM_PROGRESS_JSON && mode != SNM_PROGRESS_QUIET) {
    print_table(wf, fp, &docs, &bytes, &n);
    if (wf_round(wf)->number > 1 || replaced > 0) /* or on_conflict replace */
      fprintf(fp,
              "\nRound %u: %zu ind%s replaced, %zu new; %s transferred, "
              "%s reused (already on the target).\n",
              wf_round(wf)->number, replaced, replaced == 1 ? "ex" : "ices",
              n - replaced, snm_fmt_bytes(b, sizeof(b), bytes - reused),
              snm_fmt_bytes(d, sizeof(d), reused));
    if (n_ds > 0)
      fprintf(fp, "\nData streams:\n");
    for (size_t i = 0; i < n_ds; i++)
      fprintf(fp, "  %s\n", ds_lines[i]);
    fprintf(fp,
            "\n%zu ind%s, %lld documents, %s restored and %s in "
            "%s (snapshot %s, %lld requests).\n",
            n, n == 1 ? "ex" : "ices", docs, snm_fmt_bytes(b, sizeof(b), bytes),
            verified_text(wf),
            snm_fmt_duration(d, sizeof(d), wf_seconds(wf->run_start_ms, now)),
            wf_round(wf)->snapshot.name, wf_requests_sent(wf));
    fprintf(fp, "Left in place:\n");
    for (size_t i = 0; i < n_left; i++)
      fprintf(fp, "  %s\n", left[i]);
    cutover_lines(wf, fp);
  } else {
    print_table(wf, NULL, &docs, &bytes, &n);
  }
  wf_final_event(
      wf, "run.done",
      SNM_FIELDS(
          SNM_FSTR("status", "success"),
          SNM_FDBL("duration_s", wf_seconds(wf->run_start_ms, now)),
          SNM_FSTR("snapshot", wf_round(wf)->snapshot.name),
          SNM_FINT("round", wf_round(wf)->number), SNM_FINT("indices", n),
          SNM_FINT("replaced", replaced), SNM_FINT("docs", docs),
          SNM_FINT("bytes", bytes),
          SNM_FINT("bytes_transferred", bytes - reused),
          SNM_FINT("bytes_reused", reused),
          SNM_FSTRV("data_streams", ds_names, n_ds),
          SNM_FSTRV("left_in_place", left, n_left),
          SNM_FINT("downtime_ms", cut_ms(wf, 0)),
          SNM_FINT("switch_downtime_ms", cut_ms(wf, 1)),
          SNM_FBOOL("source_blocked", wf_round(wf)->cutover.source_blocked)));
done:
  if (owned != NULL)
    for (size_t i = 0; i < n_left; i++)
      free(owned[i]);
  free(owned);
  free(left);
  if (ds_lines != NULL)
    for (size_t i = 0; i < n_ds; i++)
      free(ds_lines[i]);
  free(ds_lines);
  free(ds_names);
  snm_buf_dispose(&line);
}
