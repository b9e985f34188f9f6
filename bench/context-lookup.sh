#!/usr/bin/env bash
# Context-lookup micro-benchmark: JMH over the SDK's in-memory ContextIndex with 10,000 tenants,
# 20,000 hostnames and 10,000 API keys (bench/src/main/java/dev/tenantry/bench/ContextLookupBench.java):
# lookup by host, by host with a port in upper case (normalisation path), by id, by API-key
# prefix, and a miss, against a bare ConcurrentHashMap.get over the same hostnames as the
# baseline. Prints p50/p90/p99/p99.9 per lookup (JMH sample time, ns), throughput, the ratios to
# the baseline, and PASS/FAIL against the target p99 < 2 us. No server, no network.
#
#   bench/context-lookup.sh            the full run (per lookup: 4 sample-time and 2 throughput forks of 1 s warm-up
#                                      + 1 s measured, all forks in alternating order; about 2.5 min on 2 cores)
#   bench/context-lookup.sh --quick    a smoke run (1 sample-time fork of 1 + 1 s, 1 throughput fork; about 40 s)
#   bench/context-lookup.sh -- --forks 6 --only 'baselineMapGet|host'   (after --: the runner's options, see --help there)
#
# Figures go to stdout, progress to stderr. Exit status 0 when every lookup meets the target.
set -euo pipefail

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench_dir/.." && pwd)"

runner_args=()
usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick)   runner_args+=(--forks 1 --warmup 1 --iterations 1 --throughput-rounds 1); shift ;;
    -h|--help) usage; exit 0 ;;
    --)        shift; runner_args+=("$@"); break ;;
    *)         echo "context-lookup.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

. "$root/scripts/jdk.sh"
find_jdk
java="$JAVA_HOME/bin/java"

# Build the harness when it is missing or older than its sources or the SDK's.
bench_jar="$bench_dir/target/tenantry-bench.jar"
if [ ! -f "$bench_jar" ] || [ -n "$(find "$bench_dir/src" "$bench_dir/pom.xml" "$root/sdk/src" "$root/sdk/pom.xml" \
      -newer "$bench_jar" -type f -print -quit 2>/dev/null)" ]; then
  echo "context-lookup.sh: building the benchmark jar..." >&2
  (cd "$root" && ./mvnw -q -B -DskipTests -pl bench -am package) >&2
fi

# Busy CPU ticks of the whole machine (all cores, steal included) and of this shell's finished
# children (the runner and its forks); `times` reports on the shell it runs in, hence the file.
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
children_ticks() {
  times >"$times_file"
  kids=$(awk -v hz="$clk_tck" 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
    printf "%d\n", ((u[1] + s[1]) * 60 + u[2] + s[2]) * hz }' "$times_file")
}
clk_tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"
times_file="$(mktemp "${TMPDIR:-/tmp}/tenantry-context-lookup.XXXXXX")"
trap 'rm -f "$times_file"' EXIT

echo "Machine: $(nproc) cores, $(uname -sr), $("$java" -version 2>&1 | head -n 1); load average $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?') before"
children_ticks; kids_before=$kids; busy_before=$(machine_busy); started_ns=$(date +%s%N)
set +e
# JMH 1.37 uses sun.misc.Unsafe; newer JDKs warn about it in every fork: keep those lines out.
"$java" -Xmx256m -cp "$bench_jar" dev.tenantry.bench.ContextLookupRun ${runner_args[@]+"${runner_args[@]}"} \
  2> >(grep -v -E '^WARNING: (A terminally deprecated method in |)sun\.misc\.Unsafe|^WARNING: Please consider reporting this to the maintainers of class org\.openjdk\.jmh' >&2)
status=$?
set -e
children_ticks
other=$(awk -v busy=$(( $(machine_busy) - busy_before - (kids - kids_before) )) -v hz="$clk_tck" \
  -v ns=$(( $(date +%s%N) - started_ns )) 'BEGIN { printf "%.2f", busy / hz / (ns / 1e9) }')
echo "Noise: other processes kept $other of $(nproc) cores busy during the run$(awk -v n="$other" \
  'BEGIN { if (n > 0.2) print " (NOISY: the tail percentiles suffer first; compare with the baseline)" }'); load average $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo '?') after"
exit "$status"
