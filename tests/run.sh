#!/usr/bin/env bash
# The test command (README "Run the tests"; .ci/run calls exactly this).
# Creates .venv on first use, installs aiops with its dev extras, checks the import
# layers, then runs the whole suite (live-server tests included when the server binaries
# are installed; they skip with a reason otherwise) on AIOPS_TEST_WORKERS processes (default
# 2, pytest-xdist; each test module stays on one worker, so its fixtures are built once;
# `-n 0` after the command runs everything in this process).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
.venv/bin/pip install -q -e ".[dev]"
export LITELLM_LOCAL_MODEL_COST_MAP=True
.venv/bin/lint-imports
exec .venv/bin/python -m pytest -n "${AIOPS_TEST_WORKERS:-2}" --dist loadscope "$@"
