package dev.tenantry.context;

import static dev.tenantry.context.FeedFollowerTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantry.sdk.context.TenantContext;
import dev.tenantry.sdk.context.TenantContexts;
import dev.tenantry.testsupport.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SDK's TenantContexts and the raw HTTP/SSE endpoints against a real node. */
class SdkContextsTest {
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("roles", "api,scheduler"));
        node.createActive("sdk-a");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void the_sdk_loads_a_snapshot_follows_changes_and_survives_a_resync() {
        URI base = URI.create(node.node().apiUrl().orElseThrow());
        try (TenantContexts contexts = TenantContexts.connect(base, node.token())) {
            assertThat(contexts.awaitReady(Duration.ofSeconds(10))).isTrue();
            assertThat(contexts.bySlug("sdk-a")).map(TenantContext::status).contains("active");
            List<String> heard = new CopyOnWriteArrayList<>();
            contexts.addListener((before, after) -> heard.add(after == null ? "gone" : after.slug() + ":" + after.status()));
            node.http().post("/v1/tenants/sdk-a/domains", Map.of("hostname", "www.sdk-a.example"));
            awaitTrue(() -> contexts.byHost("WWW.sdk-a.example").isPresent(), Duration.ofSeconds(5));
            node.change("POST", "/v1/tenants/sdk-a/suspend", Map.of());
            awaitTrue(() -> contexts.bySlug("sdk-a").map(TenantContext::status).orElse("").equals("suspended"), Duration.ofSeconds(5));
            assertThat(heard).contains("sdk-a:suspended");
            long before = contexts.seq();
            node.http().post("/v1/context/resync", Map.of());
            awaitTrue(() -> contexts.seq() > before && contexts.connected(), Duration.ofSeconds(10));
            node.change("POST", "/v1/tenants/sdk-a/resume", Map.of());
            awaitTrue(() -> contexts.bySlug("sdk-a").map(TenantContext::status).orElse("").equals("active"), Duration.ofSeconds(10));
            assertThat(contexts.byId(contexts.bySlug("sdk-a").orElseThrow().id())).isPresent();
        }
    }

    @Test
    void lookups_answer_json_or_a_404_problem_and_the_stream_resumes_from_a_number() throws Exception {
        TenantContext a = node.http().get("/v1/context/by-slug/sdk-a").json().traverse(new com.fasterxml.jackson.databind.ObjectMapper())
                .readValueAs(TenantContext.class);
        assertThat(node.http().get("/v1/context/by-host/sdk-a.localhost").json().get("id").asText()).isEqualTo(a.id());
        assertThat(node.http().get("/v1/context/by-id/" + a.id()).json().get("slug").asText()).isEqualTo("sdk-a");
        var missing = node.http().get("/v1/context/by-host/nobody.example");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.header("Content-Type")).startsWith("application/problem+json");
        assertThat(node.http().as(java.util.Optional.empty()).get("/v1/context/by-host/sdk-a.localhost").status()).isEqualTo(401);
        assertThat(node.http().get("/v1/context/changes?after=abc").status()).isEqualTo(400);

        long seq = node.http().get("/v1/context/status").json().get("seq").asLong();
        node.http().post("/v1/tenants/sdk-a/domains", Map.of("hostname", "stream.sdk-a.example"));
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.node().apiUrl().orElseThrow() + "/v1/context/changes"))
                .header("Authorization", "Bearer " + node.token()).header("Last-Event-ID", Long.toString(seq))
                .timeout(Duration.ofSeconds(10)).build();
        HttpResponse<java.util.stream.Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        try (var lines = response.body()) {
            String first = lines.filter(l -> l.startsWith("id: ") || l.startsWith("data: ")).limit(2)
                    .reduce("", (x, y) -> x + y + "\n");
            assertThat(first).startsWith("id: " + (seq + 1) + "\n");
            assertThat(first).contains("\"entity\":\"tenant\"").contains("stream.sdk-a.example");
        }
    }
}
