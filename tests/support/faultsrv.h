/* SPDX-License-Identifier: Apache-2.0 */
/* faultsrv.h - a loopback HTTP/1.1 stand-in server for fault cases a real
 * server will not produce on demand (503 then 200, resets, hangs, huge or
 * chunked replies) and for checking the exact bytes a client sent.
 *
 * It runs in its own thread with plain sockets and poll(), serves any number
 * of keep-alive connections, and asks a handler (called on that thread) what
 * to do with each complete request.  Not a general HTTP server: requests
 * must carry their body with Content-Length.
 */
#ifndef SNM_FAULTSRV_H
#define SNM_FAULTSRV_H

#include <stddef.h>

enum faultsrv_action {
  FAULTSRV_REPLY = 0, /* send the reply below */
  FAULTSRV_RESET,     /* close with RST (SO_LINGER 0), no reply */
  FAULTSRV_CLOSE,     /* close cleanly, no reply */
  FAULTSRV_HANG       /* never reply; keep the connection open */
};

struct faultsrv_req {
  int index;        /* 0-based, over the server's life */
  int conn;         /* 0-based connection number */
  const char *head; /* request line and headers, exact bytes, up to and
                       including the blank line; NUL-terminated */
  size_t head_len;
  const char *body; /* Content-Length bytes */
  size_t body_len;
};

struct faultsrv_reply {
  enum faultsrv_action action;
  int status;          /* [200] */
  const char *headers; /* NULL or extra "Name: value\r\n" lines */
  const char *body;    /* NULL or body_len bytes */
  size_t body_len;
  size_t filler_len; /* > 0: body of that many 'x' instead of `body` */
  int chunked;       /* 1: Transfer-Encoding: chunked, no Content-Length */
  int close;         /* 1: "Connection: close" and close after replying */
};

/* Decide the reply; runs on the server thread.  `out` arrives zeroed. */
typedef void (*faultsrv_handler)(void *data, const struct faultsrv_req *req,
                                 struct faultsrv_reply *out);

struct faultsrv;

/* Listen on 127.0.0.1 (ephemeral port) and start the thread.  0 or -1. */
int faultsrv_start(struct faultsrv **out, faultsrv_handler fn, void *data);
int faultsrv_port(const struct faultsrv *s);
/* Counters, safe to read from any thread while the server runs. */
int faultsrv_connections(const struct faultsrv *s);
int faultsrv_requests(const struct faultsrv *s);
/* Stop the thread and free everything.  After it returns, data the handler
 * wrote may be read without locks. */
void faultsrv_stop(struct faultsrv *s);

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
int faultsrv_closed_port(void);

/* A ready-made handler (faultsrv_echo.c) for a server that quotes what it
 * was sent, as some proxies and test servers do in their error messages:
 * every request is answered with status `status` and the JSON body
 *   {"error":{"type":"echo_exception","reason":"<request line and
 *   headers><decoded>"},"status":<status>}
 * (JSON-escaped) where <decoded> is " decoded basic credentials: user:pw"
 * when the request carries "Authorization: Basic ...".  The response
 * header "X-Echo" repeats the request's Authorization and
 * X-Amz-Security-Token values.  With `straddle` set, the body starts with
 * enough 'x' padding that the first occurrence of `straddle` in it crosses
 * the first 16 KiB chunk boundary (use with `chunked`).  With `xml` set
 * the body is an STS error instead:
 *   <ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch
 *   </Code><Message>Authorization: <value> X-Amz-Security-Token: <value>
 *   </Message></Error></ErrorResponse> */
struct faultsrv_echo {
  int status;           /* [200] */
  int chunked;          /* 1: Transfer-Encoding: chunked (16 KiB chunks) */
  int xml;              /* 1: an STS error body (see above) */
  const char *straddle; /* NULL or text to put across a chunk boundary */
  /* written by the handler; read them after faultsrv_stop */
  char *last_head; /* malloced copy of the last request's head */
  int requests;    /* requests answered */
  /* private */
  char *body;     /* malloced, the reply being sent */
  char *echo_hdr; /* malloced "X-Echo: ...\r\n" */
};
void faultsrv_echo(void *data, const struct faultsrv_req *req,
                   struct faultsrv_reply *out);
/* Free what the handler kept (after faultsrv_stop). */
void faultsrv_echo_dispose(struct faultsrv_echo *e);

#endif
