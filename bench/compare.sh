#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/compare.sh - snapmig side by side with Elasticsearch Curator 5.8.4,
# at 0, 30 and 100 ms round trip through the rig's Toxiproxy; see
# bench/README.md ("Side by side with Curator") and `bench/compare.sh --help`.
# Not a test: it prints figures and asserts nothing about them.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/compare.py" "$@"
