package dev.tenantry.provision;

import dev.tenantry.catalog.Plan;
import dev.tenantry.catalog.Tier;
import dev.tenantry.testsupport.TestDatabase;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/** What the provisioning tests share: a migrated catalog database, a secret store on it, tenants with unique slugs. */
final class ProvisionFixtures {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ProvisionFixtures() {}

    /** A fresh catalog database, migrated by the product's own migrations; returns its JDBC URL. */
    static String migratedCatalog() {
        String url = TestDatabase.newDatabase();
        Flyway.configure().dataSource(url, "postgres", "").locations("classpath:db/migration").load().migrate();
        return url;
    }

    static Jdbi jdbi(String url) {
        return Jdbi.create(url, "postgres", "");
    }

    /** A secret store on the catalog database under a fresh random master key. */
    static Secrets secrets(Jdbi jdbi) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return Secrets.jdbc(jdbi, SecretBox.of(key), Clock.systemUTC());
    }

    /** A tenant whose slug is {@code <prefix>-<random>}, so runs and test classes never collide. */
    static TenantHandle tenant(String prefix, Tier tier) {
        StringBuilder slug = new StringBuilder(prefix).append('-');
        for (int i = 0; i < 6; i++) {
            slug.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(RANDOM.nextInt(36)));
        }
        Plan plan = new Plan(tier == Tier.POOL ? "standard" : "enterprise", tier, 10, 20, 10_000, 4, 128, 1000, false, 1, Instant.now(),
                java.util.Optional.empty());
        return new TenantHandle(UUID.randomUUID(), slug.toString(), tier, plan);
    }

    /** The database name in a JDBC URL. */
    static String databaseOf(String jdbcUrl) {
        String path = jdbcUrl.substring(jdbcUrl.lastIndexOf('/') + 1);
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }
}
