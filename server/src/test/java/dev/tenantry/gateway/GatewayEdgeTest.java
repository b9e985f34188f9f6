package dev.tenantry.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Backend;
import dev.tenantry.testsupport.GatewayClient;
import dev.tenantry.testsupport.TestNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gateway at its edges: hostile and broken clients, broken backends, streams, WebSockets. */
class GatewayEdgeTest {
    private static final Duration PROPAGATION = Duration.ofSeconds(5);
    private static TestNode node;
    private static Backend a;
    private static Backend b;
    private static GatewayClient gateway;
    private static GatewayClient proxy; // connects from 127.0.0.2, a trusted front proxy
    private static int deadPort;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start(Map.of("trusted-proxies", "127.0.0.2/32", "gateway-idle-timeout-seconds", "1"));
        a = Backend.start("a");
        b = Backend.start("b");
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        gateway = new GatewayClient(node.gatewayUrl());
        proxy = new GatewayClient(node.gatewayUrl(), InetAddress.getByName("127.0.0.2"));
        node.createActive(Map.of("slug", "edge", "plan", "premium"));
        routes("edge", List.of(
                route("/static", List.of(a.url()), Map.of("stripPrefix", true)),
                route("/static/admin", List.of(b.url()), Map.of()),
                route("/dead", List.of("http://127.0.0.1:" + deadPort), Map.of("retries", 0)),
                route("/half-dead", List.of("http://127.0.0.1:" + deadPort, a.url()), Map.of("retries", 1)),
                route("/slow", List.of(a.url()), Map.of("timeoutMs", 300)),
                route("/checked", List.of(a.url(), b.url()), Map.of("healthCheck",
                        Map.of("path", "/health", "intervalMs", 200, "timeoutMs", 150, "unhealthyAfter", 1))),
                route("/", List.of(a.url()), Map.of())));
        gateway.await("edge.localhost", "/", Map.of(), 200, PROPAGATION);
    }

    private static Map<String, Object> route(String path, List<String> upstreams, Map<String, Object> extra) {
        Map<String, Object> r = new java.util.HashMap<>(extra);
        r.put("path", path);
        r.put("upstreams", upstreams.stream().map(u -> Map.of("url", u)).toList());
        return r;
    }

    private static void routes(String tenant, List<Map<String, Object>> routes) {
        var answer = node.http().send("PUT", "/v1/tenants/" + tenant + "/routes", Map.of("routes", routes), Map.of());
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        node.close();
        a.close();
        b.close();
    }

    @Test
    void an_unknown_host_gets_a_404_that_reveals_nothing() {
        GatewayClient.Answer unknown = gateway.get("nobody.localhost", "/");
        GatewayClient.Answer noHost = gateway.get("127.0.0.1", "/");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(noHost.status()).isEqualTo(404);
        assertThat(unknown.text()).isEqualTo(noHost.text()).doesNotContain("nobody").doesNotContain("edge");
        assertThat(unknown.header("content-type")).isEqualTo("application/problem+json");
        assertThat(gateway.get("edge.localhost", "/nothing-here-either").status()).isEqualTo(200); // "/" routes everything
    }

    @Test
    void spoofed_tenant_headers_are_replaced_and_the_tenant_header_is_believed_only_from_trusted_proxies() {
        Map<String, String> spoof = Map.of("X-Tenant-Id", "00000000-0000-0000-0000-000000000000", "X-Tenant-Slug", "victim",
                "X-Tenant-Signature", "v1=forged", "X-Tenantry-Tenant", "someone-else");
        JsonNode headers = gateway.get("edge.localhost", "/", spoof).json().get("headers");
        assertThat(headers.get("x-tenant-slug").asText()).isEqualTo("edge");
        assertThat(headers.get("x-tenant-id").asText()).isNotEqualTo("00000000-0000-0000-0000-000000000000");
        assertThat(headers.get("x-tenant-signature").asText()).isNotEqualTo("v1=forged");
        assertThat(headers.has("x-tenantry-tenant")).isFalse();
        // From an untrusted address the header means nothing: the Host decides, and this one is unknown.
        assertThat(gateway.get("front.example", "/", Map.of("X-Tenantry-Tenant", "edge")).status()).isEqualTo(404);
        // From the trusted front proxy it names the tenant, and its X-Forwarded-For is kept.
        GatewayClient.Answer viaProxy = proxy.get("front.example", "/", Map.of("X-Tenantry-Tenant", "edge",
                "X-Forwarded-For", "203.0.113.9"));
        assertThat(viaProxy.status()).isEqualTo(200);
        assertThat(viaProxy.json().get("headers").get("x-forwarded-for").asText()).isEqualTo("203.0.113.9, 127.0.0.2");
        assertThat(gateway.get("edge.localhost", "/", Map.of("X-Forwarded-For", "203.0.113.9")).json()
                .get("headers").get("x-forwarded-for").asText()).as("an untrusted client's chain is not believed").isEqualTo("127.0.0.1");
    }

    @Test
    void oversized_headers_get_431() {
        GatewayClient.Answer answer = gateway.get("edge.localhost", "/", Map.of("X-Big", "x".repeat(20_000)));
        assertThat(answer.status()).isEqualTo(431);
        assertThat(answer.header("ratelimit-limit")).as("the gateway's own answer, not a relayed one").isNull();
    }

    @Test
    void a_client_that_never_finishes_its_headers_is_disconnected() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", node.gatewayUrl().getPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: edge.localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long started = System.nanoTime();
            int read = socket.getInputStream().read();
            assertThat(read).as("the server closed the connection").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void pipelined_requests_are_answered_in_order_and_connection_close_is_honoured() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", node.gatewayUrl().getPort())) {
            socket.setSoTimeout(5_000);
            String requests = "GET /echo/1 HTTP/1.1\r\nHost: edge.localhost\r\n\r\n"
                    + "HEAD /echo/2 HTTP/1.1\r\nHost: edge.localhost\r\n\r\n"
                    + "POST /echo/3 HTTP/1.1\r\nHost: edge.localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET /echo/4 HTTP/1.1\r\nHost: edge.localhost\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(requests.getBytes(StandardCharsets.US_ASCII));
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII); // ends: closed
            assertThat(answers.split("HTTP/1.1 200 OK", -1)).as(answers).hasSize(5);
            assertThat(answers).contains("HTTP/1.1 100 Continue").contains("\"bodyBytes\":5").contains("Connection: close")
                    .doesNotContain("\"uri\":\"/echo/2\"");
            assertThat(answers.indexOf("\"uri\":\"/echo/1\"")).isPositive()
                    .isLessThan(answers.indexOf("\"uri\":\"/echo/3\"")).isLessThan(answers.indexOf("\"uri\":\"/echo/4\""));
        }
    }

    @Test
    void a_body_framed_two_ways_is_refused_with_400_and_the_connection_closed() throws IOException {
        for (String framing : List.of("Content-Length: 5\r\nTransfer-Encoding: chunked", "Content-Length: 5\r\nContent-Length: 6")) {
            try (Socket socket = new Socket("127.0.0.1", node.gatewayUrl().getPort())) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: edge.localhost\r\n" + framing + "\r\n\r\nhello")
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII); // ends: closed
                assertThat(answer).as(framing).startsWith("HTTP/1.1 400 ");
            }
        }
    }

    @Test
    void a_backend_that_dies_mid_response_cuts_the_client_off_rather_than_ending_cleanly() {
        assertThatThrownBy(() -> gateway.get("edge.localhost", "/die")).isInstanceOf(java.io.UncheckedIOException.class);
        assertThat(gateway.get("edge.localhost", "/").status()).as("the next request is fine").isEqualTo(200);
    }

    @Test
    void an_unreachable_upstream_is_a_502_and_a_second_upstream_takes_the_retry() {
        GatewayClient.Answer dead = gateway.get("edge.localhost", "/dead");
        assertThat(dead.status()).isEqualTo(502);
        assertThat(dead.json().get("type").asText()).isEqualTo("/problems/bad-gateway");
        for (int i = 0; i < 10; i++) {
            assertThat(gateway.get("edge.localhost", "/half-dead").status()).isEqualTo(200);
        }
    }

    @Test
    void a_slow_upstream_is_a_504_after_the_route_timeout() {
        GatewayClient.Answer answer = gateway.get("edge.localhost", "/slow?ms=3000");
        assertThat(answer.status()).isEqualTo(504);
    }

    @Test
    void an_unhealthy_upstream_stops_getting_requests_until_it_recovers() throws InterruptedException {
        b.healthy(false);
        Thread.sleep(800);
        int before = b.requests();
        for (int i = 0; i < 20; i++) {
            assertThat(gateway.get("edge.localhost", "/checked").json().get("backend").asText()).isEqualTo("a");
        }
        assertThat(b.requests()).isEqualTo(before);
        b.healthy(true);
        Thread.sleep(800);
        boolean sawB = false;
        for (int i = 0; i < 40 && !sawB; i++) {
            sawB = gateway.get("edge.localhost", "/checked").json().get("backend").asText().equals("b");
        }
        assertThat(sawB).as("b is back in rotation").isTrue();
    }

    @Test
    void the_longest_prefix_wins_and_strip_prefix_removes_it() {
        assertThat(gateway.get("edge.localhost", "/static/app.js?v=2").json().get("uri").asText()).isEqualTo("/app.js?v=2");
        JsonNode admin = gateway.get("edge.localhost", "/static/admin/x").json();
        assertThat(admin.get("backend").asText()).isEqualTo("b");
        assertThat(admin.get("uri").asText()).isEqualTo("/static/admin/x");
        assertThat(gateway.get("edge.localhost", "/staticky").json().get("uri").asText()).as("not a segment match").isEqualTo("/staticky");
    }

    @Test
    void bodies_stream_both_ways() throws Exception {
        byte[] body = new byte[8 * 1024 * 1024];
        new Random(7).nextBytes(body);
        GatewayClient.Answer uploaded = gateway.send("POST", "edge.localhost", "/upload", Map.of("Content-Type", "application/octet-stream"),
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))); // chunked
        assertThat(uploaded.status()).isEqualTo(200);
        assertThat(uploaded.json().get("bodyBytes").asLong()).isEqualTo(body.length);
        assertThat(uploaded.json().get("bodySha256").asText())
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));

        HttpRequest request = HttpRequest.newBuilder(node.gatewayUrl().resolve("/stream?chunks=5&delayMs=250"))
                .header("Host", "edge.localhost").build();
        long started = System.nanoTime();
        HttpResponse<InputStream> response = gateway.httpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            int first = in.read();
            long firstAt = System.nanoTime() - started;
            byte[] rest = in.readAllBytes();
            long allAt = System.nanoTime() - started;
            assertThat(first).isEqualTo('c');
            assertThat(new String(rest, StandardCharsets.US_ASCII)).contains("chunk-4");
            assertThat(Duration.ofNanos(firstAt)).as("the first chunk is not held back").isLessThan(Duration.ofMillis(600));
            assertThat(Duration.ofNanos(allAt)).isGreaterThan(Duration.ofMillis(900));
        }
    }

    @Test
    void websockets_pass_through_in_both_directions() throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                received.add("text:" + data);
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                received.add("binary:" + data.remaining());
                ws.request(1);
                return null;
            }
        };
        URI uri = URI.create("ws://127.0.0.1:" + node.gatewayUrl().getPort() + "/ws");
        WebSocket ws = proxy.httpClient().newWebSocketBuilder().header("X-Tenantry-Tenant", "edge")
                .buildAsync(uri, listener).get(10, TimeUnit.SECONDS);
        ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(new byte[1000]), true).get(5, TimeUnit.SECONDS);
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("text:echo:hello");
        assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("binary:1000");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    }

    @Test
    void a_tenant_still_provisioning_gets_503_with_retry_after() {
        node.createActive("edge-wait");
        node.sql().useHandle(h -> h.execute("update tenants set status = 'provisioning' where slug = 'edge-wait'"));
        GatewayClient.Answer answer = gateway.await("edge-wait.localhost", "/", Map.of(), 503, PROPAGATION);
        assertThat(answer.header("retry-after")).isEqualTo("5");
        assertThat(answer.json().get("type").asText()).isEqualTo("/problems/tenant-provisioning");
        node.sql().useHandle(h -> h.execute("update tenants set status = 'active' where slug = 'edge-wait'"));
        assertThat(gateway.await("edge-wait.localhost", "/", Map.of(), 404, PROPAGATION).json().get("type").asText())
                .as("active without routes").isEqualTo("/problems/no-route");
    }

    @Test
    void per_tenant_metrics_count_requests_by_class() {
        gateway.get("edge.localhost", "/");
        String metrics = node.http().get("/metrics").text();
        assertThat(metrics).containsPattern("tenantry_gateway_requests_total\\{class=\"2xx\",tenant=\"edge\"\\} [1-9]");
        assertThat(metrics).contains("tenantry_gateway_latency_seconds_bucket{tenant=\"edge\"");
        assertThat(metrics).contains("tenantry_gateway_bytes_total{direction=\"out\",tenant=\"edge\"}");
    }

    @Test
    void bad_routes_are_refused_with_every_field_named_and_nothing_changes() {
        String before = node.http().get("/v1/tenants/edge/routes").text();
        var answer = node.http().send("PUT", "/v1/tenants/edge/routes", Map.of("routes", List.of(
                Map.of("path", "no-slash", "upstreams", List.of(Map.of("url", "ftp://x"))),
                Map.of("path", "/ok", "upstreams", List.of(), "auth", "magic", "timeoutMs", -1),
                Map.of("path", "/ok", "upstreams", List.of(Map.of("url", "http://user:pw@h/")), "healthCheck", Map.of("path", "x")))),
                Map.of());
        assertThat(answer.status()).isEqualTo(422);
        List<String> fields = new java.util.ArrayList<>();
        answer.json().get("errors").forEach(e -> fields.add(e.get("field").asText()));
        assertThat(fields).contains("routes[0].path", "routes[0].upstreams[0].url", "routes[1].upstreams", "routes[1].auth",
                "routes[1].timeoutMs", "routes[2].path", "routes[2].upstreams[0].url", "routes[2].healthCheck.path");
        assertThat(node.http().send("PUT", "/v1/tenants/edge/routes", Map.of("routes", "nope"), Map.of()).status()).isEqualTo(422);
        assertThat(node.http().send("PUT", "/v1/tenants/edge/routes", Map.of(), Map.of()).status()).isEqualTo(422);
        assertThat(node.http().get("/v1/tenants/edge/routes").text()).isEqualTo(before);
    }
}
