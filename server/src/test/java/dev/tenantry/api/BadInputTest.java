package dev.tenantry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input of every kind gets the right 4xx as problem+json naming the field and the reason,
 * with no stack trace or SQL, and the catalog and audit log stay exactly as they were.
 */
class BadInputTest {
    static TestNode node;
    static Http http;
    String before;

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("max-body-bytes", "4096"));
        http = node.http();
        node.createActive("existing");
        node.createActive("other");
        assertThat(http.post("/v1/tenants/other/domains", Map.of("hostname", "shop.other.example")).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @BeforeEach
    void fingerprint() {
        before = node.catalogFingerprint();
    }

    @AfterEach
    void nothing_changed() {
        assertThat(node.catalogFingerprint()).as("catalog and audit log unchanged").isEqualTo(before);
    }

    static JsonNode problem(Http.Answer a, int status) {
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        assertThat(a.header("Content-Type")).startsWith("application/problem+json");
        JsonNode p = a.json();
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(p.get("type").asText()).startsWith("/problems/");
        assertThat(p.get("title").asText()).isNotBlank();
        assertThat(p.get("detail").asText()).isNotBlank();
        assertThat(p.get("requestId").asText()).isNotBlank();
        assertThat(a.text()).doesNotContain("Exception", "at dev.", "at io.", "SELECT", "select ", "insert ", "PSQL");
        return p;
    }

    static List<String> fields(JsonNode problem) {
        List<String> out = new ArrayList<>();
        problem.path("errors").forEach(e -> out.add(e.get("field").asText()));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"slug\": }", "[1,2]", "\"acme\"", "{\"slug\":\"a\"} trailing", "{\"slug\":\"a\",\"slug\":\"b\"}", "null"})
    void malformed_json_is_400(String body) {
        JsonNode p = problem(http.post("/v1/tenants", body), 400);
        assertThat(fields(p)).containsExactly("body");
    }

    @Test
    void empty_body_is_400() {
        problem(http.send("POST", "/v1/tenants", "", Map.of()), 400);
    }

    @Test
    void wrong_types_and_unknown_fields_are_all_named_in_one_422() {
        JsonNode p = problem(http.post("/v1/tenants", Map.of("slug", 42, "displayName", List.of("x"),
                "labels", Map.of("env", 1), "colour", "blue")), 422);
        assertThat(fields(p)).containsExactlyInAnyOrder("slug", "displayName", "labels.env", "colour");
        assertThat(p.get("errors").toString()).contains("must be a string", "is not a known field");
    }

    @Test
    void missing_slug_is_422() {
        assertThat(fields(problem(http.post("/v1/tenants", Map.of("displayName", "x")), 422))).containsExactly("slug");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Acme", "UPPER", "a-very-long-slug-that-is-sixty-four-characters-long-xxxxxxxxxxxxx",
            "-leading", "trailing-", "ünïcödé", "with space", "under_score", "dot.ted", "", "a/../b", "'; drop table tenants; --"})
    void slugs_that_are_not_dns_labels_are_422(String slug) {
        JsonNode p = problem(http.post("/v1/tenants", Map.of("slug", slug)), 422);
        assertThat(fields(p)).containsExactly("slug");
    }

    @Test
    void sixty_three_characters_is_still_a_slug_but_sixty_four_is_not() {
        String slug63 = "a".repeat(63);
        assertThat(slug63).hasSize(63);
        JsonNode p = problem(http.post("/v1/tenants", Map.of("slug", slug63 + "a")), 422);
        assertThat(p.get("errors").get(0).get("reason").asText()).contains("63");
    }

    @Test
    void duplicate_slug_is_409() {
        JsonNode p = problem(http.post("/v1/tenants", Map.of("slug", "existing")), 409);
        assertThat(p.get("type").asText()).isEqualTo("/problems/slug-taken");
        assertThat(fields(p)).containsExactly("slug");
    }

    @Test
    void duplicate_hostname_is_409_case_insensitively() {
        JsonNode p = problem(http.post("/v1/tenants/existing/domains", Map.of("hostname", "SHOP.other.example")), 409);
        assertThat(fields(p)).containsExactly("hostname");
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "no_underscores.example", "-bad.example", "trailing.dot.", "has space.example",
            "with:8080.example", "ünï.example", "x"})
    void bad_hostnames_are_422(String hostname) {
        assertThat(fields(problem(http.post("/v1/tenants/existing/domains", Map.of("hostname", hostname)), 422)))
                .containsExactly("hostname");
    }

    @Test
    void unknown_plan_tier_mismatch_and_bad_region_are_422_with_each_field() {
        assertThat(fields(problem(http.post("/v1/tenants", Map.of("slug", "p1", "plan", "platinum")), 422))).containsExactly("plan");
        assertThat(fields(problem(http.post("/v1/tenants", Map.of("slug", "p2", "plan", "free", "tier", "silo")), 422))).containsExactly("tier");
        assertThat(fields(problem(http.post("/v1/tenants", Map.of("slug", "p3", "region", "EU West")), 422))).containsExactly("region");
    }

    @Test
    void body_over_the_limit_is_413() {
        String big = "{\"slug\":\"big\",\"displayName\":\"" + "x".repeat(10_000) + "\"}";
        problem(http.post("/v1/tenants", big), 413);
    }

    @Test
    void chunked_body_over_the_limit_is_413_without_reading_it_all() throws Exception {
        try (Socket socket = new Socket(node.url().getHost(), node.url().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + node.token()
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("2000\r\n" + "x".repeat(0x2000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            out.write(chunk);
            out.flush();
            // Never send the last chunk: the server must answer before the body ends.
            InputStream in = socket.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 413");
        }
    }

    @Test
    void non_json_content_type_is_415() {
        JsonNode p = problem(http.send("POST", "/v1/tenants", "slug=acme", Map.of("Content-Type", "application/x-www-form-urlencoded")), 415);
        assertThat(p.get("detail").asText()).contains("application/json");
    }

    @Test
    void missing_token_is_401_with_a_challenge() {
        Http.Answer a = http.as(Optional.empty()).get("/v1/tenants");
        problem(a, 401);
        assertThat(a.header("WWW-Authenticate")).startsWith("Bearer");
        problem(http.as(Optional.empty()).post("/v1/tenants", Map.of("slug", "sneaky")), 401);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nonsense", "tad_AAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "tk_AAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "' or 1=1 --"})
    void invalid_tokens_are_401(String token) {
        problem(http.as(Optional.of(token)).get("/v1/tenants/existing"), 401);
    }

    @Test
    void revoked_token_is_401_and_read_token_cannot_write() {
        JsonNode revoked = http.post("/v1/tokens", Map.of("name", "temp")).json();
        JsonNode reader = http.post("/v1/tokens", Map.of("name", "reader", "scopes", List.of("read"))).json();
        assertThat(http.delete("/v1/tokens/" + revoked.get("id").asText()).status()).isEqualTo(200);
        before = node.catalogFingerprint();
        problem(http.as(Optional.of(revoked.get("secret").asText())).get("/v1/tenants"), 401);
        Http asReader = http.as(Optional.of(reader.get("secret").asText()));
        assertThat(asReader.get("/v1/tenants/existing").status()).isEqualTo(200);
        problem(asReader.post("/v1/tenants", Map.of("slug", "by-reader")), 403);
        problem(asReader.post("/v1/tenants/existing/suspend", null), 403);
        problem(asReader.post("/v1/tokens", Map.of("name", "escalate")), 403);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/tenants/..%2F..%2Fetc%2Fpasswd", "/v1/tenants/%27%3B%20drop%20table%20tenants%3B--",
            "/v1/tenants/1%20or%201%3D1", "/v1/tenants/00000000-0000-0000-0000-000000000000",
            "/v1/tenants/" + "x%00y", "/v1/plans/%27%20or%20%271%27%3D%271"})
    void traversal_and_sql_metacharacters_in_ids_are_404(String path) {
        JsonNode p = problem(http.get(path), 404);
        assertThat(p.get("detail").asText()).doesNotContain("existing", "other");
    }

    @Test
    void traversal_on_mutations_is_404_too() {
        problem(http.delete("/v1/tenants/..%2Fexisting"), 404);
        problem(http.post("/v1/tenants/%27%20or%201%3D1--/suspend", null), 404);
        problem(http.delete("/v1/tenants/existing/api-keys/%27%20or%201%3D1--"), 404);
    }

    @Test
    void bad_query_parameters_are_400() {
        assertThat(fields(problem(http.get("/v1/tenants?limit=0"), 400))).containsExactly("limit");
        assertThat(fields(problem(http.get("/v1/tenants?limit=abc"), 400))).containsExactly("limit");
        assertThat(fields(problem(http.get("/v1/tenants?status=happy"), 400))).containsExactly("status");
        assertThat(fields(problem(http.get("/v1/tenants?cursor=%25%25%25"), 400))).containsExactly("cursor");
        assertThat(fields(problem(http.get("/v1/tenants?label=novalue"), 400))).containsExactly("label");
        assertThat(fields(problem(http.get("/v1/audit?since=yesterday"), 400))).containsExactly("since");
    }

    @Test
    void bad_if_match_is_400_and_stale_is_412() {
        problem(http.send("PATCH", "/v1/tenants/existing", Map.of("displayName", "X"), Map.of("If-Match", "W/\"abc\"")), 400);
        problem(http.send("PATCH", "/v1/tenants/existing", Map.of("displayName", "X"), Map.of("If-Match", "\"999\"")), 412);
    }

    @Test
    void bad_idempotency_key_is_400() {
        problem(http.send("POST", "/v1/tenants", Map.of("slug", "idem-bad"), Map.of("Idempotency-Key", "x".repeat(300))), 400);
    }

    @Test
    void unknown_route_is_404_and_wrong_method_is_405() {
        problem(http.get("/v1/nothing-here"), 404);
        problem(http.send("PUT", "/v1/tenants", Map.of("slug", "x"), Map.of()), 405);
    }

    @Test
    void bad_labels_key_suspend_reason_and_key_expiry_are_422() {
        assertThat(fields(problem(http.post("/v1/tenants", Map.of("slug", "lbl", "labels", Map.of("Bad Key", "v"))), 422)))
                .containsExactly("labels.Bad Key");
        assertThat(fields(problem(http.post("/v1/tenants/existing/api-keys", Map.of("name", "k", "expiresAt", "2001-01-01T00:00:00Z")), 422)))
                .containsExactly("expiresAt");
        assertThat(fields(problem(http.post("/v1/tenants/existing/api-keys", Map.of("name", "k", "scopes", List.of("UPPER CASE"))), 422)))
                .containsExactly("scopes[0]");
        assertThat(fields(problem(http.post("/v1/tenants/existing/suspend", Map.of("reason", 5)), 422))).containsExactly("reason");
        assertThat(fields(problem(http.post("/v1/tokens", Map.of("name", "t", "scopes", List.of("root"))), 422))).containsExactly("scopes[0]");
    }
}
