package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantry.testsupport.GatewayClient;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.NpmFixture;
import dev.tenantry.testsupport.TestNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node whose machine lacks bubblewrap still starts; functions say they are unavailable, builds fail saying why. */
class NoSandboxTest {
    @Test
    void without_bubblewrap_calls_get_503_and_module_builds_fail_with_the_reason() throws Exception {
        try (NpmFixture npm = NpmFixture.start().publish("tiny", "1.0.0", Map.of(), "module.exports = 1;");
             TestNode node = TestNode.start(Map.of("bwrap-binary", "/nonexistent/bwrap", "npm-registry", npm.url().toString()))) {
            node.createActive(Map.of("slug", "acme", "plan", "standard"));
            Http.Answer plain = node.http().send("PUT", "/v1/tenants/acme/functions/hi",
                    Map.of("code", "export default { fetch: () => new Response('hi') }"), Map.of());
            assertThat(plain.status()).isEqualTo(201);
            GatewayClient gateway = new GatewayClient(node.gatewayUrl());
            GatewayClient.Answer answer = gateway.await("acme.localhost", "/fn/hi", Map.of(), 503, Duration.ofSeconds(10));
            assertThat(answer.text()).contains("functions-unavailable").contains("not available on this node")
                    .doesNotContain("/nonexistent");
            Http.Answer withModule = node.http().send("PUT", "/v1/tenants/acme/functions/mod",
                    Map.of("code", "module.exports = require('tiny')", "dependencies", Map.of("tiny", "1.0.0")), Map.of());
            assertThat(withModule.json().get("state").asText()).isEqualTo("pending");
            String state = "pending";
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Http.Answer v = null;
            while (state.equals("pending") && System.nanoTime() < end) {
                Thread.sleep(100);
                v = node.http().get("/v1/tenants/acme/functions/mod/versions/1");
                state = v.json().get("state").asText();
            }
            assertThat(state).isEqualTo("failed");
            assertThat(v.json().get("error").asText()).contains("tiny@1.0.0").contains("bwrap");
        }
    }
}
