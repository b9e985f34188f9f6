package dev.tenantry.gateway;

import dev.tenantry.sdk.context.PlanLimits;
import dev.tenantry.sdk.context.Route;
import dev.tenantry.sdk.context.TenantContext;
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
    final GatewayMetrics.Meters meters;
    private volatile Signed signed;
    /** Secrets already proven against this state's keys (a new state, e.g. after a revocation, starts empty). */
    private final Map<String, Key> proven = new java.util.concurrent.ConcurrentHashMap<>();

    private record Signed(long second, String value) {
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
                        GatewayMetrics.Meters meters) {
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
        GatewayMetrics.Meters meters = previous != null && previous.context.slug().equals(context.slug())
                ? previous.meters : metrics.forTenant(context.slug());
        return new TenantState(context, routes, Map.copyOf(keys), limiter, meters);
    }

    /** The tenant headers' signature for this second (computed once a second per tenant). */
    String signature(dev.tenantry.sdk.context.TenantHeaders signer, long unixSeconds) {
        Signed s = signed;
        if (s == null || s.second() != unixSeconds) {
            s = new Signed(unixSeconds, signer.sign(context.id(), context.slug(), context.tier(), unixSeconds));
            signed = s;
        }
        return s.value();
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
