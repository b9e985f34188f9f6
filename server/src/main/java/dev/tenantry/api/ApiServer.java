package dev.tenantry.api;

import dev.tenantry.catalog.Catalog;
import dev.tenantry.context.ContextService;
import dev.tenantry.provision.Operations;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Route;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.BooleanSupplier;

/** The control-plane API server. {@link #start} binds it; {@link #close} stops it. */
public final class ApiServer implements AutoCloseable {
    private final HttpServer server;
    private final ApiRouter router;

    private ApiServer(HttpServer server, ApiRouter router) {
        this.server = server;
        this.router = router;
    }

    /**
     * Starts the API on the given Vert.x, running endpoints on {@code handlers} (virtual threads).
     * Blocks until the port is bound; fails with the bind error otherwise.
     */
    public static ApiServer start(Vertx vertx, ExecutorService handlers, ApiSettings settings, Catalog catalog,
                                  Operations operations, PrometheusMeterRegistry metrics, BooleanSupplier ready,
                                  ContextService contexts, byte[] headerKey, FunctionsApi functions) {
        ApiRouter router = new ApiRouter(vertx, handlers, catalog.adminTokens(), metrics, settings.maxBodyBytes());
        new SystemRoutes(metrics, ready).register(router);
        new TenantRoutes(catalog, operations).register(router);
        new OperationRoutes(catalog, operations).register(router);
        new TenantPartRoutes(catalog).register(router);
        new PlanRoutes(catalog).register(router);
        new AuditRoutes(catalog).register(router);
        new TokenRoutes(catalog).register(router);
        new RouteTableRoutes(catalog).register(router);
        new FunctionRoutes(catalog, functions.deployer(), functions.logs(),
                new FunctionInvocations(vertx, functions.gatewayPort(), functions.baseDomain())).register(router);
        ContextRoutes contextRoutes = new ContextRoutes(contexts, headerKey, handlers);
        contextRoutes.register(router);
        HttpServerOptions options = new HttpServerOptions()
                .setHost(settings.host()).setPort(settings.port())
                .setMaxHeaderSize(16 * 1024).setMaxInitialLineLength(8 * 1024)
                .setIdleTimeout(120)
                // HTTP/1.1 only: a client's h2c upgrade offer is declined (answered in HTTP/1.1), never half-taken.
                .setHttp2ClearTextEnabled(false);
        io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> routed = router.router();
        HttpServer server = vertx.createHttpServer(options).requestHandler(req -> {
            if (!router.lookUpDirectly(req, contextRoutes)) {
                routed.handle(req);
            }
        }).listen().await();
        return new ApiServer(server, router);
    }

    /**
     * What the function endpoints need: the deployer, the log reader, and this node's gateway port
     * (known once the gateway listens; empty on nodes without one) for operators' invokes.
     */
    public record FunctionsApi(dev.tenantry.functions.Deployer deployer, dev.tenantry.functions.FunctionLogs logs,
                               java.util.function.Supplier<java.util.Optional<Integer>> gatewayPort, String baseDomain) {}

    /** The port the API listens on. */
    public int port() {
        return server.actualPort();
    }

    /** Every route as {@code METHOD path} with OpenAPI-style {@code {param}}s (for the OpenAPI check). */
    public List<String> routes() {
        return router.router().getRoutes().stream()
                .filter(r -> r.getPath() != null && r.methods() != null && !r.methods().isEmpty())
                .flatMap(r -> r.methods().stream().map(m -> m.name() + " " + openApiPath(r)))
                .distinct().sorted().toList();
    }

    private static String openApiPath(Route route) {
        return route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
    }

    @Override
    public void close() {
        server.close().await();
    }
}
