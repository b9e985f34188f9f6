package dev.tenantry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.catalog.AdminToken;
import dev.tenantry.catalog.AdminTokens;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Builds the router. Every endpoint runs on a virtual thread (blocking JDBC is fine there); the
 * reply is written back on the Vert.x context. Request ids, authentication, metrics, access log
 * and problem+json for every failure are applied here, once, for all routes.
 */
final class ApiRouter {
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.tenantry.api.access");
    private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();
    static final ObjectMapper JSON = new ObjectMapper();

    private final Router router;
    private final Executor handlers;
    private final AdminTokens tokens;
    private final MeterRegistry registry;
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

    /** A body already in its final form (e.g. a replayed answer, or the Prometheus text). */
    record Raw(String contentType, String text) {}

    /** A JSON text already serialised. */
    record RawJson(String json) {}

    ApiRouter(Vertx vertx, Executor handlers, AdminTokens tokens, MeterRegistry registry, long bodyLimit) {
        this.router = Router.router(vertx);
        this.handlers = handlers;
        this.tokens = tokens;
        this.registry = registry;
        router.route().handler(this::begin);
        BodyHandler bodies = BodyHandler.create(false).setBodyLimit(bodyLimit);
        // Function deploys carry their code (a base64 bundle): they may be larger than other requests.
        BodyHandler deploys = BodyHandler.create(false).setBodyLimit(Math.max(bodyLimit, FunctionRoutes.MAX_DEPLOY_BYTES));
        router.route("/v1/*").handler(ctx -> (FunctionRoutes.isDeploy(ctx.request()) ? deploys : bodies).handle(ctx));
        router.route().failureHandler(this::failed);
        for (int status : new int[] {404, 405, 413, 431, 400}) {
            router.errorHandler(status, ctx -> writeProblem(ctx, Problems.forStatus(status, ctx.request().method().name(), ctx.request().path())));
        }
    }

    Router router() {
        return router;
    }

    /** An authenticated route. */
    void handle(HttpMethod method, String path, Endpoint endpoint) {
        route(method, path).handler(ctx -> dispatch(ctx, endpoint, true));
    }

    /**
     * An authenticated route that answers with a stream it writes itself (Server-Sent Events):
     * the caller is authenticated on a virtual thread, then {@code stream} runs on the event loop.
     * The access log line is written when the stream ends.
     */
    void handleStream(HttpMethod method, String path, StreamEndpoint stream) {
        route(method, path).handler(ctx -> {
            Context context = Vertx.currentContext();
            handlers.execute(() -> {
                try {
                    ctx.put(Call.TOKEN, authenticate(ctx));
                    context.runOnContext(v -> {
                        try {
                            ctx.response().endHandler(e -> finish(ctx, ctx.response().getStatusCode()));
                            ctx.response().closeHandler(e -> finish(ctx, ctx.response().getStatusCode()));
                            stream.open(new Call(ctx), ctx.response());
                        } catch (RuntimeException failure) {
                            write(ctx, problemReply(ctx, Problems.of(failure)));
                        }
                    });
                } catch (RuntimeException failure) {
                    Reply reply = problemReply(ctx, Problems.of(failure));
                    context.runOnContext(v -> write(ctx, reply));
                }
            });
        });
    }

    /**
     * The hot path for services that ask "which tenant is this": a context lookup by a caller whose
     * token was proven moments ago is answered here, before the router, with the same headers and
     * metrics. Anything else (an unknown token, a miss, another path) goes through the router.
     */
    boolean lookUpDirectly(io.vertx.core.http.HttpServerRequest req, ContextRoutes contexts) {
        String path = req.path();
        if (req.method() != HttpMethod.GET || path == null || !path.startsWith(ContextRoutes.LOOKUP_PREFIX)) {
            return false;
        }
        Optional<AdminToken> token = bearer(req.getHeader("Authorization")).flatMap(tokens::remembered);
        if (token.isEmpty()) {
            return false;
        }
        long started = System.nanoTime();
        ContextRoutes.Lookup lookup = contexts.lookUp(path);
        if (lookup == null) {
            return false;
        }
        String requestId = Optional.ofNullable(req.getHeader("X-Request-Id")).filter(id -> CLIENT_REQUEST_ID.matcher(id).matches())
                .orElseGet(ApiRouter::newRequestId);
        req.response().putHeader("X-Request-Id", requestId).putHeader("Cache-Control", "no-store")
                .putHeader("Content-Type", "application/json").end(lookup.json());
        timer("GET", lookup.route(), 200).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        return true;
    }

    /** Opens a response stream on the event loop. */
    interface StreamEndpoint {
        void open(Call call, HttpServerResponse response);
    }

    private static Optional<String> bearer(String header) {
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? Optional.of(header.substring(7).trim()) : Optional.empty();
    }

    /** A route anyone may call (health, metrics, the OpenAPI document). */
    void handlePublic(HttpMethod method, String path, Endpoint endpoint) {
        route(method, path).handler(ctx -> dispatch(ctx, endpoint, false));
    }

