package dev.tenantry.catalog;

import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** Writes audit entries inside the caller's transaction, so a change and its record commit together. */
final class Audit {
    private final Clock clock;

    Audit(Clock clock) {
        this.clock = clock;
    }

    void record(Handle h, Actor actor, String action, String targetType, String targetId,
                UUID tenantId, Map<String, ?> changes) {
        h.createUpdate("""
                insert into audit_log (at, actor, action, target_type, target_id, tenant_id, request_id, changes)
                values (:at, :actor, :action, :targetType, :targetId, cast(:tenantId as uuid), :requestId, cast(:changes as jsonb))""")
                .bind("at", Sql.timestamp(clock.instant()))
                .bind("actor", actor.name())
                .bind("action", action)
                .bind("targetType", targetType)
                .bind("targetId", targetId)
                .bind("tenantId", tenantId == null ? null : tenantId.toString())
                .bind("requestId", actor.requestId())
                .bind("changes", Json.write(changes))
                .execute();
    }
}
