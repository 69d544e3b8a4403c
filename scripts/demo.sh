#!/usr/bin/env bash
# Set up from nothing and run the demo: embedded broker, local Redis, the real model, sample recordings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export YOLO_OFFLINE=1
exec "${SENTINEL_VENV:-.venv}/bin/sentinel" demo "$@"
