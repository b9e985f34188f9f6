package dev.tenantry.api;

import dev.tenantry.catalog.FieldError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An RFC 9457 problem document. {@code type} is a relative URI naming the problem kind. */
record Problem(int status, String type, String title, String detail, List<FieldError> errors) {

    Map<String, Object> toJson(String instance, String requestId) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("type", "/problems/" + type);
        json.put("title", title);
        json.put("status", status);
        json.put("detail", detail);
        json.put("instance", instance);
        json.put("requestId", requestId);
        if (!errors.isEmpty()) {
            json.put("errors", errors.stream().map(e -> Map.of("field", e.field(), "reason", e.reason())).toList());
        }
        return json;
    }
}
