package dev.tenantry.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.PGConnection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ClientKillParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Provisioning benchmark (issue 3), against a running {@code tenantry up} on this machine.
 *
 * <ol>
 *   <li>Create → active per tier, one tenant at a time: 100 pool ({@code free}) and 100 silo
 *       ({@code enterprise}) tenants. Figures: the operation's own time ({@code finishedAt -
 *       createdAt}) and the client's wall time from POST to the poll that saw {@code succeeded}.</li>
 *   <li>Deprovision of those tenants, one at a time (DELETE → operation succeeded).</li>
 *   <li>Throughput with N concurrent creates (default 4) over a 1,000-pool-tenant run, in windows of
 *       200, with the CPU each tenant cost the server JVM, PostgreSQL and redis-server (from /proc,
 *       when their pids are given); then the failure count and an orphan check with every tenant
 *       live; then all of them are deleted the same way and the servers must hold nothing.</li>
 * </ol>
 *
 * <p><b>Baseline, measured in the same run:</b> the same PostgreSQL and Redis work the drivers do
 * (the same statements in the same order: existence checks, CREATE ROLE/ALTER ROLE, GRANT CONNECT
 * under the same advisory lock, CREATE SCHEMA / CREATE DATABASE, search path, SCRAM password; ACL
 * SETUSER + ACL SAVE; and the mirror-image teardown) issued directly over JDBC/Jedis in sessions
 * kept open, with no catalog, no queue and no step bookkeeping. It is the floor the durable engine
 * adds to; the ratio engine / baseline is what the engine costs. Baseline objects are named
 * {@code bl_*} (never {@code t_*}, so they cannot disturb the orphan check) and are dropped again.
 * Latency phases interleave baseline and engine tenant by tenant, and concurrent phases window by
 * window (alternating which goes first), so drift in machine load hits both alike.
 *
 * <p>Orphan check: PostgreSQL roles, pool-database schemas and databases named {@code t_*} and
 * Redis ACL users {@code t_*} must equal what the catalog's {@code resource_bindings} lists, both
 * ways. Connects as the embedded server's superuser from 127.0.0.1 (trusted there) and as Redis's
 * admin (password from the data directory).
 *
 * <p>Only 127.0.0.1 is ever contacted. Every loop is bounded in count and in time.
 */
