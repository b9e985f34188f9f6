package dev.tenantry.sdk;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The API's resources as the SDK returns them. Field names are the API's JSON names. */
public final class Models {
    private Models() {}

    /**
     * A tenant. {@code operation} is present in answers to changes (create, update, suspend,
     * resume, delete): the operation that finishes the change in the background.
     */
    public record Tenant(String id, String slug, String displayName, String plan, String tier, String region,
                         String status, Optional<String> statusReason, Map<String, String> labels,
                         Instant createdAt, Instant updatedAt, int version, Optional<OperationRef> operation) {}

    /** Where to follow an operation. */
    public record OperationRef(String id, String kind, String state, String url) {}

    /** An operation: ordered steps with their state, attempts, durations and errors. */
    public record Operation(String id, String tenantId, String kind, String state, Optional<String> error, String actor,
                            String requestId, Instant createdAt, Instant updatedAt, Optional<Instant> finishedAt,
                            Optional<Long> durationMs, List<Step> steps) {
        public boolean finished() {
            return state.equals("succeeded") || state.equals("failed");
        }
    }

    /** One step of an operation. */
    public record Step(int position, String name, String state, int attempts, Optional<String> lastError,
                       Optional<Instant> startedAt, Optional<Instant> endedAt, Optional<Long> durationMs) {}

    /** A plan and its limits. */
    public record Plan(String name, String tier, int ratePerSecond, int burst, long dailyQuota, int maxConcurrency,
                       int memoryMb, int timeoutMs, boolean egressAllowed, int version, Instant updatedAt) {}

    /** A tenant's hostname. */
    public record Domain(String hostname, String tenantId, String kind, Instant createdAt) {}

    /** A tenant's API key; {@code secret} is present only in the answer that created it. */
    public record ApiKey(String id, String tenantId, String name, String prefix, List<String> scopes,
                         Optional<Instant> expiresAt, Optional<Instant> revokedAt, Instant createdAt,
                         Optional<String> secret) {}

    /** An admin token; {@code secret} is present only in the answer that created it. */
    public record AdminToken(String id, String name, String prefix, List<String> scopes, String createdBy,
                             Instant createdAt, Optional<Instant> revokedAt, Optional<String> secret) {}

    /** One audit-log entry. */
    public record AuditEntry(long id, Instant at, String actor, String action, String targetType, String targetId,
                             Optional<String> tenantId, String requestId, Map<String, Object> changes) {}

    /**
     * A tenant's gateway routes, read and replaced as a whole. {@code version} counts the
     * replacements (0, and no {@code updatedAt}, when none were ever set); send it back as
     * {@code If-Match} to replace only the table you read.
     */
    public record RouteTable(String tenantId, int version, List<Route> routes, Optional<Instant> updatedAt) {}

    /**
     * One route: requests whose path starts with {@code path} go to one of the upstreams.
     * {@code auth} is {@code none} or {@code api-key}; {@code balance} is {@code p2c} or {@code least}.
     */
    public record Route(String path, List<Upstream> upstreams, String auth, String balance, int connectTimeoutMs,
                        int timeoutMs, int retries, boolean stripPrefix, Optional<HealthCheck> healthCheck) {}

    /** Where a route sends requests: an HTTP base URL. */
    public record Upstream(String url) {}

    /** A route's active health check: {@code GET path} on each upstream every {@code intervalMs}. */
    public record HealthCheck(String path, int intervalMs, int timeoutMs, int unhealthyAfter, int healthyAfter) {}

    /**
     * How current a node's tenant contexts are: the last change number applied, how many tenants
     * it holds, and whether it follows the change feed now.
     */
    public record ContextStatus(long seq, int tenants, boolean connected, long snapshots, long reconnects,
                                Optional<String> lastError) {}

    /** The key the gateway signs tenant headers with (secret: it lets its holder forge them). */
    public record HeaderKey(String key, String algorithm, List<String> headers) {}

    /** A page of a listing; pass {@code nextCursor} back to get the next one. */
    public record Page<T>(List<T> items, Optional<String> nextCursor) {}

    /** A list answer without paging. */
    public record Items<T>(List<T> items) {}

    /** One invalid field of a refused request. */
    public record FieldError(String field, String reason) {}

    /** An RFC 9457 problem document, as the API sends it. */
    public record Problem(String type, String title, int status, String detail, String instance,
                          String requestId, Optional<List<FieldError>> errors) {}

    /** A tenant's function: its newest version and the one serving (empty until a version is ready). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Function(String name, String tenantId, int latestVersion, Optional<Integer> activeVersion,
                           Instant createdAt, Instant updatedAt, Optional<FunctionVersion> latest) {}

    /**
     * One immutable version: {@code pending} until its modules are built, then {@code ready} (or
     * {@code failed} with the reason). {@code modules} names each npm module's exact version;
     * {@code moduleStates} (in deploy answers and single-version reads) their builds; secrets are names only.
     * {@code url} (in deploy answers from a node with a gateway): where that gateway serves the function.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FunctionVersion(String name, int version, String state, Optional<String> error, String entry,
                                  String codeSha256, int codeBytes, Map<String, String> dependencies,
                                  Map<String, String> modules, Optional<List<ModuleState>> moduleStates,
                                  Map<String, String> env, List<String> secrets, int timeoutMs, int memoryMb,
                                  Instant createdAt, String createdBy, Optional<String> url) {}

    /** A module in the shared store: {@code queued}, {@code building}, {@code available} or {@code failed}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ModuleState(String name, String version, String state, Optional<String> error, Optional<String> sha256,
                              Optional<Long> bytes, Instant requestedAt, Optional<Instant> builtAt) {}

    /** A line a function wrote, with the request that wrote it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LogLine(long id, Instant at, Optional<Integer> version, String requestId, String stream, String line) {}

    /** Log lines after a cursor, and the cursor to ask from next. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LogPage(List<LogLine> items, long next) {}

    /** What an operator's invoke got back: the function's status, headers and body (text, or base64). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Invocation(int status, Map<String, Object> headers, String body, String bodyEncoding, double durationMs) {}
}
