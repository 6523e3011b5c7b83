/* standin_http.h - a loopback HTTP/1.1 stand-in server for tests.
 *
 * A stand-in for services that cannot run here (EC2 IMDS, the ECS
 * credentials endpoint, STS) and for HTTP fault cases a real server will not
 * produce on demand.  It listens on 127.0.0.1 on a port the kernel picks,
 * runs its own libuv loop on its own thread, answers each request from a
 * script of replies, and records every request it received.
 *
 * Script: replies are matched in the order they were added; the first one
 * whose method and path match and that has uses left answers the request
 * (so "times = 1" followed by an unlimited reply serves a different answer
 * to the second request).  A request no reply matches gets a 404 with the
 * body "no scripted reply".  Replies may be added while the server runs.
 *
 * Connections are persistent (HTTP/1.1 keep-alive) unless the request says
 * "Connection: close", is HTTP/1.0, or the reply has close_after.  Request
 * bodies may use Content-Length or chunked encoding; "Expect: 100-continue"
 * is answered with a 100 before the body is read.  Requests on one
 * connection are answered in order; many connections are served at once.
 *
 * Threads: every function may be called from the test's thread while the
 * server runs.  snm_standin_new ignores SIGPIPE for the process (a client
 * that goes away must not kill the test).
 */
#ifndef SNM_STANDIN_HTTP_H
#define SNM_STANDIN_HTTP_H

#include <stddef.h>

struct snm_standin; /* opaque */

enum snm_standin_action {
  SNM_STANDIN_ANSWER = 0, /* send the scripted reply */
  SNM_STANDIN_CLOSE,      /* close the connection without answering (FIN) */
  SNM_STANDIN_RESET,      /* reset the connection without answering (RST) */
  SNM_STANDIN_SILENT      /* never answer; the connection stays open until
                             the client closes it or the server stops */
};

/* One scripted reply.  All strings are copied by snm_standin_add. */
struct snm_standin_reply {
  const char *method; /* NULL: any method */
  const char *path;   /* request target incl. query, exact; a final '*'
                         matches any suffix ("/a/" then a star); NULL: any */
  int times;          /* how many requests this reply answers; 0: no limit */
  enum snm_standin_action action;
  unsigned delay_ms; /* wait this long after the request, then act */
  int hold;          /* 1: act only once the test called
                        snm_standin_release (then after delay_ms) */
  int close_after;   /* close the connection after sending the reply */
  /* for SNM_STANDIN_ANSWER: */
  int status;          /* e.g. 200 */
  const char *headers; /* NULL, or header lines each ending in "\r\n";
                          Content-Length is added unless headers have
                          Content-Length or Transfer-Encoding */
  const char *body;    /* NULL: empty; NUL-terminated */
  const char *raw;     /* not NULL: sent verbatim instead of the status
                          line, headers and body (malformed or truncated
                          replies); raw_len bytes, or strlen(raw) if 0 */
  size_t raw_len;
};

/* One received request, copied out of the server. */
struct snm_standin_request {
  char *method;    /* malloced: "GET" */
  char *target;    /* malloced: "/path?query" as sent */
  char *headers;   /* malloced: the header lines, "Name: value\r\n"... */
  char *body;      /* malloced, NUL-terminated, de-chunked */
  size_t body_len; /* without the NUL */
  unsigned conn;   /* which connection carried it: 1, 2, ... */
};

/* Start a server on 127.0.0.1, port chosen by the kernel.  Returns 0 and
 * sets *out, or a negative libuv error code. */
int snm_standin_new(struct snm_standin **out);

/* Stop the server: close every connection (pending delays are dropped),
 * join its thread, free everything.  Returns the result of uv_loop_close on
 * the server's loop: 0 unless a handle leaked (tests assert 0). */
int snm_standin_free(struct snm_standin *s);

int snm_standin_port(const struct snm_standin *s);
/* "http://127.0.0.1:<port>" (borrowed, valid until snm_standin_free). */
const char *snm_standin_url(const struct snm_standin *s);

/* Add a reply to the end of the script.  Returns 0 or -1 (no memory). */
int snm_standin_add(struct snm_standin *s, const struct snm_standin_reply *r);

/* Open the gate for replies with `hold`: requests held so far are acted on
 * now, later ones at once.  Until then a held request gets no answer (the
 * test decides when a slow service answers, without sleeping). */
void snm_standin_release(struct snm_standin *s);

/* Forget the script and the recorded requests (the connection count too);
 * the gate closes again. */
void snm_standin_clear(struct snm_standin *s);

/* Requests received completely so far (a request is recorded before its
 * delay and action). */
size_t snm_standin_request_count(struct snm_standin *s);
/* Connections accepted so far. */
size_t snm_standin_connection_count(struct snm_standin *s);

/* Wait until at least `n` requests were recorded or `timeout_ms` passed
 * (a condition wait, no polling).  Returns 0, or -1 on the deadline. */
int snm_standin_wait_requests(struct snm_standin *s, size_t n,
                              unsigned timeout_ms);

/* Copy the i-th recorded request (0-based) into *out; the caller disposes
 * it.  Returns 0, or -1 when there is no such request or no memory. */
int snm_standin_request_get(struct snm_standin *s, size_t i,
                            struct snm_standin_request *out);
void snm_standin_request_dispose(struct snm_standin_request *r);

/* The value of header `name` (any case) of a recorded request, trimmed,
 * malloced (caller frees); NULL when absent.  The first one if repeated. */
char *snm_standin_request_header(const struct snm_standin_request *r,
                                 const char *name);

/* A 127.0.0.1 port nothing listens on (bound, then released), for
 * "connection refused" tests.  Returns the port, or -1. */
int snm_standin_unused_port(void);

#endif
