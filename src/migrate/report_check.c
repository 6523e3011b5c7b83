/* SPDX-License-Identifier: Apache-2.0 */
/* report_check.c - the check report, for people and as JSON. */
#include "report_check.h"
#include "jtree.h"
#include "buf.h"
#include "err.h"
#include "indexpat.h"
#include "json.h"
#include "log.h"
#include "preflight.h"
#include "preflight_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

const char *snm_report_bytes(char *buf, size_t bufsz, long long bytes)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = (double)bytes;
  size_t u = 0;

  if (bytes < 0) {
    snprintf(buf, bufsz, "?");
    return buf;
  }
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    u++;
  }
  if (u == 0)
    snprintf(buf, bufsz, "%lld B", bytes);
  else
    snprintf(buf, bufsz, "%.1f %s", v, units[u]);
  return buf;
}

static const char *roles_text(unsigned roles)
{
  if ((roles & SNM_PF_ROLE_SOURCE) && (roles & SNM_PF_ROLE_TARGET))
    return "source+target";
  if (roles & SNM_PF_ROLE_SOURCE)
    return "source";
  if (roles & SNM_PF_ROLE_TARGET)
    return "target";
  return "unused";
}

static const char *created_text(char *buf, size_t sz,
                                const struct snm_pf_index *ix)
{
  if (ix->created.engine == SNM_ENGINE_UNKNOWN)
    return "?";
  return snm_version_str(buf, sz, &ix->created);
}

static void docs_text(char *buf, size_t sz, long long docs)
{
  if (docs < 0)
    snprintf(buf, sz, "?");
  else
    snprintf(buf, sz, "%lld", docs);
}

/* ---- human --------------------------------------------------------------- */

/* fprintf for lines that carry text from the servers (index, cluster and
 * snapshot names, reasons): control characters in the arguments become
 * '?' (snm_sanitize_line, as for every log line), so a name cannot break
 * the layout or drive the terminal.  The format may hold newlines only at
 * its start and end; those stay. */
