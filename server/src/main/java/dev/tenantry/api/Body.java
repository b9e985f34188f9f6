package dev.tenantry.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.FieldError;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON request body read field by field. Wrong types and unknown fields are collected, not
 * thrown one at a time, so that {@link #finish()} can name every bad field in one 422.
 */
final class Body {
    static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final ObjectNode json;
    private final String prefix;
    private final List<FieldError> errors;

    private Body(ObjectNode json) {
        this(json, "", new ArrayList<>());
    }

    private Body(ObjectNode json, String prefix, List<FieldError> errors) {
        this.json = json;
        this.prefix = prefix;
        this.errors = errors;
    }

    /**
     * The objects of an array field, each read as a body whose bad fields are named
     * {@code field[i].name} and counted with this one's; empty when absent (a non-array, or an
     * element that is not an object, is recorded as a bad field).
     */
    List<Body> objects(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            errors.add(new FieldError(prefix + field, "must be an array of objects"));
            return List.of();
        }
        List<Body> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            if (node.get(i) instanceof ObjectNode o) {
                out.add(new Body(o, prefix + field + "[" + i + "].", errors));
            } else {
                errors.add(new FieldError(prefix + field + "[" + i + "]", "must be an object"));
            }
        }
        return out;
    }

    /** An object field read as a body whose bad fields are named {@code field.name}; empty when absent. */
    Optional<Body> object(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!(node instanceof ObjectNode o)) {
            errors.add(new FieldError(prefix + field, "must be an object"));
            return Optional.empty();
        }
        return Optional.of(new Body(o, prefix + field + ".", errors));
    }

    /** Parses the bytes as one JSON object, or fails with 400 saying why. */
    static Body parse(byte[] bytes) {
        if (bytes.length == 0) {
            throw ApiException.BadRequest.of("body", "is empty; a JSON object is required");
        }
        JsonNode node;
        try {
            node = STRICT.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr();
            throw ApiException.BadRequest.of("body", "is not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.BadRequest.of("body", "could not be read");
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiException.BadRequest.of("body", "must be a JSON object");
        }
        return new Body(object);
    }

    /** Canonical text of the body (keys sorted at every level), for request fingerprints. */
    String canonical() {
        try {
            return CANONICAL.writeValueAsString(STRICT.treeToValue(json, Object.class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Flags every field not in {@code allowed}. */
    Body allow(Set<String> allowed) {
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                errors.add(new FieldError(prefix + name, "is not a known field (known: " + String.join(", ", allowed.stream().sorted().toList()) + ")"));
            }
        }
        return this;
    }

    boolean has(String field) {
        return json.has(field);
    }

    String requiredString(String field) {
        return present(field) ? string(field).orElse("") : "";
    }

    Optional<String> string(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            errors.add(new FieldError(prefix + field, "must be a string"));
            return Optional.empty();
        }
        return Optional.of(node.textValue());
    }

    int requiredInt(String field) {
        return present(field) ? integer(field).orElse(0) : 0;
    }

    long requiredLong(String field) {
        return present(field) ? longValue(field).orElse(0L) : 0L;
    }

    private boolean present(String field) {
        if (!json.has(field) || json.get(field).isNull()) {
            errors.add(new FieldError(prefix + field, "is required"));
            return false;
        }
        return true;
    }

    Optional<Integer> integer(String field) {
        return longValue(field).flatMap(v -> {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                errors.add(new FieldError(prefix + field, "is out of range"));
                return Optional.empty();
            }
            return Optional.of(v.intValue());
        });
    }

    Optional<Long> longValue(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            errors.add(new FieldError(prefix + field, "must be an integer"));
            return Optional.empty();
        }
        return Optional.of(node.longValue());
    }

    Optional<Boolean> bool(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isBoolean()) {
            errors.add(new FieldError(prefix + field, "must be true or false"));
            return Optional.empty();
        }
        return Optional.of(node.booleanValue());
    }

    Optional<Instant> instant(String field) {
        return string(field).flatMap(text -> {
            try {
                return Optional.of(Instant.parse(text).truncatedTo(java.time.temporal.ChronoUnit.MICROS));
            } catch (DateTimeParseException e) {
                errors.add(new FieldError(prefix + field, "must be an RFC 3339 UTC time such as 2030-01-31T12:00:00Z"));
                return Optional.empty();
            }
        });
    }

    Optional<List<String>> stringList(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isArray()) {
            errors.add(new FieldError(prefix + field, "must be an array of strings"));
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            if (!node.get(i).isTextual()) {
                errors.add(new FieldError(prefix + field + "[" + i + "]", "must be a string"));
            } else {
                out.add(node.get(i).textValue());
            }
        }
        return Optional.of(out);
    }

    Optional<Map<String, String>> stringMap(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isObject()) {
            errors.add(new FieldError(prefix + field, "must be an object of string values"));
            return Optional.empty();
        }
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                errors.add(new FieldError(prefix + field + "." + e.getKey(), "must be a string"));
            } else {
                out.put(e.getKey(), e.getValue().textValue());
            }
        });
        return Optional.of(out);
    }

    /** A field that may be a JSON object or a string holding one, as JSON text (e.g. a package.json). */
    Optional<String> jsonText(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.textValue());
        }
        if (node.isObject()) {
            return Optional.of(node.toString());
        }
        errors.add(new FieldError(prefix + field, "must be a JSON object (or a string holding one)"));
        return Optional.empty();
    }

    /** Records a bad field found by the caller's own checks. */
    void reject(String field, String reason) {
        errors.add(new FieldError(prefix + field, reason));
    }

    /** Throws a 422 naming every bad field seen so far. */
    void finish() {
        if (!errors.isEmpty()) {
            throw new CatalogException.InvalidInput(errors);
        }
    }
}
