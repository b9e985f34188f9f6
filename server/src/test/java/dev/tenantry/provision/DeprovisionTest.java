package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestDatabase;
import dev.tenantry.testsupport.TestNode;
import dev.tenantry.testsupport.TestRedis;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Deleting a tenant with data and open connections, in each tier: the delete ends the tenant's
 * sessions instead of waiting on them, then nothing of it is left on PostgreSQL or Redis, nor in
 * the resource bindings or the secret store; the tenant is {@code deleted} and its audit trail
 * stays. A neighbour whose names share the tenant's prefix keeps its data and its connections.
 */
class DeprovisionTest {
    private static final int ROWS = 100;
    private static final int KEYS = 2_500; // more than one SCAN batch of the driver
    static TestRedis redis;
    static TestNode node;
    static Http http;

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        node = TestNode.start(Map.of("redis-url", redis.url()));
        http = node.http();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** A tenant's credentials as the API gives them. */
    record Creds(String slug, String role, String jdbcUrl, String password, String redisUser, String redisPassword) {
        static Creds of(String tenantId) {
            JsonNode body = http.get("/v1/tenants/" + tenantId + "/credentials").json();
            JsonNode pg = body.get("resources").get("postgres");
            JsonNode r = body.get("resources").get("redis");
            return new Creds(body.get("slug").asText(), pg.get("user").asText(), pg.get("jdbcUrl").asText(), pg.get("password").asText(),
                    r.get("user").asText(), r.get("password").asText());
        }

        Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, role, password);
        }

        Jedis redis() {
            return new Jedis(new HostAndPort(DeprovisionTest.redis.host(), DeprovisionTest.redis.port()),
                    DefaultJedisClientConfig.builder().user(redisUser).password(redisPassword).build());
        }

        String key(String rest) {
            return "t:" + slug + ":" + rest;
        }
    }

    @ParameterizedTest(name = "plan {0}")
    @ValueSource(strings = {"standard", "enterprise"})
    void deleting_a_tenant_with_data_and_open_connections_leaves_nothing_on_either_server_and_keeps_the_audit_trail(String plan)
            throws Exception {
        String slug = "dp-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode tenant = node.createActive(Map.of("slug", slug, "plan", plan));
        JsonNode neighbourTenant = node.createActive(Map.of("slug", slug + "-keep", "plan", plan));
        assertThat(tenant.get("tier").asText()).isEqualTo(plan.equals("enterprise") ? "silo" : "pool");
        String id = tenant.get("id").asText();
        Creds gone = Creds.of(id);
        Creds neighbour = Creds.of(neighbourTenant.get("id").asText());
        fill(gone);
        fill(neighbour);
        List<String> secretRefs = node.sql().withHandle(h -> h.createQuery(
                "select secret_ref from resource_bindings where tenant_id = cast(:t as uuid)").bind("t", id).mapTo(String.class).list());
        assertThat(secretRefs).hasSize(2);

        try (Connection held = gone.connect(); Jedis heldRedis = gone.redis();
             Connection neighbourHeld = neighbour.connect(); Jedis neighbourRedis = neighbour.redis()) {
            holdALock(held);
            holdALock(neighbourHeld);
            assertThat(heldRedis.get(gone.key("k1"))).isEqualTo("v1");

            Http.Answer deleting = http.delete("/v1/tenants/" + id);
            assertThat(deleting.status()).as(deleting.text()).isEqualTo(202);
            assertThat(deleting.json().get("status").asText()).isEqualTo("deleting");
            JsonNode op = node.awaitOperation(deleting.header("Location"));
            assertThat(op.get("state").asText()).as("the open session was ended, not waited on: " + op).isEqualTo("succeeded");
            assertThat(op.get("steps")).extracting(s -> s.get("name").asText() + "=" + s.get("state").asText())
                    .containsExactly("redis.destroy=done", "postgres.destroy=done", "tenant.delete=done");

            assertThatThrownBy(() -> held.createStatement().executeQuery("select 1")).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> heldRedis.get(gone.key("k1"))).isInstanceOf(JedisException.class);
            assertThat(count(neighbourHeld)).as("the neighbour's open session is untouched").isEqualTo(ROWS);
            assertThat(neighbourRedis.get(neighbour.key("k1"))).isEqualTo("v1");
        }

        assertThatThrownBy(gone::connect).as("the old password opens nothing").isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> {
            try (Jedis j = gone.redis()) {
                j.ping();
            }
        }).as("the old Redis password opens nothing").isInstanceOf(JedisException.class);
        assertThat(ServerContents.postgres(TestDatabase.port(), gone.role())).isEmpty();
        try (Jedis admin = redis.admin()) {
            assertThat(ServerContents.redisUser(admin, gone.redisUser())).isEmpty();
            assertThat(ServerContents.redisKeys(admin, "t:" + slug + ":*")).isEmpty();
            assertThat(ServerContents.redisKeys(admin, "t:" + slug + "-keep:*")).hasSize(KEYS);
        }
        int bindings = node.sql().withHandle(h -> h.createQuery("select count(*) from resource_bindings where tenant_id = cast(:t as uuid)")
                .bind("t", id).mapTo(Integer.class).one());
        assertThat(bindings).isZero();
        int secrets = node.sql().withHandle(h -> h.createQuery("select count(*) from secrets where id::text in (<refs>)")
                .bindList("refs", secretRefs).mapTo(Integer.class).one());
        assertThat(secrets).as("sealed passwords forgotten").isZero();

        assertThat(http.get("/v1/tenants/" + id).json().get("status").asText()).isEqualTo("deleted");
        assertThat(http.get("/v1/tenants/" + id + "/credentials").json().get("resources")).isEmpty();
        List<String> actions = new ArrayList<>();
        http.get("/v1/audit?tenant=" + id + "&limit=500").json().get("items").forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).contains("tenant.create", "tenant.activate", "resource.bind", "resource.unbind", "tenant.delete");

        String neighbourRole = neighbour.role();
        Set<String> neighbourHolds = Set.of("role:" + neighbourRole, plan.equals("enterprise") ? "database:" + neighbourRole : "schema:" + neighbourRole);
        assertThat(ServerContents.postgres(TestDatabase.port(), neighbourRole)).isEqualTo(neighbourHolds);
        try (Connection c = neighbour.connect()) {
            assertThat(count(c)).isEqualTo(ROWS);
        }
    }

    @Test
    void a_delete_sent_while_the_create_is_still_running_leaves_nothing_either() {
        String slug = "dq-" + UUID.randomUUID().toString().substring(0, 8);
        String role = "t_" + slug.replace('-', '_');
        Http.Answer created = http.post("/v1/tenants", Map.of("slug", slug, "plan", "enterprise"));
        assertThat(created.status()).as(created.text()).isEqualTo(202);
        String id = created.json().get("id").asText();
        Http.Answer deleting = http.delete("/v1/tenants/" + id);
        assertThat(deleting.status()).as(deleting.text()).isEqualTo(202);

        JsonNode delete = node.awaitOperation(deleting.header("Location"));
        assertThat(delete.get("state").asText()).as(delete.toString()).isEqualTo("succeeded");
        JsonNode create = node.awaitOperation(created.header("Location"));
        assertThat(create.get("state").asText()).as("the create finished first, either way: " + create).isIn("succeeded", "failed");
        assertThat(http.get("/v1/tenants/" + id).json().get("status").asText()).isEqualTo("deleted");
        assertThat(ServerContents.postgres(TestDatabase.port(), role)).isEmpty();
        try (Jedis admin = redis.admin()) {
            assertThat(ServerContents.redisUser(admin, role)).isEmpty();
        }
        int bindings = node.sql().withHandle(h -> h.createQuery("select count(*) from resource_bindings where tenant_id = cast(:t as uuid)")
                .bind("t", id).mapTo(Integer.class).one());
        assertThat(bindings).isZero();
        int unreferenced = node.sql().withHandle(h -> h.createQuery("""
                select count(*) from secrets where id::text not in
                    (select secret_ref from resource_bindings where secret_ref is not null)""").mapTo(Integer.class).one());
        assertThat(unreferenced).as("no sealed password outlives its binding").isZero();
    }

    /** A table with rows in the tenant's schema or database, and keys in Redis. */
    private static void fill(Creds t) throws SQLException {
        try (Connection c = t.connect(); Statement s = c.createStatement()) {
            s.execute("create table orders (id int primary key, note text)");
            s.execute("insert into orders select i, 'order ' || i from generate_series(1, " + ROWS + ") i");
        }
        String[] keysValues = new String[2 * KEYS];
        for (int i = 0; i < KEYS; i++) {
            keysValues[2 * i] = t.key("k" + (i + 1));
            keysValues[2 * i + 1] = "v" + (i + 1);
        }
        try (Jedis j = t.redis()) {
            assertThat(j.mset(keysValues)).isEqualTo("OK");
        }
    }

    /** An open transaction that has read the table, so its lock is held until the session ends. */
    private static void holdALock(Connection c) throws SQLException {
        c.setAutoCommit(false);
        assertThat(count(c)).isEqualTo(ROWS);
    }

    private static int count(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from orders")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
