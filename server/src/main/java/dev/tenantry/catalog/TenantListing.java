package dev.tenantry.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

/** The filtered, cursor-paginated tenant listing (keyset pagination on the time-ordered id). */
final class TenantListing {
    static final int MAX_LIMIT = 500;

    private TenantListing() {}

    static Page<Tenant> run(Jdbi jdbi, Tenants.Query q) {
        Cursors.limit(q.limit(), MAX_LIMIT);
        List<FieldError> errors = new ArrayList<>();
        q.status().filter(s -> Status.parse(s).isEmpty()).ifPresent(s -> errors.add(new FieldError("status",
                "must be one of provisioning, active, suspended, deleting, deleted, failed")));
        q.tier().filter(t -> Tier.parse(t).isEmpty()).ifPresent(t -> errors.add(new FieldError("tier",
                "must be 'pool' or 'silo'")));
        Rules.labels("label", q.labels(), errors);
        Optional<UUID> after = q.cursor().map(c -> Ids.parse(Cursors.decode(c)).orElseThrow(
                () -> CatalogException.InvalidInput.of("cursor", "is not a cursor this API returned")));
        Rules.throwIfAny(errors);

        StringBuilder sql = new StringBuilder("select " + TenantRows.COLUMNS + " from tenants where true");
        sql.append(q.status().isPresent() ? " and status = :status" : " and status <> 'deleted'");
        q.plan().ifPresent(p -> sql.append(" and plan = :plan"));
        q.tier().ifPresent(t -> sql.append(" and tier = :tier"));
        if (!q.labels().isEmpty()) {
            sql.append(" and labels @> cast(:labels as jsonb)");
        }
        q.slugPrefix().ifPresent(p -> sql.append(" and slug like :prefix"));
        after.ifPresent(a -> sql.append(" and id > :after"));
        sql.append(" order by id limit :limit");

        List<Tenant> rows = jdbi.withHandle(h -> {
            Query query = h.createQuery(sql.toString()).bind("limit", q.limit() + 1);
            q.status().ifPresent(s -> query.bind("status", s));
            q.plan().ifPresent(p -> query.bind("plan", p));
            q.tier().ifPresent(t -> query.bind("tier", t));
            if (!q.labels().isEmpty()) {
                query.bind("labels", Json.write(q.labels()));
            }
            q.slugPrefix().ifPresent(p -> query.bind("prefix", escapeLike(p) + "%"));
            after.ifPresent(a -> query.bind("after", a));
            return query.map((rs, ctx) -> TenantRows.map(rs)).list();
        });
        boolean more = rows.size() > q.limit();
        List<Tenant> items = more ? rows.subList(0, q.limit()) : rows;
        Optional<String> next = more
                ? Optional.of(Cursors.encode(items.get(items.size() - 1).id().toString()))
                : Optional.empty();
        return new Page<>(items, next);
    }

    private static String escapeLike(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
