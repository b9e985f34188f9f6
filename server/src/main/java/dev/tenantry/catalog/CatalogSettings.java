package dev.tenantry.catalog;

/**
 * What the catalog needs to know about the deployment.
 *
 * @param baseDomain    tenants' default hostnames are {@code <slug>.<baseDomain>}
 * @param defaultRegion region of tenants created without one
 * @param defaultPlan   plan of tenants created without one
 */
public record CatalogSettings(String baseDomain, String defaultRegion, String defaultPlan) {}
