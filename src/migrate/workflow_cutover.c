/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_cutover.c - `snapmig cutover`: the source's write blocks, the
 * alias switch on the targets, and putting the blocks back (after a
 * failure before the switch, with --rollback, or with
 * cutover.unblock_source).  docs/live-migration.md.
 *
 * Write-ahead everywhere: the previous index.blocks.write of every source
 * index is saved (state "blocking", source_blocked) before the PUT that
 * blocks; the aliases' holders are saved (state "switching") before the
 * POST _aliases; "rolling_back"/"unblocking" before the PUTs that put the
 * previous values back.  A crash at any point leaves a state file that
 * says what may be on: `status` shows it, the next `cutover` finishes.
 */
#include "buf.h"
#include "es_chunk.h"
#include "json.h"
#include "log.h"
#include "timefmt.h"
#include "workflow_int.h"
#include "workflow_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static struct snm_state_cutover *cut(const struct snm_workflow *wf)
{
  return &wf_round(wf)->cutover;
}

static const char *source_id(const struct snm_workflow *wf)
{
  return wf->plan->domains[wf->plan->snapshot.domain].id;
}

static int is_cutover(const struct snm_workflow *wf)
{
  return wf->o->cutover && cut(wf)->state != SNM_CUT_NONE;
}

void wf_cut_free(struct snm_workflow *wf)
{
  size_t n = wf->st.n_rounds > 0 ? cut(wf)->n_aliases : 0;

  free(wf->cut_names);
  free(wf->cut_ends);
  free(wf->cut_value);
  for (size_t i = 0; wf->cut_holders != NULL && i < n; i++)
    free(wf->cut_holders[i]);
  free(wf->cut_holders);
  free(wf->cut_alias_read);
  wf->cut_names = NULL;
  wf->cut_ends = NULL;
  wf->cut_value = NULL;
  wf->cut_holders = NULL;
  wf->cut_alias_read = NULL;
  wf->n_cut_names = wf->n_cut_chunks = 0;
}

/* Take names[0..n) (borrowed) as the names of the next requests. */
static int set_names(struct snm_workflow *wf, const char *const *names,
                     size_t n)
{
  free(wf->cut_names);
  free(wf->cut_ends);
  free(wf->cut_value);
  wf->cut_ends = NULL;
  wf->n_cut_chunks = 0;
  wf->cut_names = calloc(n + 1, sizeof(*wf->cut_names));
  wf->cut_value = calloc(n + 1, sizeof(*wf->cut_value));
  wf->n_cut_names = n;
  if (wf->cut_names == NULL || wf->cut_value == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    wf->cut_names[i] = names[i];
    wf->cut_value[i] = -2;
  }
  if (n > 0 && snm_es_chunk_names(&wf->cut_ends, &wf->n_cut_chunks,
                                  wf->cut_names, n, SNM_ES_URL_LIST_MAX) != 0)
    return SNM_ENOMEM;
  return 0;
}

/* The recorded blocks whose previous value is `prev` as the names. */
static int names_with_previous(struct snm_workflow *wf, int prev)
{
  const struct snm_state_cutover *c = cut(wf);
  const char **v = calloc(c->n_blocks + 1, sizeof(*v));
  size_t n = 0;
  int rc;

  if (v == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < c->n_blocks; i++)
    if (c->blocks[i].previous == prev)
      v[n++] = c->blocks[i].index;
  rc = set_names(wf, v, n);
  free(v);
  return rc;
}

static int all_blocks_as_names(struct snm_workflow *wf)
{
  const struct snm_state_cutover *c = cut(wf);
  const char **v = calloc(c->n_blocks + 1, sizeof(*v));
  int rc;

  if (v == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < c->n_blocks; i++)
    v[i] = c->blocks[i].index;
  rc = set_names(wf, v, c->n_blocks);
  free(v);
  return rc;
}

/* "a, b, c" of the recorded blocks whose previous value was not true (the
 * indices this cutover blocked), for messages. */
static void blocked_list(const struct snm_workflow *wf, char *out, size_t sz)
{
  const struct snm_state_cutover *c = cut(wf);
  size_t len = 0;

  out[0] = '\0';
  for (size_t i = 0; i < c->n_blocks && len + 1 < sz; i++) {
    int n;

    if (c->blocks[i].previous == 1)
      continue;
    n = snprintf(out + len, sz - len, "%s%s", len > 0 ? "," : "",
                 c->blocks[i].index);
    if (n < 0 || (size_t)n >= sz - len) {
      if (sz > 4)
        snprintf(out + sz - 4, 4, "...");
      return;
    }
    len += (size_t)n;
  }
}

