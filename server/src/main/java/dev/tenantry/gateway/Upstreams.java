package dev.tenantry.gateway;

import dev.tenantry.sdk.context.Route;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every upstream the routes name, one object per URL, and their active health checks: a timer
 * ticks every 100 ms and checks each upstream whose check is due ({@code GET path}; 2xx and 3xx pass).
 */
final class Upstreams implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);
    private final Map<String, Upstream> byUrl = new ConcurrentHashMap<>();
    private final Map<Upstream, Check> checks = new ConcurrentHashMap<>();
    private final Vertx vertx;
    private final HttpClient checker;
    private final long timer;

    private static final class Check {
        volatile Route.HealthCheck spec;
        long nextNanos;
        boolean running;

        Check(Route.HealthCheck spec) {
            this.spec = spec;
        }
    }

    Upstreams(Vertx vertx) {
        this.vertx = vertx;
        this.checker = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTrustAll(false),
                new PoolOptions().setHttp1MaxSize(4));
        this.timer = vertx.setPeriodic(100, id -> tick());
    }

    /** The upstream for this URL, with the route's health check (if any) attached. */
    Upstream of(String url, Route.HealthCheck check) {
        Upstream upstream = byUrl.computeIfAbsent(url, Upstream::new);
        if (check != null) {
            checks.compute(upstream, (u, existing) -> {
                if (existing == null) {
                    return new Check(check);
                }
                existing.spec = check;
                return existing;
            });
        }
        return upstream;
    }

    private void tick() {
        long now = System.nanoTime();
        checks.forEach((upstream, check) -> {
            if (check.running || now - check.nextNanos < 0) {
                return;
            }
            Route.HealthCheck spec = check.spec;
            check.running = true;
            check.nextNanos = now + spec.intervalMs() * 1_000_000L;
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(upstream.host)
                    .setPort(upstream.port).setSsl(upstream.ssl).setURI(upstream.basePath + spec.path())
                    .setConnectTimeout(spec.timeoutMs()).setIdleTimeout(spec.timeoutMs())
                    .putHeader("User-Agent", "tenantry-health-check");
            checker.request(options)
                    .compose(req -> req.send())
                    .compose(resp -> resp.body().map(b -> resp.statusCode()))
                    .onComplete(result -> {
                        check.running = false;
                        boolean passed = result.succeeded() && result.result() < 400;
                        if (upstream.checked(passed, spec.unhealthyAfter(), spec.healthyAfter())) {
                            LOG.atWarn().addKeyValue("upstream", upstream.url).log("upstream is now {}",
                                    upstream.healthy() ? "healthy" : "unhealthy"
                                            + (result.failed() ? " (" + result.cause().getMessage() + ")" : " (status " + result.result() + ")"));
                        }
                    });
        });
    }

    @Override
    public void close() {
        vertx.cancelTimer(timer);
        checker.close();
    }
}
