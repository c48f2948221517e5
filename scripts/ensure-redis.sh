#!/usr/bin/env bash
# Tests start their own redis-server; make sure one is installed (or REDIS_URL is given).
set -euo pipefail
if [[ -n "${REDIS_URL:-}" ]] || command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing: installing it with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "redis-server is missing: install it (Debian/Ubuntu: sudo apt-get install redis-server) or set REDIS_URL" >&2
exit 1
