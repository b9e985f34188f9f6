#!/usr/bin/env bash
# Gateway benchmark: proxy throughput and added latency of the Tenantry gateway, with nginx and
# Caddy as reverse proxies to the same backend measured in the same run.
#
# Everything listens on 127.0.0.1 and runs from a temporary directory (configs, logs, data):
#   18081  backend: nginx, one worker, `return 200 "ok\n"`, no access log, keep-alive
#   18082  nginx reverse proxy to the backend (upstream keepalive 64, HTTP/1.1)
#   18083  Caddy reverse_proxy to the backend (admin API off, automatic HTTPS off)
#   18080  Tenantry gateway (`tenantry serve --roles api,gateway,scheduler`, API on 18090): tenant
#          `bench` on plan `enterprise` with its limits raised so the rate limiter never throttles,
#          an API key, and the route `/` -> the backend with api-key auth; requests carry
#          `Host: bench.localhost` and `X-Api-Key`. Skipped with a message when the gateway does not
#          answer 200, so the peers can still be measured.
# wrk measures each target in alternating order (ABBA: direct, nginx, caddy, tenantry, then the
# reverse): throughput (`wrk -t2 -c64`) and latency at one connection (`wrk -t1 -c1 --latency`).
# Figures are the medians over the rounds; added latency = target p50 - direct p50.
#
#   bench/gateway.sh                 the full run (3 rounds, 10 s + 8 s per target and round; ~5 min)
#   bench/gateway.sh --quick         a smoke run (1 round, 3 s + 3 s; about 1 min)
#   bench/gateway.sh --no-tenantry   the peers only
#   bench/gateway.sh --keep          keep the temporary directory (configs, logs, wrk outputs)
#
# Settings (environment): GATEWAY_ROUNDS (3), GATEWAY_DURATION (throughput run, s; 10),
# GATEWAY_LATENCY_DURATION (latency run, s; 8), GATEWAY_WARMUP (per target before round 1, s; 5;
# Tenantry, whose JIT compiles meanwhile, repeats it until its throughput settles, at most 6 times),
# GATEWAY_CONNECTIONS (64), GATEWAY_THREADS (wrk threads for throughput; 2),
# GATEWAY_NGINX_WORKERS (the nginx proxy's worker_processes; auto), TENANTRY_JAVA_OPTS (gateway JVM).
# Needs nginx, caddy, wrk and curl (Debian: apt-get install -y nginx caddy wrk curl).
#
# Figures go to stdout, progress to stderr. Exit status: 0 when every target passes, 1 when one
# fails or a run had errors, 3 when Tenantry was skipped (the peers' figures are still printed).
# Load only ever targets 127.0.0.1; every loop below is bounded in count and time.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"
. "$bench_dir/lib.sh"

rounds="${GATEWAY_ROUNDS:-3}"
duration="${GATEWAY_DURATION:-10}"
latency_duration="${GATEWAY_LATENCY_DURATION:-8}"
warmup="${GATEWAY_WARMUP:-5}"
connections="${GATEWAY_CONNECTIONS:-64}"
threads="${GATEWAY_THREADS:-2}"
nginx_workers="${GATEWAY_NGINX_WORKERS:-auto}"
with_tenantry=1
keep=0

backend_port=18081; nginx_port=18082; caddy_port=18083; gateway_port=18080; api_port=18090
api="http://127.0.0.1:$api_port"

usage() { sed -n '2,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
log() { echo "gateway.sh: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick)       rounds=1; duration=3; latency_duration=3; warmup=2; shift ;;
    --no-tenantry) with_tenantry=0; shift ;;
    --keep)        keep=1; shift ;;
    -h|--help)     usage; exit 0 ;;
    *)             log "unknown argument '$1'"; usage >&2; exit 2 ;;
  esac
done

check_int() { # name value min max
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    log "$1 must be an integer from $3 to $4, not '$2'"; exit 2
  fi
}
check_int GATEWAY_ROUNDS "$rounds" 1 20
check_int GATEWAY_DURATION "$duration" 1 600
check_int GATEWAY_LATENCY_DURATION "$latency_duration" 1 600
check_int GATEWAY_WARMUP "$warmup" 0 600
check_int GATEWAY_CONNECTIONS "$connections" 1 4096
check_int GATEWAY_THREADS "$threads" 1 64
[ "$threads" -le "$connections" ] || { log "GATEWAY_THREADS must not exceed GATEWAY_CONNECTIONS"; exit 2; }
[[ "$nginx_workers" =~ ^(auto|[1-9][0-9]?)$ ]] || { log "GATEWAY_NGINX_WORKERS must be auto or 1 to 99"; exit 2; }