static void hprintf(FILE *fp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void hprintf(FILE *fp, const char *fmt, ...)
{
  size_t lead = strspn(fmt, "\n"), flen = strlen(fmt), trail;
  struct snm_buf line;
  va_list ap;
  int rc;

  trail = flen > lead && fmt[flen - 1] == '\n';
  assert(memchr(fmt + lead, '\n', flen - lead - trail) == NULL);
  snm_buf_init(&line, 0);
  va_start(ap, fmt);
  rc = snm_buf_vprintf(&line, fmt, ap);
  va_end(ap);
  if (rc == 0 && line.len >= lead + trail) {
    snm_sanitize_line(line.data + lead, line.len - lead - trail);
    fwrite(line.data, 1, line.len, fp);
  }
  snm_buf_dispose(&line);
}

/* What the security plugin said of the identity (nothing when the
 * plugin is absent or was not asked). */
static void human_security(FILE *fp, const struct snm_pf_domain *d)
{
  const struct snm_pf_security *sec = &d->sec;
  const char *granting;
  struct snm_buf roles;

  if (sec->state == SNM_PF_SEC_UNKNOWN && sec->error != NULL) {
    hprintf(fp, "    security plugin: identity not read: %s\n", sec->error);
    return;
  }
  if (sec->state != SNM_PF_SEC_KNOWN)
    return;
  snm_buf_init(&roles, 0);
  for (size_t i = 0; i < sec->n_roles; i++) /* text only */
    snm_best_effort(
        snm_buf_printf(&roles, "%s%s", i > 0 ? ", " : "", sec->roles[i]));
  hprintf(fp, "    security plugin: user \"%s\", roles %s", sec->user,
          sec->n_roles > 0 ? snm_buf_str(&roles) : "none");
  snm_buf_reset(&roles);
  for (size_t i = 0; i < sec->n_backend_roles; i++)
    snm_best_effort(snm_buf_printf(&roles, "%s%s", i > 0 ? ", " : "",
                                   sec->backend_roles[i]));
  if (sec->n_backend_roles > 0)
    hprintf(fp, ", backend roles %s", snm_buf_str(&roles));
  snm_buf_dispose(&roles);
  fputc('\n', fp);
  switch (snm__pf_security_grant(sec, &granting)) {
  case SNM_PF_GRANT_YES:
    hprintf(fp, "    snapshot permissions: granted (role %s)\n", granting);
    break;
  case SNM_PF_GRANT_NO:
    hprintf(fp, "    snapshot permissions: MISSING%s%s\n",
            sec->missing != NULL ? " " : "",
            sec->missing != NULL ? sec->missing : "");
    break;
  case SNM_PF_GRANT_UNKNOWN:
    hprintf(fp,
            "    snapshot permissions: cannot tell (what role%s %s grant%s "
            "is readable only with the security REST API's rights)\n",
            sec->unknown_roles != NULL && strchr(sec->unknown_roles, ',') ? "s"
                                                                          : "",
            sec->unknown_roles != NULL ? sec->unknown_roles : "?",
            sec->unknown_roles != NULL && strchr(sec->unknown_roles, ',')
                ? ""
                : "s");
    break;
  }
}

static void human_domain(FILE *fp, const struct snm_preflight *pf,
                         const struct snm_pf_domain *d)
{
  const char *repo = pf->plan->repository.name;
  char v[64], b1[32], b2[32];

  hprintf(fp, "  %s (%s) %s\n", d->dom->id, roles_text(d->roles),
          d->dom->base_url);
  if (!d->reached) {
    hprintf(fp, "    not reached: %s\n",
            d->error.msg[0] ? d->error.msg : "no answer");
    return;
  }
  hprintf(fp, "    %s, cluster \"%s\", health %s, %ld data node%s\n",
          snm_version_str(v, sizeof(v), &d->info.version), d->info.cluster_name,
          d->health[0] ? d->health : "?", d->data_nodes,
          d->data_nodes == 1 ? "" : "s");
  human_security(fp, d);
  if (d->same_as >= 0 && &pf->domains[d->same_as] != d)
    hprintf(fp,
            "    same cluster as %s (cluster_uuid %s): shares its repository "
            "registration\n",
            pf->domains[d->same_as].dom->id, d->cluster_uuid);
  if (d->roles & SNM_PF_ROLE_TARGET && d->disk_avail >= 0)
    hprintf(fp,
            "    disk: %s free, %s usable below the high watermark; "
            "max %ld shards per node, %ld open\n",
            snm_report_bytes(b1, sizeof(b1), d->disk_avail),
            snm_report_bytes(b2, sizeof(b2), d->disk_usable),
            d->max_shards_per_node, d->open_shards);
  if (d->roles == 0)
    return;
  switch (d->repo_state) {
  case SNM_PF_REPO_ABSENT:
    hprintf(fp, "    repository %s: not registered; run registers %s\n", repo,
            d->repo_want_json);
    break;
  case SNM_PF_REPO_MATCHES:
    hprintf(fp, "    repository %s: registered as the plan says", repo);
    if (d->snapshots_listed)
      hprintf(fp, " (%zu snapshot%s)", d->snapshots_in_repo,
              d->snapshots_in_repo == 1 ? "" : "s");
    fputc('\n', fp);
    break;
  case SNM_PF_REPO_DIFFERS:
    hprintf(fp, "    repository %s: registered DIFFERENTLY: %s\n", repo,
            d->repo_diff);
    break;
  case SNM_PF_REPO_UNKNOWN:
    hprintf(fp, "    repository %s: unknown%s%s\n", repo,
            d->repo_error ? ": " : "", d->repo_error ? d->repo_error : "");
    break;
  }
  for (size_t i = 0; i < d->n_running; i++)
    hprintf(fp, "    running snapshot: %s/%s (%s)\n", d->running[i].repository,
            d->running[i].snapshot, d->running[i].state);
}

static void human_indices(FILE *fp, const struct snm_preflight *pf)
{
  size_t n = 0;
  char docs[24], size[32], ver[48];

  for (size_t i = 0; i < pf->n_indices; i++)
    n += pf->indices[i].selected != 0;
  hprintf(fp, "\nSnapshot %s of %zu %s on %s\n", pf->snapshot_name, n,
          n == 1 ? "index" : "indices",
          pf->plan->domains[pf->plan->snapshot.domain].id);
  if (n == 0)
    return;
  hprintf(fp, "  %-32s %12s %11s %6s %8s  %-22s %s\n", "INDEX", "DOCS",
          "PRI SIZE", "SHARDS", "REPLICAS", "CREATED BY", "STATE");
  for (size_t i = 0; i < pf->n_indices; i++) {
    const struct snm_pf_index *ix = &pf->indices[i];
    if (!ix->selected)
      continue;
    docs_text(docs, sizeof(docs), ix->docs);
    hprintf(fp, "  %-32s %12s %11s %6ld %8ld  %-22s %s%s%s%s%s\n", ix->name,
            docs, snm_report_bytes(size, sizeof(size), ix->pri_bytes),
            ix->shards, ix->replicas, created_text(ver, sizeof(ver), ix),
            ix->closed ? "closed" : "open", ix->hidden ? ", hidden" : "",
            ix->data_stream ? ", data stream " : "",
            ix->data_stream ? ix->data_stream : "",
            snm_index_is_system(ix->name) && !ix->data_stream ? ", system"
                                                              : "");
  }
}

/* "replace" for an index closed and restored over, else the action */
static const char *item_action(const struct snm_pf_item *it)
{
  return it->action == SNM_PF_RESTORE && it->replace
             ? "replace"
             : snm_pf_action_name(it->action);
}

static void human_restores(FILE *fp, const struct snm_preflight *pf)
{
  char docs[24], size[32], need[32];

  for (size_t r = 0; r < pf->n_restores; r++) {
    const struct snm_pf_restore *rs = &pf->restores[r];
    const struct snm_restore *pr = &pf->plan->restores[r];

    hprintf(fp, "\nRestore %zu onto %s", r + 1,
            pf->plan->domains[rs->domain].id);
    if (pr->rename_pattern != NULL)
      hprintf(fp, " (rename \"%s\" -> \"%s\")", pr->rename_pattern,
              pr->rename_replacement);
    hprintf(fp, ": %zu %s\n", rs->n_items,
            rs->n_items == 1 ? "index" : "indices");
    if (rs->n_items == 0)
      continue;
    hprintf(fp, "  %-32s %-32s %12s %11s %-8s %s\n", "SOURCE INDEX",
            "TARGET NAME", "DOCS", "PRI SIZE", "ACTION", "VERDICT");
    for (size_t i = 0; i < rs->n_items; i++) {
      const struct snm_pf_item *it = &rs->items[i];
      const struct snm_pf_index *ix = &pf->indices[it->index];
      docs_text(docs, sizeof(docs), ix->docs);
      hprintf(fp, "  %-32s %-32s %12s %11s %-8s %s\n", ix->name,
              it->target_name, docs,
              snm_report_bytes(size, sizeof(size), ix->pri_bytes),
              item_action(it), it->verdict);
    }
    for (size_t k = 0; k < rs->n_streams; k++) {
      const struct snm_pf_stream_item *st = &rs->streams[k];
      size_t nb = 0;
      const char *name = st->stream < pf->n_data_streams
                             ? pf->data_streams[st->stream].name
                             : "?";
      for (size_t i = 0; i < rs->n_items; i++) {
        const char *ds = pf->indices[rs->items[i].index].data_stream;
        nb += ds != NULL && strcmp(ds, name) == 0;
      }
      hprintf(fp,
              "  data stream %s -> %s (%zu backing %s; template %s): %s, "
              "%s\n",
              name, st->target_name, nb, nb == 1 ? "index" : "indices",
              st->template_name != NULL ? st->template_name : "none",
              snm_pf_action_name(st->action), st->verdict);
    }
    hprintf(fp, "  needs %s of disk and %ld new shards",
            snm_report_bytes(need, sizeof(need), rs->bytes_needed),
            rs->new_shards);
    if (rs->replicas >= 0)
      hprintf(fp, " (replicas set to %ld)", rs->replicas);
    if (rs->n_replace > 0)
      hprintf(fp,
              "; replaces %ld ind%s (closed, then restored over: up to "
              "%s downloaded)",
              rs->n_replace, rs->n_replace == 1 ? "ex" : "ices",
              snm_report_bytes(need, sizeof(need), rs->bytes_replace_max));
    fputc('\n', fp);
  }
}

/* The next sync's items, counted over every restore (pf->rounds). */
struct next_counts {
  size_t replace, fresh, blocked;
};

static struct next_counts next_counts(const struct snm_preflight *pf)
{
  struct next_counts n = {0, 0, 0};

  for (size_t r = 0; r < pf->n_restores; r++)
    for (size_t i = 0; i < pf->restores[r].n_items; i++) {
      const struct snm_pf_item *it = &pf->restores[r].items[i];
      if (it->action == SNM_PF_BLOCKED)
        n.blocked++;
      else if (it->action == SNM_PF_RESTORE && it->replace)
        n.replace++;
      else if (it->action == SNM_PF_RESTORE && !it->own)
        n.fresh++;
    }
  return n;
}

/* 1 and *out: the documents the source index gained (negative: lost)
 * since the round that restored it; 0 when unknown. */
static int docs_changed(const struct snm_preflight *pf,
                        const struct snm_pf_item *it, long long *out)
{
  long long now = pf->indices[it->index].docs;

  if (it->round == 0 || it->docs_last < 0 || now < 0)
    return 0;
  *out = now - it->docs_last;
  return 1;
}

/* "Next sync": per index what the next round does and what changed. */
static void human_next(FILE *fp, const struct snm_preflight *pf)
{
  struct next_counts n = next_counts(pf);
  char then[32], now[32], d1[24], d2[24], ch[32];

  hprintf(fp,
          "\nNext sync: round %u: %zu ind%s replaced, %zu new, %zu blocked\n",
          snm_preflight_next_round(pf), n.replace,
          n.replace == 1 ? "ex" : "ices", n.fresh, n.blocked);
  hprintf(fp, "  %-32s %-8s %12s %12s %10s %11s %11s\n", "TARGET NAME",
          "ACTION", "DOCS THEN", "DOCS NOW", "CHANGED", "SIZE THEN",
          "SIZE NOW");
  for (size_t r = 0; r < pf->n_restores; r++)
    for (size_t i = 0; i < pf->restores[r].n_items; i++) {
      const struct snm_pf_item *it = &pf->restores[r].items[i];
      const struct snm_pf_index *ix = &pf->indices[it->index];
      long long dc = 0;
      if (it->action == SNM_PF_SKIP)
        continue;
      docs_text(d1, sizeof(d1), it->round > 0 ? it->docs_last : -1);
      docs_text(d2, sizeof(d2), ix->docs);
      if (docs_changed(pf, it, &dc))
        snprintf(ch, sizeof(ch), "%+lld", dc);
      else
        snprintf(ch, sizeof(ch), "%s", it->round > 0 ? "?" : "-");
      hprintf(fp, "  %-32s %-8s %12s %12s %10s %11s %11s\n", it->target_name,
              it->action == SNM_PF_BLOCKED ? "blocked"
              : it->replace                ? "replace"
              : it->own                    ? "resume"
                                           : "new",
              it->round > 0 ? d1 : "-", d2, ch,
              it->round > 0
                  ? snm_report_bytes(then, sizeof(then), it->bytes_last)
                  : "-",
              snm_report_bytes(now, sizeof(now), ix->pri_bytes));
    }
}

void snm_report_check_human(FILE *fp, const struct snm_preflight *pf, int quiet)
{
  if (!quiet) {
    hprintf(fp, "Plan \"%s\" (%s)\n", pf->plan->name, pf->plan->path);
    hprintf(fp, "\nDomains\n");
    for (size_t i = 0; i < pf->n_domains; i++)
      human_domain(fp, pf, &pf->domains[i]);
    if (pf->indices_known)
      human_indices(fp, pf);
    human_restores(fp, pf);
  }
  if (pf->rounds != NULL)
    human_next(fp, pf);
  for (int sev = SNM_PF_BLOCKER; sev <= SNM_PF_WARNING; sev++) {
    size_t n = sev == SNM_PF_BLOCKER ? pf->n_blockers : pf->n_warnings;
    if (n == 0)
      continue;
    hprintf(fp, "\n%s (%zu)\n", sev == SNM_PF_BLOCKER ? "Blockers" : "Warnings",
            n);
    for (size_t i = 0; i < pf->n_issues; i++) {
      const struct snm_pf_issue *is = &pf->issues[i];
      if ((int)is->severity != sev)
        continue;
      hprintf(fp, "  [%s] %s\n", is->code, is->message);
      if (is->hint != NULL && is->hint[0] != '\0')
        hprintf(fp, "      what to do: %s\n", is->hint);
    }
  }
  hprintf(fp, "\n%s: %zu blocker%s, %zu warning%s (%lu requests, %.2f s)\n",
          pf->n_blockers > 0 ? "BLOCKED" : "OK", pf->n_blockers,
          pf->n_blockers == 1 ? "" : "s", pf->n_warnings,
          pf->n_warnings == 1 ? "" : "s", pf->requests, pf->elapsed_s);
}

/* ---- JSON ---------------------------------------------------------------- */

static void jbool(yajl_gen g, const char *k, int v)
{
  snm_gen_str(g, k);
  yajl_gen_bool(g, v != 0);
}

static void jraw(yajl_gen g, const char *k, const char *json)
{
  yajl_val v = json != NULL ? yajl_tree_parse(json, NULL, 0) : NULL;

  snm_gen_str(g, k);
  if (v == NULL)
    yajl_gen_null(g);
  else
    snm_jgen(g, v);
  yajl_tree_free(v);
}

static const char *grant_name(enum snm_pf_grant g)
{
  return g == SNM_PF_GRANT_YES  ? "granted"
         : g == SNM_PF_GRANT_NO ? "missing"
                                : "unknown";
}

static void jlist(yajl_gen g, const char *k, char *const *v, size_t n)
{
  snm_gen_str(g, k);
  yajl_gen_array_open(g);
  for (size_t i = 0; i < n; i++)
    snm_gen_str(g, v[i]);
  yajl_gen_array_close(g);
}

/* "security": null when no plugin answered (or it was not asked). */
static void json_security(yajl_gen g, const struct snm_pf_domain *d)
{
  const struct snm_pf_security *sec = &d->sec;
  const char *granting;
  enum snm_pf_grant grant = snm__pf_security_grant(sec, &granting);

  snm_gen_str(g, "security");
  if (sec->state == SNM_PF_SEC_ABSENT ||
      (sec->state == SNM_PF_SEC_UNKNOWN && sec->error == NULL)) {
    yajl_gen_null(g);
    return;
  }
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "path", sec->path);
  snm_gen_key_str(g, "state",
                  sec->state == SNM_PF_SEC_KNOWN ? "known" : "unknown");
  snm_gen_key_str(g, "error", sec->error);
  if (sec->state == SNM_PF_SEC_KNOWN) {
    snm_gen_key_str(g, "user", sec->user);
    jlist(g, "roles", sec->roles, sec->n_roles);
    jlist(g, "backend_roles", sec->backend_roles, sec->n_backend_roles);
    snm_gen_key_str(g, "snapshot_permissions", grant_name(grant));
    snm_gen_key_str(g, "granted_by", granting);
    snm_gen_key_str(g, "missing", sec->missing);
    snm_gen_key_str(g, "roles_not_known", sec->unknown_roles);
  }
  yajl_gen_map_close(g);
}

