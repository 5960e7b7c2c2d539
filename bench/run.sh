#!/usr/bin/env bash
# The Ticket Service benchmark: one command.
#
#   bench/run.sh            # full: 1,000,000 tickets (about 20 minutes on 2 cores)
#   bench/run.sh --smoke    # 3,000 tickets, 2 s per measurement (CI: bench/ci-smoke.sh)
#
# Options: --skip-load (reuse the loaded database), --ops "create list ..." (a subset),
# --no-docs (do not rewrite the table in docs/PERFORMANCE.md; full runs do by default).
# Environment (defaults in brackets):
#   BENCH_DB [tickets_bench]  BENCH_PORT [18080]  BENCH_PGHOST [127.0.0.1]
#   BENCH_PGPORT [5432]  BENCH_PGUSER [postgres]  BENCH_TICKETS [1000000 | smoke 3000]
#   BENCH_DURATION [20 | smoke 2]: seconds of service and of ceiling per operation, and of
#   the fixed-rate run  BENCH_WARMUP [5 | smoke 1]
#   BENCH_CONCURRENCY [8]: oha connections = pgbench clients (= the server's default pool on
#   2 cores)  BENCH_RATE_<OP> requests/s of the fixed-rate run (see RATE below)
#   BENCH_PROFILE [release | smoke: debug]  BENCH_INSTALL_OHA [1 | smoke 0]
#   BENCH_PERF [0]: 1 = `perf record` the server during the first full-speed slice of each
#   operation (bench/results/<time>/<op>-perf.txt; needs perf, costs a little throughput)
#
# Organizations: bench/load.sql spreads the tickets over 50 organizations, one (bench-big)
# holding 40 %. Every request names bench-big (X-Org-Id, by slug), and pgbench acts for it
# too: the largest organization is the worst case for lists and stats (most rows behind
# each org-led index), and oha sends one set of headers for all requests of a run.
# pgbench connects as postgres but runs as ticket_app (PGOPTIONS role: a superuser bypasses
# row-level security) and its scripts name the organization in each transaction, as the
# service does.
#
# Per operation, in the same run: oha at full speed with BENCH_CONCURRENCY connections
# (service throughput) and pgbench with as many clients running the service's SQL for the
# operation (bench/pgbench/*.sql: the ceiling the database sets), in 3 alternating slices
# each so that other load on the machine hits both alike; then oha at a fixed rate with
# latency correction (p50/p99). The server's peak resident memory (VmHWM, reset before each
# operation) and the CPU time of server, load generator and the rest come from /proc.
# Results: bench/results/<time>/ (raw oha JSON, pgbench output, report.md); the report is
# printed at the end and copied to bench/results/latest.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

smoke=0 skip_load=0 docs=1 ops_arg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --skip-load) skip_load=1 ;;
    --no-docs) docs=0 ;;
    --ops) ops_arg=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

DB=${BENCH_DB:-tickets_bench}
PORT=${BENCH_PORT:-18080}
PGH=${BENCH_PGHOST:-127.0.0.1}
PGP=${BENCH_PGPORT:-5432}
PGU=${BENCH_PGUSER:-postgres}
CONC=${BENCH_CONCURRENCY:-8}
if [ $smoke = 1 ]; then
  TICKETS=${BENCH_TICKETS:-3000}; DUR=${BENCH_DURATION:-2}; WARM=${BENCH_WARMUP:-1}
  PROFILE=${BENCH_PROFILE:-debug}; INSTALL_OHA=${BENCH_INSTALL_OHA:-0}; PER_COMBO=5
else
  TICKETS=${BENCH_TICKETS:-1000000}; DUR=${BENCH_DURATION:-20}; WARM=${BENCH_WARMUP:-5}
  PROFILE=${BENCH_PROFILE:-release}; INSTALL_OHA=${BENCH_INSTALL_OHA:-1}; PER_COMBO=20
fi
CAMERAS=2000 PROVIDERS=20 DAYS=90
PERF=${BENCH_PERF:-0}
if [ "$PERF" = 1 ] && ! command -v perf >/dev/null; then echo "BENCH_PERF=1 needs perf" >&2; exit 2; fi
OHA_VERSION=1.16.0
OHA=$root/target/bench-tools/bin/oha

