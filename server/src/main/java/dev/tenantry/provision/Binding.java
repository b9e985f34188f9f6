package dev.tenantry.provision;

import java.util.Optional;

/**
 * One resource a tenant owns, as recorded in the catalog's resource bindings.
 *
 * @param kind      driver kind: {@code postgres} or {@code redis}
 * @param server    which server holds it (a name from configuration, never a password)
 * @param name      the resource's name on that server (role, schema, database, ACL user)
 * @param secretRef the sealed password's id in the secret store, if the resource has one
 */
public record Binding(String kind, String server, String name, Optional<String> secretRef) {}
