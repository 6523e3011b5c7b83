/* SPDX-License-Identifier: Apache-2.0 */
#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define INI_MAX_FILE (1024 * 1024)

struct ini_entry {
  size_t section; /* index into sections */
  char *key;      /* points into text; lower-case */
  char *value;    /* points into text */
};

struct snm_ini {
  char *text; /* malloced copy of the input, cut into NUL-terminated parts */
  size_t text_len;
  char **sections; /* malloced array of pointers into text */
  size_t n_sections;
  struct ini_entry *entries; /* malloced */
  size_t n_entries;
};

static char *trim(char *s, char *end)
{
  while (s < end && isspace((unsigned char)*s))
    s++;
  while (end > s && isspace((unsigned char)end[-1]))
    end--;
  *end = '\0';
  return s;
}

static int add_section(struct snm_ini *ini, char *name, size_t *index)
{
  char **n;

  for (size_t i = 0; i < ini->n_sections; i++) {
    if (strcmp(ini->sections[i], name) == 0) {
      *index = i;
      return 0;
    }
  }
  n = realloc(ini->sections, (ini->n_sections + 1) * sizeof(*n));
  if (n == NULL)
    return SNM_ENOMEM;
  ini->sections = n;
  ini->sections[ini->n_sections] = name;
  *index = ini->n_sections++;
  return 0;
}

static int add_entry(struct snm_ini *ini, size_t section, char *key,
                     char *value)
{
  struct ini_entry *n;

  n = realloc(ini->entries, (ini->n_entries + 1) * sizeof(*n));
  if (n == NULL)
    return SNM_ENOMEM;
  ini->entries = n;
  ini->entries[ini->n_entries].section = section;
  ini->entries[ini->n_entries].key = key;
  ini->entries[ini->n_entries].value = value;
  ini->n_entries++;
  return 0;
}

/* One line, [line, end) with end pointing at the '\n' or the final NUL. */
static int parse_line(struct snm_ini *ini, char *line, char *end, size_t lineno,
                      const char *name, size_t *section, int *have_section,
                      int *have_key, struct snm_err *err)
{
  char *p, *eq, *close;
  int rc;

  if (end > line && end[-1] == '\r')
    end--;
  p = line;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
    p++;
  if (p == end)
    return 0; /* blank */
  if (*p == '#' || *p == ';') {
    *end = '\0';
    return 0;
  }
  if (p != line && *have_key) {
    /* continuation of the previous key (nested value): not a key itself */
    *end = '\0';
    return 0;
  }
  if (*p == '[') {
    close = NULL;
    for (char *q = end; q > p; q--) {
      if (q[-1] == ']') {
        close = q - 1;
        break;
      }
    }
    if (close == NULL || close == p + 1)
      return snm_err_set(err, SNM_EPARSE,
                         "%s:%zu: section header without a name or without "
                         "its closing ']'",
                         name, lineno);
    *end = '\0';
    p = trim(p + 1, close);
    if (*p == '\0')
      return snm_err_set(err, SNM_EPARSE, "%s:%zu: empty section name", name,
                         lineno);
    rc = add_section(ini, p, section);
    if (rc < 0)
      return snm_err_set(err, rc, "%s: out of memory", name);
    *have_section = 1;
    *have_key = 0;
    return 0;
  }
  eq = memchr(p, '=', (size_t)(end - p));
  if (eq == NULL)
    return snm_err_set(err, SNM_EPARSE,
                       "%s:%zu: expected \"[section]\" or \"key = value\"",
                       name, lineno);
  if (!*have_section)
    return snm_err_set(err, SNM_EPARSE,
                       "%s:%zu: \"key = value\" before the first [section]",
                       name, lineno);
  *end = '\0';
  p = trim(p, eq);
  if (*p == '\0')
    return snm_err_set(err, SNM_EPARSE, "%s:%zu: empty key before '='", name,
                       lineno);
  for (char *k = p; *k; k++)
    *k = (char)tolower((unsigned char)*k);
  rc = add_entry(ini, *section, p, trim(eq + 1, end));
  if (rc < 0)
    return snm_err_set(err, rc, "%s: out of memory", name);
  *have_key = 1;
  return 0;
}

