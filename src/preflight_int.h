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

/* The bytes a node with `avail` of `total` bytes free may still fill
 * below the high disk watermark `high`: "90%", "0.9" (share of the disk
 * that may be used) or "500mb" (space that must stay free; units b, kb
 * .. pb, or k .. p).  -1 (unknown) for a watermark that is not one of
 * those (NaN, infinite, negative, over 100% or 1.0, a size past 2^63
 * bytes, another suffix) or negative figures. */
long long snm__preflight_usable(const char *high, long long avail,
                                long long total);

/* d->disk_avail and d->disk_usable from the per-node figures (unchanged
 * when there are none): saturating sums; disk_usable is -1 when the
 * watermark is not understood. */
void snm__preflight_sum_disk(struct snm_pf_domain *d);

/* Write a yajl tree into a generator (also used by report_check.c). */
void snm__gen_yajl(yajl_gen g, yajl_val v);

#endif
