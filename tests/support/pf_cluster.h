/* SPDX-License-Identifier: Apache-2.0 */
/* pf_cluster.h - a stand-in cluster scripted for the preflight's requests
 * (standin_http.h), shared by the preflight unit tests.
 *
 * snm_test_pf_cluster scripts a healthy cluster: repository r not
 * registered, one data node, 1 GB free.  The source (`source` 1) holds the
 * open index logs-1 with 5 documents; the target's _cat/indices table is
 * `target_indices`, header line included ("status index\nclose  old-1\n").  GET
 * / says `version` (e.g. "2.19.1") and, when `distribution` is not NULL, that
 * distribution ("opensearch").  Replies added earlier win over these, so a
 * test adds its faults first.
 */
#ifndef SNM_PF_CLUSTER_H
#define SNM_PF_CLUSTER_H

#include "standin_http.h"

#define SNM_TEST_JSON_CT "Content-Type: application/json\r\n"
#define SNM_TEST_TEXT_CT "Content-Type: text/plain; charset=UTF-8\r\n"

/* Add a reply for `path` (POST for /_msearch, the one POST a read-only
 * check sends; GET otherwise). */
void snm_test_pf_add(struct snm_standin *s, const char *path, int status,
                     const char *headers, const char *body);

void snm_test_pf_cluster(struct snm_standin *s, int source, const char *version,
                         const char *distribution, const char *target_indices);

#endif
