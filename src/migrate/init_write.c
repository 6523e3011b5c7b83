/* SPDX-License-Identifier: Apache-2.0 */
/* init_write.c - `snapmig init`'s starter plan as text: JSON with //
 * comments that say where each choice comes from (init_plan.h). */
#include "init_int.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the plan's text --------------------------------------------------- */

static void human_bytes(char *out, size_t outsz, long long n)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = (double)n;
  int u = 0;

  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(out, outsz, "%lld B", n);
  else
    snprintf(out, outsz, "%.1f %s", v, units[u]);
}

/* ", N documents, SIZE" for a set of names (unknown parts left out). */
static int put_amounts(struct snm_buf *b, long long docs, long long bytes)
{
  char size[32];
  int rc = 0;

  if (docs >= 0)
    rc = snm_buf_printf(b, ", %lld document%s", docs, docs == 1 ? "" : "s");
  if (rc == 0 && bytes >= 0) {
    human_bytes(size, sizeof(size), bytes);
    rc = snm_buf_printf(b, ", %s", size);
  }
  return rc;
}

/* The group prefix of a name: up to and including its first '-', '_' or
 * '.' after the first character; 0 when it has none. */
static size_t group_prefix(const char *name)
{
  size_t k = strcspn(name + 1, "-_.") + 1;
  return name[0] != '\0' && name[k] != '\0' && name[k + 1] != '\0' ? k + 1 : 0;
}

struct entry {   /* one line of snapshot.indices */
  char *text;    /* malloced: the pattern or name */
  char *comment; /* malloced */
};

static int add_entry(struct entry **v, size_t *n, const char *text,
                     const char *comment)
{
  struct entry *nv = realloc(*v, (*n + 1) * sizeof(**v));

  if (nv == NULL)
    return SNM_ENOMEM;
  *v = nv;
  nv[*n].text = strdup(text);
  nv[*n].comment = strdup(comment);
  (*n)++;
  return nv[*n - 1].text && nv[*n - 1].comment ? 0 : SNM_ENOMEM;
}

/* The lines of snapshot.indices: prefix groups (or the user's patterns),
 * then an exclusion for each closed or red name. */
static int index_entries(struct entry **v, size_t *n,
                         const struct snm_init_facts *f,
                         const struct snm_init_opts *o)
{
  struct snm_buf b;
  int rc = 0;

  snm_buf_init(&b, 0);
  if (o->indices != NULL) {
    char *copy = strdup(o->indices), *save = NULL, *tok;
    size_t sel = 0;
    long long docs = 0, bytes = 0;

    if (copy == NULL)
      return SNM_ENOMEM;
    for (size_t i = 0; i < f->n_indices; i++) {
      if (f->indices[i].excluded)
        continue;
      sel++;
      docs =
          f->indices[i].docs < 0 || docs < 0 ? -1 : docs + f->indices[i].docs;
      bytes = f->indices[i].bytes < 0 || bytes < 0
                  ? -1
                  : bytes + f->indices[i].bytes;
    }
    for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
      while (*tok == ' ')
        tok++;
      for (size_t e = strlen(tok); e > 0 && tok[e - 1] == ' '; e--)
        tok[e - 1] = '\0';
      if (*tok == '\0')
        continue;
      snm_buf_reset(&b);
      if (*n == 0)
        rc = snm_buf_printf(&b, "--indices: %zu name%s", sel,
                            sel == 1 ? "" : "s");
      if (rc == 0 && *n == 0)
        rc = put_amounts(&b, docs, bytes);
      if (rc == 0)
        rc = add_entry(v, n, tok, snm_buf_str(&b));
    }
    free(copy);
  } else {
    for (size_t i = 0; i < f->n_indices && rc == 0;) {
      const struct snm_init_index *ix = &f->indices[i];
      size_t k = group_prefix(ix->name), j = i, members = 0, streams = 0;
      long long docs = 0, bytes = 0;

      /* the run of names sharing the prefix (names are sorted) */
      while (j < f->n_indices &&
             (k > 0 ? strncmp(f->indices[j].name, ix->name, k) == 0 : j == i))
        j++;
      for (size_t m = i; m < j; m++) {
        const struct snm_init_index *x = &f->indices[m];
        if (x->excluded)
          continue;
        members++;
        streams += x->data_stream != 0;
        docs = x->docs < 0 || docs < 0 ? -1 : docs + x->docs;
        bytes = x->bytes < 0 || bytes < 0 ? -1 : bytes + x->bytes;
      }
      snm_buf_reset(&b);
      if (members >= 2) {
        /* the members' longest common prefix, back to a separator */
        const char *first = NULL;
        size_t lcp = 0;
        char *pat;

        for (size_t m = i; m < j; m++) {
          const char *nm = f->indices[m].name;
          size_t l = 0;
          if (f->indices[m].excluded)
            continue;
          if (first == NULL) {
            first = nm;
            lcp = strlen(nm);
            continue;
          }
          while (l < lcp && nm[l] == first[l])
            l++;
          lcp = l;
        }
        while (lcp > k && strchr("-_.", first[lcp - 1]) == NULL)
          lcp--;
        pat = malloc(lcp + 2);
        if (pat == NULL) {
          rc = SNM_ENOMEM;
          break;
        }
        memcpy(pat, first, lcp);
        memcpy(pat + lcp, "*", 2);
        rc = snm_buf_printf(&b, "%zu ", members);
        if (rc == 0 && streams > 0 && streams < members)
          rc = snm_buf_printf(&b, "indices and data streams");
        else if (rc == 0)
          rc = snm_buf_puts(&b, streams > 0 ? "data streams" : "indices");
        if (rc == 0)
          rc = put_amounts(&b, docs, bytes);
        if (rc == 0)
          rc = add_entry(v, n, pat, snm_buf_str(&b));
        free(pat);
      } else {
        for (size_t m = i; m < j && rc == 0; m++) {
          const struct snm_init_index *x = &f->indices[m];
          if (x->excluded)
            continue;
          snm_buf_reset(&b);
          rc = snm_buf_puts(&b, x->data_stream ? "data stream" : "index");
          if (rc == 0)
            rc = put_amounts(&b, x->docs, x->bytes);
          if (rc == 0)
            rc = add_entry(v, n, x->name, snm_buf_str(&b));
        }
      }
      i = j;
    }
  }
  for (size_t i = 0; i < f->n_indices && rc == 0; i++) {
    const struct snm_init_index *ix = &f->indices[i];
    char *ex;

    if (!ix->excluded)
      continue;
    if ((ex = snm__init_xprintf("-%s", ix->name)) == NULL)
      return SNM_ENOMEM;
    snm_buf_reset(&b);
    rc = snm_buf_printf(&b, "%s on the source: a snapshot would fail on it",
                        ix->why);
    if (rc == 0)
      rc = add_entry(v, n, ex, snm_buf_str(&b));
    free(ex);
  }
  snm_buf_dispose(&b);
  return rc;
}

