package dev.tenantry.bench;

import dev.tenantry.sdk.ClientConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The tenant-context benchmark: loads N tenants with two hostnames each straight into the catalog
 * (SQL), waits until the nodes' in-memory indexes hold them, then measures
 * <ol>
 *   <li>lookup throughput of {@code GET /v1/context/by-host/{host}} on the API node with wrk
 *       (random hosts), against {@code /healthz} on the same server in the same run (ABBA);</li>
 *   <li>propagation of single changes from the commit to two gateway nodes and an SDK client;</li>
 *   <li>a gateway node's heap after a full GC with the tenants loaded, against the same node's
 *       heap before the load;</li>
 *   <li>how long a new gateway node takes from its process start to its first resolved answer.</li>
 * </ol>
 * Run it through {@code bench/context.sh}, which starts the nodes; {@code --help} lists the options.
 */
public final class ContextBench {
    // The targets of the context issue.
    static final double LOOKUP_RATE_TARGET = 30_000;
    static final double PROPAGATION_P99_TARGET_MS = 100;
    static final double GATEWAY_HEAP_TARGET_MIB = 200;
    static final double NEW_GATEWAY_TARGET_MS = 2_000;
    static final int FULL_SIZE_TENANTS = 10_000;

    private final Options o;
    private final NodeUnderTest api;
    private final List<NodeUnderTest> gateways;
    private final URI apiUrl;
    private final String token;
    private final long deadline;
    private final Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    private final List<String> out = new ArrayList<>();
    private final List<String> targets = new ArrayList<>();
    private final long started = System.nanoTime();

