/* preflight_int.h - shared by preflight*.c and report_check.c only. */
#ifndef SNM_PREFLIGHT_INT_H
#define SNM_PREFLIGHT_INT_H

#include "preflight.h"

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Free pf->restores and pf->issues, leaving them empty. */
void snm__preflight_clear_verdicts(struct snm_preflight *pf);

/* Compare d->repo_have_json with d->repo_want_json (both set): sets
 * d->repo_state to MATCHES or DIFFERS and d->repo_diff to the differing
 * keys.  Values compare normalised (servers return strings: "true" ==
 * true, "5" == 5).  Returns 0 or SNM_ENOMEM. */
int snm__preflight_compare_repo(struct snm_pf_domain *d);

/* Saturating arithmetic for counts and sizes that come from servers: the
 * result is clamped to [LLONG_MIN, LLONG_MAX] instead of overflowing. */
long long snm__sat_add(long long a, long long b);
long long snm__sat_mul(long long a, long long b);

/* Open shards from a _cluster/health reply: active + initializing +
 * unassigned (a missing one counts 0); -1 (unknown) when one is not a
 * count (negative, fractional, out of range, not a number) or the sum does
 * not fit a long. */
long snm__preflight_open_shards(yajl_val health);

/* Write a yajl tree into a generator (also used by report_check.c). */
void snm__gen_yajl(yajl_gen g, yajl_val v);

#endif
