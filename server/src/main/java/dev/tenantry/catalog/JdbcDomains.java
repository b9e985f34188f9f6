package dev.tenantry.catalog;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementException;

/** {@link Domains} on PostgreSQL; uniqueness is the table's primary key. */
final class JdbcDomains implements Domains {
    private final Jdbi jdbi;
    private final CatalogSettings settings;
    private final Clock clock;
    private final Audit audit;

    JdbcDomains(Jdbi jdbi, CatalogSettings settings, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.settings = settings;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public List<Domain> list(String tenantRef) {
        return jdbi.withHandle(h -> {
            UUID id = TenantRows.resolve(h, tenantRef, false).id();
            return h.createQuery("select * from domains where tenant_id = :id order by kind = 'default' desc, hostname")
                    .bind("id", id)
                    .map((rs, ctx) -> new Domain(rs.getString("hostname"), id,
                            Domain.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)),
                            Sql.instant(rs, "created_at")))
                    .list();
        });
    }

    @Override
    public Domain add(String tenantRef, String hostname, Actor actor) {
        String host = hostname.toLowerCase(Locale.ROOT);
        List<FieldError> errors = new ArrayList<>();
        Rules.hostname("hostname", host, settings.baseDomain(), errors);
        Rules.throwIfAny(errors);
        try {
            return jdbi.inTransaction(h -> {
                Tenant tenant = TenantRows.editable(h, tenantRef, "add a domain to", true);
                Domain domain = insert(h, host, tenant.id(), Domain.Kind.CUSTOM, clock.instant());
                audit.record(h, actor, "domain.add", "domain", host, tenant.id(), Map.of("hostname", host));
                return domain;
            });
        } catch (StatementException e) {
            if (Sql.violates(e, "domains_pkey")) {
                throw new CatalogException.HostnameTaken(host);
            }
            throw e;
        }
    }

    static Domain insert(Handle h, String hostname, UUID tenantId, Domain.Kind kind, Instant now) {
        h.createUpdate("insert into domains (hostname, tenant_id, kind, created_at) values (:host, :tenant, :kind, :now)")
                .bind("host", hostname).bind("tenant", tenantId).bind("kind", kind.wire())
                .bind("now", Sql.timestamp(now))
                .execute();
        return new Domain(hostname, tenantId, kind, now);
    }

    @Override
    public void remove(String tenantRef, String hostname, Actor actor) {
        String host = hostname.toLowerCase(Locale.ROOT);
        jdbi.useTransaction(h -> {
            Tenant tenant = TenantRows.editable(h, tenantRef, "remove a domain from", true);
            String kind = h.createQuery("select kind from domains where hostname = :host and tenant_id = :id")
                    .bind("host", host).bind("id", tenant.id()).mapTo(String.class).findOne()
                    .orElseThrow(() -> new CatalogException.NotFound("domain", TenantRows.shorten(host)));
            if (kind.equals(Domain.Kind.DEFAULT.wire())) {
                throw new CatalogException.Conflict("'" + host + "' is the tenant's default hostname; it lives as long as the tenant");
            }
            h.createUpdate("delete from domains where hostname = :host").bind("host", host).execute();
            audit.record(h, actor, "domain.remove", "domain", host, tenant.id(), Map.of("hostname", host));
        });
    }
}
