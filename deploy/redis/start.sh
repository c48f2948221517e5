#!/bin/sh
# Starts one Redis node or Sentinel of compose.yaml (as the redis user). The password,
# REDIS_PASSWORD, goes into a file only that user can read, never onto a command line.
#   start.sh node [redis-server options...]       master or replica, from redis.conf
#   start.sh sentinel [redis-server options...]   a Sentinel, from sentinel.conf (copied once)
set -eu
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
conf_dir=${REDIS_CONF_DIR:-/usr/local/etc/redis}
data=${REDIS_DATA:-/data}
umask 077
role=$1
shift
case "$role" in
  node)
    auth="${TMPDIR:-/tmp}/redis-auth.conf"
    printf 'requirepass %s\nmasterauth %s\n' "$REDIS_PASSWORD" "$REDIS_PASSWORD" > "$auth"
    exec redis-server "$conf_dir/redis.conf" --include "$auth" "$@"
    ;;
  sentinel)
    # First start only: Sentinel rewrites its copy as it learns the replicas, the other
    # Sentinels and the current master, and that must survive a restart.
    if [ ! -f "$data/sentinel.conf" ]; then
      cp "$conf_dir/sentinel.conf" "$data/sentinel.conf"
      printf 'requirepass %s\nsentinel auth-pass mymaster %s\n' "$REDIS_PASSWORD" "$REDIS_PASSWORD" \
        >> "$data/sentinel.conf"
    fi
    exec redis-server "$data/sentinel.conf" --sentinel "$@"
    ;;
  *)
    echo "start.sh: node or sentinel, not $role" >&2
    exit 2
    ;;
esac