static void json_domain(yajl_gen g, const struct snm_preflight *pf,
                        const struct snm_pf_domain *d)
{
  char v[64];

  yajl_gen_map_open(g);
  snm_gen_key_str(g, "id", d->dom->id);
  snm_gen_key_str(g, "endpoint", d->dom->base_url);
  snm_gen_key_str(g, "role", roles_text(d->roles));
  jbool(g, "reachable", d->reached);
  snm_gen_key_str(g, "error",
                  d->reached || d->error.code == SNM_OK ? NULL : d->error.msg);
  snm_gen_key_str(g, "engine",
                  d->reached ? snm_engine_name(d->info.version.engine) : NULL);
  snm_gen_key_str(g, "version", d->reached ? d->info.number : NULL);
  snm_gen_key_str(g, "version_text",
                  d->reached ? snm_version_str(v, sizeof(v), &d->info.version)
                             : NULL);
  snm_gen_key_str(g, "cluster_name", d->reached ? d->info.cluster_name : NULL);
  snm_gen_key_str(g, "cluster_uuid",
                  d->cluster_uuid[0] ? d->cluster_uuid : NULL);
  snm_gen_key_str(g, "same_as",
                  d->same_as >= 0 ? pf->domains[d->same_as].dom->id : NULL);
  snm_gen_key_str(g, "health", d->health[0] ? d->health : NULL);
  snm_gen_key_int_or_null(g, "data_nodes", d->data_nodes);
  snm_gen_key_int_or_null(g, "open_shards", d->open_shards);
  snm_gen_key_int_or_null(g, "disk_available_bytes", d->disk_avail);
  snm_gen_key_int_or_null(g, "disk_usable_bytes", d->disk_usable);
  snm_gen_key_int_or_null(g, "max_shards_per_node", d->max_shards_per_node);
  json_security(g, d);
  snm_gen_str(g, "repository");
  if (d->roles == 0) {
    yajl_gen_null(g);
  } else {
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "name", pf->plan->repository.name);
    snm_gen_key_str(g, "state", snm_pf_repo_state_name(d->repo_state));
    jraw(g, "registered", d->repo_have_json);
    jraw(g, "would_register", d->repo_want_json);
    snm_gen_key_str(g, "differences", d->repo_diff);
    snm_gen_key_str(g, "endpoint_note", d->repo_endpoint_note);
    snm_gen_key_str(g, "error", d->repo_error);
    snm_gen_key_int_or_null(
        g, "snapshot_count",
        d->snapshots_listed ? (long long)d->snapshots_in_repo : -1);
    yajl_gen_map_close(g);
  }
  snm_gen_str(g, "running_snapshots");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < d->n_running; i++) {
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "repository", d->running[i].repository);
    snm_gen_key_str(g, "snapshot", d->running[i].snapshot);
    snm_gen_key_str(g, "state", d->running[i].state);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
}