int snm_ini_parse(struct snm_ini **out, const char *text, size_t len,
                  const char *name, struct snm_err *err)
{
  struct snm_ini *ini;
  size_t section = 0, lineno = 0;
  int have_section = 0, have_key = 0;
  char *line, *end, *limit;
  int rc = 0;

  *out = NULL;
  ini = calloc(1, sizeof(*ini));
  if (ini == NULL)
    return snm_err_set(err, SNM_ENOMEM, "%s: out of memory", name);
  ini->text = malloc(len + 1);
  if (ini->text == NULL) {
    rc = snm_err_set(err, SNM_ENOMEM, "%s: out of memory", name);
    goto done;
  }
  memcpy(ini->text, text, len);
  ini->text[len] = '\0';
  ini->text_len = len;
  limit = ini->text + len;
  for (line = ini->text; line < limit; line = end + 1) {
    lineno++;
    end = memchr(line, '\n', (size_t)(limit - line));
    if (end == NULL)
      end = limit;
    rc = parse_line(ini, line, end, lineno, name, &section, &have_section,
                    &have_key, err);
    if (rc < 0)
      goto done;
  }
  *out = ini;
  ini = NULL;
done:
  snm_ini_free(ini);
  return rc;
}

int snm_ini_load(struct snm_ini **out, const char *path, const char *name,
                 struct snm_err *err)
{
  FILE *fp;
  char *text = NULL;
  size_t len = 0, n;
  int rc = 0;

  *out = NULL;
  fp = fopen(path, "rb");
  if (fp == NULL) {
    if (errno == ENOENT || errno == ENOTDIR)
      return 0;
    return snm_err_set(err, SNM_EIO, "cannot open %s: %s", name,
                       strerror(errno));
  }
  text = malloc(INI_MAX_FILE + 1);
  if (text == NULL) {
    rc = snm_err_set(err, SNM_ENOMEM, "%s: out of memory", name);
    goto done;
  }
  while ((n = fread(text + len, 1, INI_MAX_FILE + 1 - len, fp)) > 0) {
    len += n;
    if (len > INI_MAX_FILE) {
      rc = snm_err_set(err, SNM_EIO, "%s: larger than %d bytes", name,
                       INI_MAX_FILE);
      goto done;
    }
  }
  if (ferror(fp)) {
    rc = snm_err_set(err, SNM_EIO, "cannot read %s: %s", name, strerror(errno));
    goto done;
  }
  rc = snm_ini_parse(out, text, len, name, err);
done:
  if (text != NULL) {
    OPENSSL_cleanse(text, len);
    free(text);
  }
  fclose(fp);
  return rc;
}

void snm_ini_free(struct snm_ini *ini)
{
  if (ini == NULL)
    return;
  if (ini->text != NULL)
    OPENSSL_cleanse(ini->text, ini->text_len);
  free(ini->text);
  free(ini->sections);
  free(ini->entries);
  free(ini);
}

static int find_section(const struct snm_ini *ini, const char *section,
                        size_t *index)
{
  if (ini == NULL)
    return 0;
  for (size_t i = 0; i < ini->n_sections; i++) {
    if (strcmp(ini->sections[i], section) == 0) {
      *index = i;
      return 1;
    }
  }
  return 0;
}

int snm_ini_has_section(const struct snm_ini *ini, const char *section)
{
  size_t index;

  return find_section(ini, section, &index);
}

const char *snm_ini_get(const struct snm_ini *ini, const char *section,
                        const char *key)
{
  const char *value = NULL;
  size_t index;

  if (!find_section(ini, section, &index))
    return NULL;
  for (size_t i = 0; i < ini->n_entries; i++) {
    if (ini->entries[i].section == index &&
        strcasecmp(ini->entries[i].key, key) == 0)
      value = ini->entries[i].value; /* the last one wins */
  }
  return value;
}
