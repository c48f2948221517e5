#!/usr/bin/env bash
# What the tests need from the system: redis-server and PostgreSQL (tests start their own),
# Chromium (pages are tested in a real headless browser), systemd-analyze and nginx (the deploy
# checks). Installs them with apt when missing and running as root; otherwise says exactly
# what to install.
set -euo pipefail
missing=()
if [[ -z "${REDIS_URL:-}" ]] && ! command -v redis-server >/dev/null 2>&1; then
  missing+=(redis-server)
fi
if [[ -z "${SAFETYNET_CHROMIUM:-}" ]] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# The deploy checks (tests/deploy) run systemd's and nginx's own validators on deploy/.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  missing+=(systemd)
fi
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  missing+=(nginx-light)
fi
# The ledger's tests run on PostgreSQL too: the session starts its own server (initdb, pg_ctl).
if [[ -z "${SAFETYNET_TEST_POSTGRES_URL:-}" ]] && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
  && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})," >&2
echo "or set REDIS_URL to a running Redis, SAFETYNET_TEST_POSTGRES_URL to a PostgreSQL database" >&2
echo "and SAFETYNET_CHROMIUM to a Chromium binary." >&2
exit 1
