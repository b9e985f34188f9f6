package dev.tenantry.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The tenant-resource mapping: what each tenant owns, where, and the reference of its secret. */
public interface Bindings {

    /** Records (or updates) the tenant's resource of this kind. */
    void put(UUID tenantId, ResourceBinding binding, Actor actor);

    /** Forgets the tenant's resource of this kind (it was destroyed). */
    void remove(UUID tenantId, String kind, Actor actor);

    /** Changes the recorded state (e.g. {@code suspended}). */
    void setState(UUID tenantId, String kind, String state);

    /** What the tenant owns. */
    List<ResourceBinding> list(UUID tenantId);

    /** Every binding of every tenant (for orphan checks and repairs). */
    List<ResourceBinding> all();

    /** One resource as recorded; never a password, only its secret's reference. */
    record ResourceBinding(UUID tenantId, String kind, Tier tier, String server, String name, String state,
                           Optional<String> secretRef, Instant updatedAt) {}
}