# Reads first: the writes add tens of thousands of fresh open tickets at the head of every
# index, which would change what the list and stats queries see.
ALL_OPS="get list stats_camera stats_provider stats_all create merge status"
OPS=${ops_arg:-$ALL_OPS}
# Fixed rates (requests/s) for the latency run: 200/s for the API's everyday calls (the
# list target is stated at 200/s); the stats rates stay well under what one core can serve.
declare -A RATE=([create]=200 [merge]=200 [status]=200 [get]=200 [list]=200
                 [stats_camera]=20 [stats_provider]=2 [stats_all]=0.2)
declare -A KIND=([create]=write [merge]=write [status]=write [get]=read [list]=read
                 [stats_camera]=stats [stats_provider]=stats [stats_all]=stats)
for op in $ALL_OPS; do
  v="BENCH_RATE_${op^^}"; [ -n "${!v:-}" ] && RATE[$op]=${!v}
done

PSQL=(psql -h "$PGH" -p "$PGP" -U "$PGU" -X -q -v ON_ERROR_STOP=1)
DB_URL="postgres://$PGU@$PGH:$PGP/$DB"
BASE="http://127.0.0.1:$PORT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$root/bench/results/$stamp
[ $smoke = 1 ] && OUT=$root/bench/results/smoke-$stamp
mkdir -p "$OUT"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

for tool in psql pgbench curl; do
  command -v $tool >/dev/null || die "$tool is needed (Debian: postgresql-client, curl)"
done
"${PSQL[@]}" -d postgres -Atc 'SELECT 1' >/dev/null || die "cannot reach PostgreSQL at $PGH:$PGP as $PGU"

# ---------------------------------------------------------------- tools and the server
if [ ! -x "$OHA" ]; then
  if [ "$INSTALL_OHA" = 1 ]; then
    log "installing oha $OHA_VERSION into target/bench-tools (a few minutes, once)"
    cargo install --locked --quiet --root "$root/target/bench-tools" --version "$OHA_VERSION" oha
  else
    log "oha not installed (target/bench-tools/bin/oha): HTTP checked with curl only"
  fi
fi
have_oha=0; [ -x "$OHA" ] && have_oha=1

log "building ticket-server ($PROFILE)"
if [ "$PROFILE" = release ]; then
  cargo build --release --quiet -p ticket-server; SERVER=$root/target/release/ticket-server
else
  cargo build --quiet -p ticket-server; SERVER=$root/target/debug/ticket-server
fi

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT

# Starts the server; STARTUP_MS = milliseconds from exec to the first 200 of /health.
start_server() {
  local t0 t1
  t0=$(now_ms)
  # The loader writes 90 days of delivered events; with the default 7-day retention the
  # first start would spend the reads purging 5 million of them (a one-off catch-up, not
  # the steady state, where each 10-minute round deletes 10 minutes' worth).
  DATABASE_URL=$DB_URL PORT=$PORT HOST=127.0.0.1 NOTIFICATION_RETENTION=${NOTIFICATION_RETENTION:-off} \
    "$SERVER" >>"$OUT/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 3000); do
    if curl -sf -o /dev/null "$BASE/health"; then t1=$(now_ms); STARTUP_MS=$((t1 - t0)); return 0; fi
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$OUT/server.log" >&2; die "server exited"; }
    sleep 0.005
  done
  die "server not ready after 15 s"
}

if curl -s -o /dev/null "$BASE/health" 2>/dev/null; then
  die "something already listens on port $PORT (BENCH_PORT)"
fi

log "migrating $DB"
DATABASE_URL=$DB_URL "$SERVER" migrate >>"$OUT/server.log" 2>&1 || { tail "$OUT/server.log"; die "migrate failed"; }

# ---------------------------------------------------------------- data
if [ $skip_load = 0 ]; then
  log "loading $TICKETS tickets over $DAYS days ($CAMERAS cameras, $PROVIDERS providers)"
  t0=$(now_ms)
  "${PSQL[@]}" -d "$DB" --single-transaction -v tickets="$TICKETS" -v days=$DAYS \
    -v cameras=$CAMERAS -v providers=$PROVIDERS -v per_combo=$PER_COMBO \
    -f "$here/load.sql" >"$OUT/load.log"
  t1=$(now_ms)
  "${PSQL[@]}" -d "$DB" -c 'VACUUM (ANALYZE)'
  t2=$(now_ms)
  echo "load $(( (t1 - t0) / 1000 )) s, vacuum analyze $(( (t2 - t1) / 1000 )) s" | tee "$OUT/load-time.txt" >&2