/* Send chunk requests over wf->cut_names: GET (body NULL) or PUT. */
static void send_chunks(struct snm_workflow *wf, const char *body)
{
  for (size_t k = 0; k < wf->n_cut_chunks; k++) {
    if (body == NULL)
      wf_req_cut_settings(wf, k);
    else
      wf_req_cut_put(wf, k, body);
  }
}

/* Append `tail` to e->msg; a message that would not fit loses its middle,
 * never its end. */
static void err_append(struct snm_err *e, const char *tail)
{
  size_t n = strlen(e->msg), t = strlen(tail);

  if (t + 8 >= sizeof(e->msg))
    t = sizeof(e->msg) - 8;
  if (n + t >= sizeof(e->msg)) {
    n = sizeof(e->msg) - t - 5;
    memcpy(e->msg + n, "...", 3);
    n += 3;
  }
  memcpy(e->msg + n, tail, t);
  e->msg[n + t] = '\0';
}

/* The add-index-block API (PUT IDX/_block/write: OpenSearch, Elasticsearch
 * >= 7.9) acknowledges only once the writes in flight on every shard are
 * done, so no write accepted before the block lands after it (a settings
 * PUT sets the same block without that wait). */
static int has_block_api(const struct snm_workflow *wf)
{
  const struct snm_version *v =
      &wf->pf.domains[wf->plan->snapshot.domain].info.version;

  return v->engine == SNM_ENGINE_OPENSEARCH ||
         (v->engine == SNM_ENGINE_ELASTICSEARCH &&
          (v->major > 7 || (v->major == 7 && v->minor >= 9)));
}

/* Send the block over every chunk of wf->cut_names. */
static void send_block(struct snm_workflow *wf)
{
  if (!has_block_api(wf)) {
    send_chunks(wf, "{\"index.blocks.write\":true}");
    return;
  }
  for (size_t k = 0; k < wf->n_cut_chunks; k++)
    wf_req_cut_block(wf, k);
}

static void nomem(struct snm_workflow *wf)
{
  wf_failf(wf, SNM_ENOMEM, "out of memory");
}

/* ---- BLOCK -------------------------------------------------------------- */

/* Phases: 0 read the previous values, 1 saved and PUT the block, 2 read it
 * back. */
void wf_step_block(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);

  if (!is_cutover(wf) || c->state >= SNM_CUT_BLOCKED) {
    wf_after_register(wf);
    return;
  }
  if (!wf->sent) {
    wf->sent = 1;
    if (c->state == SNM_CUT_BLOCKING) {
      /* resumed: the previous values are on record (the block may be on
       * already: never read them again) */
      wf->cut_phase = 1;
      if (all_blocks_as_names(wf) != 0) {
        nomem(wf);
        return;
      }
      send_block(wf);
    } else {
      wf->cut_phase = 0;
      wf->cut_bad_reply = 0;
      if (set_names(wf, wf->snap_indices, wf->n_snap_indices) != 0) {
        nomem(wf);
        return;
      }
      send_chunks(wf, NULL);
    }
  }
  if (wf->pending > 0)
    return;
  if (wf->r_failed) {
    wf_fail(wf, &wf->r_err);
    return;
  }
  for (size_t i = 0; wf->cut_phase != 1 && i < wf->n_cut_names; i++)
    if (wf->cut_bad_reply || wf->cut_value[i] == -2) {
      wf_failf(wf, SNM_EPARSE,
               "block: %s: GET %s/_settings/index.blocks.write: the reply "
               "does not show the index, so its current write block is "
               "unknown%s; check the index exists, then run 'snapmig "
               "cutover %s' again",
               source_id(wf), wf->cut_names[i],
               wf->cut_phase == 0 ? " (nothing was blocked)" : "",
               wf->o->plan_path);
      return;
    }
  if (wf->cut_phase == 0) {
    /* write-ahead: every previous value and the intent, then the PUT */
    for (size_t i = 0; i < wf->n_cut_names; i++)
      if (snm_state_cutover_add_block(c, wf->cut_names[i], wf->cut_value[i]) !=
          0) {
        nomem(wf);
        return;
      }
    c->state = SNM_CUT_BLOCKING;
    c->source_blocked = 1;
    if (wf_save_or_fail(wf) != 0)
      return;
    wf->cut_phase = 1;
    send_block(wf);
    return;
  }
  if (wf->cut_phase == 1) {
    wf->cut_phase = 2;
    for (size_t i = 0; i < wf->n_cut_names; i++)
      wf->cut_value[i] = -2;
    wf->cut_bad_reply = 0;
    send_chunks(wf, NULL);
    return;
  }
  for (size_t i = 0; i < wf->n_cut_names; i++)
    if (wf->cut_value[i] != 1) {
      wf_failf(wf, SNM_EHTTP,
               "block: %s: index.blocks.write of %s reads %s right after "
               "PUT %s/_settings set it to true: something else sets it "
               "(an index policy, another tool); stop that, then run "
               "'snapmig cutover %s' again",
               source_id(wf), wf->cut_names[i],
               wf->cut_value[i] == 0 ? "false" : "unset", wf->cut_names[i],
               wf->o->plan_path);
      return;
    }
  c->state = SNM_CUT_BLOCKED;
  c->blocked_ms = snm_time_now_ms();
  if (wf_save_or_fail(wf) != 0)
    return;
  wf_event(wf, "cutover.blocked",
           SNM_FIELDS(SNM_FSTR("domain", source_id(wf)),
                      SNM_FSTRV("indices", wf->cut_names, wf->n_cut_names)));
  snm_log(SNM_LOG_INFO,
          "cutover: %zu source ind%s on %s write-blocked; writes are refused "
          "from now until the cutover ends",
          wf->n_cut_names, wf->n_cut_names == 1 ? "ex" : "ices", source_id(wf));
  wf_after_register(wf);
}

