/* preflight_int.h - shared by preflight*.c and report_check.c only. */
#ifndef SNM_PREFLIGHT_INT_H
#define SNM_PREFLIGHT_INT_H

#include "preflight.h"

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Free pf->restores and pf->issues, leaving them empty. */
void snm__preflight_clear_verdicts(struct snm_preflight *pf);

/* Write a yajl tree into a generator (also used by report_check.c). */
void snm__gen_yajl(yajl_gen g, yajl_val v);

#endif
