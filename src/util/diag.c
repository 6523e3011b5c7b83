/* SPDX-License-Identifier: Apache-2.0 */
/* diag.c - located problems, collected and printed. */
#include "diag.h"
#include "buf.h"
#include "err.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void snm_diag_list_init(struct snm_diag_list *l)
{
  memset(l, 0, sizeof(*l));
}

void snm_diag_list_dispose(struct snm_diag_list *l)
{
  for (size_t i = 0; i < l->len; i++)
    free(l->items[i].message);
  free(l->items);
  memset(l, 0, sizeof(*l));
}

int snm_diag_add(struct snm_diag_list *l, enum snm_severity sev, unsigned line,
                 unsigned col, const char *fmt, ...)
{
  struct snm_buf b;
  struct snm_diag *items;
  va_list ap;
  int rc;

  if (sev == SNM_DIAG_ERROR)
    l->errors++;
  else
    l->warnings++;
  snm_buf_init(&b, 4096);
  va_start(ap, fmt);
  rc = snm_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  items = rc == 0 ? realloc(l->items, (l->len + 1) * sizeof(*items)) : NULL;
  if (items == NULL) {
    snm_buf_dispose(&b);
    l->nomem = 1;
    return SNM_ENOMEM;
  }
  /* one line each: no control characters from quoted user text */
  for (size_t i = 0; i < b.len; i++)
    if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
      b.data[i] = '?';
  l->items = items;
  items[l->len].severity = sev;
  items[l->len].line = line;
  items[l->len].col = col;
  items[l->len].message = snm_buf_steal(&b);
  l->len++;
  return 0;
}

void snm_diag_list_sort(struct snm_diag_list *l)
{
  /* insertion sort: stable, and lists are short */
  for (size_t i = 1; i < l->len; i++) {
    struct snm_diag d = l->items[i];
    size_t j = i;

    while (j > 0 &&
           (l->items[j - 1].line > d.line ||
            (l->items[j - 1].line == d.line && l->items[j - 1].col > d.col))) {
      l->items[j] = l->items[j - 1];
      j--;
    }
    l->items[j] = d;
  }
}

const char *snm_diag_severity_name(enum snm_severity sev)
{
  return sev == SNM_DIAG_ERROR ? "error" : "warning";
}

void snm_diag_print(FILE *fp, const char *path, const struct snm_diag *d)
{
  if (d->line > 0)
    fprintf(fp, "%s:%u:%u: %s: %s\n", path, d->line, d->col,
            snm_diag_severity_name(d->severity), d->message);
  else
    fprintf(fp, "%s: %s: %s\n", path, snm_diag_severity_name(d->severity),
            d->message);
}

void snm_diag_list_print(FILE *fp, const char *path,
                         const struct snm_diag_list *l, int errors_only)
{
  for (size_t i = 0; i < l->len; i++)
    if (!errors_only || l->items[i].severity == SNM_DIAG_ERROR)
      snm_diag_print(fp, path, &l->items[i]);
}
