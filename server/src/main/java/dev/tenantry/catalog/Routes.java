package dev.tenantry.catalog;

import java.util.List;
import java.util.OptionalInt;

/** Tenants' routes: what the gateway forwards where. */
public interface Routes {
    int MAX_ROUTES = 100;
    int MAX_UPSTREAMS = 16;

    RouteTable get(String tenantRef);

    /**
     * Replaces the tenant's routes (checked first: every bad field is named), optionally only if
     * the table is at {@code ifMatch}; answers the new table.
     */
    RouteTable replace(String tenantRef, List<RouteSpec> routes, OptionalInt ifMatch, Actor actor);
}
