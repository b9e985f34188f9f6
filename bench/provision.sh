#!/usr/bin/env bash
# Provisioning benchmark (issue 3): starts a fresh `tenantry up` (embedded PostgreSQL and a local
# redis-server, temporary data directory, free ports), then runs
# bench/src/main/java/dev/tenantry/bench/ProvisionBench.java against it: create -> active latency
# per tier (one at a time), deprovision time, throughput with concurrent creates over a
# 1,000-pool-tenant run with its failure count and orphan check, and the same PostgreSQL/Redis work
# done directly as the baseline. Stops the server with SIGTERM and removes the directory.
#
#   bench/provision.sh             the full run (100 pool + 100 silo, 1,000 pool tenants, 4 concurrent; ~4 min on 2 cores)
#   bench/provision.sh --quick     a smoke run (10 pool + 5 silo, 40 pool tenants; about 30 s)
#   bench/provision.sh [--pool N] [--silo N] [--scale N] [--concurrency N] [--window N] [--keep]
#   bench/provision.sh ... -- --poll-ms 20   (anything after -- goes to the harness; see --help there)
#
# Figures go to stdout, progress to stderr. Exit status: 0 when every checked target passes and
# nothing failed or was orphaned, 1 otherwise. Load only ever targets 127.0.0.1; every loop below
# is bounded in count and time.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"
. "$bench_dir/lib.sh"

harness_args=()
keep=0
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --pool|--silo|--scale|--concurrency|--window)
      [ $# -ge 2 ] || { echo "provision.sh: $1 needs a value" >&2; exit 2; }
      harness_args+=("$1" "$2"); shift 2 ;;
    --quick)  harness_args+=(--pool 10 --silo 5 --scale 40 --window 20 --warmup 1 --max-minutes 10); shift ;;
    --keep)   keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --)       shift; harness_args+=("$@"); break ;;
    *)        echo "provision.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

. "$root/scripts/jdk.sh"
find_jdk
java="$JAVA_HOME/bin/java"

# Build when a jar is missing or older than the sources (server and harness in one reactor build).
bench_jar="$bench_dir/target/tenantry-bench.jar"
server_jar="$root/server/target/tenantry.jar"
if [ ! -f "$bench_jar" ] || [ ! -f "$server_jar" ] \
   || [ -n "$(find "$bench_dir/src" "$bench_dir/pom.xml" "$root/sdk/src" -newer "$bench_jar" -type f -print -quit 2>/dev/null)" ] \
   || [ -n "$(find "$root/pom.xml" "$root/sdk" "$root/server" -newer "$server_jar" \
              \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -not -path '*/target/*' -print -quit)" ]; then
  echo "provision.sh: building the server and the harness..." >&2
  (cd "$root" && ./mvnw -q -B -DskipTests package) >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tenantry-provision-bench.XXXXXX")"
server_pid=""
postgres_pid=""
redis_pid=""

stop_server() {
  bench_stop_pid "$server_pid" "the server"
  # The server stops its PostgreSQL and redis-server; make sure neither outlived it.
  for pid in "$postgres_pid" "$redis_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      bench_wait_exit "$pid" 60 || kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  server_pid=""
}
cleanup() {
  stop_server
  if [ "$keep" -eq 1 ]; then
    echo "provision.sh: kept $work (data directory and server log)" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "provision.sh: starting a fresh server (temporary data directory, free port)..." >&2
# A fixed, reproducible server: embedded PostgreSQL, local redis-server, default provisioning
# settings, whatever this shell's TENANTRY_* settings say (TENANTRY_JAVA_OPTS is kept).
(
  bench_isolate_env
  export TENANTRY_CLIENT_CONFIG="$work/client.json"
  exec "$root/tenantry" up --data-dir "$work/data" --api-port 0 --gateway-port 0 --bind 127.0.0.1
) >"$work/server.log" 2>&1 &
server_pid=$!   # the launcher execs the JVM, so this is the server JVM's pid

# Wait (at most 5 minutes) for the client config and /readyz.
url=""
for _ in $(seq 1 600); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "provision.sh: the server exited during start-up; its log:" >&2
    tail -n 40 "$work/server.log" >&2
    exit 1
  fi
  if [ -z "$url" ] && [ -s "$work/client.json" ]; then
    url="$(sed -n 's/.*"server" *: *"\([^"]*\)".*/\1/p' "$work/client.json")"
  fi
  if [ -n "$url" ] && curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
if [ -z "$url" ] || ! curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1; then
  echo "provision.sh: the server did not become ready; its log:" >&2
  tail -n 40 "$work/server.log" >&2
  exit 1
fi
case "$(readlink "/proc/$server_pid/exe" 2>/dev/null || true)" in
  */java) ;;
  *) echo "provision.sh: pid $server_pid is not the server JVM" >&2; exit 1 ;;
esac
[ -f "$work/data/postgres/postmaster.pid" ] && postgres_pid="$(head -n 1 "$work/data/postgres/postmaster.pid" | tr -d ' ')"
[ -f "$work/data/redis/redis.pid" ] && redis_pid="$(tr -d ' \n' <"$work/data/redis/redis.pid")"
if [ ! -f "$work/data/redis/admin.password" ]; then
  echo "provision.sh: the server started no local redis-server (is redis-server on the PATH?); its log:" >&2
  tail -n 20 "$work/server.log" >&2
  exit 1
fi
# The embedded PostgreSQL's superuser password, for the harness's direct checks.
PGPASSWORD="$(cat "$work/data/postgres-superuser-password")"
export PGPASSWORD
echo "provision.sh: server ready at $url (pid $server_pid, PostgreSQL pid ${postgres_pid:-?}, redis-server pid ${redis_pid:-?})" >&2

echo "Machine: $(nproc) cores, $(uname -sr), $("$java" -version 2>&1 | head -n 1); load average $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?') before"
set +e
"$java" -Xmx512m -XX:+UseSerialGC -cp "$bench_jar" dev.tenantry.bench.ProvisionBench \
  --client-config "$work/client.json" --data-dir "$work/data" \
  --server-pid "$server_pid" ${postgres_pid:+--postgres-pid "$postgres_pid"} ${redis_pid:+--redis-pid "$redis_pid"} \
  --clk-tck "$(getconf CLK_TCK 2>/dev/null || echo 100)" ${harness_args[@]+"${harness_args[@]}"}
status=$?
set -e
echo "Load average $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?') after; server log: $(grep -c '"level":"WARN"' "$work/server.log" 2>/dev/null || true) WARN, $(grep -c '"level":"ERROR"' "$work/server.log" 2>/dev/null || true) ERROR lines"
if [ "$status" -ne 0 ]; then
  echo "provision.sh: the harness exited with $status; the server log's last WARN/ERROR lines:" >&2
  grep -E '"level":"(WARN|ERROR)"' "$work/server.log" | tail -n 10 >&2 || true
fi
stop_server
exit "$status"
