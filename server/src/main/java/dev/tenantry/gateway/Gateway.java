package dev.tenantry.gateway;

import dev.tenantry.functions.Invoker;
import dev.tenantry.sdk.context.ContextIndex;
import dev.tenantry.sdk.context.TenantContext;
import dev.tenantry.sdk.context.TenantHeaders;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway: a Netty server on the node's event loops, all reading the same context index and
 * per-tenant state; {@code /fn/} requests go to the invoker on the loop they arrived on.
 * {@link #start} blocks until the port is bound.
 */
public final class Gateway implements AutoCloseable {
    private final GatewayServer server;
    private final Upstreams upstreams;

    /** What every event loop's server shares: settings, the index, per-tenant state, upstreams, metrics. */
    static final class Shared {
        final GatewaySettings settings;
        final ContextIndex index;
        final TenantHeaders signer;
        final Upstreams upstreams;
        final GatewayMetrics metrics;
        final Map<String, TenantState> states = new ConcurrentHashMap<>();
        final Functions functions;

        Shared(GatewaySettings settings, ContextIndex index, Upstreams upstreams, GatewayMetrics metrics, Functions functions) {
            this.functions = functions;
            this.settings = settings;
            this.index = index;
            this.signer = new TenantHeaders(settings.headerKey());
            this.upstreams = upstreams;
            this.metrics = metrics;
        }

        /** The tenant's gateway state for exactly this context, rebuilt when the context changed. */
        TenantState state(TenantContext context) {
            TenantState state = states.get(context.id());
            if (state != null && state.context == context) {
                return state;
            }
            return states.compute(context.id(), (id, previous) -> previous != null && previous.context == context
                    ? previous : TenantState.of(context, previous, upstreams, metrics));
        }

        /** Whether {@code ip} is a trusted front proxy's, whose tenant and forwarding headers are believed. */
        boolean trusts(String ip) {
            for (Cidr cidr : settings.trustedProxies()) {
                if (cidr.contains(ip)) {
                    return true;
                }
            }
            return false;
        }
    }

    private Gateway(GatewayServer server, Upstreams upstreams) {
        this.server = server;
        this.upstreams = upstreams;
    }

    /**
     * Where {@code /fn/<name>} requests go: this node's invoker, or none ({@code unavailable} is
     * the reason the caller's 503 gives).
     */
    public record Functions(Optional<Invoker> invoker, String unavailable) {
        public static Functions none(String why) {
            return new Functions(Optional.empty(), why);
        }
    }

    /** Binds the gateway's port on {@code vertx}'s event loops and starts serving. */
    public static Gateway start(Vertx vertx, ContextIndex index, GatewaySettings settings, MeterRegistry registry,
                                Functions functions) {
        Upstreams upstreams = new Upstreams(vertx);
        Shared shared = new Shared(settings, index, upstreams, new GatewayMetrics(registry, settings.metricsTenants()), functions);
        index.addListener((before, after) -> {
            if (after == null && before != null) {
                shared.states.remove(before.id());
            } else if (after != null && (hasHealthChecks(after) || functionActivated(before, after))) {
                // Compiled now: its upstreams' health is known before the first request, and a function's
                // first request (a cold start) does not build the tenant's state on its way.
                shared.state(after);
            }
        });
        index.tenants().stream().filter(Gateway::hasHealthChecks).forEach(shared::state);
        try {
            return new Gateway(GatewayServer.start(vertx, shared), upstreams);
        } catch (RuntimeException e) {
            upstreams.close();
            throw e;
        }
    }

    /** A version of one of the tenant's functions became active (a deploy or a rollback). */
    private static boolean functionActivated(TenantContext before, TenantContext after) {
        return !after.functions().isEmpty() && (before == null || !before.functions().equals(after.functions()));
    }

    private static boolean hasHealthChecks(TenantContext context) {
        return context.routes().stream().anyMatch(r -> r.healthCheck() != null);
    }

    /** The port the gateway listens on. */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            upstreams.close();
        }
    }
}
