package dev.tenantry.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** Reading tenant rows: the mapper and reference resolution, shared by the stores. */
final class TenantRows {
    static final String COLUMNS =
            "id, slug, display_name, plan, tier, region, status, status_reason, labels::text as labels, "
                    + "created_at, updated_at, version";

    private TenantRows() {}

    static Tenant map(ResultSet rs) throws SQLException {
        return new Tenant(
                rs.getObject("id", UUID.class),
                rs.getString("slug"),
                rs.getString("display_name"),
                rs.getString("plan"),
                Tier.parse(rs.getString("tier")).orElseThrow(),
                rs.getString("region"),
                Status.parse(rs.getString("status")).orElseThrow(),
                Optional.ofNullable(rs.getString("status_reason")),
                Json.stringMap(rs.getString("labels")),
                Sql.instant(rs, "created_at"),
                Sql.instant(rs, "updated_at"),
                rs.getInt("version"));
    }

    /** The tenant by id (any status) or live slug; locked for update when asked. */
    static Tenant resolve(Handle h, String ref, boolean lock) {
        String suffix = lock ? " for update" : "";
        Optional<UUID> id = Ids.parse(ref);
        Optional<Tenant> found;
        if (id.isPresent()) {
            found = h.createQuery("select " + COLUMNS + " from tenants where id = :id" + suffix)
                    .bind("id", id.get()).map((rs, ctx) -> map(rs)).findOne();
        } else if (Rules.isSlug(ref)) {
            found = h.createQuery("select " + COLUMNS + " from tenants where slug = :slug and status <> 'deleted'" + suffix)
                    .bind("slug", ref).map((rs, ctx) -> map(rs)).findOne();
        } else {
            found = Optional.empty();
        }
        return found.orElseThrow(() -> new CatalogException.TenantNotFound(shorten(ref)));
    }

    /** Resolves the tenant (locked for update when asked), refusing if its record can no longer be edited. */
    static Tenant editable(Handle h, String ref, String action, boolean lock) {
        Tenant tenant = resolve(h, ref, lock);
        if (!tenant.status().editable()) {
            throw new CatalogException.IllegalTransition(tenant.id(), tenant.status(), action);
        }
        return tenant;
    }

    /** Echoes at most 64 characters of a caller's reference back in messages. */
    static String shorten(String ref) {
        return ref.length() <= 64 ? ref : ref.substring(0, 64) + "...";
    }
}