missing=()
for tool in nginx caddy wrk curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "missing: ${missing[*]} (Debian: apt-get install -y nginx caddy wrk curl)"; exit 2
fi

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $backend_port $nginx_port $caddy_port; do
  if listening "$port"; then log "port $port on 127.0.0.1 is already in use; stop what listens there"; exit 2; fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/tenantry-gateway-bench.XXXXXX")"
chmod 755 "$work"   # nginx workers may run as another user
declare -A pid=()
wrk_pid=""
skip_reason=""
clk_tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"

# Stops pid $1 with SIGTERM, waiting up to $2 half-seconds before SIGKILL.
stop_pid() {
  local p="$1" tries="$2"
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 "$tries"); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.5; done
  log "pid $p did not stop; killing it"
  kill -KILL "$p" 2>/dev/null || true
}
stop_tenantry() {
  [ -n "${pid[tenantry]:-}" ] || return 0
  stop_pid "${pid[tenantry]}" 120
  # The embedded PostgreSQL is stopped by the server; make sure it did not outlive it.
  if [ -n "${pid[postgres]:-}" ] && kill -0 "${pid[postgres]}" 2>/dev/null; then
    sleep 2; stop_pid "${pid[postgres]}" 20
  fi
  unset 'pid[tenantry]' 'pid[postgres]'
}
cleanup() {
  [ -n "$wrk_pid" ] && stop_pid "$wrk_pid" 4
  stop_tenantry
  for name in caddy nginx direct; do [ -n "${pid[$name]:-}" ] && stop_pid "${pid[$name]}" 20; done
  if [ "$keep" -eq 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- peers -------------------------------------------------------------------------------------

nginx_conf() { # name workers server-block
  local dir="$work/$1"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
worker_processes $2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
$3
}
EOF
}
nginx_conf direct 1 "    server {
        listen 127.0.0.1:$backend_port;
        location / { default_type text/plain; return 200 \"ok\n\"; }
    }"
nginx_conf nginx "$nginx_workers" "    upstream backend {
        server 127.0.0.1:$backend_port;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
mkdir -p "$work/caddy"
cat >"$work/caddy/Caddyfile" <<EOF
{
	admin off
	auto_https off
}
http://:$caddy_port {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:$backend_port {
		transport http {
			keepalive_idle_conns_per_host 64
		}
	}
}
EOF

# Waits up to $2 seconds for $1 to answer 200 (more curl arguments after); false otherwise.
wait_200() {
  local url="$1" seconds="$2"; shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$@" "$url" || true)" = 200 ] && return 0
    sleep 0.25
  done
  return 1
}
start_peer() { # name port command...
  local name="$1" port="$2"; shift 2
  "$@" >"$work/$name/stdout.log" 2>&1 &
  pid[$name]=$!
  if ! wait_200 "http://127.0.0.1:$port/" 20; then
    log "$name did not answer 200 on port $port; its log:"
    tail -n 20 "$work/$name/stdout.log" "$work/$name/error.log" >&2 2>/dev/null || true
    exit 1
  fi
}
log "starting the backend, nginx and Caddy..."
start_peer direct "$backend_port" nginx -p "$work/direct/" -e "$work/direct/error.log" -c "$work/direct/nginx.conf"
start_peer nginx "$nginx_port" nginx -p "$work/nginx/" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf"
start_peer caddy "$caddy_port" env HOME="$work/caddy" XDG_CONFIG_HOME="$work/caddy" XDG_DATA_HOME="$work/caddy" \
  caddy run --config "$work/caddy/Caddyfile" --adapter caddyfile
