/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_init.c - `snapmig init --source URL --target URL [--auth SPEC]
 * [--indices PATTERNS] [--name NAME] [-o PLAN]`: ask two clusters what
 * they hold (GET requests only) and write a commented starter plan
 * (init_plan.h). */
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "init_plan.h"
#include "log.h"
#include "plan.h"
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#ifndef SNM_SCHEMA_FILE
#define SNM_SCHEMA_FILE "/usr/share/snapmig/plan.schema.json"
#endif

enum {
  O_HELP = SNM_OPT_HELP,
  O_SOURCE,
  O_TARGET,
  O_AUTH,
  O_INDICES,
  O_NAME,
  O_OUTPUT,
  O_VERBOSE
};

static const struct snm_opt init_opts[] = {
    {O_SOURCE, "source", 0, SNM_OPT_VALUE, "URL",
     "the cluster to migrate from: its endpoint URL"},
    {O_TARGET, "target", 0, SNM_OPT_VALUE, "URL", "the cluster to migrate to"},
    {O_AUTH, "auth", 0, SNM_OPT_VALUE, "SPEC",
     "how to authenticate, for both clusters, or for one\n"
     "with source: or target: in front (give it twice):\n"
     "none, aws-sigv4[,profile=P][,region=R][,service=S]\n"
     "or basic,username=U,password_env=VARIABLE; default\n"
     "aws-sigv4 for an AWS endpoint, else none"},
    {O_INDICES, "indices", 0, SNM_OPT_VALUE, "PATTERNS",
     "what to migrate: comma-separated names or patterns\n"
     "(* wildcards, a leading - excludes); default every\n"
     "non-system index and data stream"},
    {O_NAME, "name", 0, SNM_OPT_VALUE, "NAME",
     "the plan's name (default: the -o file's name, else\n"
     "\"migration\")"},
    {O_OUTPUT, "output", 'o', SNM_OPT_VALUE, "PLAN",
     "write the plan to PLAN, never over an existing file\n"
     "(default: standard output)"},
    {O_VERBOSE, "verbose", 'v', SNM_OPT_FLAG, NULL,
     "log every request (twice: HTTP traces) on stderr"},
    SNM_OPT_HELP_ENTRY,
    {0, NULL, 0, 0, NULL, NULL}};

static const struct snm_opt_spec init_spec = {
    "init",
    "--source URL --target URL [--auth SPEC] [--indices PATTERNS]\n"
    "         [--name NAME] [-o PLAN]",
    "Ask both clusters what they hold, with GET requests only, and write\n"
    "a starter plan with comments that say where each choice comes from:\n"
    "the source's non-system indices and data streams grouped by common\n"
    "prefix (closed and red ones left out), a repository (s3 in the\n"
    "source's region when both are on AWS; else one both have registered\n"
    "alike, or a directory both list in path.repo), a rename that avoids\n"
    "every name the target holds, and no more replicas than the target's\n"
    "data nodes can hold.  Review it, then 'snapmig check PLAN'.\n",
    init_opts,
    "Exit status: 0 written, 1 a cluster could not be read or holds\n"
    "nothing to migrate, 2 invalid usage (also: PLAN exists),\n"
    "130 interrupted.\n",
    0};

struct init_cmd {
  struct snm_session s;
  struct snm_init in;
  int finished, interrupted, closing;
};

static void init_close(struct init_cmd *c)
{
  if (c->closing)
    return;
  c->closing = 1;
  snm_session_close(&c->s);
}

static void on_stop(void *data, int signum)
{
  struct init_cmd *c = data;

  (void)signum;
  if (c->finished || c->interrupted)
    return;
  c->interrupted = 1;
  snm_init_cancel(&c->in);
  init_close(c);
}

static void on_init_done(struct snm_init *in, void *data)
{
  struct init_cmd *c = data;

  (void)in;
  c->finished = 1;
  init_close(c);
}

/* The plan's name from the output file: its base name without .json or
 * .jsonc, other characters than letters, digits, '.', '_', '-' as '-'. */
static char *name_from_path(const char *path)
{
  const char *base = strrchr(path, '/');
  size_t n;
  char *s;

  base = base != NULL ? base + 1 : path;
  n = strlen(base);
  if (n > 6 && strcmp(base + n - 6, ".jsonc") == 0)
    n -= 6;
  else if (n > 5 && strcmp(base + n - 5, ".json") == 0)
    n -= 5;
  if (n == 0)
    return strdup("migration");
  s = snm_memdup0(base, n);
  for (size_t i = 0; s != NULL && i < n; i++)
    if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               "0123456789._-",
               s[i]) == NULL)
      s[i] = '-';
  return s;
}

