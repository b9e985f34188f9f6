#!/usr/bin/env bash
# Tenant-functions benchmark: starts one node (`tenantry serve`, every role, embedded PostgreSQL,
# temporary data and runtime directories, a pool of 8 pre-warmed workers, no egress pool, workers
# kept an hour, npm modules from a registry the harness runs on 127.0.0.1), then runs
# bench/src/main/java/dev/tenantry/bench/FunctionBench.java: warm invocation through the gateway
# (wrk; sequential latency against a bare sandboxed Node server), cold starts from the pool
# (against a fresh sandboxed process per request), memory per warm worker, and the module store
# (10 local packages, 100 functions); then stops the node, removes the directory and appends the
# figures to bench/RESULTS.md.
#
#   bench/functions.sh                    the full run (100 cold tenants, 200 warm workers, 100 functions; about 4 minutes)
#   bench/functions.sh --quick            a smoke run (10 cold tenants, 20 warm workers, 20 functions, short wrk runs)
#   bench/functions.sh [--cold N] [--density N] [--functions N] [--duration S] [--rounds N] [--label TEXT] [--no-append] [--keep]
#   bench/functions.sh --node-arg --gateway-spin-micros=0 ...   (a setting for the node; repeatable)
#   bench/functions.sh ... -- --latency-requests 20000   (anything after -- goes to the harness; see --help there)
#
# Needs node, npm, bwrap (bubblewrap), wrk and curl; wrk is installed with apt-get when missing and
# this runs as root. Load only ever targets 127.0.0.1. Every loop below is bounded in count and time.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"
. "$bench_dir/lib.sh"

pool_size=8
idle_timeout=3600
label="full run"
append=1
keep=0
server_log_level=""
size_args=()
harness_args=()
node_args=()
original_args=("$@")

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --cold|--density|--functions|--duration|--rounds)
      [ $# -ge 2 ] || { echo "functions.sh: $1 needs a value" >&2; exit 2; }
      size_args+=("$1" "$2"); shift 2 ;;
    --label)    label="$2"; shift 2 ;;
    --quick)    size_args=(--cold 10 --density 20 --functions 20 --module-tenants 2 --deploys 5 --latency-requests 1000
                           --latency-warmup 300 --duration 3 --rounds 1 --warmup 2 --bare-starts 5 --second-function 5 "${size_args[@]}")
                label="quick run"; shift ;;
    --no-append) append=0; shift ;;
    --keep)     keep=1; shift ;;
    --node-arg) [ $# -ge 2 ] || { echo "functions.sh: $1 needs a value" >&2; exit 2; }
                node_args+=("$2"); shift 2 ;;
    --server-log-level) server_log_level="$2"; shift 2 ;;
    -h|--help)  usage; exit 0 ;;
    --)         shift; harness_args+=("$@"); break ;;
    *)          echo "functions.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "functions.sh: installing wrk (apt-get install -y wrk)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1; } || true
  fi
  command -v wrk >/dev/null 2>&1 || { echo "functions.sh: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 1; }
fi
for tool in node npm bwrap curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "functions.sh: $tool is not installed" >&2; exit 1; }
done

# Fixed, reproducible nodes whatever this shell's TENANTRY_* settings say (TENANTRY_JAVA_OPTS is kept).
bench_isolate_env
[ -n "$server_log_level" ] && export TENANTRY_LOG_LEVEL="$server_log_level"

bench_harness functions.sh

work="$(mktemp -d "${TMPDIR:-/tmp}/tenantry-functions-bench.XXXXXX")"
# The sandboxes run as their own users and must traverse to the runtime directory; the node's log
# (it holds the admin token) and the client config stay in a private directory.
chmod 711 "$work"
mkdir -m 700 "$work/private"
node_pid=""
postgres_pid=""
harness_pid=""

