#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/cli/plan_schema.sh - docs/plan.schema.json checked with a real
# draft 2020-12 validator (PyPI's jsonschema, installed on first use into a
# venv under ~/.cache/snapmig-test by tests/schema/venv.sh) against the
# example plans and the test plans: tests/schema/check_plans.py.
set -euo pipefail
: "${SNM_SOURCE_DIR:?}" "${SNM_BINARY:?}"
py=$("$SNM_SOURCE_DIR/tests/schema/venv.sh")
exec "$py" "$SNM_SOURCE_DIR/tests/schema/check_plans.py" "$SNM_SOURCE_DIR" \
  "$SNM_BINARY"
