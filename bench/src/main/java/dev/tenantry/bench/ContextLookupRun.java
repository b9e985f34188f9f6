package dev.tenantry.bench;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.MultisetStatistics;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs {@link ContextLookupBench} and prints one summary line per benchmark: latency percentiles
 * per lookup (JMH sample time, in ns), throughput, the ratios to the {@code baselineMapGet} floor,
 * and the verdict against the target (p99 &lt; 2 µs per lookup).
 *
 * <p>The machines are small and shared, so every fork is a separate JMH run and the benchmarks
 * take turns in alternating order (fork 1: A..F, fork 2: F..A, ...): a drift in machine load
 * does not favour one benchmark. Sample-time percentiles are over every fork's samples together;
 * throughput is the median over its rounds. Progress goes to stderr, the summary to stdout.
 * Exit status 0 when every lookup meets the target.
 *
 * <p>{@code java -cp bench/target/tenantry-bench.jar dev.tenantry.bench.ContextLookupRun --help}
 */
public final class ContextLookupRun {
    /** The target: a context lookup's p99 stays below 2 µs. */
    static final double P99_TARGET_NS = 2_000;
    static final String BASELINE = "baselineMapGet";
    static final String USAGE = """
            Usage: ContextLookupRun [--forks N] [--warmup N] [--iterations N] [--time S]
                                    [--throughput-rounds N] [--threads N] [--only 'A|B']
              --forks N              sample-time forks per benchmark, in alternating order (default 4)
              --warmup N             warm-up iterations per fork (default 1)
              --iterations N         measured iterations per sample-time fork (default 1; throughput: 1)
              --time S               seconds per iteration (default 1)
              --throughput-rounds N  throughput forks per benchmark, alternating; 0 skips them (default 2)
              --threads N            threads looking up at once (default 1)
              --only 'A|B'           only these benchmarks (a regex over their method names)""";

    private ContextLookupRun() {
    }