/* "// TEXT" lines at `indent`, wrapped at 76 columns. */
static int put_comment(struct snm_buf *b, int indent, const char *text)
{
  const char *p = text;
  int rc = 0;

  while (*p != '\0' && rc == 0) {
    size_t room = 76 - (size_t)indent - 3, len = strlen(p), cut = len;

    if (len > room) {
      cut = room;
      while (cut > 0 && p[cut] != ' ')
        cut--;
      if (cut == 0)
        cut = strcspn(p, " ");
    }
    rc = snm_buf_printf(b, "%*s// ", indent, "");
    if (rc == 0) {
      char *line = snm_memdup0(p, cut);
      if (line == NULL)
        return SNM_ENOMEM;
      rc = snm__init_put_comment_text(b, line);
      free(line);
    }
    if (rc == 0)
      rc = snm_buf_putc(b, '\n');
    p += cut;
    while (*p == ' ')
      p++;
  }
  return rc;
}

/* "The source, URL: ENGINE, WHAT." as wrapped comment lines. */
static int side_line(struct snm_buf *b, const struct snm_init_side *s,
                     const char *what)
{
  char *line = snm__init_xprintf(
      "The %s, %s: %s%s.", s->id, s->endpoint,
      s->engine[0] != '\0' ? s->engine : "engine unknown", what);
  int rc;

  if (line == NULL)
    return SNM_ENOMEM;
  rc = put_comment(b, 0, line);
  free(line);
  return rc;
}

