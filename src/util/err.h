/* err.h - one error record, set where a failure happens, propagated as is.
 *
 * Functions that can fail take a `struct snm_err *err` (may be NULL) and
 * return 0 on success or a negative SNM_E* code; on failure they have filled
 * `err` with one user-facing line naming what failed and why.  Callers
 * propagate the record unchanged; only the workflow adds step context.
 */
#ifndef SNM_ERR_H
#define SNM_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* On a function whose result must be looked at: ignoring it is a bug (a
 * path cut short by ENOMEM would be sent, a parse failure read as
 * success).  GCC warns even through a (void) cast: handle the result. */
#if defined(__GNUC__) || defined(__clang__)
#define SNM_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SNM_MUST_CHECK
#endif

/* Drop a SNM_MUST_CHECK result on purpose: only where a failure merely
 * shortens human-readable text (an error message, a log or trace line, a
 * note).  Paths, bodies, URLs, files and signatures check the result. */
static inline void snm_best_effort(int rc)
{
  (void)rc;
}

enum snm_errcode {
  SNM_OK = 0,
  SNM_EINVAL = -1,   /* bad argument, usage or plan */
  SNM_ENOMEM = -2,   /* allocation failed */
  SNM_EIO = -3,      /* local file or system call failed */
  SNM_ENET = -4,     /* connection, DNS or TLS failure */
  SNM_ETIMEOUT = -5, /* a deadline passed */
  SNM_EHTTP = -6,    /* the server answered with an error status */
  SNM_EAUTH = -7,    /* 401/403, or no credentials */
  SNM_EPARSE = -8,   /* a reply or file could not be parsed */
  SNM_ECANCELED = -9 /* stopped by the user or shutdown */
};

#define SNM_ERR_MSG_MAX 1024

struct snm_buf;

struct snm_err {
  int code;         /* an snm_errcode */
  long http_status; /* HTTP status when code is SNM_EHTTP/EAUTH, else 0 */
  char msg[SNM_ERR_MSG_MAX];
};

/* Fill `err` (if not NULL) with `code` and a formatted message; returns
 * `code` so callers can `return snm_err_set(err, SNM_EIO, "...")`.
 * Every registered secret (secret.h) in the text is replaced by
 * "[REDACTED]" before it is cut to SNM_ERR_MSG_MAX - 1 bytes (never inside
 * a UTF-8 sequence). */
int snm_err_set(struct snm_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snm_err_set with a va_list, for functions that take their own format and
 * arguments; `ap` is consumed as by vsnprintf.  Returns `code`. */
int snm_err_setv(struct snm_err *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Append the `len` bytes at `s` to `out`, shortened to at most about
 * `max` bytes (max >= 64) by leaving out their middle, so that what a
 * message says after them survives the SNM_ERR_MSG_MAX cut.  In a
 * comma-separated list (an index list in a path) whole items are left out,
 * "a,b,...(37 more)...,y,z/_count"; otherwise bytes, "abc...(120
 * bytes)...xyz" (never inside a UTF-8 sequence).  Returns 0 or
 * SNM_ENOMEM. */
int snm_err_append_middle(struct snm_buf *out, const char *s, size_t len,
                          size_t max) SNM_MUST_CHECK;

/* Reset to SNM_OK with an empty message. */
void snm_err_clear(struct snm_err *err);

/* A short name for an error code ("io", "network", ...). */
const char *snm_err_name(int code);

#endif
