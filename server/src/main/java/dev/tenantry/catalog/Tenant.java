package dev.tenantry.catalog;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A tenant as the catalog holds it. {@code id} and {@code slug} never change; {@code version}
 * grows by one with every change and is the optimistic-concurrency token.
 */
public record Tenant(
        UUID id,
        String slug,
        String displayName,
        String plan,
        Tier tier,
        String region,
        Status status,
        Optional<String> statusReason,
        Map<String, String> labels,
        Instant createdAt,
        Instant updatedAt,
        int version) {

    public Tenant {
        labels = Map.copyOf(labels);
    }
}
