#!/usr/bin/env bash
# The inbound webhook benchmark in one command: bash benchmarks/webhooks/run.sh [options]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python -m benchmarks.webhooks "$@"
