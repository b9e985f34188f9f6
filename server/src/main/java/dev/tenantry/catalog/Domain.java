package dev.tenantry.catalog;

import java.time.Instant;
import java.util.UUID;

/** A hostname that routes to one tenant. {@code default} is {@code <slug>.<base-domain>}. */
public record Domain(String hostname, UUID tenantId, Kind kind, Instant createdAt) {

    /** Whether the platform made the hostname or the operator added it. */
    public enum Kind {
        DEFAULT, CUSTOM;

        public String wire() {
            return name().toLowerCase();
        }
    }
}
