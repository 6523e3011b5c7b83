/* SPDX-License-Identifier: Apache-2.0 */
/* es_sample.c - sample verification (es_sample.h).  Placeholder while the
 * implementation is written: every function fails with SNM_ENOMEM. */
#include "es_sample.h"

#include <stdlib.h>

#include "buf.h"

void snm_es_sample_dispose(struct snm_es_sample *s)
{
  (void)s;
}

int snm_es_sample_msearch_body(struct snm_buf *out, size_t *taken,
                               const char *const *names, size_t n, unsigned k,
                               size_t limit)
{
  (void)out, (void)names, (void)n, (void)k, (void)limit;
  *taken = 0;
  return SNM_ENOMEM;
}

int snm_es_parse_sample_msearch(struct snm_es_sample *samples, size_t n,
                                yajl_val json, struct snm_err *err)
{
  (void)samples, (void)n, (void)json, (void)err;
  return SNM_ENOMEM;
}

int snm_es_sample_mget_body(char **out, size_t *taken, size_t *docs,
                            const char *const *targets,
                            const struct snm_es_sample *samples, size_t n)
{
  (void)targets, (void)samples, (void)n;
  *out = NULL, *taken = 0, *docs = 0;
  return SNM_ENOMEM;
}

int snm_es_sample_check_mget(struct snm_es_sample_verdict *verdicts,
                             const struct snm_es_sample *samples, size_t n,
                             yajl_val json, struct snm_err *err)
{
  (void)verdicts, (void)samples, (void)n, (void)json, (void)err;
  return SNM_ENOMEM;
}
