#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need when it is missing,
# then runs the whole suite: every module's tests (real PostgreSQL, real sockets), then the
# README's quickstart against a real `./tenantry up`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

# Debian packages the suite uses: redis-server (tenants' Redis users, real server in tests),
# curl (quickstart check), procps (pgrep/ps in scripts), python3 (a free port for the quickstart),
# bubblewrap (function sandboxes), nodejs and npm (functions' runtime and module builds; Node 20+),
# tar (the module store's archives), slirp4netns (egress workers' own network), iproute2 (a test
# host in a network namespace, for the egress test).
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v tar >/dev/null 2>&1 || missing+=(tar)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v slirp4netns >/dev/null 2>&1 || missing+=(slirp4netns)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${missing[*]} from Debian's packages..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "test.sh: please install: ${missing[*]}" >&2; exit 1
  fi
fi

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  echo "test.sh: functions need Node.js 20 or newer; found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

. "$root/scripts/jdk.sh"
find_jdk
echo "test.sh: using JDK at $JAVA_HOME"

./mvnw -B -ntp verify
scripts/quickstart-check.sh
