/* SPDX-License-Identifier: Apache-2.0 */
/* progress_int.h - internals shared by progress.c (modes, throttling,
 * drawing) and progress_text.c (the human text of each event type).  Not
 * part of the public API. */
#ifndef SNM_PROGRESS_INT_H
#define SNM_PROGRESS_INT_H

#include "buf.h"
#include "progress.h"

/* The field called `key`, or NULL. */
const struct snm_field *snm__field(const struct snm_field *f, size_t n,
                                   const char *key);

/* Append the human text of an event ("12/40 shards, 1.2 GiB of 4.0 GiB,
 * 35 MiB/s, ETA 1m12s"); unknown types get "TYPE key=value ...".
 * Returns 0 or SNM_ENOMEM. */
int snm__progress_text(struct snm_buf *out, const char *type,
                       const struct snm_field *f, size_t n);

/* How far a progress event is, 0..1, from bytes_done/bytes_total, else
 * shards_done/shards_total, else files_done/files_total; -1 unknown. */
double snm__progress_fraction(const struct snm_field *f, size_t n);

#endif
