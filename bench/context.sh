#!/usr/bin/env bash
# Tenant-context benchmark: starts an API node (`tenantry serve --roles api,scheduler`, embedded
# PostgreSQL, temporary data directory) and two gateway-only nodes on the same catalog, then runs
# bench/src/main/java/dev/tenantry/bench/ContextBench.java: loads N tenants (two hostnames each)
# by SQL, measures by-host lookups with wrk against /healthz, propagation of changes to the
# gateways and an SDK client, the gateways' heap, and a new gateway node's start; then stops
# every node, removes the temporary directory and appends the figures to bench/RESULTS.md.
#
#   bench/context.sh                      the full run of the issue (10,000 tenants, 1,000 changes; about 3 minutes)
#   bench/context.sh --quick              a smoke run (1,000 tenants, 100 changes, short wrk runs)
#   bench/context.sh --tenants N --changes N [--duration S] [--rounds N] [--label TEXT] [--no-append] [--keep]
#   bench/context.sh ... -- --poll-us 1000   (anything after -- goes to the harness; see --help there)
#
# Load only ever targets 127.0.0.1. Every loop below is bounded in count and time.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"
. "$bench_dir/lib.sh"

tenants=10000
changes=1000
duration=10
rounds=2
warmup=15
label="full run"
append=1
keep=0
server_log_level=""
harness_args=()
original_args=("$@")

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --tenants)  tenants="$2"; shift 2 ;;
    --changes)  changes="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rounds)   rounds="$2"; shift 2 ;;
    --label)    label="$2"; shift 2 ;;
    --quick)    tenants=1000; changes=100; duration=4; warmup=3; label="quick run"; shift ;;
    --no-append) append=0; shift ;;
    --keep)     keep=1; shift ;;
    --server-log-level) server_log_level="$2"; shift 2 ;;
    -h|--help)  usage; exit 0 ;;
    --)         shift; harness_args+=("$@"); break ;;
    *)          echo "context.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null 2>&1 || { echo "context.sh: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 1; }

# Fixed, reproducible nodes whatever this shell's TENANTRY_* settings say (TENANTRY_JAVA_OPTS is kept).
bench_isolate_env
[ -n "$server_log_level" ] && export TENANTRY_LOG_LEVEL="$server_log_level"

bench_harness context.sh

work="$(mktemp -d "${TMPDIR:-/tmp}/tenantry-context-bench.XXXXXX")"
api_pid=""
postgres_pid=""
gateway_pids=()
harness_pid=""

stop_nodes() {
  # A gateway node the harness started and could not stop (the harness died): its pid file.
  if [ -f "$work/gateway-new.pid" ]; then
    bench_stop_pid "$(tr -d ' \n' <"$work/gateway-new.pid")" "the new gateway node"
  fi
  for pid in ${gateway_pids[@]+"${gateway_pids[@]}"}; do bench_stop_pid "$pid" "a gateway node"; done
  gateway_pids=()
  bench_stop_pid "$api_pid" "the API node"
  api_pid=""
  # The API node stops its embedded PostgreSQL; make sure it did not outlive it.
  if [ -n "$postgres_pid" ] && kill -0 "$postgres_pid" 2>/dev/null; then
    bench_wait_exit "$postgres_pid" 60 || kill -TERM "$postgres_pid" 2>/dev/null || true
  fi
}
cleanup() {
  # The harness first: its shutdown hook stops a new gateway node it is timing.
  if [ -n "$harness_pid" ] && kill -0 "$harness_pid" 2>/dev/null; then
    kill -TERM "$harness_pid" 2>/dev/null || true
    bench_wait_exit "$harness_pid" 40 || kill -KILL "$harness_pid" 2>/dev/null || true
  fi
  stop_nodes
  if [ "$keep" -eq 1 ]; then
    echo "context.sh: kept $work (data directories and logs)" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ports below the usual ephemeral range that nobody listens on now (so outgoing connections do not take them).
used_ports=" "
port=""
pick_port() {
  local p
  for _ in $(seq 1 500); do
    p=$(( 20000 + RANDOM % 12000 ))
    case "$used_ports" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      port="$p"
      return 0
    fi
  done
  echo "context.sh: found no free port" >&2
  exit 1
}
wait_ready() { # url, pid, log, what: at most 5 minutes (the first start may build the server)
  local url="$1" pid="$2" log="$3" what="$4"
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "context.sh: $what exited during start-up; its log:" >&2
      tail -n 40 "$log" >&2
      exit 1
    fi
    curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "context.sh: $what did not become ready; its log:" >&2
  tail -n 40 "$log" >&2
  exit 1
}
require_java() { # pid, what: the launcher execs the JVM, so the pid we hold must be the JVM's
  case "$(readlink "/proc/$1/exe" 2>/dev/null || true)" in
    */java) ;;
    *) echo "context.sh: pid $1 is not the JVM of $2" >&2; exit 1 ;;
  esac
}

