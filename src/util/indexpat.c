/* indexpat.c - Elasticsearch index expressions over a local list. */
#include "indexpat.h"

#include <string.h>

int snm_indexpat_is_wildcard(const char *pattern)
{
  return strchr(pattern, '*') != NULL;
}

/* Iterative glob with backtracking to the last '*': linear in practice, no
 * recursion. */
int snm_indexpat_match(const char *pattern, const char *str)
{
  const char *p = pattern, *s = str;
  const char *star = NULL, *resume = NULL;

  while (*s != '\0') {
    if (*p == '*') {
      star = p++;
      resume = s;
    } else if (*p == *s) {
      p++;
      s++;
    } else if (star != NULL) {
      p = star + 1;
      s = ++resume;
    } else {
      return 0;
    }
  }
  while (*p == '*')
    p++;
  return *p == '\0';
}

int snm_index_is_system(const char *name)
{
  return name[0] == '.';
}

int snm_index_is_protected(const char *name)
{
  static const char *const prefixes[] = {".opendistro_security",
                                         ".opendistro-",
                                         ".plugins-",
                                         ".security",
                                         ".kibana",
                                         ".opensearch_dashboards",
                                         ".opensearch-",
                                         NULL};
  static const char *const exact[] = {".ql-datasources", ".tasks", NULL};

  for (size_t i = 0; prefixes[i] != NULL; i++)
    if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
      return 1;
  for (size_t i = 0; exact[i] != NULL; i++)
    if (strcmp(name, exact[i]) == 0)
      return 1;
  return 0;
}

static int find(const char *const *names, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return (int)i;
  return -1;
}

size_t snm_indexpat_select(unsigned char *selected, const char *const *names,
                           size_t n_names, const char *const *items,
                           size_t n_items, unsigned char *hits)
{
  size_t count = 0;

  if (n_items == 0 || (n_items == 1 && strcmp(items[0], "_all") == 0)) {
    memset(selected, 1, n_names);
    if (hits != NULL && n_items == 1)
      hits[0] = n_names > 0 ? SNM_INDEXPAT_HIT : SNM_INDEXPAT_NO_MATCH;
    return n_names;
  }
  memset(selected, 0, n_names);
  for (size_t j = 0; j < n_items; j++) {
    const char *item = items[j];
    int add = 1, hit = 0, at;

    /* An existing name is taken as is, even one starting with '-'. */
    if ((at = find(names, n_names, item)) >= 0) {
      selected[at] = 1;
      if (hits != NULL)
        hits[j] = SNM_INDEXPAT_HIT;
      continue;
    }
    if (item[0] == '+') {
      item++;
    } else if (item[0] == '-') {
      add = 0;
      item++;
      if (j == 0)
        memset(selected, 1, n_names);
    }
    if (!snm_indexpat_is_wildcard(item)) {
      at = find(names, n_names, item);
      if (at >= 0)
        selected[at] = (unsigned char)add;
      if (hits != NULL)
        hits[j] = at >= 0 ? SNM_INDEXPAT_HIT : SNM_INDEXPAT_NOT_FOUND;
      continue;
    }
    for (size_t i = 0; i < n_names; i++) {
      if (snm_indexpat_match(item, names[i])) {
        selected[i] = (unsigned char)add;
        hit = 1;
      }
    }
    if (hits != NULL)
      hits[j] = hit ? SNM_INDEXPAT_HIT : SNM_INDEXPAT_NO_MATCH;
  }
  for (size_t i = 0; i < n_names; i++)
    count += selected[i];
  return count;
}
