/**
 * The shared edge: every tenant's traffic crosses it. On the event loop, each request is resolved
 * to its tenant from the in-memory context index (host, custom domain, or a trusted front
 * proxy's header), refused when the tenant is not serving, authenticated by API key where the
 * route asks, throttled by the plan's token bucket and daily quota, and proxied to the route's
 * upstreams with the tenant's signed headers. Depends on the context read model only.
 */
package dev.tenantry.gateway;