for name in nginx caddy; do
  port=$([ "$name" = nginx ] && echo "$nginx_port" || echo "$caddy_port")
  if [ "$(curl -s -m 2 "http://127.0.0.1:$port/")" != ok ]; then log "$name does not pass the backend's answer through"; exit 1; fi
done

# ---- Tenantry ----------------------------------------------------------------------------------

# Calls the API: method path [json]; the body goes to $work/api.json, the status to stdout.
call() {
  local args=(-s -o "$work/api.json" -w '%{http_code}' -m 10 -X "$1" -H "Authorization: Bearer $token")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
  curl "${args[@]}" "$api$2" || true
}
api_body() { tr -d '\n' <"$work/api.json" | cut -c 1-300; }

start_tenantry() {
  if listening "$gateway_port" || listening "$api_port"; then
    skip_reason="port $gateway_port or $api_port on 127.0.0.1 is already in use"; return 1
  fi
  log "starting Tenantry (embedded PostgreSQL, temporary data directory; the first start may build it)..."
  mkdir -p "$work/tenantry"
  chmod 700 "$work/tenantry"   # its log holds the admin token
  (
    bench_isolate_env
    exec "$root/tenantry" serve --roles api,gateway,scheduler --api-port "$api_port" --gateway-port "$gateway_port" \
      --bind 127.0.0.1 --data-dir "$work/tenantry/data"
  ) >"$work/tenantry/server.log" 2>&1 &
  pid[tenantry]=$!   # the launcher execs the JVM
  token=""
  for _ in $(seq 1 600); do   # at most 5 minutes
    if ! kill -0 "${pid[tenantry]}" 2>/dev/null; then
      tail -n 20 "$work/tenantry/server.log" >&2
      skip_reason="the server exited during start-up (log above)"; return 1
    fi
    [ -z "$token" ] && token="$(grep 'Admin token' "$work/tenantry/server.log" | grep -o 'tad_[A-Za-z0-9_]*' | head -n 1 || true)"
    [ -n "$token" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$api/readyz" || true)" = 200 ] && break
    sleep 0.5
  done
  [ -n "$token" ] || { skip_reason="no admin token in the server's output within 5 minutes"; return 1; }
  [ -f "$work/tenantry/data/postgres/postmaster.pid" ] && pid[postgres]="$(head -n 1 "$work/tenantry/data/postgres/postmaster.pid" | tr -d ' ')"
  log "Tenantry ready (pid ${pid[tenantry]}, PostgreSQL pid ${pid[postgres]:-?})"
}

setup_tenant() {
  local code
  code="$(call POST /v1/tenants '{"slug":"bench","plan":"enterprise"}')"
  [ "$code" = 202 ] || [ "$code" = 201 ] || { skip_reason="POST /v1/tenants answered $code: $(api_body)"; return 1; }
  for _ in $(seq 1 240); do   # at most 2 minutes
    code="$(call GET /v1/tenants/bench)"
    grep -q '"status":"active"' "$work/api.json" && break
    grep -q '"status":"failed"' "$work/api.json" && { skip_reason="the tenant failed: $(api_body)"; return 1; }
    sleep 0.5
  done
  grep -q '"status":"active"' "$work/api.json" || { skip_reason="the tenant is not active after 2 minutes ($code)"; return 1; }
  # The rate limiter stays on but must never throttle the benchmark. The API caps ratePerSecond
  # at 1,000,000 (docs/api.md), so the wanted 10,000,000 falls back to that.
  limits='"burst":10000000,"dailyQuota":10000000000,"maxConcurrency":100000'
  code="$(call PATCH /v1/plans/enterprise "{\"ratePerSecond\":10000000,$limits}")"
  if [ "$code" = 422 ]; then
    limits_note="ratePerSecond 10,000,000 refused ($(api_body | grep -o '"detail":"[^"]*"' || true)); set to 1,000,000"
    code="$(call PATCH /v1/plans/enterprise "{\"ratePerSecond\":1000000,$limits}")"
  fi
  [ "$code" = 200 ] || { skip_reason="PATCH /v1/plans/enterprise answered $code: $(api_body)"; return 1; }
  plan_limits="$(sed -n 's/.*"ratePerSecond":\([0-9]*\),"burst":\([0-9]*\),"dailyQuota":\([0-9]*\).*/rate \1\/s, burst \2, daily quota \3/p' "$work/api.json")"
  code="$(call POST /v1/tenants/bench/api-keys '{"name":"bench"}')"
  [ "$code" = 404 ] && code="$(call POST /v1/tenants/bench/keys '{"name":"bench"}')"
  [ "$code" = 201 ] || [ "$code" = 200 ] || { skip_reason="creating an API key answered $code: $(api_body)"; return 1; }
  secret="$(grep -o '"secret":"tk_[^"]*"' "$work/api.json" | sed 's/"secret":"\(.*\)"/\1/')"
  [ -n "$secret" ] || { skip_reason="no secret in the API key answer: $(api_body)"; return 1; }
  code="$(call PUT /v1/tenants/bench/routes \
    "{\"routes\":[{\"path\":\"/\",\"upstreams\":[{\"url\":\"http://127.0.0.1:$backend_port\"}],\"auth\":\"api-key\"}]}")"
  case "$code" in
    2??) ;;
    404|405) skip_reason="PUT /v1/tenants/bench/routes answered $code: this build has no routes API (no gateway yet)"; return 1 ;;
    *) skip_reason="PUT /v1/tenants/bench/routes answered $code: $(api_body)"; return 1 ;;
  esac
}

