#!/usr/bin/env bash
# Runs the README's quickstart as a new user would: ./tenantry up in a fresh directory, the CLI
# commands, Ctrl-C. Fails on the first step that does not do what the README says.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
export TENANTRY_CLIENT_CONFIG="$work/client.json"   # never touch the user's own client config
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18081)"
log="$work/up.log"
cleanup() {
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
"$root/tenantry" up --api-port "$port" >"$log" 2>&1 &
up_pid=$!
for _ in $(seq 1 120); do
  grep -q "Tenantry is up." "$log" && break
  kill -0 "$up_pid" 2>/dev/null || fail "tenantry up exited"
  sleep 0.5
done
grep -q "Tenantry is up." "$log" || fail "tenantry up did not come up within 60 s"
grep -q "Admin token:        tad_" "$log" || fail "up did not print the admin token"
grep -q "Try:" "$log" || fail "up did not print a first command to try"

t tenant create acme --name "Acme Inc" --wait | grep -q "status:    active" || fail "tenant create --wait"
t tenant credentials acme | grep -q "user: t_acme" || fail "tenant credentials"
t op list acme | grep -q "create-tenant  succeeded" || fail "op list"
t tenant list | grep -q "acme" || fail "tenant list"
t tenant get acme -o json | grep -q '"slug" : "acme"' || fail "tenant get -o json"
t domain add acme app.acme.example >/dev/null || fail "domain add"
t key create acme --name backend | grep -q "secret (shown once" || fail "key create"
t tenant suspend acme --reason "unpaid" --wait | grep -q "suspended" || fail "tenant suspend"
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
