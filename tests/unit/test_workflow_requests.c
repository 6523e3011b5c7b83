/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for workflow_snapshot.c and workflow_restore.c: request bodies
 * built from a plan (exact JSON) and the reply parsers (snapshot status and
 * info, failures, recovery, health).  No server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_fixture.h"
#include "workflow.h"

static const char *PLAN =
    "{\"snapmig\": 1, \"name\": \"Logs\",\n"
    " \"domains\": {\"a\": {\"endpoint\": \"http://127.0.0.1:1\"},\n"
    "             \"b\": {\"endpoint\": \"http://127.0.0.1:2\"}},\n"
    " \"repository\": {\"name\": \"r\", \"type\": \"fs\",\n"
    "                \"settings\": {\"location\": \"/x\"}},\n"
    " \"snapshot\": {\"domain\": \"a\", \"indices\": [\"logs-*\"],\n"
    "              \"include_global_state\": true},\n"
    " \"restores\": [\n"
    "   {\"domain\": \"b\", \"rename\": {\"pattern\": \"^(.+)$\",\n"
    "                               \"replacement\": \"old-$1\"},\n"
    "    \"index_settings\": {\"index.number_of_replicas\": 0},\n"
    "    \"ignore_index_settings\": [\"index.refresh_interval\",\n"
    "                              \"index.routing\"],\n"
    "    \"include_aliases\": false},\n"
    "   {\"domain\": \"b\"}]}\n";

static yajl_val parse(const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));
  if (v == NULL)
    fail_msg("bad test JSON: %s", errbuf);
  return v;
}

static void test_snapshot_body(void **state)
{
  struct snm_plan *p = snm_test_plan_parse(PLAN, NULL);
  const char *names[] = {"logs-1", "logs-2"};
  char *body = NULL;

  (void)state;
  assert_int_equal(snm_wf_snapshot_body(&body, p, names, 2, 1, "RID", "9.9"),
                   0);
  assert_string_equal(
      body, "{\"indices\":\"logs-1,logs-2\",\"include_global_state\":true,"
            "\"partial\":false,\"metadata\":{\"snapmig_plan\":\"Logs\","
            "\"snapmig_version\":\"9.9\",\"snapmig_run_id\":\"RID\"}}");
  free(body);
  /* no metadata where the engine would refuse it */
  assert_int_equal(snm_wf_snapshot_body(&body, p, names, 1, 0, "RID", "9.9"),
                   0);
  assert_string_equal(body, "{\"indices\":\"logs-1\",\"include_global_state\":"
                            "true,\"partial\":false}");
  free(body);
  snm_plan_free(p);
}

static void test_metadata_support(void **state)
{
  struct snm_version v = {SNM_ENGINE_ELASTICSEARCH, 7, 2, 0};

  (void)state;
  assert_false(snm_wf_supports_metadata(&v));
  v.minor = 3;
  assert_true(snm_wf_supports_metadata(&v));
  v.major = 6;
  v.minor = 8;
  assert_false(snm_wf_supports_metadata(&v));
  v.engine = SNM_ENGINE_OPENSEARCH;
  v.major = 1;
  v.minor = 0;
  assert_true(snm_wf_supports_metadata(&v));
}

static void test_restore_body(void **state)
{
  struct snm_plan *p = snm_test_plan_parse(PLAN, NULL);
  const char *names[] = {"logs-1", "logs-2"};
  char *body = NULL;

  (void)state;
  assert_int_equal(snm_wf_restore_body(&body, &p->restores[0], names, 2), 0);
  assert_string_equal(
      body, "{\"indices\":\"logs-1,logs-2\",\"include_global_state\":false,"
            "\"include_aliases\":false,\"rename_pattern\":\"^(.+)$\","
            "\"rename_replacement\":\"old-$1\",\"index_settings\":{"
            "\"index.number_of_replicas\":0},\"ignore_index_settings\":"
            "\"index.refresh_interval,index.routing\"}");
  free(body);
  assert_int_equal(snm_wf_restore_body(&body, &p->restores[1], names, 1), 0);
  assert_string_equal(body, "{\"indices\":\"logs-1\",\"include_global_state\":"
                            "false,\"include_aliases\":true}");
  free(body);
  snm_plan_free(p);
}

