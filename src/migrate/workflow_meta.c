/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_meta.c - the run's metadata step (WF_METADATA): the plan's
 * templates and pipelines copied from the source to every target, right
 * before the restores.
 *
 * The source is read live (GET ROOT of each kind the plan names) and the
 * plan's names resolved on it; each item becomes an entry of the restore's
 * "metadata" list in the state file (journal.h), saved before anything is
 * written.  Then, one item at a time, for each restore in plan order and
 * each kind in the order they depend on one another (pipelines, component
 * templates, index templates, legacy templates):
 *   GET ROOT/NAME on the target, compared semantically (metadata.h) with
 *   the source's body (its index_patterns renamed by the restore's rename
 *   when metadata.rename_patterns):
 *     identical -> "identical" (nothing sent);
 *     absent    -> "creating" saved, PUT ROOT/NAME?create=true (pipelines
 *                  have no create-only flag: their PUT follows the GET that
 *                  found none), then "created";
 *     different -> on_conflict block: the run stops with the differing
 *                  paths; skip: "skipped"; replace: "replacing" saved, PUT,
 *                  then "replaced".
 * A PUT whose outcome is unknown (no answer, 502/504) or that finds the
 * item created meanwhile ("already exists") is followed by another GET,
 * which decides again.  A resumed run skips the items in a final state and
 * looks at the target again for one left creating or replacing, so no item
 * is written twice or left out.
 */
#include "buf.h"
#include "indexpat.h"
#include "http.h"
#include "log.h"
#include "jtree.h"
#include "metadata.h"
#include "transport.h"
#include "workflow_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_MAX_TRIES 4 /* GETs of one item after PUTs that did not tell */

enum meta_phase {
  MP_LIST, /* GET ROOT on the source, per kind */
  MP_LOOK, /* GET ROOT/NAME on the target */
  MP_PUT,  /* PUT ROOT/NAME */
  MP_IDLE  /* nothing in flight: on to the next item */
};

struct wf_meta {
  struct snm_meta_list src[SNM_META_N_KINDS];
  enum meta_phase phase; /* what is in flight (its reply, once in) */
  size_t r;              /* the item: wf_round(wf)->restores[r].meta[i] */
  size_t i;
  int tries;
  /* what the replies recorded */
  int failed;
  struct snm_err err;
  int present;     /* the look found the item */
  char *have;      /* its body on the target (malloced) */
  int put_ok;      /* the PUT answered 2xx */
  int put_unknown; /* the PUT's outcome is unknown, or "already exists" */
};

struct meta_req {
  struct snm_workflow *wf;
  enum meta_phase phase;
  enum snm_meta_kind kind;
  char *name; /* NULL (a list) or malloced */
};

void wf_meta_free(struct snm_workflow *wf)
{
  struct wf_meta *m = wf->meta;

  if (m == NULL)
    return;
  for (int k = 0; k < SNM_META_N_KINDS; k++)
    snm_meta_list_dispose(&m->src[k]);
  free(m->have);
  free(m);
  wf->meta = NULL;
}

static int final_state(enum snm_meta_state s)
{
  return s == SNM_MSTATE_CREATED || s == SNM_MSTATE_IDENTICAL ||
         s == SNM_MSTATE_SKIPPED || s == SNM_MSTATE_REPLACED;
}

/* Every restore has its items on record, each in a final state. */
static int all_done(const struct snm_workflow *wf)
{
  const struct snm_state_round *rd = wf_round(wf);

  for (size_t r = 0; r < rd->n_restores; r++) {
    if (rd->restores[r].n_meta == 0)
      return 0;
    for (size_t i = 0; i < rd->restores[r].n_meta; i++)
      if (!final_state(rd->restores[r].meta[i].state))
        return 0;
  }
  return 1;
}

static void record_err(struct wf_meta *m, const struct snm_err *e)
{
  if (!m->failed) {
    m->err = *e;
    m->failed = 1;
  }
}