static void json_index(yajl_gen g, const struct snm_preflight *pf,
                       const struct snm_pf_index *ix)
{
  const struct snm_pf_domain *src = &pf->domains[pf->plan->snapshot.domain];
  char ver[48];

  yajl_gen_map_open(g);
  snm_gen_key_str(g, "name", ix->name);
  jbool(g, "selected", ix->selected);
  jbool(g, "system", snm_index_is_system(ix->name) && !ix->data_stream);
  jbool(g, "closed", ix->closed);
  jbool(g, "hidden", ix->hidden);
  snm_gen_key_str(g, "data_stream", ix->data_stream);
  snm_gen_key_str(g, "health", ix->health[0] ? ix->health : NULL);
  snm_gen_key_int_or_null(g, "docs", ix->docs);
  snm_gen_key_int_or_null(g, "primary_bytes", ix->pri_bytes);
  snm_gen_key_int_or_null(g, "shards", ix->shards);
  snm_gen_key_int_or_null(g, "replicas", ix->replicas);
  snm_gen_key_int_or_null(g, "version_created_id",
                          ix->version_id ? ix->version_id : -1);
  snm_gen_key_str(g, "version_created",
                  ix->created.engine != SNM_ENGINE_UNKNOWN
                      ? created_text(ver, sizeof(ver), ix)
                      : NULL);
  snm_gen_str(g, "aliases");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < src->n_aliases; i++)
    if (strcmp(src->aliases[i].index, ix->name) == 0)
      snm_gen_str(g, src->aliases[i].alias);
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
}

