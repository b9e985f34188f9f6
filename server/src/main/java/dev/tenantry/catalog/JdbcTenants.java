package dev.tenantry.catalog;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementException;

/** {@link Tenants} on PostgreSQL: each call is one transaction with its audit entry. */
final class JdbcTenants implements Tenants {
    private final Jdbi jdbi;
    private final CatalogSettings settings;
    private final Clock clock;
    private final Audit audit;

    JdbcTenants(Jdbi jdbi, CatalogSettings settings, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.settings = settings;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public Tenant create(NewTenant request, Actor actor) {
        List<FieldError> errors = new ArrayList<>();
        Rules.slug("slug", request.slug(), errors);
        request.displayName().ifPresent(n -> Rules.displayName("displayName", n, errors));
        request.region().ifPresent(r -> Rules.region("region", r, errors));
        Rules.labels("labels", request.labels(), errors);
        Rules.throwIfAny(errors);
        try {
            return jdbi.inTransaction(h -> insert(h, request, actor));
        } catch (StatementException e) {
            if (Sql.violates(e, "tenants_live_slug")) {
                throw new CatalogException.SlugTaken(request.slug());
            }
            if (Sql.violates(e, "domains_pkey")) {
                throw new CatalogException.HostnameTaken(request.slug() + "." + settings.baseDomain());
            }
            throw e;
        }
    }

    private Tenant insert(Handle h, NewTenant request, Actor actor) {
        Plan plan = JdbcPlans.find(h, request.plan().orElse(settings.defaultPlan()))
                .orElseThrow(() -> CatalogException.InvalidInput.of("plan",
                        "must name an existing plan; '" + request.plan().orElse(settings.defaultPlan()) + "' is not one (see GET /v1/plans)"));
        Tier tier = tierFor(plan, request.tier()); // a taken slug breaks tenants_live_slug below: SlugTaken
        Instant now = clock.instant();
        Tenant tenant = new Tenant(Ids.next(clock), request.slug(), request.displayName().orElse(request.slug()),
                plan.name(), tier, request.region().orElse(settings.defaultRegion()), Status.PROVISIONING,
                Optional.empty(), request.labels(), now, now, 1);
        h.createUpdate("""
                insert into tenants (id, slug, display_name, plan, tier, region, status, labels, version, created_at, updated_at)
                values (:id, :slug, :name, :plan, :tier, :region, :status, cast(:labels as jsonb), 1, :now, :now)""")
                .bind("id", tenant.id()).bind("slug", tenant.slug()).bind("name", tenant.displayName())
                .bind("plan", tenant.plan()).bind("tier", tier.wire()).bind("region", tenant.region())
                .bind("status", tenant.status().wire()).bind("labels", Json.write(tenant.labels()))
                .bind("now", Sql.timestamp(now))
                .execute();
        String hostname = tenant.slug() + "." + settings.baseDomain();
        JdbcDomains.insert(h, hostname, tenant.id(), Domain.Kind.DEFAULT, now);
        audit.record(h, actor, "tenant.create", "tenant", tenant.id().toString(), tenant.id(), snapshot(tenant, hostname));
        return tenant;
    }

    private static Tier tierFor(Plan plan, Optional<String> requested) {
        if (requested.isEmpty()) {
            return plan.tier();
        }
        Tier tier = Tier.parse(requested.get()).orElseThrow(
                () -> CatalogException.InvalidInput.of("tier", "must be 'pool' or 'silo'"));
        if (tier != plan.tier()) {
            throw CatalogException.InvalidInput.of("tier",
                    "plan '" + plan.name() + "' is a " + plan.tier().wire() + " plan; the tier must match it");
        }
        return tier;
    }

    private static Map<String, Object> snapshot(Tenant t, String hostname) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("slug", t.slug());
        m.put("displayName", t.displayName());
        m.put("plan", t.plan());
        m.put("tier", t.tier().wire());
        m.put("region", t.region());
        m.put("status", t.status().wire());
        m.put("labels", t.labels());
        m.put("hostname", hostname);
        return m;
    }

    @Override
    public Tenant get(String ref) {
        return jdbi.withHandle(h -> TenantRows.resolve(h, ref, false));
    }

    @Override
    public Page<Tenant> list(Query query) {
        return TenantListing.run(jdbi, query);
    }

    @Override
    public Tenant update(String ref, Patch patch, OptionalInt expectedVersion, Actor actor) {
        checkFields(patch);
        return jdbi.inTransaction(h -> {
            Tenant current = TenantRows.editable(h, ref, "update", true);
            checkAgainst(h, current, patch, expectedVersion);
            Map<String, Object> changes = new LinkedHashMap<>();
            String name = change(changes, "displayName", current.displayName(), patch.displayName());
            String plan = change(changes, "plan", current.plan(), patch.plan());
            Map<String, String> labels = change(changes, "labels", current.labels(), patch.labels());
            if (changes.isEmpty()) {
                return current;
            }
            h.createUpdate("""
                    update tenants set display_name = :name, plan = :plan, labels = cast(:labels as jsonb),
                           version = version + 1, updated_at = :now where id = :id""")
                    .bind("name", name).bind("plan", plan).bind("labels", Json.write(labels))
                    .bind("now", Sql.timestamp(clock.instant())).bind("id", current.id())
                    .execute();
            audit.record(h, actor, "tenant.update", "tenant", current.id().toString(), current.id(), changes);
            return TenantRows.resolve(h, current.id().toString(), false);
        });
    }

