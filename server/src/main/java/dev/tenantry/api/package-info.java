/**
 * The control-plane REST API: Vert.x router, virtual-thread handlers that read as blocking Java,
 * admin-token authentication, problem+json errors (mapped in one place, {@link dev.tenantry.api.Problems}),
 * health, metrics and the OpenAPI document. May call the catalog (later: provision, context,
 * functions); never the other way round.
 */
package dev.tenantry.api;
