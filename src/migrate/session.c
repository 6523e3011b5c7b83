/* SPDX-License-Identifier: Apache-2.0 */
/* session.c - one loop, one engine, one snm_es per domain (session.h). */
#include "session.h"
#include "es.h"
#include "http.h"
#include "log.h"
#include "plan.h"
#include "snm_version.h"

#include <assert.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

int snm_session_init(struct snm_session *s, const struct snm_plan *plan,
                     int read_only, const char *name, struct snm_err *err)
{
  struct snm_http_opts hopts = {0};
  int rc;

  memset(s, 0, sizeof(*s));
  s->name = name;
  s->es = calloc(plan->n_domains + 1, sizeof(*s->es));
  s->es_init_err = calloc(plan->n_domains + 1, sizeof(*s->es_init_err));
  if (s->es == NULL || s->es_init_err == NULL)
    return snm_err_set(err, SNM_ENOMEM, "%s: out of memory", name);
  if ((rc = uv_loop_init(&s->loop)) != 0)
    return snm_err_set(err, SNM_EIO, "%s: cannot create an event loop: %s",
                       name, uv_strerror(rc));
  s->loop_ok = 1;
  hopts.user_agent = SNM_USER_AGENT;
  if ((rc = snm_http_new(&s->http, &s->loop, &hopts, err)) != 0) {
    s->http = NULL;
    return rc;
  }
  s->n_es = plan->n_domains;
  for (size_t i = 0; i < s->n_es; i++) {
    if (snm_es_init(&s->es[i], &plan->domains[i], s->http,
                    &s->es_init_err[i]) != 0)
      snm_log(SNM_LOG_WARN, "%s", s->es_init_err[i].msg);
    s->es[i].read_only = read_only;
  }
  return 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
  struct snm_session *s = h->data;

  if (s->stopped)
    return;
  s->stopped = 1;
  snm_log(SNM_LOG_WARN, "%s: %s, stopping",
          s->name != NULL ? s->name : "snapmig",
          signum == SIGINT ? "interrupted" : "terminated");
  s->on_stop(s->stop_data, signum);
}

void snm_session_on_stop(struct snm_session *s,
                         void (*on_stop)(void *data, int signum), void *data)
{
  assert(s->loop_ok && !s->signals_on && on_stop != NULL);
  s->on_stop = on_stop;
  s->stop_data = data;
  uv_signal_init(&s->loop, &s->sigint);
  uv_signal_init(&s->loop, &s->sigterm);
  s->sigint.data = s->sigterm.data = s;
  uv_signal_start(&s->sigint, on_signal, SIGINT);
  uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  s->signals_on = 1;
}

void snm_session_close(struct snm_session *s)
{
  if (s->signals_on) {
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    s->signals_on = 0;
  }
  if (s->http != NULL)
    snm_http_close(s->http, NULL, NULL);
  s->http = NULL;
}

int snm_session_dispose(struct snm_session *s)
{
  int rc = 0;

  snm_session_close(s);
  if (s->loop_ok) {
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if ((rc = uv_loop_close(&s->loop)) != 0)
      snm_log(SNM_LOG_WARN, "%s: the event loop still had open handles",
              s->name != NULL ? s->name : "snapmig");
    s->loop_ok = 0;
  }
  for (size_t i = 0; i < s->n_es; i++)
    snm_es_dispose(&s->es[i]);
  free(s->es);
  free(s->es_init_err);
  s->es = NULL;
  s->es_init_err = NULL;
  s->n_es = 0;
  return rc;
}
