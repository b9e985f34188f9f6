package dev.tenantry.gateway;

import java.util.Optional;
import java.util.Set;

/**
 * A request's start line and what the gateway derives from its head.
 *
 * @param target    the request target as sent (origin form, or absolute form from some proxies)
 * @param path      the target's path, without the query
 * @param http10    an HTTP/1.0 request (forwarded as such; its connection closes unless it asks to be kept alive)
 * @param keepAlive whether the client's connection stays open after the answer
 * @param webSocket a WebSocket upgrade (RFC 6455 4.1): after the upstream's 101 the connection is a tunnel
 * @param continues the client waits for {@code 100 Continue} before sending its body
 */
record Request(String method, String target, String path, boolean http10, boolean keepAlive, boolean webSocket,
               boolean continues) {
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

    /** The request of a parsed head, or empty when its start line is not HTTP/1.0 or HTTP/1.1. */
    static Optional<Request> of(HttpHead head) {
        String[] line = head.requestLine();
        if (line == null || !(line[2].equals("HTTP/1.1") || line[2].equals("HTTP/1.0"))) {
            return Optional.empty();
        }
        boolean http10 = line[2].equals("HTTP/1.0");
        int connection = head.indexOf("connection");
        boolean keepAlive = http10 ? connection >= 0 && head.valueHasToken(connection, "keep-alive")
                : connection < 0 || !head.valueHasToken(connection, "close");
        int upgrade = head.indexOf("upgrade");
        boolean webSocket = line[0].equals("GET") && upgrade >= 0 && head.valueHasToken(upgrade, "websocket")
                && connection >= 0 && head.valueHasToken(connection, "upgrade");
        int expect = head.indexOf("expect");
        boolean continues = !http10 && expect >= 0 && head.valueHasToken(expect, "100-continue");
        return Optional.of(new Request(line[0], line[1], path(line[1]), http10, keepAlive, webSocket, continues));
    }

    /** The path of an origin-form ({@code /p?q}) or absolute-form ({@code http://host/p?q}) target. */
    private static String path(String target) {
        int start = 0;
        if (!target.startsWith("/")) {
            int scheme = target.indexOf("://");
            if (scheme < 0) {
                return target; // asterisk form, or nonsense: no route matches it
            }
            start = target.indexOf('/', scheme + 3);
            if (start < 0) {
                return "/";
            }
        }
        int query = target.indexOf('?', start);
        return target.substring(start, query < 0 ? target.length() : query);
    }

    boolean idempotent() {
        return IDEMPOTENT.contains(method);
    }

    /** Whether the response to this request has no body whatever its headers say (RFC 9110 9.3.2). */
    boolean bodilessResponse() {
        return method.equals("HEAD");
    }

    /** The target in origin form: the path and query, without the scheme and authority of an absolute form. */
    String originForm() {
        if (target.startsWith("/")) {
            return target;
        }
        int query = target.indexOf('?');
        return query < 0 ? path : path + target.substring(query);
    }
}
