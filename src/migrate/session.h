/* SPDX-License-Identifier: Apache-2.0 */
/* session.h - what every command that talks to the clusters sets up the
 * same way: one libuv loop, one HTTP engine that says "User-Agent:
 * snapmig/VERSION", and one snm_es per plan domain (check, status, run).
 *
 * Lifetime:
 *   snm_session_init()    -> loop, engine, es[]; dispose even on failure
 *   ... requests on s->es[i], uv_run(&s->loop, ...) ...
 *   snm_session_close()   -> the engine closes (pending requests finish
 *                            with SNM_ECANCELED); the loop then ends once
 *                            the caller's own handles are closed
 *   snm_session_dispose() -> closes the engine if still open, runs the loop
 *                            until every handle is closed, closes the loop,
 *                            disposes every es
 */
#ifndef SNM_SESSION_H
#define SNM_SESSION_H

#include <stddef.h>
#include <uv.h>

#include "err.h"

struct snm_plan;
struct snm_http;
struct snm_es;

struct snm_session {
  uv_loop_t loop;
  struct snm_http *http;       /* NULL once closed */
  struct snm_es *es;           /* n_es, malloced: es[i] for plan domain i */
  struct snm_err *es_init_err; /* n_es, malloced: SNM_OK, or why
                                  snm_es_init failed for domain i (that
                                  domain's requests then fail) */
  size_t n_es;
  const char *name; /* "check": prefix of the session's log lines */
  int loop_ok;      /* the loop was initialised */
  /* SIGINT/SIGTERM watchers (snm_session_on_stop) */
  uv_signal_t sigint, sigterm;
  int signals_on; /* the watchers were started; closed by session_close */
  int stopped;    /* a stop signal arrived (on_stop ran) */
  void (*on_stop)(void *data, int signum);
  void *stop_data;
};

/* Set up `s` for `plan`: the loop, the engine, es[i] for every domain
 * (read_only 1: only GET and HEAD may be sent).  A domain whose
 * snm_es_init fails (a password variable not set...) is logged as a
 * warning and its error kept in es_init_err[i]: the session still starts.
 * `name` (static) prefixes log lines.  Returns 0; SNM_ENOMEM, SNM_EIO (no
 * event loop) or the engine's error, with `err` filled.  Call
 * snm_session_dispose even on failure. */
int snm_session_init(struct snm_session *s, const struct snm_plan *plan,
                     int read_only, const char *name,
                     struct snm_err *err) SNM_MUST_CHECK;

/* Watch SIGINT and SIGTERM on the session's loop: the first one logs
 * "NAME: interrupted, stopping" (or "terminated") and calls
 * on_stop(data, signum) once; later ones are ignored.  snm_session_close
 * stops watching.  Call once, after snm_session_init succeeded. */
void snm_session_on_stop(struct snm_session *s,
                         void (*on_stop)(void *data, int signum), void *data);

/* Close the engine and the signal watchers (idempotent). */
void snm_session_close(struct snm_session *s);

/* Tear down (see above).  Returns uv_loop_close's result: 0, or a libuv
 * error when a handle was left open (logged as a warning). */
int snm_session_dispose(struct snm_session *s);

#endif
