/* creds_async.c - fetching credentials without blocking the event loop.
 *
 * The chain's sources block (files, ECS, IMDS and STS with libcurl easy
 * handles), so snm_creds_provider_fetch runs snm__creds_fetch on libuv's
 * thread pool with uv_queue_work.  The worker gets a job with its own copy
 * of the provider's settings and writes only into the job; the provider,
 * its waiters and the log belong to the loop thread, which takes the
 * result in the job's after-work callback (on_job_done).
 *
 * Shared state the worker does touch: the environment (read only), the
 * secret registry (locked, secret.h), libcurl (one easy handle per
 * request; curl_global_init ran before on the loop thread) and OpenSSL.
 * Log lines are queued in the job (snm__creds_log) and logged by the loop
 * thread.
 *
 * A running work item cannot be cancelled (uv_cancel only stops one that
 * has not started), so freeing the provider abandons the job: job->p is
 * cleared, the worker's libcurl transfer is aborted through the cancel
 * flag, and on_job_done frees the job when the worker is through. */
#include "creds.h"
#include "creds_int.h"
#include "log.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct snm__creds_job {
  uv_work_t work;
  struct snm_creds_provider *p; /* NULL once the provider was freed */
  /* input, the worker's own copies */
  struct snm__creds_conf conf;
  enum snm__creds_source from; /* SNM__SRC_NONE: walk the chain */
  unsigned gen;                /* p->gen when it started */
  char *role_profile;          /* NULL or malloced */
  struct snm__job_ctx ctx;
  /* output, written by the worker */
  int rc;
  struct snm_err err;
  struct snm__fetched result;
};

/* ---- the worker's context ---- */

static _Thread_local struct snm__job_ctx *current_ctx;

void snm__job_ctx_enter(struct snm__job_ctx *ctx)
{
  current_ctx = ctx;
}

struct snm__job_ctx *snm__job_ctx_current(void)
{
  return current_ctx;
}

void snm__creds_log(int level, const char *fmt, ...)
{
  struct snm__job_ctx *ctx = current_ctx;
  struct snm__log_line *line;
  va_list ap;
  int n;

  if (ctx == NULL) {
    char text[1024];
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    snm_log(level, "%s", text);
    return;
  }
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  line = malloc(sizeof(*line) + (size_t)n + 1);
  if (line == NULL)
    return; /* a debug line lost when memory is short */
  va_start(ap, fmt);
  vsnprintf(line->text, (size_t)n + 1, fmt, ap);
  va_end(ap);
  line->level = level;
  line->next = NULL;
  *ctx->logs_tail = line;
  ctx->logs_tail = &line->next;
}

/* Loop thread: log and free the queued lines. */
static void flush_logs(struct snm__job_ctx *ctx)
{
  struct snm__log_line *l, *next;

  for (l = ctx->logs; l != NULL; l = next) {
    next = l->next;
    snm_log(l->level, "%s", l->text);
    OPENSSL_cleanse(l->text, strlen(l->text));
    free(l);
  }
  ctx->logs = NULL;
  ctx->logs_tail = &ctx->logs;
}

/* ---- the job ---- */

static void job_free(struct snm__creds_job *job)
{
  flush_logs(&job->ctx);
  snm__fetched_dispose(&job->result);
  snm__creds_conf_dispose(&job->conf);
  free(job->role_profile);
  free(job);
}

/* Thread pool: the blocking fetch. */
static void on_job_work(uv_work_t *work)
{
  struct snm__creds_job *job = work->data;

  snm__job_ctx_enter(&job->ctx);
  if (atomic_load(&job->ctx.cancel))
    job->rc = snm_err_set(&job->err, SNM_ECANCELED,
                          "AWS credentials: the fetch was abandoned");
  else
    job->rc = snm__creds_fetch(&job->result, &job->conf, job->from,
                               job->role_profile, &job->err);
  snm__job_ctx_enter(NULL);
}

