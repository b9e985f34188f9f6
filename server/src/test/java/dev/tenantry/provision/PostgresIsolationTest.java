package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantry.catalog.Tier;
import dev.tenantry.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The postgres driver against a real PostgreSQL that checks passwords: every tenant connects with
 * its own credentials, and every denial is asserted with the server's SQLState.
 */
class PostgresIsolationTest {
    static final String DENIED = "42501";
    static final String BAD_PASSWORD = "28P01";
    static final String LOGIN_REFUSED = "28000";
    static String catalogDb;
    static PostgresServers servers;
    static PostgresDriver driver;
    static Secrets secrets;
    static TenantHandle poolA;
    static TenantHandle poolB;
    static TenantHandle siloA;
    static TenantHandle siloB;
    static final List<TenantHandle> made = new ArrayList<>();

    @BeforeAll
    static void provision() {
        String catalogUrl = ProvisionFixtures.migratedCatalog();
        catalogDb = ProvisionFixtures.databaseOf(catalogUrl);
        secrets = ProvisionFixtures.secrets(ProvisionFixtures.jdbi(catalogUrl));
        PostgresServer server = new PostgresServer("main", TestDatabase.adminUrl(), "postgres", "", "127.0.0.1", TestDatabase.port());
        servers = new PostgresServers(server, server, "pool_" + catalogDb, catalogDb, 5, 10);
        driver = PostgresDriver.create(servers);
        driver.prepare();
        driver.prepare();
        poolA = make("pa", Tier.POOL);
        poolB = make("pb", Tier.POOL);
        siloA = make("sa", Tier.SILO);
        siloB = make("sb", Tier.SILO);
    }

    /** Leaves the shared server as it found it: other test classes compare its contents with their catalog. */
    @AfterAll
    static void cleanUp() {
        made.forEach(driver::destroy);
        Set<String> left = driver.inventory();
        made.forEach(t -> assertThat(left).doesNotContain("role:" + t.resourceName(), "schema:" + t.resourceName(),
                "database:" + t.resourceName()));
    }

    static TenantHandle make(String prefix, Tier tier) {
        TenantHandle t = ProvisionFixtures.tenant(prefix, tier);
        made.add(t);
        bindings.put(t.slug(), driver.apply(t, secrets));
        return t;
    }

    static final Map<String, Binding> bindings = new java.util.concurrent.ConcurrentHashMap<>();

    static Map<String, Object> creds(TenantHandle t) {
        return driver.credentials(t, bindings.get(t.slug()), secrets);
    }

    /** A connection as the tenant, to its own database. */
    static Connection as(TenantHandle t) throws SQLException {
        Map<String, Object> c = creds(t);
        return DriverManager.getConnection((String) c.get("jdbcUrl"), (String) c.get("user"), (String) c.get("password"));
    }

