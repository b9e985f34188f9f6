package dev.tenantry.sdk.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One of a tenant's routes: requests whose path starts with {@code path} go to one of the
 * upstreams. {@code auth} is {@code none} or {@code api-key}; {@code balance} is {@code p2c}
 * (power of two choices by requests in flight) or {@code least} (fewest in flight).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Route(String path, List<Upstream> upstreams, String auth, String balance, int connectTimeoutMs,
                   int timeoutMs, int retries, boolean stripPrefix, HealthCheck healthCheck) {

    /**
     * Where a route sends requests. Only HTTP upstreams ({@code url}) exist so far; functions and
     * tenant apps will be further kinds of target beside {@code url}.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Upstream(String url) {
    }

    /** An active health check: {@code GET path} every {@code intervalMs}; 2xx/3xx is healthy. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record HealthCheck(String path, int intervalMs, int timeoutMs, int unhealthyAfter, int healthyAfter) {
    }
}
