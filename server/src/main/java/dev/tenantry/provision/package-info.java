/**
 * Provisioning: durable operations (ordered, idempotent steps persisted in PostgreSQL and run by
 * db-scheduler, retried with back-off, compensated on failure, finished by another node when one
 * dies) and the resource drivers that give each tenant its own database, database user and Redis
 * user. Secrets (generated passwords) are sealed with AES-GCM under the master key. May call the
 * catalog; nothing here is called by the catalog.
 */
package dev.tenantry.provision;
