package dev.tenantry.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** Unauthenticated routes: liveness, readiness, Prometheus metrics and the OpenAPI document. */
final class SystemRoutes {
    static final String OPENAPI_RESOURCE = "/dev/tenantry/api/openapi.json";
    private final PrometheusMeterRegistry metrics;
    private final BooleanSupplier ready;
    private final String openApi;

    SystemRoutes(PrometheusMeterRegistry metrics, BooleanSupplier ready) {
        this.metrics = metrics;
        this.ready = ready;
        this.openApi = openApiDocument();
    }

    void register(ApiRouter r) {
        r.handlePublic(HttpMethod.GET, "/healthz", c -> Reply.ok(Map.of("status", "ok")));
        r.handlePublic(HttpMethod.GET, "/readyz", c -> ready.getAsBoolean()
                ? Reply.ok(Map.of("status", "ready"))
                : new Reply(503, Map.of("Retry-After", "1"), Optional.of(Map.of("status", "not ready", "reason", "the catalog database does not answer"))));
        r.handlePublic(HttpMethod.GET, "/metrics", c -> new Reply(200, Map.of(),
                Optional.of(new ApiRouter.Raw("text/plain; version=0.0.4; charset=utf-8", metrics.scrape()))));
        r.handlePublic(HttpMethod.GET, "/v1/openapi.json", c -> new Reply(200, Map.of(),
                Optional.of(new ApiRouter.RawJson(openApi))));
    }

    static String openApiDocument() {
        try (InputStream in = SystemRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the OpenAPI document is missing from the jar: " + OPENAPI_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
