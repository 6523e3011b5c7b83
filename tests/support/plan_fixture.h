/* plan_fixture.h - plans for the unit tests.
 *
 * Each function fails the running cmocka test when the plan does not parse
 * or load, after printing every diagnostic to stderr as snapmig would
 * ("PATH:LINE:COL: error: ..."), so a broken fixture says what is wrong.
 * Plans are freed with snm_plan_free.
 */
#ifndef SNM_PLAN_FIXTURE_H
#define SNM_PLAN_FIXTURE_H

#include "diag.h"
#include "plan.h"

/* Parse plan text (named "test.json" in messages).  `diags`: NULL, or a
 * list this function initialises and fills with the plan's diagnostics
 * (warnings; the caller disposes it). */
struct snm_plan *snm_test_plan_parse(const char *text,
                                     struct snm_diag_list *diags);

/* snm_test_plan_parse of printf-formatted text. */
struct snm_plan *snm_test_plan_parsef(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A plan with two domains, "src" (the snapshot's, at `src_endpoint`, with
 * `src_auth`, a JSON object, or none when NULL) and "dst" (the restore's,
 * at http://127.0.0.1:1, where nothing listens), and an fs repository. */
struct snm_plan *snm_test_plan_src_dst(const char *src_endpoint,
                                       const char *src_auth);

/* Load a plan file of the source tree, `rel` relative to $SNM_SOURCE_DIR:
 * "tests/plans/valid-full.json", "plans/local-rig.json".  `diags` as for
 * snm_test_plan_parse. */
struct snm_plan *snm_test_plan_load(const char *rel,
                                    struct snm_diag_list *diags);

/* "$SNM_SOURCE_DIR/rel", malloced (the caller frees it).  Fails the test
 * when SNM_SOURCE_DIR is not set (ctest sets it). */
char *snm_test_source_path(const char *rel);

#endif
