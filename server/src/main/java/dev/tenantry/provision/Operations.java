package dev.tenantry.provision;

import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.Tenant;
import dev.tenantry.catalog.Tenants;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Every change to a tenant's resources is an operation: validated and queued at once (the tenant
 * record and the queued operation commit together), then run durably in the background. Two
 * operations of one tenant never run at once; those of different tenants run in parallel.
 * Failures are {@link dev.tenantry.catalog.CatalogException}s (not found, conflict, invalid input).
 */
public interface Operations {

    /** The tenant as it is now and the operation that will finish the change. */
    record Started(Tenant tenant, Operation operation) {}

    Started createTenant(Tenants.NewTenant request, Actor actor);

    Started updateTenant(String ref, Tenants.Patch patch, OptionalInt expectedVersion, Actor actor);

    Started suspendTenant(String ref, Optional<String> reason, Actor actor);

    Started resumeTenant(String ref, Actor actor);

    /** Marks the tenant {@code deleting} at once; the operation removes its resources, then the record. */
    Started deleteTenant(String ref, Actor actor);

    Started rotateCredentials(String ref, Actor actor);

    Operation get(String id);

    /** The tenant's operations, newest first. */
    List<Operation> forTenant(String tenantRef);

    /** Resumes a failed operation from its failed step (compensated steps run again). */
    Operation retry(String id, Actor actor);

    /** Blocks until the operation finishes or the timeout passes; returns its latest state. */
    Operation await(String id, Duration timeout);

    /** Connection details of the tenant's resources, passwords included (admin only). */
    Map<String, Object> credentials(String tenantRef);
}
