#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment and install the project with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${SENTINEL_VENV:-.venv}"
PYTHON="${PYTHON:-python3.11}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
"$VENV/bin/pip" install -q -e '.[test]'
# The local services: Redis (alert store) and Mosquitto (MQTT channel), installed from Debian when missing.
source scripts/services.sh
ensure_redis
ensure_mosquitto
