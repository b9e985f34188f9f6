package dev.tenantry.bench;

import dev.tenantry.sdk.context.ContextIndex;
import dev.tenantry.sdk.context.ContextSnapshot;
import dev.tenantry.sdk.context.PlanLimits;
import dev.tenantry.sdk.context.Route;
import dev.tenantry.sdk.context.TenantContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH micro-benchmark of in-process tenant-context lookups ({@link ContextIndex}), the work the
 * gateway does for every request before it forwards it.
 *
 * <p>The index holds 10,000 tenants with 20,000 hostnames ({@code <slug>.localhost} and
 * {@code www.<slug>.example.com} each) and one API key each, loaded with
 * {@link ContextIndex#replace}. Every benchmark looks up the next key of a precomputed random
 * sequence (65,536 picks, so the whole index is touched and the caches see a realistic spread):
 * an existing hostname as the gateway gets it ({@code host}), the same upper-cased with a port
 * (the normalisation path), an id, an API-key prefix, and a hostname no tenant has ({@code hostMiss}).
 *
 * <p><b>Baseline, measured in the same run:</b> {@code baselineMapGet}, a bare
 * {@link ConcurrentHashMap#get} over the same 20,000 hostnames with the same sequence: the floor
 * any hash-based index pays. The keys are distinct {@code String} instances from the index's
 * (so {@code equals} compares characters), but each caches its hash after the first pass, as
 * in any benchmark that does not allocate; a header parsed from a request would hash once more.
 *
 * <p>Run it with {@code bench/context-lookup.sh}: {@link ContextLookupRun} runs the forks in
 * alternating order and prints the summary. Plain JMH works as well (same defaults, forks in a
 * row): {@code java -jar bench/target/tenantry-bench.jar ContextLookup}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 4, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 1, time = 1)
public class ContextLookupBench {
    static final int TENANTS = 10_000;
    /** Length of each lookup sequence; a power of two so the cursor wraps with a mask. */
    static final int SEQUENCE = 1 << 16;
    private static final long SEED = 20_261_122L;

    /** The index and the key sequences, shared by every benchmark thread. */
    @State(Scope.Benchmark)
    public static class Tenants {
        ContextIndex index;
        Map<String, TenantContext> baseline;
        String[] hosts;
        String[] messyHosts;
        String[] ids;
        String[] keyPrefixes;
        String[] missingHosts;

        @Setup(Level.Trial)
        public void load() {
            Random random = new Random(SEED);
            PlanLimits plan = new PlanLimits("enterprise", "silo", 2_000, 4_000, 100_000_000L, 200, 1_024, 60_000,
                    true, 1);
            List<TenantContext> tenants = new ArrayList<>(TENANTS);
            for (int i = 0; i < TENANTS; i++) {
                tenants.add(tenant(i, random));
            }
            index = new ContextIndex();
            index.replace(new ContextSnapshot(1, List.of(plan), tenants));
            if (index.size() != TENANTS) {
                throw new IllegalStateException("the index holds " + index.size() + " tenants, not " + TENANTS);
            }
            baseline = new ConcurrentHashMap<>();
            tenants.forEach(t -> t.hostnames().forEach(h -> baseline.put(h, t)));
            sequences(tenants, random);
        }

        private void sequences(List<TenantContext> tenants, Random random) {
            hosts = new String[SEQUENCE];
            messyHosts = new String[SEQUENCE];
            ids = new String[SEQUENCE];
            keyPrefixes = new String[SEQUENCE];
            missingHosts = new String[SEQUENCE];
            for (int i = 0; i < SEQUENCE; i++) {
                TenantContext t = tenants.get(random.nextInt(TENANTS));
                String host = t.hostnames().get(random.nextInt(2));
                hosts[i] = new String(host);
                messyHosts[i] = host.toUpperCase(Locale.ROOT) + (random.nextBoolean() ? ":8080" : ":443");
                ids[i] = new String(t.id());
                keyPrefixes[i] = new String(t.apiKeys().getFirst().prefix());
                missingHosts[i] = "absent-" + random.nextInt(TENANTS * 2) + ".localhost";
            }
        }

        private static TenantContext tenant(int i, Random random) {
            String slug = String.format(Locale.ROOT, "tenant-%05d", i);
            String id = new UUID(random.nextLong(), random.nextLong()).toString();
            String keyId = new UUID(random.nextLong(), random.nextLong()).toString();
            TenantContext.ApiKey key = new TenantContext.ApiKey(keyId, prefix(random),
                    "sha256:" + Long.toHexString(random.nextLong()), List.of(), null);
            Route route = new Route("/", List.of(new Route.Upstream("http://127.0.0.1:18081")), "api-key", "p2c",
                    1_000, 30_000, 1, false, null);
            return new TenantContext(id, slug, slug, "active", null, "enterprise", "silo", "local", Map.of(), 2,
                    List.of(slug + ".localhost", "www." + slug + ".example.com"), List.of(key), List.of(),
                    List.of(route), 1, null, Map.of());
        }

        private static String prefix(Random random) {
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            StringBuilder b = new StringBuilder(10);
            for (int i = 0; i < 10; i++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            return b.toString();
        }
    }

    /** Each thread's place in the sequences; threads start at different places. */
    @State(Scope.Thread)
    public static class Cursor {
        private int next;

        @Setup(Level.Trial)
        public void start() {
            next = new Random().nextInt(SEQUENCE);
        }

        int advance() {
            next = (next + 1) & (SEQUENCE - 1);
            return next;
        }
    }

    @Benchmark
    public TenantContext host(Tenants t, Cursor c) {
        return t.index.host(t.hosts[c.advance()]);
    }

    @Benchmark
    public TenantContext hostWithPortUpperCase(Tenants t, Cursor c) {
        return t.index.host(t.messyHosts[c.advance()]);
    }

    /** Unwrapped as a caller would, so the Optional can be scalar-replaced as in real code. */
    @Benchmark
    public TenantContext byId(Tenants t, Cursor c) {
        return t.index.byId(t.ids[c.advance()]).orElse(null);
    }

    @Benchmark
    public ContextIndex.KeyEntry byKeyPrefix(Tenants t, Cursor c) {
        return t.index.byKeyPrefix(t.keyPrefixes[c.advance()]).orElse(null);
    }

    @Benchmark
    public TenantContext hostMiss(Tenants t, Cursor c) {
        return t.index.host(t.missingHosts[c.advance()]);
    }

    @Benchmark
    public TenantContext baselineMapGet(Tenants t, Cursor c) {
        return t.baseline.get(t.hosts[c.advance()]);
    }
}
