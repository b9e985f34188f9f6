package dev.tenantry.platform;

import dev.tenantry.context.ContextService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.BooleanSupplier;

/**
 * What a node without the API role still answers on the API port, for orchestrators and
 * monitoring: {@code /healthz}, {@code /readyz} (database reachable and the context feed
 * followed), {@code /metrics} (Prometheus, with the gateway's per-tenant metrics) and
 * {@code /v1/context/status}. No tenant data is served here.
 */
final class ManagementServer implements AutoCloseable {
    private final HttpServer server;

    private ManagementServer(HttpServer server) {
        this.server = server;
    }

    static ManagementServer start(Vertx vertx, Config config, PrometheusMeterRegistry metrics, BooleanSupplier databaseUp,
                                  ContextService contexts) {
        try {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(config.bind()).setPort(config.apiPort())
                            .setHttp2ClearTextEnabled(false))
                    .requestHandler(req -> answer(req, metrics, databaseUp, contexts)).listen().await();
            return new ManagementServer(server);
        } catch (Exception e) { // BindException arrives undeclared through Vert.x's await()
            throw new PlatformException.CannotListen("cannot listen on " + config.bind() + ":" + config.apiPort()
                    + " for health and metrics: " + e.getMessage() + " (see --api-port)", e);
        }
    }

    private static void answer(HttpServerRequest req, PrometheusMeterRegistry metrics, BooleanSupplier databaseUp,
                               ContextService contexts) {
        switch (req.path()) {
            case "/healthz" -> json(req, 200, "{\"status\":\"ok\"}");
            case "/readyz" -> {
                boolean ready = contexts.follower().connected() && databaseUp.getAsBoolean();
                if (!ready) {
                    req.response().putHeader("Retry-After", "5");
                }
                json(req, ready ? 200 : 503, ready ? "{\"status\":\"ready\"}"
                        : "{\"status\":\"not ready\",\"reason\":\"the catalog database or its change feed is unreachable\"}");
            }
            case "/metrics" -> req.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                    .end(metrics.scrape());
            case "/v1/context/status" -> json(req, 200, "{\"seq\":" + contexts.index().seq() + ",\"tenants\":"
                    + contexts.index().size() + ",\"connected\":" + contexts.follower().connected() + ",\"snapshots\":"
                    + contexts.follower().snapshots() + ",\"reconnects\":" + contexts.follower().reconnects() + ",\"lastError\":"
                    + contexts.follower().lastError().map(ManagementServer::quoted).orElse("null") + "}");
            default -> json(req, 404, "{\"type\":\"/problems/not-found\",\"title\":\"Not found\",\"status\":404,"
                    + "\"detail\":\"this node runs no API; it answers /healthz, /readyz, /metrics and /v1/context/status\"}");
        }
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\x00-\\x1f]", " ") + "\"";
    }

    private static void json(HttpServerRequest req, int status, String body) {
        req.response().setStatusCode(status).putHeader("Content-Type",
                status >= 400 && status != 503 ? "application/problem+json" : "application/json").end(body);
    }

    @Override
    public void close() {
        server.close().await();
    }
}
