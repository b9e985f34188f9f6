package dev.tenantry.provision;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** An operation as it stands: its steps with their state, attempts, times and errors. */
public record Operation(
        UUID id,
        UUID tenantId,
        Kind kind,
        State state,
        Map<String, Object> params,
        Optional<String> error,
        String actor,
        String requestId,
        Instant createdAt,
        Instant updatedAt,
        Optional<Instant> finishedAt,
        List<Step> steps) {

    public Operation {
        params = Map.copyOf(params);
        steps = List.copyOf(steps);
    }

    /** What the operation does. */
    public enum Kind {
        CREATE_TENANT, UPDATE_TENANT, SUSPEND_TENANT, RESUME_TENANT, DELETE_TENANT, ROTATE_CREDENTIALS;

        /** {@code create-tenant}, … */
        public String wire() {
            return name().toLowerCase().replace('_', '-');
        }

        public static Optional<Kind> parse(String wire) {
            for (Kind k : values()) {
                if (k.wire().equals(wire)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    /** {@code queued -> running -> succeeded}, or {@code running -> compensating -> failed}. */
    public enum State {
        QUEUED, RUNNING, COMPENSATING, SUCCEEDED, FAILED;

        public String wire() {
            return name().toLowerCase();
        }

        public boolean finished() {
            return this == SUCCEEDED || this == FAILED;
        }
    }

    /** One step: {@code pending -> running -> done}, with {@code retrying}, {@code failed}, {@code compensated}. */
    public record Step(int position, String name, String state, int attempts, Optional<String> lastError,
                       Optional<Instant> startedAt, Optional<Instant> endedAt) {

        public Optional<Duration> duration() {
            return startedAt.flatMap(s -> endedAt.map(e -> Duration.between(s, e)));
        }
    }
}
