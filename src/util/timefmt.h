/* timefmt.h - wall-clock time as milliseconds since the epoch, and its
 * RFC 3339 UTC form ("2026-11-23T23:59:01.123Z").
 *
 * Pure functions except snm_time_now_ms(); no locale, no time zone: the
 * conversions use the proleptic Gregorian calendar directly, so they do not
 * depend on TZ or on timegm(). */
#ifndef SNM_TIMEFMT_H
#define SNM_TIMEFMT_H

#include "err.h"

#include <stddef.h>

#define SNM_TIME_RFC3339_MAX 32 /* buffer size that fits any output */

/* Milliseconds since 1970-01-01T00:00:00Z (CLOCK_REALTIME). */
long long snm_time_now_ms(void);

/* Format `ms` as RFC 3339 UTC into `out` (at least SNM_TIME_RFC3339_MAX
 * bytes): "YYYY-MM-DDTHH:MM:SS.mmmZ" when `millis`, else
 * "YYYY-MM-DDTHH:MM:SSZ".  Years outside 0000..9999 are clamped.
 * Returns `out`. */
char *snm_time_format(char *out, long long ms, int millis);

/* Parse ISO 8601 / RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)"
 * as the ECS and IMDS credential endpoints and the state file write it:
 * 't' or a space for 'T', 'z' for 'Z', ',' for '.', and "+HHMM" offsets
 * are accepted too; a fraction past milliseconds is dropped.  Returns 0
 * and *out_ms; SNM_EINVAL when `s` is not such a time or a field is out of
 * range. */
int snm_time_parse(const char *s, long long *out_ms) SNM_MUST_CHECK;

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12,
 * d 1..31, not checked against the month). */
long long snm_time_from_civil(long long y, unsigned m, unsigned d);

#endif
