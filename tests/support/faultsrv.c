/* SPDX-License-Identifier: Apache-2.0 */
/* faultsrv.c - loopback HTTP/1.1 stand-in for fault cases (see faultsrv.h).
 */
#include "faultsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 256

struct conn {
  int fd; /* -1 when free */
  int id;
  int hanging; /* FAULTSRV_HANG: ignore input */
  char *buf;   /* malloced */
  size_t len, cap;
};

struct faultsrv {
  int listen_fd;
  int wake[2]; /* pipe: a byte asks the thread to stop */
  int port;
  faultsrv_handler fn;
  void *data;
  pthread_t thread;
  atomic_int n_conns;
  atomic_int n_reqs;
  struct conn conns[MAX_CONNS];
};

static int send_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void conn_close(struct conn *c, int reset)
{
  if (reset) {
    struct linger lg = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  close(c->fd);
  c->fd = -1;
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = 0;
  c->hanging = 0;
}

static const char *reason_of(int status)
{
  switch (status) {
  case 200:
    return "OK";
  case 404:
    return "Not Found";
  case 429:
    return "Too Many Requests";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  default:
    return "Status";
  }
}

/* Send the reply; returns -1 when the connection must close. */
static int send_reply(struct conn *c, const struct faultsrv_reply *r,
                      int head_request)
{
  char head[1024];
  size_t body_len = r->filler_len > 0 ? r->filler_len : r->body_len;
  int status = r->status != 0 ? r->status : 200;
  int n;
  char *filler = NULL;
  const char *body = r->body;

  if (r->filler_len > 0) {
    filler = malloc(r->filler_len);
    if (filler == NULL)
      return -1;
    memset(filler, 'x', r->filler_len);
    body = filler;
  }
  if (r->chunked)
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nTransfer-Encoding: chunked\r\n%s%s\r\n",
                 status, reason_of(status), r->headers ? r->headers : "",
                 r->close ? "Connection: close\r\n" : "");
  else
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s%s\r\n", status,
                 reason_of(status), body_len, r->headers ? r->headers : "",
                 r->close ? "Connection: close\r\n" : "");
  if (send_all(c->fd, head, (size_t)n) != 0)
    goto fail;
  if (head_request) {
    ; /* a reply to HEAD has headers only */
  } else if (r->chunked) {
    /* 16 KiB chunks, then the last chunk */
    for (size_t off = 0; off < body_len; off += 16384) {
      size_t k = body_len - off < 16384 ? body_len - off : 16384;
      n = snprintf(head, sizeof(head), "%zx\r\n", k);
      if (send_all(c->fd, head, (size_t)n) != 0 ||
          send_all(c->fd, body + off, k) != 0 ||
          send_all(c->fd, "\r\n", 2) != 0)
        goto fail;
    }
    if (send_all(c->fd, "0\r\n\r\n", 5) != 0)
      goto fail;
  } else if (body_len > 0 && send_all(c->fd, body, body_len) != 0) {
    goto fail;
  }
  free(filler);
  return r->close ? -1 : 0;
fail:
  free(filler);
  return -1;
}

static size_t content_length(const char *head, size_t head_len)
{
  const char *p = head;

  while (p < head + head_len) {
    const char *eol = strstr(p, "\r\n");
    if (eol == NULL)
      break;
    if (strncasecmp(p, "Content-Length:", 15) == 0)
      return (size_t)strtoul(p + 15, NULL, 10);
    p = eol + 2;
  }
  return 0;
}

/* Serve every complete request in the buffer; -1 closes the connection. */
static int serve(struct faultsrv *s, struct conn *c)
{
  for (;;) {
    struct faultsrv_req req;
    struct faultsrv_reply reply;
    char *end, *head;
    size_t head_len, body_len, used;
    int is_head;

    if (c->hanging || c->len == 0)
      return 0;
    c->buf[c->len] = '\0';
    end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL)
      return 0;
    head_len = (size_t)(end - c->buf) + 4;
    body_len = content_length(c->buf, head_len);
    if (c->len < head_len + body_len)
      return 0;
    used = head_len + body_len;

    memset(&req, 0, sizeof(req));
    memset(&reply, 0, sizeof(reply));
    req.index = atomic_fetch_add(&s->n_reqs, 1);
    req.conn = c->id;
    head = malloc(head_len + 1); /* NUL-terminated copy */
    if (head == NULL) {
      conn_close(c, 0);
      return -1;
    }
    memcpy(head, c->buf, head_len);
    head[head_len] = '\0';
    req.head = head;
    req.head_len = head_len;
    req.body = c->buf + head_len;
    req.body_len = body_len;
    s->fn(s->data, &req, &reply);
    is_head = strncmp(head, "HEAD ", 5) == 0; /* reply without a body */
    free(head);

    switch (reply.action) {
    case FAULTSRV_RESET:
      conn_close(c, 1);
      return -1;
    case FAULTSRV_CLOSE:
      conn_close(c, 0);
      return -1;
    case FAULTSRV_HANG:
      c->hanging = 1;
      return 0;
    case FAULTSRV_REPLY:
      if (send_reply(c, &reply, is_head) != 0) {
        conn_close(c, 0);
        return -1;
      }
      break;
    }
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
  }
}