/* The PUT's outcome is not known: no answer, a gateway's 502/504. */
static int outcome_unknown(const struct snm_err *err)
{
  return err->code == SNM_ENET || err->code == SNM_ETIMEOUT ||
         (err->code == SNM_EHTTP &&
          (err->http_status == 502 || err->http_status == 504));
}

static void record(struct meta_req *q, const struct snm_es_reply *reply,
                   const struct snm_err *err)
{
  struct wf_meta *m = q->wf->meta;
  const char *dom = NULL;
  struct snm_meta_list l = {0};
  char why[160];
  int rc;

  switch (q->phase) {
  case MP_LIST:
    dom = q->wf->plan->domains[q->wf->plan->snapshot.domain].id;
    if (err->code != SNM_OK && !snm_meta_reply_absent(reply)) {
      record_err(m, err);
      return;
    }
    if (err->code != SNM_OK) /* none of this kind */
      return;
    rc = snm_meta_parse_list(&m->src[q->kind], q->kind, reply->json, why,
                             sizeof(why));
    if (rc == SNM_ENOMEM) {
      snm_err_set(&m->err, SNM_ENOMEM, "out of memory");
      m->failed = 1;
    } else if (rc != 0) {
      struct snm_err e;
      snm_err_set(&e, SNM_EPARSE, "%s: GET %s: %s", dom, snm_meta_root(q->kind),
                  why);
      record_err(m, &e);
    }
    return;
  case MP_LOOK:
    m->present = 0;
    free(m->have);
    m->have = NULL;
    if (err->code != SNM_OK) {
      if (!snm_meta_reply_absent(reply))
        record_err(m, err);
      return;
    }
    rc = snm_meta_parse_list(&l, q->kind, reply->json, why, sizeof(why));
    if (rc == 0) {
      const struct snm_meta_item *it = snm_meta_list_find(&l, q->name);
      if (it != NULL) {
        m->present = 1;
        m->have = strdup(it->body);
        if (m->have == NULL)
          rc = SNM_ENOMEM;
      }
    }
    snm_meta_list_dispose(&l);
    if (rc == SNM_ENOMEM) {
      snm_err_set(&m->err, SNM_ENOMEM, "out of memory");
      m->failed = 1;
    } else if (rc != 0) {
      struct snm_err e;
      snm_err_set(&e, SNM_EPARSE, "GET %s/%s: %s", snm_meta_root(q->kind),
                  q->name, why);
      record_err(m, &e);
    }
    return;
  case MP_PUT:
    if (err->code == SNM_OK) {
      m->put_ok = 1;
    } else if (outcome_unknown(err) ||
               (err->code == SNM_EHTTP && err->http_status == 400 &&
                reply != NULL && reply->body != NULL &&
                strstr(reply->body, "already exists") != NULL)) {
      m->put_unknown = 1;
      snm_log(SNM_LOG_INFO, "%s; looking at the target again", err->msg);
    } else {
      record_err(m, err);
    }
    return;
  default:
    return;
  }
}

static void on_reply(const struct snm_es_reply *reply,
                     const struct snm_err *err, void *data)
{
  struct meta_req *q = data;
  struct snm_workflow *wf = q->wf;

  if (err->code != SNM_ECANCELED && !wf->closing && wf->meta != NULL)
    record(q, reply, err);
  else if (err->code == SNM_ECANCELED && wf->meta != NULL)
    record_err(wf->meta, err);
  wf->pending--;
  free(q->name);
  free(q);
  wf_dispatch(wf);
}

