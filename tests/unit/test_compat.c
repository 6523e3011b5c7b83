/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for compat.c: version parsing and restore compatibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "compat.h"

static struct snm_version ver(enum snm_engine e, const char *s)
{
  struct snm_version v;
  assert_int_equal(snm_version_parse(&v, e, s), 0);
  return v;
}

#define ES SNM_ENGINE_ELASTICSEARCH
#define OS SNM_ENGINE_OPENSEARCH

static void test_parse(void **state)
{
  struct snm_version v;
  char buf[64];
  (void)state;

  assert_int_equal(snm_version_parse(&v, ES, "7.10.2"), 0);
  assert_int_equal(v.major, 7);
  assert_int_equal(v.minor, 10);
  assert_int_equal(v.patch, 2);
  assert_int_equal(snm_version_parse(&v, OS, "3.0.0-SNAPSHOT"), 0);
  assert_int_equal(v.major, 3);
  assert_int_equal(snm_version_parse(&v, OS, "2.19"), 0);
  assert_int_equal(v.patch, 0);
  assert_string_equal(snm_version_str(buf, sizeof(buf), &v),
                      "OpenSearch 2.19.0");
  assert_int_equal(snm_version_parse(&v, OS, "2"), -1);
  assert_int_equal(snm_version_parse(&v, OS, "a.b"), -1);
  assert_int_equal(snm_version_parse(&v, OS, "2.19.1x"), -1);
  assert_int_equal(snm_version_parse(&v, OS, NULL), -1);
}

static void test_from_id(void **state)
{
  struct snm_version v;
  (void)state;

  /* Elasticsearch 7.10.2 */
  assert_int_equal(snm_version_from_id(&v, 7100299), 0);
  assert_int_equal(v.engine, ES);
  assert_int_equal(v.major, 7);
  assert_int_equal(v.minor, 10);
  assert_int_equal(v.patch, 2);
  /* OpenSearch 2.19.1: id 2190199 with the 0x08000000 bit */
  assert_int_equal(snm_version_from_id(&v, 2190199L ^ 0x08000000L), 0);
  assert_int_equal(v.engine, OS);
  assert_int_equal(v.major, 2);
  assert_int_equal(v.minor, 19);
  assert_int_equal(v.patch, 1);
  assert_int_equal(snm_version_from_id(&v, 0), -1);
}

static int compat(struct snm_version src, const char *created_id,
                  struct snm_version tgt, char *why)
{
  struct snm_version c;
  if (created_id == NULL)
    return snm_compat_restore(&src, NULL, &tgt, why, 256);
  if (strchr(created_id, ':') != NULL)
    c = ver(created_id[0] == 'o' ? OS : ES, strchr(created_id, ':') + 1);
  else
    assert_true(0);
  return snm_compat_restore(&src, &c, &tgt, why, 256);
}

static void test_rules(void **state)
{
  char why[256];
  (void)state;

  /* Same version and forward within a major. */
  assert_int_equal(
      compat(ver(OS, "2.19.1"), "o:2.19.1", ver(OS, "2.19.1"), why), 1);
  assert_int_equal(compat(ver(OS, "2.11.0"), "o:2.3.0", ver(OS, "2.19.1"), why),
                   1);
  /* Elasticsearch 7.10 -> OpenSearch 1 and 2. */
  assert_int_equal(
      compat(ver(ES, "7.10.2"), "e:7.10.2", ver(OS, "2.19.1"), why), 1);
  assert_int_equal(compat(ver(ES, "7.10.2"), "e:6.8.0", ver(OS, "1.3.0"), why),
                   1);
  /* OpenSearch 2 refuses 6.x-created indices. */
  assert_int_equal(compat(ver(ES, "7.10.2"), "e:6.8.0", ver(OS, "2.19.1"), why),
                   0);
  assert_non_null(strstr(why, "6.8.0"));
  /* OpenSearch 3 refuses Elasticsearch 7 and OpenSearch 1 indices. */
  assert_int_equal(compat(ver(ES, "7.10.2"), "e:7.10.2", ver(OS, "3.0.0"), why),
                   0);
  assert_int_equal(compat(ver(OS, "2.19.1"), "o:1.3.0", ver(OS, "3.0.0"), why),
                   0);
  assert_non_null(strstr(why, "one major version back"));
  assert_int_equal(compat(ver(OS, "2.19.1"), "o:2.19.1", ver(OS, "3.1.0"), why),
                   1);
  /* Snapshots from Elasticsearch 7.12+ or 8 are unreadable by OpenSearch. */
  assert_int_equal(compat(ver(ES, "7.12.0"), NULL, ver(OS, "2.19.1"), why), 0);
  assert_non_null(strstr(why, "cannot be read by OpenSearch"));
  assert_int_equal(compat(ver(ES, "8.11.0"), NULL, ver(OS, "2.19.1"), why), 0);
  /* Never backwards. */
  assert_int_equal(compat(ver(OS, "2.19.1"), NULL, ver(OS, "2.11.0"), why), 0);
  assert_non_null(strstr(why, "older"));
  assert_int_equal(compat(ver(OS, "2.19.1"), NULL, ver(ES, "7.10.2"), why), 0);
  assert_non_null(strstr(why, "Elasticsearch cannot restore"));
  assert_int_equal(compat(ver(ES, "7.10.2"), NULL, ver(ES, "7.9.0"), why), 0);
  /* Elasticsearch forward by one major. */
  assert_int_equal(compat(ver(ES, "7.17.0"), "e:6.8.0", ver(ES, "7.17.0"), why),
                   1);
  assert_int_equal(compat(ver(ES, "7.17.0"), "e:6.8.0", ver(ES, "8.11.0"), why),
                   0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_from_id),
      cmocka_unit_test(test_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
