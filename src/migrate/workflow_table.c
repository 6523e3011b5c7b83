/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_table.c - the summary table's layout, without I/O: column
 * widths from the names, and long names shortened in the middle to fit a
 * terminal. */
#include "workflow.h"

#include <assert.h>
#include <string.h>

static size_t clamp(size_t v, size_t lo, size_t hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

void snm_wf_table_widths(struct snm_wf_table_widths *w, size_t longest_target,
                         size_t longest_source, size_t longest_restored,
                         int columns)
{
  size_t fixed, avail;

  w->target = clamp(longest_target, strlen("TARGET"), 24);
  w->source = clamp(longest_source, strlen("SOURCE"), SNM_WF_NAME_COL_MAX);
  w->restored =
      clamp(longest_restored, strlen("RESTORED AS"), SNM_WF_NAME_COL_MAX);
  if (columns <= 0)
    return;
  fixed = w->target + 2 + SNM_WF_TABLE_FIXED;
  avail = (size_t)columns - 1 > fixed ? (size_t)columns - 1 - fixed : 0;
  while (w->source + w->restored > avail) {
    size_t *wider = w->source >= w->restored ? &w->source : &w->restored;
    size_t *other = wider == &w->source ? &w->restored : &w->source;

    if (*wider > SNM_WF_NAME_COL_MIN)
      (*wider)--;
    else if (*other > SNM_WF_NAME_COL_MIN)
      (*other)--;
    else
      break; /* a narrow terminal: rows wrap */
  }
}

/* A UTF-8 continuation byte. */
static int cont(unsigned char c)
{
  return (c & 0xC0) == 0x80;
}

size_t snm_wf_text_columns(const char *s)
{
  size_t n = 0;

  for (; *s != '\0'; s++)
    n += !cont((unsigned char)*s);
  return n;
}

/* The byte offset after the first `cols` code points of `s`. */
static size_t head_bytes(const char *s, size_t cols)
{
  size_t i = 0;

  while (s[i] != '\0' && cols > 0) {
    i++;
    while (cont((unsigned char)s[i]))
      i++;
    cols--;
  }
  return i;
}

void snm_wf_fit_name(char *out, size_t outsz, const char *name, size_t width)
{
  size_t cols = snm_wf_text_columns(name), head, tail, hb, tb, len;

  assert(width >= 3 && outsz > 0);
  if (cols <= width) {
    snprintf(out, outsz, "%s", name);
    return;
  }
  /* keep width - 1 code points: the start gets the extra one */
  tail = (width - 1) / 2;
  head = width - 1 - tail;
  len = strlen(name);
  hb = head_bytes(name, head);
  tb = len - head_bytes(name, cols - tail);
  snprintf(out, outsz, "%.*s\xe2\x80\xa6%s", (int)hb, name, name + len - tb);
}