/* ---- SWITCH ------------------------------------------------------------- */

/* Does the comma list `holders` name `index` alone? */
static int holds_only(const char *holders, const char *index)
{
  return holders != NULL && strcmp(holders, index) == 0;
}

static int aliases_prepare(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);
  const struct snm_plan *p = wf->plan;

  for (size_t i = 0; i < p->cutover.n_aliases; i++) {
    const struct snm_cutover_alias *a = &p->cutover.aliases[i];
    if (snm_state_cutover_add_alias(c, p->domains[a->domain].id, a->alias,
                                    a->index, NULL) != 0)
      return SNM_ENOMEM;
  }
  wf_cut_free(wf);
  wf->cut_holders = calloc(c->n_aliases + 1, sizeof(*wf->cut_holders));
  wf->cut_alias_read = calloc(c->n_aliases + 1, sizeof(*wf->cut_alias_read));
  if (wf->cut_holders == NULL || wf->cut_alias_read == NULL)
    return SNM_ENOMEM;
  return 0;
}

static size_t domain_of(const struct snm_workflow *wf, const char *id)
{
  for (size_t d = 0; d < wf->plan->n_domains; d++)
    if (strcmp(wf->plan->domains[d].id, id) == 0)
      return d;
  return (size_t)-1;
}

static void read_aliases(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);

  for (size_t i = 0; i < c->n_aliases; i++) {
    size_t d = domain_of(wf, c->aliases[i].domain);

    free(wf->cut_holders[i]);
    wf->cut_holders[i] = NULL;
    wf->cut_alias_read[i] = 0;
    if (d == (size_t)-1) {
      wf_failf(wf, SNM_EINVAL,
               "switch: domain %s of alias %s is not in the plan any more; "
               "this cutover recorded that alias: put the domain back in "
               "the plan, then run 'snapmig cutover %s' again",
               c->aliases[i].domain, c->aliases[i].alias, wf->o->plan_path);
      return;
    }
    wf_req_alias_get(wf, i, d, c->aliases[i].alias);
  }
}

/* The body of POST /_aliases on domain `id`: for each alias of that domain
 * not on its index alone, remove it from every index that holds it (but
 * its own), then add it to its index: one atomic request.  *out NULL when
 * there is nothing to do. */
