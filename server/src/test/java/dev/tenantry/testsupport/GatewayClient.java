package dev.tenantry.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** Requests to a gateway as end users send them: any Host header, any method, raw answers. */
public final class GatewayClient {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final HttpClient client;

    public GatewayClient(URI base) {
        this.base = base;
        this.client = CLIENT;
    }

    /** A client whose connections come from {@code localAddress} (e.g. 127.0.0.2, to play a front proxy). */
    public GatewayClient(URI base, java.net.InetAddress localAddress) {
        this.base = base;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).localAddress(localAddress)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    public HttpClient httpClient() {
        return client;
    }

    /** An answer: status, headers (lower-case names, first value) and body. */
    public record Answer(int status, Map<String, String> headers, String text) {
        public JsonNode json() {
            try {
                return Http.JSON.readTree(text);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + text, e);
            }
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    public Answer get(String host, String path) {
        return send("GET", host, path, Map.of(), HttpRequest.BodyPublishers.noBody());
    }

    public Answer get(String host, String path, Map<String, String> headers) {
        return send("GET", host, path, headers, HttpRequest.BodyPublishers.noBody());
    }

    public Answer send(String method, String host, String path, Map<String, String> headers, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20))
                .method(method, body).header("Host", host);
        headers.forEach(b::header);
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> h = new TreeMap<>();
            r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), v.getFirst()));
            return new Answer(r.statusCode(), h, r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Repeats {@code get} until {@code status} comes back (bounded), answering the last answer. */
    public Answer await(String host, String path, Map<String, String> headers, int status, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Answer last = get(host, path, headers);
        while (last.status() != status && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            last = get(host, path, headers);
        }
        if (last.status() != status) {
            throw new AssertionError("expected " + status + " from " + host + path + " within " + timeout + ", last: "
                    + last.status() + " " + last.text());
        }
        return last;
    }
}
