/* SPDX-License-Identifier: Apache-2.0 */
/* init_plan.h - `snapmig init`: a commented starter plan from what two
 * clusters hold.
 *
 * Three steps, each usable on its own (tests drive the pure ones with
 * hand-built facts):
 *
 *  1. snm_init_probe_plan(): the plan text init asks the clusters with
 *     (domains "source" and "target" from the URLs and --auth specs, the
 *     --indices patterns); snm_plan_parse() checks it like any plan.
 *  2. snm_init_start(): read-only requests to both clusters, the preflight
 *     of that probe plan (GET /, _cluster/health, _cat/indices, _alias,
 *     _data_stream, the source's index settings and counts: preflight.h)
 *     plus GET /_nodes/settings (path.repo) and GET /_snapshot (the
 *     registered repositories) on each; the answers become a struct
 *     snm_init_facts (snm_init_collect).
 *  3. snm_init_write(): facts -> the plan text (JSON with // comments):
 *     the source's non-system indices and data streams grouped by common
 *     prefix, a repository suggestion, a rename that avoids every name the
 *     target holds, index_settings for replicas when the target has fewer
 *     data nodes.  Pure.
 *
 * Nothing here changes a cluster: every request is a GET (the snm_es
 * handles must have read_only set).
 */
#ifndef SNM_INIT_PLAN_H
#define SNM_INIT_PLAN_H

#include <stddef.h>
#include <uv.h>

#include "err.h"
#include "es.h"
#include "plan.h"
#include "preflight.h"

struct snm_buf;

/* What the user asked for. */
struct snm_init_opts {
  const char *name;       /* the plan's name (letters, digits, . _ -) */
  const char *source_url; /* endpoint URLs, as a plan's "endpoint" */
  const char *target_url;
  const char *source_auth; /* NULL (default, below) or an auth spec */
  const char *target_auth;
  const char *indices;    /* NULL (all non-system) or comma-separated
                             patterns, as snapshot.indices */
  const char *schema_uri; /* NULL or written as "$schema" */
};

/* An auth spec, as --auth takes it: TYPE[,KEY=VALUE...] with TYPE none,
 * aws-sigv4 or basic and the keys of that type in a plan ("aws-sigv4",
 * "aws-sigv4,profile=prod,region=eu-west-1",
 * "basic,username=admin,password_env=ES_PASSWORD").  Appends the plan's
 * "auth" object to `out` (JSON).  A NULL spec is the default: aws-sigv4
 * for an AWS endpoint host name (snm_aws_host_info), else none.
 * Returns 0; SNM_EINVAL (err names the spec and what is wrong: an unknown
 * type, a pair without '=', a password); SNM_ENOMEM. */
int snm_init_auth_json(struct snm_buf *out, const char *spec,
                       const char *endpoint, struct snm_err *err);

/* Step 1: the probe plan's text (the name, both domains, an fs repository
 * that is never registered, the snapshot with `indices`, one restore).
 * Returns 0, SNM_EINVAL (a bad auth spec), SNM_ENOMEM. */
int snm_init_probe_plan(struct snm_buf *out, const struct snm_init_opts *o,
                        struct snm_err *err);

/* ---- facts -------------------------------------------------------------- */

struct snm_init_repo { /* a registered repository */
  char *name;          /* malloced */
  char *type;          /* malloced: "fs", "s3", ... */
  char *settings_json; /* malloced compact JSON object, "{}" when none */
};

struct snm_init_side {
  const char *id;              /* "source" / "target" (static) */
  char *endpoint;              /* malloced, as given */
  char *auth_json;             /* malloced: the "auth" object written */
  char engine[64];             /* "OpenSearch 2.19.6", "" unknown */
  char region[32];             /* AWS region of the endpoint host, "" if none */
  long data_nodes;             /* -1 unknown */
  char **path_repo;            /* malloced strings: path.repo of EVERY node */
  size_t n_path_repo;          /* (the paths all data nodes list) */
  int path_repo_known;         /* 1: GET /_nodes/settings answered */
  struct snm_init_repo *repos; /* registered repositories */
  size_t n_repos;
  int repos_known; /* 1: GET /_snapshot answered */
  char *error;     /* NULL or malloced: why the cluster was not read */
};