/* A restore names a data stream, not its backing indices. */
static void test_restore_names(void **state)
{
  struct snm_state_restore sr;
  struct snm_state_index ix[3];
  const char *sources[] = {"logs-1", ".ds-app-000001", ".ds-app-000002"};
  const char **names = NULL;
  size_t n = 0;

  (void)state;
  memset(&sr, 0, sizeof(sr));
  memset(ix, 0, sizeof(ix));
  for (size_t i = 0; i < 3; i++) {
    ix[i].source = (char *)sources[i];
    ix[i].target = (char *)sources[i];
    if (i > 0) {
      ix[i].data_stream = (char *)"app";
      ix[i].target_stream = (char *)"m-app";
    }
  }
  sr.indices = ix;
  sr.n_indices = 3;
  assert_int_equal(snm_wf_restore_names(&names, &n, &sr, sources, 3), 0);
  assert_int_equal(n, 2);
  assert_string_equal(names[0], "logs-1");
  assert_string_equal(names[1], "app");
  free(names);
  /* only the stream's */
  assert_int_equal(snm_wf_restore_names(&names, &n, &sr, sources + 2, 1), 0);
  assert_int_equal(n, 1);
  assert_string_equal(names[0], "app");
  free(names);
}

static void test_status_running(void **state)
{
  yajl_val v = parse(
      "{\"snapshots\":[{\"snapshot\":\"other\",\"state\":\"SUCCESS\"},"
      "{\"snapshot\":\"s1\",\"repository\":\"r\",\"state\":\"STARTED\","
      "\"shards_stats\":{\"initializing\":0,\"started\":2,\"finalizing\":0,"
      "\"done\":3,\"failed\":0,\"total\":5},\"stats\":{\"incremental\":{"
      "\"file_count\":10,\"size_in_bytes\":5000},\"processed\":{"
      "\"file_count\":4,\"size_in_bytes\":1200},\"total\":{\"file_count\":12,"
      "\"size_in_bytes\":6000}}}]}");
  struct snm_es_snap_status s;
  struct snm_err err;

  (void)state;
  assert_int_equal(snm_es_parse_snapshot_status(&s, v, "s1", &err), 0);
  assert_string_equal(s.state, "STARTED");
  assert_int_equal(s.shards_done, 3);
  assert_int_equal(s.shards_total, 5);
  assert_int_equal(s.bytes_done, 1200);
  assert_int_equal(s.bytes_total, 5000);
  assert_int_equal(snm_wf_snapshot_state(s.state), SNM_SNAP_STARTED);
  assert_int_equal(snm_es_parse_snapshot_status(&s, v, "nope", &err),
                   SNM_EPARSE);
  yajl_tree_free(v);
}

static void test_status_done(void **state)
{
  /* a finished snapshot's status has no "processed" */
  yajl_val v =
      parse("{\"snapshots\":[{\"snapshot\":\"s1\",\"state\":\"SUCCESS\","
            "\"shards_stats\":{\"done\":2,\"failed\":0,\"total\":2},\"stats\":{"
            "\"incremental\":{\"size_in_bytes\":777},\"total\":{"
            "\"size_in_bytes\":900}}}]}");
  struct snm_es_snap_status s;
  struct snm_err err;

  (void)state;
  assert_int_equal(snm_es_parse_snapshot_status(&s, v, "s1", &err), 0);
  assert_int_equal(s.bytes_done, 777);
  assert_int_equal(s.bytes_total, 777);
  assert_int_equal(snm_wf_snapshot_state(s.state), SNM_SNAP_SUCCESS);
  yajl_tree_free(v);
}

static void test_info_partial(void **state)
{
  yajl_val v =
      parse("{\"snapshots\":[{\"snapshot\":\"s1\",\"state\":\"PARTIAL\","
            "\"start_time_in_millis\":1000,\"end_time_in_millis\":4500,"
            "\"metadata\":{\"snapmig_run_id\":\"RID\"},"
            "\"failures\":[{\"index\":\"logs-1\",\"shard_id\":2,\"reason\":"
            "\"IndexShardSnapshotFailedException[boom]\",\"status\":"
            "\"INTERNAL_SERVER_ERROR\"},{\"index\":\"logs-2\",\"shard_id\":0,"
            "\"reason\":\"disk\"}],\"shards\":{\"total\":6,\"failed\":2,"
            "\"successful\":4}}]}");
  struct snm_es_snap_info si;
  struct snm_err err;

  (void)state;
  assert_int_equal(snm_es_parse_snapshot_info(&si, v, "s1", &err), 0);
  assert_string_equal(si.state, "PARTIAL");
  assert_int_equal(snm_wf_snapshot_state(si.state), SNM_SNAP_PARTIAL);
  assert_int_equal(si.start_ms, 1000);
  assert_int_equal(si.end_ms, 4500);
  assert_int_equal(si.shards_total, 6);
  assert_int_equal(si.shards_failed, 2);
  assert_string_equal(si.run_id, "RID");
  assert_string_equal(si.failures,
                      "logs-1[2]: IndexShardSnapshotFailedException[boom]; "
                      "logs-2[0]: disk");
  assert_null(si.reason);
  snm_es_snap_info_dispose(&si);
  yajl_tree_free(v);
}