echo "context.sh: starting the API node (temporary data directory, free port)..." >&2
"$root/tenantry" serve --roles api,scheduler --data-dir "$work/api" --api-port 0 --bind 127.0.0.1 >"$work/api.log" 2>&1 &
api_pid=$!
url=""
for _ in $(seq 1 600); do
  if ! kill -0 "$api_pid" 2>/dev/null; then
    echo "context.sh: the API node exited during start-up; its log:" >&2
    tail -n 40 "$work/api.log" >&2
    exit 1
  fi
  if grep -q "Admin token:        tad_" "$work/api.log"; then
    url="$(sed -n 's/.*Control-plane API: *\(http:[^ ]*\).*/\1/p' "$work/api.log" | head -n 1)"
    token="$(sed -n 's/.*Admin token: *\(tad_[A-Za-z0-9_]*\).*/\1/p' "$work/api.log" | head -n 1)"
    printf '{"server": "%s", "token": "%s"}\n' "$url" "$token" >"$work/client.json"
    break
  fi
  sleep 0.5
done
[ -n "$url" ] || { echo "context.sh: the API node printed no URL and token; its log:" >&2; tail -n 40 "$work/api.log" >&2; exit 1; }
wait_ready "$url" "$api_pid" "$work/api.log" "the API node"
require_java "$api_pid" "the API node"
postgres_pid="$(head -n 1 "$work/api/postgres/postmaster.pid" | tr -d ' ')"
postgres_port="$(sed -n 4p "$work/api/postgres/postmaster.pid" | tr -d ' ')"
# The embedded PostgreSQL's superuser password: for the gateway nodes and the harness's writes.
PGPASSWORD="$(cat "$work/api/postgres-superuser-password")"
export PGPASSWORD
echo "context.sh: API node ready at $url (pid $api_pid; PostgreSQL pid $postgres_pid, port $postgres_port)" >&2

# Gateway-only nodes: the same catalog and master key, their own data directories and ports.
cat >"$work/gateway-node.sh" <<EOF
#!/usr/bin/env bash
# gateway-node.sh DATA_DIR API_PORT GATEWAY_PORT: a gateway-only node on the benchmark's catalog.
set -eu
[ -f "\$1/master.key" ] || { mkdir -p "\$1"; install -m 0600 "$work/api/master.key" "\$1/master.key"; }
TENANTRY_DATABASE_PASSWORD="\$PGPASSWORD" exec "$root/tenantry" serve --roles gateway --database-url "jdbc:postgresql://127.0.0.1:$postgres_port/tenantry" \\
  --database-user postgres --data-dir "\$1" --api-port "\$2" --gateway-port "\$3" --bind 127.0.0.1
