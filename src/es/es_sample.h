/* SPDX-License-Identifier: Apache-2.0 */
/* es_sample.h - sample verification: K documents per index drawn at
 * random on the source, fetched by _id (and routing) from a target, and
 * their _source compared.  Used by `cutover` with a restore's
 * `"verify": "sample"`, when the source is write-blocked and both sides
 * must hold the very same documents.
 *
 * The round trip:
 *  1. POST /_msearch on the source (application/x-ndjson), one search per
 *     index: {"size":K,"query":{"function_score":{"query":{"match_all":{}},
 *     "random_score":{}}},"_source":true,"track_total_hits":false}
 *     (snm_es_sample_msearch_body, snm_es_parse_sample_msearch);
 *  2. POST /_mget on every target, the drawn ids under the target index
 *     names (snm_es_sample_mget_body), and the reply compared with the
 *     drawn documents (snm_es_sample_check_mget).
 * Only a SHA-256 digest of each document's canonical _source (object keys
 * sorted, numbers as sent, no whitespace) is kept, so a sample of 10
 * documents from each of 1,000 indices stays small whatever the
 * documents' size.  Pure functions over buffers and yajl trees, no I/O.
 */
#ifndef SNM_ES_SAMPLE_H
#define SNM_ES_SAMPLE_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "err.h"

struct snm_buf;

/* Largest K (`restores[].sample_size`). */
#define SNM_ES_SAMPLE_K_MAX 1000u
/* Documents one _mget request asks for at most (snm_es_sample_mget_body
 * always takes at least one index's sample whole). */
#define SNM_ES_SAMPLE_MGET_DOCS_MAX 2000u

/* One drawn document. */
struct snm_es_sample_doc {
  char *id;                 /* malloced */
  char *routing;            /* malloced, or NULL when the hit had none */
  unsigned char digest[32]; /* SHA-256 of the canonical _source */
  int has_source;           /* 0: the hit had no _source (disabled in the
                               mapping): only its presence is compared */
};

/* The documents drawn from one index. */
struct snm_es_sample {
  struct snm_es_sample_doc *docs; /* n, malloced (NULL when n is 0) */
  size_t n;
  char why[256]; /* "" when drawn; else why not (an error item with its
                    reason, failed or missing shards, a timed-out search),
                    sanitised */
};
void snm_es_sample_dispose(struct snm_es_sample *s);

/* Append to `out` the NDJSON body drawing up to k (1..SNM_ES_SAMPLE_K_MAX)
 * documents from each of names[0..n): as many names as fit within `limit`
 * bytes of `out` (at least one) and at most SNM_ES_MSEARCH_ITEMS_MAX;
 * *taken gets how many.  0 or SNM_ENOMEM; n must be > 0. */
int snm_es_sample_msearch_body(struct snm_buf *out, size_t *taken,
                               const char *const *names, size_t n, unsigned k,
                               size_t limit) SNM_MUST_CHECK;

/* Read the reply of an snm_es_sample_msearch_body request for n names into
 * samples[0..n) (zeroed by the caller or disposed; filled in order).  An
 * item that is an error, timed out or lacks shards gets `why` and no
 * documents; a hit without _id is a parse error of that item.  Returns 0
 * (each item drawn or not on its own), SNM_EPARSE (err says why: not an
 * object with a "responses" array of exactly n entries; every item's `why`
 * set too) or SNM_ENOMEM. */
int snm_es_parse_sample_msearch(struct snm_es_sample *samples, size_t n,
                                yajl_val json,
                                struct snm_err *err) SNM_MUST_CHECK;

/* *out (malloced JSON, caller frees) gets the body of POST /_mget asking
 * for the documents of samples[0..n) under the index names targets[i]
 * (with their routing): as many whole samples as keep the request within
 * SNM_ES_SAMPLE_MGET_DOCS_MAX documents (at least one sample, however
 * large; samples without documents are taken freely); *taken gets how
 * many and *docs the number of documents asked for (the body is "" with
 * *docs 0 when none of the taken samples has documents: send nothing).
 * "_source" is asked for only where the sample has it.  0 or SNM_ENOMEM. */
int snm_es_sample_mget_body(char **out, size_t *taken, size_t *docs,
                            const char *const *targets,
                            const struct snm_es_sample *samples,
                            size_t n) SNM_MUST_CHECK;

/* The comparison of one index's sample with a target. */
struct snm_es_sample_verdict {
  size_t equal;    /* found on the target with the same _source */
  size_t missing;  /* not found on the target */
  size_t differ;   /* found with another _source */
  size_t unknown;  /* the target answered an error for the document */
  char first[512]; /* "" or the first problem, e.g. `_id "a1": not found
                      on the target`, `_id "a1": _source differs`,
                      `_id "a1": <the server's reason>` (sanitised) */
};

/* Compare the reply of an snm_es_sample_mget_body request for samples[0..n)
 * (n = its *taken) with them: verdicts[i] for samples[i] (zeroed or
 * accumulated by the caller: counts are added, `first` kept once set).  A
 * sample is done when equal == its n.  Returns 0, SNM_EPARSE (err says
 * why: not an object with a "docs" array of exactly the documents asked
 * for, in order, or a doc naming another _id) or SNM_ENOMEM. */
int snm_es_sample_check_mget(struct snm_es_sample_verdict *verdicts,
                             const struct snm_es_sample *samples, size_t n,
                             yajl_val json, struct snm_err *err) SNM_MUST_CHECK;

#endif
