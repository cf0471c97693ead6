#!/usr/bin/env bash
# The API benchmark in one command: bash benchmarks/api/run.sh [--quick] [options]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python -m benchmarks.api "$@"
