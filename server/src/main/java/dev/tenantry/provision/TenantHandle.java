package dev.tenantry.provision;

import dev.tenantry.catalog.Plan;
import dev.tenantry.catalog.Tier;
import java.util.UUID;

/** What a driver needs to know about the tenant it works for. */
public record TenantHandle(UUID id, String slug, Tier tier, Plan plan) {

    /**
     * The name every per-tenant resource carries: {@code t_<slug>} with '-' as '_'. PostgreSQL
     * identifiers hold 63 characters, so a slug longer than 61 keeps its first 50 characters and
     * gains '_' and 10 hex digits of its SHA-256: still unique, still readable.
     */
    public String resourceName() {
        String name = "t_" + slug.replace('-', '_');
        if (name.length() <= 63) {
            return name;
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(slug.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return name.substring(0, 52) + "_" + java.util.HexFormat.of().formatHex(digest).substring(0, 10);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
