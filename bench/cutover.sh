#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/cutover.sh - the live-migration benchmark: a full `snapmig run` of
# 10 indices x 200,000 documents, 1 % new documents and a `sync`, then a
# `cutover`; reports the run's time, the sync's bytes transferred vs reused
# and the cutover's write downtime.  See bench/README.md ("Cutover") and
# `bench/cutover.sh --help`.  Not a test: it prints figures and asserts
# nothing about them.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/cutover.py" "$@"
