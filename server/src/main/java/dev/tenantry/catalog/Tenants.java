package dev.tenantry.catalog;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The tenant records and their lifecycle. A tenant reference ({@code ref}) is its id (UUID) or its
 * live slug. Every mutation is audited; every failure is a {@link CatalogException}.
 */
public interface Tenants {

    /** Creates a tenant with its default hostname {@code <slug>.<base-domain>}. */
    Tenant create(NewTenant request, Actor actor);

    /** The tenant with this id (any status) or live slug. */
    Tenant get(String ref);

    /** A page of tenants in creation order, filtered by the query. */
    Page<Tenant> list(Query query);

    /** Changes display name, plan or labels; with {@code expectedVersion}, only if it is still current. */
    Tenant update(String ref, Patch patch, OptionalInt expectedVersion, Actor actor);

    /** {@code active -> suspended}, keeping the reason. */
    Tenant suspend(String ref, Optional<String> reason, Actor actor);

    /** {@code suspended -> active}. */
    Tenant resume(String ref, Actor actor);

    /** Moves the tenant to {@code deleted}, frees its slug and hostnames and revokes its keys. */
    Tenant delete(String ref, Actor actor);

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