public final class ProvisionBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POOL_DATABASE = "tenantry_pool";
    private static final String CATALOG_DATABASE = "tenantry";
    /** Same key as the postgres driver's advisory lock around the pool database's ACL. */
    private static final long POOL_ACL_LOCK = 0x7465_6e61_6e74_7279L;
    /** The postgres driver's connection limits (PostgresServers defaults). */
    private static final int POOL_CONNECTION_LIMIT = 20;
    private static final int SILO_CONNECTION_LIMIT = 100;
    /** The redis driver's command rules (RedisDriver.COMMAND_RULES), so the baseline sets the same ACL. */
    private static final List<String> REDIS_RULES = List.of(
            "+@all", "-@dangerous", "-@admin", "-@scripting",
            "-keys", "-flushall", "-flushdb", "-config", "-debug", "-acl", "-shutdown", "-monitor", "-module",
            "-client", "+client|setname", "+client|getname", "+client|id",
            "-select", "-move", "-copy", "-swapdb", "-scan", "-randomkey", "-dbsize", "-pubsub");
    private static final SecureRandom RANDOM = new SecureRandom();

    // ---------------------------------------------------------------- options

    static final class Options {
        String server;
        String token;
        Path clientConfig;
        Path dataDir;
        int pool = 100;
        int silo = 100;
        int window = 200;
        int concurrency = 4;
        int scale = 1000;
        int warmup = 3;
        int pollMs = 15;
        int concurrentPollMs = 50;
        long serverPid;
        long postgresPid;
        long redisPid;
        int clkTck = 100;
        int opTimeoutSeconds = 180;
        int maxMinutes = 90;
        boolean cleanup = true;
        String prefix;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    usage();
                    System.exit(0);
                }
                if (a.equals("--no-cleanup")) {
                    o.cleanup = false;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + a);
                }
                String v = args[++i];
                switch (a) {
                    case "--server" -> o.server = v;
                    case "--token" -> o.token = v;
                    case "--client-config" -> o.clientConfig = Path.of(v);
                    case "--data-dir" -> o.dataDir = Path.of(v);
                    case "--pool" -> o.pool = count(a, v, 0, 100_000);
                    case "--silo" -> o.silo = count(a, v, 0, 100_000);
                    case "--window" -> o.window = count(a, v, 1, 100_000);
                    case "--concurrency" -> o.concurrency = count(a, v, 1, 64);
                    case "--scale" -> o.scale = count(a, v, 0, 100_000);
                    case "--warmup" -> o.warmup = count(a, v, 1, 100);
                    case "--poll-ms" -> o.pollMs = count(a, v, 1, 1000);
                    case "--concurrent-poll-ms" -> o.concurrentPollMs = count(a, v, 1, 1000);
                    case "--server-pid" -> o.serverPid = Long.parseLong(v);
                    case "--postgres-pid" -> o.postgresPid = Long.parseLong(v);
                    case "--redis-pid" -> o.redisPid = Long.parseLong(v);
                    case "--clk-tck" -> o.clkTck = count(a, v, 1, 100_000);
                    case "--op-timeout" -> o.opTimeoutSeconds = count(a, v, 1, 3600);
                    case "--max-minutes" -> o.maxMinutes = count(a, v, 1, 24 * 60);
                    case "--prefix" -> o.prefix = v;
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (o.clientConfig != null && (o.server == null || o.token == null)) {
                try {
                    JsonNode c = JSON.readTree(o.clientConfig.toFile());
                    if (o.server == null) {
                        o.server = c.path("server").asText(null);
                    }
                    if (o.token == null) {
                        o.token = c.path("token").asText(null);
                    }
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read " + o.clientConfig + ": " + e.getMessage());
                }
            }
            if (o.server == null || o.token == null || o.dataDir == null) {
                throw new IllegalArgumentException("need --server and --token (or --client-config) and --data-dir");
            }
            if (!URI.create(o.server).getHost().equals("127.0.0.1")) {
                throw new IllegalArgumentException("the benchmark only loads 127.0.0.1 (server is " + o.server + ")");
            }
            if (o.prefix == null) {
                o.prefix = "pb" + Long.toString(RANDOM.nextLong(36L * 36 * 36 * 36), 36);
            }
            if (!o.prefix.matches("[a-z][a-z0-9]{0,15}")) {
                throw new IllegalArgumentException("--prefix must be 1-16 lower-case letters and digits, starting with a letter");
            }
            return o;
        }

        private static int count(String name, String v, int min, int max) {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new IllegalArgumentException(name + " must be in " + min + ".." + max);
            }
            return n;
        }

        static void usage() {
            System.out.println("""
                    ProvisionBench --client-config FILE | --server URL --token T   --data-dir DIR
                      [--pool 100] [--silo 100]        tenants per tier for create/deprovision latency (one at a time)
                      [--scale 1000] [--concurrency 4] pool tenants created concurrently (throughput, failures, orphans)
                      [--window 200]                   throughput window (tenants) and the concurrent baseline's size
                      [--warmup 3] [--poll-ms 15] [--concurrent-poll-ms 50] [--op-timeout 180] [--max-minutes 90] [--prefix pbxxxx] [--no-cleanup]
                      [--server-pid P --postgres-pid P --redis-pid P --clk-tck 100]   CPU per tenant from /proc""");
        }
    }

    // ---------------------------------------------------------------- state

    private final Options o;
    private final Api api;
    private final CpuMeter cpu;
    private final long deadlineNanos;
    private final long startNanos = System.nanoTime();
    private final Map<String, Boolean> targets = new LinkedHashMap<>();
    private final List<String> targetLines = new ArrayList<>();
    private int pgPort;
    private int redisPort;
    private String redisPassword;
    private boolean integrityProblem;

    private ProvisionBench(Options o) {
        this.o = o;
        this.api = new Api(o.server, o.token);
        this.cpu = new CpuMeter(o.serverPid, o.postgresPid, o.redisPid, o.clkTck);
        this.deadlineNanos = startNanos + TimeUnit.MINUTES.toNanos(o.maxMinutes);
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ProvisionBench: " + e.getMessage());
            Options.usage();
            System.exit(2);
            return;
        }
        int rc;
        try {
            rc = new ProvisionBench(o).run();
        } catch (Exception e) {
            System.out.flush();
            System.err.println("ProvisionBench: aborted: " + e);
            e.printStackTrace(System.err);
            rc = 3;
        }
        System.exit(rc);
    }

    // ---------------------------------------------------------------- the run

    private int run() throws Exception {
        out("Tenantry provisioning benchmark");
        out("  server %s, run prefix %s, %d cores; polls operations every %d ms one at a time, every %d ms when concurrent; op timeout %d s",
                o.server, o.prefix, Runtime.getRuntime().availableProcessors(), o.pollMs, o.concurrentPollMs, o.opTimeoutSeconds);
        out("  times in ms; percentiles by nearest rank; ratio = engine / baseline (same run)");
        out("");
        warmUp();
        List<String> baselineLeft = new ArrayList<>();
        try {
            latencyAndDeprovision(baselineLeft);
            scaleRun();
        } finally {
            dropBaseline(baselineLeft);
        }
        out("");
        out("== Targets ==");
        targetLines.forEach(this::out);
        boolean allPass = targets.values().stream().allMatch(b -> b);
        out("  overall: %s (%d of %d checked targets pass)%s", allPass && !integrityProblem ? "PASS" : "FAIL",
                targets.values().stream().filter(b -> b).count(), targets.size(),
                integrityProblem ? "; integrity problem (failures or orphans) seen" : "");
        out("  total run time %.1f min", (System.nanoTime() - startNanos) / 60e9);
        return allPass && !integrityProblem ? 0 : 1;
    }

    /** A few tenants of each tier created and deleted (not counted), and the servers' ports learnt. */
    private void warmUp() throws Exception {
        progress("warm-up: %d pool + %d silo tenants (not counted)", o.warmup, Math.max(1, o.warmup / 2));
        String first = slug("w", 0);
        OpResult r = createAndWait(first, "free");
        if (!r.succeeded()) {
            throw new IllegalStateException("warm-up create failed: " + r.describe());
        }
        learnServers(first);
        List<String> made = new ArrayList<>(List.of(first));
        for (int i = 1; i < o.warmup; i++) {
            made.add(requireCreated(slug("w", i), "free"));
        }
        for (int i = 0; i < Math.max(1, o.warmup / 2); i++) {
            made.add(requireCreated(slug("ws", i), "enterprise"));
        }
        try (Direct d = direct()) {
            for (int i = 0; i < o.warmup; i++) {
                String n = baselineName("w", i);
                d.createPool(n);
                d.destroy(n, false);
            }
            String n = baselineName("ws", 0);
            d.createSilo(n);
            d.destroy(n, true);
        }
        for (String s : made) {
            OpResult del = deleteAndWait(s);
            if (!del.succeeded()) {
                throw new IllegalStateException("warm-up delete of " + s + " failed: " + del.describe());
            }
        }
        out("Warm-up: %d pool + %d silo tenants created and deleted, and the baseline's statements run %d + 1 times (not counted).",
                o.warmup, Math.max(1, o.warmup / 2), o.warmup);
        out("  embedded PostgreSQL on 127.0.0.1:%d, Redis on 127.0.0.1:%d", pgPort, redisPort);
        out("");
    }

    private String requireCreated(String slug, String plan) throws Exception {
        OpResult r = createAndWait(slug, plan);
        if (!r.succeeded()) {
            throw new IllegalStateException("warm-up create of " + slug + " failed: " + r.describe());
        }
        return slug;
    }

    private void learnServers(String slug) throws Exception {
        Resp c = api.send("GET", "/v1/tenants/" + slug + "/credentials", null);
        if (c.status() != 200) {
            throw new IllegalStateException("credentials of " + slug + ": HTTP " + c.status() + " " + c.body());
        }
        URI pg = URI.create(c.body().path("resources").path("postgres").path("url").asText());
        URI redis = URI.create(c.body().path("resources").path("redis").path("url").asText());
        if (!"127.0.0.1".equals(pg.getHost()) || !"127.0.0.1".equals(redis.getHost())) {
            throw new IllegalStateException("the tenant's servers are not on 127.0.0.1: " + pg.getHost() + ", " + redis.getHost());
        }
        pgPort = pg.getPort();
        redisPort = redis.getPort();
        redisPassword = Files.readString(o.dataDir.resolve("redis").resolve("admin.password")).trim();
    }

    // ---------------------------------------------------------------- phase 1 + 2: latency per tier, deprovision

    private void latencyAndDeprovision(List<String> baselineLeft) throws Exception {
        List<String> poolSlugs = new ArrayList<>();
        List<String> siloSlugs = new ArrayList<>();
        List<String> poolBase = new ArrayList<>();
        List<String> siloBase = new ArrayList<>();
        out("== Create -> active, one tenant at a time (engine and baseline interleaved) ==");
        out("  %-5s %4s %4s | %-21s | %-21s | %-21s | %-9s | %s", "tier", "n", "fail", "engine op p50 / p95", "engine wall p50 / p95",
                "baseline p50 / p95", "ratio p50", "target");
        Series poolCreate;
        Series siloCreate;
        try (Direct d = direct()) {
            poolCreate = latency("pool", "free", o.pool, "p", poolSlugs, poolBase, baselineLeft, d);
            siloCreate = latency("silo", "enterprise", o.silo, "s", siloSlugs, siloBase, baselineLeft, d);
        }
        targetLatency("pool create p50 < 300 ms", poolCreate, 300);
        targetLatency("silo create p50 < 1.5 s", siloCreate, 1500);
        breakdown("pool", poolCreate);
        breakdown("silo", siloCreate);
        out("");

        Orphans check = orphanCheck();
        out("Orphan check with the %d latency tenants live: %s", poolSlugs.size() + siloSlugs.size(), check.summary());
        if (!check.clean()) {
            integrityProblem = true;
        }
        out("");

        out("== Deprovision (DELETE -> operation succeeded), one tenant at a time (engine and baseline interleaved) ==");
        out("  %-5s %4s %4s | %-21s | %-21s | %-21s | %-9s", "tier", "n", "fail", "engine op p50 / p95", "engine wall p50 / p95",
                "baseline p50 / p95", "ratio p50");
        Series poolDel;
        Series siloDel;
        try (Direct d = direct()) {
            poolDel = deprovision("pool", poolSlugs, poolBase, baselineLeft, false, d);
            siloDel = deprovision("silo", siloSlugs, siloBase, baselineLeft, true, d);
        }
        breakdown("pool delete", poolDel);
        breakdown("silo delete", siloDel);
        Orphans after = orphanCheck();
        out("Orphan check after deleting them: %s", after.summary());
        int n = poolDel.engine.size() + siloDel.engine.size();
        int failed = poolDel.failed + siloDel.failed;
        boolean ok = failed == 0 && after.clean() && after.serverObjects() == 0;
        if (!ok) {
            integrityProblem = true;
        }
        target("deprovision, one at a time: no failures, nothing left behind", ok,
                String.format(Locale.ROOT, "%d deletes, %d failed, %s left; pool op p50 %s / p95 %s ms (baseline p50 %s, ratio %sx), "
                                + "silo op p50 %s / p95 %s ms (baseline p50 %s, ratio %sx)",
                        n, failed, after.serverObjects() == 0 ? "nothing" : after.serverObjects() + " objects",
                        ms(p(poolDel.opMs(), 50)), ms(p(poolDel.opMs(), 95)), ms(p(poolDel.baselineMs(), 50)),
                        ratio(p(poolDel.opMs(), 50), p(poolDel.baselineMs(), 50)),
                        ms(p(siloDel.opMs(), 50)), ms(p(siloDel.opMs(), 95)), ms(p(siloDel.baselineMs(), 50)),
                        ratio(p(siloDel.opMs(), 50), p(siloDel.baselineMs(), 50))),
                n >= 100);
        out("");
    }

    private Series latency(String tier, String plan, int n, String tag, List<String> slugs, List<String> base,
                           List<String> baselineLeft, Direct d) throws Exception {
        Series s = new Series();
        boolean silo = tier.equals("silo");
        for (int i = 0; i < n && inTime(); i++) {
            String slug = slug(tag, i);
            String name = baselineName(tag, i);
            boolean baselineFirst = i % 2 == 0;
            if (baselineFirst) {
                s.baseline.add(silo ? d.createSilo(name) : d.createPool(name));
                baselineLeft.add(name + (silo ? ":silo" : ":pool"));
                base.add(name);
            }
            OpResult r = createAndWait(slug, plan);
            s.add(r);
            if (!r.state().startsWith("http")) {
                slugs.add(slug); // whatever became of the create, the delete cleans up after it
            }
            if (!baselineFirst) {
                s.baseline.add(silo ? d.createSilo(name) : d.createPool(name));
                baselineLeft.add(name + (silo ? ":silo" : ":pool"));
                base.add(name);
            }
            if ((i + 1) % Math.max(1, n / 5) == 0) {
                progress("  %s create %d/%d: op p50 %s", tier, i + 1, n, ms(p(s.opMs(), 50)));
            }
        }
        printRow(tier, s, tier.equals("pool") ? "p50 < 300 ms" : "p50 < 1500 ms");
        return s;
    }

    private Series deprovision(String tier, List<String> slugs, List<String> base, List<String> baselineLeft, boolean silo,
                               Direct d) throws Exception {
        Series s = new Series();
        for (int i = 0; i < Math.max(slugs.size(), base.size()) && inTime(); i++) {
            boolean baselineFirst = i % 2 == 0;
            if (baselineFirst && i < base.size()) {
                s.baseline.add(d.destroy(base.get(i), silo));
                baselineLeft.remove(base.get(i) + (silo ? ":silo" : ":pool"));
            }
            if (i < slugs.size()) {
                s.add(deleteAndWait(slugs.get(i)));
            }
            if (!baselineFirst && i < base.size()) {
                s.baseline.add(d.destroy(base.get(i), silo));
                baselineLeft.remove(base.get(i) + (silo ? ":silo" : ":pool"));
            }
            if ((i + 1) % Math.max(1, slugs.size() / 5) == 0) {
                progress("  %s delete %d/%d: op p50 %s", tier, i + 1, slugs.size(), ms(p(s.opMs(), 50)));
            }
        }
        printRow(tier, s, "");
        return s;
    }

    private void printRow(String tier, Series s, String target) {
        double e50 = p(s.opMs(), 50);
        double b50 = p(s.baselineMs(), 50);
        out("  %-5s %4d %4d | %9s / %9s | %9s / %9s | %9s / %9s | %8sx | %s", tier, s.engine.size(), s.failed,
                ms(e50), ms(p(s.opMs(), 95)), ms(p(s.wallMs(), 50)), ms(p(s.wallMs(), 95)),
                ms(b50), ms(p(s.baselineMs(), 95)), ratio(e50, b50), target);
    }

    /** Where an operation's time goes: queue wait, each step, and the engine's bookkeeping between them. */
    private void breakdown(String label, Series s) {
        if (s.engine.isEmpty()) {
            return;
        }
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        List<Double> queue = new ArrayList<>();
        List<Double> rest = new ArrayList<>();
        List<Double> pgBase = new ArrayList<>();
        List<Double> redisBase = new ArrayList<>();
        for (OpResult r : s.engine) {
            if (!r.succeeded()) {
                continue;
            }
            queue.add(r.queueMs());
            double inSteps = 0;
            for (Map.Entry<String, Double> e : r.stepMs().entrySet()) {
                steps.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
                inSteps += e.getValue();
            }
            rest.add(r.opMs() - r.queueMs() - inSteps);
        }
        for (Timing t : s.baseline) {
            pgBase.add(t.pgMs());
            redisBase.add(t.redisMs());
        }
        StringBuilder b = new StringBuilder("  " + label + " p50 by part: queue wait " + ms(p(queue, 50)) + " (p95 " + ms(p(queue, 95)) + ", " + queue.stream().filter(q -> q > 100).count() + " over 100 ms)");
        steps.forEach((k, v) -> b.append(", ").append(k).append(' ').append(ms(p(v, 50))));
        b.append(", between steps ").append(ms(p(rest, 50)));
        b.append(" | baseline: postgres ").append(ms(p(pgBase, 50))).append(", redis ").append(ms(p(redisBase, 50)));
        int retries = s.engine.stream().mapToInt(OpResult::retries).sum();
        if (retries > 0) {
            b.append(" | step retries: ").append(retries);
        }
        out(b.toString());
    }

    private void targetLatency(String name, Series s, double limitMs) {
        double p50 = p(s.opMs(), 50);
        boolean pass = s.failed == 0 && !s.engine.isEmpty() && p50 < limitMs;
        target(name, pass, String.format(Locale.ROOT, "op p50 %s ms (wall p50 %s ms) over %d, %d failed; baseline p50 %s ms, ratio %sx",
                ms(p50), ms(p(s.wallMs(), 50)), s.engine.size(), s.failed, ms(p(s.baselineMs(), 50)),
                ratio(p50, p(s.baselineMs(), 50))), s.engine.size() >= 100);
    }

    // ---------------------------------------------------------------- phase 3: throughput, 1,000 tenants, orphans, cleanup

    private void scaleRun() throws Exception {
        if (o.scale == 0) {
            return;
        }
        out("== Throughput: %d pool tenants, %d concurrent creates, in windows of %d; a baseline block before or after each ==",
                o.scale, o.concurrency, o.window);
        List<String> slugs = new ArrayList<>();
        for (int i = 0; i < o.scale; i++) {
            slugs.add(slug("c", i));
        }
        Windowed create = windowed("create", slugs, slug -> createOp(slug, "free"), false, "postgres.apply", "redis.apply");
        List<OpResult> results = create.results();

        int succeeded = (int) results.stream().filter(OpResult::succeeded).count();
        int failed = (int) results.stream().filter(r -> r.state().equals("failed")).count();
        int timedOut = (int) results.stream().filter(r -> r.state().equals("timeout")).count();
        int notRun = (int) results.stream().filter(r -> r.state().startsWith("not run")).count();
        int httpErrors = (int) results.stream().filter(r -> r.state().startsWith("http") || r.state().equals("error")).count();
        int retries = results.stream().mapToInt(OpResult::retries).sum();
        Map<String, Integer> statuses = tenantStatuses(o.prefix + "-c-");
        Orphans check = orphanCheck();
        out("");
        out("== %d pool tenants on one node ==", o.scale);
        out("  creates: %d succeeded, %d failed, %d timed out, %d HTTP errors, %d not run (time budget); step retries %d",
                succeeded, failed, timedOut, httpErrors, notRun, retries);
        out("  catalog: these tenants by status %s", statuses);
        out("  orphan check with all of them live: %s", check.summary());
        results.stream().filter(r -> !r.succeeded()).limit(5).forEach(r -> out("    not succeeded: %s", r.describe()));
        boolean scaleOk = succeeded == o.scale && check.clean() && statuses.getOrDefault("active", 0) == o.scale && statuses.size() == 1;
        if (!scaleOk) {
            integrityProblem = true;
        }
        info(String.format(Locale.ROOT, "throughput, %d concurrent creates", o.concurrency), String.format(Locale.ROOT,
                "%s tenants/min over %d (first window %s); baseline %s tenants/min; ratio %s (median of windows %s)",
                rate(create.engineRate()), results.size(), rate(create.windows().isEmpty() ? Double.NaN : create.windows().get(0).engineRate()),
                rate(create.baselineRate()), ratio(create.engineRate(), create.baselineRate()), ratio(create.medianRatio(), 1)));
        target("1,000 pool tenants on one node, zero failures, zero orphans", scaleOk && o.scale >= 1000,
                String.format(Locale.ROOT, "%d of %d active, %d failed/timed out/HTTP errors/not run, %d orphans, %d missing",
                        statuses.getOrDefault("active", 0), o.scale, o.scale - succeeded, check.orphans().size(), check.missing().size()),
                o.scale >= 1000);

        if (!o.cleanup) {
            out("  (--no-cleanup: the tenants stay)");
            return;
        }
        List<String> toDelete = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            if (!results.get(i).state().startsWith("http") && !results.get(i).state().startsWith("not run")) {
                toDelete.add(slugs.get(i));
            }
        }
        out("");
        out("== Cleanup: deleting the %d tenants, %d concurrent, in windows of %d; baseline = the same teardown directly ==",
                toDelete.size(), o.concurrency, o.window);
        Windowed del = windowed("delete", toDelete, this::deleteOp, true, "postgres.destroy", "redis.destroy");
        int delFailed = (int) del.results().stream().filter(r -> !r.succeeded()).count();
        Orphans end = orphanCheck();
        out("  orphan check after deleting every tenant: %s", end.summary());
        boolean cleanOk = delFailed == 0 && end.clean() && end.serverObjects() == 0;
        if (!cleanOk) {
            integrityProblem = true;
        }
        info(String.format(Locale.ROOT, "deprovision throughput, %d concurrent deletes", o.concurrency), String.format(Locale.ROOT,
                "%s tenants/min over %d, %d failed, %s left on the servers; baseline %s tenants/min; ratio %s (median of windows %s)",
                rate(del.engineRate()), del.results().size(), delFailed, end.serverObjects() == 0 ? "nothing" : end.serverObjects() + " objects",
                rate(del.baselineRate()), ratio(del.engineRate(), del.baselineRate()), ratio(del.medianRatio(), 1)));
    }

    record Window(int n, double engineSeconds, double baselineSeconds, Cpu engineCpu, Cpu baselineCpu) {
        double engineRate() {
            return n / (engineSeconds / 60.0);
        }

        double baselineRate() {
            return n / (baselineSeconds / 60.0);
        }
    }

    record Windowed(List<OpResult> results, List<Window> windows) {
        double engineRate() {
            return windows.stream().mapToInt(Window::n).sum() / (windows.stream().mapToDouble(Window::engineSeconds).sum() / 60.0);
        }

        double baselineRate() {
            return windows.stream().mapToInt(Window::n).sum() / (windows.stream().mapToDouble(Window::baselineSeconds).sum() / 60.0);
        }

        double medianRatio() {
            return p(windows.stream().map(w -> w.engineRate() / w.baselineRate()).toList(), 50);
        }

        Cpu engineCpu() {
            return windows.stream().map(Window::engineCpu).reduce(Cpu.ZERO, Cpu::plus);
        }

        Cpu baselineCpu() {
            return windows.stream().map(Window::baselineCpu).reduce(Cpu.ZERO, Cpu::plus);
        }
    }

    /**
     * The engine over {@code slugs} in windows of {@code o.window} tenants, each window with
     * {@code o.concurrency} workers; next to each window (alternately before and after) a baseline
     * block of as many pool tenants created and torn down directly with as many sessions. The
     * baseline's create rate (or teardown rate, when {@code deleting}) is the window's reference.
     */
    private Windowed windowed(String what, List<String> slugs, ThrowingFunction<String, Started> start, boolean deleting,
                              String step1, String step2) throws Exception {
        out("  %-9s %5s %4s | %9s %8s %6s | %-15s | %-5s %-5s %-5s | %-15s | %s", "window", "n", "fail", "engine/min", "base/min",
                "ratio", "op p50 / p95", "queue", "pg", "redis", "cpu ms/tenant", "baseline cpu ms/tenant");
        List<OpResult> all = new ArrayList<>();
        List<Window> windows = new ArrayList<>();
        for (int from = 0, k = 0; from < slugs.size() && inTime(); from += o.window, k++) {
            int to = Math.min(slugs.size(), from + o.window);
            List<String> names = new ArrayList<>();
            for (int i = from; i < to; i++) {
                names.add(baselineName(deleting ? "d" : "c", i));
            }
            boolean baselineFirst = k % 2 == 0;
            Block base = baselineFirst ? baselineBlock(names, deleting) : null;
            Cpu c0 = cpu.sample();
            Run run = concurrentEngine(slugs.subList(from, to), start, o.concurrentPollMs);
            Cpu engineCpu = cpu.sample().minus(c0);
            if (!baselineFirst) {
                base = baselineBlock(names, deleting);
            }
            all.addAll(run.results());
            Window w = new Window(to - from, run.seconds(), base.seconds(), engineCpu, base.cpu());
            windows.add(w);
            windowRow(String.format(Locale.ROOT, "%d-%d", from + 1, to), run.results(), w, step1, step2);
            progress("  %s window %d-%d: %s/min (baseline %s/min)", what, from + 1, to, rate(w.engineRate()), rate(w.baselineRate()));
        }
        for (int i = all.size(); i < slugs.size(); i++) {
            all.add(OpResult.notRun());
        }
        Windowed result = new Windowed(all, windows);
        int n = windows.stream().mapToInt(Window::n).sum();
        windowRow("all", all, new Window(n, n / (result.engineRate() / 60.0), n / (result.baselineRate() / 60.0),
                result.engineCpu(), result.baselineCpu()), step1, step2);
        out("  (rate = tenants per minute of client wall time, %d at a time, polling every %d ms; ratio = engine / baseline,"
                + " median of window ratios %s;", o.concurrency, o.concurrentPollMs, ratio(result.medianRatio(), 1));
        out("   cpu = CPU ms per tenant of %s)", cpu.describe());
        return result;
    }

    record Block(double seconds, Cpu cpu) {}

    /** Creates and tears down {@code names} directly with {@code o.concurrency} sessions; time and CPU of the create (or teardown). */
    private Block baselineBlock(List<String> names, boolean deleting) throws Exception {
        Concurrent create = null;
        Concurrent teardown;
        Cpu c0 = cpu.sample();
        Cpu c1;
        try {
            create = concurrentDirect(names, (d, name) -> d.createPool(name));
        } finally {
            c1 = cpu.sample();
            teardown = concurrentDirect(names, (d, name) -> d.destroy(name, false));
        }
        Cpu c2 = cpu.sample();
        return deleting ? new Block(teardown.seconds(), c2.minus(c1)) : new Block(create.seconds(), c1.minus(c0));
    }

    private void windowRow(String label, List<OpResult> rs, Window w, String step1, String step2) {
        List<OpResult> ok = rs.stream().filter(OpResult::succeeded).toList();
        List<Double> op = ok.stream().map(OpResult::opMs).toList();
        out("  %-9s %5d %4d | %9s %8s %5sx | %6s / %6s | %-5s %-5s %-5s | %-15s | %s", label, rs.size(), rs.size() - ok.size(),
                rate(w.engineRate()), rate(w.baselineRate()), ratio(w.engineRate(), w.baselineRate()), ms(p(op, 50)), ms(p(op, 95)),
                ms(p(ok.stream().map(OpResult::queueMs).toList(), 50)),
                ms(p(ok.stream().map(r -> r.stepMs().getOrDefault(step1, Double.NaN)).toList(), 50)),
                ms(p(ok.stream().map(r -> r.stepMs().getOrDefault(step2, Double.NaN)).toList(), 50)),
                w.engineCpu().perTenant(w.n()), w.baselineCpu().perTenant(w.n()));
    }

    // ---------------------------------------------------------------- CPU of the processes involved

    /** CPU seconds used so far by the server JVM, PostgreSQL (postmaster, its live and reaped backends), redis-server, this harness. */
    record Cpu(double server, double postgres, double redis, double harness) {
        static final Cpu ZERO = new Cpu(0, 0, 0, 0);

        Cpu minus(Cpu o) {
            return new Cpu(server - o.server, postgres - o.postgres, redis - o.redis, harness - o.harness);
        }

        Cpu plus(Cpu o) {
            return new Cpu(server + o.server, postgres + o.postgres, redis + o.redis, harness + o.harness);
        }

        String perTenant(int n) {
            if (n == 0 || Double.isNaN(server + postgres + redis)) {
                return "-";
            }
            return String.format(Locale.ROOT, "%.0f/%.0f/%.1f/%.0f", server * 1000 / n, postgres * 1000 / n, redis * 1000 / n, harness * 1000 / n);
        }
    }

    /** Reads /proc; a pid that was not given (or a system without /proc) reads as NaN. */
    static final class CpuMeter {
        private final long serverPid;
        private final long postgresPid;
        private final long redisPid;
        private final double clkTck;

        CpuMeter(long serverPid, long postgresPid, long redisPid, int clkTck) {
            this.serverPid = serverPid;
            this.postgresPid = postgresPid;
            this.redisPid = redisPid;
            this.clkTck = clkTck;
        }

        String describe() {
            return "server JVM / PostgreSQL / redis-server / this harness";
        }

        Cpu sample() {
            double pg = ticks(postgresPid, true);
            if (postgresPid > 0 && !Double.isNaN(pg)) {
                for (long child : children(postgresPid)) {
                    double t = ticks(child, false);
                    pg += Double.isNaN(t) ? 0 : t;
                }
            }
            return new Cpu(ticks(serverPid, false) / clkTck, pg / clkTck, ticks(redisPid, false) / clkTck,
                    ticks(ProcessHandle.current().pid(), false) / clkTck);
        }

        /** utime + stime (+ cutime + cstime, the reaped children's, when {@code withChildren}) in clock ticks. */
        private static double ticks(long pid, boolean withChildren) {
            if (pid <= 0) {
                return Double.NaN;
            }
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // f[0] is field 3 (state): utime is field 14 -> f[11], stime f[12], cutime f[13], cstime f[14]
                double t = Double.parseDouble(f[11]) + Double.parseDouble(f[12]);
                return withChildren ? t + Double.parseDouble(f[13]) + Double.parseDouble(f[14]) : t;
            } catch (IOException | RuntimeException e) {
                return Double.NaN;
            }
        }

        private static List<Long> children(long pid) {
            return ProcessHandle.of(pid).map(p -> p.children().map(ProcessHandle::pid).toList()).orElse(List.of());
        }
    }

    record Run(List<OpResult> results, double seconds) {}

    /** Runs {@code start} for every slug with {@code concurrency} workers, each waiting for its operation. */
    private Run concurrentEngine(List<String> slugs, ThrowingFunction<String, Started> start, int pollMs) throws Exception {
        OpResult[] results = new OpResult[slugs.size()];
        AtomicInteger next = new AtomicInteger();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(o.concurrency);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < o.concurrency; w++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < slugs.size() && inTime(); i = next.getAndIncrement()) {
                        try {
                            Started s = start.apply(slugs.get(i));
                            results[i] = s.error() != null ? s.error() : await(s.location(), s.t0(), pollMs);
                        } catch (IOException e) {
                            results[i] = OpResult.error(slugs.get(i), e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        List<OpResult> list = new ArrayList<>();
        for (OpResult r : results) {
            list.add(r == null ? OpResult.notRun() : r);
        }
        return new Run(list, (System.nanoTime() - t0) / 1e9);
    }

    record Concurrent(int n, double seconds) {
        double perMinute() {
            return n / (seconds / 60.0);
        }
    }

    private Concurrent concurrentDirect(List<String> names, ThrowingBiConsumer<Direct, String> work) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(o.concurrency);
        List<Direct> sessions = new ArrayList<>();
        try {
            for (int w = 0; w < o.concurrency; w++) {
                sessions.add(direct());
            }
            long t0 = System.nanoTime();
            List<Future<?>> workers = new ArrayList<>();
            for (Direct d : sessions) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < names.size() && inTime(); i = next.getAndIncrement()) {
                        work.accept(d, names.get(i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
            return new Concurrent(names.size(), (System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
            for (Direct d : sessions) {
                d.close();
            }
        }
    }

    // ---------------------------------------------------------------- engine operations over the API

    record Started(String location, long t0, OpResult error) {}

    private Started createOp(String slug, String plan) throws Exception {
        long t0 = System.nanoTime();
        Resp r = api.send("POST", "/v1/tenants", Map.of("slug", slug, "plan", plan));
        if (r.status() != 202 || r.location() == null) {
            return new Started(null, t0, OpResult.http(slug, "create", r));
        }
        return new Started(r.location(), t0, null);
    }

    private Started deleteOp(String slug) throws Exception {
        long t0 = System.nanoTime();
        Resp r = api.send("DELETE", "/v1/tenants/" + slug, null);
        if (r.status() != 202 || r.location() == null) {
            return new Started(null, t0, OpResult.http(slug, "delete", r));
        }
        return new Started(r.location(), t0, null);
    }

    private OpResult createAndWait(String slug, String plan) throws Exception {
        try {
            Started s = createOp(slug, plan);
            return s.error() != null ? s.error() : await(s.location(), s.t0(), o.pollMs);
        } catch (IOException e) {
            return OpResult.error(slug, e);
        }
    }

    private OpResult deleteAndWait(String slug) throws Exception {
        try {
            Started s = deleteOp(slug);
            return s.error() != null ? s.error() : await(s.location(), s.t0(), o.pollMs);
        } catch (IOException e) {
            return OpResult.error(slug, e);
        }
    }

    /** Polls the operation every {@code pollMs} until it finishes or the operation timeout passes. */
    private OpResult await(String location, long t0, int pollMs) throws Exception {
        long deadline = t0 + TimeUnit.SECONDS.toNanos(o.opTimeoutSeconds);
        int maxPolls = o.opTimeoutSeconds * 1000 / pollMs + 100;
        JsonNode op = null;
        for (int polls = 0; polls < maxPolls; polls++) {
            Resp r = api.send("GET", location, null);
            long now = System.nanoTime();
            if (r.status() == 200) {
                op = r.body();
                String state = op.path("state").asText();
                if (state.equals("succeeded") || state.equals("failed")) {
                    return OpResult.of(op, (now - t0) / 1e6);
                }
            }
            if (now > deadline) {
                break;
            }
            Thread.sleep(pollMs);
        }
        return new OpResult("timeout", Double.NaN, (System.nanoTime() - t0) / 1e6, Double.NaN, Map.of(), 0,
                location + " not finished after " + o.opTimeoutSeconds + " s" + (op == null ? "" : " (state " + op.path("state").asText() + ")"));
    }

    record OpResult(String state, double opMs, double wallMs, double queueMs, Map<String, Double> stepMs, int retries, String error) {
        boolean succeeded() {
            return state.equals("succeeded");
        }

        static OpResult of(JsonNode op, double wallMs) {
            Instant created = Instant.parse(op.path("createdAt").asText());
            Instant finished = Instant.parse(op.path("finishedAt").asText());
            double opMs = Duration.between(created, finished).toNanos() / 1e6;
            Map<String, Double> steps = new LinkedHashMap<>();
            double queue = Double.NaN;
            int retries = 0;
            for (JsonNode s : op.path("steps")) {
                retries += Math.max(0, s.path("attempts").asInt() - 1);
                if (s.hasNonNull("startedAt") && s.hasNonNull("endedAt")) {
                    Instant st = Instant.parse(s.path("startedAt").asText());
                    Instant en = Instant.parse(s.path("endedAt").asText());
                    steps.put(s.path("name").asText(), Duration.between(st, en).toNanos() / 1e6);
                    if (Double.isNaN(queue)) {
                        queue = Duration.between(created, st).toNanos() / 1e6;
                    }
                }
            }
            return new OpResult(op.path("state").asText(), opMs, wallMs, queue, steps, retries,
                    op.hasNonNull("error") ? op.path("error").asText() : null);
        }

        static OpResult http(String slug, String what, Resp r) {
            return new OpResult("http " + r.status(), Double.NaN, Double.NaN, Double.NaN, Map.of(), 0,
                    what + " " + slug + ": HTTP " + r.status() + " " + r.body());
        }

        static OpResult error(String slug, IOException e) {
            return new OpResult("error", Double.NaN, Double.NaN, Double.NaN, Map.of(), 0, slug + ": " + e);
        }

        static OpResult notRun() {
            return new OpResult("not run (time budget)", Double.NaN, Double.NaN, Double.NaN, Map.of(), 0, "not run");
        }

        String describe() {
            return state + (error == null ? "" : ": " + error);
        }
    }

    /** Engine results and baseline timings of one phase. */
    static final class Series {
        final List<OpResult> engine = new ArrayList<>();
        final List<Timing> baseline = new ArrayList<>();
        int failed;

        void add(OpResult r) {
            engine.add(r);
            if (!r.succeeded()) {
                failed++;
            }
        }

        List<Double> opMs() {
            return engine.stream().filter(OpResult::succeeded).map(OpResult::opMs).toList();
        }

        List<Double> wallMs() {
            return engine.stream().filter(OpResult::succeeded).map(OpResult::wallMs).toList();
        }

        List<Double> baselineMs() {
            return baseline.stream().map(Timing::totalMs).toList();
        }
    }

    // ---------------------------------------------------------------- baseline: the same work, directly

    record Timing(double totalMs, double pgMs, double redisMs) {}

    private Direct direct() throws SQLException {
        return new Direct(pgPort, redisPort, redisPassword);
    }

    /**
     * One admin session on the {@code postgres} database, one on the pool database and one Redis
     * admin connection, kept open; the statements mirror the postgres and redis drivers.
     */
    static final class Direct implements AutoCloseable {
        private final Connection admin;
        private final Connection pool;
        private final Jedis redis;

        Direct(int pgPort, int redisPort, String redisPassword) throws SQLException {
            this.admin = connect(pgPort, "postgres");
            this.pool = connect(pgPort, POOL_DATABASE);
            this.redis = new Jedis(new HostAndPort("127.0.0.1", redisPort), DefaultJedisClientConfig.builder()
                    .user("default").password(redisPassword).connectionTimeoutMillis(5000).socketTimeoutMillis(30_000)
                    .clientName("tenantry-bench").build());
        }

        Timing createPool(String role) throws SQLException {
            long t0 = System.nanoTime();
            ensureRole(pool, role, POOL_CONNECTION_LIMIT);
            locked(pool, () -> exec(pool, "grant connect on database " + ident(POOL_DATABASE) + " to " + ident(role)));
            exec(pool, "create schema if not exists " + ident(role) + " authorization " + ident(role));
            exec(pool, "alter schema " + ident(role) + " owner to " + ident(role));
            exec(pool, "alter role " + ident(role) + " in database " + ident(POOL_DATABASE) + " set search_path = " + ident(role));
            setPassword(pool, role);
            long t1 = System.nanoTime();
            redisUser(role);
            long t2 = System.nanoTime();
            return new Timing((t2 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }

        Timing createSilo(String role) throws SQLException {
            long t0 = System.nanoTime();
            ensureRole(admin, role, SILO_CONNECTION_LIMIT);
            if (!exists(admin, "select 1 from pg_database where datname = ?", role)) {
                exec(admin, "create database " + ident(role) + " owner " + ident(role));
            }
            exec(admin, "alter database " + ident(role) + " owner to " + ident(role));
            exec(admin, "revoke connect, temporary on database " + ident(role) + " from public");
            setPassword(admin, role);
            long t1 = System.nanoTime();
            redisUser(role);
            long t2 = System.nanoTime();
            return new Timing((t2 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }

        /** The drivers' destroy: refuse logins, end sessions, drop database (silo), schema and grants, role; ACL user and keys. */
        Timing destroy(String role, boolean silo) throws SQLException {
            long t0 = System.nanoTime();
            boolean roleExists = exists(admin, "select 1 from pg_roles where rolname = ?", role);
            if (roleExists) {
                exec(admin, "alter role " + ident(role) + " with nologin");
                query(admin, "select pg_terminate_backend(pid, 5000)::text from pg_stat_activity where usename = ? and pid <> pg_backend_pid()", role);
            }
            if (silo) {
                exec(admin, "drop database if exists " + ident(role) + " with (force)");
            }
            if (exists(admin, "select 1 from pg_database where datname = ?", POOL_DATABASE)) {
                exec(pool, "drop schema if exists " + ident(role) + " cascade");
                if (roleExists) {
                    locked(pool, () -> exec(pool, "drop owned by " + ident(role) + " cascade"));
                }
            }
            if (roleExists) {
                exec(admin, "drop owned by " + ident(role));
                exec(admin, "drop role if exists " + ident(role));
            }
            long t1 = System.nanoTime();
            redis.aclDelUser(role);
            try {
                redis.clientKill(ClientKillParams.clientKillParams().user(role));
            } catch (JedisDataException e) {
                if (!String.valueOf(e.getMessage()).contains("No such user")) {
                    throw e;
                }
            }
            aclSave();
            String prefix = keyPrefix(role);
            ScanParams params = new ScanParams().match(prefix + "*").count(1000);
            String cursor = ScanParams.SCAN_POINTER_START;
            for (int batches = 0; batches < 10_000; batches++) {
                ScanResult<String> batch = redis.scan(cursor, params);
                if (!batch.getResult().isEmpty()) {
                    redis.unlink(batch.getResult().toArray(String[]::new));
                }
                cursor = batch.getCursor();
                if (ScanParams.SCAN_POINTER_START.equals(cursor)) {
                    break;
                }
            }
            long t2 = System.nanoTime();
            return new Timing((t2 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }

        private void redisUser(String user) {
            List<String> rules = new ArrayList<>(List.of("reset", "on", ">" + password(),
                    "~" + keyPrefix(user) + "*", "&" + keyPrefix(user) + "*"));
            rules.addAll(REDIS_RULES);
            redis.aclSetUser(user, rules.toArray(String[]::new));
            aclSave();
        }

        private void aclSave() {
            try {
                redis.aclSave();
            } catch (JedisDataException e) {
                if (!String.valueOf(e.getMessage()).contains("not configured to use an ACL file")) {
                    throw e;
                }
            }
        }

        private static String keyPrefix(String name) {
            return "bl:" + name + ":";
        }

        private static void ensureRole(Connection c, String role, int limit) throws SQLException {
            String attributes = " login noinherit connection limit " + limit;
            if (!exists(c, "select 1 from pg_roles where rolname = ?", role)) {
                exec(c, "create role " + ident(role) + " with" + attributes);
            }
            exec(c, "alter role " + ident(role) + " with" + attributes);
        }

        private static void setPassword(Connection c, String role) throws SQLException {
            char[] chars = password().toCharArray();
            c.unwrap(PGConnection.class).alterUserPassword(role, chars, "scram-sha-256");
        }

        interface SqlWork {
            void run() throws SQLException;
        }

        private static void locked(Connection c, SqlWork work) throws SQLException {
            query(c, "select pg_advisory_lock(" + POOL_ACL_LOCK + ")::text");
            try {
                work.run();
            } finally {
                query(c, "select pg_advisory_unlock(" + POOL_ACL_LOCK + ")::text");
            }
        }

        @Override
        public void close() {
            try {
                admin.close();
                pool.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
            redis.close();
        }
    }

    /** Drops baseline objects a failed run may have left ({@code name:tier}). */
    private void dropBaseline(List<String> left) {
        if (left.isEmpty() || pgPort == 0) {
            return;
        }
        try (Direct d = direct()) {
            for (String entry : new ArrayList<>(left)) {
                String[] parts = entry.split(":");
                d.destroy(parts[0], parts[1].equals("silo"));
            }
            progress("dropped %d baseline objects left by the run", left.size());
        } catch (Exception e) {
            System.err.println("ProvisionBench: could not drop baseline objects " + left + ": " + e);
        }
    }

    // ---------------------------------------------------------------- orphan check

    record Orphans(Set<String> onServers, Set<String> inCatalog, Set<String> orphans, Set<String> missing) {
        boolean clean() {
            return orphans.isEmpty() && missing.isEmpty();
        }

        int serverObjects() {
            return onServers.size();
        }

        String summary() {
            long roles = onServers.stream().filter(s -> s.startsWith("role:")).count();
            long schemas = onServers.stream().filter(s -> s.startsWith("schema:")).count();
            long dbs = onServers.stream().filter(s -> s.startsWith("database:")).count();
            long acl = onServers.stream().filter(s -> s.startsWith("acl:")).count();
            return String.format(Locale.ROOT, "%s — servers hold %d roles, %d pool schemas, %d databases, %d ACL users (t_*); "
                            + "catalog bindings imply %d objects; orphans %d%s, missing %d%s",
                    clean() ? "CLEAN" : "NOT CLEAN", roles, schemas, dbs, acl, inCatalog.size(),
                    orphans.size(), sample(orphans), missing.size(), sample(missing));
        }

        private static String sample(Set<String> s) {
            return s.isEmpty() ? "" : " " + s.stream().limit(5).toList() + (s.size() > 5 ? "…" : "");
        }
    }

    /** What the servers hold ({@code t_*}) against what the catalog's resource bindings say, both ways. */
    private Orphans orphanCheck() throws SQLException {
        Set<String> servers = new TreeSet<>();
        try (Connection c = connect(pgPort, "postgres")) {
            query(c, "select rolname from pg_roles where starts_with(rolname, 't_')").forEach(r -> servers.add("role:" + r));
            query(c, "select datname from pg_database where starts_with(datname, 't_')").forEach(d -> servers.add("database:" + d));
        }
        try (Connection c = connect(pgPort, POOL_DATABASE)) {
            query(c, "select nspname from pg_namespace where starts_with(nspname, 't_')").forEach(s -> servers.add("schema:" + s));
        }
        try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", redisPort), DefaultJedisClientConfig.builder()
                .user("default").password(redisPassword).connectionTimeoutMillis(5000).socketTimeoutMillis(30_000).build())) {
            j.aclUsers().stream().filter(u -> u.startsWith("t_")).forEach(u -> servers.add("acl:" + u));
        }
        Set<String> catalog = new TreeSet<>();
        try (Connection c = connect(pgPort, CATALOG_DATABASE);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select kind, tier, name from resource_bindings")) {
            while (rs.next()) {
                String kind = rs.getString(1);
                String tier = rs.getString(2);
                String name = rs.getString(3);
                switch (kind) {
                    case "postgres" -> {
                        catalog.add("role:" + name);
                        catalog.add((tier.equals("pool") ? "schema:" : "database:") + name);
                    }
                    case "redis" -> catalog.add("acl:" + name);
                    default -> catalog.add(kind + ":" + name);
                }
            }
        }
        Set<String> orphans = new TreeSet<>(servers);
        orphans.removeAll(catalog);
        Set<String> missing = new TreeSet<>(catalog);
        missing.removeAll(servers);
        return new Orphans(servers, catalog, orphans, missing);
    }

    private Map<String, Integer> tenantStatuses(String slugPrefix) throws SQLException {
        Map<String, Integer> out = new LinkedHashMap<>();
        try (Connection c = connect(pgPort, CATALOG_DATABASE);
             PreparedStatement s = c.prepareStatement(
                     "select status, count(*) from tenants where starts_with(slug, ?) group by status order by status")) {
            s.setString(1, slugPrefix);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- JDBC helpers

    private static Connection connect(int port, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", System.getenv().getOrDefault("PGPASSWORD", "")); // the scripts export it
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "300");
        props.setProperty("ApplicationName", "tenantry-bench");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, props);
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static boolean exists(Connection c, String sql, String param) throws SQLException {
        return !query(c, sql, param).isEmpty();
    }

    private static List<String> query(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setString(i + 1, params[i]);
            }
            List<String> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }

    private static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static String password() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        char[] out = new char[40];
        for (int i = 0; i < out.length; i++) {
            out[i] = alphabet.charAt(RANDOM.nextInt(alphabet.length()));
        }
        return new String(out);
    }

    // ---------------------------------------------------------------- HTTP

    record Resp(int status, String location, JsonNode body) {}

    static final class Api {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        private final String base;
        private final String token;

        Api(String base, String token) {
            this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
            this.token = token;
        }

        Resp send(String method, String path, Object body) throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token).header("Accept", "application/json");
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = r.body().length == 0 ? JSON.nullNode() : JSON.readTree(r.body());
            return new Resp(r.statusCode(), r.headers().firstValue("Location").orElse(null), json);
        }
    }

    // ---------------------------------------------------------------- small things

    interface ThrowingFunction<A, B> {
        B apply(A a) throws Exception;
    }

    interface ThrowingBiConsumer<A, B> {
        void accept(A a, B b) throws Exception;
    }

    private String slug(String tag, int i) {
        return o.prefix + "-" + tag + "-" + i;
    }

    private String baselineName(String tag, int i) {
        return "bl_" + o.prefix + "_" + tag + "_" + i;
    }

    private boolean inTime() {
        boolean ok = System.nanoTime() < deadlineNanos;
        if (!ok && !timeBudgetHit) {
            timeBudgetHit = true;
            System.err.println("ProvisionBench: the time budget (--max-minutes " + o.maxMinutes + ") is spent; stopping the phase");
        }
        return ok;
    }

    private volatile boolean timeBudgetHit;

    /** A reported figure without a target in the issue: listed with the targets, not counted. */
    private void info(String name, String detail) {
        targetLines.add(String.format(Locale.ROOT, "  %-4s %s: %s", "info", name, detail));
    }

    /** Records a target; one not checked at this run size is listed but does not count. */
    private void target(String name, boolean pass, String detail, boolean checked) {
        if (checked) {
            targets.put(name, pass);
        }
        targetLines.add(String.format(Locale.ROOT, "  %-4s %s: %s", checked ? (pass ? "PASS" : "FAIL") : "n/a", name,
                detail + (checked ? "" : " (not checked at this run size)")));
    }

    private static double p(List<Double> xs, double pct) {
        List<Double> s = xs.stream().filter(x -> !Double.isNaN(x)).sorted().toList();
        if (s.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(pct / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, index)));
    }

    private static String ms(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String rate(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", a / b);
    }

    private void out(String fmt, Object... args) {
        System.out.println(args.length == 0 ? fmt : String.format(Locale.ROOT, fmt, args));
        System.out.flush();
    }

    private void progress(String fmt, Object... args) {
        System.err.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - startNanos) / 1e9, String.format(Locale.ROOT, fmt, args));
    }
}
