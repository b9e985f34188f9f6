package dev.tenantry.provision;

import dev.tenantry.catalog.Plan;
import dev.tenantry.catalog.Tier;
import java.util.UUID;

/** What a driver needs to know about the tenant it works for. */
public record TenantHandle(UUID id, String slug, Tier tier, Plan plan) {

    /** The name every per-tenant resource carries: {@code t_<slug>} with '-' as '_'. */
    public String resourceName() {
        return "t_" + slug.replace('-', '_');
    }
}
