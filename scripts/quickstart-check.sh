#!/usr/bin/env bash
# Runs the README's quickstart as a new user would: ./tenantry up in a fresh directory, the CLI
# commands, Ctrl-C. Fails on the first step that does not do what the README says.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
export TENANTRY_CLIENT_CONFIG="$work/client.json"   # never touch the user's own client config
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
gw_port="$(free_port)"
backend_port="$(free_port)"
log="$work/up.log"
cleanup() {
  [ -n "${backend_pid:-}" ] && kill "$backend_pid" 2>/dev/null || true
  if [ -n "${up_pid:-}" ]; then
    kill -TERM "$up_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$up_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "quickstart-check: FAILED: $*" >&2; echo "--- up.log" >&2; tail -n 40 "$log" >&2 || true; exit 1; }
t() { "$root/tenantry" "$@"; }

cd "$work"
"$root/tenantry" up --api-port "$port" --gateway-port "$gw_port" >"$log" 2>&1 &
up_pid=$!
for _ in $(seq 1 120); do
  grep -q "Tenantry is up." "$log" && break
  kill -0 "$up_pid" 2>/dev/null || fail "tenantry up exited"
  sleep 0.5
done
grep -q "Tenantry is up." "$log" || fail "tenantry up did not come up within 60 s"
grep -q "Admin token:        tad_" "$log" || fail "up did not print the admin token"
grep -q "Try:" "$log" || fail "up did not print a first command to try"
grep -q "Gateway:            http://127.0.0.1:$gw_port" "$log" || fail "up did not print the gateway URL"

t tenant create acme --name "Acme Inc" --wait | grep -q "status:    active" || fail "tenant create --wait"
t tenant credentials acme | grep -q "user: t_acme" || fail "tenant credentials"
t op list acme | grep -q "create-tenant  succeeded" || fail "op list"
t tenant list | grep -q "acme" || fail "tenant list"
t tenant get acme -o json | grep -q '"slug" : "acme"' || fail "tenant get -o json"
t domain add acme app.acme.example >/dev/null || fail "domain add"
secret="$(t key create acme --name backend -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')" \
  || fail "key create"
mkdir -p "$work/site" && echo "hello from acme" > "$work/site/index.html"
python3 -m http.server "$backend_port" --bind 127.0.0.1 --directory "$work/site" >/dev/null 2>&1 &
backend_pid=$!
t route set acme / "http://127.0.0.1:$backend_port" >/dev/null || fail "route set"
gw() { curl -sS -o "$work/body" -w '%{http_code}' "$@"; }
for _ in $(seq 1 50); do [ "$(gw "http://acme.localhost:$gw_port/" || true)" = 200 ] && break; sleep 0.2; done
[ "$(gw "http://acme.localhost:$gw_port/")" = 200 ] && grep -q "hello from acme" "$work/body" || fail "gateway route to the backend"
curl -sSI "http://acme.localhost:$gw_port/" | grep -qi "^ratelimit-limit:" || fail "RateLimit headers"
[ "$(gw "http://nobody.localhost:$gw_port/")" = 404 ] || fail "unknown host should be 404"
t route set acme / "http://127.0.0.1:$backend_port" --auth api-key >/dev/null || fail "route set --auth api-key"
for _ in $(seq 1 50); do [ "$(gw "http://acme.localhost:$gw_port/" || true)" = 401 ] && break; sleep 0.2; done
[ "$(gw "http://acme.localhost:$gw_port/")" = 401 ] || fail "a key route without a key should be 401"
[ "$(gw "http://acme.localhost:$gw_port/" -H "X-Api-Key: $secret")" = 200 ] || fail "a key route with the key"
t context get acme.localhost | grep -q "acme" || fail "context get"
cat > "$work/hello.js" <<'JS'
export default {
  async fetch(request) {
    const name = new URL(request.url).searchParams.get("name") ?? "world";
    console.log("greeting " + name);
    return Response.json({ hello: name });
  }
};
JS
t fn deploy acme hello "$work/hello.js" | grep -q "version 1: ready" || fail "fn deploy"
for _ in $(seq 1 50); do [ "$(gw "http://acme.localhost:$gw_port/fn/hello?name=ada" || true)" = 200 ] && break; sleep 0.2; done
[ "$(gw "http://acme.localhost:$gw_port/fn/hello?name=ada")" = 200 ] && grep -q '"hello":"ada"' "$work/body" \
  || fail "a function through the gateway: $(cat "$work/body")"
t fn invoke acme hello | grep -q '"hello":"world"' || fail "fn invoke"
for _ in $(seq 1 50); do t fn logs acme hello | grep -q "greeting ada" && break; sleep 0.2; done
t fn logs acme hello | grep -q "greeting ada" || fail "fn logs"
t fn versions acme hello | grep -q "ready" || fail "fn versions"
t tenant suspend acme --reason "unpaid" --wait | grep -q "suspended" || fail "tenant suspend"
for _ in $(seq 1 50); do [ "$(gw "http://acme.localhost:$gw_port/" -H "X-Api-Key: $secret" || true)" = 403 ] && break; sleep 0.2; done
[ "$(gw "http://acme.localhost:$gw_port/" -H "X-Api-Key: $secret")" = 403 ] || fail "a suspended tenant should be 403 at the gateway"
t tenant resume acme --wait | grep -q "status:    active" || fail "tenant resume"
t audit --tenant acme | grep -q "tenant.create" || fail "audit"
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q ok || fail "healthz"
t tenant delete acme --wait | grep -q "status:    deleted" || fail "tenant delete --wait"
if t tenant get nobody 2>/dev/null; then fail "get of an unknown tenant should fail"; else [ $? -eq 3 ] || fail "exit code for not found"; fi

# What Ctrl-C does in a terminal; a script's background job ignores SIGINT, so send SIGTERM.
kill -TERM "$up_pid"
for _ in $(seq 1 60); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$up_pid" 2>/dev/null && fail "tenantry did not stop within 30 s of SIGTERM"
up_pid=""
grep -q "Stopping Tenantry" "$log" || fail "SIGTERM did not stop cleanly"
[ ! -e "$work/.tenantry/postgres/postmaster.pid" ] || fail "PostgreSQL still running after stop"
echo "quickstart-check: 1 passed, 0 failed"
