/* buf.h - growable byte buffer with a size cap, always NUL-terminated. */
#ifndef SNM_BUF_H
#define SNM_BUF_H

#include "err.h"

#include <stdarg.h>
#include <stddef.h>

struct snm_buf {
  char *data; /* NULL or malloced; data[len] == '\0' when not NULL */
  size_t len;
  size_t cap; /* allocated bytes */
  size_t max; /* 0: unlimited; else appends that would exceed it fail */
};

/* Embedded buffer: init/dispose.  `max` 0 means no cap. */
void snm_buf_init(struct snm_buf *b, size_t max);
void snm_buf_dispose(struct snm_buf *b);
void snm_buf_reset(struct snm_buf *b); /* len = 0, keeps memory */

/* Append; return 0, or SNM_ENOMEM when allocation fails or the cap would be
 * exceeded (the buffer is left as it was). */
int snm_buf_append(struct snm_buf *b, const void *data,
                   size_t len) SNM_MUST_CHECK;
int snm_buf_puts(struct snm_buf *b, const char *s) SNM_MUST_CHECK;
int snm_buf_putc(struct snm_buf *b, char c) SNM_MUST_CHECK;
int snm_buf_printf(struct snm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) SNM_MUST_CHECK;
int snm_buf_vprintf(struct snm_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0))) SNM_MUST_CHECK;

/* Hand the contents to the caller (malloced, NUL-terminated, never NULL on
 * success) and leave the buffer empty; NULL on allocation failure. */
char *snm_buf_steal(struct snm_buf *b) SNM_MUST_CHECK;

/* Shorthand for the current contents as a C string ("" when empty). */
const char *snm_buf_str(const struct snm_buf *b);

/* A malloced copy of the `len` bytes at `p` followed by a NUL (the bytes
 * may hold NULs themselves, unlike strndup); NULL when out of memory. */
char *snm_memdup0(const void *p, size_t len);

#endif