static void json_restore(yajl_gen g, const struct snm_preflight *pf, size_t r)
{
  const struct snm_pf_restore *rs = &pf->restores[r];

  yajl_gen_map_open(g);
  snm_gen_key_int(g, "restore", (long long)r);
  snm_gen_key_str(g, "domain", pf->plan->domains[rs->domain].id);
  snm_gen_key_int_or_null(g, "replicas", rs->replicas);
  snm_gen_key_int(g, "bytes_needed", rs->bytes_needed);
  snm_gen_key_int(g, "new_shards", rs->new_shards);
  snm_gen_key_int(g, "replaced", rs->n_replace);
  snm_gen_key_int(g, "bytes_replace_max", rs->bytes_replace_max);
  snm_gen_str(g, "items");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < rs->n_items; i++) {
    const struct snm_pf_item *it = &rs->items[i];
    const struct snm_pf_index *ix = &pf->indices[it->index];
    long long dc = 0;
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "source", ix->name);
    snm_gen_key_str(g, "target", it->target_name);
    snm_gen_key_str(g, "action", item_action(it));
    snm_gen_key_str(g, "verdict", it->verdict);
    snm_gen_key_str(g, "replace",
                    it->action != SNM_PF_RESTORE || !it->replace ? NULL
                    : it->replace == 1                           ? "on_conflict"
                                                                 : "round");
    snm_gen_key_str(g, "target_uuid", it->uuid);
    snm_gen_key_int_or_null(g, "round",
                            it->round > 0 ? (long long)it->round : -1);
    snm_gen_key_int_or_null(g, "docs_last", it->round > 0 ? it->docs_last : -1);
    if (docs_changed(pf, it, &dc))
      snm_gen_key_int(g, "docs_changed", dc);
    else
      snm_gen_key_str(g, "docs_changed", NULL);
    snm_gen_key_int_or_null(g, "bytes_last",
                            it->round > 0 ? it->bytes_last : -1);
    snm_gen_key_int_or_null(g, "docs", ix->docs);
    snm_gen_key_int_or_null(g, "primary_bytes", ix->pri_bytes);
    snm_gen_key_str(g, "data_stream", ix->data_stream);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  /* the data streams it restores as streams, with their backing indices */
  snm_gen_str(g, "data_streams");
  yajl_gen_array_open(g);
  for (size_t k = 0; k < rs->n_streams; k++) {
    const struct snm_pf_stream_item *st = &rs->streams[k];
    const char *name = st->stream < pf->n_data_streams
                           ? pf->data_streams[st->stream].name
                           : NULL;
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "source", name);
    snm_gen_key_str(g, "target", st->target_name);
    snm_gen_key_str(g, "action", snm_pf_action_name(st->action));
    snm_gen_key_str(g, "verdict", st->verdict);
    snm_gen_key_str(g, "template", st->template_name);
    snm_gen_str(g, "backing");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < rs->n_items; i++) {
      const struct snm_pf_index *ix = &pf->indices[rs->items[i].index];
      if (name == NULL || ix->data_stream == NULL ||
          strcmp(ix->data_stream, name) != 0)
        continue;
      yajl_gen_map_open(g);
      snm_gen_key_str(g, "source", ix->name);
      snm_gen_key_str(g, "target", rs->items[i].target_name);
      yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
}