fi
q() { "${PSQL[@]}" -d "$DB" -Atc "$1"; }
loaded=$(q "SELECT n FROM bench.params") || die "no bench data in $DB: run without --skip-load"
q "SELECT 'tickets ' || (SELECT count(*) FROM tickets) || ', alerts ' || (SELECT count(*) FROM ticket_alerts)
   || ', comments ' || (SELECT count(*) FROM ticket_comments) || ', history ' || (SELECT count(*) FROM ticket_state_history)
   || ', outbox ' || (SELECT count(*) FROM notification_logs) || ', database ' || pg_size_pretty(pg_database_size(current_database()))" \
  | tee "$OUT/data.txt" >&2
N_MERGE=$(q "SELECT count(*) FROM bench.merge_targets")
N_STATUS=$(q "SELECT count(*) FROM bench.status_targets")
N_STATS=$(q "SELECT count(*) FROM bench.stats_filters")
COMBOS=$(q "SELECT count(*) FROM bench.list_combos")
PER_COMBO=$(q "SELECT max(j) FROM bench.list_queries")
ORG=$(q "SELECT org_id FROM bench.params")
ORG_SLUG=$(q "SELECT org_slug FROM bench.params")
[ -n "$ORG" ] || die "bench.params has no organization: load again (bench/load.sql)"
# Numbers count per organization: the gets draw from the big organization's.
MAX_NUMBER=$(q "SELECT max(number) FROM tickets WHERE org_id = '$ORG'")
ORGS=$(q "SELECT count(DISTINCT org_id) || ' organizations, ' || '$ORG_SLUG' || ' (the one measured) '
            || round(100.0 * count(*) FILTER (WHERE org_id = '$ORG') / count(*)) || ' % of the tickets'
          FROM tickets")
echo "$ORGS" | tee -a "$OUT/data.txt" >&2

# ---------------------------------------------------------------- start-up time
log "start-up to ready (migrations already applied), 3 times"
startups=()
for _ in 1 2 3; do start_server; startups+=("$STARTUP_MS"); stop_server; done
STARTUP_MAX=$(printf '%s\n' "${startups[@]}" | sort -n | tail -1)
echo "start-up ms: ${startups[*]}" | tee "$OUT/startup.txt" >&2
start_server

# ---------------------------------------------------------------- inputs
log "writing request inputs"
in=$OUT/inputs; mkdir -p "$in"
BODIES=$((smoke ? 2000 : 200000))
run_id=$stamp
create_bodies() { # $1 phase
  q "SELECT json_build_object('title', a.title, 'severity',
            (ARRAY['critical','high','high','medium','medium','medium','low','low','low','info'])[1 + n % 10],
            'camera_id', c, 'provider_id', md5('provider-' || (c % $PROVIDERS))::uuid,
            'alert_type', a.name,
            'alert_data', json_build_object('zone', 'zone-' || n % 8, 'confidence', 0.91,
               'detections', json_build_array(json_build_object('bbox', json_build_array(120, 80, 64, 180),
                   'label', 'person', 'score', 0.88)),
               'snapshot_url', 'https://vms.example.net/snapshots/' || n || '.jpg'),
            'external_id', 'oha-$run_id-$1-' || n, 'dedup_key', 'bench/$run_id/$1/' || n)
     FROM generate_series(1, $BODIES) n
     CROSS JOIN LATERAL (SELECT 1 + (n * 7919) % $CAMERAS AS c) cc
     JOIN bench.alert_types a ON a.t = n % 12" >"$in/create-$1.txt"
}
for phase in warm max rate; do create_bodies $phase; done
q "SELECT json_build_object('title', title, 'severity', severity, 'camera_id', camera_id,
          'provider_id', provider_id, 'alert_type', alert_type,
          'alert_data', json_build_object('zone', 'zone-1', 'confidence', 0.77))
   FROM bench.merge_targets ORDER BY k" >"$in/merge.txt"
q "SELECT '$BASE/api/tickets/TCK-' || number || '/status' FROM bench.status_targets ORDER BY k" >"$in/status-urls.txt"
q "SELECT json_build_object('status', 'assigned', 'assignee_id', 'op-' || n,
          'reason', 'shift hand-over')
   FROM generate_series(1, 200) n" >"$in/status.txt"