/* A probe plan's diagnostic in the words of the options. */
static void print_probe_diag(const struct snm_diag *d)
{
  static const struct {
    const char *path, *option;
  } map[] = {{"domains.source.endpoint", "--source"},
             {"domains.target.endpoint", "--target"},
             {"domains.source.auth", "--auth (source)"},
             {"domains.target.auth", "--auth (target)"},
             {"snapshot.indices", "--indices"},
             {"name", "--name"}};
  const char *msg = d->message;

  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    size_t n = strlen(map[i].path);
    if (strncmp(msg, map[i].path, n) == 0 &&
        (msg[n] == ':' || msg[n] == '.' || msg[n] == '[')) {
      fprintf(stderr, "snapmig init: %s: %s%s\n",
              snm_diag_severity_name(d->severity), map[i].option, msg + n);
      return;
    }
  }
  fprintf(stderr, "snapmig init: %s: %s\n", snm_diag_severity_name(d->severity),
          msg);
}

/* Write `text` to a new file `path` (never over an existing one). */
static int write_new_file(const char *path, const char *text, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  size_t off = 0;

  if (fd < 0) {
    fprintf(stderr, "snapmig init: cannot create %s: %s%s\n", path,
            strerror(errno),
            errno == EEXIST ? " (init never overwrites a file: choose "
                              "another -o, or remove it)"
                            : "");
    return errno == EEXIST ? SNM_EXIT_USAGE : SNM_EXIT_FAILED;
  }
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      fprintf(stderr, "snapmig init: writing %s: %s\n", path, strerror(errno));
      close(fd);
      unlink(path);
      return SNM_EXIT_FAILED;
    }
    off += (size_t)w;
  }
  if (close(fd) != 0) {
    fprintf(stderr, "snapmig init: writing %s: %s\n", path, strerror(errno));
    unlink(path);
    return SNM_EXIT_FAILED;
  }
  return SNM_EXIT_OK;
}