static int aliases_body(struct snm_workflow *wf, const char *id, char **out)
{
  struct snm_state_cutover *c = cut(wf);
  yajl_gen g = yajl_gen_alloc(NULL);
  int any = 0, rc;

  *out = NULL;
  if (g == NULL)
    return SNM_ENOMEM;
  yajl_gen_map_open(g);
  snm_gen_str(g, "actions");
  yajl_gen_array_open(g);
  for (size_t i = 0; i < c->n_aliases; i++) {
    const struct snm_state_alias *a = &c->aliases[i];
    const char *h = wf->cut_holders[i];

    if (strcmp(a->domain, id) != 0 || holds_only(h, a->index))
      continue;
    while (h != NULL && *h != '\0') {
      size_t n = strcspn(h, ",");

      if (!(n == strlen(a->index) && strncmp(h, a->index, n) == 0)) {
        yajl_gen_map_open(g);
        snm_gen_str(g, "remove");
        yajl_gen_map_open(g);
        snm_gen_str(g, "index");
        yajl_gen_string(g, (const unsigned char *)h, n);
        snm_gen_key_str(g, "alias", a->alias);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
      }
      h += n + (h[n] == ',');
    }
    yajl_gen_map_open(g);
    snm_gen_str(g, "add");
    yajl_gen_map_open(g);
    snm_gen_key_str(g, "index", a->index);
    snm_gen_key_str(g, "alias", a->alias);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    any = 1;
  }
  yajl_gen_array_close(g);
  yajl_gen_map_close(g);
  rc = any ? snm_gen_finish(out, g) : 0;
  yajl_gen_free(g);
  return rc != 0 ? SNM_ENOMEM : 0;
}

static void switched(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);
  const char **names = calloc(c->n_aliases + 1, sizeof(*names));

  c->state = SNM_CUT_SWITCHED;
  c->switched_ms = snm_time_now_ms();
  for (size_t i = 0; i < c->n_aliases; i++)
    c->aliases[i].switched = 1;
  if (wf_save_or_fail(wf) != 0) {
    free(names);
    return;
  }
  for (size_t i = 0; names != NULL && i < c->n_aliases; i++)
    names[i] = c->aliases[i].alias;
  wf_event(wf, "cutover.switched",
           SNM_FIELDS(
               SNM_FSTRV("aliases", names, names != NULL ? c->n_aliases : 0)));
  free(names);
  wf_next(wf);
}

/* Are the indices of the comma list `now` (NULL: none) the holders `a`
 * recorded before the switch, in any order? */
static int same_holders(const struct snm_state_alias *a, const char *now)
{
  size_t n = 0;

  for (const char *h = now; h != NULL && *h != '\0'; n++) {
    size_t len = strcspn(h, ",");
    int known = 0;

    for (size_t k = 0; k < a->n_holders; k++)
      known |=
          strlen(a->holders[k]) == len && strncmp(a->holders[k], h, len) == 0;
    if (!known)
      return 0;
    h += len + (h[len] == ',');
  }
  return n == a->n_holders;
}

/* Record the holders just read as each alias's "before" (write-ahead of
 * the POST). */