static void test_info_failed_running(void **state)
{
  yajl_val v = parse(
      "{\"snapshots\":[{\"snapshot\":\"s1\",\"state\":\"FAILED\","
      "\"reason\":\"Indices don't have primary shards [x]\","
      "\"start_time_in_millis\":5,\"end_time_in_millis\":9,\"failures\":[],"
      "\"shards\":{\"total\":0,\"failed\":0}},{\"snapshot\":\"s2\","
      "\"state\":\"IN_PROGRESS\",\"start_time_in_millis\":5,"
      "\"end_time_in_millis\":0}]}");
  struct snm_es_snap_info si;
  struct snm_err err;

  (void)state;
  assert_int_equal(snm_es_parse_snapshot_info(&si, v, "s1", &err), 0);
  assert_int_equal(snm_wf_snapshot_state(si.state), SNM_SNAP_FAILED);
  assert_string_equal(si.reason, "Indices don't have primary shards [x]");
  assert_null(si.failures);
  assert_null(si.run_id);
  snm_es_snap_info_dispose(&si);
  assert_int_equal(snm_es_parse_snapshot_info(&si, v, "s2", &err), 0);
  assert_int_equal(snm_wf_snapshot_state(si.state), SNM_SNAP_STARTED);
  assert_int_equal(si.end_ms, -1);
  snm_es_snap_info_dispose(&si);
  yajl_tree_free(v);
}

static void test_recovery(void **state)
{
  yajl_val v =
      parse("{\"new-a\":{\"shards\":["
            "{\"id\":0,\"type\":\"SNAPSHOT\",\"stage\":\"DONE\",\"index\":{"
            "\"size\":{\"total_in_bytes\":1000,\"reused_in_bytes\":0,"
            "\"recovered_in_bytes\":1000},\"files\":{\"total\":4,\"reused\":0,"
            "\"recovered\":4}}},"
            "{\"id\":1,\"type\":\"SNAPSHOT\",\"stage\":\"INDEX\",\"index\":{"
            "\"size\":{\"total_in_bytes\":3000,\"reused_in_bytes\":500,"
            "\"recovered_in_bytes\":700},\"files\":{\"total\":6,\"reused\":1,"
            "\"recovered\":2}}}]},"
            "\"new-b\":{\"shards\":[{\"id\":0,\"stage\":\"DONE\",\"index\":{"
            "\"size\":{\"total_in_bytes\":10,\"recovered_in_bytes\":10},"
            "\"files\":{\"total\":1,\"recovered\":1}}}]}}");
  const char *names[] = {"new-a", "new-b", "new-c"};
  struct snm_es_recovery r;
  struct snm_err err;

  (void)state;
  assert_int_equal(snm_es_parse_recovery(&r, v, names, 3, &err), 0);
  assert_int_equal(r.n, 3);
  assert_int_equal(r.items[0].bytes_total, 4000);
  assert_int_equal(r.items[0].bytes_done, 2200);
  assert_int_equal(r.items[0].files_done, 7);
  assert_int_equal(r.items[0].shards, 2);
  assert_int_equal(r.items[0].shards_done, 1);
  assert_int_equal(r.items[2].shards, 0); /* not there yet */
  /* what the reply did not list is counted, so that a reply that never
   * lists the indices is noticed (safety issue, item 9) */
  assert_int_equal(r.items[0].listed, 1);
  assert_int_equal(r.items[2].listed, 0);
  assert_int_equal(r.unlisted, 1);
  assert_int_equal(r.bytes_total, 4010);
  assert_int_equal(r.bytes_done, 2210);
  assert_int_equal(r.files_total, 11);
  assert_int_equal(r.indices_done, 1);
  snm_es_recovery_dispose(&r);
  yajl_tree_free(v);
}

/* Counts from a hostile or broken server: sums saturate, negatives are 0
 * (the fuzzer's finds in tests/fuzz/crashes/fuzz_replies; UBSan aborted
 * on the signed overflow). */
