/* SPDX-License-Identifier: Apache-2.0 */
/* jtree.h - helpers over yajl's parsed trees (yajl_tree_parse).
 *
 * snm_jget / snm_jstr / snm_jint follow a NULL-terminated list of object
 * keys from `v`; they return NULL / `def` when a step is missing or of
 * another type.  snm_jgen writes a tree into a generator.
 */
#ifndef SNM_JTREE_H
#define SNM_JTREE_H

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

yajl_val snm_jget(yajl_val v, ...) __attribute__((sentinel));
const char *snm_jstr(yajl_val v, ...) __attribute__((sentinel));
/* An integral number that fits a long long ("12", "1e3", or a string such
 * as "12"); `def` otherwise (missing, another type, a fraction, out of
 * range). */
long long snm_jint(long long def, yajl_val v, ...) __attribute__((sentinel));

/* Write tree `v` into `g` (strings through snm_gen_str, json.h). */
void snm_jgen(yajl_gen g, yajl_val v);

#endif
