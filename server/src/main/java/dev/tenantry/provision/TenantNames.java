package dev.tenantry.provision;

import java.util.regex.Pattern;

/** The checked names drivers give a tenant's resources; a slug that is not a DNS label never reaches a server. */
final class TenantNames {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** PostgreSQL keeps at most 63 bytes of an identifier and would silently cut a longer one. */
    static final int MAX_IDENTIFIER = 63;

    private TenantNames() {}

    /** {@code t_<slug with '_' for '-'>}, after checking the slug and the name's length. */
    static String resourceName(TenantHandle tenant) {
        requireSlug(tenant);
        String name = tenant.resourceName();
        if (name.length() > MAX_IDENTIFIER) {
            throw new ProvisionException("tenant " + tenant.id() + ": slug " + tenant.slug() + " is too long for a database name ("
                    + name + " has " + name.length() + " characters; PostgreSQL allows " + MAX_IDENTIFIER + ", so slugs up to "
                    + (MAX_IDENTIFIER - 2) + ")");
        }
        return name;
    }

    /** The Redis key and channel prefix {@code t:<slug>:}. */
    static String keyPrefix(TenantHandle tenant) {
        requireSlug(tenant);
        return "t:" + tenant.slug() + ":";
    }

    private static void requireSlug(TenantHandle tenant) {
        if (!DNS_LABEL.matcher(tenant.slug()).matches()) {
            throw new ProvisionException("tenant " + tenant.id() + ": slug '" + tenant.slug() + "' is not a DNS label");
        }
    }
}
