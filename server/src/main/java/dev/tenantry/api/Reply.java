package dev.tenantry.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** What an endpoint answers: a status, extra headers, and a body to write as JSON (or none). */
record Reply(int status, Map<String, String> headers, Optional<Object> body) {

    static Reply ok(Object body) {
        return new Reply(200, Map.of(), Optional.of(body));
    }

    static Reply created(String location, Object body) {
        return new Reply(201, Map.of("Location", location), Optional.of(body));
    }

    static Reply noContent() {
        return new Reply(204, Map.of(), Optional.empty());
    }

    Reply withHeader(String name, String value) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put(name, value);
        return new Reply(status, all, body);
    }
}
