package dev.tenantry.gateway;

import dev.tenantry.sdk.context.TenantContext;
import dev.tenantry.sdk.context.TenantHeaders;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's gateway server: resolve the tenant, refuse what must be refused, check the
 * API key, take a token, then proxy (HTTP with streaming bodies, or WebSocket frames).
 * Everything here runs on the event loop and never blocks.
 */
final class GatewayVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);
    /** Hop-by-hop headers (RFC 9110 7.6.1) and the ones the gateway sets itself. */
    private static final Set<String> NOT_FORWARDED = caseInsensitive("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "expect",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
            TenantHeaders.ID, TenantHeaders.SLUG, TenantHeaders.TIER, TenantHeaders.TIME, TenantHeaders.SIGNATURE);
    private static final Set<String> NOT_RETURNED = caseInsensitive("connection", "keep-alive", "proxy-authenticate",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");
    private static final Set<String> WEBSOCKET_OWN = caseInsensitive("sec-websocket-key", "sec-websocket-version",
            "sec-websocket-extensions", "sec-websocket-protocol", "sec-websocket-accept");
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);
    /** Bodies up to this size (with a Content-Length) are relayed whole rather than streamed. */
    private static final int SMALL_BODY = 16 * 1024;
    /** Where tenants' functions are served: {@code <tenant host>/fn/<name>}. */
    private static final String FUNCTIONS = "/fn/";
    private final Gateway.Shared shared;
    private final String tenantHeader;
    private String forwardedPort;
    private HttpClient client;
    private WebSocketClient webSockets;
    private HttpServer server;

    /** Header names compared without regard to case, and without allocating on lookups. */
    private static Set<String> caseInsensitive(String... names) {
        java.util.TreeSet<String> set = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(java.util.Arrays.asList(names));
        return java.util.Collections.unmodifiableSet(set);
    }

    GatewayVerticle(Gateway.Shared shared) {
        this.shared = shared;
        this.tenantHeader = shared.settings.tenantHeader();
    }

    @Override
    public Future<?> start() {
        GatewaySettings s = shared.settings;
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setKeepAliveTimeout(60)
                        .setTcpNoDelay(true).setDecompressionSupported(false).setMaxHeaderSize(s.maxHeaderBytes()),
                new PoolOptions().setHttp1MaxSize(512).setMaxWaitQueueSize(10_000));
        webSockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20)
                .setMaxMessageSize(16 << 20));
        server = vertx.createHttpServer(new HttpServerOptions().setHost(s.host()).setPort(s.port())
                .setMaxHeaderSize(s.maxHeaderBytes()).setMaxInitialLineLength(8 * 1024)
                .setIdleTimeout((int) Math.max(1, s.idleTimeout().toSeconds())).setTcpNoDelay(true)
                .setHandle100ContinueAutomatically(true).setCompressionSupported(false)
                .setMaxWebSocketFrameSize(1 << 20).setMaxWebSocketMessageSize(16 << 20)
                .setHttp2ClearTextEnabled(false)); // HTTP/1.1 to clients for now: h2c upgrade offers are declined
        server.requestHandler(this::handle);
        return server.listen().onSuccess(bound -> {
            shared.port.compareAndSet(0, bound.actualPort());
            forwardedPort = Integer.toString(bound.actualPort());
        });
    }

    @Override
    public Future<?> stop() {
        return server.close().eventually(() -> client.close()).eventually(() -> webSockets.close());
    }

    private void handle(HttpServerRequest req) {
        long started = System.nanoTime();
        if (hasBody(req) || req.getHeader(HttpHeaders.UPGRADE) != null) {
            req.pause(); // the body (or the upgrade) waits until an upstream is ready for it; bodiless requests
        }                // are not paused: pausing and resuming a connection's reads costs system calls
        TenantContext context = resolve(req);
        if (context == null) {
            shared.metrics.unknownHost();
            Answers.notFound(req);
            return;
        }
        TenantState state = shared.state(context);
        switch (context.status()) {
            case "active" -> serve(req, state, started);
            case "provisioning" -> record(state, started, Answers.provisioning(req));
            case "suspended" -> record(state, started, Answers.suspended(req));
            case "failed" -> record(state, started, Answers.unavailable(req));
            default -> Answers.notFound(req); // deleting: gone as far as its users are concerned
        }
    }

    private static boolean hasBody(HttpServerRequest req) {
        String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        return req.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || (length != null && !length.equals("0"));
    }

    /** By the trusted front proxy's header (only from its addresses), else by the Host header. */
    private TenantContext resolve(HttpServerRequest req) {
        String named = req.getHeader(tenantHeader);
        if (named != null && trusted(req)) {
            TenantContext bySlug = shared.index.bySlug(named).orElse(null);
            return bySlug != null ? bySlug : shared.index.byId(named).orElse(null);
        }
        return shared.index.host(req.getHeader(HttpHeaders.HOST));
    }

    private boolean trusted(HttpServerRequest req) {
        List<Cidr> trusted = shared.settings.trustedProxies();
        if (trusted.isEmpty() || req.remoteAddress() == null) {
            return false;
        }
        String ip = req.remoteAddress().hostAddress();
        for (Cidr cidr : trusted) {
            if (cidr.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    private void serve(HttpServerRequest req, TenantState state, long started) {
        String path = req.path() == null ? "/" : req.path();
        if (path.startsWith(FUNCTIONS)) {
            function(req, state, path, started);
            return;
        }
        TenantState.CompiledRoute route = state.route(path);
        if (route == null) {
            record(state, started, Answers.noRoute(req));
            return;
        }
        String keyHeader = null;
        if (route.apiKey) {
            String secret = req.getHeader("X-Api-Key");
            keyHeader = "x-api-key";
            if (secret == null) {
                String auth = req.getHeader(HttpHeaders.AUTHORIZATION);
                if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                    secret = auth.substring(7).trim();
                    keyHeader = "authorization";
                }
            }
            if (secret == null) {
                record(state, started, Answers.unauthenticated(req, "this route needs an API key: X-Api-Key: <key> or Authorization: Bearer <key>"));
                return;
            }
            if (state.authenticate(secret, System.currentTimeMillis()) == null) {
                record(state, started, Answers.unauthenticated(req, "the API key is unknown, revoked or expired"));
                return;
            }
        }
        Limiter.Verdict verdict = admit(req, state, started);
        if (verdict == null) {
            return;
        }
        if (req.canUpgradeToWebSocket()) {
            webSocket(req, state, route, keyHeader, verdict);
        } else {
            forward(req, state, route, keyHeader, verdict, started, 0, null);
        }
    }

    /** Takes a token from the tenant's bucket; when there is none, answers 429 and returns null. */
    private static Limiter.Verdict admit(HttpServerRequest req, TenantState state, long started) {
        Limiter.Verdict verdict = state.limiter.check();
        if (!verdict.allowed()) {
            state.meters.throttled.increment();
            record(state, started, Answers.throttled(req, verdict));
            return null;
        }
        return verdict;
    }

    /** {@code /fn/<name>[/...]}: the tenant's function, under its plan's rate limit and quota. */
    private void function(HttpServerRequest req, TenantState state, String path, long started) {
        int end = path.indexOf('/', FUNCTIONS.length());
        String name = end < 0 ? path.substring(FUNCTIONS.length()) : path.substring(FUNCTIONS.length(), end);
        if (name.isEmpty()) {
            record(state, started, Answers.noRoute(req));
            return;
        }
        Limiter.Verdict verdict = admit(req, state, started);
        if (verdict == null) {
            return;
        }
        if (shared.functions.invoker().isEmpty()) {
            record(state, started, Answers.functionsUnavailable(req, shared.functions.unavailable()));
            return;
        }
        Answers.rateLimitHeaders(req.response().headers(), verdict);
        shared.functions.invoker().get().invoke(state.context, name, req,
                status -> state.meters.record(status, System.nanoTime() - started, req.bytesRead(), req.response().bytesWritten()));
    }

    private static void record(TenantState state, long started, int status) {
        state.meters.record(status, System.nanoTime() - started, 0, 0);
    }

    /** Power of two choices (or the least loaded of all) among available upstreams, avoiding {@code not}. */
    private static Upstream pick(TenantState.CompiledRoute route, Upstream not) {
        Upstream[] all = route.upstreams;
        if (all.length == 1) {
            return all[0];
        }
        List<Upstream> candidates = new ArrayList<>(all.length);
        for (Upstream u : all) {
            if (u != not && u.available()) {
                candidates.add(u);
            }
        }
        if (candidates.isEmpty()) {
            for (Upstream u : all) {
                if (u != not) {
                    candidates.add(u);
                }
            }
        }
        if (candidates.isEmpty()) {
            return all[0];
        }
        if (route.leastLoaded) {
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

    private String upstreamUri(HttpServerRequest req, TenantState.CompiledRoute route, Upstream upstream) {
        String uri = req.uri();
        if (uri.isEmpty() || uri.charAt(0) != '/') { // absolute-form: keep path and query only
            String path = req.path() == null ? "/" : req.path();
            uri = req.query() == null ? path : path + "?" + req.query();
        }
        if (route.route.stripPrefix() && !route.prefix.equals("/")) {
            String rest = uri.substring(Math.min(uri.length(), route.prefix.length()));
            uri = rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest;
        }
        return upstream.basePath.isEmpty() ? uri : upstream.basePath + uri;
    }

    /** The request's headers as the upstream gets them: hop-by-hop and spoofable ones dropped, forwarding and tenant headers added. */
    private MultiMap upstreamHeaders(HttpServerRequest req, TenantState state, Upstream upstream, String keyHeader,
                                     boolean webSocket) {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        String connectionTokens = req.getHeader(HttpHeaders.CONNECTION);
        for (Map.Entry<String, String> h : req.headers()) {
            String name = h.getKey();
            if (NOT_FORWARDED.contains(name) || name.equalsIgnoreCase(keyHeader) || name.equalsIgnoreCase(tenantHeader)
                    || (webSocket && WEBSOCKET_OWN.contains(name))
                    || (connectionTokens != null && listed(connectionTokens, name))) {
                continue;
            }
            out.add(h.getKey(), h.getValue());
        }
        out.set(HttpHeaders.HOST, upstream.hostHeader);
        String remote = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
        boolean fromTrustedProxy = trusted(req);
        String priorFor = fromTrustedProxy ? req.getHeader("X-Forwarded-For") : null;
        out.set("X-Forwarded-For", priorFor == null ? remote : priorFor + ", " + remote);
        String priorProto = fromTrustedProxy ? req.getHeader("X-Forwarded-Proto") : null; // e.g. a TLS-terminating front proxy
        out.set("X-Forwarded-Proto", priorProto != null ? priorProto : req.scheme() == null ? "http" : req.scheme());
        String host = req.getHeader(HttpHeaders.HOST);
        if (host != null) {
            out.set("X-Forwarded-Host", host);
        }
        out.set("X-Forwarded-Port", forwardedPort);
        TenantContext c = state.context;
        long now = System.currentTimeMillis() / 1000;
        out.set(TenantHeaders.ID, c.id());
        out.set(TenantHeaders.SLUG, c.slug());
        out.set(TenantHeaders.TIER, c.tier());
        out.set(TenantHeaders.TIME, Long.toString(now));
        out.set(TenantHeaders.SIGNATURE, state.signature(shared.signer, now));
        return out;
    }

    private static boolean listed(String connectionHeader, String name) {
        for (String token : connectionHeader.split(",")) {
            if (token.trim().equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private void forward(HttpServerRequest req, TenantState state, TenantState.CompiledRoute route, String keyHeader,
                         Limiter.Verdict verdict, long started, int attempt, Upstream avoid) {
        Upstream upstream = pick(route, avoid);
        upstream.inFlight.incrementAndGet();
        upstream.requests.incrementAndGet();
        String contentLength = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        boolean chunked = req.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
        boolean hasBody = chunked || (contentLength != null && !contentLength.equals("0"));
        RequestOptions options = new RequestOptions().setMethod(req.method()).setHost(upstream.host).setPort(upstream.port)
                .setSsl(upstream.ssl).setURI(upstreamUri(req, route, upstream))
                .setConnectTimeout(route.route.connectTimeoutMs()).setIdleTimeout(route.route.timeoutMs())
                .setHeaders(upstreamHeaders(req, state, upstream, keyHeader, false));
        if (contentLength != null && !chunked) {
            options.putHeader(HttpHeaders.CONTENT_LENGTH, contentLength);
        }
        client.request(options).onComplete(connected -> {
            if (connected.failed()) {
                upstream.inFlight.decrementAndGet();
                upstream.eject();
                if (attempt < route.route.retries() && route.upstreams.length > 1) {
                    forward(req, state, route, keyHeader, verdict, started, attempt + 1, upstream); // nothing was sent yet
                } else {
                    failed(req, state, started, upstream, connected.cause(), true);
                }
                return;
            }
            HttpClientRequest upstreamRequest = connected.result();
            if (chunked) {
                upstreamRequest.setChunked(true);
            }
            Future<HttpClientResponse> response;
            response = hasBody ? upstreamRequest.send(req) : upstreamRequest.send();
            response.onComplete(answered -> {
                if (answered.failed()) {
                    upstream.inFlight.decrementAndGet();
                    if (!hasBody && IDEMPOTENT.contains(req.method()) && attempt < route.route.retries()
                            && route.upstreams.length > 1 && !(answered.cause() instanceof TimeoutException)
                            && !req.response().headWritten()) {
                        forward(req, state, route, keyHeader, verdict, started, attempt + 1, upstream);
                    } else {
                        failed(req, state, started, upstream, answered.cause(), false);
                    }
                    return;
                }
                relay(req, state, upstream, upstreamRequest, answered.result(), verdict, started);
            });
        });
    }

    private void relay(HttpServerRequest req, TenantState state, Upstream upstream, HttpClientRequest upstreamRequest,
                       HttpClientResponse upstreamResponse, Limiter.Verdict verdict, long started) {
        HttpServerResponse res = req.response();
        if (res.closed()) {
            upstream.inFlight.decrementAndGet();
            upstreamRequest.reset();
            return;
        }
        res.setStatusCode(upstreamResponse.statusCode());
        String connectionTokens = upstreamResponse.getHeader(HttpHeaders.CONNECTION);
        MultiMap headers = res.headers();
        for (Map.Entry<String, String> h : upstreamResponse.headers()) {
            String name = h.getKey();
            if (!NOT_RETURNED.contains(name) && (connectionTokens == null || !listed(connectionTokens, name))) {
                headers.add(h.getKey(), h.getValue());
            }
        }
        if (upstreamResponse.getHeader(HttpHeaders.CONTENT_LENGTH) == null && req.method() != HttpMethod.HEAD
                && upstreamResponse.statusCode() != 204 && upstreamResponse.statusCode() != 304) {
            res.setChunked(true);
        }
        Answers.rateLimitHeaders(headers, verdict);
        int status = upstreamResponse.statusCode();
        upstreamResponse.exceptionHandler(e -> { }); // the pipe's outcome below handles failures
        String length = upstreamResponse.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && length.length() <= 5 && Integer.parseInt(length) <= SMALL_BODY) {
            // A small body of known length: take it whole and answer in one write (as nginx's proxy buffering does).
            upstreamResponse.body().onComplete(body -> {
                upstream.inFlight.decrementAndGet();
                if (body.failed()) {
                    upstreamRequest.reset();
                    res.reset();
                    state.meters.record(502, System.nanoTime() - started, req.bytesRead(), 0);
                    return;
                }
                res.end(body.result());
                state.meters.record(status, System.nanoTime() - started, req.bytesRead(), body.result().length());
            });
            return;
        }
        upstreamResponse.pipe().endOnFailure(false).to(res).onComplete(piped -> {
            upstream.inFlight.decrementAndGet();
            if (piped.failed()) { // the upstream died mid-response, or the client left: cut the other side too
                upstreamRequest.reset();
                res.reset();
                LOG.atDebug().addKeyValue("tenant", state.context.slug()).addKeyValue("upstream", upstream.url)
                        .log("response cut: {}", piped.cause().toString());
                state.meters.record(502, System.nanoTime() - started, req.bytesRead(), res.bytesWritten());
                return;
            }
            state.meters.record(status, System.nanoTime() - started, req.bytesRead(), res.bytesWritten());
        });
    }

    private void failed(HttpServerRequest req, TenantState state, long started, Upstream upstream, Throwable cause,
                        boolean connecting) {
        LOG.atDebug().addKeyValue("tenant", state.context.slug()).addKeyValue("upstream", upstream.url)
                .log("upstream failed: {}", cause.toString());
        if (req.response().headWritten() || req.response().closed()) {
            req.response().reset();
            return;
        }
        req.resume();
        boolean timedOut = cause instanceof TimeoutException
                || (cause.getMessage() != null && cause.getMessage().toLowerCase(Locale.ROOT).contains("timeout"));
        int status = timedOut && !connecting ? Answers.upstreamTimeout(req) : Answers.badGateway(req, connecting);
        record(state, started, status);
    }

    private void webSocket(HttpServerRequest req, TenantState state, TenantState.CompiledRoute route, String keyHeader,
                           Limiter.Verdict verdict) {
        Upstream upstream = pick(route, null);
        List<String> protocols = new ArrayList<>();
        String offered = req.getHeader("Sec-WebSocket-Protocol");
        if (offered != null) {
            for (String p : offered.split(",")) {
                if (!p.isBlank()) {
                    protocols.add(p.trim());
                }
            }
        }
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(upstream.host).setPort(upstream.port)
                .setSsl(upstream.ssl).setURI(upstreamUri(req, route, upstream))
                .setConnectTimeout(route.route.connectTimeoutMs()).setSubProtocols(protocols)
                .setHeaders(upstreamHeaders(req, state, upstream, keyHeader, true));
        upstream.inFlight.incrementAndGet();
        webSockets.connect(options).onComplete(connected -> {
            if (connected.failed()) {
                upstream.inFlight.decrementAndGet();
                upstream.eject();
                failed(req, state, System.nanoTime(), upstream, connected.cause(), true);
                return;
            }
            WebSocket back = connected.result();
            req.resume();
            req.toWebSocket().onComplete(accepted -> {
                if (accepted.failed()) {
                    upstream.inFlight.decrementAndGet();
                    back.close();
                    return;
                }
                ServerWebSocket front = accepted.result();
                state.meters.record(101, 0, 0, 0);
                relayFrames(front, back, upstream);
            });
        });
    }

    private static void relayFrames(ServerWebSocket front, WebSocket back, Upstream upstream) {
        front.frameHandler(frame -> forwardFrame(frame, front, back));
        back.frameHandler(frame -> forwardFrame(frame, back, front));
        front.closeHandler(v -> {
            upstream.inFlight.decrementAndGet();
            Short code = front.closeStatusCode();
            back.close(code == null ? (short) 1000 : code, front.closeReason());
        });
        back.closeHandler(v -> {
            Short code = back.closeStatusCode();
            front.close(code == null ? (short) 1000 : code, back.closeReason());
        });
        front.exceptionHandler(e -> back.close());
        back.exceptionHandler(e -> front.close());
    }

    /** Relays a data frame; a reader that falls behind pauses the sender until it drains (back-pressure). */
    private static void forwardFrame(WebSocketFrame frame, io.vertx.core.http.WebSocketBase from, io.vertx.core.http.WebSocketBase to) {
        if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
            to.writeFrame(frame);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        }
    }
}
