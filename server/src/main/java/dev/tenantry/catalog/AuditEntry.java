package dev.tenantry.catalog;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** One audited mutation: who did what to which target, in which request, and what changed. */
public record AuditEntry(
        long id,
        Instant at,
        String actor,
        String action,
        String targetType,
        String targetId,
        Optional<UUID> tenantId,
        String requestId,
        Map<String, Object> changes) {}