struct snm_init_index { /* a selectable name on the source */
  char *name;           /* malloced: an index or a data stream */
  int data_stream;      /* 1: a data stream (its backing indices summed) */
  int excluded;         /* 1: closed or red: left out (check would block) */
  char why[16];         /* "closed", "red" when excluded */
  long long docs;       /* -1 unknown */
  long long bytes;      /* primary store; -1 unknown */
  long replicas;        /* -1 unknown (data stream: the most of its
                           backing indices) */
  char **aliases;       /* malloced names of its aliases */
  size_t n_aliases;
};

struct snm_init_facts {
  struct snm_init_side source, target;
  struct snm_init_index *indices; /* sorted by name */
  size_t n_indices;
  int indices_known;   /* 1: the source's indices were read */
  char **target_names; /* indices, aliases and data streams on the
                          target, sorted, malloced */
  size_t n_target_names;
  int target_names_known; /* 1: all of them were read */
};

void snm_init_facts_dispose(struct snm_init_facts *f);

/* ---- step 3: the plan ------------------------------------------------- */

/* Append the starter plan to `out`.  Needs f->indices_known (the writer
 * has nothing to select otherwise) and o->name.  Returns 0; SNM_EINVAL
 * (err says why: the source's indices unknown, or nothing to migrate);
 * SNM_ENOMEM. */
int snm_init_write(struct snm_buf *out, const struct snm_init_facts *f,
                   const struct snm_init_opts *o, struct snm_err *err);

/* The parts snm_init_write decides, for tests and the summary line. */
struct snm_init_choice {
  char *repo_name;          /* malloced */
  char repo_type[8];        /* "fs" / "s3" */
  char *repo_settings;      /* malloced JSON object */
  char *repo_comment;       /* malloced: why this repository */
  int repo_placeholder;     /* 1: a value the user must fill in */
  char *rename_replacement; /* NULL (no rename) or malloced "restored-$1" */
  long replicas;            /* -1: no index_settings, else the number */
  int include_aliases;      /* 0: an alias of the source is taken */
};

/* Decide; `c` is filled (dispose with snm_init_choice_dispose).  Returns 0
 * or SNM_ENOMEM. */
int snm_init_choose(struct snm_init_choice *c, const struct snm_init_facts *f,
                    const struct snm_init_opts *o);
void snm_init_choice_dispose(struct snm_init_choice *c);

/* ---- step 2: asking the clusters --------------------------------------- */

struct snm_init;
typedef void (*snm_init_done_fn)(struct snm_init *in, void *data);

struct snm_init {
  struct snm_preflight pf;     /* the probe plan's preflight */
  struct snm_init_facts facts; /* filled when done */
  int result;                  /* SNM_OK, SNM_ECANCELED, SNM_ENOMEM */
  /* private */
  const struct snm_plan *plan;      /* borrowed (the probe plan) */
  struct snm_es *es;                /* borrowed: plan->n_domains handles */
  const struct snm_init_opts *opts; /* borrowed */
  size_t pending;
  int canceled, nomem;
  snm_init_done_fn done;
  void *done_data;
};

void snm_init_init(struct snm_init *in);
void snm_init_dispose(struct snm_init *in);

/* Send every request to both clusters of the probe `plan` (es[i] for
 * plan->domains[i], read-only, on one HTTP engine on `loop`) and return;
 * `done` runs once from the loop when the last answer is in and
 * in->facts is filled (in->result says whether completely).  Returns 0;
 * or SNM_EINVAL/SNM_ENOMEM with `err` filled and `done` never called. */
int snm_init_start(struct snm_init *in, uv_loop_t *loop,
                   const struct snm_plan *plan, struct snm_es *es,
                   const struct snm_init_opts *opts,
                   const struct snm_preflight_opts *pf_opts,
                   snm_init_done_fn done, void *data, struct snm_err *err);

/* Stop early (SIGINT): as snm_preflight_cancel. */
void snm_init_cancel(struct snm_init *in);

/* Fill in->facts from the preflight and the extra answers (called by the
 * fetch code; tests may call it on a hand-built preflight).  Returns 0 or
 * SNM_ENOMEM. */
int snm_init_collect(struct snm_init *in);

#endif
