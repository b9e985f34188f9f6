/**
 * The catalog: tenants, plans, domains, API keys, admin tokens, resource bindings and the audit
 * log, stored in PostgreSQL. The only writer of tenant state; every mutation is audited in the
 * same transaction. Depends on nothing else of Tenantry's.
 *
 * <p>Entry point: {@link dev.tenantry.catalog.Catalog#create(org.jdbi.v3.core.Jdbi, CatalogSettings, java.time.Clock)}.
 */
package dev.tenantry.catalog;
