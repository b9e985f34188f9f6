package dev.tenantry.gateway;

import dev.tenantry.sdk.context.PlanLimits;
import dev.tenantry.sdk.context.Route;
import dev.tenantry.sdk.context.TenantContext;
import dev.tenantry.sdk.context.TenantHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the gateway derives from one tenant's context, rebuilt when the context changes: routes
 * compiled for matching (longest prefix first), API keys by prefix, the limiter and the meters.
 * The limiter and meters outlive context changes (a plan change reconfigures the limiter).
 */
final class TenantState {
    final TenantContext context;
    final CompiledRoute[] routes;
    final Map<String, Key> keys;
    final Limiter limiter;
    final GatewayMetrics.TenantMeters meters;
    private volatile Signed signed;
    /** Secrets already proven against this state's keys (a new state, e.g. after a revocation, starts empty). */
    private final Map<String, Key> proven = new java.util.concurrent.ConcurrentHashMap<>();

    private record Signed(long second, byte[] lines) {
    }

    record Key(String id, byte[] hash, long expiresAtMillis) {
        boolean expired(long nowMillis) {
            return expiresAtMillis > 0 && nowMillis >= expiresAtMillis;
        }
    }

    /** A route ready for matching and balancing. */
    static final class CompiledRoute {
        final Route route;
        final String prefix;
        final Upstream[] upstreams;
        final boolean apiKey;
        final boolean leastLoaded;

        CompiledRoute(Route route, Upstreams registry) {
            this.route = route;
            this.prefix = route.path();
            this.upstreams = route.upstreams().stream().map(u -> registry.of(u.url(), route.healthCheck())).toArray(Upstream[]::new);
            this.apiKey = "api-key".equals(route.auth());
            this.leastLoaded = "least".equals(route.balance());
        }

        /** Power of two choices (or the least loaded of all) among available upstreams, avoiding {@code not}. */
        Upstream pick(Upstream not) {
            if (upstreams.length == 1) {
                return upstreams[0];
            }
            List<Upstream> candidates = new ArrayList<>(upstreams.length);
            for (Upstream u : upstreams) {
                if (u != not && u.available()) {
                    candidates.add(u);
                }
            }
            if (candidates.isEmpty()) {
                for (Upstream u : upstreams) {
                    if (u != not) {
                        candidates.add(u);
                    }
                }
            }
            if (candidates.isEmpty()) {
                return upstreams[0];
            }
            if (leastLoaded) {
                Upstream best = candidates.getFirst();
                for (Upstream u : candidates) {
                    if (u.inFlight.get() < best.inFlight.get()) {
                        best = u;
                    }
                }
                return best;
            }
            ThreadLocalRandom random = ThreadLocalRandom.current();
            Upstream a = candidates.get(random.nextInt(candidates.size()));
            Upstream b = candidates.get(random.nextInt(candidates.size()));
            return b.inFlight.get() < a.inFlight.get() ? b : a;
        }

        /** On a segment boundary: {@code /api} matches {@code /api}, {@code /api/x}, {@code /api?q}, not {@code /apix}. */
        boolean matches(String path) {
            if (!path.startsWith(prefix)) {
                return false;
            }
            if (path.length() == prefix.length() || prefix.endsWith("/")) {
                return true;
            }
            char next = path.charAt(prefix.length());
            return next == '/' || next == '?';
        }
    }

    private TenantState(TenantContext context, CompiledRoute[] routes, Map<String, Key> keys, Limiter limiter,
                        GatewayMetrics.TenantMeters meters) {
        this.context = context;
        this.routes = routes;
        this.keys = keys;
        this.limiter = limiter;
        this.meters = meters;
    }

    /** The state for {@code context}, keeping {@code previous}'s limiter and meters when there is one. */
    static TenantState of(TenantContext context, TenantState previous, Upstreams upstreams, GatewayMetrics metrics) {
        List<Route> sorted = new ArrayList<>(context.routes());
        sorted.sort(Comparator.comparingInt((Route r) -> r.path().length()).reversed());
        CompiledRoute[] routes = sorted.stream().map(r -> new CompiledRoute(r, upstreams)).toArray(CompiledRoute[]::new);
        Map<String, Key> keys = new HashMap<>();
        for (TenantContext.ApiKey k : context.apiKeys()) {
            long expires = k.expiry().map(Instant::toEpochMilli).orElse(0L);
            keys.put(k.prefix(), new Key(k.id(), HexFormat.of().parseHex(k.hash()), expires));
        }
        PlanLimits limits = context.limits() != null ? context.limits()
                : new PlanLimits(context.plan(), context.tier(), 1, 1, 1, 1, 1, 1, false, 0); // plan unknown: nearly closed
        Limiter limiter;
        if (previous != null) {
            limiter = previous.limiter;
            limiter.update(limits);
        } else {
            limiter = new Limiter(limits);
        }
        GatewayMetrics.TenantMeters meters = previous != null && previous.context.slug().equals(context.slug())
                ? previous.meters : new GatewayMetrics.TenantMeters(metrics, context.slug()).prepare();
        return new TenantState(context, routes, Map.copyOf(keys), limiter, meters);
    }

    /**
     * The tenant's signed headers ({@code X-Tenant-Id}, {@code -Slug}, {@code -Tier}, {@code -Time},
     * {@code -Signature}) as header lines, built once a second per tenant.
     */
    byte[] signedHeaders(TenantHeaders signer, long unixSeconds) {
        Signed s = signed;
        if (s == null || s.second() != unixSeconds) {
            String signature = signer.sign(context.id(), context.slug(), context.tier(), unixSeconds);
            s = new Signed(unixSeconds, (TenantHeaders.ID + ": " + context.id() + "\r\n" + TenantHeaders.SLUG + ": " + context.slug()
                    + "\r\n" + TenantHeaders.TIER + ": " + context.tier() + "\r\n" + TenantHeaders.TIME + ": " + unixSeconds
                    + "\r\n" + TenantHeaders.SIGNATURE + ": " + signature + "\r\n").getBytes(StandardCharsets.UTF_8));
            signed = s;
        }
        return s.lines();
    }

    CompiledRoute route(String path) {
        for (CompiledRoute r : routes) {
            if (r.matches(path)) {
                return r;
            }
        }
        return null;
    }

    /** The key this secret proves ({@code tk_<prefix>_<secret>}), or null: unknown, malformed, wrong or expired. */
    Key authenticate(String secret, long nowMillis) {
        if (secret == null || secret.length() != 3 + 10 + 1 + 32 || !secret.startsWith("tk_") || secret.charAt(13) != '_') {
            return null;
        }
        Key known = proven.get(secret);
        if (known != null) {
            return known.expired(nowMillis) ? null : known;
        }
        Key key = keys.get(secret.substring(3, 13));
        if (key == null || key.expired(nowMillis) || !MessageDigest.isEqual(sha256(secret), key.hash())) {
            return null;
        }
        if (proven.size() < 1_024) { // bounded: a tenant with more live keys in use just hashes more often
            proven.put(secret, key);
        }
        return key;
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
