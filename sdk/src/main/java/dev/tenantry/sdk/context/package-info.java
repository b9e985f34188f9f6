/**
 * Tenant contexts for services: the in-memory read model ({@link dev.tenantry.sdk.context.ContextIndex}),
 * the client that keeps it fresh from a Tenantry node ({@link dev.tenantry.sdk.context.TenantContexts}),
 * and the verifier of the gateway's signed tenant headers ({@link dev.tenantry.sdk.context.TenantHeaders}).
 */
package dev.tenantry.sdk.context;