/* Ask the clusters and write the plan; returns the exit status. */
static int run_init(const struct snm_plan *probe, struct snm_init_opts *o,
                    const char *output)
{
  struct init_cmd c;
  struct snm_preflight_opts pf_opts = {0};
  struct snm_buf text;
  struct snm_err err;
  int status = SNM_EXIT_FAILED, started = 0;

  memset(&c, 0, sizeof(c));
  snm_init_init(&c.in);
  snm_err_clear(&err);
  snm_buf_init(&text, 0);
  if (snm_session_init(&c.s, probe, 1, "init", &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    goto done;
  }
  snm_session_on_stop(&c.s, on_stop, &c);
  pf_opts.init_errors = c.s.es_init_err;
  snm_log(SNM_LOG_INFO, "init: asking %s and %s", o->source_url, o->target_url);
  if (snm_init_start(&c.in, &c.s.loop, probe, c.s.es, o, &pf_opts, on_init_done,
                     &c, &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    goto done;
  }
  started = 1;
done:
  if (!started)
    init_close(&c);
  if (c.s.loop_ok)
    uv_run(&c.s.loop, UV_RUN_DEFAULT);
  if (c.interrupted) {
    status = snm_exit_status(SNM_ECANCELED);
  } else if (started && c.in.result != SNM_OK) {
    fprintf(stderr, "snapmig: error: init failed: %s\n",
            snm_err_name(c.in.result));
    status = snm_exit_status(c.in.result);
  } else if (started && (c.in.facts.source.error != NULL ||
                         c.in.facts.target.error != NULL)) {
    /* a cluster that was not reached: both said, nothing written */
    if (c.in.facts.source.error != NULL)
      fprintf(stderr, "snapmig: error: %s\n", c.in.facts.source.error);
    if (c.in.facts.target.error != NULL)
      fprintf(stderr, "snapmig: error: %s\n", c.in.facts.target.error);
  } else if (started) {
    if (access(SNM_SCHEMA_FILE, R_OK) == 0)
      o->schema_uri = "file://" SNM_SCHEMA_FILE;
    if (snm_init_write(&text, &c.in.facts, o, &err) != 0) {
      fprintf(stderr, "snapmig: error: %s\n", err.msg);
      status = SNM_EXIT_FAILED;
    } else if (output != NULL) {
      status = write_new_file(output, snm_buf_str(&text), text.len);
      if (status == SNM_EXIT_OK)
        fprintf(stderr,
                "snapmig init: wrote %s; review it, then 'snapmig check "
                "%s'\n",
                output, output);
    } else {
      fputs(snm_buf_str(&text), stdout);
      status = SNM_EXIT_OK;
    }
  }
  snm_buf_dispose(&text);
  snm_init_dispose(&c.in);
  snm_session_dispose(&c.s);
  return status;
}

/* --auth SPEC: "source:SPEC", "target:SPEC" or SPEC for both. */
static int take_auth(struct snm_init_opts *o, const char *v)
{
  if (strncmp(v, "source:", 7) == 0) {
    o->source_auth = v + 7;
  } else if (strncmp(v, "target:", 7) == 0) {
    o->target_auth = v + 7;
  } else {
    if (o->source_auth != NULL || o->target_auth != NULL)
      return snm_opt_usage_error(&init_spec,
                                 "--auth without source: or target: is for "
                                 "both clusters: give it once");
    o->source_auth = o->target_auth = v;
  }
  return -1;
}

int snm_cmd_init(int argc, char **argv)
{
  struct snm_init_opts o;
  struct snm_opt_iter it;
  struct snm_diag_list diags;
  struct snm_plan *probe = NULL;
  struct snm_buf text;
  struct snm_err err;
  const char *output = NULL;
  char *name = NULL;
  int verbose = 0, opt, status = SNM_EXIT_USAGE;

  memset(&o, 0, sizeof(o));
  snm_opt_init(&it, &init_spec, argc, argv);
  while ((opt = snm_opt_next(&it)) != SNM_OPT_END) {
    switch (opt) {
    case O_HELP:
      snm_opt_help(stdout, &init_spec);
      return SNM_EXIT_OK;
    case O_SOURCE:
      o.source_url = it.value;
      break;
    case O_TARGET:
      o.target_url = it.value;
      break;
    case O_AUTH:
      if ((status = take_auth(&o, it.value)) >= 0)
        return status;
      break;
    case O_INDICES:
      o.indices = it.value;
      break;
    case O_NAME:
      o.name = it.value;
      break;
    case O_OUTPUT:
      output = it.value;
      break;
    case O_VERBOSE:
      verbose++;
      break;
    case SNM_OPT_OPERAND:
      return snm_opt_usage_error(&init_spec, "unexpected argument '%s'",
                                 it.value);
    default:
      return snm_opt_usage_error(&init_spec, "%s", it.error);
    }
  }
  if (o.source_url == NULL)
    return snm_opt_missing(&init_spec, "--source URL");
  if (o.target_url == NULL)
    return snm_opt_missing(&init_spec, "--target URL");
  if (output != NULL && access(output, F_OK) == 0) {
    fprintf(stderr,
            "snapmig init: %s exists: init never overwrites a file "
            "(choose another -o, or remove it)\n",
            output);
    return SNM_EXIT_USAGE;
  }
  snm_cli_set_log_level(0, verbose);
  if (o.name == NULL) {
    name = name_from_path(output != NULL ? output : "migration");
    if (name == NULL) {
      fprintf(stderr, "snapmig: error: out of memory\n");
      return SNM_EXIT_FAILED;
    }
    o.name = name;
  }

  /* the probe plan: checked like any plan, so a bad URL, auth or pattern
   * is reported before anything is sent */
  snm_buf_init(&text, 0);
  snm_diag_list_init(&diags);
  snm_err_clear(&err);
  if (snm_init_probe_plan(&text, &o, &err) != 0) {
    fprintf(stderr, "snapmig init: %s\n", err.msg);
    status = err.code == SNM_ENOMEM ? SNM_EXIT_FAILED : SNM_EXIT_USAGE;
    goto done;
  }
  if (snm_plan_parse(&probe, snm_buf_str(&text), text.len, "init", &diags,
                     &err) != 0) {
    for (size_t i = 0; i < diags.len; i++)
      if (diags.items[i].severity == SNM_DIAG_ERROR)
        print_probe_diag(&diags.items[i]);
    if (err.code == SNM_ENOMEM)
      fprintf(stderr, "snapmig: error: out of memory\n");
    status = err.code == SNM_ENOMEM ? SNM_EXIT_FAILED : SNM_EXIT_USAGE;
    goto done;
  }
  for (size_t i = 0; i < diags.len; i++)
    print_probe_diag(&diags.items[i]); /* warnings: plain http, ... */
  status = run_init(probe, &o, output);
done:
  snm_plan_free(probe);
  snm_diag_list_dispose(&diags);
  snm_buf_dispose(&text);
  free(name);
  return status;
}
