package dev.tenantry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.sdk.ClientConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The catalog benchmark: loads N tenants through the API, then measures get-by-slug open-loop at
 * a fixed rate (latency from the scheduled send time, so a stalled server is not hidden by a
 * waiting client), get-by-slug closed-loop at maximum throughput, list-100 open-loop, and the
 * server's resident memory. Every measured phase is paired with the same load on {@code /healthz}
 * (same server, same HTTP stack and handler dispatch, no authentication, no database) run in
 * alternating order, and the figures are printed with their ratio to it.
 *
 * <p>Run it through {@code bench/catalog.sh}, which starts a fresh server; by hand:
 * {@code java -cp bench/target/tenantry-bench.jar dev.tenantry.bench.CatalogBench --client-config <file> --server-pid <pid>}.
 */
public final class CatalogBench {
    // The targets of the catalog issue.
    static final double GET_P99_TARGET_MS = 5.0;
    static final int GET_TARGET_RATE = 1_000;
    static final double LIST_P99_TARGET_MS = 20.0;
    static final long RSS_TARGET_KB = 512L * 1024;
    static final int RSS_TARGET_TENANTS = 10_000;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Below this, thread-local allocation buffers and background work make a per-request figure meaningless. */
    private static final double MIN_ALLOCATION_MEASURED = 64.0 * 1024 * 1024;

    private final Options o;
    private final InetSocketAddress address;
    private final String token;
    private final String slugPrefix;
    private final List<String> slugs = Collections.synchronizedList(new ArrayList<>());
    private final List<String> listCursors = new ArrayList<>();
    private String[] slugArray = new String[0];
    private double loadSeconds;
    private final List<String> roundLines = new ArrayList<>();