/* Send one request; a failure to send is recorded as its reply. */
static void meta_send(struct snm_workflow *wf, size_t d, enum meta_phase phase,
                      enum snm_meta_kind k, const char *name,
                      const char *method, const char *query, const char *body)
{
  struct wf_meta *m = wf->meta;
  struct meta_req *q = calloc(1, sizeof(*q));
  struct snm_buf path;
  struct snm_err err;
  char fmt[64];
  int rc;

  if (phase == MP_PUT)
    m->put_ok = m->put_unknown = 0;
  snm_err_clear(&err);
  snm_buf_init(&path, 0);
  /* the root is literal path text; the name one encoded segment */
  snprintf(fmt, sizeof(fmt), "%s%s%s", snm_meta_root(k),
           name != NULL ? "/%s" : "", query);
  rc = name != NULL ? snm_es_path(&path, fmt, name) : snm_es_path(&path, fmt);
  if (q == NULL || rc != 0 ||
      (name != NULL && (q->name = strdup(name)) == NULL)) {
    snm_err_set(&err, SNM_ENOMEM, "out of memory");
    goto failed;
  }
  q->wf = wf;
  q->phase = phase;
  q->kind = k;
  if (wf_send(wf,
              &(struct snm_request){.loop = wf->loop,
                                    .es = &wf->es[d],
                                    .method = method,
                                    .path = snm_buf_str(&path),
                                    .body = body,
                                    .replay = SNM_HTTP_REPLAY_NO},
              on_reply, q, &err) != 0)
    goto failed;
  wf->pending++;
  snm_buf_dispose(&path);
  return;
failed:
  if (q != NULL)
    free(q->name);
  free(q);
  snm_buf_dispose(&path);
  record_err(m, &err);
}

/* The plan's names resolved on the source into every restore's list of
 * items (kept where an earlier run put them).  0, or -1 (failed). */
static int resolve(struct snm_workflow *wf)
{
  const struct snm_metadata_spec *spec = &wf->plan->metadata;
  struct wf_meta *m = wf->meta;
  const char *src = wf->plan->domains[wf->plan->snapshot.domain].id;

  for (int k = 0; k < SNM_META_N_KINDS; k++) {
    unsigned char *sel = NULL, *hits;
    size_t n;

    if (spec->n_names[k] == 0)
      continue;
    hits = calloc(spec->n_names[k], 1);
    n = hits != NULL ? snm_meta_select(&sel, &m->src[k], spec->names[k],
                                       spec->n_names[k], hits)
                     : (size_t)-1;
    if (n == (size_t)-1) {
      free(hits);
      wf_failf(wf, SNM_ENOMEM, "out of memory");
      return -1;
    }
    for (size_t j = 0; j < spec->n_names[k]; j++)
      if (hits[j] == SNM_INDEXPAT_NOT_FOUND) {
        wf_failf(wf, SNM_EINVAL,
                 "metadata: %s %s (metadata.%s) is not on the source %s; fix "
                 "the plan or create it there, then run again",
                 snm_meta_label((enum snm_meta_kind)k), spec->names[k][j],
                 snm_meta_kind_key((enum snm_meta_kind)k), src);
        free(hits);
        free(sel);
        return -1;
      }
    for (size_t r = 0; r < wf_round(wf)->n_restores; r++)
      for (size_t i = 0; i < m->src[k].len; i++)
        if (sel[i] &&
            snm_state_add_meta(&wf_round(wf)->restores[r],
                               snm_meta_kind_word((enum snm_meta_kind)k),
                               m->src[k].items[i].name, NULL) != 0) {
          free(hits);
          free(sel);
          wf_failf(wf, SNM_ENOMEM, "out of memory");
          return -1;
        }
    free(hits);
    free(sel);
  }
  return wf_save_or_fail(wf);
}

/* The next item to work on, in restore order, then kind order: 1 and
 * m->r, m->i set; 0 when every item is done. */
static int next_item(struct snm_workflow *wf)
{
  struct wf_meta *m = wf->meta;
  const struct snm_state_round *rd = wf_round(wf);

  for (size_t r = 0; r < rd->n_restores; r++)
    for (int k = 0; k < SNM_META_N_KINDS; k++)
      for (size_t i = 0; i < rd->restores[r].n_meta; i++) {
        const struct snm_state_meta *e = &rd->restores[r].meta[i];
        if (!final_state(e->state) &&
            strcmp(e->kind, snm_meta_kind_word((enum snm_meta_kind)k)) == 0) {
          m->r = r;
          m->i = i;
          return 1;
        }
      }
  return 0;
}

static void item_event(struct snm_workflow *wf, const struct snm_state_meta *e)
{
  wf_event(
      wf, "metadata.item",
      SNM_FIELDS(SNM_FSTR("domain", wf_round(wf)->restores[wf->meta->r].domain),
                 SNM_FSTR("kind", e->kind), SNM_FSTR("name", e->name),
                 SNM_FSTR("state", snm_meta_state_name(e->state))));
}

