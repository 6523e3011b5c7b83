/* SPDX-License-Identifier: Apache-2.0 */
/* workflow_steps.c - the run's step table and a target's: for every
 * state, its name, the state file's step it belongs to (which is also the
 * "step" of the events sent in it), the function that drives it and the
 * state a fresh run goes to next.
 *
 * Adding a step: a value in enum wf_state (workflow_int.h), a row here
 * (and the `next` of the row before it), and its driver.  The driver
 * leaves its state only through wf_enter()/wf_next(); wf_dispatch() runs
 * whatever row the run is in.
 */
#include "workflow_int.h"

#include <assert.h>

/* clang-format off */
static const struct wf_step steps[WF_N_STATES] = {
  /*                  name            state file's step    driver                next */
  [WF_PREFLIGHT]    = {"preflight",    SNM_STEP_PREFLIGHT,  wf_step_preflight,    WF_REGISTER},
  [WF_REGISTER]     = {"register",     SNM_STEP_REPOSITORY, wf_step_register,     WF_BLOCK},
  [WF_BLOCK]        = {"block",        WF_KEEP_STEP,        wf_step_block,        WF_COUNT_BEFORE},
  [WF_SNAP_LOOKUP]  = {"snap_lookup",  SNM_STEP_SNAPSHOT,   wf_step_lookup,       WF_SNAP_POLL},
  [WF_COUNT_BEFORE] = {"count_before", SNM_STEP_SNAPSHOT,   wf_step_count_before, WF_SNAP_CREATE},
  [WF_SNAP_CREATE]  = {"snap_create",  SNM_STEP_SNAPSHOT,   wf_step_create,       WF_SNAP_POLL},
  [WF_SNAP_POLL]    = {"snap_poll",    SNM_STEP_SNAPSHOT,   wf_step_poll,         WF_SNAP_INFO},
  [WF_SNAP_INFO]    = {"snap_info",    SNM_STEP_SNAPSHOT,   wf_step_info,         WF_COUNT_AFTER},
  [WF_COUNT_AFTER]  = {"count_after",  SNM_STEP_SNAPSHOT,   wf_step_count_after,  WF_METADATA},
  [WF_METADATA]     = {"metadata",     SNM_STEP_RESTORE,    wf_step_metadata,     WF_RESTORE},
  [WF_RESTORE]      = {"restore",      SNM_STEP_RESTORE,    wf_step_restore,      WF_VERIFY},
  [WF_VERIFY]       = {"verify",       SNM_STEP_VERIFY,     wf_step_verify,       WF_SWITCH},
  [WF_SWITCH]       = {"switch",       SNM_STEP_VERIFY,     wf_step_switch,       WF_UNBLOCK},
  [WF_UNBLOCK]      = {"unblock",      SNM_STEP_VERIFY,     wf_step_unblock,      WF_PRUNE},
  [WF_PRUNE]        = {"prune",        SNM_STEP_VERIFY,     wf_step_prune,        WF_FINISHED},
  [WF_FINISHED]     = {"finished",     SNM_STEP_DONE,       wf_step_finished,     WF_FINISHED},
  [WF_STOPPING]     = {"stopping",     WF_KEEP_STEP,        NULL,                 WF_STOPPING},
  [WF_ROLLBACK]     = {"rollback",     WF_KEEP_STEP,        wf_step_rollback,     WF_STOPPING},
};

/* A target's restore (driven by WF_RESTORE) and verification (WF_VERIFY). */
static const struct wf_tstep tsteps[WFT_N_STATES] = {
  /*                name        part          driver             next */
  [WFT_WAITING]  = {"waiting",  WF_RESTORE,   wf_tstep_wait,     WFT_LIST},
  [WFT_LIST]     = {"list",     WF_RESTORE,   wf_tstep_probe,    WFT_ORIGIN},
  [WFT_ORIGIN]   = {"origin",   WF_RESTORE,   wf_tstep_probe,    WFT_ROUTING},
  [WFT_ROUTING]  = {"routing",  WF_RESTORE,   wf_tstep_probe,    WFT_POST},
  [WFT_CLOSE]    = {"close",    WF_RESTORE,   wf_tstep_close,    WFT_POST},
  [WFT_POST]     = {"post",     WF_RESTORE,   wf_tstep_post,     WFT_RECOVER},
  [WFT_RECOVER]  = {"recover",  WF_RESTORE,   wf_tstep_recover,  WFT_IDENTITY},
  [WFT_IDENTITY] = {"identity", WF_RESTORE,   wf_tstep_identity, WFT_RESTORED},
  [WFT_RESTORED] = {"restored", WF_VERIFY,    wf_tstep_verify,   WFT_REFRESH},
  [WFT_REFRESH]  = {"refresh",  WF_VERIFY,    wf_tstep_refresh,  WFT_COUNT},
  [WFT_COUNT]    = {"count",    WF_VERIFY,    wf_tstep_count,    WFT_SAMPLE},
  [WFT_SAMPLE]   = {"sample",   WF_VERIFY,    wf_tstep_sample,   WFT_VERIFIED},
  [WFT_VERIFIED] = {"verified", WF_N_STATES,  NULL,              WFT_VERIFIED},
  [WFT_FAILED]   = {"failed",   WF_N_STATES,  NULL,              WFT_FAILED},
};
/* clang-format on */

const struct wf_step *wf_step(enum wf_state s)
{
  assert((size_t)s < WF_N_STATES && steps[s].name != NULL);
  return &steps[s];
}

const struct wf_tstep *wf_tstep(enum wf_tstate s)
{
  assert((size_t)s < WFT_N_STATES && tsteps[s].name != NULL);
  return &tsteps[s];
}

const char *wf_step_event_name(enum wf_state s, enum snm_step saved)
{
  int step = wf_step(s)->step;

  return snm_step_name(step == WF_KEEP_STEP ? saved : (enum snm_step)step);
}
