package dev.tenantry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantry.sdk.ClientConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * The tenant-functions benchmark, against one running node (all roles) that {@code bench/functions.sh}
 * started:
 * <ol>
 *   <li>warm invocation of a trivial fetch function through the gateway: throughput with wrk and
 *       sequential latency on one keep-alive connection, against a bare sandboxed Node server on
 *       its Unix socket (same client code, alternating order);</li>
 *   <li>cold start: each of N tenants' first request, taken from a full pre-warmed pool, against
 *       a fresh sandboxed Node process per request;</li>
 *   <li>density: memory (PSS, RSS) of one warm worker per tenant for M tenants;</li>
 *   <li>module store: 10 local npm packages from a registry run here, 100 functions depending on
 *       them; deploy time once modules are built; disk against a per-function install.</li>
 * </ol>
 * {@code --help} lists the options.
 */
public final class FunctionBench {
    // The targets of the functions issue.
    static final double WARM_P50_TARGET_MS = 1;
    static final double WARM_P99_TARGET_MS = 5;
    static final double RATE_TARGET = 8_000;
    static final double COLD_P50_TARGET_MS = 8;
    static final double COLD_P99_TARGET_MS = 20;
    static final double COLD_RATIO_TARGET = 5;
    static final double POOL_VS_PROCESS_TARGET = 5;
    static final double WORKER_PSS_TARGET_MIB = 40;
    static final double DEPLOY_TARGET_MS = 200;
    static final int FULL_COLD = 100;
    static final int FULL_DENSITY = 200;
    static final int FULL_FUNCTIONS = 100;

    static final String PLAN = "bench-functions";
    static final String WARM_TENANT = "bench-0";
    static final String FUNCTION = "hello";
    static final String TRIVIAL = "export default { async fetch(request, env, ctx) { return new Response(\"ok\") } }";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Options o;
    private final String token;
    private final InetSocketAddress apiAddress;
    private final InetSocketAddress gateway;
    private final FunctionProcs procs;
    private final NodeUnderTest node;
    private final Path work;
    private final List<String> out = new ArrayList<>();
    private final List<String> targets = new ArrayList<>();
    private final long started = System.nanoTime();
    private final long deadline;
    private FunctionHttp api;

