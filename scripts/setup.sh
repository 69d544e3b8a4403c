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
# The local Redis is required; start one if the machine has the server but it is not running.
if ! "$VENV/bin/python" -c "import redis,os; redis.Redis.from_url(os.environ.get('REDIS_URL','redis://127.0.0.1:6379/0')).ping()" 2>/dev/null; then
  if command -v redis-server >/dev/null; then
    echo "starting a local redis-server on 127.0.0.1:6379" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    sleep 1
  else
    echo "Redis is not reachable at ${REDIS_URL:-redis://127.0.0.1:6379/0}; install and start redis-server" >&2
    exit 1
  fi
fi
