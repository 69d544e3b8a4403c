#!/usr/bin/env bash
# Debian services the product and its tests need on this host: install what is missing, start what is not running.
# Sourced by setup.sh (so by the demo, the test command and CI); safe to run again.
set -euo pipefail

APT_UPDATED=0
# Install Debian packages that are missing (root only; `apt-get update` once per run, before the first install).
ensure_debian_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    echo "apt-get update (once)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    APT_UPDATED=1
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Wait up to 10 s for a port to open.
wait_port() {
  local i
  for i in $(seq 1 50); do
    port_open "$1" && return 0
    sleep 0.2
  done
  echo "nothing listens on 127.0.0.1:$1 after 10 s" >&2
  return 1
}

# Redis on 127.0.0.1:6379 (alert store, dedupe, evidence frames) unless REDIS_URL points elsewhere.
ensure_redis() {
  if [ -n "${REDIS_URL:-}" ] && [[ "$REDIS_URL" != *"127.0.0.1:6379"* ]] && [[ "$REDIS_URL" != *"localhost:6379"* ]]; then
    return 0
  fi
  port_open 6379 && return 0
  ensure_debian_packages redis-server
  echo "starting a local redis-server on 127.0.0.1:6379" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port 6379
}

# Mosquitto on 127.0.0.1:1883 (the MQTT channel and its test).
ensure_mosquitto() {
  port_open 1883 && return 0
  ensure_debian_packages mosquitto
  echo "starting a local mosquitto on 127.0.0.1:1883" >&2
  local conf
  conf="$(mktemp /tmp/sentinel-mosquitto.XXXXXX.conf)"
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n' >"$conf"
  mosquitto -d -c "$conf"
  wait_port 1883
}
