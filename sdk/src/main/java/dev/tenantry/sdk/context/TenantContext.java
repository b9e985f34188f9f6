package dev.tenantry.sdk.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a service needs to know about one tenant: who it is, where its data lives
 * (locations, never passwords), its plan's limits, its hostnames, API keys (prefix and hash
 * only), routes and each function's active version. Immutable; a change arrives as a new instance.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TenantContext(String id, String slug, String name, String status, String statusReason, String plan,
                            String tier, String region, Map<String, String> labels, int version, List<String> hostnames,
                            List<ApiKey> apiKeys, List<Binding> bindings, List<Route> routes, int routesVersion,
                            PlanLimits limits, Map<String, Integer> functions) {

    public TenantContext {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        hostnames = hostnames == null ? List.of() : List.copyOf(hostnames);
        apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
        bindings = bindings == null ? List.of() : List.copyOf(bindings);
        routes = routes == null ? List.of() : List.copyOf(routes);
        functions = functions == null ? Map.of() : Map.copyOf(functions);
    }

    /** The same context held to the given plan limits. */
    public TenantContext withLimits(PlanLimits planLimits) {
        return new TenantContext(id, slug, name, status, statusReason, plan, tier, region, labels, version, hostnames,
                apiKeys, bindings, routes, routesVersion, planLimits, functions);
    }

    public boolean active() {
        return "active".equals(status);
    }

    /** An API key as the data plane checks it: the prefix finds it, the SHA-256 of the whole key must match. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ApiKey(String id, String prefix, String hash, List<String> scopes, String expiresAt) {
        public Optional<Instant> expiry() {
            return expiresAt == null ? Optional.empty() : Optional.of(Instant.parse(expiresAt));
        }
    }

    /** Where one of the tenant's resources lives: the driver, the tier, the server's name and the object's name. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Binding(String kind, String tier, String server, String name, String state) {
    }
}
