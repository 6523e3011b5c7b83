/* secret.h - the values snapmig must never show, and the one scrubber that
 * removes them from text.
 *
 * A server (or a proxy in front of it) may quote the request it got in an
 * error message, or even in a 200 reply: then it quotes the request's
 * credentials.  snapmig knows every credential it sends, so it removes
 * them by value, wherever they appear:
 *
 *  - the registry holds what stays secret for the whole process: secret
 *    access keys and session tokens (the credential chain), passwords and
 *    basic-auth credentials (es.c, the plan), container and IMDS tokens;
 *  - a set (struct snm_secret_set) holds what one HTTP call sent: the
 *    values of its credential headers (the whole Authorization value, its
 *    SigV4 signature, ...) and of its presigned query parameters.  The
 *    HTTP engine fills it from the request as it goes out, for any
 *    signer.
 *
 * Where scrubbing happens (docs/http-engine.md): the HTTP engine scrubs
 * every reply's headers as they arrive and its body when the transfer
 * ends, before a parser, an error message, a trace or an event sees them;
 * snm_err_set scrubs every error message and snm_log every log line (the
 * registry only: by then the call's set is gone).
 *
 * Each value is also matched as JSON may write it ('/' as "\/") and
 * percent-encoded as in a URL, when those forms differ.
 *
 * Lengths: a value shorter than SNM_SECRET_MIN_LEN (4) bytes is ignored:
 * scrubbing "ab" would shred ordinary text.  A value shorter than
 * SNM_SECRET_REPLY_MIN (8) bytes, or made only of digits, is "weak": it is
 * scrubbed from what snapmig writes (SNM_SCRUB_ALL: log lines, error
 * messages) but not from reply bytes before they are parsed
 * (SNM_SCRUB_REPLY), where it would also hit ordinary JSON ("true",
 * "green", a document count) and change what the reply says.  Real
 * credentials are long (secret keys 40 bytes, tokens hundreds, signatures
 * 64); only a short password is weak.
 *
 * Threads: the registry (snm_secret_add, snm_secret_wipe_all and the
 * scrubbers' reading of it) is guarded by a mutex, because the credential
 * chain's fetches run on libuv's thread pool; a set belongs to one thread.
 */
#ifndef SNM_SECRET_H
#define SNM_SECRET_H

#include <stddef.h>

struct snm_buf;

/* What a secret is replaced with, everywhere. */
#define SNM_REDACTED "[REDACTED]"

#define SNM_SECRET_MIN_LEN 4
#define SNM_SECRET_REPLY_MIN 8

struct snm_secret {
  char *value; /* malloced; wiped before it is freed */
  size_t len;
  int weak; /* 1: not scrubbed from replies (see above) */
};

/* A set of values (a call's); the registry is one too. */
struct snm_secret_set {
  struct snm_secret *items; /* malloced array */
  size_t n, cap;
};

void snm_secret_set_init(struct snm_secret_set *set);
/* Wipe and free every value; the set is empty and may be reused. */
void snm_secret_set_wipe(struct snm_secret_set *set);

/* Add the `len` bytes at `value` (copied) and their JSON and URL forms.
 * NULL, a value shorter than SNM_SECRET_MIN_LEN or one already there is
 * ignored.  Returns 0 or SNM_ENOMEM. */
int snm_secret_set_add(struct snm_secret_set *set, const char *value,
                       size_t len);

/* 1 when a header named `name` (`len` bytes, any case) carries
 * credentials: Authorization, Proxy-Authorization, X-Amz-Security-Token,
 * Cookie, Set-Cookie, X-aws-ec2-metadata-token. */
int snm_secret_header_name(const char *name, size_t len);

/* Add what a request header line "Name: value" gives away, when Name is a
 * credential header: the whole value; for "Scheme credentials" the
 * credentials; for Basic also the decoded "user:password" and password;
 * for SigV4 the Signature= value.  Other lines add nothing.  Returns 0 or
 * SNM_ENOMEM. */
int snm_secret_set_add_header(struct snm_secret_set *set, const char *line);

/* Add the values of the X-Amz-Signature and X-Amz-Security-Token
 * parameters in the query of `url` (or of a bare query), as written and
 * percent-decoded.  Returns 0 or SNM_ENOMEM. */
int snm_secret_set_add_query(struct snm_secret_set *set, const char *url);

/* The registry: snm_secret_set_add on the process-wide set.  `value` may
 * be NULL (ignored).  Returns 0 or SNM_ENOMEM. */
int snm_secret_add(const char *value);
/* Wipe and forget every registered value (at exit; tests). */
void snm_secret_wipe_all(void);

enum snm_scrub_mode {
  SNM_SCRUB_ALL,  /* every value: text snapmig writes */
  SNM_SCRUB_REPLY /* weak values left alone: reply bytes before parsing */
};

/* Append `len` bytes of `text` to `out`, each occurrence of a registered
 * value or of a value in `extra` (NULL: none) replaced by SNM_REDACTED
 * (overlapping occurrences become one).  Returns 0 or SNM_ENOMEM. */
int snm_secret_scrub(struct snm_buf *out, const char *text, size_t len,
                     const struct snm_secret_set *extra,
                     enum snm_scrub_mode mode);

/* The same on `b` in place (its cap does not apply to what replacing
 * adds).  Returns how many occurrences were replaced, or SNM_ENOMEM with
 * `b` unchanged. */
int snm_secret_scrub_buf(struct snm_buf *b, const struct snm_secret_set *extra,
                         enum snm_scrub_mode mode);

/* Scrub `len` bytes of `text` (registry only, every value) into `dst`, a
 * buffer of `size` > 0 bytes, without allocating: the result is cut to fit
 * (never inside a UTF-8 sequence) and NUL-terminated.  For error messages,
 * which must be set even when memory is short. */
void snm_secret_scrub_into(char *dst, size_t size, const char *text,
                           size_t len);

#endif
