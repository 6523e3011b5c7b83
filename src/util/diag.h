/* SPDX-License-Identifier: Apache-2.0 */
/* diag.h - a list of located problems ("PATH:LINE:COL: error: message").
 *
 * A validator adds every problem it finds instead of stopping at the first;
 * the caller prints them all.  Line and column are 1-based (column counts
 * characters, see json.h); line 0 means "the whole file".
 */
#ifndef SNM_DIAG_H
#define SNM_DIAG_H

#include <stddef.h>
#include <stdio.h>

/* A place in a file, for messages. */
struct snm_plan_pos {
  unsigned line; /* 1-based */
  unsigned col;  /* 1-based, characters */
};

enum snm_severity { SNM_DIAG_ERROR, SNM_DIAG_WARNING };

struct snm_diag {
  enum snm_severity severity;
  unsigned line; /* 1-based; 0: no position */
  unsigned col;  /* 1-based; 0 with line 0 */
  char *message; /* malloced; one line, no trailing newline */
};

struct snm_diag_list {
  struct snm_diag *items; /* malloced array; NULL when empty */
  size_t len;
  size_t errors;   /* items with SNM_DIAG_ERROR */
  size_t warnings; /* items with SNM_DIAG_WARNING */
  int nomem;       /* an add failed for lack of memory (the item is lost) */
};

void snm_diag_list_init(struct snm_diag_list *l);
void snm_diag_list_dispose(struct snm_diag_list *l);

/* Append a problem.  Returns 0, or SNM_ENOMEM (and sets l->nomem; counts
 * are still updated so an error is never lost as a success). */
int snm_diag_add(struct snm_diag_list *l, enum snm_severity sev, unsigned line,
                 unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sort by position (stable: same position keeps insertion order). */
void snm_diag_list_sort(struct snm_diag_list *l);

/* "error" or "warning". */
const char *snm_diag_severity_name(enum snm_severity sev);

/* Print one diagnostic as "PATH:LINE:COL: SEVERITY: MESSAGE\n" (or
 * "PATH: SEVERITY: MESSAGE\n" without a position). */
void snm_diag_print(FILE *fp, const char *path, const struct snm_diag *d);

/* Print every diagnostic (warnings too unless `errors_only`). */
void snm_diag_list_print(FILE *fp, const char *path,
                         const struct snm_diag_list *l, int errors_only);

#endif