gateway_headers=()
wait_gateway() {
  gateway_headers=(-H "Host: bench.localhost" -H "X-Api-Key: $secret")
  if ! wait_200 "http://127.0.0.1:$gateway_port/" 60 "${gateway_headers[@]}"; then
    skip_reason="the gateway on port $gateway_port did not answer 200 within 60 s (last: $(curl -s -o /dev/null \
      -w '%{http_code}' -m 2 "${gateway_headers[@]}" "http://127.0.0.1:$gateway_port/" || true))"
    return 1
  fi
  [ "$(curl -s -m 2 "${gateway_headers[@]}" "http://127.0.0.1:$gateway_port/")" = ok ] \
    || { skip_reason="the gateway answers 200 but not the backend's body"; return 1; }
}

targets=(direct nginx caddy)
limits_note=""
plan_limits=""
if [ "$with_tenantry" -eq 0 ]; then
  skip_reason="--no-tenantry"
elif start_tenantry && setup_tenant && wait_gateway; then
  targets+=(tenantry)
  log "gateway answers for tenant bench ($plan_limits)"
fi
if [ -n "$skip_reason" ]; then
  log "SKIPPING Tenantry: $skip_reason"
  stop_tenantry
fi

# ---- measurement -------------------------------------------------------------------------------

declare -A url=([direct]="http://127.0.0.1:$backend_port/" [nginx]="http://127.0.0.1:$nginx_port/"
                [caddy]="http://127.0.0.1:$caddy_port/" [tenantry]="http://127.0.0.1:$gateway_port/")

# utime+stime, in clock ticks, of pid $1 and its direct children (nginx's workers).
tree_ticks() {
  local top="$1" total=0 f line rest p
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    p="${f#/proc/}"; p="${p%/stat}"
    rest="${line##*) }"
    read -r -a fields <<<"$rest"
    if [ "$p" = "$top" ] || [ "${fields[1]}" = "$top" ]; then
      total=$((total + fields[11] + fields[12]))
    fi
  done
  echo "$total"
}

# Busy CPU ticks of the whole machine, all cores (steal included: another guest had the core).
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# CPU ticks used so far by this shell's finished children (wrk, curl). `times` reports on the
# shell it runs in, so it runs here and the figure goes to the variable kids.
children_ticks() {
  times >"$work/times"
  kids=$(awk -v hz="$clk_tck" 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
    printf "%d\n", ((u[1] + s[1]) * 60 + u[2] + s[2]) * hz }' "$work/times")
}

# Runs wrk against target $1 into file $2 (more wrk arguments after); waits so traps stay responsive.
run_wrk() {
  local target="$1" out="$2"; shift 2
  local extra=()
  [ "$target" = tenantry ] && extra=("${gateway_headers[@]}")
  wrk "$@" ${extra[@]+"${extra[@]}"} "${url[$target]}" >"$out" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || { wrk_pid=""; log "wrk failed against $target:"; cat "$out" >&2; exit 1; }
  wrk_pid=""
}

# Prints "req/s requests p50us p99us errors" from a wrk output.
parse_wrk() {
  awk '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
    /Requests\/sec:/ { rps = $2 }
    / requests in / { n = $1 }
    /^ *50%/ { p50 = us($2) }
    /^ *99%/ { p99 = us($2) }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "%s %s %s %s %d\n", rps, n, (p50 == "" ? "nan" : p50), (p99 == "" ? "nan" : p99), err }
  ' "$1"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A tput=() lat50=() lat99=() errors=() ticks=() requests=() warmup_rates=() other_ticks=() elapsed_ns=()
order_lines=()
load_before="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"
started=$(date +%s)

if [ "$warmup" -gt 0 ]; then
  for t in "${targets[@]}"; do
    # One chunk for the peers. Tenantry is a JVM whose JIT compiles the request path under load:
    # at least 2 chunks, then more until one is within 5% of the one before, at most 6.
    chunks=1; [ "$t" = tenantry ] && chunks=6
    previous=0; warmup_rates[$t]=""
    for c in $(seq 1 "$chunks"); do
      log "warm-up: $t, ${warmup} s (chunk $c of at most $chunks)"
      run_wrk "$t" "$work/warmup-$t-$c.txt" -t"$threads" -c"$connections" -d"${warmup}s"
      read -r rps _ < <(parse_wrk "$work/warmup-$t-$c.txt")
      warmup_rates[$t]+="$(printf '%.0f ' "$rps")"
      [ "$c" -ge 2 ] && awk -v a="$rps" -v b="$previous" 'BEGIN { exit !(a <= b * 1.05 && a >= b * 0.95) }' && break
      previous="$rps"
    done
  done
fi
for r in $(seq 1 "$rounds"); do
  order=("${targets[@]}")
  if [ $((r % 2)) -eq 0 ]; then
    order=(); for ((i = ${#targets[@]} - 1; i >= 0; i--)); do order+=("${targets[$i]}"); done
  fi
  line="  round $r:"
  for t in "${order[@]}"; do
    log "round $r/$rounds: $t, throughput ${duration} s then latency ${latency_duration} s"
    cpu_pid="${pid[$t]}"
    children_ticks; ours_before=$(( $(tree_ticks "${pid[direct]}") + kids ))
    busy_before=$(machine_busy); started_ns=$(date +%s%N)
    before=$(tree_ticks "$cpu_pid")
    run_wrk "$t" "$work/tput-$t-$r.txt" -t"$threads" -c"$connections" -d"${duration}s"
    after=$(tree_ticks "$cpu_pid")
    read -r rps n _ _ err < <(parse_wrk "$work/tput-$t-$r.txt")
    run_wrk "$t" "$work/lat-$t-$r.txt" -t1 -c1 -d"${latency_duration}s" --latency
    read -r _ _ p50 p99 err2 < <(parse_wrk "$work/lat-$t-$r.txt")
    # Noise: what the machine's cores did meanwhile besides the target, the backend and wrk.
    children_ticks; ours=$(( $(tree_ticks "${pid[direct]}") + kids - ours_before ))
    [ "$t" != direct ] && ours=$(( ours + $(tree_ticks "$cpu_pid") - before ))
    other_ticks[$t]=$(( ${other_ticks[$t]:-0} + $(machine_busy) - busy_before - ours ))
    elapsed_ns[$t]=$(( ${elapsed_ns[$t]:-0} + $(date +%s%N) - started_ns ))
    tput[$t]+="$rps "; lat50[$t]+="$p50 "; lat99[$t]+="$p99 "
    errors[$t]=$(( ${errors[$t]:-0} + err + err2 ))
    ticks[$t]=$(( ${ticks[$t]:-0} + after - before )); requests[$t]=$(( ${requests[$t]:-0} + n ))
    line+="$(printf '  %s %.0f/s %.0fus' "$t" "$rps" "$p50")"
  done
  order_lines+=("$line")
done
wall=$(( $(date +%s) - started ))
load_after="$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?')"

# ---- report ------------------------------------------------------------------------------------

declare -A med_tput=() med_p50=() med_p99=()
for t in "${targets[@]}"; do
  med_tput[$t]=$(echo "${tput[$t]}" | median)
  med_p50[$t]=$(echo "${lat50[$t]}" | median)
  med_p99[$t]=$(echo "${lat99[$t]}" | median)
done
wrk_version="$( (wrk -v 2>&1 || true) | head -n 1 | awk '{ print $2 }')"   # wrk -v exits 1
echo "Tenantry gateway benchmark: GET / through each proxy to one nginx backend (return 200 \"ok\\n\"), all on 127.0.0.1"
echo "Machine: $(nproc) cores, $(uname -sr); load average $load_before before, $load_after after; wrk $wrk_version,"
echo "  $(nginx -v 2>&1 | sed 's/.*: //') (proxy: worker_processes $nginx_workers), Caddy $(caddy version | awk '{ print $1 }')${pid[tenantry]:+, Tenantry gateway (JVM opts: ${TENANTRY_JAVA_OPTS:-launcher defaults})}"
echo "Load: throughput wrk -t$threads -c$connections -d${duration}s; latency wrk -t1 -c1 -d${latency_duration}s --latency (one request at a time);"
echo "  $rounds round(s) in alternating order (ABBA) after a ${warmup} s warm-up per target; figures are medians over the rounds."
[ -n "${warmup_rates[tenantry]:-}" ] && echo "  Tenantry warm-up until its throughput settled, req/s per ${warmup} s: ${warmup_rates[tenantry]% }"
echo
printf '%-10s %12s %10s %10s %14s %12s %8s %7s\n' target "req/s" "p50 us" "p99 us" "added p50 us" "cpu us/req" errors other
cores() { awk -v k="$1" -v ns="$2" -v hz="$clk_tck" 'BEGIN { if (ns > 0) printf "%.2f", k / hz / (ns / 1e9); else print "-" }'; }
all_other=0; all_ns=0
for t in direct nginx caddy tenantry; do
  if [ -z "${tput[$t]:-}" ]; then
    printf '%-10s %s\n' "$t" "skipped: $skip_reason"
    continue
  fi
  added=$(awk -v a="${med_p50[$t]}" -v b="${med_p50[direct]}" 'BEGIN { printf "%.0f", a - b }')
  [ "$t" = direct ] && added="-"
  cpu=$(awk -v k="${ticks[$t]}" -v n="${requests[$t]}" -v hz="$clk_tck" 'BEGIN { if (n > 0) printf "%.1f", k / hz * 1e6 / n; else print "-" }')
  other=$(cores "${other_ticks[$t]}" "${elapsed_ns[$t]}")
  printf '%-10s %12.0f %10.0f %10.0f %14s %12s %8d %6sc\n' "$t" "${med_tput[$t]}" "${med_p50[$t]}" "${med_p99[$t]}" "$added" "$cpu" "${errors[$t]}" "$other"
  all_other=$(( all_other + other_ticks[$t] )); all_ns=$(( all_ns + elapsed_ns[$t] ))
done
echo "  (cpu us/req: CPU time of the process under test, master and workers, per request in the throughput runs;"
echo "   for direct that is the backend, for the proxies the proxy alone. errors: non-2xx answers and socket errors;"
echo "   other: cores kept busy during the target's runs by processes that are none of target, backend or wrk: noise.)"
echo "Each run in order (throughput, latency p50):"
printf '%s\n' "${order_lines[@]}"
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
echo "Ratios (same run): nginx/direct x$(ratio "${med_tput[nginx]}" "${med_tput[direct]}"), caddy/direct x$(ratio "${med_tput[caddy]}" "${med_tput[direct]}"), nginx/caddy x$(ratio "${med_tput[nginx]}" "${med_tput[caddy]}") throughput"
echo
status=0
verdict() { # label figure target pass(0/1)
  printf '  %-38s %-26s %-16s %s\n' "$1" "$2" "$3" "$([ "$4" -eq 1 ] && echo PASS || echo FAIL)"
  [ "$4" -eq 1 ] || status=1
}
echo "Targets:"
if [ -n "${tput[tenantry]:-}" ]; then
  rc=$(ratio "${med_tput[tenantry]}" "${med_tput[caddy]}"); rn=$(ratio "${med_tput[tenantry]}" "${med_tput[nginx]}")
  added=$(awk -v a="${med_p50[tenantry]}" -v b="${med_p50[direct]}" 'BEGIN { printf "%.0f", a - b }')
  verdict "throughput tenantry/caddy" "x$rc" ">= 3" "$(awk -v r="$rc" 'BEGIN { print (r >= 3) ? 1 : 0 }')"
  verdict "throughput tenantry/nginx" "x$rn" ">= 0.8" "$(awk -v r="$rn" 'BEGIN { print (r >= 0.8) ? 1 : 0 }')"
  verdict "added p50 latency over direct" "$added us" "<= 100 us" "$([ "$added" -le 100 ] && echo 1 || echo 0)"
  [ -n "$limits_note" ] && echo "  (plan enterprise: $limits_note)"
  echo "  (plan enterprise during the run: $plan_limits)"
else
  echo "  tenantry/caddy >= 3, tenantry/nginx >= 0.8, added p50 <= 100 us: not checked, Tenantry skipped ($skip_reason)"
  status=3
fi
for t in "${targets[@]}"; do
  if [ "${errors[$t]}" -gt 0 ]; then echo "  $t had ${errors[$t]} errors: its figures do not count"; status=1; fi
done
noise=$(cores "$all_other" "$all_ns")
echo "Noise: other processes kept $noise of $(nproc) cores busy during the measured runs$(awk -v n="$noise" 'BEGIN { if (n > 0.2) print " (NOISY: compare the ratios rather than the absolute figures)" }')."
echo "Measurement wall time ${wall} s."
exit "$status"