static int record_holders(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);

  for (size_t i = 0; i < c->n_aliases; i++) {
    const char *h = wf->cut_holders[i] != NULL ? wf->cut_holders[i] : "";
    size_t cap = 1;
    const char **v;
    char *tmp = strdup(h);
    size_t n = 0;
    int rc;

    for (const char *s = h; *s != '\0'; s++)
      cap += *s == ',';
    v = calloc(cap + 1, sizeof(*v));
    if (tmp == NULL || v == NULL) {
      free(tmp);
      free(v);
      return SNM_ENOMEM;
    }
    for (char *s = tmp, *e; *s != '\0'; s = e) {
      e = s + strcspn(s, ",");
      if (*e == ',')
        *e++ = '\0';
      v[n++] = s;
    }
    rc = snm_state_alias_set_holders(&c->aliases[i], v, n);
    free(tmp);
    free(v);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* Phases: 0 GET every alias (who holds it), then "switching" saved with
 * them; 1 one POST /_aliases per target; 2 read every alias back; 3 the
 * read-back decides (a resumed switch starts at 2: the POST may have
 * landed; when it did not, the POST goes once more from what was read). */
void wf_step_switch(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);

  if (!is_cutover(wf) || c->state >= SNM_CUT_SWITCHED) {
    wf_next(wf);
    return;
  }
  if (!wf->sent) {
    wf->sent = 1;
    wf->cut_next = 0; /* POSTs sent by this invocation */
    wf->cut_post_failed = 0;
    if (c->verified_ms == SNM_STATE_UNKNOWN) {
      c->verified_ms = snm_time_now_ms();
      if (wf_save_or_fail(wf) != 0)
        return;
    }
    if (aliases_prepare(wf) != 0) {
      nomem(wf);
      return;
    }
    if (c->n_aliases == 0) {
      switched(wf);
      return;
    }
    wf->cut_phase = c->state == SNM_CUT_SWITCHING ? 2 : 0;
    read_aliases(wf);
  }
  for (;;) {
    if (wf->pending > 0 || wf->closing)
      return;
    if (wf->r_unknown) { /* a POST with no answer: the read-back decides */
      snm_log(SNM_LOG_WARN, "switch: %s; reading the aliases back",
              wf->r_err.msg);
      wf->r_unknown = 0;
    }
    if (wf->r_failed && wf->cut_phase == 2 && !wf->cut_post_failed) {
      /* the POST was refused: read back whether anything moved (an
       * _aliases request is atomic per target; unknown is never "no") */
      wf->cut_post_failed = 1;
      wf->cut_err = wf->r_err;
      wf->r_failed = 0;
      snm_err_clear(&wf->r_err);
    }
    if (wf->r_failed) {
      wf_fail(wf, &wf->r_err);
      return;
    }
    switch (wf->cut_phase) {
    case 0:
      if (c->state != SNM_CUT_SWITCHING) {
        if (record_holders(wf) != 0) {
          nomem(wf);
          return;
        }
        c->state = SNM_CUT_SWITCHING;
      }
      if (wf_save_or_fail(wf) != 0)
        return;
      wf->cut_phase = 1;
      continue;
    case 1:
      wf->cut_next++;
      for (size_t d = 0; d < wf->plan->n_domains; d++) {
        char *body = NULL;

        if (aliases_body(wf, wf->plan->domains[d].id, &body) != 0) {
          nomem(wf);
          return;
        }
        if (body == NULL)
          continue;
        wf_req_aliases_post(wf, d, body);
        free(body);
      }
      wf->cut_phase = 2;
      continue;
    case 2:
      wf->cut_phase = 3;
      read_aliases(wf);
      continue;
    default:
      break;
    }
    break;
  }
  if (wf->cut_post_failed) {
    int moved = 0;

    for (size_t i = 0; i < c->n_aliases; i++)
      moved |= !same_holders(&c->aliases[i], wf->cut_holders[i]);
    if (!moved) {
      /* nothing switched anywhere: the round is where it was before the
       * switch, and its blocks may be put back */
      c->state = SNM_CUT_BLOCKED;
      if (wf_save_or_fail(wf) != 0)
        return;
      wf_fail(wf, &wf->cut_err);
      return;
    }
    err_append(&wf->cut_err, "; some aliases moved, some did not");
    wf_fail(wf, &wf->cut_err);
    return;
  }
  for (size_t i = 0; i < c->n_aliases; i++) {
    if (holds_only(wf->cut_holders[i], c->aliases[i].index))
      continue;
    if (wf->cut_next == 0) {
      /* resumed: the earlier POST did not land (not for all): once more */
      wf->cut_phase = 1;
      wf_step_switch(wf);
      return;
    }
    wf_failf(wf, SNM_EHTTP,
             "switch: %s: alias %s is on [%s] after POST /_aliases, not on %s "
             "alone; move it by hand, then run 'snapmig cutover %s' again",
             c->aliases[i].domain, c->aliases[i].alias,
             wf->cut_holders[i] != NULL ? wf->cut_holders[i] : "",
             c->aliases[i].index, wf->o->plan_path);
    return;
  }
  switched(wf);
}

/* ---- putting the previous values back ----------------------------------- */

/* Phases: 0 the indices whose previous value was unset get null, 1 those
 * that were false get false; those that were true are left as they are.
 * Returns 1 when every PUT is done (or failed: wf->r_failed). */
static int put_back(struct snm_workflow *wf)
{
  if (!wf->sent) {
    wf->sent = 1;
    wf->cut_phase = 0;
    if (names_with_previous(wf, SNM_BLOCK_UNSET) != 0) {
      wf->r_failed = 1;
      snm_err_set(&wf->r_err, SNM_ENOMEM, "out of memory");
      return 1;
    }
    send_chunks(wf, "{\"index.blocks.write\":null}");
  }
  if (wf->pending > 0)
    return 0;
  if (wf->cut_phase == 0 && !wf->r_failed) {
    wf->cut_phase = 1;
    if (names_with_previous(wf, 0) != 0) {
      wf->r_failed = 1;
      snm_err_set(&wf->r_err, SNM_ENOMEM, "out of memory");
      return 1;
    }
    send_chunks(wf, "{\"index.blocks.write\":false}");
    if (wf->pending > 0)
      return 0;
  }
  return 1;
}

