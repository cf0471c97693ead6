#!/usr/bin/env bash
# The auth benchmark in one command: bash benchmarks/auth/run.sh [--quick] [options]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python -m benchmarks.auth "$@"