    /** A connection as the tenant, to another database. */
    static Connection as(TenantHandle t, String database) throws SQLException {
        Map<String, Object> c = creds(t);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + TestDatabase.port() + "/" + database,
                (String) c.get("user"), (String) c.get("password"));
    }

    static Connection admin(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + TestDatabase.port() + "/" + database, "postgres", "");
    }

    static void run(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static void assertSqlState(String sqlState, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).as(e.getMessage()).isEqualTo(sqlState));
    }

    static void assertLoginFails(String sqlState, TenantHandle t, String database) {
        assertSqlState(sqlState, () -> as(t, database).close());
    }

    // ---- the pool tier

    @Test
    void pool_tenant_creates_and_reads_tables_in_its_own_schema() throws SQLException {
        try (Connection a = as(poolA)) {
            assertThat(strings(a, "select current_schema()")).containsExactly(poolA.resourceName());
            run(a, "create table notes (id int primary key, body text)");
            run(a, "insert into notes values (1, 'hello')");
            assertThat(strings(a, "select body from notes")).containsExactly("hello");
            assertThat(strings(a, "select table_schema from information_schema.tables where table_name = 'notes'"))
                    .containsExactly(poolA.resourceName());
        }
    }

    @Test
    void pool_tenant_cannot_list_read_or_write_another_tenants_schema() throws SQLException {
        String b = poolB.resourceName();
        try (Connection cb = as(poolB)) {
            run(cb, "create table if not exists secret (v text)");
            run(cb, "insert into secret values ('b-only')");
        }
        try (Connection a = as(poolA)) {
            assertThat(strings(a, "select schema_name from information_schema.schemata")).doesNotContain(b)
                    .allMatch(s -> s.equals(poolA.resourceName()) || s.equals("information_schema") || s.startsWith("pg_"));
            assertThat(strings(a, "select table_name from information_schema.tables where table_schema = '" + b + "'")).isEmpty();
            assertThat(strings(a, "select column_name from information_schema.columns where table_schema = '" + b + "'")).isEmpty();
            assertSqlState(DENIED, () -> strings(a, "select v from \"" + b + "\".secret"));
            assertSqlState(DENIED, () -> run(a, "insert into \"" + b + "\".secret values ('x')"));
            assertSqlState(DENIED, () -> run(a, "create table \"" + b + "\".intruder (x int)"));
            assertSqlState(DENIED, () -> run(a, "drop schema \"" + b + "\" cascade"));
            assertSqlState(DENIED, () -> run(a, "set role \"" + b + "\""));
            assertSqlState(DENIED, () -> run(a, "grant usage on schema \"" + b + "\" to \"" + poolA.resourceName() + "\""));
        }
        try (Connection cb = as(poolB)) {
            assertThat(strings(cb, "select v from secret")).contains("b-only");
        }
    }

    @Test
    void pool_tenant_cannot_write_to_public_or_make_temporary_tables() throws SQLException {
        try (Connection a = as(poolA)) {
            assertSqlState(DENIED, () -> run(a, "create table public.intruder (x int)"));
            assertSqlState(DENIED, () -> run(a, "create temporary table scratch (x int)"));
            assertSqlState(DENIED, () -> run(a, "create schema another"));
        }
    }

    @Test
    void pool_tenant_cannot_connect_to_a_silo_database() {
        assertLoginFails(DENIED, poolA, siloA.resourceName());
        assertLoginFails(DENIED, poolA, siloB.resourceName());
    }

    // ---- the silo tier

    @Test
    void silo_tenant_owns_its_database_and_creates_tables_there() throws SQLException {
        try (Connection a = as(siloA)) {
            assertThat(strings(a, "select current_database()")).containsExactly(siloA.resourceName());
            run(a, "create table orders (id int primary key)");
            run(a, "insert into orders values (7)");
            assertThat(strings(a, "select id from orders")).containsExactly("7");
            run(a, "create schema reports");
            run(a, "create table reports.daily (d date)");
        }
    }

    @Test
    void silo_tenant_cannot_connect_to_another_silo_or_the_pool_database() {
        assertLoginFails(DENIED, siloA, siloB.resourceName());
        assertLoginFails(DENIED, siloB, siloA.resourceName());
        assertLoginFails(DENIED, siloA, servers.poolDatabase());
    }

    // ---- both tiers

    @Test
    void no_tenant_can_connect_to_the_catalog_postgres_or_template1() {
        for (TenantHandle t : List.of(poolA, poolB, siloA, siloB)) {
            assertLoginFails(DENIED, t, catalogDb);
            assertLoginFails(DENIED, t, "postgres");
            assertLoginFails(DENIED, t, "template1");
        }
    }

    @Test
    void tenant_roles_cannot_create_roles_or_databases() throws SQLException {
        for (TenantHandle t : List.of(poolA, siloA)) {
            try (Connection c = as(t)) {
                assertSqlState(DENIED, () -> run(c, "create role intruder"));
                assertSqlState(DENIED, () -> run(c, "create database intruder"));
                assertSqlState(DENIED, () -> run(c, "alter role \"" + t.resourceName() + "\" connection limit -1"));
            }
        }
    }

    @Test
    void a_wrong_password_or_another_tenants_password_is_refused() {
        Map<String, Object> b = creds(poolB);
        String url = "jdbc:postgresql://127.0.0.1:" + TestDatabase.port() + "/" + servers.poolDatabase();
        assertSqlState(BAD_PASSWORD, () -> DriverManager.getConnection(url, poolA.resourceName(), "not-the-password").close());
        assertSqlState(BAD_PASSWORD, () -> DriverManager.getConnection(url, poolA.resourceName(), (String) b.get("password")).close());
        assertSqlState(BAD_PASSWORD, () -> DriverManager.getConnection(url, "postgres_impostor", "x").close());
    }

    @Test
    void credentials_name_the_tenants_own_database_and_schema() {
        Map<String, Object> pool = creds(poolA);
        String address = "127.0.0.1:" + TestDatabase.port();
        assertThat(pool).containsEntry("url", "postgresql://" + address + "/" + servers.poolDatabase())
                .containsEntry("jdbcUrl", "jdbc:postgresql://" + address + "/" + servers.poolDatabase())
                .containsEntry("user", poolA.resourceName())
                .containsEntry("database", servers.poolDatabase())
                .containsEntry("schema", poolA.resourceName());
        assertThat((String) pool.get("password")).hasSizeGreaterThanOrEqualTo(32);
        Map<String, Object> silo = creds(siloA);
        assertThat(silo).containsEntry("database", siloA.resourceName()).doesNotContainKey("schema")
                .containsEntry("url", "postgresql://" + address + "/" + siloA.resourceName());
        assertThat(bindings.get(poolA.slug())).satisfies(b -> {
            assertThat(b.kind()).isEqualTo("postgres");
            assertThat(b.server()).isEqualTo("main");
            assertThat(b.name()).isEqualTo(poolA.resourceName());
        });
    }

    @Test
    void verify_and_inventory_see_what_exists() {
        for (TenantHandle t : List.of(poolA, poolB, siloA, siloB)) {
            assertThat(driver.verify(t, bindings.get(t.slug()), secrets)).as(t.slug()).isTrue();
        }
        assertThat(driver.inventory()).contains("role:" + poolA.resourceName(), "schema:" + poolA.resourceName(),
                "role:" + siloA.resourceName(), "database:" + siloA.resourceName())
                .doesNotContain("schema:" + siloA.resourceName(), "database:" + poolA.resourceName())
                .allMatch(s -> s.matches("(role|schema|database):t_.*"));
        Binding withoutSecret = new Binding("postgres", "main", poolA.resourceName(), Optional.empty());
        assertThat(driver.verify(poolA, withoutSecret, secrets)).isFalse();
        Binding otherSecret = new Binding("postgres", "main", poolA.resourceName(), bindings.get(poolB.slug()).secretRef());
        assertThat(driver.verify(poolA, otherSecret, secrets)).isFalse();
    }

    // ---- lifecycle

    @Test
    void suspend_ends_sessions_and_refuses_logins_and_resume_restores_them() throws SQLException {
        for (Tier tier : Tier.values()) {
            TenantHandle t = make("su", tier);
            try (Connection open = as(t)) {
                driver.suspend(t);
                assertThatThrownBy(() -> strings(open, "select 1")).isInstanceOf(SQLException.class);
            }
            assertLoginFails(LOGIN_REFUSED, t, (String) creds(t).get("database"));
            driver.suspend(t);
            driver.resume(t);
            driver.resume(t);
            try (Connection again = as(t)) {
                assertThat(strings(again, "select 1")).containsExactly("1");
            }
            driver.destroy(t);
        }
    }

    @Test
    void rotate_retires_the_old_password() throws SQLException {
        for (Tier tier : Tier.values()) {
            TenantHandle t = make("ro", tier);
            Map<String, Object> old = creds(t);
            Binding rotated = driver.rotate(t, secrets);
            assertThat(rotated.secretRef()).isNotEqualTo(bindings.get(t.slug()).secretRef());
            bindings.put(t.slug(), rotated);
            assertSqlState(BAD_PASSWORD, () -> DriverManager.getConnection((String) old.get("jdbcUrl"),
                    (String) old.get("user"), (String) old.get("password")).close());
            try (Connection c = as(t)) {
                assertThat(strings(c, "select current_user")).containsExactly(t.resourceName());
            }
            driver.destroy(t);
        }
    }

    @Test
    void apply_completes_a_half_made_tenant_and_is_safe_to_repeat() throws SQLException {
        TenantHandle pool = ProvisionFixtures.tenant("hp", Tier.POOL);
        TenantHandle silo = ProvisionFixtures.tenant("hs", Tier.SILO);
        made.add(pool);
        made.add(silo);
        try (Connection admin = admin("postgres")) {
            // a crash after "create role" (pool) and after "create database" but before the owner change (silo)
            run(admin, "create role \"" + pool.resourceName() + "\" nologin");
            run(admin, "create role \"" + silo.resourceName() + "\" nologin");
            run(admin, "create database \"" + silo.resourceName() + "\"");
        }
        for (TenantHandle t : List.of(pool, silo)) {
            Binding first = driver.apply(t, secrets);
            Binding second = driver.apply(t, secrets);
            bindings.put(t.slug(), second);
            assertThat(second.name()).isEqualTo(first.name());
            assertSqlState(BAD_PASSWORD, () -> DriverManager.getConnection((String) creds(t).get("jdbcUrl"), t.resourceName(),
                    secrets.open(first.secretRef().orElseThrow())).close());
            try (Connection c = as(t)) {
                run(c, "create table kept (x int)");
            }
            driver.apply(t, secrets);
            bindings.put(t.slug(), driver.rotate(t, secrets));
            try (Connection c = as(t)) {
                assertThat(strings(c, "select count(*) from kept")).containsExactly("0");
            }
        }
        try (Connection admin = admin("postgres")) {
            assertThat(strings(admin, "select pg_get_userbyid(datdba) from pg_database where datname = '" + silo.resourceName() + "'"))
                    .containsExactly(silo.resourceName());
        }
    }

    @Test
    void destroy_leaves_nothing_behind_and_spares_other_tenants() throws SQLException {
        for (Tier tier : Tier.values()) {
            TenantHandle t = make("de", tier);
            Binding binding = bindings.get(t.slug());
            Map<String, Object> old = creds(t);
            Connection open = as(t);
            run(open, "create table doomed (x int)");
            run(open, "insert into doomed values (1)");
            driver.destroy(t);
            assertThatThrownBy(() -> strings(open, "select 1")).isInstanceOf(SQLException.class);
            open.close();
            String name = t.resourceName();
            assertThat(driver.inventory()).doesNotContain("role:" + name, "schema:" + name, "database:" + name);
            try (Connection admin = admin("postgres"); Connection pool = admin(servers.poolDatabase())) {
                assertThat(strings(admin, "select rolname from pg_roles where rolname = '" + name + "'")).isEmpty();
                assertThat(strings(admin, "select datname from pg_database where datname = '" + name + "'")).isEmpty();
                assertThat(strings(pool, "select nspname from pg_namespace where nspname = '" + name + "'")).isEmpty();
                assertThat(strings(pool, "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '"
                        + name + "'")).isEmpty();
            }
            assertSqlState(BAD_PASSWORD, () -> DriverManager.getConnection((String) old.get("jdbcUrl"),
                    (String) old.get("user"), (String) old.get("password")).close());
            assertThat(driver.verify(t, binding, secrets)).isFalse();
            driver.destroy(t);
        }
        assertThat(driver.verify(poolB, bindings.get(poolB.slug()), secrets)).isTrue();
        assertThat(driver.verify(siloB, bindings.get(siloB.slug()), secrets)).isTrue();
        assertThat(driver.inventory()).contains("role:" + poolB.resourceName(), "schema:" + poolB.resourceName(),
                "database:" + siloB.resourceName());
    }

    @Test
    void concurrent_applies_and_destroys_of_different_tenants_all_succeed() throws Exception {
        List<TenantHandle> many = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            many.add(ProvisionFixtures.tenant("cc", i % 4 == 0 ? Tier.SILO : Tier.POOL));
        }
        made.addAll(many);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            List<java.util.concurrent.Future<Binding>> applied = new ArrayList<>();
            many.forEach(t -> applied.add(pool.submit(() -> driver.apply(t, secrets))));
            for (int i = 0; i < many.size(); i++) {
                Binding binding = applied.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(driver.verify(many.get(i), binding, secrets)).as(many.get(i).slug()).isTrue();
            }
            List<java.util.concurrent.Future<?>> destroyed = new ArrayList<>();
            many.forEach(t -> destroyed.add(pool.submit(() -> driver.destroy(t))));
            for (var f : destroyed) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        Set<String> left = driver.inventory();
        many.forEach(t -> assertThat(left).doesNotContain("role:" + t.resourceName(), "schema:" + t.resourceName(),
                "database:" + t.resourceName()));
    }

    @Test
    void destroying_or_suspending_a_tenant_that_never_existed_is_fine() {
        TenantHandle ghost = ProvisionFixtures.tenant("gh", Tier.POOL);
        driver.destroy(ghost);
        driver.suspend(ghost);
        assertThatThrownBy(() -> driver.resume(ghost)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining(ghost.resourceName()).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> driver.rotate(ghost, secrets)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void slugs_that_are_not_dns_labels_are_refused_and_the_longest_slugs_get_shortened_unique_names() {
        TenantHandle base = ProvisionFixtures.tenant("x", Tier.POOL);
        TenantHandle quoted = new TenantHandle(base.id(), "a\"; drop role postgres; --", Tier.POOL, base.plan());
        assertThatThrownBy(() -> driver.apply(quoted, secrets)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining("not a DNS label");
        TenantHandle longest = new TenantHandle(base.id(), "a".repeat(63), Tier.POOL, base.plan());
        TenantHandle almost = new TenantHandle(base.id(), "a".repeat(62), Tier.POOL, base.plan());
        assertThat(longest.resourceName()).hasSize(63).startsWith("t_aaaa").isNotEqualTo(almost.resourceName());
        Binding binding = driver.apply(longest, secrets);
        assertThat(binding.name()).isEqualTo(longest.resourceName());
        assertThat(driver.verify(longest, binding, secrets)).isTrue();
        driver.destroy(longest);
        assertThat(driver.inventory()).noneMatch(n -> n.endsWith(longest.resourceName()));
    }

    @Test
    void pg_hba_requires_passwords_for_every_role_but_the_local_superuser() throws SQLException {
        try (Connection admin = admin("postgres")) {
            assertThat(strings(admin, "select auth_method || ' ' || array_to_string(user_name, ',') from pg_hba_file_rules order by rule_number"))
                    .containsExactly("trust postgres", "trust postgres", "scram-sha-256 all", "scram-sha-256 all");
            PgHba.requirePasswords(admin);
        }
        assertSqlState(BAD_PASSWORD, () -> DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + TestDatabase.port() + "/postgres", poolA.resourceName(), "wrong").close());
    }
}