static void *run(void *arg)
{
  struct faultsrv *s = arg;
  struct pollfd pfd[MAX_CONNS + 2];

  for (;;) {
    int map[MAX_CONNS + 2];
    nfds_t n = 0;

    pfd[n].fd = s->wake[0];
    pfd[n++].events = POLLIN;
    pfd[n].fd = s->listen_fd;
    pfd[n++].events = POLLIN;
    for (int i = 0; i < MAX_CONNS; i++)
      if (s->conns[i].fd >= 0) {
        map[n] = i;
        pfd[n].fd = s->conns[i].fd;
        pfd[n++].events = POLLIN;
      }
    if (poll(pfd, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (pfd[0].revents != 0)
      break;
    if (pfd[1].revents & POLLIN) {
      int fd = accept(s->listen_fd, NULL, NULL);
      if (fd >= 0) {
        int slot = -1;
        for (int i = 0; i < MAX_CONNS && slot < 0; i++)
          if (s->conns[i].fd < 0)
            slot = i;
        if (slot < 0) {
          close(fd);
        } else {
          s->conns[slot].fd = fd;
          s->conns[slot].id = atomic_fetch_add(&s->n_conns, 1);
        }
      }
    }
    for (nfds_t k = 2; k < n; k++) {
      struct conn *c = &s->conns[map[k]];
      char tmp[16384];
      ssize_t r;

      if (pfd[k].revents == 0 || c->fd < 0)
        continue;
      r = recv(c->fd, tmp, sizeof(tmp), 0);
      if (r <= 0) {
        conn_close(c, 0);
        continue;
      }
      if (c->len + (size_t)r + 1 > c->cap) {
        size_t ncap = (c->len + (size_t)r + 1) * 2;
        char *nb = realloc(c->buf, ncap);
        if (nb == NULL) {
          conn_close(c, 0);
          continue;
        }
        c->buf = nb;
        c->cap = ncap;
      }
      memcpy(c->buf + c->len, tmp, (size_t)r);
      c->len += (size_t)r;
      (void)serve(s, c);
    }
  }
  for (int i = 0; i < MAX_CONNS; i++)
    if (s->conns[i].fd >= 0)
      conn_close(&s->conns[i], 0);
  return NULL;
}

int faultsrv_start(struct faultsrv **out, faultsrv_handler fn, void *data)
{
  struct faultsrv *s = calloc(1, sizeof(*s));
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);
  int one = 1;

  *out = NULL;
  if (s == NULL)
    return -1;
  for (int i = 0; i < MAX_CONNS; i++)
    s->conns[i].fd = -1;
  s->fn = fn;
  s->data = data;
  s->wake[0] = s->wake[1] = -1;
  s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd < 0)
    goto fail;
  setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      listen(s->listen_fd, 128) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&sa, &sl) != 0)
    goto fail;
  s->port = ntohs(sa.sin_port);
  if (pipe(s->wake) != 0)
    goto fail;
  if (pthread_create(&s->thread, NULL, run, s) != 0)
    goto fail;
  *out = s;
  return 0;
fail:
  if (s->listen_fd >= 0)
    close(s->listen_fd);
  if (s->wake[0] >= 0) {
    close(s->wake[0]);
    close(s->wake[1]);
  }
  free(s);
  return -1;
}

int faultsrv_port(const struct faultsrv *s)
{
  return s->port;
}

int faultsrv_connections(const struct faultsrv *s)
{
  return atomic_load(&((struct faultsrv *)s)->n_conns);
}

int faultsrv_requests(const struct faultsrv *s)
{
  return atomic_load(&((struct faultsrv *)s)->n_reqs);
}

void faultsrv_stop(struct faultsrv *s)
{
  char b = 1;

  if (s == NULL)
    return;
  while (write(s->wake[1], &b, 1) < 0 && errno == EINTR)
    ;
  pthread_join(s->thread, NULL);
  close(s->listen_fd);
  close(s->wake[0]);
  close(s->wake[1]);
  free(s);
}

int faultsrv_closed_port(void)
{
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

  if (fd < 0)
    return -1;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
      getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
    port = ntohs(sa.sin_port);
  close(fd);
  return port;
}
