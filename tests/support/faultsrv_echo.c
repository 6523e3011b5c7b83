/* SPDX-License-Identifier: Apache-2.0 */
/* faultsrv_echo.c - a faultsrv handler that quotes each request back in its
 * reply (see faultsrv.h), to test that nothing the client sent as a
 * credential comes out of the client again. */
#include "faultsrv.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHUNK 16384 /* faultsrv's chunk size */

static const char lead_json[] =
    "{\"error\":{\"type\":\"echo_exception\",\"reason\":\"";

struct text {
  char *p;
  size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
  if (t->len + n + 1 > t->cap) {
    size_t cap = (t->len + n + 1) * 2;
    char *p = realloc(t->p, cap);
    if (p == NULL)
      abort(); /* a test helper: no way to report it */
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = '\0';
}

static void puts_json(struct text *t, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char esc[8];
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') {
      esc[0] = '\\';
      esc[1] = (char)ch;
      put(t, esc, 2);
    } else if (ch < 0x20) {
      snprintf(esc, sizeof(esc), "\\u%04x", ch);
      put(t, esc, 6);
    } else {
      put(t, s + i, 1);
    }
  }
}

/* The value of header `name` in `head` (up to CRLF), or NULL. */
static const char *header(const char *head, const char *name, size_t *len)
{
  size_t n = strlen(name);

  for (const char *p = strstr(head, "\r\n"); p != NULL;
       p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2;
    if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1;
      while (*v == ' ')
        v++;
      *len = strcspn(v, "\r\n");
      return v;
    }
  }
  return NULL;
}

void faultsrv_echo(void *data, const struct faultsrv_req *req,
                   struct faultsrv_reply *out)
{
  struct faultsrv_echo *e = data;
  struct text body = {0}, reason = {0}, hdr = {0};
  const char *auth, *token;
  size_t auth_len = 0, token_len = 0;
  char num[32];

  free(e->last_head);
  e->last_head = strdup(req->head);
  e->requests++;
  auth = header(req->head, "Authorization", &auth_len);
  token = header(req->head, "X-Amz-Security-Token", &token_len);

  put(&reason, req->head, req->head_len);
  if (auth != NULL && auth_len > 6 && auth_len < 600 &&
      strncmp(auth, "Basic ", 6) == 0) {
    const char *lead = " decoded basic credentials: ";
    unsigned char plain[512];
    int n = EVP_DecodeBlock(plain, (const unsigned char *)auth + 6,
                            (int)(auth_len - 6));
    while (n > 0 && plain[n - 1] == '\0') /* base64 padding */
      n--;
    if (n > 0) {
      put(&reason, lead, strlen(lead));
      put(&reason, (const char *)plain, (size_t)n);
    }
  }

  if (e->straddle != NULL) {
    /* pad so that the text starts 5 bytes before the chunk boundary */
    struct text probe = {0};
    const char *at;
    put(&probe, lead_json, strlen(lead_json));
    puts_json(&probe, reason.p, reason.len);
    at = strstr(probe.p, e->straddle);
    if (at != NULL && (size_t)(at - probe.p) + 5 < CHUNK) {
      size_t pad = CHUNK - 5 - (size_t)(at - probe.p);
      char *x = malloc(pad);
      if (x == NULL)
        abort();
      memset(x, ' ', pad); /* JSON whitespace: the body stays valid */
      put(&body, x, pad);
      free(x);
    }
    free(probe.p);
  }
  if (e->xml) {
    static const char open[] =
        "<ErrorResponse><Error><Type>Sender</Type><Code>"
        "SignatureDoesNotMatch</Code><Message>Authorization: ";
    static const char close[] = "</Message></Error></ErrorResponse>";
    put(&body, open, strlen(open));
    if (auth != NULL)
      put(&body, auth, auth_len);
    put(&body, " X-Amz-Security-Token: ", 23);
    if (token != NULL)
      put(&body, token, token_len);
    put(&body, close, strlen(close));
    put(&hdr, "Content-Type: text/xml\r\n", 24);
  } else {
    put(&body, lead_json, strlen(lead_json));
    puts_json(&body, reason.p, reason.len);
    snprintf(num, sizeof(num), "\"},\"status\":%d}",
             e->status != 0 ? e->status : 200);
    put(&body, num, strlen(num));
    put(&hdr, "Content-Type: application/json\r\n", 32);
  }
  put(&hdr, "X-Echo: ", 8);
  if (auth != NULL)
    put(&hdr, auth, auth_len);
  put(&hdr, " ", 1);
  if (token != NULL)
    put(&hdr, token, token_len);
  put(&hdr, "\r\n", 2);

  free(e->body);
  free(e->echo_hdr);
  free(reason.p);
  e->body = body.p;
  e->echo_hdr = hdr.p;
  out->status = e->status != 0 ? e->status : 200;
  out->chunked = e->chunked;
  out->headers = e->echo_hdr;
  out->body = e->body;
  out->body_len = body.len;
}

void faultsrv_echo_dispose(struct faultsrv_echo *e)
{
  free(e->last_head);
  free(e->body);
  free(e->echo_hdr);
  e->last_head = e->body = e->echo_hdr = NULL;
}
