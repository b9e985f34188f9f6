package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestDatabase;
import dev.tenantry.testsupport.TestNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A silo plan may name the PostgreSQL server its tenants' databases go to (setting database-servers). */
class PlanDatabaseServerTest {
    static TestNode node;
    static Http http;

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("database-servers",
                "dedicated=jdbc:postgresql://127.0.0.1:" + TestDatabase.port() + "/postgres"));
        http = node.http();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static Map<String, Object> silo(String name, String server) {
        return Map.of("name", name, "tier", "silo", "ratePerSecond", 100, "burst", 200, "dailyQuota", 100000,
                "maxConcurrency", 10, "memoryMb", 256, "timeoutMs", 5000, "databaseServer", server);
    }

    @Test
    void tenants_of_a_plan_naming_a_server_get_their_database_there() throws Exception {
        Http.Answer plan = http.post("/v1/plans", silo("dedicated-silo", "dedicated"));
        assertThat(plan.status()).as(plan.text()).isEqualTo(201);
        assertThat(plan.json().get("databaseServer").asText()).isEqualTo("dedicated");
        JsonNode tenant = node.createActive(Map.of("slug", "on-dedicated", "plan", "dedicated-silo"));
        assertThat(tenant.get("tier").asText()).isEqualTo("silo");
        String server = node.sql().withHandle(h -> h.createQuery(
                "select server from resource_bindings where tenant_id = cast(:t as uuid) and kind = 'postgres'")
                .bind("t", tenant.get("id").asText()).mapTo(String.class).one());
        assertThat(server).isEqualTo("dedicated");
        JsonNode pg = http.get("/v1/tenants/on-dedicated/credentials").json().get("resources").get("postgres");
        try (Connection c = DriverManager.getConnection(pg.get("jdbcUrl").asText(), pg.get("user").asText(), pg.get("password").asText());
             ResultSet rs = c.createStatement().executeQuery("select current_database()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("t_on_dedicated");
        }
        node.change("DELETE", "/v1/tenants/on-dedicated", null);
    }

    @Test
    void a_plan_naming_an_unknown_server_fails_its_tenants_creation_with_the_reason() {
        assertThat(http.post("/v1/plans", silo("nowhere-silo", "nowhere")).status()).isEqualTo(201);
        Http.Answer created = http.post("/v1/tenants", Map.of("slug", "on-nowhere", "plan", "nowhere-silo"));
        JsonNode op = node.awaitOperation(created.header("Location"));
        assertThat(op.get("state").asText()).isEqualTo("failed");
        assertThat(op.get("error").asText()).contains("names postgres server 'nowhere'", "dedicated");
        assertThat(http.get("/v1/tenants/on-nowhere").json().get("status").asText()).isEqualTo("failed");
    }

    @Test
    void only_silo_plans_may_name_a_server() {
        Map<String, Object> pool = new java.util.HashMap<>(silo("pool-named", "dedicated"));
        pool.put("tier", "pool");
        Http.Answer refused = http.post("/v1/plans", pool);
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.json().get("errors").get(0).get("field").asText()).isEqualTo("databaseServer");
        assertThat(http.patch("/v1/plans/free", Map.of("databaseServer", "dedicated")).status()).isEqualTo(422);
    }
}