static void test_recovery_huge_numbers(void **state)
{
  yajl_val v = parse(
      "{\"a\":{\"shards\":["
      "{\"stage\":\"DONE\",\"index\":{\"size\":{\"total_in_bytes\":"
      "9223372036854775807,\"recovered_in_bytes\":9223372036854775807,"
      "\"reused_in_bytes\":9223372036854775807},\"files\":{\"total\":"
      "9223372036854775807,\"recovered\":-5,\"reused\":"
      "9223372036854775807}}},"
      "{\"stage\":\"DONE\",\"index\":{\"size\":{\"total_in_bytes\":"
      "9223372036854775807},\"files\":{\"total\":9223372036854775807}}}]},"
      "\"b\":{\"shards\":[{\"stage\":\"INDEX\",\"index\":{\"size\":{"
      "\"total_in_bytes\":9223372036854775807,\"recovered_in_bytes\":-7}}}]}}");
  const char *names[] = {"a", "b"};
  struct snm_es_recovery r, whole;
  struct snm_err err;

  (void)state;
  assert_int_equal(snm_es_parse_recovery(&r, v, names, 2, &err), 0);
  assert_int_equal(r.items[0].bytes_total, LLONG_MAX);
  assert_int_equal(r.items[0].bytes_done, LLONG_MAX);
  assert_int_equal(r.items[0].files_total, LLONG_MAX);
  assert_int_equal(r.items[1].bytes_done, 0);
  assert_int_equal(r.bytes_total, LLONG_MAX);
  /* merging chunks sums the same way */
  memset(&whole, 0, sizeof(whole));
  assert_int_equal(snm_es_recovery_size(&whole, 2), 0);
  snm_es_recovery_merge(&whole, 0, &r);
  assert_int_equal(whole.bytes_total, LLONG_MAX);
  snm_es_recovery_dispose(&whole);
  snm_es_recovery_dispose(&r);
  yajl_tree_free(v);
}

/* Who made an existing target index: its primaries' recovery source. */
static void test_recovery_origin(void **state)
{
  yajl_val v = parse(
      "{\"ours\":{\"shards\":["
      "{\"id\":0,\"type\":\"SNAPSHOT\",\"primary\":true,\"source\":{"
      "\"repository\":\"repo\",\"snapshot\":\"snap-1\",\"index\":\"a\"}},"
      "{\"id\":0,\"type\":\"PEER\",\"primary\":false,\"source\":{}},"
      "{\"id\":1,\"type\":\"SNAPSHOT\",\"primary\":true,\"source\":{"
      "\"repository\":\"repo\",\"snapshot\":\"snap-1\",\"index\":\"a\"}}]},"
      "\"closed\":{\"shards\":[{\"id\":0,\"type\":\"EXISTING_STORE\","
      "\"primary\":true,\"source\":{}}]},"
      "\"other-snap\":{\"shards\":[{\"id\":0,\"type\":\"SNAPSHOT\","
      "\"primary\":true,\"source\":{\"repository\":\"repo\","
      "\"snapshot\":\"snap-0\"}}]},"
      "\"half\":{\"shards\":["
      "{\"id\":0,\"type\":\"SNAPSHOT\",\"primary\":true,\"source\":{"
      "\"repository\":\"repo\",\"snapshot\":\"snap-1\"}},"
      "{\"id\":1,\"type\":\"EMPTY_STORE\",\"primary\":true}]},"
      "\"replicas-only\":{\"shards\":[{\"id\":0,\"type\":\"PEER\","
      "\"primary\":false}]}}");

  (void)state;
  assert_int_equal(snm_es_recovery_origin(v, "ours", "repo", "snap-1"),
                   SNM_ES_ORIGIN_OURS);
  assert_int_equal(snm_es_recovery_origin(v, "ours", "repo2", "snap-1"),
                   SNM_ES_ORIGIN_OTHER);
  assert_int_equal(snm_es_recovery_origin(v, "closed", "repo", "snap-1"),
                   SNM_ES_ORIGIN_OTHER);
  assert_int_equal(snm_es_recovery_origin(v, "other-snap", "repo", "snap-1"),
                   SNM_ES_ORIGIN_OTHER);
  assert_int_equal(snm_es_recovery_origin(v, "half", "repo", "snap-1"),
                   SNM_ES_ORIGIN_OTHER);
  assert_int_equal(snm_es_recovery_origin(v, "replicas-only", "repo", "snap-1"),
                   SNM_ES_ORIGIN_UNKNOWN);
  assert_int_equal(snm_es_recovery_origin(v, "absent", "repo", "snap-1"),
                   SNM_ES_ORIGIN_UNKNOWN);
  yajl_tree_free(v);
}

/* A restore waiting in the allocation queue has no recovery record; the
 * routing table says where its primaries will come from. */
