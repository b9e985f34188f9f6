package dev.tenantry.provision;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * What real servers hold for tenants, read as their administrator, in the names the drivers'
 * inventories use: {@code role:t_x}, {@code database:t_x}, {@code schema:t_x} (in the pool
 * database) and {@code acl:t_x}. The tests compare these with the catalog.
 */
final class ServerContents {
    private ServerContents() {}

    /** Every tenant role, database and pool schema on the PostgreSQL at 127.0.0.1:{@code port} (user postgres with this password). */
    static Set<String> postgres(int port, char[] password) {
        return postgres(port, new String(password), "starts_with(%s, ?)", "t_");
    }

    /** The role, database and pool schema named exactly {@code name} (a tenant's resource name), where they exist (user postgres, trusted). */
    static Set<String> postgres(int port, String name) {
        return postgres(port, "", "%s = ?", name);
    }

    private static Set<String> postgres(int port, String password, String condition, String value) {
        Set<String> found = new TreeSet<>();
        String base = "jdbc:postgresql://127.0.0.1:" + port + "/";
        found.addAll(names(base + "postgres", password, "role:", "select rolname from pg_roles where " + condition.formatted("rolname"), value));
        found.addAll(names(base + "postgres", password, "database:", "select datname from pg_database where " + condition.formatted("datname"), value));
        found.addAll(names(base + PostgresServers.DEFAULT_POOL_DATABASE, password, "schema:",
                "select nspname from pg_namespace where " + condition.formatted("nspname"), value));
        return found;
    }

    /** Every ACL user named {@code t_*}, as {@code acl:<name>}. */
    static Set<String> redisUsers(Jedis admin) {
        Set<String> found = new TreeSet<>();
        admin.aclUsers().stream().filter(u -> u.startsWith("t_")).forEach(u -> found.add("acl:" + u));
        return found;
    }

    /** The ACL user named exactly {@code name}, if it exists, as {@code acl:<name>}. */
    static Set<String> redisUser(Jedis admin, String name) {
        return admin.aclUsers().contains(name) ? Set.of("acl:" + name) : Set.of();
    }

    /** Every key matching {@code pattern}, by SCAN (bounded: a test database is small). */
    static List<String> redisKeys(Jedis admin, String pattern) {
        List<String> keys = new ArrayList<>();
        ScanParams params = new ScanParams().match(pattern).count(1000);
        String cursor = ScanParams.SCAN_POINTER_START;
        for (int round = 0; round < 10_000; round++) {
            ScanResult<String> batch = admin.scan(cursor, params);
            keys.addAll(batch.getResult());
            cursor = batch.getCursor();
            if (cursor.equals(ScanParams.SCAN_POINTER_START)) {
                return keys;
            }
        }
        throw new AssertionError("SCAN " + pattern + " did not finish in 10000 rounds");
    }

    private static List<String> names(String url, String password, String kind, String sql, String prefix) {
        try (Connection c = DriverManager.getConnection(url, "postgres", password); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, prefix);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(kind + rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read " + kind + " names from " + url + ": " + e.getMessage(), e);
        }
    }
}
