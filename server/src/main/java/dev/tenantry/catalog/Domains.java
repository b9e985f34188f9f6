package dev.tenantry.catalog;

import java.util.List;

/** Hostnames of tenants, unique across all tenants. */
public interface Domains {

    /** The tenant's hostnames, its default one first. */
    List<Domain> list(String tenantRef);

    /** Adds a custom hostname (lower-cased); fails if any tenant already has it. */
    Domain add(String tenantRef, String hostname, Actor actor);

    /** Removes a custom hostname; the default one stays while the tenant lives. */
    void remove(String tenantRef, String hostname, Actor actor);
}