/* The restore's members, each with its comment. */
static int write_restore(struct snm_buf *out, const struct snm_init_facts *f,
                         const struct snm_init_choice *c)
{
  struct member {
    char *comment; /* malloced or NULL */
    char *text;    /* malloced */
  } m[5];
  size_t n = 0;
  int rc = 0;

  memset(m, 0, sizeof(m));
  m[n].comment = c->rename_replacement != NULL
                     ? NULL
                     : snm__init_xprintf(
                           "No rename: none of these names is taken on the "
                           "target.  To restore under other names: \"rename\": "
                           "{\"pattern\": \"%s\", \"replacement\": "
                           "\"restored-$1\"}",
                           SNM_INIT_RENAME_PATTERN);
  m[n++].text = snm__init_xprintf("\"domain\": \"target\"");
  if (c->rename_replacement != NULL) {
    size_t plen = strlen(c->rename_replacement) - 2; /* without "$1" */
    m[n].comment = snm__init_xprintf(
        f->target_names_known
            ? "Some of these names are taken on the target: every name is "
              "restored with \"%.*s\" in front, which none is."
            : "The target's names could not be read: every name is "
              "restored with \"%.*s\" in front, to be safe.",
        (int)plen, c->rename_replacement);
    m[n++].text =
        snm__init_xprintf("\"rename\": {\"pattern\": \"%s\", "
                          "\"replacement\": \"%s\"}",
                          SNM_INIT_RENAME_PATTERN, c->rename_replacement);
  }
  if (c->replicas >= 0) {
    m[n].comment = snm__init_xprintf(
        "The target has %ld data node%s, fewer than the copies the source "
        "keeps: %ld replica%s, or the indices never turn green.",
        f->target.data_nodes, f->target.data_nodes == 1 ? "" : "s", c->replicas,
        c->replicas == 1 ? "" : "s");
    m[n++].text = snm__init_xprintf(
        "\"index_settings\": {\"index.number_of_replicas\": %ld}", c->replicas);
  } else if (f->target.data_nodes < 0) {
    m[n].comment = snm__init_xprintf(
        "The target's data nodes could not be counted: with fewer than 1 "
        "+ the source's replicas, add \"index_settings\": "
        "{\"index.number_of_replicas\": N}.");
    m[n++].text = snm__init_xprintf("\"wait_for\": \"green\"");
  }
  if (!c->include_aliases) {
    m[n].comment = snm__init_xprintf(
        "An alias of these indices is a name the target holds (or the "
        "target's names are unknown): the aliases are not restored.");
    m[n++].text = snm__init_xprintf("\"include_aliases\": false");
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (m[i].text == NULL || (i > 0 && m[i].comment == NULL) ||
        (i == 0 && c->rename_replacement == NULL && m[i].comment == NULL)) {
      rc = SNM_ENOMEM;
      break;
    }
    if (m[i].comment != NULL)
      rc = put_comment(out, 6, m[i].comment);
    if (rc == 0)
      rc = snm_buf_printf(out, "      %s%s\n", m[i].text, i + 1 < n ? "," : "");
  }
  for (size_t i = 0; i < n; i++) {
    free(m[i].comment);
    free(m[i].text);
  }
  return rc;
}