static void how_to_lift(const struct snm_workflow *wf, char *out, size_t sz)
{
  char list[1024];

  blocked_list(wf, list, sizeof(list));
  snprintf(out, sz,
           "still write-blocked on %s: %s; lift them with 'snapmig cutover "
           "--rollback %s' (before the switch) or PUT INDEX/_settings "
           "{\"index.blocks.write\": null}",
           source_id(wf), list[0] != '\0' ? list : "(none)", wf->o->plan_path);
}

static void cutover_done_event(struct snm_workflow *wf)
{
  const struct snm_state_cutover *c = cut(wf);
  long long dv =
      c->verified_ms != SNM_STATE_UNKNOWN && c->blocked_ms != SNM_STATE_UNKNOWN
          ? c->verified_ms - c->blocked_ms
          : -1;
  long long ds =
      c->switched_ms != SNM_STATE_UNKNOWN && c->blocked_ms != SNM_STATE_UNKNOWN
          ? c->switched_ms - c->blocked_ms
          : -1;

  wf_event(wf, "cutover.done",
           SNM_FIELDS(SNM_FINT("round", wf_round(wf)->number),
                      SNM_FINT("downtime_ms", dv),
                      SNM_FINT("switch_downtime_ms", ds),
                      SNM_FINT("aliases", c->n_aliases),
                      SNM_FBOOL("source_blocked", c->source_blocked)));
}

void wf_step_unblock(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);

  if (!is_cutover(wf) || c->state == SNM_CUT_DONE) {
    wf_next(wf);
    return;
  }
  if (!wf->plan->cutover.unblock_source) {
    c->state = SNM_CUT_DONE;
    if (wf_save_or_fail(wf) != 0)
      return;
    cutover_done_event(wf);
    wf_next(wf);
    return;
  }
  if (c->state != SNM_CUT_UNBLOCKING) {
    c->state = SNM_CUT_UNBLOCKING;
    if (wf_save_or_fail(wf) != 0)
      return;
  }
  if (!put_back(wf))
    return;
  if (wf->r_failed) {
    char how[1536];

    how_to_lift(wf, how, sizeof(how));
    /* after the switch: the copy is verified and the aliases moved; only
     * the unblock failed (WF_UNBLOCK never rolls back) */
    wf_failf(wf, wf->r_err.code,
             "unblock: %s; the cutover is verified and switched, but the "
             "source's previous write blocks could not all be put back: %s; "
             "running 'snapmig cutover %s' again retries",
             wf->r_err.msg, how, wf->o->plan_path);
    return;
  }
  c->state = SNM_CUT_DONE;
  c->source_blocked = 0;
  c->unblocked_ms = snm_time_now_ms();
  if (wf_save_or_fail(wf) != 0)
    return;
  cutover_done_event(wf);
  wf_next(wf);
}

/* ---- failure and --rollback --------------------------------------------- */

int wf_cut_on_failure(struct snm_workflow *wf, struct snm_err *e)
{
  struct snm_state_cutover *c;
  char how[1536];

  if (!wf->o->cutover || wf->st.n_rounds == 0 || wf->state == WF_ROLLBACK)
    return 0;
  c = cut(wf);
  if (c->state == SNM_CUT_NONE || !c->source_blocked)
    return 0;
  if (c->state >= SNM_CUT_SWITCHING) {
    err_append(e, "; the aliases were switched (or may have been): the "
                  "source is NOT unblocked (writes may already go to the "
                  "target)");
    return 0;
  }
  if (wf->plan->cutover.keep_blocked_on_failure) {
    snprintf(how, sizeof(how),
             "; the source stays write-blocked (keep_blocked_on_failure); "
             "rerun 'snapmig cutover %s' to finish or 'snapmig cutover "
             "--rollback %s' to lift them",
             wf->o->plan_path, wf->o->plan_path);
    err_append(e, how);
    return 0;
  }
  wf->cut_err = *e;
  wf->cut_failing = 1;
  wf_enter(wf, WF_ROLLBACK);
  return 1;
}