EOF
chmod +x "$work/gateway-node.sh"
gateways=""
for n in 1 2; do
  pick_port; mgmt_port="$port"
  pick_port; gateway_port="$port"
  "$work/gateway-node.sh" "$work/gateway-$n" "$mgmt_port" "$gateway_port" >"$work/gateway-$n.log" 2>&1 &
  gateway_pids+=("$!")
  gateways+="${gateways:+,}$mgmt_port:$gateway_port:$!"
done
n=0
for g in ${gateways//,/ }; do
  n=$((n + 1))
  IFS=: read -r mgmt_port gateway_port pid <<<"$g"
  wait_ready "http://127.0.0.1:$mgmt_port" "$pid" "$work/gateway-$n.log" "gateway node $n"
  require_java "$pid" "gateway node $n"
done
echo "context.sh: gateway nodes ready (management:gateway:pid $gateways)" >&2

load_before="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"
set +e
"$java" -Xms64m -Xmx512m -XX:+UseSerialGC -cp "$bench_jar" dev.tenantry.bench.ContextBench \
  --client-config "$work/client.json" --api-pid "$api_pid" \
  --postgres-port "$postgres_port" --postgres-pid "$postgres_pid" --gateways "$gateways" \
  --gateway-command "$work/gateway-node.sh" --master-key "$work/api/master.key" --work-dir "$work" \
  --wrk "$(command -v wrk)" --clk-tck "$(getconf CLK_TCK 2>/dev/null || echo 100)" \
  --tenants "$tenants" --changes "$changes" --duration "$duration" --rounds "$rounds" --warmup "$warmup" \
  ${harness_args[@]+"${harness_args[@]}"} >"$work/figures.txt" &
harness_pid=$!   # in the background so that a signal to this script is handled at once (see cleanup)
wait "$harness_pid"
status=$?
harness_pid=""
[ "$append" -eq 1 ] && cat "$work/figures.txt"
set -e
load_after="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"
access_lines="$(grep -c '"dev.tenantry.api.access"' "$work/api.log" 2>/dev/null || true)"
warnings="$(cat "$work/api.log" "$work"/gateway-*.log 2>/dev/null | grep -cE '"level":"(WARN|ERROR)"' || true)"
first_warning="$(cat "$work/api.log" "$work"/gateway-*.log 2>/dev/null | grep -m 1 -E '"level":"(WARN|ERROR)"' \
  | sed -n 's/.*"logger":"\([^"]*\)".*"msg":"\([^"]*\)".*/\1: \2/p' | cut -c 1-200 || true)"
if [ "$status" -ne 0 ]; then
  echo "context.sh: the harness failed (exit $status); the nodes' last WARN/ERROR lines:" >&2
  cat "$work/api.log" "$work"/gateway-*.log 2>/dev/null | grep -E '"level":"(WARN|ERROR)"' | tail -n 10 >&2 || true
  exit "$status"
fi
stop_nodes

command_line="bench/context.sh"
[ -n "${TENANTRY_JAVA_OPTS:-}" ] && command_line="TENANTRY_JAVA_OPTS='$TENANTRY_JAVA_OPTS' $command_line"
for a in ${original_args[@]+"${original_args[@]}"}; do
  case "$a" in
    *[!A-Za-z0-9_./=:-]*|'') command_line+=" '${a//\'/\'\\\'\'}'" ;;   # quote anything unusual
    *) command_line+=" $a" ;;
  esac
done
jdk="$("$java" -version 2>&1 | head -n 1)"
block="$(
  echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — context, $label"
  echo
  echo "Command: \`$command_line\` (from the repository root)"
  echo
  echo "Machine: $(nproc) cores, $(uname -sr), $jdk; load average $load_before before, $load_after after;"
  echo "API node log level ${server_log_level:-default (INFO: one access-log line per request, $access_lines written)}; $warnings WARN/ERROR lines in the nodes' logs${first_warning:+ (first: $first_warning)}."
  echo
  echo '```'
  cat "$work/figures.txt"
  echo '```'
)"
bench_record "$append" "$block"