q "SELECT '$BASE/api/tickets/TCK-' || (1 + floor(random() * $MAX_NUMBER)::bigint)
   FROM generate_series(1, 50000)" >"$in/get-urls.txt"
q "SELECT '$BASE/api/tickets?' || qs FROM bench.list_queries
   UNION ALL
   SELECT '$BASE/api/tickets?' || concat_ws('&', NULLIF(qs, ''), 'cursor=' || cursor) FROM bench.list_queries" \
  >"$in/list-urls.txt"
q "SELECT '$BASE/api/tickets/stats?camera_id=' || camera_id FROM bench.stats_filters ORDER BY k" >"$in/stats_camera-urls.txt"
q "SELECT '$BASE/api/tickets/stats?provider_id=' || provider_id FROM bench.stats_filters ORDER BY k" >"$in/stats_provider-urls.txt"
echo "$BASE/api/tickets/stats" >"$in/stats_all-urls.txt"

# oha arguments per operation (after the common ones) into OHA_ARGS; $1 = op, $2 = phase
oha_target() {
  case "$1" in
    create) OHA_ARGS=(-m POST -T application/json -Z "$in/create-$2.txt" "$BASE/api/tickets") ;;
    merge) OHA_ARGS=(-m POST -T application/json -Z "$in/merge.txt" "$BASE/api/tickets") ;;
    status) OHA_ARGS=(-m PATCH -T application/json -H "X-User-Id: bench" -Z "$in/status.txt"
                      --urls-from-file "$in/status-urls.txt") ;;
    get) OHA_ARGS=(--urls-from-file "$in/get-urls.txt") ;;
    list|stats_camera|stats_provider|stats_all) OHA_ARGS=(--urls-from-file "$in/$1-urls.txt") ;;
  esac
  OHA_ARGS=(-H "X-Org-Id: $ORG_SLUG" "${OHA_ARGS[@]}")
}
# one curl request per operation: the inputs are valid and the server answers 2xx
curl_check() { # op -> prints http code
  local url
  local -a curl=(curl -s -o /dev/null -w '%{http_code}' -H "X-Org-Id: $ORG_SLUG")
  case "$1" in
    create) "${curl[@]}" -X POST -H 'Content-Type: application/json' \
              --data-binary "$(head -1 "$in/create-warm.txt")" "$BASE/api/tickets" ;;
    merge) "${curl[@]}" -X POST -H 'Content-Type: application/json' \
             --data-binary "$(head -1 "$in/merge.txt")" "$BASE/api/tickets" ;;
    status) "${curl[@]}" -X PATCH -H 'Content-Type: application/json' \
              -H 'X-User-Id: bench' --data-binary "$(sed -n "$((RANDOM % 200 + 1))p" "$in/status.txt")" \
              "$(head -1 "$in/status-urls.txt")" ;;
    *) url=$(shuf -n 1 "$in/$( [ "$1" = get ] && echo get-urls || echo "$1-urls").txt")
       "${curl[@]}" "$url" ;;
  esac
}

# As the service's request role, under row-level security (role set once per connection).
PGB=(env "PGOPTIONS=${PGOPTIONS:-} -c role=ticket_app"
     pgbench -h "$PGH" -p "$PGP" -U "$PGU" -n -M prepared -j 2 -D org="$ORG"
     -D cameras=$CAMERAS -D providers=$PROVIDERS -D "active={open,assigned,in_progress}" -D one=1
     -D n_merge="$N_MERGE" -D n_status="$N_STATUS" -D max_number=$MAX_NUMBER -D now=now
     -D n_stats="$N_STATS" -D combos="$COMBOS" -D per_combo="$PER_COMBO" -D lim=51)
pgb_tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1"; }

