package dev.tenantry.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A tenant's routes, replaced as a whole; {@code version} 0 and no time when none were ever set. */
public record RouteTable(UUID tenantId, int version, List<RouteSpec> routes, Optional<Instant> updatedAt) {
}
