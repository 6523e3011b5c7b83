/* reqfile.h - parse a raw HTTP/1.1 request written as text (as in the
 * AWS SigV4 test suite's request.txt, or pasted from a trace):
 *
 *   METHOD SP request-target SP HTTP/x.y
 *   Name:value
 *     folded continuation line (more of the value above)
 *   <empty line>
 *   body bytes
 *
 * A folded line (obs-fold: it starts with SP or HT) continues the value of
 * the header above it; the fold becomes one space ("value1 value2"), as
 * RFC 7230 says and as AWS signs it.  A repeated header name stays two
 * headers (SigV4 joins their values with ',').
 *
 * Lines end in LF or CRLF.  The request-target is everything between the
 * first and the last space of the request line, so it may hold spaces
 * (the suite's "/example space/").  The body is taken byte for byte, except
 * that when Content-Length is given, line breaks beyond it (an editor's
 * final newline) are dropped.
 */
#ifndef SNM_REQFILE_H
#define SNM_REQFILE_H

#include <stddef.h>

#include "err.h"

struct snm_buf;
struct snm_sigv4_header;

struct snm_reqfile_header {
  char *name;  /* malloced, as written */
  char *value; /* malloced, without the blanks around it; folds joined by
                  one space */
  char *raw;   /* malloced: the line as written, without its line ending;
                  then "\n" and each folded line as written */
};

struct snm_reqfile {
  char *method;                       /* malloced */
  char *target;                       /* malloced: path[?query] as written */
  char *version;                      /* malloced: "HTTP/1.1" */
  struct snm_reqfile_header *headers; /* malloced array, n_headers long */
  size_t n_headers;
  char *body; /* malloced, body_len bytes plus a NUL; may hold NULs */
  size_t body_len;
};

void snm_reqfile_init(struct snm_reqfile *r);
void snm_reqfile_dispose(struct snm_reqfile *r);

/* Parse `len` bytes of `text` into `out` (initialised here; dispose it
 * even on failure).  `origin` names the input in messages ("req.txt",
 * "<stdin>").  Returns 0, SNM_EPARSE with "origin:line: what is wrong" in
 * `err`, or SNM_ENOMEM. */
int snm_reqfile_parse(struct snm_reqfile *out, const char *text, size_t len,
                      const char *origin, struct snm_err *err) SNM_MUST_CHECK;

/* The value of the first header called `name` (any case), or NULL. */
const char *snm_reqfile_header(const struct snm_reqfile *r, const char *name);

/* Remove every header called `name` (any case), its folded lines with
 * it; returns how many lines went. */
size_t snm_reqfile_remove_header(struct snm_reqfile *r, const char *name);

/* Append the request as text with LF line endings: the request line with
 * `target` (NULL: r->target), every header line as written, then the
 * `n_extra` headers of `extra` as "Name:value", an empty line and the
 * body.  Returns 0 or SNM_ENOMEM. */
int snm_reqfile_write(struct snm_buf *out, const struct snm_reqfile *r,
                      const char *target, const struct snm_sigv4_header *extra,
                      size_t n_extra);

#endif
