package dev.tenantry.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/** {@link Bindings} on the {@code resource_bindings} table; one row per tenant and kind. */
final class JdbcBindings implements Bindings {
    private final Jdbi jdbi;
    private final Clock clock;
    private final Audit audit;

    JdbcBindings(Jdbi jdbi, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public void put(UUID tenantId, ResourceBinding b, Actor actor) {
        jdbi.useTransaction(h -> {
            h.createUpdate("delete from resource_bindings where tenant_id = :t and kind = :kind")
                    .bind("t", tenantId).bind("kind", b.kind()).execute();
            h.createUpdate("""
                    insert into resource_bindings (id, tenant_id, kind, tier, server, name, state, secret_ref, created_at, updated_at)
                    values (:id, :t, :kind, :tier, :server, :name, :state, :secret, :now, :now)""")
                    .bind("id", Ids.next(clock)).bind("t", tenantId).bind("kind", b.kind()).bind("tier", b.tier().wire())
                    .bind("server", b.server()).bind("name", b.name()).bind("state", b.state())
                    .bind("secret", b.secretRef().orElse(null)).bind("now", Sql.timestamp(clock.instant()))
                    .execute();
            audit.record(h, actor, "resource.bind", "resource", b.kind() + ":" + b.name(), tenantId,
                    Map.of("kind", b.kind(), "tier", b.tier().wire(), "server", b.server(), "name", b.name()));
        });
    }

    @Override
    public void remove(UUID tenantId, String kind, Actor actor) {
        jdbi.useTransaction(h -> {
            List<String> names = h.createQuery("delete from resource_bindings where tenant_id = :t and kind = :kind returning name")
                    .bind("t", tenantId).bind("kind", kind).mapTo(String.class).list();
            for (String name : names) {
                audit.record(h, actor, "resource.unbind", "resource", kind + ":" + name, tenantId, Map.of("kind", kind, "name", name));
            }
        });
    }

    @Override
    public void setState(UUID tenantId, String kind, String state) {
        jdbi.useHandle(h -> h.createUpdate("update resource_bindings set state = :state, updated_at = :now where tenant_id = :t and kind = :kind")
                .bind("state", state).bind("now", Sql.timestamp(clock.instant())).bind("t", tenantId).bind("kind", kind).execute());
    }

    @Override
    public List<ResourceBinding> list(UUID tenantId) {
        return jdbi.withHandle(h -> h.createQuery("select * from resource_bindings where tenant_id = :t order by kind")
                .bind("t", tenantId).map((rs, ctx) -> map(rs)).list());
    }

    @Override
    public List<ResourceBinding> all() {
        return jdbi.withHandle(h -> h.createQuery("select * from resource_bindings order by tenant_id, kind")
                .map((rs, ctx) -> map(rs)).list());
    }

    private static ResourceBinding map(ResultSet rs) throws SQLException {
        return new ResourceBinding(rs.getObject("tenant_id", UUID.class), rs.getString("kind"),
                Tier.parse(rs.getString("tier")).orElseThrow(), rs.getString("server"), rs.getString("name"),
                rs.getString("state"), Optional.ofNullable(rs.getString("secret_ref")), Sql.instant(rs, "updated_at"));
    }
}
