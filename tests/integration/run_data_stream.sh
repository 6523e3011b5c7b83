#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `snapmig run` of a data stream, OpenSearch 2.19 -> OpenSearch 2.19 through
# the rig's S3 bucket, renamed: the target has the renamed stream with the
# predicted backing indices and counts, and takes a document and a rollover
# (tests/integration/ds/run_stream.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_source_and_target
it_require_s3_up
source "$(dirname "${BASH_SOURCE[0]}")/ds/run_stream.sh"
it_pass
