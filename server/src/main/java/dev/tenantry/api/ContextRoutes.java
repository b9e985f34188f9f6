package dev.tenantry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.context.ContextFeed;
import dev.tenantry.context.ContextService;
import dev.tenantry.sdk.context.ContextChange;
import dev.tenantry.sdk.context.TenantContext;
import dev.tenantry.sdk.context.TenantHeaders;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/context}: tenant contexts for services in any language. Lookups answer from this
 * node's memory (no I/O); the change stream is Server-Sent Events, resumable from any number.
 */
final class ContextRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(ContextRoutes.class);
    static final long HEARTBEAT_MS = 15_000;
    private static final int CATCH_UP_BATCH = 2_000;
    private final ContextService contexts;
    private final byte[] headerKey;
    private final Executor blocking;
    private final java.util.Map<String, Serialized> serialized = new java.util.concurrent.ConcurrentHashMap<>();

    ContextRoutes(ContextService contexts, byte[] headerKey, Executor blocking) {
        this.contexts = contexts;
        this.headerKey = headerKey.clone();
        this.blocking = blocking;
    }

    void register(ApiRouter r) {
        // Lookups by a token proven moments ago that find a tenant are answered before the router
        // (ApiRouter.lookUpDirectly: counted in the metrics, no access-log line); these routes answer the rest.
        r.handle(HttpMethod.GET, "/v1/context/by-host/:host", c -> found("host", c.path("host")));
        r.handle(HttpMethod.GET, "/v1/context/by-id/:id", c -> found("id", c.path("id")));
        r.handle(HttpMethod.GET, "/v1/context/by-slug/:slug", c -> found("slug", c.path("slug")));
        r.handle(HttpMethod.GET, "/v1/context/snapshot", c -> Reply.ok(contexts.index().snapshot()));
        r.handle(HttpMethod.GET, "/v1/context/status", c -> Reply.ok(status()));
        r.handle(HttpMethod.POST, "/v1/context/resync", this::resync);
        r.handle(HttpMethod.GET, "/v1/context/header-key", c -> {
            c.requireAdmin("the header key lets its holder forge tenant headers");
            return Reply.ok(Map.of("key", Base64.getUrlEncoder().withoutPadding().encodeToString(headerKey),
                    "algorithm", "HMAC-SHA256",
                    "headers", List.of(TenantHeaders.ID, TenantHeaders.SLUG, TenantHeaders.TIER, TenantHeaders.TIME,
                            TenantHeaders.SIGNATURE)));
        });
        r.handleStream(HttpMethod.GET, "/v1/context/changes", this::changes);
    }

    static final String LOOKUP_PREFIX = "/v1/context/by-";

    /** A found context's JSON and the route template it was found by (for the metrics). */
    record Lookup(String route, String json) {
    }

    /** The context a lookup path names, or null when the path is not a lookup or nothing is found. */
    Lookup lookUp(String path) {
        for (String[] lookup : LOOKUPS) {
            if (path.startsWith(lookup[1])) {
                TenantContext found = find(lookup[0], decoded(path, lookup[1]));
                return found == null ? null : new Lookup(lookup[2], json(found));
            }
        }
        return null;
    }

    /** By what, the path prefix, the route template (for the metrics). */
    private static final String[][] LOOKUPS = {
        {"host", LOOKUP_PREFIX + "host/", LOOKUP_PREFIX + "host/:host"},
        {"id", LOOKUP_PREFIX + "id/", LOOKUP_PREFIX + "id/:id"},
        {"slug", LOOKUP_PREFIX + "slug/", LOOKUP_PREFIX + "slug/:slug"}};

    /** The live tenant with this host (any case, with or without a port), id or slug; null when none. */
    private TenantContext find(String by, String value) {
        return switch (by) {
            case "host" -> contexts.index().host(value);
            case "id" -> contexts.index().byId(value).orElse(null);
            default -> contexts.index().bySlug(value).orElse(null);
        };
    }

    private static String decoded(String path, String prefix) {
        String rest = path.substring(prefix.length());
        return rest.indexOf('%') < 0 ? rest : java.net.URLDecoder.decode(rest.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }

    private Reply found(String by, String value) {
        TenantContext found = find(by, value);
        if (found == null) {
            throw new CatalogException.NotFound("live tenant with the " + by, value.length() > 64 ? value.substring(0, 64) + "…" : value);
        }
        return Reply.ok(new ApiRouter.RawJson(json(found)));
    }

    /** The context as JSON, written once per context version (lookups of a hot tenant cost no serialisation). */
    private String json(TenantContext context) {
        Serialized cached = serialized.get(context.id());
        if (cached != null && cached.context() == context) {
            return cached.json();
        }
        try {
            String text = ApiRouter.JSON.writeValueAsString(context);
            if (serialized.size() > 100_000) {
                serialized.clear(); // bounded: more live tenants than this just serialise more often
            }
            serialized.put(context.id(), new Serialized(context, text));
            return text;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Serialized(TenantContext context, String json) {
    }

    private Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("seq", contexts.index().seq());
        out.put("tenants", contexts.index().size());
        out.put("connected", contexts.follower().connected());
        out.put("snapshots", contexts.follower().snapshots());
        out.put("reconnects", contexts.follower().reconnects());
        out.put("lastError", contexts.follower().lastError().orElse(null));
        return out;
    }

    private Reply resync(Call c) {
        c.requireWrite();
        try {
            long seq = contexts.resync();
            LOG.atInfo().addKeyValue("seq", seq).log("tenant contexts rebuilt from the catalog by {}", c.actor().name());
            return Reply.ok(Map.of("seq", seq));
        } catch (SQLException e) {
            throw new IllegalStateException("the resync failed: " + e.getMessage(), e);
        }
    }

    /** The position a stream resumes after: {@code ?after=N}, else {@code Last-Event-ID}, else 0. */
    private static long after(Call c) {
        Optional<String> text = c.query("after").or(() -> c.header("Last-Event-ID"));
        if (text.isEmpty() || text.get().isBlank()) {
            return 0;
        }
        try {
            long after = Long.parseLong(text.get().trim());
            if (after < 0) {
                throw new NumberFormatException();
            }
            return after;
        } catch (NumberFormatException e) {
            throw ApiException.BadRequest.of(c.query("after").isPresent() ? "after" : "Last-Event-ID",
                    "must be a change number (an integer >= 0)");
        }
    }

    private void changes(Call c, HttpServerResponse response) {
        long after = after(c);
        response.setChunked(true).setStatusCode(200)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
        new Stream(Vertx.currentContext(), response, after).start();
    }

    /**
     * One client's change stream: live changes are held back while the backlog is read from the
     * feed, then sent in order; anything that breaks the order ends the stream with a resync event.
     */
    private final class Stream {
        private final Context context;
        private final HttpServerResponse response;
        private final ArrayDeque<ContextChange> held = new ArrayDeque<>();
        private final Consumer<ContextChange> subscriber;
        private long sent;
        private boolean live;
        private boolean closed;
        private long heartbeat;

        Stream(Context context, HttpServerResponse response, long after) {
            this.context = context;
            this.response = response;
            this.sent = after;
            this.subscriber = change -> context.runOnContext(v -> onChange(change));
        }

        void start() {
            contexts.follower().subscribe(subscriber);
            response.closeHandler(v -> close());
            response.write(": stream of tenant context changes after " + sent + "\n\n");
            heartbeat = context.owner().setPeriodic(HEARTBEAT_MS, id -> {
                if (!closed) {
                    response.write(": ping\n\n");
                }
            });
            blocking.execute(this::catchUp);
        }

        private void catchUp() {
            try (Connection c = contexts.connection()) {
                long last = ContextFeed.lastSeq(c);
                if (sent > last) { // the client is ahead of this feed (another database?)
                    context.runOnContext(v -> resync());
                    return;
                }
                long position = sent;
                while (position < last) {
                    List<ContextChange> batch = ContextFeed.changesAfter(c, position, CATCH_UP_BATCH);
                    if (batch.isEmpty() || batch.getFirst().seq() != position + 1) { // pruned past it
                        context.runOnContext(v -> resync());
                        return;
                    }
                    position = batch.getLast().seq();
                    context.runOnContext(v -> batch.forEach(this::send));
                }
                context.runOnContext(v -> goLive());
            } catch (SQLException | RuntimeException e) {
                LOG.warn("a change stream could not catch up: {}", e.getMessage());
                context.runOnContext(v -> close());
            }
        }

        private void goLive() {
            live = true;
            while (!held.isEmpty() && !closed) {
                onChange(held.poll());
            }
        }

        private void onChange(ContextChange change) {
            if (closed) {
                return;
            }
            if (!live) {
                held.add(change);
                return;
            }
            if (ContextChange.RESYNC.equals(change.entity())) { // this node reloaded its snapshot
                resync();
            } else if (change.seq() == sent + 1) {
                send(change);
            } else if (change.seq() > sent + 1) {
                resync();
            }
        }

        private void send(ContextChange change) {
            if (closed || change.seq() != sent + 1) {
                return;
            }
            if (ContextChange.RESYNC.equals(change.entity())) {
                resync();
                return;
            }
            if (response.writeQueueFull()) { // a client this slow reconnects and resumes
                close();
                return;
            }
            response.write("id: " + change.seq() + "\nevent: change\ndata: " + json(change) + "\n\n");
            sent = change.seq();
        }

        private void resync() {
            if (!closed) {
                response.write("event: resync\ndata: {\"seq\":" + contexts.index().seq() + "}\n\n");
                close();
            }
        }

        private void close() {
            if (closed) {
                return;
            }
            closed = true;
            contexts.follower().unsubscribe(subscriber);
            context.owner().cancelTimer(heartbeat);
            if (!response.ended() && !response.closed()) {
                response.end();
            }
        }
    }

    private static String json(ContextChange change) {
        try {
            return ApiRouter.JSON.writeValueAsString(change);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