/* The body the target should have for item `e` of restore `r` (malloced),
 * or NULL after failing the run. */
static char *wanted(struct snm_workflow *wf, size_t r, enum snm_meta_kind k,
                    const char *name)
{
  const struct snm_meta_item *it = snm_meta_list_find(&wf->meta->src[k], name);
  const struct snm_restore *rs = &wf->plan->restores[r];
  struct snm_err err;
  char *out = NULL;

  if (it == NULL) {
    wf_failf(wf, SNM_EINVAL,
             "metadata: %s %s was on the source %s when this run resolved the "
             "plan and is gone now; put it back, or start over with --fresh",
             snm_meta_label(k), name,
             wf->plan->domains[wf->plan->snapshot.domain].id);
    return NULL;
  }
  if (snm_meta_rename(&out, NULL, k, it->body,
                      wf->plan->metadata.rename_patterns ? rs->rename : NULL,
                      &err) != 0) {
    wf_err_prefix(&err, "metadata");
    wf_fail(wf, &err);
    return NULL;
  }
  return out;
}

/* A reply about item (m->r, m->i) is in: decide, and send what comes next.
 * Returns 1 when the item is in a final state (go on with the next). */
static int decide(struct snm_workflow *wf)
{
  struct wf_meta *m = wf->meta;
  const struct snm_plan *plan = wf->plan;
  struct snm_state_restore *rs = &wf_round(wf)->restores[m->r];
  struct snm_state_meta *e = &rs->meta[m->i];
  size_t d = plan->restores[m->r].domain;
  const char *dom = plan->domains[d].id;
  enum snm_meta_kind k;
  char *want;
  long nd;
  int replace;

  if (snm_meta_kind_parse(e->kind, &k) != 0) {
    wf_failf(wf, SNM_EINVAL,
             "metadata: the state file names an unknown kind "
             "\"%s\"; start over with --fresh",
             e->kind);
    return 0;
  }
  if (m->phase == MP_PUT) { /* a PUT answered */
    if (m->put_ok) {
      e->state = e->state == SNM_MSTATE_REPLACING ? SNM_MSTATE_REPLACED
                                                  : SNM_MSTATE_CREATED;
      if (wf_save_or_fail(wf) != 0)
        return 0;
      item_event(wf, e);
      return 1;
    }
    /* unknown outcome: look again */
    if (++m->tries >= META_MAX_TRIES) {
      wf_failf(wf, SNM_EHTTP,
               "metadata: %s %s on %s: %d PUTs did not tell whether it was "
               "written; check the target, then run again (it resumes)",
               snm_meta_label(k), e->name, dom, m->tries);
      return 0;
    }
    m->phase = MP_LOOK;
    meta_send(wf, d, MP_LOOK, k, e->name, "GET", "", NULL);
    return 0;
  }
  want = wanted(wf, m->r, k, e->name);
  if (want == NULL)
    return 0;
  nd = 1;
  if (m->present) {
    struct snm_buf paths;

    snm_buf_init(&paths, 0);
    nd = snm_meta_diff(&paths, k, want, m->have, 8);
    if (nd > 0 && (e->state == SNM_MSTATE_REPLACING ||
                   plan->metadata.on_conflict != SNM_META_BLOCK)) {
      replace = e->state == SNM_MSTATE_REPLACING ||
                plan->metadata.on_conflict == SNM_META_REPLACE;
      snm_buf_dispose(&paths);
      if (!replace) {
        e->state = SNM_MSTATE_SKIPPED;
        free(want);
        if (wf_save_or_fail(wf) != 0)
          return 0;
        snm_log(SNM_LOG_INFO,
                "metadata: %s %s differs on %s; kept (on_conflict skip)",
                snm_meta_label(k), e->name, dom);
        item_event(wf, e);
        return 1;
      }
      e->state = SNM_MSTATE_REPLACING;
      if (wf_save_or_fail(wf) != 0) {
        free(want);
        return 0;
      }
      m->phase = MP_PUT;
      meta_send(wf, d, MP_PUT, k, e->name, "PUT", "", want);
      free(want);
      return 0;
    }
    if (nd > 0) {
      wf_failf(wf, SNM_EINVAL,
               "metadata: %s %s on %s differs from the source's (%s); set "
               "metadata.on_conflict to \"skip\" or \"replace\", or remove it "
               "there, then run again",
               snm_meta_label(k), e->name, dom, snm_buf_str(&paths));
      snm_buf_dispose(&paths);
      free(want);
      return 0;
    }
    snm_buf_dispose(&paths);
    if (nd < 0) {
      wf_failf(wf, nd == -2 ? SNM_ENOMEM : SNM_EPARSE,
               "metadata: %s %s: a body is not a JSON object",
               snm_meta_label(k), e->name);
      free(want);
      return 0;
    }
    /* identical: ours if a PUT of ours went out, else it was there */
    e->state = e->state == SNM_MSTATE_CREATING    ? SNM_MSTATE_CREATED
               : e->state == SNM_MSTATE_REPLACING ? SNM_MSTATE_REPLACED
                                                  : SNM_MSTATE_IDENTICAL;
    free(want);
    if (wf_save_or_fail(wf) != 0)
      return 0;
    item_event(wf, e);
    return 1;
  }
  /* absent: create it (write-ahead) */
  e->state = SNM_MSTATE_CREATING;
  if (wf_save_or_fail(wf) != 0) {
    free(want);
    return 0;
  }
  m->phase = MP_PUT;
  meta_send(wf, d, MP_PUT, k, e->name, "PUT",
            k == SNM_META_PIPELINE ? "" : "?create=true", want);
  free(want);
  return 0;
}

