package dev.tenantry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.catalog.Status;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every lifecycle action from every status: legal moves are accepted (202) and their operation
 * brings the tenant to the new status; illegal ones get 409 naming the current status and leave
 * the tenant and the audit log as they were.
 */
class LifecycleTest {
    static TestNode node;
    static Http http;
    static int counter;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        http = node.http();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    enum Action {
        SUSPEND("POST", "/suspend", Status.SUSPENDED),
        RESUME("POST", "/resume", Status.ACTIVE),
        DELETE("DELETE", "", Status.DELETED),
        UPDATE("PATCH", "", null);

        final String method;
        final String suffix;
        final Status result;

        Action(String method, String suffix, Status result) {
            this.method = method;
            this.suffix = suffix;
            this.result = result;
        }

        boolean legalFrom(Status from) {
            return switch (this) {
                case SUSPEND -> from == Status.ACTIVE;
                case RESUME -> from == Status.SUSPENDED;
                case DELETE -> from == Status.ACTIVE || from == Status.SUSPENDED || from == Status.FAILED
                        || from == Status.PROVISIONING;
                case UPDATE -> from.editable();
            };
        }
    }

    static Stream<Arguments> everyStatusAndAction() {
        List<Arguments> all = new ArrayList<>();
        for (Status s : Status.values()) {
            for (Action a : Action.values()) {
                all.add(Arguments.of(s, a));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{1} from {0}")
    @MethodSource("everyStatusAndAction")
    void each_action_from_each_status_is_allowed_or_refused_with_409(Status from, Action action) {
        String slug = "life-" + (++counter);
        String id = node.createActive(slug).get("id").asText();
        node.sql().useHandle(h -> h.createUpdate("update tenants set status = :s where id = cast(:id as uuid)")
                .bind("s", from.wire()).bind("id", id).execute());
        String before = node.catalogFingerprint();

        Object body = action == Action.UPDATE ? Map.of("displayName", "Renamed") : null;
        Http.Answer answer = http.send(action.method, "/v1/tenants/" + id + action.suffix, body, Map.of());

        if (action.legalFrom(from)) {
            assertThat(answer.status()).as(answer.text()).isEqualTo(202);
            JsonNode op = node.awaitOperation(answer.header("Location"));
            assertThat(op.get("state").asText()).as(op.toString()).isEqualTo("succeeded");
            JsonNode tenant = http.get("/v1/tenants/" + id).json();
            if (action.result != null) {
                assertThat(tenant.get("status").asText()).isEqualTo(action.result.wire());
            } else {
                assertThat(tenant.get("displayName").asText()).isEqualTo("Renamed");
            }
            assertThat(node.catalogFingerprint()).isNotEqualTo(before);
        } else {
            assertThat(answer.status()).as(answer.text()).isEqualTo(409);
            assertThat(answer.header("Content-Type")).startsWith("application/problem+json");
            JsonNode problem = answer.json();
            assertThat(problem.get("type").asText()).isEqualTo("/problems/illegal-transition");
            assertThat(problem.get("detail").asText()).contains("'" + from.wire() + "'");
            assertThat(node.catalogFingerprint()).isEqualTo(before);
        }
    }
}
