package dev.tenantry.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.sdk.context.TenantHeaders;
import dev.tenantry.testsupport.Backend;
import dev.tenantry.testsupport.GatewayClient;
import dev.tenantry.testsupport.TestNode;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two gateway nodes and one control-plane node on one PostgreSQL: what the API changes, both
 * gateways enforce, each following the change feed on its own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayClusterTest {
    private static final Duration PROPAGATION = Duration.ofSeconds(5);
    private static TestNode control;
    private static TestNode gatewayOne;
    private static TestNode gatewayTwo;
    private static Backend backend;
    private static List<GatewayClient> gateways;
    private static String key;
    private static String keyId;

    @BeforeAll
    static void start() {
        control = TestNode.start(Map.of("roles", "api,scheduler"));
        gatewayOne = control.join(Map.of("roles", "gateway"));
        gatewayTwo = control.join(Map.of("roles", "gateway"));
        backend = Backend.start("cluster");
        gateways = List.of(new GatewayClient(gatewayOne.gatewayUrl()), new GatewayClient(gatewayTwo.gatewayUrl()));
        control.createActive("shop");
        assertThat(control.http().post("/v1/tenants/shop/domains", Map.of("hostname", "shop.example.test")).status()).isEqualTo(201);
        assertThat(control.http().send("PUT", "/v1/tenants/shop/routes", Map.of("routes", List.of(
                Map.of("path", "/api", "upstreams", List.of(Map.of("url", backend.url())), "auth", "api-key"),
                Map.of("path", "/", "upstreams", List.of(Map.of("url", backend.url()))))), Map.of()).status()).isEqualTo(200);
        JsonNode issued = control.http().post("/v1/tenants/shop/api-keys", Map.of("name", "mobile")).json();
        key = issued.get("secret").asText();
        keyId = issued.get("id").asText();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gatewayTwo, gatewayOne, control, backend}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Test
    @Order(1)
    void both_gateways_route_by_default_and_custom_hostnames_with_signed_tenant_headers() {
        String headerKey = control.http().get("/v1/context/header-key").json().get("key").asText();
        TenantHeaders verifier = new TenantHeaders(headerKey);
        String tenantId = control.http().get("/v1/tenants/shop").json().get("id").asText();
        for (GatewayClient gateway : gateways) {
            JsonNode echo = gateway.await("shop.localhost", "/hello?x=1", Map.of(), 200, PROPAGATION).json();
            assertThat(echo.get("uri").asText()).isEqualTo("/hello?x=1");
            assertThat(gateway.await("shop.example.test", "/", Map.of(), 200, PROPAGATION).json().get("backend").asText())
                    .isEqualTo("cluster");
            JsonNode headers = echo.get("headers");
            var verified = verifier.verify(name -> headers.path(name.toLowerCase()).isMissingNode()
                    ? null : headers.get(name.toLowerCase()).asText(), Clock.systemUTC(), Duration.ofMinutes(1));
            assertThat(verified).as("the upstream can verify who the tenant is").isPresent();
            assertThat(verified.get().id()).isEqualTo(tenantId);
            assertThat(verified.get().slug()).isEqualTo("shop");
            assertThat(headers.get("x-forwarded-host").asText()).isEqualTo("shop.localhost");
            assertThat(headers.get("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    @Order(2)
    void the_api_key_route_needs_a_live_key_and_a_revoked_one_is_refused_everywhere() {
        for (GatewayClient gateway : gateways) {
            GatewayClient.Answer missing = gateway.get("shop.localhost", "/api/orders");
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.header("www-authenticate")).startsWith("Bearer");
            gateway.await("shop.localhost", "/api/orders", Map.of("X-Api-Key", key), 200, PROPAGATION);
            JsonNode echo = gateway.get("shop.localhost", "/api/orders", Map.of("Authorization", "Bearer " + key)).json();
            assertThat(echo.get("headers").has("authorization")).as("the tenant's key is not passed upstream").isFalse();
            assertThat(gateway.get("shop.localhost", "/api/orders", Map.of("X-Api-Key", key.substring(0, key.length() - 1) + "x"))
                    .status()).isEqualTo(401);
        }
        assertThat(control.http().delete("/v1/tenants/shop/api-keys/" + keyId).status()).isIn(200, 204);
        for (GatewayClient gateway : gateways) {
            gateway.await("shop.localhost", "/api/orders", Map.of("X-Api-Key", key), 401, PROPAGATION);
        }
    }

    @Test
    @Order(3)
    void a_suspended_tenant_gets_403_on_both_and_is_back_after_resume() {
        control.change("POST", "/v1/tenants/shop/suspend", Map.of("reason", "unpaid invoice"));
        for (GatewayClient gateway : gateways) {
            GatewayClient.Answer answer = gateway.await("shop.localhost", "/", Map.of(), 403, PROPAGATION);
            assertThat(answer.json().get("type").asText()).isEqualTo("/problems/tenant-suspended");
            assertThat(answer.text()).doesNotContain("unpaid"); // the operator's reason stays internal
        }
        control.change("POST", "/v1/tenants/shop/resume", Map.of());
        for (GatewayClient gateway : gateways) {
            gateway.await("shop.localhost", "/", Map.of(), 200, PROPAGATION);
        }
    }

    @Test
    @Order(4)
    void a_plan_change_sets_the_rate_the_429s_are_counted_against() {
        assertThat(control.http().post("/v1/plans", Map.of("name", "trickle", "tier", "pool", "ratePerSecond", 2,
                "burst", 4, "dailyQuota", 100000, "maxConcurrency", 2, "memoryMb", 128, "timeoutMs", 1000)).status()).isEqualTo(201);
        control.change("PATCH", "/v1/tenants/shop", Map.of("plan", "trickle"));
        GatewayClient gateway = gateways.getFirst();
        long deadline = System.nanoTime() + PROPAGATION.toNanos();
        while (!"4".equals(gateway.get("shop.localhost", "/").header("ratelimit-limit")) && System.nanoTime() < deadline) {
            sleep(20);
        }
        sleep(2_100); // let the bucket refill to its burst
        int ok = 0;
        int throttled = 0;
        long started = System.nanoTime();
        GatewayClient.Answer refused = null;
        for (int i = 0; i < 20; i++) {
            GatewayClient.Answer a = gateway.get("shop.localhost", "/");
            if (a.status() == 200) {
                ok++;
            } else if (a.status() == 429) {
                throttled++;
                refused = a;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        // burst 4 plus 2/s refill during the loop
        assertThat(ok).isBetween(4, 4 + (int) Math.ceil(seconds * 2) + 1);
        assertThat(ok + throttled).isEqualTo(20);
        assertThat(refused).isNotNull();
        assertThat(refused.header("retry-after")).isNotNull();
        assertThat(refused.header("ratelimit-limit")).isEqualTo("4");
        assertThat(refused.header("ratelimit-remaining")).isEqualTo("0");
        assertThat(refused.json().get("type").asText()).isEqualTo("/problems/rate-limited");
        String metrics = control.http().get("/metrics").text(); // the control node runs no gateway: metrics are per node
        assertThat(metrics).doesNotContain("tenantry_gateway_throttled_total{tenant=\"shop\"");
        control.change("PATCH", "/v1/tenants/shop", Map.of("plan", "premium"));
        gateway.await("shop.localhost", "/", Map.of(), 200, PROPAGATION);
    }

    @Test
    @Order(5)
    void with_one_gateway_killed_the_other_serves_on() {
        gatewayOne.close();
        gatewayOne = null;
        GatewayClient survivor = gateways.get(1);
        for (int i = 0; i < 10; i++) {
            assertThat(survivor.get("shop.localhost", "/").status()).isEqualTo(200);
        }
    }

    @Test
    @Order(6)
    void a_gateway_whose_database_session_is_cut_serves_from_memory_and_resyncs() {
        GatewayClient gateway = gateways.get(1);
        var contexts = gatewayTwo.node().contexts().orElseThrow();
        long reconnectsBefore = contexts.follower().reconnects();
        control.sql().useHandle(h -> h.execute("""
                select pg_terminate_backend(pid) from pg_stat_activity
                where application_name like 'tenantry-context-feed-gateway-%'"""));
        assertThat(gateway.get("shop.localhost", "/").status()).as("serving from memory during the cut").isEqualTo(200);
        assertThat(control.http().post("/v1/tenants/shop/domains", Map.of("hostname", "after-cut.example.test")).status())
                .isEqualTo(201);
        gateway.await("after-cut.example.test", "/", Map.of(), 200, Duration.ofSeconds(10));
        assertThat(contexts.follower().reconnects()).isGreaterThan(reconnectsBefore);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
