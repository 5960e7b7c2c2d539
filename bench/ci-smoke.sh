#!/usr/bin/env bash
# CI: the benchmark harness in smoke mode, to check that it works, not to measure: a tiny
# data set (3,000 tickets), every pgbench script for 2 s, every operation through the
# server, the plans script, and bench/pgbench/list.sql up to date with its generator.
# About a minute once the debug server is built (.ci/run builds it for the tests).
#
# Building oha takes about 6 minutes on 2 cores, more than the smoke budget: CI uses oha
# only if it is already installed in target/bench-tools (a cached target/ or a prior
# `bench/run.sh`); otherwise each operation is checked with a handful of curl requests.
# BENCH_INSTALL_OHA=1 installs it first.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_DB=${BENCH_DB:-tickets_bench_smoke}
export BENCH_PORT=${BENCH_PORT:-18081}
export BENCH_INSTALL_OHA=${BENCH_INSTALL_OHA:-0}
url="postgres://${BENCH_PGUSER:-postgres}@${BENCH_PGHOST:-127.0.0.1}:${BENCH_PGPORT:-5432}/$BENCH_DB"
start=$(date +%s)

bench/run.sh --smoke

echo "==> bench/pgbench/list.sql matches bench/pgbench/gen-list.sh"
if ! bench/pgbench/gen-list.sh "$url" | diff -u bench/pgbench/list.sql -; then
  echo "bench/pgbench/list.sql is stale: bench/pgbench/gen-list.sh $url > bench/pgbench/list.sql" >&2
  exit 1
fi
echo "==> bench/explain.sql"
psql "$url" -X -q -At -v ON_ERROR_STOP=1 -f bench/explain.sql | grep -c '^| ' >/dev/null

psql "${url%/*}/postgres" -X -q -c "DROP DATABASE IF EXISTS \"$BENCH_DB\""
echo "bench smoke passed in $(( $(date +%s) - start )) s"
