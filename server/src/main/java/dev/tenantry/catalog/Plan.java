package dev.tenantry.catalog;

import java.time.Instant;

/**
 * A plan: the limits a tenant gets. Plans are data, editable through the API. A silo plan may
 * name the PostgreSQL server ({@code databaseServer}) that its tenants' databases go to.
 */
public record Plan(
        String name,
        Tier tier,
        int ratePerSecond,
        int burst,
        long dailyQuota,
        int maxConcurrency,
        int memoryMb,
        int timeoutMs,
        boolean egressAllowed,
        int version,
        Instant updatedAt,
        java.util.Optional<String> databaseServer) {}
