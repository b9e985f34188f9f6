package dev.tenantry.catalog;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** An operator's bearer token for the control-plane API, stored as a hash. */
public record AdminToken(
        UUID id,
        String name,
        String prefix,
        Set<Scope> scopes,
        String createdBy,
        Instant createdAt,
        Optional<Instant> revokedAt) {

    public AdminToken {
        scopes = Set.copyOf(scopes);
    }

    /** What a token may do: {@code read} reads the catalog; {@code admin} also changes it. */
    public enum Scope {
        READ, ADMIN;

        public String wire() {
            return name().toLowerCase();
        }
    }

    public boolean mayWrite() {
        return scopes.contains(Scope.ADMIN);
    }
}
