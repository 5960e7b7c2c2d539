#!/usr/bin/env bash
# Property-based API testing with schemathesis against the service's own OpenAPI document.
#
# Builds and starts target/debug/ticket-server on a free port against a fresh database
# (the server creates it), runs `schemathesis run` on /api/openapi.json with every check and
# the examples, coverage, fuzzing and stateful phases, then stops the server and drops the
# database. Exits non-zero when schemathesis finds anything.
#
# Needs python3 (with venv), cargo and PostgreSQL on localhost:5432 accepting `postgres`
# without a password (as the tests). Knobs (environment):
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 300)
#   SCHEMATHESIS_SEED          fix the random seed to replay a run (default: a new one)
#   SCHEMATHESIS_PG_URL        PostgreSQL server (default postgres://postgres@localhost:5432)
#   SCHEMATHESIS_ARGS          extra arguments for `schemathesis run`
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
venv=target/schemathesis-venv
pg_url=${SCHEMATHESIS_PG_URL:-postgres://postgres@localhost:5432}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-300}
log=$PWD/target/schemathesis-server.log

say() { printf '\n==> %s\n' "$*"; }

say "schemathesis $SCHEMATHESIS_VERSION in $venv"
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$venv/bin/schemathesis" --version

say "building ticket-server"
cargo build --locked -p ticket-server --bin ticket-server

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
database=ticket_schemathesis_$(python3 -c 'import secrets; print(secrets.token_hex(6))')
server_pid=

cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  psql "$pg_url/postgres" -qAtc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null ||
    echo "could not drop database $database" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting ticket-server on 127.0.0.1:$port, database $database (log: $log)"
# NOTIFICATION_URL stays unset: events stay pending in the outbox, nothing is sent.
env -u NOTIFICATION_URL \
  DATABASE_URL="$pg_url/$database" HOST=127.0.0.1 PORT="$port" LOG_LEVEL=WARNING \
  target/debug/ticket-server >"$log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  if python3 -c "import urllib.request, sys; urllib.request.urlopen('$base/ready', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$log" >&2
    echo "ticket-server exited during start-up" >&2
    exit 1
  fi
  sleep 0.5
done

seed_args=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
  seed_args=(--seed "$SCHEMATHESIS_SEED")
fi

say "schemathesis run $base/api/openapi.json"
# Run from target/, where schemathesis keeps its crash files (`.schemathesis/`, for
# `schemathesis replay`). The hooks teach it the one rule a schema cannot state (see the file);
# schemathesis.toml keeps the stateful phase to valid data (see the file).
cd target
# shellcheck disable=SC2086
SCHEMATHESIS_HOOKS=../scripts/schemathesis_hooks.py \
  "../$venv/bin/schemathesis" --config-file ../scripts/schemathesis.toml \
  run "$base/api/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$max_examples" \
  --workers 1 \
  --request-timeout 30 \
  --generation-database none \
  --no-color \
  "${seed_args[@]}" \
  ${SCHEMATHESIS_ARGS:-}
