package dev.tenantry.provision;

import java.util.regex.Pattern;

/**
 * Which PostgreSQL server serves each tier, and the databases the postgres driver knows by name.
 *
 * @param pool                the server holding the shared pool database (pool-tier schemas)
 * @param silo                the server holding silo-tier databases (may be the same as {@code pool})
 * @param poolDatabase        the shared database pool-tier tenants get a schema in
 * @param catalogDatabase     the platform's own database, which tenants must never reach
 * @param poolConnectionLimit connection limit of each pool-tier role
 * @param siloConnectionLimit connection limit of each silo-tier role
 * @param extra               more servers a silo plan may name (setting database-servers)
 */
public record PostgresServers(PostgresServer pool, PostgresServer silo, String poolDatabase, String catalogDatabase,
                              int poolConnectionLimit, int siloConnectionLimit, java.util.List<PostgresServer> extra) {
    /** The default name of the shared pool database. */
    public static final String DEFAULT_POOL_DATABASE = "tenantry_pool";
    public static final int DEFAULT_POOL_CONNECTION_LIMIT = 20;
    public static final int DEFAULT_SILO_CONNECTION_LIMIT = 100;
    private static final Pattern DATABASE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public PostgresServers {
        requireDatabase("pool database", poolDatabase);
        requireDatabase("catalog database", catalogDatabase);
        if (poolDatabase.equals(catalogDatabase) && pool.adminUrl(poolDatabase).equals(pool.adminUrl(catalogDatabase))) {
            throw new IllegalArgumentException("the pool database must not be the catalog database (" + catalogDatabase + ")");
        }
        if (poolDatabase.startsWith("t_")) {
            throw new IllegalArgumentException("the pool database name must not start with t_ (reserved for tenants): " + poolDatabase);
        }
        if (pool.name().equals(silo.name()) && !pool.equals(silo)) {
            throw new IllegalArgumentException("two different postgres servers are both named " + pool.name());
        }
        requireLimit("pool connection limit", poolConnectionLimit);
        requireLimit("silo connection limit", siloConnectionLimit);
        extra = java.util.List.copyOf(extra);
        java.util.Set<String> names = new java.util.HashSet<>(java.util.List.of(pool.name(), silo.name()));
        for (PostgresServer server : extra) {
            if (!names.add(server.name()) && !server.equals(pool) && !server.equals(silo)) {
                throw new IllegalArgumentException("two different postgres servers are both named " + server.name());
            }
        }
    }

    /** Pool and silo servers only (no servers for plans to name). */
    public PostgresServers(PostgresServer pool, PostgresServer silo, String poolDatabase, String catalogDatabase,
                           int poolConnectionLimit, int siloConnectionLimit) {
        this(pool, silo, poolDatabase, catalogDatabase, poolConnectionLimit, siloConnectionLimit, java.util.List.of());
    }

    /** One server for both tiers, with the default pool database and connection limits. */
    public static PostgresServers of(PostgresServer server, String catalogDatabase) {
        return new PostgresServers(server, server, DEFAULT_POOL_DATABASE, catalogDatabase,
                DEFAULT_POOL_CONNECTION_LIMIT, DEFAULT_SILO_CONNECTION_LIMIT);
    }

    private static void requireDatabase(String what, String name) {
        if (!DATABASE.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters): " + name);
        }
    }

    private static void requireLimit(String what, int limit) {
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException(what + " must be 1-10000 (got " + limit + ")");
        }
    }
}
