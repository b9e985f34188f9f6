/**
 * Tenants' serverless functions: deploying versions (bundles, npm dependencies resolved to
 * exact versions), the module builder and module store (each {@code name@version} built once,
 * shared read-only), and the invoker that runs a request in the tenant's sandboxed worker.
 * Depends on the catalog (registry, tenant state), the runtime (sandboxes, pool) and the
 * context read model.
 */
package dev.tenantry.functions;
