package dev.tenantry.catalog;

/** Who asks for a change, and the request it came with: both go into the audit log. */
public record Actor(String name, String requestId) {

    /** The platform itself, for changes nobody asked for (bootstrap, background work). */
    public static Actor system(String requestId) {
        return new Actor("system", requestId);
    }
}
