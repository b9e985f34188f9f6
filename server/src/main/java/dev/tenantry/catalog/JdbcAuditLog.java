package dev.tenantry.catalog;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/** {@link AuditLog} on PostgreSQL, keyset-paginated on the entry id. */
final class JdbcAuditLog implements AuditLog {
    static final int MAX_LIMIT = 500;
    private final Jdbi jdbi;

    JdbcAuditLog(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    @Override
    public Page<AuditEntry> list(AuditLog.Query q) {
        Cursors.limit(q.limit(), MAX_LIMIT);
        Optional<Long> before = q.cursor().map(JdbcAuditLog::entryId);
        List<AuditEntry> rows = jdbi.withHandle(h -> {
            Optional<UUID> tenant = q.tenant().map(ref -> TenantRows.resolve(h, ref, false).id());
            StringBuilder sql = new StringBuilder("select *, changes::text as changes_json from audit_log where true");
            tenant.ifPresent(t -> sql.append(" and tenant_id = :tenant"));
            q.actor().ifPresent(a -> sql.append(" and actor = :actor"));
            q.action().ifPresent(a -> sql.append(" and action = :action"));
            q.since().ifPresent(s -> sql.append(" and at >= :since"));
            q.until().ifPresent(u -> sql.append(" and at < :until"));
            before.ifPresent(b -> sql.append(" and id < :before"));
            sql.append(" order by id desc limit :limit");
            org.jdbi.v3.core.statement.Query query = h.createQuery(sql.toString()).bind("limit", q.limit() + 1);
            tenant.ifPresent(t -> query.bind("tenant", t));
            q.actor().ifPresent(a -> query.bind("actor", a));
            q.action().ifPresent(a -> query.bind("action", a));
            q.since().ifPresent(s -> query.bind("since", Sql.timestamp(s)));
            q.until().ifPresent(u -> query.bind("until", Sql.timestamp(u)));
            before.ifPresent(b -> query.bind("before", b));
            return query.map((rs, ctx) -> new AuditEntry(rs.getLong("id"), Sql.instant(rs, "at"),
                    rs.getString("actor"), rs.getString("action"), rs.getString("target_type"),
                    rs.getString("target_id"), Optional.ofNullable(rs.getObject("tenant_id", UUID.class)),
                    rs.getString("request_id"), Json.objectMap(rs.getString("changes_json")))).list();
        });
        boolean more = rows.size() > q.limit();
        List<AuditEntry> items = more ? rows.subList(0, q.limit()) : rows;
        Optional<String> next = more
                ? Optional.of(Cursors.encode(Long.toString(items.get(items.size() - 1).id())))
                : Optional.empty();
        return new Page<>(items, next);
    }

    private static long entryId(String cursor) {
        try {
            return Long.parseLong(Cursors.decode(cursor));
        } catch (NumberFormatException e) {
            throw CatalogException.InvalidInput.of("cursor", "is not a cursor this API returned");
        }
    }
}
