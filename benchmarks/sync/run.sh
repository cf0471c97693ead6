#!/usr/bin/env bash
# The sync benchmark in one command: bash benchmarks/sync/run.sh [options]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python -m benchmarks.sync "$@"