/* The item's look: GET ROOT/NAME on its target. */
static void look(struct snm_workflow *wf)
{
  struct wf_meta *m = wf->meta;
  const struct snm_state_meta *e = &wf_round(wf)->restores[m->r].meta[m->i];
  enum snm_meta_kind k = SNM_META_PIPELINE;

  (void)snm_meta_kind_parse(e->kind, &k);
  m->phase = MP_LOOK;
  meta_send(wf, wf->plan->restores[m->r].domain, MP_LOOK, k, e->name, "GET", "",
            NULL);
}

void wf_step_metadata(struct snm_workflow *wf)
{
  const struct snm_metadata_spec *spec = &wf->plan->metadata;
  struct wf_meta *m;

  if (!wf->sent) {
    wf->sent = 1;
    if (!spec->present || all_done(wf)) {
      wf_next(wf);
      return;
    }
    wf_meta_free(wf);
    wf->meta = calloc(1, sizeof(*wf->meta));
    if (wf->meta == NULL) {
      wf_failf(wf, SNM_ENOMEM, "out of memory");
      return;
    }
    wf->meta->phase = MP_LIST;
    for (int k = 0; k < SNM_META_N_KINDS; k++)
      if (spec->n_names[k] > 0)
        meta_send(wf, wf->plan->snapshot.domain, MP_LIST, (enum snm_meta_kind)k,
                  NULL, "GET", "", NULL);
  }
  m = wf->meta;
  for (;;) {
    if (wf->closing || wf->pending > 0)
      return;
    if (m->failed) {
      struct snm_err e = m->err;
      wf_err_prefix(&e, "metadata");
      wf_fail(wf, &e);
      return;
    }
    switch (m->phase) {
    case MP_LIST:
      if (resolve(wf) != 0)
        return;
      m->phase = MP_IDLE;
      break;
    case MP_LOOK:
    case MP_PUT:
      if (decide(wf))
        m->phase = MP_IDLE;
      break; /* else a request went out, or the run stopped */
    case MP_IDLE:
      if (!next_item(wf)) {
        if (wf_save_or_fail(wf) != 0)
          return;
        wf_meta_free(wf);
        wf_next(wf);
        return;
      }
      m->tries = 0;
      m->put_ok = m->put_unknown = 0;
      look(wf);
      break;
    }
  }
}
