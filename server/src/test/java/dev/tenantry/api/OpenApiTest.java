package dev.tenantry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI document served at /v1/openapi.json matches the real router, route for route. */
class OpenApiTest {
    static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static List<String> documented(JsonNode doc) {
        List<String> routes = new ArrayList<>();
        doc.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (List.of("get", "put", "post", "patch", "delete", "head", "options").contains(method)) {
                routes.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        return routes.stream().sorted().toList();
    }

    @Test
    void every_route_is_documented_and_every_documented_route_is_served() {
        Http.Answer answer = new Http(node.url(), Optional.empty()).get("/v1/openapi.json");
        assertThat(answer.status()).isEqualTo(200);
        JsonNode doc = answer.json();
        assertThat(doc.get("openapi").asText()).startsWith("3.1");
        List<String> served = node.node().api().orElseThrow().routes();
        assertThat(served).hasSizeGreaterThan(20);
        assertThat(documented(doc)).containsExactlyElementsOf(served);
    }

    @Test
    void each_documented_route_answers_from_its_handler_not_from_the_router() {
        Http http = node.http();
        for (String route : documented(new Http(node.url(), Optional.empty()).get("/v1/openapi.json").json())) {
            if (route.equals("GET /v1/context/changes")) {
                continue; // an endless stream; SdkContextsTest reads it
            }
            String method = route.substring(0, route.indexOf(' '));
            String path = route.substring(route.indexOf(' ') + 1).replaceAll("\\{[^}]+}", "nosuch");
            Http.Answer a = http.send(method, path, method.equals("GET") || method.equals("DELETE") ? null : "{}", java.util.Map.of());
            assertThat(a.status()).as(route + " -> " + a.text()).isNotIn(405, 500);
            if (a.status() == 404) {
                assertThat(a.json().get("detail").asText()).as(route).doesNotStartWith("no resource at");
            }
        }
    }

    @Test
    void every_operation_has_an_id_a_summary_and_responses() {
        JsonNode doc = new Http(node.url(), Optional.empty()).get("/v1/openapi.json").json();
        doc.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            if (op.getValue().isObject() && op.getValue().has("responses")) {
                assertThat(op.getValue().get("operationId").asText()).as(path.getKey()).isNotBlank();
                assertThat(op.getValue().get("summary").asText()).as(path.getKey()).isNotBlank();
            }
        }));
    }
}