    private CatalogBench(Options o, InetSocketAddress address, String token) {
        this.o = o;
        this.address = address;
        this.token = token;
        this.slugPrefix = "b" + randomLabel(6);
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.help) {
            System.out.println(Options.USAGE);
            return;
        }
        String server = o.url;
        String token = o.token;
        if (o.clientConfig != null) {
            ClientConfig config = ClientConfig.load(Path.of(o.clientConfig)).orElseThrow(
                    () -> new IllegalArgumentException("no client config at " + o.clientConfig));
            server = server != null ? server : config.server();
            token = token != null ? token : config.token();
        }
        if (server == null || token == null || token.isBlank()) {
            throw new IllegalArgumentException("give --client-config FILE, or --url and --token");
        }
        URI uri = URI.create(server);
        InetAddress host = InetAddress.getByName(uri.getHost());
        if (!host.isLoopbackAddress()) {
            throw new IllegalArgumentException("this harness only loads a server on this machine (loopback), not " + uri.getHost());
        }
        if (uri.getPort() <= 0) {
            throw new IllegalArgumentException("the server URL needs a port: " + server);
        }
        new CatalogBench(o, new InetSocketAddress(host, uri.getPort()), token).run();
    }

    // ---------------------------------------------------------------------------------------------

    /** What one load phase does per request. */
    record Target(String name, Function<ThreadLocalRandom, String> path, int expectedStatus, boolean authenticated) {}

    /** Counters and samples of one phase (possibly several rounds merged). */
    static final class Result {
        final String name;
        final List<Samples> latency = new ArrayList<>();   // from the scheduled send time (open loop) or the send (closed loop)
        final List<Samples> service = new ArrayList<>();   // from the actual send
        final AtomicLong ok = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicReference<String> firstError = new AtomicReference<>();
        long notSent;
        long planned;
        double elapsedSeconds;
        ProcessStats.Usage cpu = ProcessStats.Usage.ZERO;
        double allocatedBytes;                             // by the server JVM, from its /metrics (NaN if unknown)
        private Samples.Summary latencySummary;
        private Samples.Summary serviceSummary;

        Result(String name) {
            this.name = name;
        }

        void error(String message) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, message);
        }

        void merge(Result r) {
            latency.addAll(r.latency);
            service.addAll(r.service);
            ok.addAndGet(r.ok.get());
            errors.addAndGet(r.errors.get());
            if (r.firstError.get() != null) {
                firstError.compareAndSet(null, r.firstError.get());
            }
            notSent += r.notSent;
            planned += r.planned;
            elapsedSeconds += r.elapsedSeconds;
            cpu = cpu.plus(r.cpu);
            allocatedBytes += r.allocatedBytes;
        }

        Samples.Summary latency() {
            if (latencySummary == null) {
                latencySummary = Samples.Summary.of(Samples.sorted(latency));
            }
            return latencySummary;
        }

        Samples.Summary service() {
            if (serviceSummary == null) {
                serviceSummary = Samples.Summary.of(Samples.sorted(service));
            }
            return serviceSummary;
        }

        double rate() {
            return elapsedSeconds > 0 ? ok.get() / elapsedSeconds : 0;
        }
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        long pgPid = o.postgresPid;
        List<String> lines = new ArrayList<>();
        OptionalLong rssStart = o.serverPid > 0 ? ProcessStats.statusKb(o.serverPid, "VmRSS") : OptionalLong.empty();
        progress("server " + address.getHostString() + ":" + address.getPort()
                + (o.serverPid > 0 ? ", pid " + o.serverPid : "") + ", RSS at start " + kb(rssStart));

        // 1. Load the catalog.
        Result create = create();
        requireServerAlive();
        if (slugs.isEmpty()) {
            throw new IllegalStateException("no tenant could be created: " + create.firstError.get());
        }
        sanityChecks();

        Target get = new Target("get-by-slug", r -> "/v1/tenants/" + slugArray[r.nextInt(slugArray.length)], 200, true);
        Target health = new Target("healthz", r -> "/healthz", 200, false);
        Target list = new Target("list-" + o.listLimit, r -> "/v1/tenants?limit=" + o.listLimit
                + cursorParam(listCursors.get(r.nextInt(listCursors.size()))), 200, true);

        // 2. Warm up the read paths (JIT, connection pools); not recorded.
        if (o.warmupSeconds > 0) {
            progress("warm-up: " + o.warmupSeconds + " s each of get-by-slug, healthz and list at their rates");
            openLoop(get, o.rate, o.warmupSeconds, o.openConnections);
            openLoop(health, o.rate, o.warmupSeconds, o.openConnections);
            openLoop(list, o.listRate, Math.min(o.warmupSeconds, 3), o.openConnections);
        }

        // 3. Open loop at the target rate, alternating with the baseline (ABBA...).
        Result[] open = paired(get, health, (t) -> openLoop(t, o.rate, o.durationSeconds / (double) o.rounds, o.openConnections),
                "open loop " + o.rate + " req/s");
        // 4. Closed loop, maximum throughput.
        Result[] closed = paired(get, health,
                (t) -> closedLoop(t, o.throughputConnections, o.throughputSeconds / (double) o.rounds),
                "closed loop " + o.throughputConnections + " connections");
        // 5. List of 100 (random pages), open loop.
        Result[] listed = paired(list, health, (t) -> openLoop(t, o.listRate, o.listSeconds / (double) o.rounds, o.openConnections),
                "open loop " + o.listRate + " req/s");

        // 6. Memory, after the load.
        OptionalLong rss = o.serverPid > 0 ? ProcessStats.statusKb(o.serverPid, "VmRSS") : OptionalLong.empty();
        OptionalLong hwm = o.serverPid > 0 ? ProcessStats.statusKb(o.serverPid, "VmHWM") : OptionalLong.empty();
        long pgPss = pgPid > 0 ? ProcessStats.treePssKb(pgPid) : 0;

        // Report.
        int cores = Runtime.getRuntime().availableProcessors();
        lines.add(String.format(Locale.ROOT, "Tenantry catalog benchmark: %,d tenants in the catalog (%,d created by this run), %d cores, JDK %s (harness)",
                slugs.size() + o.preexisting, slugs.size(), cores, Runtime.version()));
        lines.add(String.format(Locale.ROOT, "Load: 127.0.0.1 only; open loop measures from the scheduled send time (no coordinated omission); %d round(s) alternating with the baseline.",
                o.rounds));
        lines.add("");
        lines.add(String.format(Locale.ROOT, "%-38s %8s %9s %8s %8s %8s %8s %8s %6s %9s %8s %8s %6s %7s",
                "phase", "ok", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "srv us/r", "pg us/r", "gen us/r", "KB/r", "other"));
        row(lines, "create tenant (" + o.createConcurrency + " in flight)", create);
        row(lines, "get-by-slug  open @" + o.rate + "/s", open[0]);
        row(lines, "  baseline healthz open @" + o.rate + "/s", open[1]);
        row(lines, "get-by-slug  closed x" + o.throughputConnections, closed[0]);
        row(lines, "  baseline healthz closed x" + o.throughputConnections, closed[1]);
        row(lines, "list-" + o.listLimit + "     open @" + o.listRate + "/s", listed[0]);
        row(lines, "  baseline healthz open @" + o.listRate + "/s", listed[1]);
        lines.add("  (srv/pg/gen us/r: CPU microseconds per request used by the server JVM / PostgreSQL / this load generator;");
        lines.add("   KB/r: heap the server allocated per request (from its /metrics; '-' when the phase allocated too little to tell);");
        lines.add("   other: cores kept busy meanwhile by processes that are none of these, i.e. machine noise)");
        lines.add(String.format(Locale.ROOT, "  create: figures exclude the first %,d warm-up creates; loading all %,d took %.1f s (%.0f creates/s overall)",
                Math.min(1_000, o.tenants / 10), o.tenants, loadSeconds, slugs.size() / Math.max(1e-9, loadSeconds)));
        lines.add(String.format(Locale.ROOT, "  open-loop service time (from the actual send): get-by-slug p50 %.2f / p99 %.2f ms; healthz p50 %.2f / p99 %.2f ms",
                open[0].service().p50(), open[0].service().p99(), open[1].service().p50(), open[1].service().p99()));
        lines.add("Each phase in run order (p50/p99 ms; base = the /healthz baseline):");
        lines.addAll(roundLines);
        lines.add("");
        lines.add("Ratios to the baseline (/healthz on the same server in the same run; >1 = slower / less):");
        lines.add(String.format(Locale.ROOT, "  get-by-slug open @%d/s:  p50 x%.2f   p99 x%.2f   server CPU/req x%.2f",
                o.rate, ratio(open[0].latency().p50(), open[1].latency().p50()),
                ratio(open[0].latency().p99(), open[1].latency().p99()),
                ratio(cpuPerReq(open[0]), cpuPerReq(open[1]))));
        lines.add(String.format(Locale.ROOT, "  get-by-slug max throughput: %.0f vs %.0f req/s = x%.2f of baseline   p50 x%.2f",
                closed[0].rate(), closed[1].rate(), ratio(closed[0].rate(), closed[1].rate()),
                ratio(closed[0].latency().p50(), closed[1].latency().p50())));
        lines.add(String.format(Locale.ROOT, "  list-%d open @%d/s:       p50 x%.2f   p99 x%.2f",
                o.listLimit, o.listRate, ratio(listed[0].latency().p50(), listed[1].latency().p50()),
                ratio(listed[0].latency().p99(), listed[1].latency().p99())));
        lines.add("");
        lines.add(String.format(Locale.ROOT, "Memory: server JVM VmRSS %s after the load (%s at start, peak VmHWM %s); PostgreSQL PSS %s (informational)",
                kb(rss), kb(rssStart), kb(hwm), pgPid > 0 ? kb(OptionalLong.of(pgPss)) : "n/a"));
        lines.add("");
        lines.add("Targets:");
        int tenants = slugs.size() + o.preexisting;
        boolean fullRate = o.rate >= GET_TARGET_RATE;
        boolean rateHeld = open[0].rate() >= 0.98 * o.rate && open[0].notSent == 0;
        lines.add(verdict(String.format(Locale.ROOT, "get-by-slug p99 < %.0f ms at %,d req/s", GET_P99_TARGET_MS, GET_TARGET_RATE),
                String.format(Locale.ROOT, "p99 %.2f ms at %.0f req/s achieved, %d errors", open[0].latency().p99(), open[0].rate(), open[0].errors.get()),
                !fullRate ? Verdict.NOT_EVALUATED : (open[0].latency().p99() < GET_P99_TARGET_MS && rateHeld && open[0].errors.get() == 0
                        ? Verdict.PASS : Verdict.FAIL)));
        lines.add(verdict(String.format(Locale.ROOT, "list-%d p99 < %.0f ms", o.listLimit, LIST_P99_TARGET_MS),
                String.format(Locale.ROOT, "p99 %.2f ms at %.0f req/s, %d errors", listed[0].latency().p99(), listed[0].rate(), listed[0].errors.get()),
                o.listLimit != 100 ? Verdict.NOT_EVALUATED : (listed[0].latency().p99() < LIST_P99_TARGET_MS && listed[0].errors.get() == 0
                        ? Verdict.PASS : Verdict.FAIL)));
        lines.add(verdict(String.format(Locale.ROOT, "server RSS < %d MiB with %,d tenants", RSS_TARGET_KB / 1024, RSS_TARGET_TENANTS),
                "VmRSS " + kb(rss) + " with " + String.format(Locale.ROOT, "%,d", tenants) + " tenants",
                rss.isEmpty() ? Verdict.NOT_EVALUATED : (rss.getAsLong() < RSS_TARGET_KB ? Verdict.PASS : Verdict.FAIL)));
        if (tenants < RSS_TARGET_TENANTS) {
            lines.add(String.format(Locale.ROOT, "  (a reduced run: %,d tenants, not the %,d the targets are stated for)", tenants, RSS_TARGET_TENANTS));
        }
        double other = (open[0].cpu.otherCpu() + open[1].cpu.otherCpu()) / Math.max(1e-9, open[0].cpu.wallSeconds() + open[1].cpu.wallSeconds());
        lines.add(String.format(Locale.ROOT, "Noise: other processes kept %.2f of %d cores busy during the open-loop phases%s.",
                other, cores, other > 0.25 ? " (NOISY: treat absolute figures with care; the ratios are the figures to compare)" : ""));
        lines.add(String.format(Locale.ROOT, "Harness wall time %.0f s.", (System.nanoTime() - started) / 1e9));
        lines.forEach(System.out::println);
        System.out.flush();
    }

    enum Verdict { PASS, FAIL, NOT_EVALUATED }

    private static String verdict(String target, String measured, Verdict v) {
        String mark = switch (v) {
            case PASS -> "PASS";
            case FAIL -> "FAIL";
            case NOT_EVALUATED -> "n/a (run not at the target's conditions)";
        };
        return String.format(Locale.ROOT, "  %-42s %-52s %s", target, measured, mark);
    }

    private static double cpuPerReq(Result r) {
        long n = r.ok.get() + r.errors.get();
        return n == 0 ? Double.NaN : r.cpu.serverCpu() * 1e6 / n;
    }

    private static void row(List<String> lines, String label, Result r) {
        Samples.Summary s = r.latency();
        long n = r.ok.get() + r.errors.get();
        double other = r.cpu.wallSeconds() > 0 ? r.cpu.otherCpu() / r.cpu.wallSeconds() : Double.NaN;
        lines.add(String.format(Locale.ROOT, "%-38s %8d %9.1f %8.2f %8.2f %8.2f %8.2f %8.2f %6d %9.0f %8.0f %8.0f %6s %7s",
                label, r.ok.get(), r.rate(), s.p50(), s.p90(), s.p99(), s.p999(), s.max(), r.errors.get() + r.notSent,
                n == 0 ? Double.NaN : r.cpu.serverCpu() * 1e6 / n, n == 0 ? Double.NaN : r.cpu.postgresCpu() * 1e6 / n,
                n == 0 ? Double.NaN : r.cpu.harnessCpu() * 1e6 / n,
                n == 0 || Double.isNaN(r.allocatedBytes) || r.allocatedBytes < MIN_ALLOCATION_MEASURED ? "-"
                        : String.format(Locale.ROOT, "%.1f", r.allocatedBytes / 1024 / n),
                String.format(Locale.ROOT, "%.2fc", other)));
        if (r.firstError.get() != null) {
            lines.add("    first error: " + r.firstError.get());
        }
        if (r.notSent > 0) {
            lines.add("    " + r.notSent + " scheduled requests were never sent (the run hit its time limit)");
        }
    }

    private static double ratio(double a, double b) {
        return b == 0 ? Double.NaN : a / b;
    }

    private static String kb(OptionalLong kb) {
        return kb.isPresent() ? String.format(Locale.ROOT, "%.1f MiB", kb.getAsLong() / 1024.0) : "n/a";
    }

    private static String cursorParam(String cursor) {
        return cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------------------------------------

    @FunctionalInterface
    interface Phase {
        Result run(Target t) throws InterruptedException;
    }

    /** Runs {@code a} and {@code b} for {@link Options#rounds} rounds in alternating order (a b, b a, ...), merged. */
    private Result[] paired(Target a, Target b, Phase phase, String how) throws InterruptedException {
        Result ra = new Result(a.name());
        Result rb = new Result(b.name());
        StringBuilder order = new StringBuilder("  " + how + ":");
        for (int round = 0; round < o.rounds; round++) {
            boolean aFirst = round % 2 == 0;
            for (int i = 0; i < 2; i++) {
                Target t = (i == 0) == aFirst ? a : b;
                progress(t.name() + ", " + how + ", round " + (round + 1) + "/" + o.rounds);
                Result r = phase.run(t);
                requireServerAlive();
                (t == a ? ra : rb).merge(r);
                progress(String.format(Locale.ROOT, "  %d ok, %d errors, %.0f req/s, p50 %.2f ms, p99 %.2f ms",
                        r.ok.get(), r.errors.get(), r.rate(), r.latency().p50(), r.latency().p99()));
                order.append(String.format(Locale.ROOT, "  %s %.2f/%.2f", t == a ? a.name() : "base", r.latency().p50(), r.latency().p99()));
            }
        }
        roundLines.add(order.toString());
        return new Result[] {ra, rb};
    }

    /**
     * Bytes the server JVM has allocated so far, from its public /metrics: Micrometer's
     * jvm_gc_memory_allocated_bytes_total (advanced at each young collection) plus what the eden
     * space holds now (allocated since the last collection).
     */
    private double allocatedBytes() {
        try (Http1Connection c = new Http1Connection(address, null)) {
            Http1Connection.Response r = c.get("/metrics", true);
            if (r.status() != 200) {
                return Double.NaN;
            }
            double counter = Double.NaN;
            double eden = 0;
            for (String line : new String(r.body(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("jvm_gc_memory_allocated_bytes_total")) {
                    counter = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("jvm_memory_used_bytes{") && line.contains("Eden")) {
                    eden += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return counter + eden;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Stops the run when the server process is gone (its figures would be meaningless). */
    private void requireServerAlive() {
        if (o.serverPid > 0 && ProcessHandle.of(o.serverPid).map(p -> !p.isAlive()).orElse(true)) {
            throw new IllegalStateException("the server (pid " + o.serverPid + ") exited during the run; no figures");
        }
    }

    /**
     * Creates {@link Options#tenants} tenants with {@link Options#createConcurrency} requests in
     * flight. The first tenth (at most 1,000) also warms the server up (JIT, pools): those creates
     * load the catalog like the others but are left out of the create figures.
     */
    private Result create() throws InterruptedException {
        int warm = Math.min(1_000, o.tenants / 10);
        progress(String.format(Locale.ROOT, "creating %,d tenants (%d in flight, slugs %s-NNNNN; the first %,d are the warm-up)",
                o.tenants, o.createConcurrency, slugPrefix, warm));
        Result result = new Result("create");
        result.allocatedBytes = Double.NaN;
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicLong measuredStart = new AtomicLong();
        AtomicReference<ProcessStats.Cpu> cpu0 = new AtomicReference<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.createTimeoutSeconds);
        long start = System.nanoTime();
        if (warm == 0) {
            measuredStart.set(start);
            cpu0.set(ProcessStats.Cpu.now(o.serverPid, o.postgresPid));
        }
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < o.createConcurrency; w++) {
            Samples samples = new Samples();
            result.latency.add(samples);
            workers.add(Thread.ofPlatform().name("create-" + w).start(() -> {
                try (Http1Connection c = new Http1Connection(address, token)) {
                    while (System.nanoTime() < deadline) {
                        int i = next.getAndIncrement();
                        if (i >= o.tenants) {
                            return;
                        }
                        boolean measured = i >= warm;
                        String slug = String.format(Locale.ROOT, "%s-%05d", slugPrefix, i);
                        long t0 = System.nanoTime();
                        try {
                            Http1Connection.Response r = c.postJson("/v1/tenants", "{\"slug\":\"" + slug + "\"}", false);
                            if (measured) {
                                samples.add(System.nanoTime() - t0);
                            }
                            if (r.status() == 201 || r.status() == 202) { // 202: accepted, provisioning queued
                                if (measured) {
                                    result.ok.incrementAndGet();
                                }
                                slugs.add(slug);
                            } else {
                                result.error("POST /v1/tenants -> " + r.status());
                            }
                        } catch (IOException e) {
                            result.error("POST /v1/tenants: " + e);
                        }
                        int d = done.incrementAndGet();
                        if (d == warm) {
                            measuredStart.set(System.nanoTime());
                            cpu0.set(ProcessStats.Cpu.now(o.serverPid, o.postgresPid));
                        }
                        if (d % Math.max(1, o.tenants / 10) == 0) {
                            progress(String.format(Locale.ROOT, "  %,d / %,d created", d, o.tenants));
                        }
                    }
                }
            }));
        }
        for (Thread t : workers) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 30_000));
        }
        long end = System.nanoTime();
        loadSeconds = (end - start) / 1e9;
        if (measuredStart.get() == 0) {
            measuredStart.set(start);
        }
        result.elapsedSeconds = (end - measuredStart.get()) / 1e9;
        if (cpu0.get() != null) {
            result.cpu = ProcessStats.Cpu.now(o.serverPid, o.postgresPid).since(cpu0.get(), o.ticksPerSecond);
        }
        result.notSent = Math.max(0, o.tenants - next.get());
        Collections.sort(slugs);
        slugArray = slugs.toArray(String[]::new);
        return result;
    }

    /** One request of each kind, checking the answers' content (not just their status), and the list cursors. */
    private void sanityChecks() throws IOException {
        try (Http1Connection c = new Http1Connection(address, token)) {
            String slug = slugs.get(0);
            Http1Connection.Response r = c.get("/v1/tenants/" + slug, true);
            JsonNode tenant = JSON.readTree(r.body());
            if (r.status() != 200 || !slug.equals(tenant.path("slug").asText())) {
                throw new IllegalStateException("GET /v1/tenants/" + slug + " answered " + r.status() + ": " + new String(r.body(), StandardCharsets.UTF_8));
            }
            // Walk the listing once: every page's cursor, so list requests read random pages.
            listCursors.add(null);
            String cursor = null;
            int pages = 0;
            int items = 0;
            while (pages < 10_000) {
                r = c.get("/v1/tenants?limit=" + o.listLimit + cursorParam(cursor), true);
                if (r.status() != 200) {
                    throw new IllegalStateException("GET /v1/tenants answered " + r.status() + ": " + new String(r.body(), StandardCharsets.UTF_8));
                }
                JsonNode page = JSON.readTree(r.body());
                int n = page.path("items").size();
                items += n;
                pages++;
                JsonNode next = page.path("nextCursor");
                if (next.isNull() || next.isMissingNode() || next.asText().isEmpty()) {
                    break;
                }
                cursor = next.asText();
                // Only full pages are measured: skip a cursor whose page is the short last one.
                listCursors.add(cursor);
            }
            if (listCursors.size() > 1 && items % o.listLimit != 0) {
                listCursors.remove(listCursors.size() - 1);
            }
            o.preexisting = Math.max(0, items - slugs.size());
            progress(String.format(Locale.ROOT, "catalog holds %,d live tenants in %,d pages of %d", items, pages, o.listLimit));
        }
    }

    /**
     * Open loop: request i is due at start + i/rate whatever happened before; a worker takes the
     * next due request, waits for its time, sends it, and records the latency from the due time.
     */
    private Result openLoop(Target t, int rate, double seconds, int connections) throws InterruptedException {
        Result result = new Result(t.name());
        long total = Math.max(1, Math.round(rate * seconds));
        result.planned = total;
        double interval = 1e9 / rate;
        AtomicLong next = new AtomicLong();
        AtomicLong lastDone = new AtomicLong();
        double alloc0 = allocatedBytes();
        ProcessStats.Cpu cpu0 = ProcessStats.Cpu.now(o.serverPid, o.postgresPid);
        long start = System.nanoTime() + 20_000_000L; // 20 ms for the workers to get ready
        long plannedEnd = start + (long) (seconds * 1e9);
        long hardEnd = plannedEnd + TimeUnit.SECONDS.toNanos(o.graceSeconds);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < connections; w++) {
            Samples latency = new Samples();
            Samples service = new Samples();
            result.latency.add(latency);
            result.service.add(service);
            workers.add(Thread.ofPlatform().name("open-" + w).start(() -> {
                try (Http1Connection c = new Http1Connection(address, t.authenticated() ? token : null)) {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    while (true) {
                        long i = next.getAndIncrement();
                        if (i >= total) {
                            return;
                        }
                        long due = start + (long) (i * interval);
                        long now;
                        while ((now = System.nanoTime()) < due) {
                            LockSupport.parkNanos(due - now);
                        }
                        if (now > hardEnd) {
                            next.set(total); // stop everyone; the rest is counted as not sent
                            return;
                        }
                        String path = t.path().apply(random);
                        try {
                            Http1Connection.Response r = c.get(path, false);
                            long end = System.nanoTime();
                            latency.add(end - due);
                            service.add(end - now);
                            lastDone.accumulateAndGet(end, Math::max);
                            if (r.status() == t.expectedStatus()) {
                                result.ok.incrementAndGet();
                            } else {
                                result.error("GET " + path + " -> " + r.status());
                            }
                        } catch (IOException e) {
                            result.error("GET " + path + ": " + e);
                        }
                    }
                }
            }));
        }
        for (Thread w : workers) {
            w.join(TimeUnit.NANOSECONDS.toMillis(hardEnd - System.nanoTime()) + 60_000);
        }
        long end = Math.max(lastDone.get(), plannedEnd);
        result.elapsedSeconds = (end - start) / 1e9;
        result.cpu = ProcessStats.Cpu.now(o.serverPid, o.postgresPid).since(cpu0, o.ticksPerSecond);
        result.notSent = Math.max(0, total - result.ok.get() - result.errors.get());
        result.allocatedBytes = allocatedBytes() - alloc0;
        return result;
    }

    /** Closed loop: each connection sends its next request as soon as the previous one is answered. */
    private Result closedLoop(Target t, int connections, double seconds) throws InterruptedException {
        Result result = new Result(t.name());
        double alloc0 = allocatedBytes();
        ProcessStats.Cpu cpu0 = ProcessStats.Cpu.now(o.serverPid, o.postgresPid);
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < connections; w++) {
            Samples latency = new Samples();
            result.latency.add(latency);
            result.service.add(latency);
            workers.add(Thread.ofPlatform().name("closed-" + w).start(() -> {
                try (Http1Connection c = new Http1Connection(address, t.authenticated() ? token : null)) {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    long now;
                    while ((now = System.nanoTime()) < end) {
                        String path = t.path().apply(random);
                        try {
                            Http1Connection.Response r = c.get(path, false);
                            latency.add(System.nanoTime() - now);
                            if (r.status() == t.expectedStatus()) {
                                result.ok.incrementAndGet();
                            } else {
                                result.error("GET " + path + " -> " + r.status());
                            }
                        } catch (IOException e) {
                            result.error("GET " + path + ": " + e);
                        }
                    }
                }
            }));
        }
        for (Thread w : workers) {
            w.join(TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) + 60_000);
        }
        result.elapsedSeconds = (System.nanoTime() - start) / 1e9;
        result.cpu = ProcessStats.Cpu.now(o.serverPid, o.postgresPid).since(cpu0, o.ticksPerSecond);
        result.allocatedBytes = allocatedBytes() - alloc0;
        return result;
    }

    private static void progress(String message) {
        System.err.println("[catalog-bench] " + message);
        System.err.flush();
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

    // ---------------------------------------------------------------------------------------------

    /** Command-line options; every loop they drive is bounded in count and in time. */
    static final class Options {
        static final String USAGE = """
                CatalogBench: load N tenants through the control-plane API, then measure get-by-slug, list and memory.
                  --client-config FILE        JSON {"server","token"} written by 'tenantry up' (or --url and --token)
                  --url URL --token TOKEN     the API (loopback only) and an admin token
                  --server-pid PID            the server JVM, for RSS and CPU figures
                  --postgres-pid PID          the PostgreSQL postmaster, for its CPU and memory (informational)
                  --tenants N                 tenants to create (default 10000)
                  --create-concurrency N      creates in flight (default 16)
                  --rate R                    get-by-slug open-loop rate, req/s (default 1000)
                  --duration S                get-by-slug open-loop seconds, split over the rounds (default 20)
                  --rounds N                  alternations with the baseline per phase (default 2)
                  --open-connections N        connections of the open-loop generator (default 32)
                  --throughput-connections N  connections of the closed-loop run (default 16)
                  --throughput-duration S     closed-loop seconds (default 10)
                  --list-rate R               list open-loop rate (default 50)
                  --list-duration S           list open-loop seconds (default 10)
                  --list-limit N              page size of the list (default 100)
                  --warmup S                  unrecorded warm-up seconds per read path (default 5)
                  --create-timeout S          upper bound on the create phase (default 900)
                  --clk-tck N                 CPU clock ticks per second of /proc (default 100)""";

        boolean help;
        String clientConfig;
        String url;
        String token;
        long serverPid;
        long postgresPid;
        int tenants = 10_000;
        int createConcurrency = 16;
        int rate = 1_000;
        int durationSeconds = 20;
        int rounds = 2;
        int openConnections = 32;
        int throughputConnections = 16;
        int throughputSeconds = 10;
        int listRate = 50;
        int listSeconds = 10;
        int listLimit = 100;
        int warmupSeconds = 5;
        int createTimeoutSeconds = 900;
        int graceSeconds = 10;
        int ticksPerSecond = 100;
        int preexisting;

        static Options parse(String[] args) {
            Options o = new Options();
            Args.Parsed parsed = Args.parse(args, USAGE);
            o.help = parsed.help();
            Map<String, String> values = parsed.values();
            for (Map.Entry<String, String> e : values.entrySet()) {
                String v = e.getValue();
                switch (e.getKey()) {
                    case "client-config" -> o.clientConfig = v;
                    case "url" -> o.url = v;
                    case "token" -> o.token = v;
                    case "server-pid" -> o.serverPid = Long.parseLong(v);
                    case "postgres-pid" -> o.postgresPid = Long.parseLong(v);
                    case "tenants" -> o.tenants = Args.bounded(e.getKey(), v, 1, 1_000_000);
                    case "create-concurrency" -> o.createConcurrency = Args.bounded(e.getKey(), v, 1, 256);
                    case "rate" -> o.rate = Args.bounded(e.getKey(), v, 1, 100_000);
                    case "duration" -> o.durationSeconds = Args.bounded(e.getKey(), v, 1, 3_600);
                    case "rounds" -> o.rounds = Args.bounded(e.getKey(), v, 1, 20);
                    case "open-connections" -> o.openConnections = Args.bounded(e.getKey(), v, 1, 512);
                    case "throughput-connections" -> o.throughputConnections = Args.bounded(e.getKey(), v, 1, 512);
                    case "throughput-duration" -> o.throughputSeconds = Args.bounded(e.getKey(), v, 1, 3_600);
                    case "list-rate" -> o.listRate = Args.bounded(e.getKey(), v, 1, 10_000);
                    case "list-duration" -> o.listSeconds = Args.bounded(e.getKey(), v, 1, 3_600);
                    case "list-limit" -> o.listLimit = Args.bounded(e.getKey(), v, 1, 500);
                    case "warmup" -> o.warmupSeconds = Args.bounded(e.getKey(), v, 0, 600);
                    case "create-timeout" -> o.createTimeoutSeconds = Args.bounded(e.getKey(), v, 1, 7_200);
                    case "clk-tck" -> o.ticksPerSecond = Args.bounded(e.getKey(), v, 1, 100_000);
                    default -> throw new IllegalArgumentException("unknown option --" + e.getKey() + "\n" + USAGE);
                }
            }
            return o;
        }
    }
}
