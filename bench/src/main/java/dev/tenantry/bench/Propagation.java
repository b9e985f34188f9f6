package dev.tenantry.bench;

import dev.tenantry.sdk.context.TenantContexts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Propagation of catalog changes, one at a time: adds a custom domain to a tenant through the
 * API, takes the 201 as the moment the change is committed, then watches for it at each observer:
 * an SDK {@link TenantContexts} client following the API node (its listener stamps the moment
 * the hostname appears) and each gateway node (polled on one keep-alive connection, with a pause
 * between polls, until the hostname resolves to the tenant: {@code /problems/no-route} instead of
 * {@code /problems/not-found}). Everything runs on the calling thread except the SDK's own.
 */
final class Propagation implements AutoCloseable {
    static final String SUFFIX = ".prop.example";
    private static final String NO_ROUTE = "\"type\":\"/problems/no-route\"";
    private static final String NOT_FOUND = "\"type\":\"/problems/not-found\"";

    /** One change: when its request started and was answered, and when each observer saw it (-1: not within the bound). */
    record Change(String host, long started, long acknowledged, long[] seen) {
        /** When the last observer saw it, or -1 if one did not. */
        long allSeen() {
            long max = Long.MIN_VALUE;
            for (long s : seen) {
                if (s < 0) {
                    return -1;
                }
                max = Math.max(max, s);
            }
            return max;
        }
    }

    /** The figures of a run, and what went wrong along the way. */
    record Run(List<Change> changes, List<String> observers, int failedRequests, int unexpectedAnswers, String firstProblem,
               boolean stoppedByTime) {
    }

    private final Http1Connection api;
    private final List<Http1Connection> gateways = new ArrayList<>();
    private final TenantContexts sdk;
    private final Map<String, Long> sdkSeen = new ConcurrentHashMap<>();
    private final long pollNanos;
    private final long boundNanos;

    /** Connects the SDK client and waits (at most {@code ready}) for its first snapshot. */
    Propagation(InetSocketAddress apiAddress, URI apiUrl, String token, List<InetSocketAddress> gatewayAddresses,
                Duration poll, Duration bound, Duration ready) {
        this.api = new Http1Connection(apiAddress, token);
        gatewayAddresses.forEach(a -> gateways.add(new Http1Connection(a, null)));
        this.pollNanos = poll.toNanos();
        this.boundNanos = bound.toNanos();
        this.sdk = TenantContexts.builder(apiUrl, token).build();
        sdk.addListener((before, after) -> {
            if (after == null) {
                return;
            }
            long now = System.nanoTime();
            for (String host : after.hostnames()) {
                if (host.endsWith(SUFFIX)) {
                    sdkSeen.putIfAbsent(host, now);
                }
            }
        });
        sdk.start();
        if (!sdk.awaitReady(ready)) {
            sdk.close();
            throw new IllegalStateException("the SDK client did not load its snapshot within " + ready.toSeconds() + " s: "
                    + sdk.lastError().orElse("no error reported"));
        }
    }

    /** Tenants the SDK client holds. */
    int sdkTenants() {
        return sdk.index().size();
    }

    /**
     * Makes {@code count} changes, change i on tenant {@code slugs[i * stride mod n]}, pausing
     * {@code gap} after each; stops early at {@code deadline} (System.nanoTime).
     */
    Run run(List<String> slugs, int count, Duration gap, long deadline) {
        List<String> observers = new ArrayList<>();
        for (int g = 0; g < gateways.size(); g++) {
            observers.add("gateway " + (g + 1));
        }
        observers.add("SDK client");
        List<Change> changes = new ArrayList<>(count);
        int failed = 0;
        int[] unexpected = {0};
        String[] firstProblem = {null};
        int stride = Math.max(1, slugs.size() / Math.max(1, count));
        boolean stoppedByTime = false;
        for (int i = 0; i < count; i++) {
            if (System.nanoTime() > deadline) {
                stoppedByTime = true;
                break;
            }
            String slug = slugs.get((int) ((long) i * stride % slugs.size()));
            String host = "p" + i + SUFFIX;
            long started = System.nanoTime();
            Http1Connection.Response r;
            try {
                r = api.postJson("/v1/tenants/" + slug + "/domains", "{\"hostname\":\"" + host + "\"}", true);
            } catch (IOException e) {
                failed++;
                firstProblem[0] = firstProblem[0] != null ? firstProblem[0] : "POST domain: " + e;
                continue;
            }
            long acknowledged = System.nanoTime();
            if (r.status() != 201) {
                failed++;
                firstProblem[0] = firstProblem[0] != null ? firstProblem[0]
                        : "POST /v1/tenants/" + slug + "/domains answered " + r.status() + ": " + new String(r.body(), StandardCharsets.UTF_8);
                if (failed > 10) {
                    break;
                }
                continue;
            }
            changes.add(new Change(host, started, acknowledged, observe(host, acknowledged, i, unexpected, firstProblem)));
            LockSupport.parkNanos(gap.toNanos());
        }
        return new Run(changes, observers, failed, unexpected[0], firstProblem[0], stoppedByTime);
    }

    /** Polls the gateways and checks the SDK client until all saw {@code host} or the bound passed. */
    private long[] observe(String host, long acknowledged, int round, int[] unexpected, String[] firstProblem) {
        int n = gateways.size();
        long[] seen = new long[n + 1];
        Arrays.fill(seen, -1);
        long until = acknowledged + boundNanos;
        for (int poll = 0; ; poll++) {
            boolean all = true;
            for (int k = 0; k < n; k++) {
                int g = (k + round + poll) % n; // alternate which gateway is asked first
                if (seen[g] < 0) {
                    seen[g] = probe(gateways.get(g), host, unexpected, firstProblem);
                    all &= seen[g] >= 0;
                }
            }
            if (seen[n] < 0) {
                Long t = sdkSeen.get(host);
                seen[n] = t == null ? -1 : t;
                all &= seen[n] >= 0;
            }
            if (all || System.nanoTime() > until) {
                return seen;
            }
            LockSupport.parkNanos(pollNanos);
        }
    }

    /** One GET / with the host: the time the answer arrived if it resolved the tenant, else -1. */
    private static long probe(Http1Connection gateway, String host, int[] unexpected, String[] firstProblem) {
        try {
            Http1Connection.Response r = gateway.get("/", host, true);
            long at = System.nanoTime();
            String body = new String(r.body(), StandardCharsets.UTF_8);
            if (body.contains(NO_ROUTE)) {
                return at;
            }
            if (!body.contains(NOT_FOUND)) {
                unexpected[0]++;
                firstProblem[0] = firstProblem[0] != null ? firstProblem[0] : "gateway answered " + r.status() + " " + body;
            }
        } catch (IOException e) {
            unexpected[0]++;
            firstProblem[0] = firstProblem[0] != null ? firstProblem[0] : "gateway: " + e;
        }
        return -1;
    }

    @Override
    public void close() {
        sdk.close();
        api.close();
        gateways.forEach(Http1Connection::close);
    }
}
