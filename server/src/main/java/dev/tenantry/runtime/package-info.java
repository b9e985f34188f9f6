/**
 * The platform's runtime: sandboxed worker processes (Node.js in bubblewrap namespaces, cgroup
 * limits, a Unix socket to the host), a pool of generic pre-warmed workers, and their
 * supervision. It knows nothing of tenants' functions or apps: callers specialise a worker
 * over its socket. Depends on the JDK and Jackson only.
 */
package dev.tenantry.runtime;
