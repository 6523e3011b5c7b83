/* SPDX-License-Identifier: Apache-2.0 */
/* init_int.h - what init_plan.c and init_write.c share (not for others). */
#ifndef SNM_INIT_INT_H
#define SNM_INIT_INT_H

#include "init_plan.h"

struct snm_buf;

/* The rename init writes when names are taken: "PREFIX$1" replaces it. */
#define SNM_INIT_RENAME_PATTERN "^(.+)$"

/* A malloced formatted string, or NULL (no memory). */
char *snm__init_xprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* A JSON string (quoted, escaped) onto `b`.  Returns 0 or SNM_ENOMEM. */
int snm__init_put_jstr(struct snm_buf *b, const char *s);
/* Text for a // comment: one line, control characters as '?'. */
int snm__init_put_comment_text(struct snm_buf *b, const char *s);

#endif