json_num() { # key file: first numeric value of "key" in oha's pretty JSON
  grep -m1 "\"$1\":" "$2" | sed 's/.*": *//; s/,$//'
}
codes() { # oha JSON -> "200:123 201:5" (status code distribution)
  sed -n '/"statusCodeDistribution"/,/}/p' "$1" | grep -o '"[0-9]*": *[0-9]*' | tr -d '" ' | tr '\n' ' '
}
non2xx() { # oha JSON -> count of non-2xx responses + errors other than the deadline abort
  local n e
  n=$(sed -n '/"statusCodeDistribution"/,/}/p' "$1" | grep -o '"[0-9]*": *[0-9]*' | tr -d '" ' \
      | awk -F: '$1 < 200 || $1 >= 300 { s += $2 } END { print s + 0 }')
  e=$(sed -n '/"errorDistribution"/,/}/p' "$1" | grep -v 'aborted due to deadline' \
      | grep -o '": *[0-9]*' | tr -d '": ' | awk '{ s += $1 } END { print s + 0 }')
  echo $((n + e))
}
hwm_kib() { awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status"; }
reset_hwm() { echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null || true; }

# ---------------------------------------------------------------- plans
# Before the measurements, on the data set as loaded (the writes add fresh tickets).
if [ $smoke = 0 ] && [ -z "$ops_arg" ]; then
  log "plans of the list and stats queries (bench/explain.sql)"
  "${PSQL[@]}" -d "$DB" -At -f "$here/explain.sql" >"$OUT/plans.md"
fi

# ---------------------------------------------------------------- CPU accounting
# Where the CPU of a phase goes, from /proc: the machine's busy time, the server process,
# and the load generator (oha or pgbench: this shell's children, from `times`). The rest is
# PostgreSQL plus whatever else runs on the machine (other builds and tests: the idle
# sample before each operation shows how much).
CLK=$(getconf CLK_TCK)
NCPU=$(nproc)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
children_secs() { # CH_SECS = cumulative CPU seconds of this shell's finished children
  times >"$OUT/.times" # in this shell, not a subshell: `times` is per shell
  CH_SECS=$(awk 'NR == 2 { n = split($0, f, " "); s = 0
                 for (i = 1; i <= n; i++) { split(f[i], a, /[ms]/); s += a[1] * 60 + a[2] }
                 print s }' "$OUT/.times")
}
cpu_mark() { M_BUSY=$(busy_ticks); M_SRV=$(server_ticks); children_secs; M_CHILD=$CH_SECS; M_T=$(now_ms); }
# cpu_since n -> adds this phase's seconds to the accumulators: busy, server, client, wall
cpu_since() {
  local b s c t
  b=$(busy_ticks); s=$(server_ticks); children_secs; c=$CH_SECS; t=$(now_ms)
  A_BUSY=$(awk -v a="${A_BUSY:-0}" -v d=$((b - M_BUSY)) -v k="$CLK" 'BEGIN { print a + d / k }')
  A_SRV=$(awk -v a="${A_SRV:-0}" -v d=$((s - M_SRV)) -v k="$CLK" 'BEGIN { print a + d / k }')
  A_CLI=$(awk -v a="${A_CLI:-0}" -v n="$c" -v o="$M_CHILD" 'BEGIN { print a + n - o }')
  A_WALL=$(awk -v a="${A_WALL:-0}" -v d=$((t - M_T)) 'BEGIN { print a + d / 1000 }')
  A_N=$(( ${A_N:-0} + $1 ))
}
cpu_reset() { A_BUSY=0 A_SRV=0 A_CLI=0 A_WALL=0 A_N=0; }
# ms of CPU per request: "server/client/rest" (server omitted for pgbench)
cpu_per_req() {
  awk -v b="$A_BUSY" -v s="$A_SRV" -v c="$A_CLI" -v n="$A_N" -v srv="$1" 'BEGIN {
    if (n == 0) { print "-"; exit }
    r = (b - s - c) / n * 1000; if (r < 0) r = 0
    if (srv) printf "%.2f/%.2f/%.2f", s / n * 1000, c / n * 1000, r
    else printf "%.2f/%.2f", c / n * 1000, r }'
}
background_pct() { # busy share of the machine over 2 s while the bench is idle
  local b0 b1
  b0=$(busy_ticks); sleep 2; b1=$(busy_ticks)
  awk -v d=$((b1 - b0)) -v k="$CLK" -v n="$NCPU" 'BEGIN { printf "%.0f", d / k / (2 * n) * 100 }'
}
oha_count() { # requests answered in an oha JSON
  sed -n '/"statusCodeDistribution"/,/}/p' "$1" | grep -o '": *[0-9]*' | tr -d '": ' \
    | awk '{ s += $1 } END { print s + 0 }'
}
pgb_count() { sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$1"; }

results=$OUT/results.tsv
printf 'op\tkind\tservice_rps\tceiling_tps\tratio\trate\tp50_ms\tp99_ms\tnon2xx\tpeak_rss_mib\tbackground_pct\tsvc_cpu_ms\tpgb_cpu_ms\tnote\n' >"$results"

# ---------------------------------------------------------------- measurements
# Service and ceiling are measured in ROUNDS alternating slices (oha, pgbench, oha, ...),
# so that load from other processes on the machine falls on both alike.
ROUNDS=$((smoke ? 1 : 3))
SLICE=$((smoke ? DUR : (DUR + ROUNDS - 1) / ROUNDS))
SLICE=$((SLICE < 2 ? 2 : SLICE))
for op in $OPS; do
  [ -n "${KIND[$op]:-}" ] || die "unknown operation $op"
  log "$op"
  code=$(curl_check "$op")
  case "$code" in 2*) ;; *) die "$op: the check request got HTTP $code" ;; esac
  bg=$(background_pct)
  reset_hwm
  svc="" p50="" p99="" bad=0 note="" svc_cpu="-" codes_max=""
  if [ $have_oha = 1 ]; then
    oha_target "$op" warm
    "$OHA" --no-tui -c "$CONC" -z "${WARM}s" -w --output-format quiet "${OHA_ARGS[@]}" >/dev/null
  fi
  svc_sum=0 ceil_sum=0 svc_cpu_acc="" pgb_cpu_acc=""
  for r in $(seq 1 $ROUNDS); do
    if [ $have_oha = 1 ]; then
      oha_target "$op" max
      perf_pid=""
      if [ "$PERF" = 1 ] && [ "$r" = 1 ]; then
        perf record -q -F 999 -g -p "$server_pid" -o "$OUT/$op.perf.data" -- sleep $((SLICE > 2 ? SLICE - 1 : 1)) \
          >/dev/null 2>&1 &
        perf_pid=$!
      fi
      cpu_reset; cpu_mark
      "$OHA" --no-tui -c "$CONC" -z "${SLICE}s" -w --output-format json -o "$OUT/$op-max-$r.json" \
        "${OHA_ARGS[@]}"
      cpu_since "$(oha_count "$OUT/$op-max-$r.json")"
      if [ -n "$perf_pid" ]; then
        wait "$perf_pid" || true
        { echo "## $op: server CPU by binary"
          perf report -i "$OUT/$op.perf.data" --no-children --sort dso -g none 2>/dev/null \
            | grep -v -e '^#' -e '^$' | head -8 || true
          echo "## $op: hottest symbols"
          perf report -i "$OUT/$op.perf.data" --no-children --sort dso,sym -g none 2>/dev/null \
            | grep -v -e '^#' -e '^$' | head -25 || true
        } >"$OUT/$op-perf.txt"
      fi
      svc_cpu_acc="$svc_cpu_acc $A_BUSY $A_SRV $A_CLI $A_N"
      svc_sum=$(awk -v a="$svc_sum" -v b="$(json_num requestsPerSec "$OUT/$op-max-$r.json")" 'BEGIN { print a + b }')
      bad=$((bad + $(non2xx "$OUT/$op-max-$r.json")))
      codes_max="$codes_max$(codes "$OUT/$op-max-$r.json")| "
    fi
    cpu_reset; cpu_mark
    "${PGB[@]}" -c "$CONC" -T "$SLICE" -f "$here/pgbench/$op.sql" "$DB" >"$OUT/$op-pgbench-$r.txt" 2>&1 \
      || { cat "$OUT/$op-pgbench-$r.txt" >&2; die "$op: pgbench failed"; }
    grep -q 'number of failed transactions: 0 ' "$OUT/$op-pgbench-$r.txt" || die "$op: pgbench transactions failed"
    cpu_since "$(pgb_count "$OUT/$op-pgbench-$r.txt")"
    pgb_cpu_acc="$pgb_cpu_acc $A_BUSY $A_SRV $A_CLI $A_N"
    ceil_sum=$(awk -v a="$ceil_sum" -v b="$(pgb_tps "$OUT/$op-pgbench-$r.txt")" 'BEGIN { print a + b }')
  done
  # sum the accumulators of the rounds
  sum4() { echo "$1" | awk '{ for (i = 1; i <= NF; i++) s[(i - 1) % 4] += $i } END { print s[0], s[1], s[2], s[3] }'; }
  if [ $have_oha = 1 ]; then
    read -r A_BUSY A_SRV A_CLI A_N <<<"$(sum4 "$svc_cpu_acc")"; svc_cpu=$(cpu_per_req 1)
    svc=$(awk -v s="$svc_sum" -v n=$ROUNDS 'BEGIN { print s / n }')
    note="max: $codes_max"
  fi
  read -r A_BUSY A_SRV A_CLI A_N <<<"$(sum4 "$pgb_cpu_acc")"; pgb_cpu=$(cpu_per_req 0)
  ceil=$(awk -v s="$ceil_sum" -v n=$ROUNDS 'BEGIN { printf "%.1f", s / n }')
  if [ "$op" = list ]; then
    # take out the cost of the per-request lookup that only the pgbench script makes
    "${PGB[@]}" -c "$CONC" -T "$SLICE" -f "$here/pgbench/lookup.sql" "$DB" >"$OUT/lookup-pgbench.txt" 2>&1
    lk=$(pgb_tps "$OUT/lookup-pgbench.txt")
    raw=$ceil
    ceil=$(awk -v a="$raw" -v b="$lk" 'BEGIN { printf "%.1f", 1 / (1 / a - 1 / b) }')
    note="$note; ceiling $raw tps measured, lookup alone $lk tps"
  fi
  if [ $have_oha = 1 ]; then
    rate=${RATE[$op]}
    rdur=$DUR
    case "$op" in stats_all|stats_provider) rdur=$(( DUR < 30 ? 30 : DUR )) ;; esac
    if [ $smoke = 1 ]; then rdur=$DUR; fi
    oha_target "$op" rate
    "$OHA" --no-tui -c "$CONC" -q "$rate" --latency-correction -z "${rdur}s" -w --output-format json \
      -o "$OUT/$op-rate.json" "${OHA_ARGS[@]}"
    p50=$(json_num p50 "$OUT/$op-rate.json"); p99=$(json_num p99 "$OUT/$op-rate.json")
    bad=$((bad + $(non2xx "$OUT/$op-rate.json")))
    note="$note; rate: $(codes "$OUT/$op-rate.json")"
  else
    # smoke without oha: a handful of requests per operation
    for _ in 1 2 3 4 5; do
      code=$(curl_check "$op"); case "$code" in 2*) ;; *) bad=$((bad + 1)) ;; esac
    done
    rate="-"
  fi
  ratio=""
  if [ -n "$svc" ]; then ratio=$(awk -v s="$svc" -v c="$ceil" 'BEGIN { printf "%.2f", s / c }'); fi
  rss=$(awk -v k="$(hwm_kib)" 'BEGIN { printf "%.1f", k / 1024 }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$op" "${KIND[$op]}" "$svc" "$ceil" \
    "$ratio" "$rate" "$p50" "$p99" "$bad" "$rss" "$bg" "$svc_cpu" "$pgb_cpu" "$note" >>"$results"
done
stop_server
trap - EXIT

# ---------------------------------------------------------------- the table
machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $(free -h | awk '/Mem:/ { print $2 }') RAM, $("${PSQL[@]}" -d postgres -Atc 'SHOW server_version' | cut -d' ' -f1) PostgreSQL (shared_buffers $("${PSQL[@]}" -d postgres -Atc 'SHOW shared_buffers')), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
cmd="bench/run.sh"
if [ $smoke = 1 ]; then cmd="$cmd --smoke"; fi
if [ $skip_load = 1 ]; then cmd="$cmd --skip-load"; fi
if [ -n "$ops_arg" ]; then cmd="$cmd --ops \"$ops_arg\""; fi
env_used=$(env | grep '^BENCH_' | sort | tr '\n' ' ' || true)
if [ -n "$env_used" ]; then cmd="$env_used$cmd"; fi
load_time=""
if [ -f "$OUT/load-time.txt" ]; then load_time="; $(cat "$OUT/load-time.txt")"; fi
oha_used=""
if [ $have_oha = 1 ]; then oha_used="oha $OHA_VERSION, "; fi
awk -F'\t' -v startup="$STARTUP_MAX" -v conc="$CONC" '
  function target(kind, op) {
    if (kind == "write") return 0.75
    if (kind == "read") return 0.50
    return ""
  }
  function lat_target(op) {
    if (op == "list") return 20
    if (op == "stats_all") return 150
    if (op == "stats_camera" || op == "stats_provider") return 20
    return ""
  }
  NR == 1 { next }
  {
    op = $1; kind = $2; t = target(kind, op); lt = lat_target(op)
    verdict = ""
    if (t != "" && $5 != "") verdict = verdict ($5 >= t ? "ratio ok" : "ratio MISSED") " (>= " t ")"
    if (lt != "" && $8 != "") verdict = verdict (verdict == "" ? "" : "; ") ($8 < lt ? "p99 ok" : "p99 MISSED") " (< " lt " ms)"
    if ($10 + 0 >= 100) verdict = verdict (verdict == "" ? "" : "; ") "RSS MISSED"
    if ($9 + 0 > 0) verdict = verdict (verdict == "" ? "" : "; ") $9 " non-2xx"
    rows[++n] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", op,
      ($3 == "" ? "-" : sprintf("%.0f", $3)), sprintf("%.1f", $4), ($5 == "" ? "-" : $5), $6,
      ($7 == "" ? "-" : sprintf("%.1f", $7)), ($8 == "" ? "-" : sprintf("%.1f", $8)), $10, verdict)
    if ($10 + 0 > peak) peak = $10 + 0
    cpu[n] = sprintf("| %s | %s | %s | %s |", op, $12, $13, $11)
  }
  END {
    print "| operation | service req/s | ceiling tx/s (pgbench) | ratio | fixed rate req/s | p50 ms | p99 ms | server peak RSS MiB | targets |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    for (i = 1; i <= n; i++) print rows[i]
    print ""
    print "CPU per request (ms of CPU time, from /proc), full-speed runs: service = server / oha / the rest (PostgreSQL and other processes); ceiling = pgbench / the rest. Other load = the machine busy while the bench was idle just before the operation."
    print ""
    print "| operation | service: server / oha / rest | ceiling: pgbench / rest | other load % |"
    print "|---|---|---|---:|"
    for (i = 1; i <= n; i++) print cpu[i]
    print ""
    printf "Concurrency %d (oha connections = pgbench clients). Server peak RSS over the run: %.1f MiB (target < 100: %s). Start-up to ready: %d ms, worst of 3 (target < 1000: %s).\n", conc, peak, (peak < 100 ? "ok" : "MISSED"), startup, (startup < 1000 ? "ok" : "MISSED")
  }' "$results" >"$OUT/table.md"
{
  echo "Machine: $machine"
  echo "Data: $(paste -sd';' "$OUT/data.txt" | sed 's/;/; /g')$load_time"
  echo "Command: \`$cmd\` (${oha_used}${DUR} s per measurement, results in bench/results/$(basename "$OUT"))"
  echo
  cat "$OUT/table.md"
} >"$OUT/report.md"
if [ $smoke = 1 ]; then cp "$OUT/report.md" "$root/bench/results/latest-smoke.md"
else cp "$OUT/report.md" "$root/bench/results/latest.md"; fi

