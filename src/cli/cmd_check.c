/* cmd_check.c - `snapmig check [--json] [-v] [-q] PLAN`: the preflight of a
 * migration, every domain at once, read-only; a report on stdout. */
#include "cli.h"
#include "diag.h"
#include "es.h"
#include "http.h"
#include "log.h"
#include "plan.h"
#include "preflight.h"
#include "report_check.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

static void check_usage(FILE *fp)
{
  fprintf(
      fp,
      "usage: snapmig check [--json] [-v] [-q] PLAN\n"
      "\n"
      "Predict what 'snapmig run PLAN' would do, and find what would stop\n"
      "it, without changing anything: only GET requests are sent, to every\n"
      "domain of the plan at once.  Checks reachability and credentials,\n"
      "engine versions, the repository registration, running snapshots,\n"
      "the source indices the plan selects, the target name of each index\n"
      "after rename, name conflicts on the targets, version compatibility,\n"
      "disk space and shard headroom.\n"
      "\n"
      "  --json       print the result as one JSON document on stdout\n"
      "  -v           log every request (twice: HTTP traces) on stderr\n"
      "  -q, --quiet  print only blockers, warnings and the result line\n"
      "  -h, --help   this text\n"
      "\n"
      "Exit status: 0 no blockers, 1 blockers found (or the check failed),\n"
      "2 invalid plan or usage, 130 interrupted.\n");
}

struct check {
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  struct snm_http *http;
  struct snm_preflight pf;
  int finished;    /* the preflight's done ran */
  int interrupted; /* SIGINT/SIGTERM */
  int closing;
};

/* Close the engine and the signal watchers; the loop then ends. */
static void check_close(struct check *c)
{
  if (c->closing)
    return;
  c->closing = 1;
  uv_close((uv_handle_t *)&c->sigint, NULL);
  uv_close((uv_handle_t *)&c->sigterm, NULL);
  if (c->http != NULL)
    snm_http_close(c->http, NULL, NULL);
  c->http = NULL;
}

static void on_signal(uv_signal_t *h, int signum)
{
  struct check *c = h->data;

  if (c->finished || c->interrupted)
    return;
  c->interrupted = 1;
  snm_log(SNM_LOG_WARN, "check: %s, stopping",
          signum == SIGINT ? "interrupted" : "terminated");
  snm_preflight_cancel(&c->pf);
  check_close(c);
}

static void on_preflight_done(struct snm_preflight *pf, void *data)
{
  struct check *c = data;

  (void)pf;
  c->finished = 1;
  check_close(c);
}

static int parse_args(int argc, char **argv, const char **path, int *json,
                      int *verbose, int *quiet)
{
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];

    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      check_usage(stdout);
      return SNM_EXIT_OK + 1000;
    } else if (strcmp(a, "--json") == 0) {
      *json = 1;
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      *quiet = 1;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      (*verbose)++;
    } else if (strcmp(a, "-vv") == 0) {
      *verbose += 2;
    } else if (strcmp(a, "--") == 0 && i + 2 == argc && *path == NULL) {
      *path = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "snapmig: check: unknown option '%s'\n", a);
      check_usage(stderr);
      return SNM_EXIT_USAGE;
    } else if (*path == NULL) {
      *path = a;
    } else {
      fprintf(stderr, "snapmig: check: one plan at a time\n");
      return SNM_EXIT_USAGE;
    }
  }
  if (*path == NULL) {
    check_usage(stderr);
    return SNM_EXIT_USAGE;
  }
  return -1;
}

/* Run the preflight on a loaded plan; returns the exit status. */
static int run_check(const struct snm_plan *plan, int json, int quiet)
{
  struct check c;
  struct snm_es *es = calloc(plan->n_domains, sizeof(*es));
  struct snm_err *init_errs = calloc(plan->n_domains, sizeof(*init_errs));
  struct snm_preflight_opts opts = {0};
  struct snm_http_opts hopts = {0};
  struct snm_err err;
  int status = SNM_EXIT_FAILED, started = 0;

  memset(&c, 0, sizeof(c));
  snm_preflight_init(&c.pf);
  snm_err_clear(&err);
  if (es == NULL || init_errs == NULL) {
    fprintf(stderr, "snapmig: error: out of memory\n");
    free(es);
    free(init_errs);
    return SNM_EXIT_FAILED;
  }
  if (uv_loop_init(&c.loop) != 0) {
    fprintf(stderr, "snapmig: error: cannot create an event loop\n");
    free(es);
    free(init_errs);
    return SNM_EXIT_FAILED;
  }
  uv_signal_init(&c.loop, &c.sigint);
  uv_signal_init(&c.loop, &c.sigterm);
  c.sigint.data = c.sigterm.data = &c;
  uv_signal_start(&c.sigint, on_signal, SIGINT);
  uv_signal_start(&c.sigterm, on_signal, SIGTERM);
  hopts.user_agent = "snapmig-check";
  if (snm_http_new(&c.http, &c.loop, &hopts, &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    goto done;
  }
  for (size_t i = 0; i < plan->n_domains; i++) {
    if (snm_es_init(&es[i], &plan->domains[i], c.http, &init_errs[i]) != 0)
      snm_log(SNM_LOG_WARN, "%s", init_errs[i].msg);
    es[i].read_only = 1;
  }
  opts.init_errors = init_errs;
  snm_log(SNM_LOG_INFO, "check: asking %zu domain%s", plan->n_domains,
          plan->n_domains == 1 ? "" : "s");
  if (snm_preflight_start(&c.pf, &c.loop, plan, es, &opts, on_preflight_done,
                          &c, &err) != 0) {
    fprintf(stderr, "snapmig: error: %s\n", err.msg);
    goto done;
  }
  started = 1;
done:
  if (!started)
    check_close(&c);
  uv_run(&c.loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&c.loop) != 0)
    snm_log(SNM_LOG_WARN, "check: the event loop still had open handles");
  if (c.interrupted) {
    status = SNM_EXIT_INTERRUPTED;
  } else if (started && c.pf.result != SNM_OK) {
    fprintf(stderr, "snapmig: error: check failed: %s\n",
            snm_err_name(c.pf.result));
  } else if (started) {
    if (json) {
      if (snm_report_check_json(stdout, &c.pf) != 0)
        fprintf(stderr, "snapmig: error: out of memory\n");
    } else {
      snm_report_check_human(stdout, &c.pf, quiet);
    }
    status = c.pf.n_blockers > 0 ? SNM_EXIT_FAILED : SNM_EXIT_OK;
  }
  snm_preflight_dispose(&c.pf);
  for (size_t i = 0; i < plan->n_domains; i++)
    snm_es_dispose(&es[i]);
  free(es);
  free(init_errs);
  return status;
}

int snm_cmd_check(int argc, char **argv)
{
  struct snm_plan *plan = NULL;
  const char *path = NULL;
  int json = 0, verbose = 0, quiet = 0, rc, status;

  rc = parse_args(argc, argv, &path, &json, &verbose, &quiet);
  if (rc >= 1000)
    return rc - 1000;
  if (rc >= 0)
    return rc;
  snm_log_set_level(quiet     ? SNM_LOG_ERROR
                    : verbose ? (verbose > 1 ? SNM_LOG_TRACE : SNM_LOG_DEBUG)
                              : SNM_LOG_WARN);
  status = snm_cli_load_plan(&plan, path, quiet);
  if (status == SNM_EXIT_OK)
    status = run_check(plan, json, quiet);
  snm_plan_free(plan);
  return status;
}