int snm_init_write(struct snm_buf *out, const struct snm_init_facts *f,
                   const struct snm_init_opts *o, struct snm_err *err)
{
  struct snm_init_choice c;
  struct entry *ents = NULL;
  size_t n_ents = 0, n_sel = 0, n_streams = 0, n_excluded = 0, width = 0;
  struct snm_buf t;
  long long docs = 0;
  int rc;

  if (!f->indices_known)
    return snm_err_set(err, SNM_EINVAL,
                       "the source's indices could not be read%s%s",
                       f->source.error != NULL ? ": " : "",
                       f->source.error != NULL ? f->source.error : "");
  for (size_t i = 0; i < f->n_indices; i++) {
    if (f->indices[i].excluded) {
      n_excluded++;
      continue;
    }
    n_sel++;
    n_streams += f->indices[i].data_stream != 0;
    docs = f->indices[i].docs < 0 || docs < 0 ? -1 : docs + f->indices[i].docs;
  }
  if (n_sel == 0 && o->indices != NULL)
    return snm_err_set(err, SNM_EINVAL,
                       "--indices \"%.128s\" selects no open, readable index "
                       "or data stream on the source%s",
                       o->indices,
                       n_excluded > 0 ? " (only closed or red ones)" : "");
  if (n_sel == 0)
    return snm_err_set(err, SNM_EINVAL,
                       "the source holds no index or data stream to migrate "
                       "(system indices, starting with '.', are left "
                       "out)%s",
                       n_excluded > 0 ? " (only closed or red ones)" : "");
  rc = snm_init_choose(&c, f, o);
  if (rc == 0)
    rc = index_entries(&ents, &n_ents, f, o);
  snm_buf_init(&t, 0);
  if (rc != 0)
    goto done;

  /* the header */
  rc = snm_buf_puts(
      out, "// A starter plan written by `snapmig init` from what the two "
           "clusters hold.\n"
           "// Review it, then `snapmig validate PLAN`, `snapmig check "
           "PLAN` and\n"
           "// `snapmig run PLAN`.  The format: snapmig-plan(5), "
           "docs/plan-format.md.\n//\n");
  if (rc == 0)
    rc = snm_buf_printf(&t, ", %zu name%s to migrate (%zu data stream%s)",
                        n_sel, n_sel == 1 ? "" : "s", n_streams,
                        n_streams == 1 ? "" : "s");
  if (rc == 0 && docs >= 0)
    rc = snm_buf_printf(&t, ", %lld documents", docs);
  if (rc == 0)
    rc = side_line(out, &f->source, snm_buf_str(&t));
  snm_buf_reset(&t);
  if (rc == 0 && f->target.data_nodes >= 0)
    rc = snm_buf_printf(&t, ", %ld data node%s", f->target.data_nodes,
                        f->target.data_nodes == 1 ? "" : "s");
  if (rc == 0 && f->target_names_known)
    rc = snm_buf_printf(&t, ", %zu index and alias name%s in use",
                        f->n_target_names, f->n_target_names == 1 ? "" : "s");
  if (rc == 0)
    rc = side_line(out, &f->target, snm_buf_str(&t));
  if (rc == 0 && c.repo_placeholder)
    rc = snm_buf_puts(out, "//\n// Fill in every CHANGE-ME before running "
                           "it.\n");

  /* the plan */
  if (rc == 0)
    rc = snm_buf_puts(out, "{\n");
  if (rc == 0 && o->schema_uri != NULL) {
    rc = snm_buf_puts(out, "  \"$schema\": ");
    if (rc == 0)
      rc = snm__init_put_jstr(out, o->schema_uri);
    if (rc == 0)
      rc = snm_buf_puts(out, ",\n");
  }
  if (rc == 0)
    rc = snm_buf_puts(out, "  \"snapmig\": 1,\n  \"name\": ");
  if (rc == 0)
    rc = snm__init_put_jstr(out, o->name);
  if (rc == 0)
    rc = snm_buf_puts(out, ",\n  \"domains\": {\n    \"source\": "
                           "{\"endpoint\": ");
  if (rc == 0)
    rc = snm__init_put_jstr(out, f->source.endpoint);
  if (rc == 0)
    rc = snm_buf_printf(out,
                        ", \"auth\": %s},\n    \"target\": "
                        "{\"endpoint\": ",
                        f->source.auth_json);
  if (rc == 0)
    rc = snm__init_put_jstr(out, f->target.endpoint);
  if (rc == 0)
    rc = snm_buf_printf(out, ", \"auth\": %s}\n  },\n\n", f->target.auth_json);

  if (rc == 0)
    rc = put_comment(out, 2, c.repo_comment);
  if (rc == 0)
    rc = snm_buf_puts(out, "  \"repository\": {\n    \"name\": ");
  if (rc == 0)
    rc = snm__init_put_jstr(out, c.repo_name);
  if (rc == 0)
    rc = snm_buf_printf(out,
                        ",\n    \"type\": \"%s\",\n    \"settings\": %s\n"
                        "  },\n\n",
                        c.repo_type, c.repo_settings);

  if (rc == 0)
    rc = put_comment(
        out, 2,
        o->indices != NULL
            ? "What is snapshotted: the --indices patterns."
            : "What is snapshotted: the source's indices and data streams, "
              "grouped by their common prefix (system indices, starting "
              "with '.', are left out).");
  if (rc == 0)
    rc = snm_buf_puts(out, "  \"snapshot\": {\n    \"domain\": \"source\",\n"
                           "    \"indices\": [\n");
  for (size_t i = 0; i < n_ents; i++)
    if (strlen(ents[i].text) > width)
      width = strlen(ents[i].text);
  for (size_t i = 0; i < n_ents && rc == 0; i++) {
    rc = snm_buf_puts(out, "      ");
    if (rc == 0)
      rc = snm__init_put_jstr(out, ents[i].text);
    if (rc == 0)
      rc = snm_buf_printf(out, "%s%*s", i + 1 < n_ents ? ", " : "  ",
                          width > 40 ? 0 : (int)(width - strlen(ents[i].text)),
                          "");
    if (rc == 0 && ents[i].comment[0] != '\0') {
      rc = snm_buf_puts(out, "// ");
      if (rc == 0)
        rc = snm__init_put_comment_text(out, ents[i].comment);
    }
    if (rc == 0)
      rc = snm_buf_putc(out, '\n');
  }
  if (rc == 0)
    rc = snm_buf_puts(out, "    ]\n  },\n\n  \"restores\": [\n    {\n");
  if (rc == 0)
    rc = write_restore(out, f, &c);
  if (rc == 0)
    rc = snm_buf_puts(out, "    }\n  ]\n}\n");
done:
  if (rc == SNM_ENOMEM)
    snm_err_set(err, SNM_ENOMEM, "out of memory");
  for (size_t i = 0; i < n_ents; i++) {
    free(ents[i].text);
    free(ents[i].comment);
  }
  free(ents);
  snm_buf_dispose(&t);
  snm_init_choice_dispose(&c);
  return rc;
}