    record Options(int forks, int warmup, int iterations, int seconds, int throughputRounds, int threads,
                   String only) {
        static Options parse(String[] args) {
            Map<String, String> v = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("unexpected argument '" + args[i] + "'\n" + USAGE);
                }
                v.put(args[i].substring(2), args[++i]);
            }
            for (String key : v.keySet()) {
                if (!List.of("forks", "warmup", "iterations", "time", "throughput-rounds", "threads", "only")
                        .contains(key)) {
                    throw new IllegalArgumentException("unknown option --" + key + "\n" + USAGE);
                }
            }
            return new Options(bounded(v, "forks", 4, 1, 20), bounded(v, "warmup", 1, 0, 50),
                    bounded(v, "iterations", 1, 1, 100), bounded(v, "time", 1, 1, 60),
                    bounded(v, "throughput-rounds", 2, 0, 20), bounded(v, "threads", 1, 1, 64),
                    v.getOrDefault("only", ".*"));
        }

        private static int bounded(Map<String, String> v, String name, int fallback, int min, int max) {
            String text = v.get(name);
            if (text == null) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(text.trim());
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below with the accepted range
            }
            throw new IllegalArgumentException("--" + name + " must be an integer from " + min + " to " + max
                    + ", not '" + text + "'");
        }
    }

    /** One benchmark's figures: every sample in ns, and each throughput round in operations per µs. */
    record Figures(MultisetStatistics samples, List<Double> opsPerMicro) {
        Figures() {
            this(new MultisetStatistics(), new ArrayList<>());
        }

        double throughput() {
            if (opsPerMicro.isEmpty()) {
                return Double.NaN;
            }
            double[] sorted = opsPerMicro.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            int mid = sorted.length / 2;
            return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public static void main(String[] args) throws RunnerException {
        if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.out.println(USAGE);
            return;
        }
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ContextLookupRun: " + e.getMessage());
            System.exit(2);
            return;
        }
        List<String> names = benchmarks(o.only());
        if (names.isEmpty()) {
            System.err.println("ContextLookupRun: no benchmark matches --only '" + o.only() + "'");
            System.exit(2);
        }
        Map<String, Figures> figures = new LinkedHashMap<>();
        names.forEach(n -> figures.put(n, new Figures()));
        List<String> forkLines = new ArrayList<>();
        for (int fork = 0; fork < o.forks(); fork++) {
            StringBuilder line = new StringBuilder("  fork " + (fork + 1) + ":");
            for (String name : turn(names, fork)) {
                progress("sample time, fork " + (fork + 1) + " of " + o.forks() + ": " + name);
                Statistics s = once(o, name, Mode.SampleTime).getPrimaryResult().getStatistics();
                merge(figures.get(name).samples(), s);
                line.append(String.format(Locale.ROOT, "  %s %.0f/%.0f", name, s.getPercentile(50), s.getPercentile(99)));
            }
            forkLines.add(line.toString());
        }
        for (int round = 0; round < o.throughputRounds(); round++) {
            for (String name : turn(names, round)) {
                progress("throughput, round " + (round + 1) + " of " + o.throughputRounds() + ": " + name);
                figures.get(name).opsPerMicro().add(once(o, name, Mode.Throughput).getPrimaryResult().getScore());
            }
        }
        System.exit(print(o, figures, forkLines) ? 0 : 1);
    }

    /** The benchmark methods whose names match, alphabetically (the baseline comes first). */
    static List<String> benchmarks(String only) {
        Pattern filter = Pattern.compile(only);
        return Arrays.stream(ContextLookupBench.class.getMethods())
                .filter(m -> m.isAnnotationPresent(Benchmark.class))
                .map(Method::getName)
                .filter(n -> filter.matcher(n).matches())
                .sorted()
                .toList();
    }

    /** Forward on even turns, backward on odd ones: A B C, C B A, A B C, ... */
    static List<String> turn(List<String> names, int index) {
        return index % 2 == 0 ? names : names.reversed();
    }

    /** One fork of one benchmark; the throughput pass measures {@code min(iterations, 1)} iterations. */
    private static org.openjdk.jmh.results.RunResult once(Options o, String name, Mode mode) throws RunnerException {
        boolean sample = mode == Mode.SampleTime;
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("^" + Pattern.quote(ContextLookupBench.class.getName() + "." + name) + "$")
                .forks(1)
                .threads(o.threads())
                .mode(mode)
                .timeUnit(sample ? TimeUnit.NANOSECONDS : TimeUnit.MICROSECONDS)
                .warmupIterations(o.warmup())
                .warmupTime(TimeValue.seconds(o.seconds()))
                .measurementIterations(sample ? o.iterations() : 1)
                .measurementTime(TimeValue.seconds(o.seconds()));
        return new Runner(b.build(), OutputFormatFactory.createFormatInstance(System.err, VerboseMode.SILENT))
                .runSingle();
    }

    private static void merge(MultisetStatistics into, Statistics from) {
        for (Iterator<Map.Entry<Double, Long>> it = from.getRawData(); it.hasNext(); ) {
            Map.Entry<Double, Long> e = it.next();
            into.addValue(e.getKey(), e.getValue());
        }
    }

    private static void progress(String what) {
        System.err.println("context-lookup: " + what);
    }

    private static boolean print(Options o, Map<String, Figures> figures, List<String> forkLines) {
        System.out.printf(Locale.ROOT, "Tenantry context-lookup benchmark: %,d tenants, %,d hostnames, %,d API keys in"
                + " one ContextIndex; %d thread(s), %d cores, JDK %s%n", ContextLookupBench.TENANTS,
                2 * ContextLookupBench.TENANTS, ContextLookupBench.TENANTS, o.threads(),
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        System.out.printf(Locale.ROOT, "Sample time: %d fork(s) per benchmark x %d x %d s after %d x %d s warm-up;"
                + " throughput: %d fork(s) x 1 x %d s; forks in alternating order. System.nanoTime granularity: ~%d ns%n%n",
                o.forks(), o.iterations(), o.seconds(), o.warmup(), o.seconds(), o.throughputRounds(), o.seconds(),
                granularity());
        System.out.printf("%-24s %10s %7s %7s %7s %8s %9s %8s %9s %10s   %s%n", "benchmark", "samples", "p50 ns",
                "p90 ns", "p99 ns", "p99.9 ns", "max ns", "Mops/s", "p50 xbase", "time xbase", "p99 < 2 us");
        Figures base = figures.get(BASELINE);
        boolean pass = true;
        for (Map.Entry<String, Figures> e : figures.entrySet()) {
            boolean baseline = e.getKey().equals(BASELINE);
            MultisetStatistics s = e.getValue().samples();
            boolean ok = s.getPercentile(99) < P99_TARGET_NS;
            pass &= baseline || ok;
            System.out.printf(Locale.ROOT, "%-24s %10d %7.0f %7.0f %7.0f %8.0f %9.0f %8.2f %9s %10s   %s%n",
                    baseline ? "baseline CHM.get" : e.getKey(), s.getN(), s.getPercentile(50), s.getPercentile(90),
                    s.getPercentile(99), s.getPercentile(99.9), s.getMax(), e.getValue().throughput(),
                    ratio(e.getValue(), base, true), ratio(e.getValue(), base, false),
                    baseline ? "(floor)" : ok ? "PASS" : "FAIL");
        }
        System.out.println("""
                  (sample-time percentiles include the timer's own cost and are rounded to its granularity; Mops/s:
                   million lookups per second on one thread, median of the throughput forks; xbase: p50, and time per
                   lookup from the throughput forks, over the baseline ConcurrentHashMap.get of the same hostnames)""");
        System.out.println("Each fork in run order (p50/p99 ns):");
        forkLines.forEach(System.out::println);
        System.out.println("Target: every lookup's p99 < 2 us: " + (pass ? "PASS" : "FAIL"));
        return pass;
    }

    private static String ratio(Figures f, Figures base, boolean p50) {
        if (base == null || f == base) {
            return "-";
        }
        double r = p50 ? f.samples().getPercentile(50) / base.samples().getPercentile(50)
                : base.throughput() / f.throughput();
        return Double.isFinite(r) ? String.format(Locale.ROOT, "x%.2f", r) : "-";
    }

    /** The smallest non-zero step of System.nanoTime seen over a few thousand reads. */
    private static long granularity() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 20_000; i++) {
            long a = System.nanoTime();
            long b = System.nanoTime();
            while (b == a) {
                b = System.nanoTime();
            }
            best = Math.min(best, b - a);
        }
        return best;
    }
}
