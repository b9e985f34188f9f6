package dev.tenantry.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A tenant's API key as stored: never the secret, only its hash and lookup prefix. */
public record ApiKey(
        UUID id,
        UUID tenantId,
        String name,
        String prefix,
        List<String> scopes,
        Optional<Instant> expiresAt,
        Optional<Instant> revokedAt,
        Instant createdAt) {

    public ApiKey {
        scopes = List.copyOf(scopes);
    }

    /** A key is usable when it is neither revoked nor expired at {@code now}. */
    public boolean usableAt(Instant now) {
        return revokedAt.isEmpty() && expiresAt.map(now::isBefore).orElse(true);
    }
}
