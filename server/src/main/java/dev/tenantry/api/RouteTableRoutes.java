package dev.tenantry.api;

import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.RouteSpec;
import dev.tenantry.catalog.RouteTable;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code /v1/tenants/:tenant/routes}: the tenant's gateway routes, read and replaced as a whole. */
final class RouteTableRoutes {
    private static final Set<String> ROUTE_FIELDS = Set.of("path", "upstreams", "auth", "balance", "connectTimeoutMs",
            "timeoutMs", "retries", "stripPrefix", "healthCheck");
    private static final Set<String> CHECK_FIELDS = Set.of("path", "intervalMs", "timeoutMs", "unhealthyAfter", "healthyAfter");
    private final Catalog catalog;

    RouteTableRoutes(Catalog catalog) {
        this.catalog = catalog;
    }

    void register(ApiRouter r) {
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/routes", c -> tagged(catalog.routes().get(c.path("tenant"))));
        r.handle(HttpMethod.PUT, "/v1/tenants/:tenant/routes", this::replace);
    }

    private Reply replace(Call c) {
        c.requireWrite();
        Body body = c.body().allow(Set.of("routes"));
        if (!body.has("routes")) {
            body.reject("routes", "is required (an array of routes; [] removes them all)");
        }
        List<RouteSpec> routes = new ArrayList<>();
        for (Body route : body.objects("routes")) {
            route.allow(ROUTE_FIELDS);
            List<String> upstreams = new ArrayList<>();
            for (Body upstream : route.objects("upstreams")) {
                upstream.allow(Set.of("url"));
                upstreams.add(upstream.requiredString("url"));
            }
            if (!route.has("upstreams")) {
                route.reject("upstreams", "is required");
            }
            Optional<RouteSpec.HealthCheck> check = route.object("healthCheck").map(hc -> {
                hc.allow(CHECK_FIELDS);
                return new RouteSpec.HealthCheck(hc.requiredString("path"),
                        hc.integer("intervalMs").orElse(RouteSpec.HealthCheck.DEFAULT_INTERVAL_MS),
                        hc.integer("timeoutMs").orElse(RouteSpec.HealthCheck.DEFAULT_TIMEOUT_MS),
                        hc.integer("unhealthyAfter").orElse(RouteSpec.HealthCheck.DEFAULT_UNHEALTHY_AFTER),
                        hc.integer("healthyAfter").orElse(RouteSpec.HealthCheck.DEFAULT_HEALTHY_AFTER));
            });
            routes.add(new RouteSpec(route.requiredString("path"), upstreams, route.string("auth").orElse("none"),
                    route.string("balance").orElse("p2c"),
                    route.integer("connectTimeoutMs").orElse(RouteSpec.DEFAULT_CONNECT_TIMEOUT_MS),
                    route.integer("timeoutMs").orElse(RouteSpec.DEFAULT_TIMEOUT_MS),
                    route.integer("retries").orElse(RouteSpec.DEFAULT_RETRIES),
                    route.bool("stripPrefix").orElse(false), check));
        }
        body.finish();
        return tagged(catalog.routes().replace(c.path("tenant"), routes, c.ifMatch(), c.actor()));
    }

    private static Reply tagged(RouteTable table) {
        return Reply.ok(view(table)).withHeader("ETag", "\"" + table.version() + "\"");
    }

    static Map<String, Object> view(RouteTable t) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenantId", t.tenantId().toString());
        out.put("version", t.version());
        out.put("routes", t.routes().stream().map(RouteTableRoutes::route).toList());
        out.put("updatedAt", t.updatedAt().map(Object::toString).orElse(null));
        return out;
    }

    private static Map<String, Object> route(RouteSpec r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("path", r.path());
        out.put("upstreams", r.upstreams().stream().map(u -> Map.of("url", u)).toList());
        out.put("auth", r.auth());
        out.put("balance", r.balance());
        out.put("connectTimeoutMs", r.connectTimeoutMs());
        out.put("timeoutMs", r.timeoutMs());
        out.put("retries", r.retries());
        out.put("stripPrefix", r.stripPrefix());
        r.healthCheck().ifPresent(hc -> out.put("healthCheck", Map.of("path", hc.path(), "intervalMs", hc.intervalMs(),
                "timeoutMs", hc.timeoutMs(), "unhealthyAfter", hc.unhealthyAfter(), "healthyAfter", hc.healthyAfter())));
        return out;
    }
}
