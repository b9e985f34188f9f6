package dev.tenantry.provision;

import java.util.Map;
import java.util.Set;

/**
 * A kind of resource a tenant owns. Every method is idempotent: running it again after a crash at
 * any point finishes the job or does nothing, never fails because the work was half done, and
 * never touches another tenant's resources. Failures throw {@link ProvisionException}.
 */
public interface ResourceDriver {

    /** The binding kind, e.g. {@code postgres}. */
    String kind();

    /** Creates the tenant's resource (or completes a half-made one) with a fresh password. */
    Binding apply(TenantHandle tenant, Secrets secrets);

    /** Removes the resource and everything in it, closing open sessions first; absent is fine. */
    void destroy(TenantHandle tenant);

    /** Refuses new sessions and ends open ones (the tenant is suspended). */
    void suspend(TenantHandle tenant);

    /** Lets sessions in again. */
    void resume(TenantHandle tenant);

    /** Sets a new password (the old one stops working); returns the binding with the new secret. */
    Binding rotate(TenantHandle tenant, Secrets secrets);

    /** Whether the resource exists and its own credentials can use it. */
    boolean verify(TenantHandle tenant, Binding binding, Secrets secrets);

    /** The names of every tenant resource ({@code t_*}) this driver finds on its servers, for orphan checks. */
    Set<String> inventory();

    /** Connection details for the tenant's own services (password included), keyed for JSON. */
    Map<String, Object> credentials(TenantHandle tenant, Binding binding, Secrets secrets);
}
