#!/usr/bin/env bash
# Set up from nothing and run the whole test suite (unit, stream and integration tiers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The console's browser test drives Debian's Chromium (no browser download from the internet); the Kafka tier
# runs Apache Kafka from Maven Central (streams/kafka/cluster.py) on Java 17, resolved with Maven.
source scripts/services.sh
ensure_debian_packages chromium openjdk-17-jre-headless maven
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
