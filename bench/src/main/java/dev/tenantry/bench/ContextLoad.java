package dev.tenantry.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * Loads the catalog directly over JDBC (far faster than the API, and the API's create path is
 * not what this benchmark measures): N active pool tenants on the free plan, each with its default
 * hostname {@code <slug>.localhost} and a custom one {@code www.<slug>.example.com}, a batch of
 * tenants per transaction. The catalog's deferred triggers publish one feed change per tenant at
 * each commit, exactly as for tenants created through the API.
 */
final class ContextLoad {
    /** What was loaded: slugs and hostnames in insertion order, how long each commit took, the feed's last number. */
    record Loaded(List<String> slugs, List<String> hosts, double seconds, long[] commitNanos, long firstSeq, long lastSeq) {
    }

    private ContextLoad() {}

    static Loaded load(int postgresPort, String slugPrefix, int tenants, int batch) throws SQLException {
        List<String> slugs = new ArrayList<>(tenants);
        List<String> hosts = new ArrayList<>(tenants * 2);
        int transactions = (tenants + batch - 1) / batch;
        long[] commits = new long[transactions];
        long started = System.nanoTime();
        try (Connection c = connect(postgresPort)) {
            long firstSeq = lastSeq(c);
            c.setAutoCommit(false);
            try (PreparedStatement tenant = c.prepareStatement("""
                         insert into tenants (id, slug, display_name, plan, tier, region, status, labels, version,
                                              created_at, updated_at)
                         values (?, ?, ?, 'free', 'pool', 'local', 'active', '{}'::jsonb, 1, now(), now())""");
                 PreparedStatement domain = c.prepareStatement(
                         "insert into domains (hostname, tenant_id, kind, created_at) values (?, ?, ?, now())")) {
                for (int t = 0; t < transactions; t++) {
                    int from = t * batch;
                    int to = Math.min(tenants, from + batch);
                    for (int i = from; i < to; i++) {
                        UUID id = UUID.randomUUID();
                        String slug = slugPrefix + "-" + i;
                        tenant.setObject(1, id);
                        tenant.setString(2, slug);
                        tenant.setString(3, "Context bench " + i);
                        tenant.addBatch();
                        addDomain(domain, slug + ".localhost", id, "default");
                        addDomain(domain, "www." + slug + ".example.com", id, "custom");
                        slugs.add(slug);
                        hosts.add(slug + ".localhost");
                        hosts.add("www." + slug + ".example.com");
                    }
                    tenant.executeBatch();
                    domain.executeBatch();
                    long commitStart = System.nanoTime();
                    c.commit(); // the deferred triggers publish the batch's feed changes here
                    commits[t] = System.nanoTime() - commitStart;
                }
            }
            c.setAutoCommit(true);
            long last = lastSeq(c);
            return new Loaded(slugs, hosts, (System.nanoTime() - started) / 1e9, commits, firstSeq, last);
        }
    }

    /** {@code select last from context_sequence}: the number of the newest feed change. */
    static long lastSeq(int postgresPort) throws SQLException {
        try (Connection c = connect(postgresPort)) {
            return lastSeq(c);
        }
    }

    private static long lastSeq(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select last from context_sequence")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void addDomain(PreparedStatement domain, String hostname, UUID tenant, String kind) throws SQLException {
        domain.setString(1, hostname);
        domain.setObject(2, tenant);
        domain.setString(3, kind);
        domain.addBatch();
    }

    private static Connection connect(int port) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", System.getenv().getOrDefault("PGPASSWORD", "")); // the scripts export it
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "300");
        props.setProperty("reWriteBatchedInserts", "true");
        props.setProperty("ApplicationName", "tenantry-bench");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/tenantry", props);
    }
}
