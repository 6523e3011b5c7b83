/* SPDX-License-Identifier: Apache-2.0 */
/* es_chunk.h - index lists in request URLs, in batches.
 *
 * GET /A,B,C/_recovery, /_cluster/health/A,B,C, POST /A,B,C/_refresh and
 * GET /A,B,C/_settings put comma-joined, percent-encoded index names into
 * the request line.  Servers cap that line (Elasticsearch and OpenSearch:
 * http.max_initial_line_length, 4 KB by default), so a long list is split
 * into chunks whose encoded names stay under SNM_ES_URL_LIST_MAX bytes and
 * the chunks are sent as separate requests; the callers combine the
 * replies.  Pure functions, no I/O.
 */
#ifndef SNM_ES_CHUNK_H
#define SNM_ES_CHUNK_H

#include <stddef.h>

/* The encoded names of one request: 3000 bytes leave about 1 KB of the
 * 4 KB line for the method, a base path, the rest of the path, the query
 * and "HTTP/1.1". */
#define SNM_ES_URL_LIST_MAX 3000

/* How long `name` is once snm_es_path's "%s" / "%l" percent-encode it
 * (every byte outside A-Z a-z 0-9 - . _ ~ becomes "%XX"). */
size_t snm_es_encoded_len(const char *name);

/* Split names[0..n) into consecutive chunks whose encoded, comma-joined
 * length is at most `limit` bytes.  A name that alone is longer than
 * `limit` gets a chunk of its own (the server then judges it).  *ends
 * (malloced, caller frees; NULL when n is 0) gets *n_chunks entries: chunk
 * k is names[k == 0 ? 0 : ends[k - 1] .. ends[k]).  Returns 0 or
 * SNM_ENOMEM (*ends NULL, *n_chunks 0). */
int snm_es_chunk_names(size_t **ends, size_t *n_chunks,
                       const char *const *names, size_t n, size_t limit);

/* Patterns that cover names[0..n) in a list of at most `limit` encoded
 * bytes when possible, so that a poll of thousands of indices is one
 * request (GET /PATTERNS/_recovery): the names themselves, in their order,
 * when they fit; else the sorted names grouped by their first L bytes, a
 * group of several as "PREFIX*" (cut back to a whole UTF-8 character) and
 * a lone name as itself, with the longest L whose list fits.  A pattern
 * may match other indices too, and a name a wildcard does not expand to
 * (hidden, closed) may be missing: a reply read through the patterns must
 * be read for the names alone, and a name it lacks is unknown.  When even
 * L = 1 does not fit, that list is returned (send it in chunks:
 * snm_es_chunk_names).  *out (malloced array of malloced strings, free
 * with snm_es_cover_free; NULL when n is 0) gets *n_out patterns.  Returns
 * 0 or SNM_ENOMEM (*out NULL, *n_out 0). */
int snm_es_cover_names(char ***out, size_t *n_out, const char *const *names,
                       size_t n, size_t limit);
void snm_es_cover_free(char **v, size_t n);

/* The first name of chunk `k` of `ends`. */
static inline size_t snm_es_chunk_start(const size_t *ends, size_t k)
{
  return k == 0 ? 0 : ends[k - 1];
}

#endif