int snm_report_check_json(FILE *fp, const struct snm_preflight *pf)
{
  yajl_gen g = yajl_gen_alloc(NULL);
  const unsigned char *buf;
  size_t len;
  int rc = SNM_ENOMEM;

  if (g == NULL)
    return SNM_ENOMEM;
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "plan", pf->plan->path);
  snm_gen_key_str(g, "name", pf->plan->name);
  jbool(g, "ok", pf->n_blockers == 0);
  snm_gen_key_int(g, "blockers", (long long)pf->n_blockers);
  snm_gen_key_int(g, "warnings", (long long)pf->n_warnings);
  snm_gen_key_int(g, "requests", (long long)pf->requests);
  snm_gen_key_int(g, "elapsed_ms", (long long)(pf->elapsed_s * 1000.0));
  snm_gen_str(g, "snapshot");
  yajl_gen_map_open(g);
  snm_gen_key_str(g, "name", pf->snapshot_name);
  snm_gen_key_str(g, "domain", pf->plan->domains[pf->plan->snapshot.domain].id);
  snm_gen_str(g, "indices");
  if (!pf->indices_known) {
    yajl_gen_null(g);
  } else {
    yajl_gen_array_open(g);
    for (size_t i = 0; i < pf->n_indices; i++)
      if (pf->indices[i].selected)
        snm_gen_str(g, pf->indices[i].name);
    yajl_gen_array_close(g);
  }
  /* the data streams it names as streams */
  snm_gen_str(g, "data_streams");
  if (!pf->indices_known) {
    yajl_gen_null(g);
  } else {
    const char **ds = NULL;
    size_t nds = 0;
    if (snm_preflight_snapshot_streams(pf, &ds, &nds) != 0) {
      yajl_gen_free(g);
      return SNM_ENOMEM;
    }
    yajl_gen_array_open(g);
    for (size_t i = 0; i < nds; i++)
      snm_gen_str(g, ds[i]);
    yajl_gen_array_close(g);
    free(ds);
  }
  yajl_gen_map_close(g);
  snm_gen_str(g, "domains");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < pf->n_domains; i++)
    json_domain(g, pf, &pf->domains[i]);
  yajl_gen_array_close(g);
  snm_gen_str(g, "indices");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < pf->n_indices; i++)
    json_index(g, pf, &pf->indices[i]);
  yajl_gen_array_close(g);
  snm_gen_str(g, "restores");
  yajl_gen_array_open(g);
  for (size_t r = 0; r < pf->n_restores; r++)
    json_restore(g, pf, r);
  yajl_gen_array_close(g);
  /* with earlier rounds: what the next sync does */
  snm_gen_str(g, "next_round");
  if (pf->rounds == NULL) {
    yajl_gen_null(g);
  } else {
    struct next_counts n = next_counts(pf);
    yajl_gen_map_open(g);
    snm_gen_key_int(g, "round", (long long)snm_preflight_next_round(pf));
    snm_gen_key_int(g, "replace", (long long)n.replace);
    snm_gen_key_int(g, "new", (long long)n.fresh);
    snm_gen_key_int(g, "blocked", (long long)n.blocked);
    yajl_gen_map_close(g);
  }
  snm_gen_str(g, "issues");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < pf->n_issues; i++) {
    const struct snm_pf_issue *is = &pf->issues[i];
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "severity", snm_pf_severity_name(is->severity));
    snm_gen_key_str(g, "code", is->code);
    snm_gen_key_str(g, "domain", is->domain);
    snm_gen_key_str(g, "index", is->index);
    snm_gen_key_str(g, "message", is->message);
    snm_gen_key_str(g, "hint", is->hint);
    yajl_gen_map_close(g);
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
  if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
    fprintf(fp, "%.*s\n", (int)len, (const char *)buf);
    rc = 0;
  }
  yajl_gen_free(g);
  return rc;
}
