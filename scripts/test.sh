#!/usr/bin/env bash
# Set up from nothing and run the whole test suite (unit, stream and integration tiers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The console's browser test drives Debian's Chromium (no browser download from the internet).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian chromium for the console browser test" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "chromium is missing: install the Debian package chromium for the console browser test" >&2
  fi
fi
export YOLO_OFFLINE=1
BIN="${SENTINEL_VENV:-.venv}/bin"
"$BIN/ruff" check streams detectors alerts tests bench
"$BIN/mypy" streams detectors alerts
set +e
"${SENTINEL_VENV:-.venv}/bin/python" -m pytest -ra "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
