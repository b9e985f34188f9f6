package dev.tenantry.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link Routes} on PostgreSQL: one row per tenant holding the table as JSON in the shape the
 * tenant context carries it ({@code upstreams: [{"url": ...}]}), so the change feed passes it on as is.
 */
final class JdbcRoutes implements Routes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Jdbi jdbi;
    private final Clock clock;
    private final Audit audit;

    JdbcRoutes(Jdbi jdbi, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public RouteTable get(String tenantRef) {
        return jdbi.withHandle(h -> read(h, TenantRows.resolve(h, tenantRef, false).id()));
    }

    @Override
    public RouteTable replace(String tenantRef, List<RouteSpec> routes, OptionalInt ifMatch, Actor actor) {
        check(routes);
        return jdbi.inTransaction(h -> {
            Tenant tenant = TenantRows.editable(h, tenantRef, "change the routes of", true);
            RouteTable current = read(h, tenant.id());
            if (ifMatch.isPresent() && ifMatch.getAsInt() != current.version()) {
                throw new CatalogException.VersionConflict("the routes of tenant " + tenant.slug(), ifMatch.getAsInt(), current.version());
            }
            Instant now = clock.instant();
            h.createUpdate("""
                    insert into tenant_routes (tenant_id, routes, version, updated_at) values (:t, cast(:routes as jsonb), 1, :now)
                    on conflict (tenant_id) do update set routes = excluded.routes, version = tenant_routes.version + 1,
                        updated_at = excluded.updated_at""")
                    .bind("t", tenant.id()).bind("routes", write(routes)).bind("now", Sql.timestamp(now)).execute();
            audit.record(h, actor, "routes.replace", "tenant", tenant.id().toString(), tenant.id(),
                    Map.of("routes", routes.stream().map(RouteSpec::path).toList()));
            return read(h, tenant.id());
        });
    }

    private static RouteTable read(Handle h, UUID tenantId) {
        return h.createQuery("select routes::text as routes, version, updated_at from tenant_routes where tenant_id = :t")
                .bind("t", tenantId)
                .map((rs, ctx) -> new RouteTable(tenantId, rs.getInt("version"), parse(rs.getString("routes")),
                        Optional.of(Sql.instant(rs, "updated_at"))))
                .findOne().orElse(new RouteTable(tenantId, 0, List.of(), Optional.empty()));
    }

    /** Every bad field at once, named {@code routes[i].field}. */
    static void check(List<RouteSpec> routes) {
        List<FieldError> errors = new ArrayList<>();
        if (routes.size() > MAX_ROUTES) {
            errors.add(new FieldError("routes", "has " + routes.size() + " routes; at most " + MAX_ROUTES + " are allowed"));
        }
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < routes.size(); i++) {
            RouteSpec r = routes.get(i);
            String at = "routes[" + i + "].";
            if (r.path() == null || !r.path().startsWith("/") || r.path().length() > 256
                    || !r.path().chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '\\')
                    || r.path().contains("/../") || r.path().endsWith("/..")) {
                errors.add(new FieldError(at + "path", "must start with '/', be at most 256 printable ASCII characters, "
                        + "without spaces, '?', '#', '\\' or '..' segments"));
            } else if (!paths.add(r.path())) {
                errors.add(new FieldError(at + "path", "'" + r.path() + "' is used by another route"));
            }
            if (r.upstreams().isEmpty() || r.upstreams().size() > MAX_UPSTREAMS) {
                errors.add(new FieldError(at + "upstreams", "must list 1 to " + MAX_UPSTREAMS + " upstreams"));
            }
            for (int u = 0; u < r.upstreams().size(); u++) {
                upstream(at + "upstreams[" + u + "].url", r.upstreams().get(u), errors);
            }
            if (!RouteSpec.AUTH.contains(r.auth())) {
                errors.add(new FieldError(at + "auth", "must be one of " + String.join(", ", RouteSpec.AUTH)));
            }
            if (!RouteSpec.BALANCE.contains(r.balance())) {
                errors.add(new FieldError(at + "balance", "must be one of " + String.join(", ", RouteSpec.BALANCE)));
            }
            range(at + "connectTimeoutMs", r.connectTimeoutMs(), 1, 60_000, errors);
            range(at + "timeoutMs", r.timeoutMs(), 1, 3_600_000, errors);
            range(at + "retries", r.retries(), 0, 5, errors);
            r.healthCheck().ifPresent(hc -> {
                if (hc.path() == null || !hc.path().startsWith("/") || hc.path().length() > 256
                        || !hc.path().chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                    errors.add(new FieldError(at + "healthCheck.path", "must start with '/' and be at most 256 printable characters"));
                }
                range(at + "healthCheck.intervalMs", hc.intervalMs(), 200, 300_000, errors);
                range(at + "healthCheck.timeoutMs", hc.timeoutMs(), 1, Math.max(1, hc.intervalMs()), errors);
                range(at + "healthCheck.unhealthyAfter", hc.unhealthyAfter(), 1, 10, errors);
                range(at + "healthCheck.healthyAfter", hc.healthyAfter(), 1, 10, errors);
            });
        }
        Rules.throwIfAny(errors);
    }

    private static void upstream(String field, String url, List<FieldError> errors) {
        String reason = "must be an absolute http:// or https:// URL with a host, and no user, query or fragment";
        if (url == null || url.length() > 2048) {
            errors.add(new FieldError(field, reason));
            return;
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getRawUserInfo() != null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getPort() > 65535) {
                errors.add(new FieldError(field, reason));
            }
        } catch (URISyntaxException e) {
            errors.add(new FieldError(field, reason + " (" + e.getReason() + ")"));
        }
    }

    private static void range(String field, int value, int min, int max, List<FieldError> errors) {
        if (value < min || value > max) {
            errors.add(new FieldError(field, "must be between " + min + " and " + max));
        }
    }

    private static String write(List<RouteSpec> routes) {
        ArrayNode out = JSON.createArrayNode();
        for (RouteSpec r : routes) {
            ObjectNode o = out.addObject();
            o.put("path", r.path());
            ArrayNode ups = o.putArray("upstreams");
            r.upstreams().forEach(u -> ups.addObject().put("url", u));
            o.put("auth", r.auth()).put("balance", r.balance()).put("connectTimeoutMs", r.connectTimeoutMs())
                    .put("timeoutMs", r.timeoutMs()).put("retries", r.retries()).put("stripPrefix", r.stripPrefix());
            r.healthCheck().ifPresent(hc -> o.putObject("healthCheck").put("path", hc.path()).put("intervalMs", hc.intervalMs())
                    .put("timeoutMs", hc.timeoutMs()).put("unhealthyAfter", hc.unhealthyAfter()).put("healthyAfter", hc.healthyAfter()));
        }
        return out.toString();
    }

    private static List<RouteSpec> parse(String json) {
        try {
            List<RouteSpec> out = new ArrayList<>();
            for (JsonNode o : JSON.readTree(json)) {
                List<String> ups = new ArrayList<>();
                o.get("upstreams").forEach(u -> ups.add(u.get("url").asText()));
                JsonNode hc = o.get("healthCheck");
                out.add(new RouteSpec(o.get("path").asText(), ups, o.get("auth").asText(), o.get("balance").asText(),
                        o.get("connectTimeoutMs").asInt(), o.get("timeoutMs").asInt(), o.get("retries").asInt(),
                        o.get("stripPrefix").asBoolean(),
                        hc == null ? Optional.empty() : Optional.of(new RouteSpec.HealthCheck(hc.get("path").asText(),
                                hc.get("intervalMs").asInt(), hc.get("timeoutMs").asInt(), hc.get("unhealthyAfter").asInt(),
                                hc.get("healthyAfter").asInt()))));
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("tenant_routes holds JSON this version cannot read", e);
        }
    }
}