    private Route route(HttpMethod method, String path) {
        return router.route(method, path);
    }

    private void begin(RoutingContext ctx) {
        String requestId = Optional.ofNullable(ctx.request().getHeader("X-Request-Id"))
                .filter(id -> CLIENT_REQUEST_ID.matcher(id).matches())
                .orElseGet(ApiRouter::newRequestId);
        ctx.put(Call.REQUEST_ID, requestId);
        ctx.put("tenantry.start", System.nanoTime());
        ctx.response().putHeader("X-Request-Id", requestId);
        ctx.next();
    }

    private static String newRequestId() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return "req_" + HexFormat.of().formatHex(bytes);
    }

    private void dispatch(RoutingContext ctx, Endpoint endpoint, boolean authenticated) {
        Context context = Vertx.currentContext();
        handlers.execute(() -> {
            MDC.put("requestId", ctx.get(Call.REQUEST_ID));
            Reply reply;
            try {
                if (authenticated) {
                    ctx.put(Call.TOKEN, authenticate(ctx));
                }
                reply = endpoint.handle(new Call(ctx));
            } catch (Throwable failure) {
                Problem problem = Problems.of(failure);
                reply = problemReply(ctx, problem);
            } finally {
                MDC.remove("requestId");
            }
            Reply answer = reply;
            context.runOnContext(v -> write(ctx, answer));
        });
    }

    private AdminToken authenticate(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null || header.isBlank()) {
            throw new ApiException.Unauthenticated("this API needs an admin token: Authorization: Bearer <token> (see 'tenantry token')");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiException.Unauthenticated("the Authorization header must use the Bearer scheme");
        }
        return tokens.authenticate(header.substring(7).trim())
                .orElseThrow(() -> new ApiException.Unauthenticated("the token is unknown, malformed or revoked"));
    }

    private static Reply problemReply(RoutingContext ctx, Problem problem) {
        Reply reply = new Reply(problem.status(), Map.of(),
                Optional.of(new Raw("application/problem+json", write(Problems.json(problem, ctx.request().path(), ctx.get(Call.REQUEST_ID))))));
        return problem.status() == 401 ? reply.withHeader("WWW-Authenticate", "Bearer realm=\"tenantry\"") : reply;
    }

    private void failed(RoutingContext ctx) {
        Problem problem = ctx.failure() != null && !(ctx.failure() instanceof io.vertx.ext.web.handler.HttpException)
                ? Problems.of(ctx.failure())
                : Problems.forStatus(ctx.statusCode() < 0 ? 500 : ctx.statusCode(), ctx.request().method().name(), ctx.request().path());
        writeProblem(ctx, problem);
    }

    private void writeProblem(RoutingContext ctx, Problem problem) {
        if (ctx.get(Call.REQUEST_ID) == null) {
            ctx.put(Call.REQUEST_ID, newRequestId());
        }
        write(ctx, problemReply(ctx, problem));
    }

    private void write(RoutingContext ctx, Reply reply) {
        HttpServerResponse response = ctx.response();
        if (response.ended()) {
            return;
        }
        response.setStatusCode(reply.status());
        reply.headers().forEach(response::putHeader);
        response.putHeader("Cache-Control", "no-store");
        if (reply.body().isEmpty()) {
            response.end();
        } else {
            Object body = reply.body().get();
            switch (body) {
                case Raw raw -> response.putHeader("Content-Type", raw.contentType()).end(raw.text());
                case RawJson raw -> response.putHeader("Content-Type", "application/json").end(raw.json());
                default -> response.putHeader("Content-Type", "application/json").end(write(body));
            }
        }
        finish(ctx, reply.status());
    }

    private void finish(RoutingContext ctx, int status) {
        Long start = ctx.remove("tenantry.start"); // once per request, however it ended
        if (start == null) {
            return;
        }
        long nanos = System.nanoTime() - start;
        String route = ctx.currentRoute() == null || ctx.currentRoute().getPath() == null ? "unmatched" : ctx.currentRoute().getPath();
        timer(ctx.request().method().name(), route, status).record(nanos, TimeUnit.NANOSECONDS);
        MDC.put("requestId", ctx.get(Call.REQUEST_ID));
        try {
            ACCESS.atInfo().addKeyValue("method", ctx.request().method().name()).addKeyValue("path", ctx.request().path())
                    .addKeyValue("status", status).addKeyValue("micros", nanos / 1000)
                    .log("{} {} -> {}", ctx.request().method().name(), ctx.request().path(), status);
        } finally {
            MDC.remove("requestId");
        }
    }

    /** The request timer of one route and status, registered once. */
    private Timer timer(String method, String route, int status) {
        return timers.computeIfAbsent(method + " " + route + " " + status, k -> Timer.builder("tenantry.api.requests")
                .description("Control-plane API requests")
                .tag("method", method).tag("route", route).tag("status", Integer.toString(status))
                .publishPercentileHistogram(false)
                .register(registry));
    }

    static String write(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + body.getClass(), e);
        }
    }
}
