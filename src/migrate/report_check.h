/* SPDX-License-Identifier: Apache-2.0 */
/* report_check.h - `snapmig check`'s report of a finished preflight: a
 * human one and one JSON document (shape in docs/check.md). */
#ifndef SNM_REPORT_CHECK_H
#define SNM_REPORT_CHECK_H

#include <stdio.h>

struct snm_preflight;

/* Per domain (engine, version, health, repository), the source indices,
 * each restore's source -> target table, then blockers and warnings with
 * what to do, and a result line.  `quiet`: only the issues and the result
 * line. */
void snm_report_check_human(FILE *fp, const struct snm_preflight *pf,
                            int quiet);

/* The same as one JSON document and a newline.  Returns 0, or SNM_ENOMEM
 * (nothing written). */
int snm_report_check_json(FILE *fp, const struct snm_preflight *pf);

/* "1.5 GiB", "812 B", "?" for a negative size, into buf; returns buf. */
const char *snm_report_bytes(char *buf, size_t bufsz, long long bytes);

#endif
