/* SPDX-License-Identifier: Apache-2.0 */
/* pf_cluster.c - the scripted stand-in cluster of pf_cluster.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pf_cluster.h"

void snm_test_pf_add(struct snm_standin *s, const char *path, int status,
                     const char *headers, const char *body)
{
  /* the counts are the one POST a read-only check sends */
  struct snm_standin_reply r = {
      .method = strcmp(path, "/_msearch") == 0 ? "POST" : "GET",
      .path = path,
      .status = status,
      .headers = headers,
      .body = body};
  assert_int_equal(snm_standin_add(s, &r), 0);
}

void snm_test_pf_cluster(struct snm_standin *s, int source, const char *version,
                         const char *distribution, const char *target_indices)
{
  char root[256];

  snprintf(root, sizeof(root),
           "{\"name\":\"n\",\"cluster_name\":\"%s\",\"cluster_uuid\":\"%s\","
           "\"version\":{\"number\":\"%s\"%s%s%s}}",
           source ? "c-src" : "c-dst", source ? "uuid-src" : "uuid-dst",
           version, distribution ? ",\"distribution\":\"" : "",
           distribution ? distribution : "", distribution ? "\"" : "");
  snm_test_pf_add(s, "/", 200, SNM_TEST_JSON_CT, root);
  snm_test_pf_add(
      s, "/_cluster/health", 200, SNM_TEST_JSON_CT,
      "{\"status\":\"green\",\"number_of_data_nodes\":1,\"active_shards\":1,"
      "\"initializing_shards\":0,\"unassigned_shards\":0}");
  snm_test_pf_add(
      s, "/_snapshot/r", 404, SNM_TEST_JSON_CT,
      "{\"error\":{\"type\":\"repository_missing_exception\",\"reason\":"
      "\"[r] missing\"},\"status\":404}");
  snm_test_pf_add(
      s, "/_cat/snapshots/r*", 404, SNM_TEST_JSON_CT,
      "{\"error\":{\"type\":\"repository_missing_exception\",\"reason\":"
      "\"[r] missing\"},\"status\":404}");
  snm_test_pf_add(s, "/_cat/indices*", 200, SNM_TEST_TEXT_CT,
                  source ? "status health pri.store.size index\n"
                           "open   green             100 logs-1\n"
                         : target_indices);
  snm_test_pf_add(s, "/_cat/aliases*", 200, SNM_TEST_TEXT_CT, "alias index\n");
  snm_test_pf_add(s, "/_snapshot/_status", 200, SNM_TEST_JSON_CT,
                  "{\"snapshots\":[]}");
  snm_test_pf_add(s, "/_data_stream", 200, SNM_TEST_JSON_CT,
                  "{\"data_streams\":[]}");
  snm_test_pf_add(s, "/_index_template", 200, SNM_TEST_JSON_CT,
                  "{\"index_templates\":[]}");
  snm_test_pf_add(
      s, "/_all/_settings*", 200, SNM_TEST_JSON_CT,
      "{\"logs-1\":{\"settings\":{\"index.number_of_shards\":\"1\","
      "\"index.number_of_replicas\":\"0\",\"index.version.created\":"
      "\"136407927\"}}}");
  snm_test_pf_add(
      s, "/_msearch", 200, SNM_TEST_JSON_CT,
      "{\"responses\":[{\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}"
      ",\"hits\":{\"total\":{\"value\":5,\"relation\":\"eq\"}},\"status\":200}]"
      "}");
  snm_test_pf_add(
      s, "/_cat/allocation*", 200, SNM_TEST_JSON_CT,
      "[{\"shards\":\"1\",\"disk.avail\":\"1000000000\",\"disk.total\":"
      "\"2000000000\",\"node\":\"n\"}]");
  snm_test_pf_add(
      s, "/_cluster/settings*", 200, SNM_TEST_JSON_CT,
      "{\"persistent\":{},\"transient\":{},\"defaults\":{"
      "\"cluster.max_shards_per_node\":\"1000\","
      "\"cluster.routing.allocation.disk.threshold_enabled\":\"true\","
      "\"cluster.routing.allocation.disk.watermark.high\":\"90%\"}}");
}
