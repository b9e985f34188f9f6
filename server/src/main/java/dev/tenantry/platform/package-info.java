/**
 * Wiring and lifecycle: configuration (flags, {@code TENANTRY_*} environment, config file), the
 * data directory and its lock, the embedded PostgreSQL, the database pool and migrations, the
 * node's roles, start-up banner and clean shutdown, and the {@code tenantry} entry point. The
 * only package that may depend on every other one.
 */
package dev.tenantry.platform;
