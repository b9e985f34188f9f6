package dev.tenantry.platform;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** Log lines are one JSON object each, carrying the request id from the MDC. */
class JsonLogLayoutTest {

    @Test
    void a_log_line_is_json_with_request_id_and_key_values() throws Exception {
        LoggerContext context = new LoggerContext();
        LoggingEvent event = new LoggingEvent("x", context.getLogger("dev.tenantry.api.access"), Level.INFO,
                "GET {} -> {}", null, new Object[] {"/v1/plans", 200});
        event.setMDCPropertyMap(Map.of("requestId", "req_123"));
        event.setKeyValuePairs(List.of(new KeyValuePair("status", 200)));
        String line = new JsonLogLayout().doLayout(event);
        assertThat(line).endsWith(System.lineSeparator()).doesNotContain("\n{");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("requestId").asText()).isEqualTo("req_123");
        assertThat(json.get("msg").asText()).isEqualTo("GET /v1/plans -> 200");
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("status").asInt()).isEqualTo(200);
    }
}
