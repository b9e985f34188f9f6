package dev.tenantry.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-tenant gateway metrics: requests by status class, a latency histogram, bytes in and out,
 * throttled requests. The first {@code maxTenants} tenants seen get their own {@code tenant}
 * label; the rest share {@code _other}, so a fleet of many tenants cannot blow up the series count.
 */
final class GatewayMetrics {
    static final String OTHER = "_other";
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};
    private final MeterRegistry registry;
    private final int maxTenants;
    private final Map<String, Meters> byLabel = new ConcurrentHashMap<>();
    private final Counter unknownHost;

    /** One label's meters, looked up once per tenant state and then used directly on every request. */
    static final class Meters {
        final Counter[] byClass = new Counter[6]; // index: status / 100
        final Timer latency;
        final Counter bytesIn;
        final Counter bytesOut;
        final Counter throttled;

        Meters(MeterRegistry registry, String tenant) {
            for (int c = 1; c <= 5; c++) {
                byClass[c] = Counter.builder("tenantry.gateway.requests").description("Requests by tenant and status class")
                        .tag("tenant", tenant).tag("class", c + "xx").register(registry);
            }
            latency = Timer.builder("tenantry.gateway.latency").description("Time from request to response end")
                    .tag("tenant", tenant).serviceLevelObjectives(BUCKETS).register(registry);
            bytesIn = Counter.builder("tenantry.gateway.bytes").description("Body bytes through the gateway")
                    .baseUnit("bytes").tag("tenant", tenant).tag("direction", "in").register(registry);
            bytesOut = Counter.builder("tenantry.gateway.bytes").description("Body bytes through the gateway")
                    .baseUnit("bytes").tag("tenant", tenant).tag("direction", "out").register(registry);
            throttled = Counter.builder("tenantry.gateway.throttled").description("Requests refused with 429")
                    .tag("tenant", tenant).register(registry);
        }

        void record(int status, long nanos, long in, long out) {
            int c = status / 100;
            byClass[c >= 1 && c <= 5 ? c : 5].increment();
            latency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (in > 0) {
                bytesIn.increment(in);
            }
            if (out > 0) {
                bytesOut.increment(out);
            }
        }
    }

    /**
     * A tenant's meters, registered in the background as soon as its gateway state is made: on a
     * node's first request for a tenant, registering them took about a millisecond of that request.
     * A request that ends before they are ready waits for them.
     */
    static final class TenantMeters {
        private final GatewayMetrics metrics;
        private final String slug;
        private volatile Meters meters;

        TenantMeters(GatewayMetrics metrics, String slug) {
            this.metrics = metrics;
            this.slug = slug;
        }

        /** Starts the registration off the calling thread. */
        TenantMeters prepare() {
            Thread.ofVirtual().name("tenant-meters").start(this::get);
            return this;
        }

        Meters get() {
            Meters m = meters;
            if (m == null) {
                m = metrics.forTenant(slug); // one registration however many threads ask
                meters = m;
            }
            return m;
        }

        void record(int status, long nanos, long in, long out) {
            get().record(status, nanos, in, out);
        }

        void throttled() {
            get().throttled.increment();
        }
    }

    GatewayMetrics(MeterRegistry registry, int maxTenants) {
        this.registry = registry;
        this.maxTenants = maxTenants;
        this.unknownHost = Counter.builder("tenantry.gateway.unknown.host").description("Requests for a host no tenant has")
                .register(registry);
    }

    /** The meters for this tenant's label (its slug, or {@code _other} once the cap is reached). */
    Meters forTenant(String slug) {
        Meters existing = byLabel.get(slug);
        if (existing != null) {
            return existing;
        }
        String label = byLabel.size() >= maxTenants ? OTHER : slug;
        return byLabel.computeIfAbsent(label, l -> new Meters(registry, l));
    }

    void unknownHost() {
        unknownHost.increment();
    }
}