static void test_routing_origin(void **state)
{
  yajl_val v = parse(
      "{\"routing_table\":{\"indices\":{"
      "\"queued\":{\"shards\":{\"0\":[{\"state\":\"UNASSIGNED\","
      "\"primary\":true,\"recovery_source\":{\"type\":\"SNAPSHOT\","
      "\"repository\":\"repo\",\"snapshot\":\"snap-1\"}}],"
      "\"1\":[{\"state\":\"INITIALIZING\",\"primary\":true,"
      "\"recovery_source\":{\"type\":\"SNAPSHOT\",\"repository\":\"repo\","
      "\"snapshot\":\"snap-1\"}},{\"state\":\"UNASSIGNED\","
      "\"primary\":false,\"recovery_source\":{\"type\":\"PEER\"}}]}},"
      "\"closed\":{\"shards\":{\"0\":[{\"state\":\"UNASSIGNED\","
      "\"primary\":true,\"recovery_source\":{\"type\":\"EXISTING_STORE\"}}"
      "]}},"
      "\"started\":{\"shards\":{\"0\":[{\"state\":\"STARTED\","
      "\"primary\":true}]}},"
      "\"empty\":{\"shards\":{}}}}}");

  (void)state;
  assert_int_equal(snm_es_routing_origin(v, "queued", "repo", "snap-1"),
                   SNM_ES_ORIGIN_OURS);
  assert_int_equal(snm_es_routing_origin(v, "queued", "repo", "snap-2"),
                   SNM_ES_ORIGIN_OTHER);
  assert_int_equal(snm_es_routing_origin(v, "closed", "repo", "snap-1"),
                   SNM_ES_ORIGIN_OTHER);
  assert_int_equal(snm_es_routing_origin(v, "started", "repo", "snap-1"),
                   SNM_ES_ORIGIN_UNKNOWN);
  assert_int_equal(snm_es_routing_origin(v, "empty", "repo", "snap-1"),
                   SNM_ES_ORIGIN_UNKNOWN);
  assert_int_equal(snm_es_routing_origin(v, "absent", "repo", "snap-1"),
                   SNM_ES_ORIGIN_UNKNOWN);
  yajl_tree_free(v);
}

static void test_health(void **state)
{
  yajl_val green = parse("{\"status\":\"green\",\"timed_out\":false,"
                         "\"initializing_shards\":0,\"indices\":{\"a\":{},"
                         "\"b\":{}}}");
  yajl_val yellow = parse("{\"status\":\"yellow\",\"timed_out\":false,"
                          "\"initializing_shards\":0,\"indices\":{\"a\":{},"
                          "\"b\":{}}}");
  yajl_val red = parse("{\"status\":\"red\",\"initializing_shards\":1,"
                       "\"indices\":{\"a\":{}}}");
  yajl_val timed = parse("{\"status\":\"green\",\"timed_out\":true,"
                         "\"indices\":{\"a\":{},\"b\":{}}}");
  char status[16];

  (void)state;
  assert_true(
      snm_wf_health_reached(green, SNM_WAIT_GREEN, 2, status, sizeof(status)));
  assert_string_equal(status, "green");
  assert_false(snm_wf_health_reached(green, SNM_WAIT_GREEN, 3, NULL, 0));
  assert_false(snm_wf_health_reached(yellow, SNM_WAIT_GREEN, 2, NULL, 0));
  assert_true(snm_wf_health_reached(yellow, SNM_WAIT_YELLOW, 2, NULL, 0));
  assert_true(snm_wf_health_reached(green, SNM_WAIT_YELLOW, 2, NULL, 0));
  assert_false(
      snm_wf_health_reached(red, SNM_WAIT_YELLOW, 1, status, sizeof(status)));
  assert_string_equal(status, "red");
  assert_false(snm_wf_health_reached(timed, SNM_WAIT_GREEN, 2, NULL, 0));
  yajl_tree_free(green);
  yajl_tree_free(yellow);
  yajl_tree_free(red);
  yajl_tree_free(timed);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_snapshot_body),
      cmocka_unit_test(test_metadata_support),
      cmocka_unit_test(test_restore_body),
      cmocka_unit_test(test_restore_names),
      cmocka_unit_test(test_status_running),
      cmocka_unit_test(test_status_done),
      cmocka_unit_test(test_info_partial),
      cmocka_unit_test(test_info_failed_running),
      cmocka_unit_test(test_recovery),
      cmocka_unit_test(test_recovery_huge_numbers),
      cmocka_unit_test(test_recovery_origin),
      cmocka_unit_test(test_routing_origin),
      cmocka_unit_test(test_health),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
