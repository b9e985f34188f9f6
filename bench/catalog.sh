#!/usr/bin/env bash
# Catalog benchmark: starts a fresh `tenantry up` (embedded PostgreSQL, temporary data directory,
# free ports), loads it with N tenants through the API and measures create, get-by-slug, list and
# the server's memory with bench/src/main/java/dev/tenantry/bench/CatalogBench.java, then stops the
# server, removes the temporary directory and appends the figures to bench/RESULTS.md.
#
#   bench/catalog.sh                      the full run of the issue (10,000 tenants, 20 s at 1,000 req/s)
#   bench/catalog.sh --quick              a smoke run (1,000 tenants, short phases)
#   bench/catalog.sh --tenants N --duration S [--rate R] [--rounds N] [--label TEXT] [--no-append]
#   bench/catalog.sh ... -- --list-rate 100   (anything after -- goes to the harness; see --help there)
#
# Load only ever targets 127.0.0.1. Every loop below is bounded in count and time.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"
. "$bench_dir/lib.sh"

tenants=10000
duration=20
rate=1000
rounds=2
label="full run"
append=1
server_log_level=""
harness_args=()
original_args=("$@")

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --tenants)  tenants="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rate)     rate="$2"; shift 2 ;;
    --rounds)   rounds="$2"; shift 2 ;;
    --label)    label="$2"; shift 2 ;;
    --quick)    tenants=1000; duration=6; label="quick run"
                harness_args+=(--throughput-duration 4 --list-duration 4 --warmup 2); shift ;;
    --no-append) append=0; shift ;;
    --server-log-level) server_log_level="$2"; shift 2 ;;
    -h|--help)  usage; exit 0 ;;
    --)         shift; harness_args+=("$@"); break ;;
    *)          echo "catalog.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

bench_harness catalog.sh

work="$(mktemp -d "${TMPDIR:-/tmp}/tenantry-catalog-bench.XXXXXX")"
server_pid=""
postgres_pid=""

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "catalog.sh: the server did not stop within 60 s; killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  # The embedded PostgreSQL is stopped by the server; make sure it did not outlive it.
  if [ -n "$postgres_pid" ] && kill -0 "$postgres_pid" 2>/dev/null; then
    for _ in $(seq 1 60); do kill -0 "$postgres_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$postgres_pid" 2>/dev/null && kill -TERM "$postgres_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "catalog.sh: starting a fresh server (temporary data directory, free port)..." >&2
# A fixed, reproducible server: embedded PostgreSQL whatever this shell's TENANTRY_* settings say.
(
  unset TENANTRY_DATABASE_URL TENANTRY_DATABASE_USER TENANTRY_DATABASE_PASSWORD TENANTRY_ROLES TENANTRY_CONFIG
  export TENANTRY_CLIENT_CONFIG="$work/client.json"
  [ -n "$server_log_level" ] && export TENANTRY_LOG_LEVEL="$server_log_level"
  # An api-only node: tenant creates queue their provisioning operations but no node runs them, so
  # this measures the catalog API alone (bench/provision.sh measures provisioning).
  exec "$root/tenantry" serve --roles api --data-dir "$work/data" --api-port 0 --gateway-port 0 --bind 127.0.0.1
) >"$work/server.log" 2>&1 &
server_pid=$!   # the launcher execs the JVM, so this is the server JVM's pid

# Wait (at most 5 minutes: the first start may build the server) for the client config and /readyz.
url=""
for _ in $(seq 1 600); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "catalog.sh: the server exited during start-up; its log:" >&2
    tail -n 40 "$work/server.log" >&2
    exit 1
  fi
  if [ -z "$url" ] && grep -q "Admin token:        tad_" "$work/server.log"; then
    url="$(sed -n 's/.*Control-plane API: *\(http:[^ ]*\).*/\1/p' "$work/server.log" | head -n 1)"
    token="$(sed -n 's/.*Admin token: *\(tad_[A-Za-z0-9_]*\).*/\1/p' "$work/server.log" | head -n 1)"
    printf '{"server": "%s", "token": "%s"}\n' "$url" "$token" >"$work/client.json"
  fi
  if [ -n "$url" ] && curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
if [ -z "$url" ] || ! curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1; then
  echo "catalog.sh: the server did not become ready; its log:" >&2
  tail -n 40 "$work/server.log" >&2
  exit 1
fi
case "$(readlink "/proc/$server_pid/exe" 2>/dev/null || true)" in
  */java) ;;
  *) echo "catalog.sh: pid $server_pid is not the server JVM" >&2; exit 1 ;;
esac
if [ -f "$work/data/postgres/postmaster.pid" ]; then
  postgres_pid="$(head -n 1 "$work/data/postgres/postmaster.pid" | tr -d ' ')"
fi
echo "catalog.sh: server ready at $url (pid $server_pid, PostgreSQL pid ${postgres_pid:-?})" >&2

load_before="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"
set +e
"$java" -Xms256m -Xmx1g -XX:+UseParallelGC -cp "$bench_jar" dev.tenantry.bench.CatalogBench \
  --client-config "$work/client.json" --server-pid "$server_pid" ${postgres_pid:+--postgres-pid "$postgres_pid"} \
  --clk-tck "$(getconf CLK_TCK 2>/dev/null || echo 100)" \
  --tenants "$tenants" --duration "$duration" --rate "$rate" --rounds "$rounds" \
  "${harness_args[@]}" >"$work/figures.txt"
status=$?
[ "$append" -eq 1 ] && cat "$work/figures.txt"
set -e
load_after="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"
access_lines="$(grep -c '"dev.tenantry.api.access"' "$work/server.log" 2>/dev/null || true)"
stop_server

if [ "$status" -ne 0 ]; then
  echo "catalog.sh: the harness failed (exit $status); the server log's last lines:" >&2
  tail -n 20 "$work/server.log" >&2
  exit "$status"
fi

command_line="bench/catalog.sh"
[ -n "${TENANTRY_JAVA_OPTS:-}" ] && command_line="TENANTRY_JAVA_OPTS='$TENANTRY_JAVA_OPTS' $command_line"
for a in "${original_args[@]}"; do
  case "$a" in
    *[!A-Za-z0-9_./=:-]*|'') command_line+=" '${a//\'/\'\\\'\'}'" ;;   # quote anything unusual
    *) command_line+=" $a" ;;
  esac
done
jdk="$("$java" -version 2>&1 | head -n 1)"
block="$(
  echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — catalog, $label"
  echo
  echo "Command: \`$command_line\` (from the repository root)"
  echo
  echo "Machine: $(nproc) cores, $(uname -sr), $jdk; load average $load_before before, $load_after after;"
  echo "server log level ${server_log_level:-default (INFO: one access-log line per request, $access_lines written)}."
  echo
  echo '```'
  cat "$work/figures.txt"
  echo '```'
)"
bench_record "$append" "$block"
