/* SPDX-License-Identifier: Apache-2.0 */
/* timefmt.c - RFC 3339 UTC timestamps without TZ or timegm(). */
#include "timefmt.h"
#include "err.h"

#include <ctype.h>
#include <stdio.h>
#include <time.h>

long long snm_time_now_ms(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return (long long)time(NULL) * 1000;
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* H. Hinnant's days_from_civil. */
long long snm_time_from_civil(long long y, unsigned m, unsigned d)
{
  long long era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
  long long era;
  unsigned doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (long long)yoe + era * 400 + (*m <= 2);
}

char *snm_time_format(char *out, long long ms, int millis)
{
  long long days, secs, y;
  unsigned mo, d;
  int frac;

  days = ms / 86400000;
  secs = ms % 86400000;
  if (secs < 0) {
    secs += 86400000;
    days--;
  }
  frac = (int)(secs % 1000);
  secs /= 1000;
  civil_from_days(days, &y, &mo, &d);
  if (y < 0)
    y = 0;
  else if (y > 9999)
    y = 9999;
  if (millis)
    snprintf(out, SNM_TIME_RFC3339_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
             y, mo, d, (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60), frac);
  else
    snprintf(out, SNM_TIME_RFC3339_MAX, "%04lld-%02u-%02uT%02d:%02d:%02dZ", y,
             mo, d, (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60));
  return out;
}

/* `n` decimal digits at *s; advances *s.  -1 when they are not digits. */
static int digits(const char **s, int n)
{
  int v = 0;

  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*s)[i]))
      return -1;
    v = v * 10 + ((*s)[i] - '0');
  }
  *s += n;
  return v;
}

int snm_time_parse(const char *s, long long *out_ms)
{
  static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  int y, mo, d, h, mi, se, ms = 0, off = 0;

  if ((y = digits(&s, 4)) < 0 || *s++ != '-' || (mo = digits(&s, 2)) < 0 ||
      *s++ != '-' || (d = digits(&s, 2)) < 0)
    return SNM_EINVAL;
  if (*s != 'T' && *s != 't' && *s != ' ')
    return SNM_EINVAL;
  s++;
  if ((h = digits(&s, 2)) < 0 || *s++ != ':' || (mi = digits(&s, 2)) < 0 ||
      *s++ != ':' || (se = digits(&s, 2)) < 0)
    return SNM_EINVAL;
  if (*s == '.' || *s == ',') {
    int scale = 100;

    s++;
    if (!isdigit((unsigned char)*s))
      return SNM_EINVAL;
    for (; isdigit((unsigned char)*s); s++, scale /= 10)
      ms += (*s - '0') * scale;
  }
  if (*s == 'Z' || *s == 'z') {
    s++;
  } else if (*s == '+' || *s == '-') {
    int sign = *s++ == '-' ? -1 : 1, oh, om;

    if ((oh = digits(&s, 2)) < 0)
      return SNM_EINVAL;
    if (*s == ':')
      s++;
    if ((om = digits(&s, 2)) < 0 || oh > 23 || om > 59)
      return SNM_EINVAL;
    off = sign * (oh * 60 + om);
  } else {
    return SNM_EINVAL;
  }
  if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || (unsigned)d > mdays[mo - 1] ||
      h > 23 || mi > 59 || se > 60)
    return SNM_EINVAL;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return SNM_EINVAL;
  *out_ms = ((snm_time_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
              h * 3600LL + mi * 60LL + se - off * 60LL) *
             1000) +
            ms;
  return 0;
}
