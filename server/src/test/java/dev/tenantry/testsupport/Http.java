package dev.tenantry.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A small HTTP client for tests: real requests over a real socket, answers as JSON. */
public final class Http {
    public static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Optional<String> token;

    public Http(URI base, Optional<String> token) {
        this.base = base;
        this.token = token;
    }

    /** The same server with another token (or none). */
    public Http as(Optional<String> otherToken) {
        return new Http(base, otherToken);
    }

    /** An answer: status, headers, body text and (when JSON) the parsed body. */
    public record Answer(int status, Map<String, String> headers, String text) {
        public JsonNode json() {
            try {
                return JSON.readTree(text);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text, e);
            }
        }

        public String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    public Answer get(String path) {
        return send("GET", path, null, Map.of());
    }

    public Answer delete(String path) {
        return send("DELETE", path, null, Map.of());
    }

    public Answer post(String path, Object body) {
        return send("POST", path, body, Map.of());
    }

    public Answer patch(String path, Object body) {
        return send("PATCH", path, body, Map.of());
    }

    /** Sends {@code body}: a String is sent as-is, anything else as JSON; headers may override Content-Type. */
    public Answer send(String method, String path, Object body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        byte[] bytes = null;
        if (body != null) {
            try {
                bytes = body instanceof String s ? s.getBytes() : body instanceof byte[] raw ? raw : JSON.writeValueAsBytes(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!headers.containsKey("Content-Type")) {
                b.header("Content-Type", "application/json");
            }
        }
        headers.forEach(b::header);
        b.method(method, bytes == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(bytes));
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> h = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(), String.join(",", v)));
            return new Answer(r.statusCode(), h, r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