void wf_step_rollback(struct snm_workflow *wf)
{
  struct snm_state_cutover *c = cut(wf);

  if (wf->pending > 0 && !wf->sent)
    return; /* the failed step's last replies first */
  if (!wf->sent && c->state != SNM_CUT_ROLLING_BACK) {
    c->state = SNM_CUT_ROLLING_BACK;
    wf->r_failed = 0;
    snm_err_clear(&wf->r_err);
    if (wf_save_or_fail(wf) != 0)
      return;
  }
  if (!put_back(wf))
    return;
  if (wf->r_failed) {
    char how[1536];
    struct snm_err e = wf->cut_failing ? wf->cut_err : wf->r_err;

    how_to_lift(wf, how, sizeof(how));
    if (wf->cut_failing) {
      err_append(&e, "; putting the source's write blocks back failed (");
      err_append(&e, wf->r_err.msg);
      err_append(&e, "): ");
      err_append(&e, how);
    } else {
      snm_err_set(&e, wf->r_err.code, "rollback: %s; %s", wf->r_err.msg, how);
    }
    wf->cut_failing = 0; /* reported once */
    wf_enter(wf, WF_STOPPING);
    wf->result = SNM_RUN_FAILED;
    wf_failed_event(wf, &e);
    (void)wf_save_or_fail(wf);
    wf_close(wf);
    return;
  }
  c->state = SNM_CUT_ROLLED_BACK;
  c->source_blocked = 0;
  c->unblocked_ms = snm_time_now_ms();
  /* the round is over: a later cutover (or sync) is a new round, never a
   * resume of this one, whose counts were taken under a block that is
   * gone now */
  wf->st.step = SNM_STEP_DONE;
  if (wf_save_or_fail(wf) != 0)
    return;
  wf_event(wf, "cutover.rolled_back",
           SNM_FIELDS(SNM_FINT("round", wf_round(wf)->number),
                      SNM_FINT("indices", c->n_blocks)));
  wf_enter(wf, WF_STOPPING);
  if (wf->cut_failing) {
    struct snm_err e = wf->cut_err;

    err_append(&e, "; the source's write blocks were put back to their "
                   "previous values");
    wf->result = SNM_RUN_FAILED;
    wf_failed_event(wf, &e);
  } else {
    FILE *fp = wf->o->err != NULL ? wf->o->err : stderr;

    wf->result = SNM_RUN_DONE;
    if (snm_progress_mode(wf->progress) != SNM_PROGRESS_JSON)
      fprintf(fp,
              "snapmig: cutover round %u of plan %s rolled back: the "
              "source's write blocks were put back to their previous values "
              "(%zu ind%s); 'snapmig cutover %s' starts a new round\n",
              wf_round(wf)->number, wf->plan->name, c->n_blocks,
              c->n_blocks == 1 ? "ex" : "ices", wf->o->plan_path);
  }
  wf_close(wf);
}

/* ---- verify "sample" ---------------------------------------------------- */

int wf_sample_due(const struct wf_target *t)
{
  return is_cutover(t->wf) &&
         t->wf->plan->restores[t->r].verify == SNM_VERIFY_SAMPLE;
}

static void sample_free(struct wf_target *t)
{
  for (size_t i = 0; t->samples != NULL && i < t->n_samp; i++)
    snm_es_sample_dispose(&t->samples[i]);
  free(t->samples);
  free(t->verdicts);
  free(t->samp_src);
  free(t->samp_dst);
  t->samples = NULL;
  t->verdicts = NULL;
  t->samp_src = t->samp_dst = NULL;
  t->n_samp = 0;
}

void wf_target_sample_free(struct wf_target *t)
{
  sample_free(t);
}

/* The restored indices of `t` (sources and targets) to sample. */
static int sample_prepare(struct wf_target *t)
{
  const struct snm_state_restore *sr = &wf_round(t->wf)->restores[t->r];

  sample_free(t);
  t->samp_src = calloc(sr->n_indices + 1, sizeof(*t->samp_src));
  t->samp_dst = calloc(sr->n_indices + 1, sizeof(*t->samp_dst));
  t->samples = calloc(sr->n_indices + 1, sizeof(*t->samples));
  t->verdicts = calloc(sr->n_indices + 1, sizeof(*t->verdicts));
  if (t->samp_src == NULL || t->samp_dst == NULL || t->samples == NULL ||
      t->verdicts == NULL)
    return SNM_ENOMEM;
  for (size_t i = 0; i < sr->n_indices; i++) {
    const struct snm_state_index *ix = &sr->indices[i];

    if (ix->state != SNM_RESTORE_RESTORED)
      continue;
    t->samp_src[t->n_samp] = ix->source;
    t->samp_dst[t->n_samp] = ix->target;
    t->n_samp++;
  }
  return 0;
}