    private static <T> T change(Map<String, Object> changes, String field, T current, Optional<T> wanted) {
        if (wanted.isEmpty() || wanted.get().equals(current)) {
            return current;
        }
        Map<String, Object> fromTo = new LinkedHashMap<>();
        fromTo.put("from", current);
        fromTo.put("to", wanted.get());
        changes.put(field, fromTo);
        return wanted.get();
    }

    private static void checkPlanChange(Handle h, Tenant tenant, String planName) {
        Plan plan = JdbcPlans.find(h, planName).orElseThrow(() ->
                CatalogException.InvalidInput.of("plan", "must name an existing plan; '" + planName + "' is not one (see GET /v1/plans)"));
        if (plan.tier() != tenant.tier()) {
            throw new CatalogException.Conflict("plan '" + planName + "' is a " + plan.tier().wire()
                    + " plan and tenant " + tenant.id() + " is in the " + tenant.tier().wire()
                    + " tier; changing tier is a tier move, not a plan change");
        }
    }

    private static void checkVersion(Tenant tenant, OptionalInt expected) {
        if (expected.isPresent() && expected.getAsInt() != tenant.version()) {
            throw new CatalogException.VersionConflict("tenant " + tenant.id(), expected.getAsInt(), tenant.version());
        }
    }

    @Override
    public Tenant checkUpdate(String ref, Patch patch, OptionalInt expectedVersion) {
        checkFields(patch);
        return jdbi.withHandle(h -> {
            Tenant current = TenantRows.editable(h, ref, "update", false);
            checkAgainst(h, current, patch, expectedVersion);
            return current;
        });
    }

    /** The patch's own fields, before any database work. */
    private static void checkFields(Patch patch) {
        List<FieldError> errors = new ArrayList<>();
        patch.displayName().ifPresent(n -> Rules.displayName("displayName", n, errors));
        patch.labels().ifPresent(l -> Rules.labels("labels", l, errors));
        Rules.throwIfAny(errors);
    }

    /** The patch against the tenant as it is: the expected version is current, a new plan is in its tier. */
    private static void checkAgainst(Handle h, Tenant current, Patch patch, OptionalInt expectedVersion) {
        checkVersion(current, expectedVersion);
        patch.plan().filter(p -> !p.equals(current.plan())).ifPresent(p -> checkPlanChange(h, current, p));
    }

    @Override
    public Tenant move(String ref, Set<Status> from, Status to, Optional<String> reason, String action, Actor actor) {
        return jdbi.inTransaction(h -> {
            Tenant tenant = TenantRows.resolve(h, ref, true);
            if (!from.contains(tenant.status())) {
                throw new CatalogException.IllegalTransition(tenant.id(), tenant.status(), action);
            }
            if (tenant.status() == to) {
                return tenant;
            }
            requireMove(tenant, to, action);
            setStatus(h, tenant, to, reason, clock.instant());
            Map<String, Object> changes = new LinkedHashMap<>();
            changes.put("status", Map.of("from", tenant.status().wire(), "to", to.wire()));
            reason.ifPresent(r -> changes.put("reason", r));
            audit.record(h, actor, "tenant." + action, "tenant", tenant.id().toString(), tenant.id(), changes);
            return TenantRows.resolve(h, tenant.id().toString(), false);
        });
    }

    @Override
    public Tenant finishDelete(String ref, Actor actor) {
        return jdbi.inTransaction(h -> {
            Tenant tenant = TenantRows.resolve(h, ref, true);
            if (tenant.status() == Status.DELETED) {
                return tenant;
            }
            if (tenant.status() != Status.DELETING && tenant.status() != Status.FAILED) {
                throw new CatalogException.IllegalTransition(tenant.id(), tenant.status(), "finish deleting");
            }
            Instant now = clock.instant();
            List<String> hostnames = h.createQuery("delete from domains where tenant_id = :id returning hostname")
                    .bind("id", tenant.id()).mapTo(String.class).list();
            int keys = h.createUpdate("update api_keys set revoked_at = :now where tenant_id = :id and revoked_at is null")
                    .bind("now", Sql.timestamp(now)).bind("id", tenant.id()).execute();
            h.createUpdate("delete from resource_bindings where tenant_id = :id").bind("id", tenant.id()).execute();
            setStatus(h, tenant, Status.DELETED, Optional.empty(), now);
            audit.record(h, actor, "tenant.delete", "tenant", tenant.id().toString(), tenant.id(), Map.of(
                    "status", Map.of("from", tenant.status().wire(), "to", Status.DELETED.wire()),
                    "hostnamesReleased", hostnames, "apiKeysRevoked", keys));
            return TenantRows.resolve(h, tenant.id().toString(), false);
        });
    }

    private static void requireMove(Tenant tenant, Status target, String action) {
        if (!tenant.status().canMoveTo(target)) {
            throw new CatalogException.IllegalTransition(tenant.id(), tenant.status(), action);
        }
    }

    private static void setStatus(Handle h, Tenant tenant, Status status, Optional<String> reason, Instant now) {
        h.createUpdate("""
                update tenants set status = :status, status_reason = :reason, version = version + 1, updated_at = :now
                where id = :id""")
                .bind("status", status.wire()).bind("reason", reason.orElse(null))
                .bind("now", Sql.timestamp(now)).bind("id", tenant.id())
                .execute();
    }

}