/* Loop thread: the fetch ended (status UV_ECANCELED: it never started). */
static void on_job_done(uv_work_t *work, int status)
{
  struct snm__creds_job *job = work->data;
  struct snm_creds_provider *p = job->p;
  struct snm_creds_wait *w;
  int rc;

  flush_logs(&job->ctx);
  if (p == NULL) { /* abandoned: the provider is gone */
    job_free(job);
    return;
  }
  assert(status == 0); /* only an abandoned job is cancelled */
  (void)status;
  p->job = NULL;
  rc = snm__creds_install(p, job->from, job->rc, &job->result, &job->err);
  /* one at a time from the list, so that a callback may cancel a later
   * waiter; waiters of a fetch a callback starts stay */
  while ((w = p->waiters) != NULL && w->gen == job->gen) {
    p->waiters = w->next;
    if (p->waiters == NULL)
      p->waiters_tail = &p->waiters;
    w->p = NULL;
    w->next = NULL;
    w->cb(w, rc, &job->err);
  }
  job_free(job);
}

int snm_creds_provider_fetch(struct snm_creds_provider *p, uv_loop_t *loop,
                             struct snm_creds_wait *w, snm_creds_wait_fn cb,
                             struct snm_err *err)
{
  struct snm__creds_job *job;
  int uvrc;

  assert(p != NULL && loop != NULL);
  assert(w == NULL || (cb != NULL && w->p == NULL));
  if (p->job == NULL) {
    job = calloc(1, sizeof(*job));
    if (job == NULL)
      return snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
    job->work.data = job;
    job->p = p;
    job->from = p->source;
    job->gen = ++p->gen;
    job->ctx.logs_tail = &job->ctx.logs;
    atomic_init(&job->ctx.cancel, 0);
    snm__fetched_init(&job->result);
    snm_err_clear(&job->err);
    if (snm__creds_conf_init(&job->conf, &p->conf.opts) < 0 ||
        (p->role_profile != NULL &&
         (job->role_profile = strdup(p->role_profile)) == NULL)) {
      job_free(job);
      return snm_err_set(err, SNM_ENOMEM, "credentials: out of memory");
    }
    job->conf.opts.now = NULL; /* the clock is the loop thread's */
    job->conf.opts.now_payload = NULL;
    uvrc = uv_queue_work(loop, &job->work, on_job_work, on_job_done);
    if (uvrc != 0) {
      job_free(job);
      return snm_err_set(err, SNM_EIO,
                         "AWS credentials: cannot start the fetch on the "
                         "thread pool: %s",
                         uv_strerror(uvrc));
    }
    p->job = job;
  }
  if (w != NULL) {
    w->cb = cb;
    w->p = p;
    w->gen = p->gen;
    w->next = NULL;
    *p->waiters_tail = w;
    p->waiters_tail = &w->next;
  }
  return 0;
}

int snm_creds_provider_busy(const struct snm_creds_provider *p)
{
  return p->job != NULL;
}

void snm_creds_provider_cancel(struct snm_creds_provider *p)
{
  if (p->job != NULL)
    atomic_store(&p->job->ctx.cancel, 1);
}

void snm_creds_wait_cancel(struct snm_creds_wait *w)
{
  struct snm_creds_provider *p = w->p;
  struct snm_creds_wait **link;

  if (p == NULL)
    return;
  for (link = &p->waiters; *link != NULL; link = &(*link)->next)
    if (*link == w)
      break;
  assert(*link == w);
  *link = w->next;
  if (p->waiters_tail == &w->next)
    p->waiters_tail = link;
  w->p = NULL;
  w->next = NULL;
}

void snm_creds_provider_free(struct snm_creds_provider *p)
{
  struct snm_creds_wait *w, *next;

  if (p == NULL)
    return;
  for (w = p->waiters; w != NULL; w = next) {
    next = w->next;
    w->p = NULL;
    w->next = NULL;
  }
  if (p->job != NULL) {
    /* abandoned: the worker stops early; on_job_done frees the job */
    snm_creds_provider_cancel(p);
    p->job->p = NULL;
    (void)uv_cancel((uv_req_t *)&p->job->work); /* if it has not started */
  }
  snm_creds_dispose(&p->cached);
  snm__creds_conf_dispose(&p->conf);
  free(p->role_profile);
  OPENSSL_cleanse(p, sizeof(*p));
  free(p);
}
