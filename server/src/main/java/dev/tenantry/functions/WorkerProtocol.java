package dev.tenantry.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.runtime.Worker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.util.Set;
import java.util.TreeSet;

/**
 * The host's side of the worker protocol (see the bootstrap, worker.js): which headers cross in
 * each direction, where a worker listens, and how its answers to {@code /specialise} and its
 * function errors read.
 */
final class WorkerProtocol {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Hop-by-hop headers, and the ones only the gateway may set (a caller's own would be believed). */
    static final Set<String> NOT_FORWARDED = caseInsensitive("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
            dev.tenantry.sdk.context.TenantHeaders.ID, dev.tenantry.sdk.context.TenantHeaders.SLUG,
            dev.tenantry.sdk.context.TenantHeaders.TIER, dev.tenantry.sdk.context.TenantHeaders.TIME,
            dev.tenantry.sdk.context.TenantHeaders.SIGNATURE);
    static final Set<String> NOT_RETURNED = caseInsensitive("connection", "keep-alive", "proxy-authenticate",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "x-tenantry-error");

    private WorkerProtocol() {}

    static SocketAddress address(Worker worker) {
        return SocketAddress.domainSocketAddress(worker.socket().toString());
    }

    /** A JSON POST of the worker's own protocol. */
    static RequestOptions post(String uri) {
        return new RequestOptions().setHost("worker").setMethod(HttpMethod.POST).setURI(uri)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    }

    static String loadError(int status, Buffer body) {
        try {
            JsonNode root = JSON.readTree(body.getBytes());
            JsonNode errors = root.path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                return errors.get(0).path("message").asText("the function could not be loaded");
            }
            return root.path("error").asText("the worker refused the function (" + status + ")");
        } catch (java.io.IOException e) {
            return "the worker refused the function (" + status + ")";
        }
    }

    static String message(Buffer body) {
        try {
            return JSON.readTree(body.getBytes()).path("message").asText("unknown error");
        } catch (java.io.IOException e) {
            return "unknown error";
        }
    }

    static String requestId(Invocation call) {
        String given = call.header("x-request-id");
        if (given != null && given.length() <= 128 && given.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            return given;
        }
        return Long.toHexString(System.currentTimeMillis()) + "-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    }

    private static Set<String> caseInsensitive(String... names) {
        TreeSet<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(java.util.Arrays.asList(names));
        return java.util.Collections.unmodifiableSet(set);
    }
}
