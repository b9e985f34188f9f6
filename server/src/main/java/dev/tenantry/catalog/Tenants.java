package dev.tenantry.catalog;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The tenant records and their lifecycle. A tenant reference ({@code ref}) is its id (UUID) or its
 * live slug. Every mutation is audited; every failure is a {@link CatalogException}.
 */
public interface Tenants {

    /**
     * Creates a tenant in status {@code provisioning} with its default hostname
     * {@code <slug>.<base-domain>}; provisioning makes it {@code active}.
     */
    Tenant create(NewTenant request, Actor actor);

    /** The tenant with this id (any status) or live slug. */
    Tenant get(String ref);

    /** A page of tenants in creation order, filtered by the query. */
    Page<Tenant> list(Query query);

    /** Changes display name, plan or labels; with {@code expectedVersion}, only if it is still current. */
    Tenant update(String ref, Patch patch, OptionalInt expectedVersion, Actor actor);

    /**
     * Checks an update without applying it: the tenant is editable, {@code expectedVersion} is
     * current, the fields are valid and a new plan exists in the tenant's tier.
     */
    Tenant checkUpdate(String ref, Patch patch, OptionalInt expectedVersion);

    /**
     * Moves the tenant from one of {@code from} to {@code to} (a lifecycle step), audited as
     * {@code tenant.<action>}; any other current status is an {@link CatalogException.IllegalTransition}.
     */
    Tenant move(String ref, java.util.Set<Status> from, Status to, Optional<String> reason, String action, Actor actor);

    /** Ends a deletion: {@code deleting|failed -> deleted}, frees slug and hostnames, revokes keys, drops bindings. */
    Tenant finishDelete(String ref, Actor actor);

    /** What to create. Empty fields take the deployment's defaults (plan, region) or the plan's tier. */
    record NewTenant(String slug, Optional<String> displayName, Optional<String> plan, Optional<String> tier,
                     Optional<String> region, Map<String, String> labels) {
        public NewTenant {
            labels = Map.copyOf(labels);
        }
    }

    /** What to change; {@code labels}, when present, replaces the whole label set. */
    record Patch(Optional<String> displayName, Optional<String> plan, Optional<Map<String, String>> labels) {}

    /**
     * A listing filter. {@code labels} must all match; {@code slugPrefix} matches the slug's start.
     * Deleted tenants are listed only when {@code status} asks for them.
     */
    record Query(Optional<String> status, Optional<String> plan, Optional<String> tier,
                 Map<String, String> labels, Optional<String> slugPrefix, Optional<String> cursor, int limit) {
        public Query {
            labels = Map.copyOf(labels);
        }
    }
}
