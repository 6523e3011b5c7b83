/* SPDX-License-Identifier: Apache-2.0 */
/* es_chunk.c - index lists in request URLs, in batches. */
#include "es_chunk.h"
#include "err.h"

#include <stdlib.h>

static int unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

size_t snm_es_encoded_len(const char *name)
{
  size_t len = 0;

  for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
    len += unreserved(*p) ? 1 : 3;
  return len;
}

int snm_es_chunk_names(size_t **ends, size_t *n_chunks,
                       const char *const *names, size_t n, size_t limit)
{
  size_t used = 0, k = 0;

  *ends = NULL;
  *n_chunks = 0;
  if (n == 0)
    return 0;
  /* at most one chunk per name */
  if ((*ends = malloc(n * sizeof(**ends))) == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    size_t len = snm_es_encoded_len(names[i]);
    size_t start = k == 0 ? 0 : (*ends)[k - 1];

    if (i > start && used + 1 + len <= limit) {
      used += 1 + len; /* ',' and the name */
    } else if (i > start) {
      (*ends)[k++] = i; /* close the chunk before this name */
      used = len;
    } else {
      used = len; /* the chunk's first name, however long */
    }
  }
  (*ends)[k++] = n;
  *n_chunks = k;
  return 0;
}
