/* SPDX-License-Identifier: Apache-2.0 */
/* es_chunk.c - index lists in request URLs, in batches. */
#include "es_chunk.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

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

void snm_es_cover_free(char **v, size_t n)
{
  for (size_t i = 0; v != NULL && i < n; i++)
    free(v[i]);
  free(v);
}

static int cmp_name(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The group of sorted[i..): the names sharing sorted[i]'s first `len`
 * bytes (len 0: sorted[i] alone).  Returns its end. */
static size_t group_end(const char *const *sorted, size_t n, size_t i,
                        size_t len)
{
  size_t j = i + 1;

  if (len == 0 || strlen(sorted[i]) < len)
    return j;
  while (j < n && strncmp(sorted[i], sorted[j], len) == 0)
    j++;
  return j;
}

/* The prefix of a group: `len` bytes cut back to a character boundary. */
static size_t prefix_cut(const char *name, size_t len)
{
  while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80)
    len--;
  return len;
}

/* The encoded length of the list at prefix length `len` ('*' is %2A). */
static size_t cover_len(const char *const *sorted, size_t n, size_t len)
{
  size_t total = 0;

  for (size_t i = 0, j; i < n; i = j) {
    j = group_end(sorted, n, i, len);
    if (i > 0)
      total++;
    if (j - i == 1) {
      total += snm_es_encoded_len(sorted[i]);
    } else {
      size_t cut = prefix_cut(sorted[i], len);
      for (size_t k = 0; k < cut; k++) {
        char one[2] = {sorted[i][k], '\0'};
        total += snm_es_encoded_len(one);
      }
      total += 3;
    }
  }
  return total;
}

int snm_es_cover_names(char ***out, size_t *n_out, const char *const *names,
                       size_t n, size_t limit)
{
  const char **sorted = NULL;
  size_t used = 0, len = 0, longest = 0, k = 0;
  char **v = NULL;

  *out = NULL;
  *n_out = 0;
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++) {
    used += (i > 0) + snm_es_encoded_len(names[i]);
    if (strlen(names[i]) > longest)
      longest = strlen(names[i]);
  }
  if ((v = calloc(n, sizeof(*v))) == NULL)
    return SNM_ENOMEM;
  if (used <= limit) { /* the names themselves */
    for (k = 0; k < n; k++)
      if ((v[k] = strdup(names[k])) == NULL)
        goto nomem;
    *out = v;
    *n_out = n;
    return 0;
  }
  if ((sorted = malloc(n * sizeof(*sorted))) == NULL)
    goto nomem;
  memcpy(sorted, names, n * sizeof(*sorted));
  qsort(sorted, n, sizeof(*sorted), cmp_name);
  for (len = longest; len > 1; len--)
    if (cover_len(sorted, n, len) <= limit)
      break;
  for (size_t i = 0, j; i < n; i = j) {
    j = group_end(sorted, n, i, len);
    if (j - i == 1) {
      v[k] = strdup(sorted[i]);
    } else {
      size_t cut = prefix_cut(sorted[i], len);
      if ((v[k] = malloc(cut + 2)) != NULL) {
        memcpy(v[k], sorted[i], cut);
        v[k][cut] = '*';
        v[k][cut + 1] = '\0';
      }
    }
    if (v[k++] == NULL)
      goto nomem;
  }
  free(sorted);
  *out = v;
  *n_out = k;
  return 0;
nomem:
  free(sorted);
  snm_es_cover_free(v, n);
  return SNM_ENOMEM;
}
