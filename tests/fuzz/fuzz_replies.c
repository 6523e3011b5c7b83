/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_replies - libFuzzer target: the parsers of server replies, each
 * given the input as the body of a reply.  The body is read the way
 * es.c reads one (the depth check, then yajl's tree), then handed to
 *   - the workflow's: snapshot status and info, recovery, cluster health,
 *     the failed-shard search (_cat/shards rows), allocation explain;
 *   - es.c's: GET / (cluster info) and the error reason of a failed reply
 *     (which also reads the raw bytes);
 *   - preflight's: open shards from _cluster/health, and the repository
 *     registration compared with the plan's.
 * The names asked for ("s", "a", "b", "logs-1") are short so that the
 * fuzzer finds them.
 *
 * Built with -DENABLE_FUZZ=ON (see docs/fuzzing.md); run by
 * scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "jtree.h"
#include "es.h"
#include "json.h"
#include "preflight_int.h"
#include "workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"a", "b", "logs-1"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static void workflow_parsers(yajl_val json)
{
  struct snm_es_snap_status st;
  struct snm_es_snap_info si;
  struct snm_es_recovery rec, part;
  struct snm_es_failed_shard fs;
  char status[16];
  struct snm_err err;

  (void)snm_es_parse_snapshot_status(&st, json, "s", &err);
  memset(&si, 0, sizeof(si));
  (void)snm_es_parse_snapshot_info(&si, json, "s", &err);
  snm_es_snap_info_dispose(&si);
  (void)snm_wf_snapshot_state(si.state);

  memset(&rec, 0, sizeof(rec));
  memset(&part, 0, sizeof(part));
  if (snm_es_parse_recovery(&rec, json, names, N_NAMES, &err) == 0 &&
      snm_es_parse_recovery(&part, json, names + 1, N_NAMES - 1, &err) == 0)
    snm_es_recovery_merge(&rec, 1, &part);
  snm_es_recovery_dispose(&part);
  snm_es_recovery_dispose(&rec);

  for (int want = SNM_WAIT_GREEN; want <= SNM_WAIT_YELLOW; want++)
    (void)snm_wf_health_reached(json, (enum snm_wait_for)want, N_NAMES, status,
                                sizeof(status));
  memset(&fs, 0, sizeof(fs));
  (void)snm_es_find_failed_shard(&fs, json, names, N_NAMES);
  (void)snm_es_parse_explain(&fs, json);
}

static void es_parsers(yajl_val json, const char *body, size_t len)
{
  struct snm_es_info info;
  struct snm_buf reason;
  struct snm_err err;

  (void)snm_es_parse_info(&info, json, "d", &err);
  snm_buf_init(&reason, 0);
  (void)snm_es_error_reason(&reason, json, body, len);
  snm_buf_dispose(&reason);
}

/* The registration as preflight keeps it: the reply's object written back
 * as JSON (preflight_fetch.c), compared with what the plan asks. */
static void preflight_parsers(yajl_val json)
{
  struct snm_pf_domain d;
  yajl_gen g;
  const unsigned char *buf;
  size_t len;

  (void)snm__preflight_open_shards(json);
  if (!YAJL_IS_OBJECT(json) || (g = yajl_gen_alloc(NULL)) == NULL)
    return;
  snm_jgen(g, json);
  memset(&d, 0, sizeof(d));
  if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
      (d.repo_have_json = snm_memdup0(buf, len)) != NULL &&
      (d.repo_want_json = strdup("{\"type\":\"s3\",\"settings\":{\"bucket\":"
                                 "\"b\",\"base_path\":\"p\",\"compress\":"
                                 "true}}")) != NULL)
    (void)snm__preflight_compare_repo(&d);
  free(d.repo_have_json);
  free(d.repo_want_json);
  free(d.repo_diff);
  yajl_gen_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *body = snm_memdup0(data, size); /* replies are NUL-terminated */
  yajl_val json = NULL;

  if (body == NULL)
    return 0;
  /* as es.c: yajl's tree has no depth limit, so deep bodies are refused */
  if (snm_json_depth_ok(body, size, SNM_JSON_MAX_DEPTH))
    json = yajl_tree_parse(body, NULL, 0);
  workflow_parsers(json);
  es_parsers(json, body, size);
  preflight_parsers(json);
  yajl_tree_free(json);
  free(body);
  return 0;
}
