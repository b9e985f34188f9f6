package dev.tenantry.catalog;

import java.util.List;
import java.util.Optional;

/**
 * One route of a tenant as the catalog stores it: requests whose path starts with {@code path}
 * go to one of {@code upstreams} (HTTP base URLs). {@code auth} is {@code none} or
 * {@code api-key}; {@code balance} is {@code p2c} or {@code least}.
 */
public record RouteSpec(String path, List<String> upstreams, String auth, String balance, int connectTimeoutMs,
                        int timeoutMs, int retries, boolean stripPrefix, Optional<HealthCheck> healthCheck) {
    public static final List<String> AUTH = List.of("none", "api-key");
    public static final List<String> BALANCE = List.of("p2c", "least");
    public static final int DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
    public static final int DEFAULT_TIMEOUT_MS = 30_000;
    public static final int DEFAULT_RETRIES = 1;

    /** {@code GET path} every {@code intervalMs}; unhealthy after that many failures in a row, healthy again after that many passes. */
    public record HealthCheck(String path, int intervalMs, int timeoutMs, int unhealthyAfter, int healthyAfter) {
        public static final int DEFAULT_INTERVAL_MS = 5_000;
        public static final int DEFAULT_TIMEOUT_MS = 1_000;
        public static final int DEFAULT_UNHEALTHY_AFTER = 2;
        public static final int DEFAULT_HEALTHY_AFTER = 1;
    }
}
