#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig run` of a data stream, OpenSearch 2.19 -> OpenSearch 3.6 (next):
# as run_data_stream.sh (tests/integration/ds/run_stream.sh), onto the next
# major version, with the stream's index template copied by the plan's
# metadata section (renamed patterns) rather than made on the target by hand.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_load_rig_env
SRC="$SNAPMIG_RIG_SOURCE_URL"
DST="$SNAPMIG_RIG_NEXT_URL"
it_require_search_up source "$SRC"
it_require_search_up next "$DST"
it_require_s3_up
DS_TEMPLATE_BY=plan
source "$(dirname "${BASH_SOURCE[0]}")/ds/run_stream.sh"
it_pass
