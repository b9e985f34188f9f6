package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import dev.tenantry.testsupport.TestRedis;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Operations of one tenant take turns in the order they were queued, even with several provision
 * threads free; operations of different tenants run side by side. Judged from what
 * {@code GET /v1/operations/{id}} shows: each step's start and end times.
 */
class OperationOrderTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    static TestRedis redis;
    static TestNode node;
    static Http http;

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        node = TestNode.start(Map.of("redis-url", redis.url(), "provision-threads", "4"));
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

    /** One operation's span: from its first step's start to its last step's end. */
    record Span(String id, String kind, Instant start, Instant end) {
        static Span of(JsonNode op) {
            Instant start = Instant.MAX;
            Instant end = Instant.MIN;
            for (JsonNode s : op.get("steps")) {
                Instant started = Instant.parse(s.get("startedAt").asText());
                Instant ended = Instant.parse(s.get("endedAt").asText());
                start = started.isBefore(start) ? started : start;
                end = ended.isAfter(end) ? ended : end;
            }
            return new Span(op.get("id").asText(), op.get("kind").asText(), start, end);
        }

        Duration length() {
            return Duration.between(start, end);
        }
    }

    @Test
    void operations_of_one_tenant_never_overlap_and_run_in_the_order_they_were_queued() throws Exception {
        String id = node.createActive("order-" + UUID.randomUUID().toString().substring(0, 8)).get("id").asText();
        List<String> queued = new ArrayList<>();
        for (int round = 1; round <= 3; round++) {
            queued.add(accepted("POST", "/v1/tenants/" + id + "/rotate-credentials", null));
            queued.add(accepted("POST", "/v1/tenants/" + id + "/suspend", Map.of("reason", "round " + round)));
            queued.add(accepted("PATCH", "/v1/tenants/" + id, Map.of("displayName", "Suspended " + round)));
            awaitStatus(id, "suspended");
            queued.add(accepted("POST", "/v1/tenants/" + id + "/resume", null));
            queued.add(accepted("PATCH", "/v1/tenants/" + id, Map.of("displayName", "Resumed " + round)));
            awaitStatus(id, "active");
        }
        queued.forEach(op -> assertThat(node.awaitOperation(op).get("state").asText()).as(op).isEqualTo("succeeded"));

        List<JsonNode> ops = new ArrayList<>();
        http.get("/v1/tenants/" + id + "/operations").json().get("items").forEach(ops::add);
        List<Span> spans = ops.stream()
                .sorted(Comparator.comparing((JsonNode o) -> Instant.parse(o.get("createdAt").asText())).thenComparing(o -> o.get("id").asText()))
                .map(Span::of).toList();
        assertThat(spans).hasSize(1 + queued.size());
        assertThat(spans.get(0).kind()).isEqualTo("create-tenant");
        assertThat(spans.subList(1, spans.size())).extracting(Span::id).as("creation order is the order of the requests")
                .containsExactlyElementsOf(queued);
        for (int i = 1; i < spans.size(); i++) {
            Span before = spans.get(i - 1);
            Span after = spans.get(i);
            assertThat(after.start()).as("%s (%s) starts only after %s (%s) has ended", after.kind(), after.id(), before.kind(), before.id())
                    .isAfterOrEqualTo(before.end());
        }
        assertThat(http.get("/v1/tenants/" + id).json().get("displayName").asText()).isEqualTo("Resumed 3");
    }

    @Test
    void operations_of_different_tenants_run_at_the_same_time() throws Exception {
        int tenants = 4;
        ExecutorService senders = Executors.newFixedThreadPool(tenants);
        List<Future<Http.Answer>> answers = new ArrayList<>();
        try {
            String prefix = "par-" + UUID.randomUUID().toString().substring(0, 6) + "-";
            for (int i = 0; i < tenants; i++) {
                Map<String, Object> body = Map.of("slug", prefix + i, "plan", "enterprise");
                answers.add(senders.submit(() -> http.post("/v1/tenants", body)));
            }
            List<Span> spans = new ArrayList<>();
            for (Future<Http.Answer> f : answers) {
                Http.Answer a = f.get(60, TimeUnit.SECONDS);
                assertThat(a.status()).as(a.text()).isEqualTo(202);
                JsonNode op = node.awaitOperation(a.header("Location"));
                assertThat(op.get("state").asText()).as(op.toString()).isEqualTo("succeeded");
                spans.add(Span.of(op));
            }
            Instant first = spans.stream().map(Span::start).min(Comparator.naturalOrder()).orElseThrow();
            Instant last = spans.stream().map(Span::end).max(Comparator.naturalOrder()).orElseThrow();
            Duration sum = spans.stream().map(Span::length).reduce(Duration.ZERO, Duration::plus);
            assertThat(Duration.between(first, last)).as("all %d creates took less than one after another would: %s", tenants, spans)
                    .isLessThan(sum);
            assertThat(overlapping(spans)).as("some creates ran at the same time: " + spans).isTrue();
        } finally {
            senders.shutdownNow();
        }
    }

    private static boolean overlapping(List<Span> spans) {
        for (Span a : spans) {
            for (Span b : spans) {
                if (a != b && a.start().isBefore(b.end()) && b.start().isBefore(a.end())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Sends a change that must be accepted (202); returns its operation's id. */
    private static String accepted(String method, String path, Object body) {
        Http.Answer a = http.send(method, path, body, Map.of());
        assertThat(a.status()).as(method + " " + path + ": " + a.text()).isEqualTo(202);
        return a.json().get("operation").get("id").asText();
    }

    private static void awaitStatus(String id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String now = http.get("/v1/tenants/" + id).json().get("status").asText();
        while (!now.equals(status) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            now = http.get("/v1/tenants/" + id).json().get("status").asText();
        }
        assertThat(now).as("status of " + id).isEqualTo(status);
    }
}