if [ $smoke = 0 ] && [ $docs = 1 ] && [ -z "$ops_arg" ] && [ -f "$root/docs/PERFORMANCE.md" ] \
   && grep -q '<!-- bench:table:begin -->' "$root/docs/PERFORMANCE.md"; then
  awk -v f="$OUT/report.md" '
    /<!-- bench:table:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
    /<!-- bench:table:end -->/ { skip = 0 }
    !skip' "$root/docs/PERFORMANCE.md" >"$OUT/PERFORMANCE.md" && cp "$OUT/PERFORMANCE.md" "$root/docs/PERFORMANCE.md"
  if [ -f "$OUT/plans.md" ] && grep -q '<!-- bench:plans:begin -->' "$root/docs/PERFORMANCE.md"; then
    awk -v f="$OUT/plans.md" '
      /<!-- bench:plans:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
      /<!-- bench:plans:end -->/ { skip = 0 }
      !skip' "$root/docs/PERFORMANCE.md" >"$OUT/PERFORMANCE.md" && cp "$OUT/PERFORMANCE.md" "$root/docs/PERFORMANCE.md"
  fi
  log "docs/PERFORMANCE.md updated"
fi

tail -c 20000 "$OUT/server.log" >"$OUT/server.tail.log" && rm -f "$OUT/server.log"
rm -f "$in"/create-*.txt "$OUT"/*.perf.data "$OUT/.times" # large, and made again by every run
echo
cat "$OUT/report.md"