static void sample_fail(struct wf_target *t, struct snm_err *e)
{
  struct snm_state_restore *sr = &wf_round(t->wf)->restores[t->r];
  struct snm_err keep = *e;

  for (size_t i = 0; i < sr->n_indices; i++)
    if (sr->indices[i].state == SNM_RESTORE_RESTORED)
      sr->indices[i].state = SNM_RESTORE_FAILED;
  sr->state = SNM_RESTORE_FAILED;
  (void)wf_save_or_fail(t->wf);
  wf_target_enter(t, WFT_FAILED);
  t->r_err = keep;
}

/* WFT_SAMPLE: phase 0 draws K documents of every index on the source
 * (POST /_msearch, random_score), phase 1 asks the target for them (POST
 * /_mget) and compares each _source; an index is verified only when every
 * drawn document was found there with the same _source. */
void wf_tstep_sample(struct wf_target *t)
{
  struct snm_workflow *wf = t->wf;
  struct snm_state_restore *sr = &wf_round(wf)->restores[t->r];

  if (!wf_sample_due(t)) {
    wf_target_enter(t, WFT_VERIFIED);
    return;
  }
  if (!t->sent) {
    t->sent = 1;
    t->samp_phase = 0;
    t->samp_next = 0;
    if (sample_prepare(t) != 0) {
      struct snm_err e;
      snm_err_set(&e, SNM_ENOMEM, "out of memory");
      sample_fail(t, &e);
      return;
    }
  }
  while (t->pending == 0 && !t->r_failed && t->samp_next < t->n_samp) {
    size_t taken = 0, docs = 0;

    if (t->samp_phase == 0)
      wf_req_sample_draw(t, &taken);
    else
      wf_req_sample_mget(t, &taken, &docs);
    if (taken == 0)
      break;
    t->samp_next += taken;
  }
  if (t->pending > 0)
    return;
  if (t->r_failed) {
    struct snm_err e = t->r_err;
    err_append(&e, "; the sample could not be compared, so the copy is not "
                   "verified");
    sample_fail(t, &e);
    return;
  }
  if (t->samp_phase == 0) {
    for (size_t i = 0; i < t->n_samp; i++)
      if (t->samples[i].why[0] != '\0') {
        struct snm_err e;
        snm_err_set(&e, SNM_EHTTP,
                    "verify: %s: the sample of %s could not be drawn: %s; "
                    "once the source answers that search, run 'snapmig "
                    "cutover %s' again",
                    source_id(wf), t->samp_src[i], t->samples[i].why,
                    wf->o->plan_path);
        sample_fail(t, &e);
        return;
      }
    t->samp_phase = 1;
    t->samp_next = 0;
    wf_tstep_sample(t);
    return;
  }
  for (size_t i = 0; i < t->n_samp; i++) {
    const struct snm_es_sample_verdict *v = &t->verdicts[i];
    int ok = v->equal == t->samples[i].n;

    wf_event(wf, "verify.sample",
             SNM_FIELDS(SNM_FSTR("domain", t->es->dom->id),
                        SNM_FSTR("source", t->samp_src[i]),
                        SNM_FSTR("target", t->samp_dst[i]),
                        SNM_FINT("sampled", t->samples[i].n),
                        SNM_FINT("equal", v->equal),
                        SNM_FINT("missing", v->missing),
                        SNM_FINT("differ", v->differ), SNM_FBOOL("ok", ok)));
    if (!ok) {
      struct snm_err e;
      snm_err_set(&e, SNM_EINVAL,
                  "verify: %s: %s: %zu of %zu sampled documents of %s differ "
                  "(%zu missing, %zu with another _source, %zu unknown): %s; "
                  "compare that document on both sides (GET INDEX/_doc/ID): "
                  "a target index written to since its restore is not the "
                  "source's copy",
                  t->es->dom->id, t->samp_dst[i], t->samples[i].n - v->equal,
                  t->samples[i].n, t->samp_src[i], v->missing, v->differ,
                  v->unknown, v->first[0] != '\0' ? v->first : "no detail");
      sample_fail(t, &e);
      return;
    }
  }
  for (size_t i = 0; i < sr->n_indices; i++)
    if (sr->indices[i].state == SNM_RESTORE_RESTORED)
      sr->indices[i].state = SNM_RESTORE_VERIFIED;
  sr->state = SNM_RESTORE_VERIFIED;
  if (wf_save_or_fail(wf) != 0)
    return;
  wf_target_enter(t, WFT_VERIFIED);
}
