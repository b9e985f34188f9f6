package dev.tenantry.catalog;

import java.time.Clock;
import org.jdbi.v3.core.Jdbi;

/** The catalog's stores, all on one database. */
public final class Catalog {
    private final Tenants tenants;
    private final Plans plans;
    private final Domains domains;
    private final ApiKeys apiKeys;
    private final AdminTokens adminTokens;
    private final AuditLog audit;
    private final IdempotencyKeys idempotencyKeys;
    private final Bindings bindings;
    private final Routes routes;
    private final Functions functions;

    private Catalog(Jdbi jdbi, CatalogSettings settings, Clock clock) {
        Audit writer = new Audit(clock);
        this.tenants = new JdbcTenants(jdbi, settings, clock, writer);
        this.plans = new JdbcPlans(jdbi, clock, writer);
        this.domains = new JdbcDomains(jdbi, settings, clock, writer);
        this.apiKeys = new JdbcApiKeys(jdbi, clock, writer);
        this.adminTokens = new JdbcAdminTokens(jdbi, clock, writer);
        this.audit = new JdbcAuditLog(jdbi);
        this.idempotencyKeys = new JdbcIdempotencyKeys(jdbi, clock);
        this.bindings = new JdbcBindings(jdbi, clock, writer);
        this.routes = new JdbcRoutes(jdbi, clock, writer);
        this.functions = new JdbcFunctions(jdbi, clock, writer);
    }

    /** The catalog on a migrated database. */
    public static Catalog create(Jdbi jdbi, CatalogSettings settings, Clock clock) {
        return new Catalog(jdbi, settings, clock);
    }

    public Tenants tenants() {
        return tenants;
    }

    public Plans plans() {
        return plans;
    }

    public Domains domains() {
        return domains;
    }

    public ApiKeys apiKeys() {
        return apiKeys;
    }

    public AdminTokens adminTokens() {
        return adminTokens;
    }

    public AuditLog audit() {
        return audit;
    }

    public Bindings bindings() {
        return bindings;
    }

    public Routes routes() {
        return routes;
    }

    public Functions functions() {
        return functions;
    }

    public IdempotencyKeys idempotencyKeys() {
        return idempotencyKeys;
    }
}
