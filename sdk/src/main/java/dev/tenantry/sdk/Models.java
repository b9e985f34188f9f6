package dev.tenantry.sdk;

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

    /** A page of a listing; pass {@code nextCursor} back to get the next one. */
    public record Page<T>(List<T> items, Optional<String> nextCursor) {}

    /** A list answer without paging. */
    public record Items<T>(List<T> items) {}

    /** One invalid field of a refused request. */
    public record FieldError(String field, String reason) {}

    /** An RFC 9457 problem document, as the API sends it. */
    public record Problem(String type, String title, int status, String detail, String instance,
                          String requestId, Optional<List<FieldError>> errors) {}
}