# Processes of ours still alive after their parents stopped (sandboxes of a killed node or
# harness): those whose command line names this run's temporary directory, each by its pid.
stop_leftovers() {
  local f pid n=0
  for f in /proc/[0-9]*/cmdline; do
    pid="${f#/proc/}"; pid="${pid%/cmdline}"
    [ "$pid" = "$$" ] && continue
    if { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -qF -- "$work/"; then
      kill -KILL "$pid" 2>/dev/null && n=$((n + 1)) || true
    fi
  done
  [ "$n" -eq 0 ] || echo "functions.sh: stopped $n leftover process(es) of this run" >&2
}
stop_node() {
  bench_stop_pid "$node_pid" "the node"
  node_pid=""
  # The node stops its embedded PostgreSQL; make sure it did not outlive it.
  if [ -n "$postgres_pid" ] && kill -0 "$postgres_pid" 2>/dev/null; then
    bench_wait_exit "$postgres_pid" 60 || kill -TERM "$postgres_pid" 2>/dev/null || true
  fi
}
cleanup() {
  # The harness first: it stops the bare sandboxed servers and its registry.
  if [ -n "$harness_pid" ] && kill -0 "$harness_pid" 2>/dev/null; then
    kill -TERM "$harness_pid" 2>/dev/null || true
    bench_wait_exit "$harness_pid" 40 || kill -KILL "$harness_pid" 2>/dev/null || true
  fi
  stop_node
  stop_leftovers
  if [ "$keep" -eq 1 ]; then
    echo "functions.sh: kept $work (data and runtime directories, logs)" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port below the usual ephemeral range that nobody listens on now, for the harness's npm registry.
registry_port=""
for _ in $(seq 1 500); do
  p=$(( 20000 + RANDOM % 12000 ))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then registry_port="$p"; break; fi
done
[ -n "$registry_port" ] || { echo "functions.sh: found no free port" >&2; exit 1; }

echo "functions.sh: starting the node (temporary directories, free ports, $pool_size pooled workers)..." >&2
log="$work/private/node.log"
"$root/tenantry" serve --data-dir "$work/node" --runtime-dir "$work/runtime" --blob-dir "$work/blobs" \
  --api-port 0 --gateway-port 0 --bind 127.0.0.1 \
  --worker-pool-size "$pool_size" --worker-egress-pool-size 0 --worker-idle-timeout-seconds "$idle_timeout" \
  --npm-registry "http://127.0.0.1:$registry_port/" ${node_args[@]+"${node_args[@]}"} >"$log" 2>&1 &
node_pid=$!
url=""
gateway_port=""
for _ in $(seq 1 600); do   # at most 5 minutes (the first start may build the server)
  if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "functions.sh: the node exited during start-up; its log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  if grep -q "Admin token:        tad_" "$log"; then
    url="$(sed -n 's/.*Control-plane API: *\(http:[^ ]*\).*/\1/p' "$log" | head -n 1)"
    gateway_port="$(sed -n 's/.*Gateway: *http:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$log" | head -n 1)"
    token="$(sed -n 's/.*Admin token: *\(tad_[A-Za-z0-9_]*\).*/\1/p' "$log" | head -n 1)"
    printf '{"server": "%s", "token": "%s"}\n' "$url" "$token" >"$work/private/client.json"
    break
  fi
  sleep 0.5
done
[ -n "$url" ] && [ -n "$gateway_port" ] || { echo "functions.sh: the node printed no URL, gateway port and token; its log:" >&2; tail -n 40 "$log" >&2; exit 1; }
for _ in $(seq 1 600); do
  curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { echo "functions.sh: the node exited; its log:" >&2; tail -n 40 "$log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1 || { echo "functions.sh: the node did not become ready; its log:" >&2; tail -n 40 "$log" >&2; exit 1; }
case "$(readlink "/proc/$node_pid/exe" 2>/dev/null || true)" in   # the launcher execs the JVM
  */java) ;;
  *) echo "functions.sh: pid $node_pid is not the node's JVM" >&2; exit 1 ;;
esac
if grep -q '"function runtime is not available' "$log" || grep -q 'the function runtime is not available' "$log"; then
  echo "functions.sh: the node has no function runtime:" >&2
  grep 'function runtime' "$log" | tail -n 3 >&2
  exit 1
fi
postgres_pid="$(head -n 1 "$work/node/postgres/postmaster.pid" | tr -d ' ')"
echo "functions.sh: node ready at $url, gateway port $gateway_port (pid $node_pid; PostgreSQL pid $postgres_pid); registry port $registry_port" >&2

load_before="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"
set +e
"$java" -Xms64m -Xmx512m -XX:+UseSerialGC -cp "$bench_jar" dev.tenantry.bench.FunctionBench \
  --client-config "$work/private/client.json" --server-pid "$node_pid" --postgres-pid "$postgres_pid" \
  --gateway-port "$gateway_port" --runtime-dir "$work/runtime" --blob-dir "$work/blobs" --server-log "$log" \
  --registry-port "$registry_port" --pool-size "$pool_size" --idle-timeout "$idle_timeout" --work-dir "$work" \
  --wrk "$(command -v wrk)" --node "$(command -v node)" --bwrap "$(command -v bwrap)" --npm "$(command -v npm)" \
  --clk-tck "$(getconf CLK_TCK 2>/dev/null || echo 100)" \
  ${size_args[@]+"${size_args[@]}"} ${harness_args[@]+"${harness_args[@]}"} >"$work/figures.txt" &
harness_pid=$!   # in the background so that a signal to this script is handled at once (see cleanup)
wait "$harness_pid"
status=$?
harness_pid=""
[ "$append" -eq 1 ] && cat "$work/figures.txt"
set -e
load_after="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"
warnings="$(grep -cE '"level":"(WARN|ERROR)"' "$log" 2>/dev/null || true)"
first_warning="$(grep -m 1 -E '"level":"(WARN|ERROR)"' "$log" 2>/dev/null \
  | sed -n 's/.*"logger":"\([^"]*\)".*"msg":"\([^"]*\)".*/\1: \2/p' | cut -c 1-200 || true)"
if [ "$status" -ne 0 ]; then
  echo "functions.sh: the harness failed (exit $status); the node's last WARN/ERROR lines:" >&2
  grep -E '"level":"(WARN|ERROR)"' "$log" | tail -n 10 >&2 || true
  [ "$append" -eq 1 ] || cat "$work/figures.txt"
  exit "$status"
fi
stop_node

command_line="bench/functions.sh"
[ -n "${TENANTRY_JAVA_OPTS:-}" ] && command_line="TENANTRY_JAVA_OPTS='$TENANTRY_JAVA_OPTS' $command_line"
for a in ${original_args[@]+"${original_args[@]}"}; do
  case "$a" in
    *[!A-Za-z0-9_./=:-]*|'') command_line+=" '${a//\'/\'\\\'\'}'" ;;   # quote anything unusual
    *) command_line+=" $a" ;;
  esac
done
jdk="$("$java" -version 2>&1 | head -n 1)"
block="$(
  echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — functions, $label"
  echo
  echo "Command: \`$command_line\` (from the repository root)"
  echo
  echo "Machine: $(nproc) cores, $(uname -sr), $jdk; load average $load_before before, $load_after after;"
  echo "node log level ${server_log_level:-default (INFO)}; $warnings WARN/ERROR lines in the node's log${first_warning:+ (first: $first_warning)}."
  echo
  echo '```'
  cat "$work/figures.txt"
  echo '```'
)"
bench_record "$append" "$block"
