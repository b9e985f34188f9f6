package dev.tenantry.api;

import dev.tenantry.catalog.Tenant;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An operator's invoke: the request goes through this node's gateway as the tenant's own
 * traffic would (so the plan's rate, quota and concurrency apply), and the answer comes back as
 * JSON: status, headers, the body as text or base64, and the time taken.
 */
final class FunctionInvocations {
    private final HttpClient client;
    private final Supplier<Optional<Integer>> gatewayPort;
    private final String baseDomain;

    FunctionInvocations(Vertx vertx, Supplier<Optional<Integer>> gatewayPort, String baseDomain) {
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
        this.gatewayPort = gatewayPort;
        this.baseDomain = baseDomain;
    }

    /** Where this node's gateway serves {@code name} of {@code tenant}; empty on a node without a gateway. */
    Optional<String> url(Tenant tenant, String name) {
        return gatewayPort.get().map(port -> "http://" + tenant.slug() + "." + baseDomain + ":" + port + "/fn/" + name);
    }

    Map<String, Object> invoke(Tenant tenant, String name, byte[] body, Optional<String> contentType, String path) {
        int port = gatewayPort.get().orElseThrow(() -> new ApiException.Unavailable(
                "this node runs no gateway, so it cannot invoke functions; call <tenant host>/fn/" + name + " on a gateway"));
        if (!path.isEmpty() && (!path.startsWith("/") || path.chars().anyMatch(c -> c <= 0x20 || c == 0x7f))) {
            throw ApiException.BadRequest.of("path", "must start with '/' and hold no spaces or control characters");
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI("/fn/" + name + path).putHeader(HttpHeaders.HOST, tenant.slug() + "." + baseDomain);
        contentType.ifPresent(t -> options.putHeader(HttpHeaders.CONTENT_TYPE, t));
        long started = System.nanoTime();
        // The body is asked for on the event loop, in the same chain: asked later, its bytes may be gone already.
        Map.Entry<HttpClientResponse, Buffer> exchange = client.request(options)
                .compose(r -> r.send(Buffer.buffer(body)))
                .compose(r -> r.body().map(b -> Map.entry(r, b))).await();
        HttpClientResponse response = exchange.getKey();
        Buffer answer = exchange.getValue();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", response.statusCode());
        Map<String, Object> headers = new LinkedHashMap<>();
        response.headers().names().forEach(h -> {
            var values = response.headers().getAll(h);
            headers.put(h.toLowerCase(java.util.Locale.ROOT), values.size() == 1 ? values.get(0) : values);
        });
        out.put("headers", headers);
        Optional<String> text = utf8(answer.getBytes());
        out.put("body", text.orElseGet(() -> Base64.getEncoder().encodeToString(answer.getBytes())));
        out.put("bodyEncoding", text.isPresent() ? "utf-8" : "base64");
        out.put("durationMs", (System.nanoTime() - started) / 1_000_000.0);
        return out;
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