    private FunctionBench(Options o, String token, InetSocketAddress apiAddress, InetSocketAddress gateway) {
        this.o = o;
        this.token = token;
        this.apiAddress = apiAddress;
        this.gateway = gateway;
        this.procs = new FunctionProcs(o.serverPid);
        this.node = new NodeUnderTest("node", o.serverPid, apiAddress, gateway, token);
        this.work = Path.of(o.workDir);
        this.deadline = started + TimeUnit.MINUTES.toNanos(o.maxMinutes);
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.help) {
            System.out.println(Options.USAGE);
            return;
        }
        if (o.clientConfig == null || o.gatewayPort <= 0 || o.serverPid <= 0 || o.runtimeDir == null || o.blobDir == null
                || o.registryPort <= 0) {
            throw new IllegalArgumentException("give --client-config, --server-pid, --gateway-port, --runtime-dir, --blob-dir and "
                    + "--registry-port\n" + Options.USAGE);
        }
        ClientConfig config = ClientConfig.load(Path.of(o.clientConfig)).orElseThrow(
                () -> new IllegalArgumentException("no client config at " + o.clientConfig));
        URI uri = URI.create(config.server());
        InetAddress host = InetAddress.getByName(uri.getHost());
        if (!host.isLoopbackAddress()) {
            throw new IllegalArgumentException("this harness only loads a node on this machine (loopback), not " + uri.getHost());
        }
        new FunctionBench(o, config.token(), new InetSocketAddress(host, uri.getPort()), new InetSocketAddress(host, o.gatewayPort)).run();
    }

    private void run() throws Exception {
        api = FunctionHttp.tcp(apiAddress, apiAddress.getHostString() + ":" + apiAddress.getPort(), token, 60_000);
        try {
            header();
            List<String> cold = slugs("cold-", o.cold);
            List<String> dense = new ArrayList<>(cold.subList(0, Math.min(o.cold, o.density)));
            dense.addAll(slugs("dense-", Math.max(0, o.density - o.cold)));
            List<String> mods = slugs("mods-", o.moduleTenants);
            setup(cold, dense, mods);
            warm();
            coldStarts(cold);
            density(cold, dense);
            secondFunction(cold);
            if (o.functions > 0) {
                modules(mods);
            }
        } catch (Exception e) {
            out.add("");
            out.add("STOPPED by an error: " + e);
            throw e;
        } finally {
            out.add("");
            out.add("Targets:");
            out.addAll(targets);
            out.add(String.format(Locale.ROOT, "(harness run time %.0f s)", (System.nanoTime() - started) / 1e9));
            out.forEach(System.out::println);
            System.out.flush();
            api.close();
        }
    }

    private void header() throws IOException, InterruptedException {
        out.add(String.format(Locale.ROOT, "Tenantry functions benchmark: one node (roles api,scheduler,gateway,worker; embedded PostgreSQL), "
                + "%d cores, JDK %s (harness), Node.js %s, bubblewrap %s", Runtime.getRuntime().availableProcessors(), Runtime.version(),
                version(o.node.toString(), "--version"), version(o.bwrap.toString(), "--version").replace("bubblewrap ", "")));
        out.add(String.format(Locale.ROOT, "Node settings: --worker-pool-size %d --worker-egress-pool-size 0 --worker-idle-timeout-seconds %d "
                + "(default worker concurrency 16); JVM options (the launcher's): %s", o.poolSize, o.idleTimeout,
                node.jvmOptions()));
        out.add("Load: 127.0.0.1 only; the trivial function: " + TRIVIAL);
    }

    private static String version(String program, String flag) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(program, flag).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                return "?";
            }
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } finally {
            p.destroyForcibly();
        }
    }

    private static List<String> slugs(String prefix, int n) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(prefix + i);
        }
        return s;
    }

    // ---------------------------------------------------------------------------------- setup

    private void setup(List<String> cold, List<String> dense, List<String> mods) throws Exception {
        ObjectNode plan = JSON.createObjectNode().put("name", PLAN).put("tier", "pool").put("ratePerSecond", 1_000_000)
                .put("burst", 10_000_000).put("dailyQuota", 10_000_000_000L).put("maxConcurrency", 200).put("memoryMb", 128)
                .put("timeoutMs", 10_000).put("egressAllowed", false);
        Answer a = call("POST", "/v1/plans", plan.toString());
        expect(a, "POST /v1/plans", 201);
        Set<String> all = new LinkedHashSet<>();
        all.add(WARM_TENANT);
        all.addAll(cold);
        all.addAll(dense);
        all.addAll(mods);
        progress(String.format(Locale.ROOT, "creating %d tenants on plan %s through the API", all.size(), PLAN));
        long t0 = System.nanoTime();
        for (String slug : all) {
            expect(call("POST", "/v1/tenants", JSON.createObjectNode().put("slug", slug).put("plan", PLAN).toString()),
                    "POST /v1/tenants (" + slug + ")", 201, 202);
        }
        double posted = (System.nanoTime() - t0) / 1e9;
        Set<String> pending = new LinkedHashSet<>(all);
        long bound = Math.min(deadline, System.nanoTime() + TimeUnit.MINUTES.toNanos(15));
        while (!pending.isEmpty()) {
            for (var it = pending.iterator(); it.hasNext(); ) {
                String slug = it.next();
                Answer g = call("GET", "/v1/tenants/" + slug, null);
                String status = g.json.path("status").asText();
                if (status.equals("active")) {
                    it.remove();
                } else if (status.equals("failed") || g.status != 200) {
                    throw new IllegalStateException("tenant " + slug + " is " + status + " (" + g.status + "): " + g.text);
                }
            }
            if (!pending.isEmpty()) {
                if (System.nanoTime() > bound) {
                    throw new IllegalStateException(pending.size() + " tenants are not active after the time bound, e.g. " + pending.iterator().next());
                }
                sleep(200);
            }
        }
        double active = (System.nanoTime() - t0) / 1e9;
        List<String> trivial = new ArrayList<>(List.of(WARM_TENANT));
        trivial.addAll(new LinkedHashSet<>(cold));
        for (String d : dense) {
            if (!trivial.contains(d)) {
                trivial.add(d);
            }
        }
        progress("deploying the trivial function to " + trivial.size() + " tenants");
        Samples deploys = new Samples();
        for (String slug : trivial) {
            Answer d = deploy(slug, FUNCTION, TRIVIAL, Map.of(), deploys);
            expect(d, "PUT /v1/tenants/" + slug + "/functions/" + FUNCTION, 201);
            if (!d.json.path("state").asText().equals("ready")) {
                throw new IllegalStateException("the trivial function of " + slug + " is not ready at once: " + d.text);
            }
        }
        awaitVisible(trivial, FUNCTION, 1);
        Samples.Summary ds = Samples.Summary.of(Samples.sorted(List.of(deploys)));
        out.add("");
        out.add(String.format(Locale.ROOT, "Setup: plan %s (pool tier; rate 1,000,000/s, burst 10,000,000, max concurrency 200, 128 MiB, "
                        + "10 s timeout, no egress); %d tenants created through the API (POST /v1/tenants, 202) in %.1f s, all active "
                        + "after %.1f s; the trivial function deployed to %d of them (PUT -> 201 ready: p50 %.1f ms, p99 %.1f ms)",
                PLAN, all.size(), posted, active, trivial.size(), ds.p50(), ds.p99()));
    }

    /** Waits until the node's tenant contexts (the gateway's, in this one node) show {@code function} at {@code version}. */
    private void awaitVisible(List<String> slugs, String function, int version) throws IOException {
        Set<String> pending = new LinkedHashSet<>(slugs);
        long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!pending.isEmpty()) {
            for (var it = pending.iterator(); it.hasNext(); ) {
                String slug = it.next();
                Answer c = call("GET", "/v1/context/by-host/" + slug + ".localhost", null);
                if (c.status == 200 && c.json.path("functions").path(function).asInt(-1) >= version) {
                    it.remove();
                }
            }
            if (!pending.isEmpty()) {
                if (System.nanoTime() > bound) {
                    throw new IllegalStateException("the tenant contexts do not show " + function + " v" + version + " within 60 s for "
                            + pending.size() + " tenants, e.g. " + pending.iterator().next());
                }
                sleep(50);
            }
        }
    }

    // ----------------------------------------------------------------------------------- 1. warm

    private void warm() throws Exception {
        progress("warm invocation: first requests, then wrk warm-up " + o.warmupSeconds + " s");
        String host = WARM_TENANT + ".localhost";
        try (FunctionHttp c = FunctionHttp.tcp(gateway, host, null, 30_000)) {
            FunctionHttp.Response first = c.get("/fn/" + FUNCTION, true);
            if (first.status() != 200 || !first.text().equals("ok")) {
                throw new IllegalStateException("GET /fn/" + FUNCTION + " (Host: " + host + ") answered " + first.status() + ": " + first.text());
            }
            byte[] req = c.get("/fn/" + FUNCTION);
            for (int i = 0; i < 2_000; i++) {
                c.exchange(req, false);
            }
        }
        String url = "http://" + gateway.getHostString() + ":" + gateway.getPort() + "/fn/" + FUNCTION;
        if (o.warmupSeconds > 0) {
            wrk(url, host, o.warmupSeconds);
        }
        List<Wrk.Result> runs = new ArrayList<>();
        List<String> rows = new ArrayList<>();
        for (int r = 0; r < o.rounds; r++) {
            progress("throughput round " + (r + 1) + " of " + o.rounds + ": wrk " + o.durationSeconds + " s");
            FunctionProcs.Scan scan = procs.scan();
            Cpu before = cpu(scan.workers());
            Wrk.Result w = wrk(url, host, o.durationSeconds);
            Cpu after = cpu(scan.workers());
            runs.add(w);
            double wall = (after.nanos - before.nanos) / 1e9;
            double t = o.ticksPerSecond;
            double jvm = (after.server - before.server) / t;
            double workers = (after.workers - before.workers) / t;
            double pg = (after.postgres - before.postgres) / t;
            double harness = (after.harness - before.harness) / t;
            double other = Math.max(0, (after.machine - before.machine) / t - jvm - workers - pg - harness);
            double n = Math.max(1, w.requests());
            rows.add(String.format(Locale.ROOT, "  round %d: %,9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %d;  CPU us/request: node JVM %.0f, "
                            + "workers %.0f, wrk %.0f;  cores: JVM %.2f, workers %.2f, PostgreSQL %.2f, wrk+harness %.2f, other %.2f",
                    r + 1, w.rate(), w.p50(), w.p99(), w.errors(), jvm / n * 1e6, workers / n * 1e6, harness / n * 1e6, jvm / wall,
                    workers / wall, pg / wall, harness / wall, other / wall));
        }
        double rate = median(runs, Wrk.Result::rate);
        long wrkErrors = runs.stream().mapToLong(Wrk.Result::errors).sum();
        int workersOfWarm = (int) procs.scan().specialised().size();

        // Sequential latency: Tenantry and the bare sandboxed server, alternating (ABBA), the same client code.
        progress("sequential latency: " + o.latencyRequests + " requests each, after " + o.latencyWarmup + " warm-up requests");
        Samples tenantry = new Samples();
        Samples bare = new Samples();
        long[] errors = new long[2];
        double bareStart;
        try (FunctionBare b = FunctionBare.start(o.bwrap, o.node, work.resolve("bare-warm"));
             FunctionHttp tc = FunctionHttp.tcp(gateway, host, null, 30_000);
             FunctionHttp bc = FunctionHttp.unix(b.socket(), 30_000)) {
            bareStart = b.startMillis();
            byte[] treq = tc.get("/fn/" + FUNCTION);
            byte[] breq = bc.get("/");
            FunctionHttp.Response br = bc.exchange(breq, true);
            if (br.status() != 200 || !br.text().equals("ok")) {
                throw new IllegalStateException("the bare server answered " + br.status() + ": " + br.text());
            }
            sequential(tc, treq, o.latencyWarmup, null, errors, 0);
            sequential(bc, breq, o.latencyWarmup, null, errors, 1);
            Arrays.fill(errors, 0);
            int half = Math.max(1, o.latencyRequests / 2);
            sequential(tc, treq, half, tenantry, errors, 0);
            sequential(bc, breq, half, bare, errors, 1);
            sequential(bc, breq, o.latencyRequests - half, bare, errors, 1);
            sequential(tc, treq, o.latencyRequests - half, tenantry, errors, 0);
        }
        Samples.Summary ts = Samples.Summary.of(Samples.sorted(List.of(tenantry)));
        Samples.Summary bs = Samples.Summary.of(Samples.sorted(List.of(bare)));
        out.add("");
        out.add(String.format(Locale.ROOT, "1. Warm invocation: GET /fn/%s with Host: %s through the gateway (the tenant has %d worker(s) after the wrk runs)",
                FUNCTION, host, workersOfWarm));
        out.add(String.format(Locale.ROOT, "Throughput: wrk -t%d -c%d -d%ds (plain GET, no Lua) after a %d s warm-up, %d round(s); CPU from /proc:",
                o.wrkThreads, o.wrkConnections, o.durationSeconds, o.warmupSeconds, o.rounds));
        out.addAll(rows);
        out.add(String.format(Locale.ROOT, "  median %,.0f req/s (%d errors)", rate, wrkErrors));
        out.add(String.format(Locale.ROOT, "Sequential latency, one keep-alive connection, one request at a time (%,d each after %,d warm-up requests; "
                + "order Tenantry, bare, bare, Tenantry):", o.latencyRequests, o.latencyWarmup));
        out.add(String.format(Locale.ROOT, "  %-44s %8s %8s %8s %8s %9s %8s %8s %7s", "", "requests", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
                "max ms", "mean ms", "errors"));
        out.add(latencyRow("Tenantry gateway -> worker (TCP)", ts, errors[0]));
        out.add(latencyRow("bare sandboxed Node server (its Unix socket)", bs, errors[1]));
        out.add(String.format(Locale.ROOT, "  Tenantry / bare: p50 x%.2f (+%.3f ms), p99 x%.2f; (the bare server: bwrap --unshare-all, node -e "
                        + "http.createServer(...).listen(unix socket); started and listening in %.0f ms)", ts.p50() / bs.p50(), ts.p50() - bs.p50(),
                ts.p99() / bs.p99(), bareStart));
        boolean clean = errors[0] == 0 && wrkErrors == 0;
        target(String.format(Locale.ROOT, "warm p50 <= %.0f ms", WARM_P50_TARGET_MS),
                String.format(Locale.ROOT, "%.3f ms (bare sandboxed Node %.3f ms: x%.2f)", ts.p50(), bs.p50(), ts.p50() / bs.p50()),
                true, clean && ts.p50() <= WARM_P50_TARGET_MS);
        target(String.format(Locale.ROOT, "warm p99 <= %.0f ms", WARM_P99_TARGET_MS),
                String.format(Locale.ROOT, "%.3f ms (bare %.3f ms)", ts.p99(), bs.p99()), true, clean && ts.p99() <= WARM_P99_TARGET_MS);
        target(String.format(Locale.ROOT, "warm throughput >= %,.0f invocations/s", RATE_TARGET),
                String.format(Locale.ROOT, "%,.0f/s median of %d wrk run(s), %d errors", rate, runs.size(), wrkErrors), true,
                clean && rate >= RATE_TARGET);
    }

    private static void sequential(FunctionHttp c, byte[] request, int n, Samples into, long[] errors, int which) throws IOException {
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            FunctionHttp.Response r = c.exchange(request, false);
            long e = System.nanoTime();
            if (r.status() != 200) {
                errors[which]++;
            }
            if (into != null) {
                into.add(e - s);
            }
        }
    }

    private static String latencyRow(String name, Samples.Summary s, long errors) {
        return String.format(Locale.ROOT, "  %-44s %8d %8.3f %8.3f %8.3f %9.3f %8.2f %8.3f %7d", name, s.count(), s.p50(), s.p90(), s.p99(),
                s.p999(), s.max(), s.mean(), errors);
    }

    private Wrk.Result wrk(String url, String host, int seconds) throws IOException, InterruptedException {
        List<String> command = List.of(o.wrk, "-t" + o.wrkThreads, "-c" + o.wrkConnections, "-d" + seconds + "s", "--timeout", "5s",
                "--latency", "-H", "Host: " + host, url);
        Path output = Files.createTempFile(work, "wrk", ".txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
                throw new IOException("wrk did not finish within " + (seconds + 30) + " s");
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException("wrk exited with " + p.exitValue() + ": " + text.strip());
            }
            return Wrk.parse(text);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }

    // ------------------------------------------------------------------------------ 2. cold start

    private void coldStarts(List<String> cold) throws Exception {
        progress(String.format(Locale.ROOT, "cold starts: %d tenants' first requests, each from a full pool; %d fresh sandboxed processes",
                cold.size(), o.bareStarts));
        Samples first = new Samples();
        Samples second = new Samples();
        Samples fresh = new Samples();
        Samples poolWaits = new Samples();
        int poolTimeouts = 0;
        int bad = 0;
        String badExample = null;
        int stride = Math.max(1, cold.size() / Math.max(1, o.bareStarts));
        int bareDone = 0;
        int done = 0;
        for (int i = 0; i < cold.size(); i++) {
            if (System.nanoTime() > deadline) {
                out.add("  (cold starts stopped: the time budget is spent)");
                break;
            }
            PoolWait w = awaitPool(15_000);
            poolWaits.add(w.nanos);
            if (!w.full) {
                poolTimeouts++;
            }
            String slug = cold.get(i);
            FirstTwo two = firstTwo(slug, FUNCTION);
            for (FunctionHttp.Response r : two.bad()) {
                bad++;
                badExample = badExample != null ? badExample : slug + ": " + r.status() + " " + r.text();
            }
            first.add(two.firstNanos());
            second.add(two.secondNanos());
            done++;
            if (bareDone < o.bareStarts && i % stride == stride - 1) {
                awaitPool(15_000); // the refill of the worker just taken must not compete with the baseline
                fresh.add(FunctionBare.once(o.bwrap, o.node, work.resolve("bare-cold")));
                bareDone++;
            }
        }
        for (; bareDone < o.bareStarts && System.nanoTime() < deadline; bareDone++) {
            awaitPool(15_000);
            fresh.add(FunctionBare.once(o.bwrap, o.node, work.resolve("bare-cold")));
        }
        Samples.Summary c1 = Samples.Summary.of(Samples.sorted(List.of(first)));
        Samples.Summary c2 = Samples.Summary.of(Samples.sorted(List.of(second)));
        Samples.Summary fs = Samples.Summary.of(Samples.sorted(List.of(fresh)));
        Samples.Summary pw = Samples.Summary.of(Samples.sorted(List.of(poolWaits)));
        out.add("");
        out.add(String.format(Locale.ROOT, "2. Cold start: %d tenants (not the warm one), the trivial function each; one at a time, each first request "
                + "sent once the pool was full again (%d idle generic workers; wait for the refill p50 %.0f ms, max %.0f ms, %d waits timed out), "
                + "on a new keep-alive connection opened before the clock starts; the 2nd request on the same connection is the warm figure",
                done, o.poolSize, pw.p50(), pw.max(), poolTimeouts));
        out.add(String.format(Locale.ROOT, "  %-52s %6s %8s %8s %8s %8s %8s", "", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "min ms"));
        out.add(coldRow("1st request (take a pooled worker, load, invoke)", first, c1));
        out.add(coldRow("2nd request (warm)", second, c2));
        out.add(coldRow("baseline: fresh sandboxed Node process per request", fresh, fs));
        out.add(String.format(Locale.ROOT, "  (baseline: spawn bwrap+node with a tiny server, wait for its \"ready\" line, one request over its Unix socket, "
                + "kill; from the spawn to the answer; interleaved with the cold requests, each after the pool was full)"));
        out.add(String.format(Locale.ROOT, "  cold p50 / warm p50 x%.2f; fresh process p50 / cold p50 x%.2f; non-200/\"ok\" answers %d%s",
                c1.p50() / c2.p50(), fs.p50() / c1.p50(), bad, badExample == null ? "" : " (first: " + badExample + ")"));
        boolean full = done >= FULL_COLD;
        target(String.format(Locale.ROOT, "cold p50 <= %.0f ms", COLD_P50_TARGET_MS), String.format(Locale.ROOT, "%.2f ms over %d tenants", c1.p50(), done),
                true, bad == 0 && c1.p50() <= COLD_P50_TARGET_MS);
        target(String.format(Locale.ROOT, "cold p99 <= %.0f ms", COLD_P99_TARGET_MS), String.format(Locale.ROOT, "%.2f ms (max %.2f ms) over %d tenants",
                c1.p99(), c1.max(), done), full, bad == 0 && c1.p99() <= COLD_P99_TARGET_MS);
        target(String.format(Locale.ROOT, "cold p50 / warm p50 <= %.0f", COLD_RATIO_TARGET), String.format(Locale.ROOT, "x%.2f (%.2f / %.2f ms)",
                c1.p50() / c2.p50(), c1.p50(), c2.p50()), true, bad == 0 && c1.p50() / c2.p50() <= COLD_RATIO_TARGET);
        target(String.format(Locale.ROOT, "pool >= %.0fx faster than a fresh sandboxed process (p50)", POOL_VS_PROCESS_TARGET),
                String.format(Locale.ROOT, "x%.1f (fresh process %.1f ms over %d, pooled cold start %.2f ms)", fs.p50() / c1.p50(), fs.p50(),
                        fs.count(), c1.p50()), fs.count() > 0, fs.p50() / c1.p50() >= POOL_VS_PROCESS_TARGET);
    }

    private static String coldRow(String name, Samples s, Samples.Summary sum) {
        long[] sorted = Samples.sorted(List.of(s));
        return String.format(Locale.ROOT, "  %-52s %6d %8.2f %8.2f %8.2f %8.2f %8.2f", name, sum.count(), sum.p50(), sum.p90(), sum.p99(),
                sum.max(), sorted.length == 0 ? Double.NaN : sorted[0] / 1e6);
    }

    record PoolWait(boolean full, long nanos) {}

    /**
     * Waits until the pool holds its {@code poolSize} idle workers again: as many idle (not
     * specialised) worker processes, and every worker process listening on its socket.
     */
    /** Workers waiting in the node's pool now ({@code tenantry_workers_idle}); 0 when the node cannot say. */
    private double pooledNow() {
        try {
            return node.metric("tenantry_workers_idle");
        } catch (IOException e) {
            return 0;
        }
    }

    private PoolWait awaitPool(long timeoutMillis) {
        long t0 = System.nanoTime();
        long bound = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < bound) {
            FunctionProcs.Scan s = procs.scan();
            // The node's own count first: a worker just taken writes its function's files (which
            // the scan looks for) a moment after its first answer, so the scan alone still counts it idle.
            if (pooledNow() >= o.poolSize && s.idle().size() >= o.poolSize
                    && FunctionProcs.sockets(Path.of(o.runtimeDir)) >= s.workers().size()) {
                sleep(10); // the refiller queues a worker just after it reported that it listens
                return new PoolWait(true, System.nanoTime() - t0);
            }
            sleep(20);
        }
        return new PoolWait(false, System.nanoTime() - t0);
    }

    // ------------------------------------------------------------- 2b. a second function, warm worker

    /**
     * A diagnostic of the cold start (no target): a second function, the same code, loaded into a
     * worker that already serves the tenant, so the Node.js process has loaded a function before.
     * Against the cold start, it separates what the first load costs a fresh process from what
     * the load itself costs (code read, specialise message, files, import).
     */
    private void secondFunction(List<String> cold) throws Exception {
        List<String> tenants = cold.subList(0, Math.min(cold.size(), o.secondFunction));
        if (tenants.isEmpty() || System.nanoTime() > deadline) {
            return;
        }
        progress("a second function on " + tenants.size() + " tenants' warm workers (diagnostic)");
        String name = FUNCTION + "2";
        Samples deploys = new Samples();
        for (String slug : tenants) {
            Answer d = deploy(slug, name, TRIVIAL, Map.of(), deploys);
            expect(d, "PUT /v1/tenants/" + slug + "/functions/" + name, 201);
        }
        awaitVisible(tenants, name, 1);
        Samples first = new Samples();
        Samples second = new Samples();
        int bad = 0;
        int before = procs.scan().workers().size();
        for (String slug : tenants) {
            awaitPool(15_000);
            FirstTwo two = firstTwo(slug, name);
            bad += two.bad().size();
            first.add(two.firstNanos());
            second.add(two.secondNanos());
        }
        int after = procs.scan().workers().size();
        Samples.Summary f = Samples.Summary.of(Samples.sorted(List.of(first)));
        Samples.Summary s2 = Samples.Summary.of(Samples.sorted(List.of(second)));
        out.add("");
        out.add(String.format(Locale.ROOT, "2b. Cold-start breakdown (diagnostic, no target; run after the density phase): function %s, the same code, "
                + "deployed to %d of the cold-start tenants and asked once each, so it loads into the tenant's worker, whose Node.js process has "
                + "loaded a function before (worker processes %d before, %d after)", name, tenants.size(), before, after));
        out.add(coldRow("1st request (load into the warm worker, invoke)", first, f));
        out.add(coldRow("2nd request", second, s2));
        out.add(String.format(Locale.ROOT, "  non-200/\"ok\" answers %d", bad));
    }

    /** A tenant's first two requests to {@code function}, timed, on one new keep-alive connection opened before the clock starts. */
    private record FirstTwo(FunctionHttp.Response first, FunctionHttp.Response second, long firstNanos, long secondNanos) {
        /** The answers that are not 200 "ok". */
        List<FunctionHttp.Response> bad() {
            return Stream.of(first, second).filter(r -> r.status() != 200 || !r.text().equals("ok")).toList();
        }
    }

    private FirstTwo firstTwo(String slug, String function) throws IOException {
        try (FunctionHttp c = FunctionHttp.tcp(gateway, slug + ".localhost", null, 30_000).connect()) {
            byte[] req = c.get("/fn/" + function);
            long a = System.nanoTime();
            FunctionHttp.Response r1 = c.exchange(req, true);
            long b = System.nanoTime();
            FunctionHttp.Response r2 = c.exchange(req, true);
            return new FirstTwo(r1, r2, b - a, System.nanoTime() - b);
        }
    }

    // --------------------------------------------------------------------------------- 3. density

    private void density(List<String> cold, List<String> dense) throws Exception {
        List<String> fresh = dense.stream().filter(s -> !cold.contains(s)).toList();
        progress(String.format(Locale.ROOT, "density: first requests of %d more tenants (%d tenants with a worker each)", fresh.size(), dense.size()));
        long availableBefore = FunctionProcs.memAvailableKb();
        int workersBefore = procs.scan().workers().size();
        Samples firsts = new Samples();
        int bad = 0;
        String badExample = null;
        for (String slug : fresh) {
            if (System.nanoTime() > deadline) {
                out.add("  (density requests stopped: the time budget is spent)");
                break;
            }
            try (FunctionHttp c = FunctionHttp.tcp(gateway, slug + ".localhost", null, 30_000).connect()) {
                long a = System.nanoTime();
                FunctionHttp.Response r = c.get("/fn/" + FUNCTION, true);
                firsts.add(System.nanoTime() - a);
                if (r.status() != 200 || !r.text().equals("ok")) {
                    bad++;
                    badExample = badExample != null ? badExample : slug + ": " + r.status() + " " + r.text();
                }
            }
        }
        PoolWait w = awaitPool(60_000);
        sleep(2_000); // let the workers and the JVM settle
        FunctionProcs.Scan scan = procs.scan();
        long availableAfter = FunctionProcs.memAvailableKb();
        List<FunctionProcs.Memory> spec = scan.specialised().stream().map(FunctionProcs::memory).toList();
        List<FunctionProcs.Memory> idle = scan.idle().stream().map(FunctionProcs::memory).toList();
        List<FunctionProcs.Memory> helpers = scan.helpers().stream().map(FunctionProcs::memory).toList();
        long jvmRss = ProcessStats.statusKb(o.serverPid, "VmRSS").orElse(-1);
        Samples.Summary f = Samples.Summary.of(Samples.sorted(List.of(firsts)));
        int newWorkers = scan.workers().size() - workersBefore;
        out.add("");
        out.add(String.format(Locale.ROOT, "3. Density: %d tenants with one worker each (the %d cold-start tenants and %d more, whose first requests "
                        + "were sent back to back: p50 %.1f ms, max %.1f ms, %d bad answers%s); then the pool refilled (%s) and 2 s of rest",
                dense.size(), Math.min(cold.size(), dense.size()), fresh.size(), f.p50(), f.max(), bad,
                badExample == null ? "" : ", first: " + badExample, w.full ? "full again" : "NOT full within 60 s"));
        out.add(String.format(Locale.ROOT, "  worker processes under the node's JVM: %d specialised (assigned to a tenant, function loaded; the "
                + "density tenants' plus the warm tenant's), %d idle in the pool; %d bwrap helpers", spec.size(), idle.size(), helpers.size()));
        out.add(String.format(Locale.ROOT, "  %-42s %9s %9s %9s %9s %11s", "MiB per specialised worker (Node.js process)", "median", "mean", "min",
                "max", "sum"));
        out.add(memRow("PSS (shared pages divided among sharers)", spec, FunctionProcs.Memory::pssKb, 1024));
        out.add(memRow("RSS", spec, FunctionProcs.Memory::rssKb, 1024));
        out.add(memRow("its cgroup's usage (incl. page cache, tmpfs)", spec, FunctionProcs.Memory::cgroupBytes, 1 << 20));
        out.add(memRow("idle pool worker PSS", idle, FunctionProcs.Memory::pssKb, 1024));
        out.add(memRow("bwrap helper PSS (2 per worker)", helpers, FunctionProcs.Memory::pssKb, 1024));
        double pssMean = mean(spec, FunctionProcs.Memory::pssKb) / 1024;
        double pssMedian = median(spec, FunctionProcs.Memory::pssKb) / 1024;
        double helperPerWorker = scan.workers().isEmpty() ? 0 : sum(helpers, FunctionProcs.Memory::pssKb) / 1024.0 / scan.workers().size();
        double allPss = (sum(spec, FunctionProcs.Memory::pssKb) + sum(idle, FunctionProcs.Memory::pssKb) + sum(helpers, FunctionProcs.Memory::pssKb)) / 1024.0;
        out.add(String.format(Locale.ROOT, "  per worker with its helpers: PSS %.1f MiB (mean); all %d workers and their helpers: PSS %.0f MiB; "
                + "node JVM RSS %.0f MiB", pssMean + helperPerWorker, scan.workers().size(), allPss, jvmRss / 1024.0));
        if (availableBefore > 0 && availableAfter > 0 && newWorkers > 0) {
            out.add(String.format(Locale.ROOT, "  MemAvailable fell by %.0f MiB over the phase, which started %d workers: %.1f MiB each "
                    + "(everything on the machine included: noisy)", (availableBefore - availableAfter) / 1024.0, newWorkers,
                    (availableBefore - availableAfter) / 1024.0 / newWorkers));
        }
        boolean fullSize = spec.size() >= FULL_DENSITY;
        target(String.format(Locale.ROOT, "memory per warm worker <= %.0f MiB (PSS, mean)", WORKER_PSS_TARGET_MIB),
                String.format(Locale.ROOT, "PSS mean %.1f MiB, median %.1f MiB (RSS median %.1f MiB; with bwrap helpers %.1f MiB) over %d workers",
                        pssMean, pssMedian, median(spec, FunctionProcs.Memory::rssKb) / 1024, pssMean + helperPerWorker, spec.size()),
                fullSize, bad == 0 && pssMean <= WORKER_PSS_TARGET_MIB);
    }

    private static String memRow(String name, List<FunctionProcs.Memory> m, ToLongFunction<FunctionProcs.Memory> f, double unit) {
        long[] v = m.stream().mapToLong(f).filter(x -> x >= 0).sorted().toArray();
        if (v.length == 0) {
            return String.format(Locale.ROOT, "  %-42s %9s", name, "-");
        }
        double sum = Arrays.stream(v).sum();
        return String.format(Locale.ROOT, "  %-42s %9.1f %9.1f %9.1f %9.1f %11.0f", name, medianOf(v) / unit, sum / v.length / unit,
                v[0] / unit, v[v.length - 1] / unit, sum / unit);
    }

    private static double median(List<FunctionProcs.Memory> m, ToLongFunction<FunctionProcs.Memory> f) {
        return medianOf(m.stream().mapToLong(f).filter(x -> x >= 0).sorted().toArray());
    }

    private static double mean(List<FunctionProcs.Memory> m, ToLongFunction<FunctionProcs.Memory> f) {
        return m.stream().mapToLong(f).filter(x -> x >= 0).average().orElse(Double.NaN);
    }

    private static long sum(List<FunctionProcs.Memory> m, ToLongFunction<FunctionProcs.Memory> f) {
        return m.stream().mapToLong(f).filter(x -> x >= 0).sum();
    }

    private static double medianOf(long[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
    }

    // ---------------------------------------------------------------------------- 4. module store

    /** The modules function {@code j} depends on: 2 to 5 of them, 3.5 on average, every module used. */
    static List<Integer> depsOf(int j, int modules) {
        int count = Math.min(modules, 2 + j % 4);
        int start = (j * 7) % modules;
        Set<Integer> s = new TreeSet<>();
        for (int m = 0; s.size() < count && m < 10 * modules; m++) {
            s.add((start + m * 3) % modules);
        }
        return new ArrayList<>(s);
    }

    static String moduleCode(List<Integer> deps, String comment) {
        StringBuilder sb = new StringBuilder();
        List<String> terms = new ArrayList<>();
        for (int i : deps) {
            sb.append("import m").append(i).append(" from \"").append(FunctionRegistry.name(i)).append("\";\n");
            terms.add("m" + i + "(1)");
        }
        sb.append("export default { async fetch(request, env, ctx) { return new Response(String(").append(String.join(" + ", terms))
                .append(")) } }\n");
        if (comment != null) {
            sb.append("// ").append(comment).append('\n');
        }
        return sb.toString();
    }

    static int expected(List<Integer> deps) {
        return deps.stream().mapToInt(i -> FunctionRegistry.value(i, 1)).sum();
    }

    private void modules(List<String> tenants) throws Exception {
        int moduleCount = o.modules;
        progress(String.format(Locale.ROOT, "module store: packing %d packages, registry on 127.0.0.1:%d", moduleCount, o.registryPort));
        Path dir = work.resolve("npm");
        Files.createDirectories(dir);
        try (FunctionRegistry registry = FunctionRegistry.pack(dir, o.npm, moduleCount, o.registryPort)) {
            registry.start(o.registryPort);
            List<String> names = new ArrayList<>();
            List<List<Integer>> deps = new ArrayList<>();
            Map<String, Integer> states = new TreeMap<>();
            Samples firstDeploys = new Samples();
            progress("deploying " + o.functions + " functions with dependencies (the first ones queue the module builds)");
            long t0 = System.nanoTime();
            for (int j = 0; j < o.functions; j++) {
                String tenant = tenants.get(j % tenants.size());
                String name = "fn-" + j;
                List<Integer> d = depsOf(j, moduleCount);
                Map<String, String> ranges = new TreeMap<>();
                d.forEach(i -> ranges.put(FunctionRegistry.name(i), "^1.0.0"));
                Answer a;
                try {
                    a = deploy(tenant, name, moduleCode(d, null), ranges, firstDeploys);
                } catch (IOException e) {
                    String requests = registry.requests();
                    dumpNodeThreads("dev.tenantry.functions", "dev.tenantry.api");
                    throw new IOException(e.getMessage() + " (deploy " + (j + 1) + " of " + o.functions + ", dependencies " + ranges.keySet()
                            + "; the registry had answered " + requests + "; the node's access log for it, waited for up to 60 s more: "
                            + accessLine("PUT /v1/tenants/" + tenant + "/functions/" + name + " ", 60_000) + ")", e);
                }
                expect(a, "PUT /v1/tenants/" + tenant + "/functions/" + name, 201);
                states.merge(a.json.path("state").asText(), 1, Integer::sum);
                names.add(tenant + "/" + name);
                deps.add(d);
            }
            double deployed = (System.nanoTime() - t0) / 1e9;
            // All modules built?
            progress("waiting for the module builds");
            JsonNode modules = null;
            long bound = Math.min(deadline, System.nanoTime() + TimeUnit.MINUTES.toNanos(10));
            String failure = null;
            while (System.nanoTime() < bound) {
                modules = call("GET", "/v1/modules", null).json.path("items");
                int available = 0;
                for (JsonNode m : modules) {
                    if (m.path("state").asText().equals("available")) {
                        available++;
                    } else if (m.path("state").asText().equals("failed")) {
                        failure = m.path("name").asText() + "@" + m.path("version").asText() + ": " + m.path("error").asText();
                    }
                }
                if (failure != null || available >= moduleCount) {
                    break;
                }
                sleep(250);
            }
            double built = (System.nanoTime() - t0) / 1e9;
            if (failure != null) {
                throw new IllegalStateException("a module build failed: " + failure);
            }
            // Every function version ready?
            Set<Integer> pending = new TreeSet<>();
            for (int j = 0; j < names.size(); j++) {
                pending.add(j);
            }
            while (!pending.isEmpty() && System.nanoTime() < bound) {
                for (var it = pending.iterator(); it.hasNext(); ) {
                    int j = it.next();
                    String[] tn = names.get(j).split("/");
                    Answer v = call("GET", "/v1/tenants/" + tn[0] + "/functions/" + tn[1] + "/versions/1", null);
                    String state = v.json.path("state").asText();
                    if (state.equals("ready")) {
                        it.remove();
                    } else if (state.equals("failed")) {
                        throw new IllegalStateException(names.get(j) + " v1 failed: " + v.text);
                    }
                }
                if (!pending.isEmpty()) {
                    sleep(250);
                }
            }
            if (!pending.isEmpty()) {
                throw new IllegalStateException(pending.size() + " function versions are not ready after the time bound, e.g. "
                        + names.get(pending.iterator().next()));
            }
            double ready = (System.nanoTime() - t0) / 1e9;

            // Invoke a sample: one function per tenant, and one that names bench-mod-1 but not bench-mod-0 (closure capture).
            List<Integer> sample = new ArrayList<>();
            for (int j = 0; j < Math.min(tenants.size(), names.size()); j++) {
                sample.add(j);
            }
            for (int j = 0; j < deps.size(); j++) {
                if (deps.get(j).contains(1) && !deps.get(j).contains(0) && !sample.contains(j)) {
                    sample.add(j);
                    break;
                }
            }
            awaitVisibleEach(names, sample);
            int right = 0;
            List<String> wrong = new ArrayList<>();
            for (int j : sample) {
                String[] tn = names.get(j).split("/");
                try (FunctionHttp c = FunctionHttp.tcp(gateway, tn[0] + ".localhost", null, 30_000)) {
                    FunctionHttp.Response r = c.get("/fn/" + tn[1], true);
                    if (r.status() == 200 && r.text().equals(Integer.toString(expected(deps.get(j))))) {
                        right++;
                    } else {
                        wrong.add(names.get(j) + " " + deps.get(j) + " -> " + r.status() + " " + r.text().replaceAll("\\s+", " "));
                    }
                }
            }

            // Deploys whose modules are built: new versions of existing functions.
            progress(o.deploys + " timed deploys with built modules");
            Samples timed = new Samples();
            Map<String, Integer> timedStates = new TreeMap<>();
            for (int k = 0; k < o.deploys; k++) {
                int j = (int) ((long) k * names.size() / Math.max(1, o.deploys));
                String[] tn = names.get(j).split("/");
                Map<String, String> ranges = new TreeMap<>();
                deps.get(j).forEach(i -> ranges.put(FunctionRegistry.name(i), "^1.0.0"));
                Answer a = deploy(tn[0], tn[1], moduleCode(deps.get(j), "redeploy " + k), ranges, timed);
                expect(a, "PUT /v1/tenants/" + tn[0] + "/functions/" + tn[1] + " (again)", 200);
                timedStates.merge(a.json.path("state").asText(), 1, Integer::sum);
            }
            Samples.Summary ts = Samples.Summary.of(Samples.sorted(List.of(timed)));
            Samples.Summary fd = Samples.Summary.of(Samples.sorted(List.of(firstDeploys)));

            // Disk.
            modules = call("GET", "/v1/modules", null).json.path("items");
            Set<String> keys = new TreeSet<>();
            int moduleRows = 0;
            long moduleBlobBytes = 0;
            for (JsonNode m : modules) {
                moduleRows++;
                keys.add(m.path("name").asText() + "@" + m.path("version").asText());
                moduleBlobBytes += m.path("bytes").asLong(0);
            }
            Path blobs = Path.of(o.blobDir);
            Path store = Path.of(o.runtimeDir).resolve("modules");
            Size blobSize = size(blobs, p -> p.getFileName().toString().endsWith(".tgz"));
            Size storeSize = size(store, p -> true);
            int storeDirs = 0;
            Map<String, Size> packageSize = new TreeMap<>();
            Map<String, Set<String>> closure = new TreeMap<>();
            try (Stream<Path> entries = Files.list(store)) {
                for (Path m : entries.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                    storeDirs++;
                    String key = m.getFileName().toString();
                    String name = key.substring(0, key.lastIndexOf('@')).replace('+', '/');
                    Set<String> packages = new TreeSet<>();
                    Path nm = m.resolve("node_modules");
                    try (Stream<Path> pkgs = Files.list(nm)) {
                        for (Path p : pkgs.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                            packages.add(p.getFileName().toString());
                            packageSize.putIfAbsent(p.getFileName().toString(), size(p, x -> true));
                        }
                    }
                    closure.put(name, packages);
                }
            }
            long naiveBytes = 0;
            long naiveBlocks = 0;
            long naiveFiles = 0;
            int uses = 0;
            int closureUses = 0;
            for (List<Integer> d : deps) {
                uses += d.size();
                Set<String> union = new TreeSet<>();
                for (int i : d) {
                    union.addAll(closure.getOrDefault(FunctionRegistry.name(i), Set.of(FunctionRegistry.name(i))));
                }
                closureUses += union.size();
                for (String p : union) {
                    Size s = packageSize.getOrDefault(p, new Size(0, 0, 0));
                    naiveBytes += s.bytes;
                    naiveBlocks += s.blocks;
                    naiveFiles += s.files;
                }
            }
            long built0 = moduleBuiltLines();
            out.add("");
            out.add(String.format(Locale.ROOT, "4. Module store: %d local packages bench-mod-0..%d@1.0.0 (npm pack; bench-mod-1 requires bench-mod-0) "
                            + "served by a registry in the harness on 127.0.0.1 (%s); %d functions across %d tenants, each importing 2-5 of them "
                            + "(ranges ^1.0.0): %d module uses",
                    moduleCount, moduleCount - 1, registry.requests(), names.size(), tenants.size(), uses));
            out.add(String.format(Locale.ROOT, "  first deploys: %d in %.1f s (PUT -> 201 %s; p50 %.1f ms, max %.0f ms); all modules available "
                    + "%.1f s after the first deploy, every version ready after %.1f s", names.size(), deployed, states, fd.p50(), fd.max(), built, ready));
            out.add(String.format(Locale.ROOT, "  invocations through the gateway: %d of %d sampled functions answered the expected sum%s", right,
                    sample.size(), wrong.isEmpty() ? " (incl. one that imports bench-mod-1 and not bench-mod-0)" : "; WRONG: " + wrong));
            out.add(String.format(Locale.ROOT, "  deploys with every module built (new versions of existing functions, one at a time, kept-alive "
                            + "connection): n %d, p50 %.1f ms, p95 %.1f ms, max %.1f ms; answers %s", ts.count(), ts.p50(), percentile(timed, 0.95),
                    ts.max(), timedStates));
            out.add(String.format(Locale.ROOT, "  GET /v1/modules: %d rows, %d distinct name@version (%s); \"module built\" log lines: %s",
                    moduleRows, keys.size(), String.join(" ", keys), built0 < 0 ? "?" : Long.toString(built0)));
            out.add(String.format(Locale.ROOT, "  blob store: %d blobs (.tgz), %s; module store (unpacked, read-only, shared by every worker): "
                    + "%d module dirs, %s", blobSize.files, blobSize.describe(), storeDirs, storeSize.describe()));
            out.add(String.format(Locale.ROOT, "  naive per-function npm install (each function its own node_modules with its modules' closures; "
                    + "package files only, no lock files): %d package copies, %s", closureUses,
                    new Size(naiveFiles, naiveBytes, naiveBlocks).describe()));
            out.add(String.format(Locale.ROOT, "  naive / module store: x%.1f in bytes, x%.1f in 4 KiB blocks; naive / (module store + blobs): x%.1f in blocks",
                    (double) naiveBytes / Math.max(1, storeSize.bytes), (double) naiveBlocks / Math.max(1, storeSize.blocks),
                    (double) naiveBlocks / Math.max(1, storeSize.blocks + blobSize.blocks)));
            boolean once = keys.size() == moduleCount && moduleRows == moduleCount && blobSize.files == moduleCount && storeDirs == moduleCount
                    && (built0 < 0 || built0 == moduleCount);
            boolean fullSize = names.size() >= FULL_FUNCTIONS;
            target(String.format(Locale.ROOT, "deploy with modules built < %.0f ms (p95)", DEPLOY_TARGET_MS),
                    String.format(Locale.ROOT, "p95 %.1f ms, p50 %.1f ms over %d deploys, %s", percentile(timed, 0.95), ts.p50(), ts.count(), timedStates),
                    true, percentile(timed, 0.95) < DEPLOY_TARGET_MS && timedStates.keySet().equals(Set.of("ready")));
            target("each module built and stored once", String.format(Locale.ROOT, "%d modules: %d rows, %d blobs (%s), %d store dirs, %s builds "
                            + "for %d functions with %d module uses; naive copies x%.1f the store's blocks", moduleCount, moduleRows, blobSize.files,
                    human(blobSize.bytes), storeDirs, built0 < 0 ? "?" : Long.toString(built0), names.size(), uses,
                    (double) naiveBlocks / Math.max(1, storeSize.blocks)), fullSize, once && right == sample.size());
        }
    }

    /** Waits until the sampled functions are visible to the gateway. */
    private void awaitVisibleEach(List<String> names, List<Integer> sample) throws IOException {
        for (int j : sample) {
            String[] tn = names.get(j).split("/");
            awaitVisible(List.of(tn[0]), tn[1], 1);
        }
    }

    /** The node's access-log line of a request ({@code "METHOD PATH "}), waiting for it at most {@code waitMillis}; for error reports. */
    private String accessLine(String request, long waitMillis) {
        if (o.serverLog == null) {
            return "no log";
        }
        long bound = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        do {
            try (Stream<String> lines = Files.lines(Path.of(o.serverLog), StandardCharsets.UTF_8)) {
                var hit = lines.filter(l -> l.contains("\"msg\":\"" + request + "-> ")).reduce((a, b) -> b);
                if (hit.isPresent()) {
                    String l = hit.get();
                    int at = l.indexOf("\"msg\":");
                    return l.substring(at, Math.min(l.length(), at + 300));
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                return "unreadable log: " + e.getMessage();
            }
            sleep(1_000);
        } while (System.nanoTime() < bound);
        return "none (the request never finished)";
    }

    /** Prints (stderr) the node JVM's threads whose stacks mention one of {@code packages}: for error reports. */
    private void dumpNodeThreads(String... packages) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(o.serverPid), "Thread.print").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            p.destroyForcibly();
            int shown = 0;
            for (String thread : text.split("\n\n")) {
                if (Arrays.stream(packages).anyMatch(thread::contains) && shown++ < 20) {
                    System.err.println(thread.lines().limit(40).reduce((a, b) -> a + "\n" + b).orElse(""));
                    System.err.println();
                }
            }
            progress(shown + " node thread(s) in " + String.join(", ", packages) + " printed above (jcmd Thread.print)");
        } catch (IOException | InterruptedException | RuntimeException e) {
            progress("no thread dump of the node: " + e);
        }
    }

    /** "module built" lines in the node's log, or -1 without a log. */
    private long moduleBuiltLines() {
        if (o.serverLog == null) {
            return -1;
        }
        try (Stream<String> lines = Files.lines(Path.of(o.serverLog), StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains("\"msg\":\"module built\"")).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    private static double percentile(Samples s, double p) {
        long[] v = Samples.sorted(List.of(s));
        if (v.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, index))] / 1e6;
    }

    /** Files, apparent bytes and bytes in whole 4 KiB blocks under a directory. */
    record Size(long files, long bytes, long blocks) {
        String describe() {
            return String.format(Locale.ROOT, "%d files, %s (%s in 4 KiB blocks)", files, human(bytes), human(blocks));
        }
    }

    private static Size size(Path dir, java.util.function.Predicate<Path> which) throws IOException {
        long files = 0;
        long bytes = 0;
        long blocks = 0;
        if (!Files.exists(dir)) {
            return new Size(0, 0, 0);
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.filter(Files::isRegularFile).filter(which).toList()) {
                long s = Files.size(p);
                files++;
                bytes += s;
                blocks += (s + 4095) / 4096 * 4096;
            }
        }
        return new Size(files, bytes, blocks);
    }

    private static String human(long bytes) {
        if (bytes >= 10L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    // ---------------------------------------------------------------------------------- common

    /** An API answer. */
    record Answer(int status, JsonNode json, String text) {}

    private Answer call(String method, String path, String json) throws IOException {
        byte[] request = json == null ? api.get(path) : api.json(method, path, json);
        if (json == null && !method.equals("GET")) {
            throw new IllegalArgumentException(method + " without a body");
        }
        FunctionHttp.Response r;
        try {
            try {
                r = api.exchange(request, true);
            } catch (java.io.EOFException e) { // the server closed the idle kept-alive connection before our request: once more
                r = api.exchange(request, true);
            }
        } catch (IOException e) {
            throw new IOException(method + " " + path + ": " + e.getMessage(), e);
        }
        String text = r.text();
        JsonNode node;
        try {
            node = text.isEmpty() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (IOException e) {
            node = JSON.createObjectNode();
        }
        return new Answer(r.status(), node, text.length() > 600 ? text.substring(0, 600) + "..." : text);
    }

    private Answer deploy(String tenant, String name, String code, Map<String, String> dependencies, Samples times) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("code", code);
        if (!dependencies.isEmpty()) {
            body.putPOJO("dependencies", new LinkedHashMap<>(dependencies));
        }
        String json = body.toString();
        long a = System.nanoTime();
        Answer r = call("PUT", "/v1/tenants/" + tenant + "/functions/" + name, json);
        times.add(System.nanoTime() - a);
        return r;
    }

    private static void expect(Answer a, String what, int... statuses) {
        for (int s : statuses) {
            if (a.status == s) {
                return;
            }
        }
        throw new IllegalStateException(what + " answered " + a.status + ": " + a.text);
    }

    private void target(String name, String detail, boolean evaluated, boolean pass) {
        targets.add(String.format(Locale.ROOT, "  %-4s %s: %s%s", evaluated ? (pass ? "PASS" : "FAIL") : "n/a", name, detail,
                evaluated ? "" : " (not evaluated at this size)"));
    }

    private static double median(List<Wrk.Result> runs, java.util.function.ToDoubleFunction<Wrk.Result> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** CPU ticks at one instant: the node's JVM, its workers, PostgreSQL, this harness with its reaped children (wrk), the machine. */
    record Cpu(long nanos, long server, long workers, long postgres, long harness, long machine) {}

    private Cpu cpu(List<Long> workers) {
        return new Cpu(System.nanoTime(), ProcessStats.cpuTicks(o.serverPid, false), FunctionProcs.cpuTicks(workers),
                o.postgresPid > 0 ? ProcessStats.treeCpuTicks(o.postgresPid) : 0, ProcessStats.cpuTicks(ProcessHandle.current().pid(), true),
                ProcessStats.machineBusyTicks());
    }

    private void progress(String message) {
        System.err.printf(Locale.ROOT, "[functions-bench %5.1f s] %s%n", (System.nanoTime() - started) / 1e9, message);
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

    // ------------------------------------------------------------------------------- options

    /** Command-line options; every loop they drive is bounded in count and in time. */
    static final class Options {
        static final String USAGE = """
                FunctionBench: tenant functions on one running node: warm invocation (wrk; sequential latency against a bare
                sandboxed Node server), cold start from the pool (against a fresh sandboxed process per request), memory per
                warm worker, and the module store (local npm registry). Normally run by bench/functions.sh.
                  --client-config FILE     JSON {"server","token"} of the node's API (loopback only)
                  --server-pid PID         the node's JVM (its workers are its descendants)
                  --postgres-pid PID       its PostgreSQL (CPU figures)
                  --gateway-port N         the node's gateway port on the API's address
                  --runtime-dir DIR        the node's --runtime-dir (worker sockets, module store)
                  --blob-dir DIR           the node's blob store
                  --server-log FILE        the node's log (counts "module built" lines)
                  --registry-port N        where the harness serves its npm packages (the node's --npm-registry)
                  --pool-size N            the node's --worker-pool-size (default 8)
                  --idle-timeout S         the node's --worker-idle-timeout-seconds (reported; default 3600)
                  --work-dir DIR           scratch directory (packages, bare servers' sockets)
                  --wrk PATH  --node PATH  --bwrap PATH  --npm PATH   programs (defaults: from the PATH)
                  --cold N                 cold-start tenants (default 100)
                  --density N              tenants with a warm worker for the memory figures (default 200; the cold ones count)
                  --functions N            functions with dependencies (default 100; 0 skips the module phase)
                  --module-tenants N       tenants they are spread over (default 5)
                  --modules N              local packages (default 10)
                  --deploys N              timed deploys with built modules (default 20)
                  --latency-requests N     sequential requests per target (default 5000)
                  --latency-warmup N       unrecorded requests before (default 1000)
                  --duration S             seconds per wrk run (default 10)
                  --rounds N               wrk runs (default 2)
                  --warmup S               wrk warm-up seconds (default 15; the JIT compiles for about 20 s after the start)
                  --wrk-threads N          (default 2)     --wrk-connections N   (default 32)
                  --bare-starts N          fresh sandboxed processes for the cold-start baseline (default 30)
                  --second-function N      cold-start tenants that get a second function (a diagnostic; default 20)
                  --max-minutes N          time budget of the whole run (default 40)
                  --clk-tck N              CPU clock ticks per second of /proc (default 100)""";

        boolean help;
        String clientConfig;
        long serverPid;
        long postgresPid;
        int gatewayPort;
        String runtimeDir;
        String blobDir;
        String serverLog;
        int registryPort;
        int poolSize = 8;
        int idleTimeout = 3600;
        String workDir = System.getProperty("java.io.tmpdir");
        String wrk = "wrk";
        Path node = Path.of("/usr/bin/node");
        Path bwrap = Path.of("/usr/bin/bwrap");
        Path npm = Path.of("/usr/bin/npm");
        int cold = FULL_COLD;
        int density = FULL_DENSITY;
        int functions = FULL_FUNCTIONS;
        int moduleTenants = 5;
        int modules = 10;
        int deploys = 20;
        int latencyRequests = 5_000;
        int latencyWarmup = 1_000;
        int durationSeconds = 10;
        int rounds = 2;
        int warmupSeconds = 15;
        int wrkThreads = 2;
        int wrkConnections = 32;
        int bareStarts = 30;
        int secondFunction = 20;
        int maxMinutes = 40;
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
                    case "server-pid" -> o.serverPid = Long.parseLong(v);
                    case "postgres-pid" -> o.postgresPid = Long.parseLong(v);
                    case "gateway-port" -> o.gatewayPort = Args.bounded(k, v, 1, 65_535);
                    case "runtime-dir" -> o.runtimeDir = v;
                    case "blob-dir" -> o.blobDir = v;
                    case "server-log" -> o.serverLog = v;
                    case "registry-port" -> o.registryPort = Args.bounded(k, v, 1, 65_535);
                    case "pool-size" -> o.poolSize = Args.bounded(k, v, 1, 1_000);
                    case "idle-timeout" -> o.idleTimeout = Args.bounded(k, v, 1, 86_400);
                    case "work-dir" -> o.workDir = v;
                    case "wrk" -> o.wrk = v;
                    case "node" -> o.node = Path.of(v);
                    case "bwrap" -> o.bwrap = Path.of(v);
                    case "npm" -> o.npm = Path.of(v);
                    case "cold" -> o.cold = Args.bounded(k, v, 1, 10_000);
                    case "density" -> o.density = Args.bounded(k, v, 0, 10_000);
                    case "functions" -> o.functions = Args.bounded(k, v, 0, 10_000);
                    case "module-tenants" -> o.moduleTenants = Args.bounded(k, v, 1, 1_000);
                    case "modules" -> o.modules = Args.bounded(k, v, 2, 100);
                    case "deploys" -> o.deploys = Args.bounded(k, v, 1, 10_000);
                    case "latency-requests" -> o.latencyRequests = Args.bounded(k, v, 2, 10_000_000);
                    case "latency-warmup" -> o.latencyWarmup = Args.bounded(k, v, 0, 10_000_000);
                    case "duration" -> o.durationSeconds = Args.bounded(k, v, 1, 600);
                    case "rounds" -> o.rounds = Args.bounded(k, v, 1, 20);
                    case "warmup" -> o.warmupSeconds = Args.bounded(k, v, 0, 600);
                    case "wrk-threads" -> o.wrkThreads = Args.bounded(k, v, 1, 64);
                    case "wrk-connections" -> o.wrkConnections = Args.bounded(k, v, 1, 10_000);
                    case "bare-starts" -> o.bareStarts = Args.bounded(k, v, 0, 1_000);
                    case "second-function" -> o.secondFunction = Args.bounded(k, v, 0, 10_000);
                    case "max-minutes" -> o.maxMinutes = Args.bounded(k, v, 1, 240);
                    case "clk-tck" -> o.ticksPerSecond = Args.bounded(k, v, 1, 100_000);
                    default -> throw new IllegalArgumentException("unknown option --" + k + "\n" + USAGE);
                }
            }
            return o;
        }
    }
}
