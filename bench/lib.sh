# Shared by the benchmark scripts (sourced after they set bench_dir and root).

# A node reads settings from TENANTRY_* variables: a benchmark starts its nodes with its own
# settings only, so it drops the caller's (TENANTRY_JAVA_OPTS, the JVM's options, is kept).
bench_isolate_env() {
  local v
  for v in $(compgen -e | grep '^TENANTRY_' || true); do
    [ "$v" = TENANTRY_JAVA_OPTS ] || unset "$v"
  done
}

# Finds a JDK 21+ (sets java) and builds the harness jar (sets bench_jar) when it is missing or
# older than its sources; the launcher builds the server itself when stale, at a node's start.
# $1 names the calling script in the progress line.
bench_harness() {
  . "$root/scripts/jdk.sh"
  find_jdk
  java="$JAVA_HOME/bin/java"
  bench_jar="$bench_dir/target/tenantry-bench.jar"
  if [ ! -f "$bench_jar" ] || [ -n "$(find "$bench_dir/src" "$bench_dir/pom.xml" "$root/sdk/src" -newer "$bench_jar" -type f -print -quit 2>/dev/null)" ]; then
    echo "$1: building the benchmark harness..." >&2
    (cd "$root" && ./mvnw -q -B -DskipTests -pl bench -am package) >&2
  fi
}

# Waits up to $2 half-seconds for pid $1 to exit; true when it did.
bench_wait_exit() {
  local pid="$1" tries="$2"
  for _ in $(seq 1 "$tries"); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  ! kill -0 "$pid" 2>/dev/null
}

# Stops pid $1 ($2 says what it is): SIGTERM, at most 60 s, then SIGKILL.
bench_stop_pid() {
  local pid="$1" what="$2"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! bench_wait_exit "$pid" 120; then
    echo "$(basename "$0"): $what (pid $pid) did not stop within 60 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# A run's figures ($2): appended to bench/RESULTS.md when $1 is 1, else printed.
bench_record() {
  local append="$1" block="$2" results="$bench_dir/RESULTS.md"
  if [ "$append" -eq 1 ]; then
    if [ ! -f "$results" ]; then
      printf '# Benchmark results\n\nSee bench/README.md for how to run the benchmarks.\n' >"$results"
    fi
    printf '\n%s\n' "$block" >>"$results"
    echo "$(basename "$0"): appended to bench/RESULTS.md" >&2
  else
    echo
    echo "$block"
  fi
}
