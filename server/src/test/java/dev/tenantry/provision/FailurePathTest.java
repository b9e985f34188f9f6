package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestDatabase;
import dev.tenantry.testsupport.TestNode;
import dev.tenantry.testsupport.TestRedis;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A create while Redis is down: its redis step is retried with back-off, then the operation fails
 * with a reason that names Redis and undoes what it made (the PostgreSQL role and schema); once
 * Redis is back, retrying the same operation completes it and the credentials work.
 */
class FailurePathTest {
    static TestRedis redis;
    static TestNode node;
    static Http http;

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        node = TestNode.start(Map.of("redis-url", redis.url(), "provision-max-attempts", "3"));
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

    @Test
    void with_redis_down_a_create_retries_then_fails_naming_redis_and_compensates_and_retry_completes_it_once_redis_is_back()
            throws Exception {
        String slug = "fail-" + UUID.randomUUID().toString().substring(0, 8);
        String role = "t_" + slug.replace('-', '_');
        redis.stop();

        Http.Answer created = http.post("/v1/tenants", Map.of("slug", slug));
        assertThat(created.status()).as(created.text()).isEqualTo(202);
        String opPath = created.header("Location");
        String tenantId = created.json().get("id").asText();

        int attemptsSeenWhileRunning = 0;
        JsonNode op = http.get(opPath).json();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!op.get("state").asText().matches("succeeded|failed") && System.nanoTime() < deadline) {
            if (op.get("state").asText().equals("running")) {
                attemptsSeenWhileRunning = Math.max(attemptsSeenWhileRunning, step(op, "redis.apply").get("attempts").asInt());
            }
            Thread.sleep(10);
            op = http.get(opPath).json();
        }
        assertThat(attemptsSeenWhileRunning).as("the redis step was tried again while the operation ran").isGreaterThan(1);

        assertThat(op.get("state").asText()).as(op.toString()).isEqualTo("failed");
        assertThat(op.get("error").asText()).contains("redis.apply failed (attempt 3 of 3)",
                "redis server main at 127.0.0.1:" + redis.port() + " is unreachable");
        assertThat(step(op, "postgres.apply").get("state").asText()).isEqualTo("compensated");
        JsonNode redisStep = step(op, "redis.apply");
        assertThat(redisStep.get("state").asText()).isEqualTo("failed");
        assertThat(redisStep.get("attempts").asInt()).isEqualTo(3);
        assertThat(redisStep.get("lastError").asText()).contains("unreachable");
        assertThat(step(op, "tenant.activate").get("state").asText()).isEqualTo("pending");

        JsonNode failed = http.get("/v1/tenants/" + tenantId).json();
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("statusReason").asText()).contains("redis");
        assertThat(ServerContents.postgres(TestDatabase.port(), role)).as("the role and schema were removed").isEmpty();
        assertThat(bindings(tenantId)).isZero();
        assertThat(unreferencedSecrets()).as("the compensated step's sealed password was forgotten").isZero();
        assertThat(http.get("/v1/tenants/" + tenantId + "/credentials").json().get("resources")).isEmpty();

        redis.startAgain();
        Http.Answer retried = http.post(opPath + "/retry", null);
        assertThat(retried.status()).as(retried.text()).isEqualTo(202);
        assertThat(retried.header("Location")).isEqualTo(opPath);
        JsonNode done = node.awaitOperation(opPath);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        done.get("steps").forEach(s -> assertThat(s.get("state").asText()).as(done.toString()).isEqualTo("done"));
        assertThat(step(done, "redis.apply").get("attempts").asInt()).isEqualTo(1);

        JsonNode active = http.get("/v1/tenants/" + tenantId).json();
        assertThat(active.get("status").asText()).isEqualTo("active");
        assertThat(active.has("statusReason")).as(active.toString()).isFalse();
        assertThat(ServerContents.postgres(TestDatabase.port(), role)).isEqualTo(Set.of("role:" + role, "schema:" + role));
        try (Jedis admin = redis.admin()) {
            assertThat(ServerContents.redisUser(admin, role)).isEqualTo(Set.of("acl:" + role));
        }
        assertThat(bindings(tenantId)).isEqualTo(2);
        assertThat(unreferencedSecrets()).isZero();

        JsonNode resources = http.get("/v1/tenants/" + tenantId + "/credentials").json().get("resources");
        JsonNode pg = resources.get("postgres");
        try (Connection c = DriverManager.getConnection(pg.get("jdbcUrl").asText(), pg.get("user").asText(), pg.get("password").asText());
             Statement s = c.createStatement()) {
            s.execute("create table notes (n int)");
            s.execute("insert into notes values (1), (2), (3)");
            try (ResultSet rs = s.executeQuery("select sum(n), current_schema() from notes")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(6);
                assertThat(rs.getString(2)).isEqualTo(role);
            }
        }
        JsonNode r = resources.get("redis");
        try (Jedis tenant = new Jedis(new HostAndPort(redis.host(), redis.port()),
                DefaultJedisClientConfig.builder().user(r.get("user").asText()).password(r.get("password").asText()).build())) {
            assertThat(tenant.set("t:" + slug + ":k", "v")).isEqualTo("OK");
            assertThat(tenant.get("t:" + slug + ":k")).isEqualTo("v");
        }
    }

    private static JsonNode step(JsonNode op, String name) {
        for (JsonNode s : op.get("steps")) {
            if (s.get("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no step " + name + " in " + op);
    }

    private static int bindings(String tenantId) {
        return node.sql().withHandle(h -> h.createQuery("select count(*) from resource_bindings where tenant_id = cast(:t as uuid)")
                .bind("t", tenantId).mapTo(Integer.class).one());
    }

    private static int unreferencedSecrets() {
        return node.sql().withHandle(h -> h.createQuery("""
                select count(*) from secrets where id::text not in
                    (select secret_ref from resource_bindings where secret_ref is not null)""").mapTo(Integer.class).one());
    }
}
