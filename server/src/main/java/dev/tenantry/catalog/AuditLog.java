package dev.tenantry.catalog;

import java.time.Instant;
import java.util.Optional;

/** Reading the audit trail (writing happens inside each mutation's own transaction). */
public interface AuditLog {

    /** Entries newest first, filtered by tenant, actor and time range. */
    Page<AuditEntry> list(Query query);

    /** A filter; {@code tenant} is a tenant id or live slug, {@code since} inclusive, {@code until} exclusive. */
    record Query(Optional<String> tenant, Optional<String> actor, Optional<String> action,
                 Optional<Instant> since, Optional<Instant> until, Optional<String> cursor, int limit) {}
}