    private ContextBench(Options o, URI apiUrl, String token, NodeUnderTest api, List<NodeUnderTest> gateways) {
        this.o = o;
        this.apiUrl = apiUrl;
        this.token = token;
        this.api = api;
        this.gateways = gateways;
        this.deadline = started + TimeUnit.MINUTES.toNanos(o.maxMinutes);
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.help) {
            System.out.println(Options.USAGE);
            return;
        }
        if (o.clientConfig == null || o.gateways.isEmpty() || o.postgresPort <= 0) {
            throw new IllegalArgumentException("give --client-config, --postgres-port and --gateways\n" + Options.USAGE);
        }
        ClientConfig config = ClientConfig.load(Path.of(o.clientConfig)).orElseThrow(
                () -> new IllegalArgumentException("no client config at " + o.clientConfig));
        URI uri = URI.create(config.server());
        InetAddress host = InetAddress.getByName(uri.getHost());
        if (!host.isLoopbackAddress()) {
            throw new IllegalArgumentException("this harness only loads a server on this machine (loopback), not " + uri.getHost());
        }
        NodeUnderTest api = new NodeUnderTest("api", o.apiPid, new InetSocketAddress(host, uri.getPort()), null, config.token());
        List<NodeUnderTest> gateways = new ArrayList<>();
        for (String g : o.gateways) {
            String[] f = g.split(":"); // management port : gateway port : pid
            gateways.add(new NodeUnderTest("gateway " + (gateways.size() + 1), Long.parseLong(f[2]),
                    new InetSocketAddress(host, Integer.parseInt(f[0])), new InetSocketAddress(host, Integer.parseInt(f[1])), null));
        }
        new ContextBench(o, uri, config.token(), api, gateways).run();
    }

    private void run() throws Exception {
        // Before the load: each gateway's heap with an empty catalog (the memory baseline).
        progress("gateway heaps before the load (full GC each)");
        double[] heapBefore = new double[gateways.size()];
        for (int g = 0; g < gateways.size(); g++) {
            heapBefore[g] = heapAfterFullGc(gateways.get(g));
        }

        // 1. Load.
        String prefix = "ctx" + randomLabel(4);
        progress(String.format(Locale.ROOT, "loading %,d tenants and %,d hostnames by SQL, %,d per transaction", o.tenants,
                2 * o.tenants, o.batch));
        ContextLoad.Loaded loaded = ContextLoad.load(o.postgresPort, prefix, o.tenants, o.batch);
        long lastCommit = System.nanoTime();
        List<NodeUnderTest> followers = new ArrayList<>(List.of(api));
        followers.addAll(gateways);
        double[] caughtUp = awaitSeq(followers, loaded.lastSeq(), lastCommit);
        reportLoad(loaded, followers, caughtUp);

        // 2. Lookup throughput against the baseline.
        lookups(loaded);

        // 3. Propagation.
        propagation(loaded);

        // 4. Memory with the tenants loaded.
        memory(heapBefore, loaded);

        // 5. A new gateway node.
        newGateways(loaded);

        out.add("");
        out.add("Targets:");
        out.addAll(targets);
        out.add(String.format(Locale.ROOT, "(harness run time %.0f s)", (System.nanoTime() - started) / 1e9));
        out.forEach(System.out::println);
    }

    // ------------------------------------------------------------------------------------ 1. load

    /** Waits (bounded) until every node holds change {@code seq}; for each, the seconds after {@code since} it was seen to. */
    private double[] awaitSeq(List<NodeUnderTest> nodes, long seq, long since) throws IOException {
        long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        double[] reached = new double[nodes.size()];
        Arrays.fill(reached, -1);
        for (int left = nodes.size(); left > 0; sleep(20)) {
            for (int i = 0; i < nodes.size(); i++) {
                NodeUnderTest node = nodes.get(i);
                if (reached[i] >= 0) {
                    continue;
                }
                long held = node.seq();
                if (held >= seq) {
                    reached[i] = (System.nanoTime() - since) / 1e9;
                    left--;
                } else if (System.nanoTime() > bound || !node.alive()) {
                    throw new IllegalStateException(node.name() + " did not reach feed change " + seq + " within 180 s (holds "
                            + held + (node.alive() ? ")" : "; the process is gone)"));
                }
            }
        }
        return reached;
    }

    private void reportLoad(ContextLoad.Loaded loaded, List<NodeUnderTest> followers, double[] caughtUp) throws IOException {
        int cores = Runtime.getRuntime().availableProcessors();
        out.add(String.format(Locale.ROOT, "Tenantry context benchmark: %,d tenants, %,d hostnames, %d cores, JDK %s (harness)",
                loaded.slugs().size(), loaded.hosts().size(), cores, Runtime.version()));
        out.add("Nodes: 1 API node (roles api,scheduler; embedded PostgreSQL), " + gateways.size()
                + " gateway-only nodes on the same catalog, 1 SDK client (in the harness). Load: 127.0.0.1 only.");
        out.add("");
        long[] commits = loaded.commitNanos().clone();
        Arrays.sort(commits);
        out.add(String.format(Locale.ROOT, "1. Load by SQL: %,d tenants + %,d domains in %d transaction(s) of up to %,d tenants: %.1f s "
                        + "(%.0f tenants/s); commit (the feed's triggers run there) p50 %.0f ms, max %.0f ms",
                loaded.slugs().size(), loaded.hosts().size(), commits.length, o.batch, loaded.seconds(),
                loaded.slugs().size() / loaded.seconds(), commits[commits.length / 2] / 1e6, commits[commits.length - 1] / 1e6));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "   feed: changes %,d..%,d; caught up after the last commit:", loaded.firstSeq() + 1, loaded.lastSeq()));
        for (int i = 0; i < followers.size(); i++) {
            sb.append(String.format(Locale.ROOT, " %s %.2f s (%,d tenants)%s", followers.get(i).name(), caughtUp[i],
                    followers.get(i).status().path("tenants").asInt(), i + 1 < followers.size() ? ";" : ""));
        }
        out.add(sb.toString());
    }

    // ----------------------------------------------------------------------------- 2. lookups

    private void lookups(ContextLoad.Loaded loaded) throws Exception {
        Path dir = Path.of(o.workDir);
        Path hosts = dir.resolve("hosts.txt");
        Files.write(hosts, loaded.hosts());
        Path script = Wrk.writeScript(dir);
        sanityLookup(loaded);
        Wrk wrk = new Wrk(o.wrk, o.wrkThreads, o.wrkConnections);
        String url = "http://" + api.management().getHostString() + ":" + api.management().getPort();
        List<String> auth = List.of("Authorization: Bearer " + token);
        List<String> byHostArgs = List.of("hosts=" + hosts);
        List<String> healthArgs = List.of("path=/healthz");
        if (o.warmupSeconds > 0) {
            progress("wrk warm-up: " + o.warmupSeconds + " s by-host, " + Math.max(1, o.warmupSeconds / 2) + " s healthz");
            wrk.run(url, o.warmupSeconds, script, byHostArgs, auth);
            wrk.run(url, Math.max(1, o.warmupSeconds / 2), script, healthArgs, auth);
        }
        List<Measured> byHost = new ArrayList<>();
        List<Measured> health = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        for (int round = 0; round < o.rounds; round++) {
            boolean lookupFirst = round % 2 == 0; // ABBA...
            for (int k = 0; k < 2; k++) {
                boolean lookup = (k == 0) == lookupFirst;
                progress((lookup ? "by-host" : "healthz") + " round " + (round + 1) + ": " + o.durationSeconds + " s");
                Cpu before = cpu();
                Wrk.Result r = wrk.run(url, o.durationSeconds, script, lookup ? byHostArgs : healthArgs, auth);
                Measured m = new Measured(r, cpu().since(before, o.ticksPerSecond));
                (lookup ? byHost : health).add(m);
                rows.add(row((lookup ? "by-host (random of " + String.format(Locale.ROOT, "%,d", loaded.hosts().size()) + ")"
                        : "  baseline healthz") + " #" + (round + 1), m));
            }
        }
        double rate = median(byHost, m -> m.wrk.rate());
        double baseRate = median(health, m -> m.wrk.rate());
        double p50 = median(byHost, m -> m.wrk.p50());
        double p99 = median(byHost, m -> m.wrk.p99());
        long errors = byHost.stream().mapToLong(m -> m.wrk.errors()).sum();
        out.add("");
        out.add(String.format(Locale.ROOT, "2. Lookup throughput: wrk %d threads, %d connections, closed loop, %d s per run, %d round(s) "
                + "alternating with the baseline (ABBA); the same Lua script picks the path in both", o.wrkThreads, o.wrkConnections,
                o.durationSeconds, o.rounds));
        out.add(String.format(Locale.ROOT, "%-36s %9s %8s %8s %8s %7s %9s %9s %9s %6s", "run", "req/s", "p50 ms", "p90 ms", "p99 ms",
                "errors", "srv us/r", "gen us/r", "gws us/r", "other"));
        out.addAll(rows);
        out.add(String.format(Locale.ROOT, "%-36s %9.0f %8.2f %8s %8.2f %7d", "median by-host", rate, p50, "", p99, errors));
        out.add(String.format(Locale.ROOT, "%-36s %9.0f %8.2f %8s %8.2f %7d", "median healthz", baseRate,
                median(health, m -> m.wrk.p50()), "", median(health, m -> m.wrk.p99()),
                health.stream().mapToLong(m -> m.wrk.errors()).sum()));
        out.add(String.format(Locale.ROOT, "  ratio by-host / healthz: throughput x%.2f, p50 x%.2f, p99 x%.2f, server CPU per request x%.2f",
                rate / baseRate, p50 / median(health, m -> m.wrk.p50()), p99 / median(health, m -> m.wrk.p99()),
                median(byHost, m -> m.serverUsPerRequest()) / median(health, m -> m.serverUsPerRequest())));
        out.add("  (srv/gen/gws us/r: CPU microseconds per request of the API node / wrk / both idle gateway nodes;"
                + " other: cores kept busy meanwhile by processes that are none of ours, i.e. machine noise)");
        target(String.format(Locale.ROOT, "by-host lookups >= %,.0f req/s", LOOKUP_RATE_TARGET),
                String.format(Locale.ROOT, "median %,.0f req/s (p50 %.2f ms, p99 %.2f ms, %d errors); healthz %,.0f req/s",
                        rate, p50, p99, errors, baseRate),
                true, rate >= LOOKUP_RATE_TARGET && errors == 0);
    }

    /** One lookup by each kind of hostname, checking the answer names the right tenant. */
    private void sanityLookup(ContextLoad.Loaded loaded) throws IOException {
        try (Http1Connection c = new Http1Connection(api.management(), token)) {
            for (int i : new int[] {0, loaded.hosts().size() - 1}) {
                String host = loaded.hosts().get(i);
                Http1Connection.Response r = c.get("/v1/context/by-host/" + host, true);
                String body = new String(r.body(), StandardCharsets.UTF_8);
                if (r.status() != 200 || !body.contains("\"slug\":\"" + loaded.slugs().get(i / 2) + "\"")) {
                    throw new IllegalStateException("GET /v1/context/by-host/" + host + " answered " + r.status() + ": " + body);
                }
            }
        }
    }

    /** A wrk run and the CPU the parties used meanwhile. */
    record Measured(Wrk.Result wrk, Usage cpu) {
        double serverUsPerRequest() {
            return cpu.server / Math.max(1, wrk.requests()) * 1e6;
        }
    }

    private static String row(String name, Measured m) {
        double n = Math.max(1, m.wrk.requests());
        return String.format(Locale.ROOT, "%-36s %9.0f %8.2f %8.2f %8.2f %7d %9.1f %9.1f %9.1f %5.2fc", name, m.wrk.rate(),
                m.wrk.p50(), m.wrk.p90(), m.wrk.p99(), m.wrk.errors(), m.cpu.server / n * 1e6, m.cpu.harness / n * 1e6,
                m.cpu.gateways / n * 1e6, m.cpu.otherCores());
    }

    // -------------------------------------------------------------------------- 3. propagation

    private void propagation(ContextLoad.Loaded loaded) throws Exception {
        progress("propagation: SDK client connecting to the API node");
        List<InetSocketAddress> gatewayAddresses = gateways.stream().map(NodeUnderTest::gateway).toList();
        Cpu before;
        Propagation.Run run;
        int sdkTenants;
        try (Propagation p = new Propagation(api.management(), apiUrl, token, gatewayAddresses,
                Duration.ofNanos(o.pollMicros * 1_000L), Duration.ofMillis(o.observeTimeoutMs), Duration.ofSeconds(60))) {
            sdkTenants = p.sdkTenants();
            progress(String.format(Locale.ROOT, "propagation: %,d changes, one at a time (SDK client holds %,d tenants)",
                    o.changes, sdkTenants));
            before = cpu();
            // Leave time for the memory and new-node phases.
            run = p.run(loaded.slugs(), o.changes, Duration.ofMillis(o.gapMs), deadline - TimeUnit.SECONDS.toNanos(o.reserveSeconds));
        }
        Usage cpu = cpu().since(before, o.ticksPerSecond);
        List<Propagation.Change> changes = run.changes();
        int observers = run.observers().size();
        out.add("");
        out.add(String.format(Locale.ROOT, "3. Propagation: %,d changes one at a time (POST /v1/tenants/{slug}/domains -> 201 = committed), "
                + "each watched until every observer has it (polls every %d us, bound %,d ms)%s", changes.size(), o.pollMicros,
                o.observeTimeoutMs, run.stoppedByTime() ? "; STOPPED EARLY by the time budget" : ""));
        out.add(String.format(Locale.ROOT, "%-34s %6s %8s %8s %8s %8s %8s %9s", "ms after the 201 arrived", "seen", "p50", "p90", "p99",
                "max", "min", "timeouts"));
        Samples.Summary[] perObserver = new Samples.Summary[observers];
        for (int k = 0; k < observers; k++) {
            int idx = k;
            perObserver[k] = propagationRow(run.observers().get(k), changes, c -> c.seen()[idx], c -> c.acknowledged());
        }
        Samples.Summary all = propagationRow("all three (the last of them)", changes, Propagation.Change::allSeen,
                Propagation.Change::acknowledged);
        propagationRow("  all three, from the request start", changes, Propagation.Change::allSeen, Propagation.Change::started);
        Samples post = new Samples();
        changes.forEach(c -> post.add(c.acknowledged() - c.started()));
        Samples.Summary postSummary = Samples.Summary.of(Samples.sorted(List.of(post)));
        out.add(String.format(Locale.ROOT, "  the POST itself (request -> 201): p50 %.2f ms, p99 %.2f ms; failed requests %d, "
                        + "unexpected gateway answers %d%s", postSummary.p50(), postSummary.p99(), run.failedRequests(),
                run.unexpectedAnswers(), run.firstProblem() == null ? "" : " (first: " + run.firstProblem() + ")"));
        out.add(String.format(Locale.ROOT, "  (negative: seen before the 201 reached the harness) CPU meanwhile: API %.2f, PostgreSQL %.2f, "
                        + "gateways %.2f, harness %.2f, other %.2f cores", cpu.server / cpu.wall, cpu.postgres / cpu.wall,
                cpu.gateways / cpu.wall, cpu.harness / cpu.wall, cpu.otherCores()));
        long timeouts = changes.stream().filter(c -> c.allSeen() < 0).count();
        target(String.format(Locale.ROOT, "propagation p99 < %.0f ms (all three observers)", PROPAGATION_P99_TARGET_MS),
                String.format(Locale.ROOT, "p99 %.1f ms, max %.1f ms over %,d changes (%s), %d not seen within %,d ms",
                        all.p99(), all.max(), changes.size(), summaryOfObservers(run.observers(), perObserver), timeouts,
                        o.observeTimeoutMs),
                !changes.isEmpty(), all.p99() < PROPAGATION_P99_TARGET_MS && timeouts == 0 && run.failedRequests() == 0
                        && changes.size() == o.changes);
    }

    /** One observer's latencies (a timed-out change counts as the bound); prints its row. */
    private Samples.Summary propagationRow(String name, List<Propagation.Change> changes, ToLongFunction<Propagation.Change> seen,
                                           ToLongFunction<Propagation.Change> from) {
        Samples s = new Samples();
        int seenCount = 0;
        for (Propagation.Change c : changes) {
            long at = seen.applyAsLong(c);
            if (at >= 0) {
                seenCount++;
                s.add(at - from.applyAsLong(c));
            } else {
                s.add(TimeUnit.MILLISECONDS.toNanos(o.observeTimeoutMs));
            }
        }
        long[] sorted = Samples.sorted(List.of(s));
        Samples.Summary sum = Samples.Summary.of(sorted);
        out.add(String.format(Locale.ROOT, "%-34s %6d %8.2f %8.2f %8.2f %8.2f %8.2f %9d", name, seenCount, sum.p50(), sum.p90(),
                sum.p99(), sum.max(), sorted.length == 0 ? Double.NaN : sorted[0] / 1e6, changes.size() - seenCount));
        return sum;
    }

    private static String summaryOfObservers(List<String> names, Samples.Summary[] s) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            parts.add(String.format(Locale.ROOT, "%s p99 %.1f", names.get(i), s[i].p99()));
        }
        return String.join(", ", parts);
    }

    // ------------------------------------------------------------------------------- 4. memory

    private void memory(double[] heapBefore, ContextLoad.Loaded loaded) throws Exception {
        progress("memory: full GC and heap of each gateway node");
        out.add("");
        out.add(String.format(Locale.ROOT, "4. Memory of the gateway nodes: heap in use after a full GC (jcmd GC.run, then the sum of "
                + "jvm_memory_used_bytes{area=\"heap\"} from /metrics; median of %d), and VmRSS", o.gcSamples));
        out.add(String.format(Locale.ROOT, "%-12s %14s %14s %10s %16s", "node", "heap, empty", "heap, loaded", "VmRSS", "heap per tenant"));
        double worst = 0;
        for (int g = 0; g < gateways.size(); g++) {
            NodeUnderTest node = gateways.get(g);
            double heap = heapAfterFullGc(node);
            OptionalLong rss = node.rssKb();
            worst = Math.max(worst, heap);
            out.add(String.format(Locale.ROOT, "%-12s %10.1f MiB %10.1f MiB %6s MiB %12.0f B", node.name(), heapBefore[g] / (1 << 20),
                    heap / (1 << 20), rss.isPresent() ? String.format(Locale.ROOT, "%.0f", rss.getAsLong() / 1024.0) : "?",
                    (heap - heapBefore[g]) / loaded.slugs().size()));
        }
        out.add(String.format(Locale.ROOT, "  (empty: before the load, the baseline; loaded: %,d tenants, %,d hostnames, after the "
                + "propagation phase; JVM options (the launcher's): %s)", loaded.slugs().size(), loaded.hosts().size() + o.changes,
                gateways.getFirst().jvmOptions()));
        boolean fullSize = loaded.slugs().size() >= FULL_SIZE_TENANTS;
        target(String.format(Locale.ROOT, "gateway heap < %.0f MiB with %,d tenants", GATEWAY_HEAP_TARGET_MIB, FULL_SIZE_TENANTS),
                String.format(Locale.ROOT, "largest %.1f MiB with %,d tenants", worst / (1 << 20), loaded.slugs().size()),
                fullSize, worst / (1 << 20) < GATEWAY_HEAP_TARGET_MIB);
    }

    private double heapAfterFullGc(NodeUnderTest node) throws Exception {
        double[] samples = new double[o.gcSamples];
        for (int i = 0; i < samples.length; i++) {
            node.fullGc(jcmd);
            samples[i] = node.heapUsedBytes();
        }
        Arrays.sort(samples);
        return samples[samples.length / 2];
    }

    // -------------------------------------------------------------------------- 5. new gateway

    private void newGateways(ContextLoad.Loaded loaded) throws Exception {
        GatewayStart starter = new GatewayStart(Path.of(o.gatewayCommand), Path.of(o.masterKey), Path.of(o.workDir),
                loaded.hosts().get(loaded.hosts().size() / 2), o.ticksPerSecond);
        out.add("");
        out.add(String.format(Locale.ROOT, "5. A new gateway node on the loaded catalog (%,d tenants), through the launcher (JVM options %s): "
                + "process start -> first answer resolving a loaded tenant's host (/problems/no-route)", loaded.slugs().size(),
                gateways.getFirst().jvmOptions()));
        out.add(String.format(Locale.ROOT, "%-8s %16s %12s %22s %19s %14s %8s", "start", "first answer ms", "JVM exec at",
                "snapshot loaded at ms", "(snapshot load ms)", "node CPU ms", "stop ms"));
        List<Double> firsts = new ArrayList<>();
        String error = null;
        for (int n = 1; n <= o.starts; n++) {
            if (System.nanoTime() > deadline) {
                out.add("  (stopped: the time budget is spent)");
                break;
            }
            progress("new gateway node, start " + n + " of " + o.starts);
            GatewayStart.Start s = starter.once(n);
            if (s.error() != null) {
                error = error != null ? error : s.error();
            } else {
                firsts.add(s.firstAnswer());
            }
            out.add(String.format(Locale.ROOT, "%-8s %16.0f %12.0f %22.0f %19.0f %14.0f %8.0f", "#" + n, s.firstAnswer(), s.javaAt(),
                    s.snapshotLoadedAt(), s.snapshotLoad(), s.cpuAtAnswer(), s.stop()));
            sleep(1_000);
        }
        double median = firsts.isEmpty() ? Double.NaN : firsts.stream().sorted().toList().get(firsts.size() / 2);
        double max = firsts.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        out.add(String.format(Locale.ROOT, "%-8s %16.0f", "median", median));
        out.add("  (JVM exec at: when the launcher script exec'd java, from /proc; snapshot loaded at, and how long loading took:"
                + " the node's log line 'tenant contexts loaded from a snapshot'; node CPU: user+system time of the node's process"
                + " (the launcher's children not included) at its first answer)" + (error == null ? "" : " ERROR: " + error));
        boolean fullSize = loaded.slugs().size() >= FULL_SIZE_TENANTS;
        target(String.format(Locale.ROOT, "new gateway node serving < %.0f s with %,d tenants", NEW_GATEWAY_TARGET_MS / 1000,
                        FULL_SIZE_TENANTS),
                String.format(Locale.ROOT, "median %.0f ms, slowest %.0f ms of %d starts with %,d tenants", median, max,
                        firsts.size(), loaded.slugs().size()),
                fullSize, error == null && firsts.size() == o.starts && median < NEW_GATEWAY_TARGET_MS);
    }

    // ---------------------------------------------------------------------------------- common

    private void target(String name, String detail, boolean evaluated, boolean pass) {
        targets.add(String.format(Locale.ROOT, "  %-4s %s: %s%s", evaluated ? (pass ? "PASS" : "FAIL") : "n/a", name, detail,
                evaluated ? "" : " (not evaluated at this size)"));
    }

    private static double median(List<Measured> runs, ToDoubleFunction<Measured> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** CPU ticks of our processes and of the machine at one instant. */
    record Cpu(long nanos, long server, long postgres, long gateways, long harness, long machine) {
        Usage since(Cpu start, int ticksPerSecond) {
            double t = ticksPerSecond;
            double s = (server - start.server) / t;
            double p = (postgres - start.postgres) / t;
            double g = (gateways - start.gateways) / t;
            double h = (harness - start.harness) / t;
            double m = (machine - start.machine) / t;
            return new Usage((nanos - start.nanos) / 1e9, s, p, g, h, Math.max(0, m - s - p - g - h));
        }
    }

    /** CPU seconds used during {@code wall} seconds; harness includes its finished children (wrk, jcmd). */
    record Usage(double wall, double server, double postgres, double gateways, double harness, double other) {
        double otherCores() {
            return wall > 0 ? other / wall : 0;
        }
    }

    private Cpu cpu() {
        long gw = 0;
        for (NodeUnderTest g : gateways) {
            gw += ProcessStats.cpuTicks(g.pid(), false);
        }
        return new Cpu(System.nanoTime(), ProcessStats.cpuTicks(api.pid(), false),
                o.postgresPid > 0 ? ProcessStats.treeCpuTicks(o.postgresPid) : 0, gw,
                ProcessStats.cpuTicks(ProcessHandle.current().pid(), true), ProcessStats.machineBusyTicks());
    }

    private void progress(String message) {
        System.err.printf(Locale.ROOT, "[context-bench %5.1f s] %s%n", (System.nanoTime() - started) / 1e9, message);
        System.err.flush();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String randomLabel(int length) {
        SecureRandom random = new SecureRandom();
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------- options

    /** Command-line options; every loop they drive is bounded in count and in time. */
    static final class Options {
        static final String USAGE = """
                ContextBench: tenant contexts with N tenants loaded by SQL: by-host lookup throughput (wrk), propagation to
                gateways and an SDK client, gateway heap, a new gateway node's start. Normally run by bench/context.sh.
                  --client-config FILE     JSON {"server","token"} of the API node (loopback only)
                  --api-pid PID            the API node's JVM (CPU figures)
                  --postgres-port N        the catalog's PostgreSQL (superuser postgres, password in $PGPASSWORD, database tenantry)
                  --postgres-pid PID       its postmaster (CPU figures)
                  --gateways M:G:PID,...   the running gateway nodes: management port, gateway port, JVM pid
                  --gateway-command FILE   starts a gateway node: FILE DATA_DIR API_PORT GATEWAY_PORT (execs the JVM)
                  --master-key FILE        the catalog's master key (copied into each new gateway's data directory)
                  --work-dir DIR           where scripts, hostnames and the new nodes' data directories go
                  --tenants N              tenants to load (default 10000), two hostnames each
                  --batch N                tenants per transaction (default 1000)
                  --duration S             seconds per wrk run (default 10)
                  --rounds N               wrk rounds, each by-host and healthz in alternating order (default 2: ABBA)
                  --warmup S               unrecorded wrk seconds of by-host before, and half as many of healthz (default 15)
                  --wrk PATH               the wrk executable (default wrk)
                  --wrk-threads N          (default 2)     --wrk-connections N   (default 64)
                  --changes N              propagation changes (default 1000)
                  --poll-us N              pause between gateway polls, microseconds (default 500, at least 200)
                  --observe-timeout-ms N   bound of the wait for each observer (default 5000)
                  --gap-ms N               pause between changes (default 2)
                  --gc-samples N           full GC + heap readings per node, the median is reported (default 3)
                  --starts N               new gateway node starts (default 3)
                  --max-minutes N          time budget of the whole run (default 15)
                  --reserve-seconds N      of it kept for the phases after propagation (default 90)
                  --clk-tck N              CPU clock ticks per second of /proc (default 100)""";

        boolean help;
        String clientConfig;
        long apiPid;
        int postgresPort;
        long postgresPid;
        List<String> gateways = List.of();
        String gatewayCommand;
        String masterKey;
        String workDir = System.getProperty("java.io.tmpdir");
        int tenants = 10_000;
        int batch = 1_000;
        int durationSeconds = 10;
        int rounds = 2;
        int warmupSeconds = 15;
        String wrk = "wrk";
        int wrkThreads = 2;
        int wrkConnections = 64;
        int changes = 1_000;
        int pollMicros = 500;
        int observeTimeoutMs = 5_000;
        int gapMs = 2;
        int gcSamples = 3;
        int starts = 3;
        int maxMinutes = 7;
        int reserveSeconds = 90;
        int ticksPerSecond = 100;

        static Options parse(String[] args) {
            Options o = new Options();
            Args.Parsed parsed = Args.parse(args, USAGE);
            o.help = parsed.help();
            Map<String, String> values = parsed.values();
            for (Map.Entry<String, String> e : values.entrySet()) {
                String k = e.getKey();
                String v = e.getValue();
                switch (k) {
                    case "client-config" -> o.clientConfig = v;
                    case "api-pid" -> o.apiPid = Long.parseLong(v);
                    case "postgres-port" -> o.postgresPort = Args.bounded(k, v, 1, 65_535);
                    case "postgres-pid" -> o.postgresPid = Long.parseLong(v);
                    case "gateways" -> o.gateways = List.of(v.split(","));
                    case "gateway-command" -> o.gatewayCommand = v;
                    case "master-key" -> o.masterKey = v;
                    case "work-dir" -> o.workDir = v;
                    case "tenants" -> o.tenants = Args.bounded(k, v, 2, 1_000_000);
                    case "batch" -> o.batch = Args.bounded(k, v, 1, 100_000);
                    case "duration" -> o.durationSeconds = Args.bounded(k, v, 1, 600);
                    case "rounds" -> o.rounds = Args.bounded(k, v, 1, 10);
                    case "warmup" -> o.warmupSeconds = Args.bounded(k, v, 0, 120);
                    case "wrk" -> o.wrk = v;
                    case "wrk-threads" -> o.wrkThreads = Args.bounded(k, v, 1, 64);
                    case "wrk-connections" -> o.wrkConnections = Args.bounded(k, v, 1, 10_000);
                    case "changes" -> o.changes = Args.bounded(k, v, 1, 100_000);
                    case "poll-us" -> o.pollMicros = Args.bounded(k, v, 200, 1_000_000);
                    case "observe-timeout-ms" -> o.observeTimeoutMs = Args.bounded(k, v, 10, 60_000);
                    case "gap-ms" -> o.gapMs = Args.bounded(k, v, 0, 10_000);
                    case "gc-samples" -> o.gcSamples = Args.bounded(k, v, 1, 9);
                    case "starts" -> o.starts = Args.bounded(k, v, 0, 20);
                    case "max-minutes" -> o.maxMinutes = Args.bounded(k, v, 1, 120);
                    case "reserve-seconds" -> o.reserveSeconds = Args.bounded(k, v, 0, 3_600);
                    case "clk-tck" -> o.ticksPerSecond = Args.bounded(k, v, 1, 100_000);
                    default -> throw new IllegalArgumentException("unknown option --" + k + "\n" + USAGE);
                }
            }
            if (o.starts > 0 && (o.gatewayCommand == null || o.masterKey == null)) {
                throw new IllegalArgumentException("--starts needs --gateway-command and --master-key");
            }
            return o;
        }
    }
}
