package dev.tenantry.provision;

import static dev.tenantry.provision.PgAdmin.ident;

import dev.tenantry.catalog.Tier;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * Kind {@code postgres}. Pool tier: a login role {@code t_<slug>} owning a schema of the same name in
 * the shared pool database, with its search path set there. Silo tier: the same role owning a
 * dedicated database of the same name. Either way the role may connect to its own database only:
 * {@link #prepare()} takes CONNECT away from PUBLIC on the pool, catalog, {@code postgres} and
 * {@code template1} databases, and silo databases are created with CONNECT revoked from PUBLIC.
 */
public final class PostgresDriver implements ResourceDriver {
    /** The binding kind. */
    public static final String KIND = "postgres";
    private static final String ADMIN_DATABASE = "postgres";
    /** Advisory lock (in the pool database) around changes to the pool database's ACL. */
    private static final long POOL_ACL_LOCK = 0x7465_6e61_6e74_7279L;
    private final PostgresServers servers;

    private PostgresDriver(PostgresServers servers) {
        this.servers = servers;
    }

    /** A driver for these servers; call {@link #prepare()} once before provisioning. */
    public static PostgresDriver create(PostgresServers servers) {
        return new PostgresDriver(servers);
    }

    @Override
    public String kind() {
        return KIND;
    }

    /**
     * Idempotent start-up work: creates the pool database when missing and locks down what PUBLIC
     * may reach on every server (pool database, its {@code public} schema, the catalog database,
     * {@code postgres} and {@code template1}).
     */
    public void prepare() {
        try (PgAdmin admin = PgAdmin.open(servers.pool(), ADMIN_DATABASE)) {
            String pool = servers.poolDatabase();
            if (!admin.databaseExists(pool)) {
                admin.execIgnoring("42P04", "create the pool database " + pool, "create database " + ident(pool));
            }
            admin.exec("lock down the pool database " + pool, "revoke all on database " + ident(pool) + " from public");
        }
        try (PgAdmin admin = PgAdmin.open(servers.pool(), servers.poolDatabase())) {
            admin.exec("lock down schema public of the pool database", "revoke all on schema public from public");
        }
        for (PostgresServer server : distinctServers()) {
            lockDownSharedDatabases(server);
        }
    }

    private void lockDownSharedDatabases(PostgresServer server) {
        try (PgAdmin admin = PgAdmin.open(server, ADMIN_DATABASE)) {
            for (String db : List.of(servers.catalogDatabase(), ADMIN_DATABASE, "template1")) {
                if (admin.databaseExists(db)) {
                    admin.exec("revoke CONNECT on database " + db + " from PUBLIC", "revoke connect on database " + ident(db) + " from public");
                }
            }
        }
    }

    @Override
    public Binding apply(TenantHandle tenant, Secrets secrets) {
        String role = TenantNames.resourceName(tenant);
        PostgresServer server = serverFor(tenant);
        String password = Passwords.generate();
        if (tenant.tier() == Tier.POOL) {
            try (PgAdmin admin = PgAdmin.open(server, servers.poolDatabase())) {
                ensureRole(admin, role, servers.poolConnectionLimit());
                ensureSchema(admin, role);
                admin.setPassword(role, password);
            }
        } else {
            try (PgAdmin admin = PgAdmin.open(server, ADMIN_DATABASE)) {
                ensureRole(admin, role, servers.siloConnectionLimit());
                ensureDatabase(admin, role);
                admin.setPassword(role, password);
            }
        }
        return new Binding(KIND, server.name(), role, Optional.of(secrets.seal(password)));
    }

    private static void ensureRole(PgAdmin admin, String role, int connectionLimit) {
        String attributes = " login noinherit connection limit " + connectionLimit;
        if (!admin.roleExists(role)) {
            admin.execIgnoring("42710", "create role " + role, "create role " + ident(role) + " with" + attributes);
        }
        admin.exec("set the attributes of role " + role, "alter role " + ident(role) + " with" + attributes);
    }

    /** In the pool database: the role's schema, CONNECT for the role, and its search path. */
    private void ensureSchema(PgAdmin admin, String role) {
        String pool = ident(servers.poolDatabase());
        admin.locked(POOL_ACL_LOCK, () -> admin.exec("grant CONNECT on the pool database to " + role,
                "grant connect on database " + pool + " to " + ident(role)));
        admin.execIgnoring("42P06", "create schema " + role, "create schema if not exists " + ident(role) + " authorization " + ident(role));
        admin.exec("give schema " + role + " to its role", "alter schema " + ident(role) + " owner to " + ident(role));
        admin.exec("set the search path of role " + role,
                "alter role " + ident(role) + " in database " + pool + " set search_path = " + ident(role));
    }

    /** A dedicated database owned by the role, which PUBLIC may neither connect to nor make temporary tables in. */
    private static void ensureDatabase(PgAdmin admin, String role) {
        if (!admin.databaseExists(role)) {
            admin.execIgnoring("42P04", "create database " + role, "create database " + ident(role) + " owner " + ident(role));
        }
        admin.exec("give database " + role + " to its role", "alter database " + ident(role) + " owner to " + ident(role));
        admin.exec("revoke CONNECT on database " + role + " from PUBLIC",
                "revoke connect, temporary on database " + ident(role) + " from public");
    }

    @Override
    public void destroy(TenantHandle tenant) {
        String role = TenantNames.resourceName(tenant);
        PostgresServer server = serverFor(tenant);
        try (PgAdmin admin = PgAdmin.open(server, ADMIN_DATABASE)) {
            boolean roleExists = admin.roleExists(role);
            if (roleExists) {
                admin.exec("refuse logins of role " + role, "alter role " + ident(role) + " with nologin");
                admin.terminateSessions(role);
            }
            if (tenant.tier() == Tier.SILO) {
                admin.exec("drop database " + role, "drop database if exists " + ident(role) + " with (force)");
            }
            boolean poolHere = servesPool(server) && admin.databaseExists(servers.poolDatabase());
            if (poolHere) {
                dropFromPool(server, role, roleExists);
            }
            if (roleExists) {
                admin.exec("drop what role " + role + " owns", "drop owned by " + ident(role));
                admin.exec("drop role " + role, "drop role if exists " + ident(role));
            }
        }
    }

    /** Drops the tenant's schema (a pool tenant's, or a silo tenant's left from another tier) and its grants in the pool database. */
    private void dropFromPool(PostgresServer server, String role, boolean roleExists) {
        try (PgAdmin pool = PgAdmin.open(server, servers.poolDatabase())) {
            pool.exec("drop schema " + role, "drop schema if exists " + ident(role) + " cascade");
            if (roleExists) {
                pool.locked(POOL_ACL_LOCK, () -> pool.exec("drop what role " + role + " owns in the pool database",
                        "drop owned by " + ident(role) + " cascade"));
            }
        }
    }

    @Override
    public void suspend(TenantHandle tenant) {
        String role = TenantNames.resourceName(tenant);
        try (PgAdmin admin = PgAdmin.open(serverFor(tenant), ADMIN_DATABASE)) {
            if (admin.roleExists(role)) {
                admin.exec("refuse logins of role " + role, "alter role " + ident(role) + " with nologin");
                admin.terminateSessions(role);
            }
        }
    }

    @Override
    public void resume(TenantHandle tenant) {
        String role = TenantNames.resourceName(tenant);
        PostgresServer server = serverFor(tenant);
        try (PgAdmin admin = PgAdmin.open(server, ADMIN_DATABASE)) {
            requireRole(admin, server, role);
            admin.exec("allow logins of role " + role, "alter role " + ident(role) + " with login");
        }
    }

    @Override
    public Binding rotate(TenantHandle tenant, Secrets secrets) {
        String role = TenantNames.resourceName(tenant);
        PostgresServer server = serverFor(tenant);
        String password = Passwords.generate();
        try (PgAdmin admin = PgAdmin.open(server, ADMIN_DATABASE)) {
            requireRole(admin, server, role);
            admin.setPassword(role, password);
        }
        return new Binding(KIND, server.name(), role, Optional.of(secrets.seal(password)));
    }

    private static void requireRole(PgAdmin admin, PostgresServer server, String role) {
        if (!admin.roleExists(role)) {
            throw new ProvisionException("postgres server " + server.name() + ": role " + role + " does not exist (apply it first)");
        }
    }

    /**
     * Connects with the tenant's own credentials and checks it lands in its own schema (pool) or
     * database (silo) with CREATE there. False when the credentials or the resource are not
     * usable; a server that cannot be reached throws, so the caller retries.
     */
    @Override
    public boolean verify(TenantHandle tenant, Binding binding, Secrets secrets) {
        String role = TenantNames.resourceName(tenant);
        if (binding.secretRef().isEmpty()) {
            return false;
        }
        PostgresServer server = serverNamed(binding.server());
        String database = databaseOf(tenant);
        String check = tenant.tier() == Tier.POOL
                ? "select current_schema() = current_user and has_schema_privilege(current_schema(), 'CREATE')"
                : "select current_database() = current_user and has_database_privilege(current_database(), 'CREATE')";
        try (Connection c = DriverManager.getConnection(tenantJdbcUrl(server, database), tenantProps(role, secrets.open(binding.secretRef().get())));
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(check)) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            if (e.getSQLState() == null || e.getSQLState().startsWith("08")) {
                throw new ProvisionException("postgres server " + server.name() + " at " + server.tenantAddress()
                        + " cannot be reached to verify " + role + ": " + PgAdmin.describe(e), e);
            }
            return false;
        }
    }

    private static Properties tenantProps(String role, String password) {
        Properties props = new Properties();
        props.setProperty("user", role);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "tenantry-verify");
        return props;
    }

    /** Every role, pool schema and database named {@code t_*}, as {@code role:t_x}, {@code schema:t_x}, {@code database:t_x}. */
    @Override
    public Set<String> inventory() {
        Set<String> found = new LinkedHashSet<>();
        for (PostgresServer server : distinctServers()) {
            try (PgAdmin admin = PgAdmin.open(server, ADMIN_DATABASE)) {
                admin.strings("select rolname from pg_roles where starts_with(rolname, 't_') order by 1").forEach(r -> found.add("role:" + r));
                admin.strings("select datname from pg_database where starts_with(datname, 't_') order by 1").forEach(d -> found.add("database:" + d));
            }
        }
        try (PgAdmin pool = PgAdmin.open(servers.pool(), servers.poolDatabase())) {
            pool.strings("select nspname from pg_namespace where starts_with(nspname, 't_') order by 1").forEach(s -> found.add("schema:" + s));
        }
        return found;
    }

    /** {@code url} (postgresql://host:port/db), {@code jdbcUrl}, {@code user}, {@code password}, {@code database}, and {@code schema} for pool tenants. */
    @Override
    public Map<String, Object> credentials(TenantHandle tenant, Binding binding, Secrets secrets) {
        String role = TenantNames.resourceName(tenant);
        PostgresServer server = serverNamed(binding.server());
        String ref = binding.secretRef().orElseThrow(() -> new ProvisionException("postgres binding " + binding.name() + " has no secret"));
        String database = databaseOf(tenant);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("url", "postgresql://" + server.tenantAddress() + "/" + database);
        out.put("jdbcUrl", tenantJdbcUrl(server, database));
        out.put("user", role);
        out.put("password", secrets.open(ref));
        out.put("database", database);
        if (tenant.tier() == Tier.POOL) {
            out.put("schema", role);
        }
        return out;
    }

    private String databaseOf(TenantHandle tenant) {
        return tenant.tier() == Tier.POOL ? servers.poolDatabase() : TenantNames.resourceName(tenant);
    }

    private static String tenantJdbcUrl(PostgresServer server, String database) {
        return "jdbc:postgresql://" + server.tenantAddress() + "/" + database;
    }

    /** A silo plan may name another server; otherwise the tier's server. */
    private PostgresServer serverFor(TenantHandle tenant) {
        if (tenant.tier() == Tier.SILO && tenant.plan().databaseServer().isPresent()) {
            String name = tenant.plan().databaseServer().get();
            return distinctServers().stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new ProvisionException("plan " + tenant.plan().name() + " names postgres server '" + name
                            + "', which this node does not have (configured: "
                            + String.join(", ", distinctServers().stream().map(PostgresServer::name).toList())
                            + "; see the database-servers setting)"));
        }
        return tenant.tier() == Tier.POOL ? servers.pool() : servers.silo();
    }

    private PostgresServer serverNamed(String name) {
        return distinctServers().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new ProvisionException("no postgres server named " + name + " is configured"));
    }

    private boolean servesPool(PostgresServer server) {
        return server.equals(servers.pool());
    }

    private List<PostgresServer> distinctServers() {
        List<PostgresServer> all = new java.util.ArrayList<>(List.of(servers.pool()));
        if (!servers.silo().equals(servers.pool())) {
            all.add(servers.silo());
        }
        servers.extra().stream().filter(s -> !all.contains(s)).forEach(all::add);
        return all;
    }
}
