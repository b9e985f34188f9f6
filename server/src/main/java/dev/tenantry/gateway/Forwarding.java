package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * The heads as they cross the gateway. Toward the upstream: hop-by-hop and spoofable headers
 * dropped, forwarding and signed tenant headers added. Toward the client: hop-by-hop headers
 * dropped, the rate limit's headers added. Bodies keep their framing, so {@code Content-Length}
 * and {@code Transfer-Encoding} pass as they are.
 */
final class Forwarding {
    /** Hop-by-hop headers (RFC 9110 7.6.1), and the ones the gateway sets itself (besides every X-Tenant-* and X-Forwarded-*). */
    private static final String[] NOT_FORWARDED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "upgrade", "host", "expect"};
    /** Toward a function: hop-by-hop headers and the body's framing (the invoker frames the body itself). */
    private static final String[] NOT_FOR_FUNCTIONS = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "trailer", "upgrade", "expect", "transfer-encoding", "content-length"};
    private static final String[] NOT_RETURNED = {"connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te",
        "upgrade", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"};
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] WEBSOCKET = ascii("Connection: Upgrade\r\nUpgrade: websocket\r\n");
    private final Gateway.Shared shared;
    private final String tenantHeader;
    private final byte[] forwardedPort;

    /** {@code port}: the gateway's, for {@code X-Forwarded-Port}. */
    Forwarding(Gateway.Shared shared, int port) {
        this.shared = shared;
        this.tenantHeader = shared.settings.tenantHeader().toLowerCase(Locale.ROOT);
        this.forwardedPort = ascii("X-Forwarded-Port: " + port + "\r\n");
    }

    /** The head of {@code request} as {@code destination} sends it to {@code upstream}. */
    void write(ByteBuf out, Admission.Proxied destination, Request request, HttpHead head, Peer client, Upstream upstream) {
        toUpstream(out, request, head, client, destination.state(), destination.route(), upstream, destination.keyHeader());
    }

    /** The head of {@code request} for {@code upstream}, as {@code route} sends it; {@code keyHeader} carried the API key ("" if none). */
    private void toUpstream(ByteBuf out, Request request, HttpHead head, Peer client, TenantState state,
                            TenantState.CompiledRoute route, Upstream upstream, String keyHeader) {
        startLine(out, request, upstreamTarget(request, route, upstream));
        int connection = head.indexOf("connection");
        String listed = connection < 0 ? null : head.value(connection);
        for (int i = 0; i < head.count(); i++) {
            if (!named(head, i, NOT_FORWARDED) && !head.nameStartsWith(i, "x-tenant-") && !head.nameStartsWith(i, "x-forwarded-")
                    && !head.nameIs(i, keyHeader) && !head.nameIs(i, tenantHeader)
                    && (listed == null || !head.nameListedIn(i, listed))) {
                head.copyField(i, out);
            }
        }
        out.writeBytes(upstream.hostLine);
        String priorFor = client.trusted() ? head.header("x-forwarded-for") : null;
        line(out, "X-Forwarded-For: ", priorFor == null ? client.address() : priorFor + ", " + client.address());
        String priorProto = client.trusted() ? head.header("x-forwarded-proto") : null; // e.g. a TLS-terminating front proxy
        line(out, "X-Forwarded-Proto: ", priorProto == null ? "http" : priorProto);
        int host = head.indexOf("host");
        if (host >= 0) {
            out.writeCharSequence("X-Forwarded-Host: ", StandardCharsets.US_ASCII);
            head.copyValue(host, out);
            out.writeBytes(CRLF);
        }
        out.writeBytes(forwardedPort);
        out.writeBytes(state.signedHeaders(shared.signer, System.currentTimeMillis() / 1000));
        if (request.webSocket()) {
            out.writeBytes(WEBSOCKET);
        }
        out.writeBytes(CRLF);
    }

    /** Each header field of {@code head} a function gets, as name and value; the Host stays (the function sees its caller's URL). */
    static void forFunction(HttpHead head, BiConsumer<String, String> each) {
        int connection = head.indexOf("connection");
        String listed = connection < 0 ? null : head.value(connection);
        for (int i = 0; i < head.count(); i++) {
            if (!named(head, i, NOT_FOR_FUNCTIONS) && (listed == null || !head.nameListedIn(i, listed))) {
                each.accept(head.name(i), head.value(i));
            }
        }
    }

    /** The upstream's response head as the client gets it; {@code close} says the client's connection closes after it. */
    static void toClient(ByteBuf out, HttpHead head, Limiter.Verdict verdict, boolean upgraded, boolean close) {
        head.copyStartLine(out);
        int connection = head.indexOf("connection");
        String listed = connection < 0 ? null : head.value(connection);
        for (int i = 0; i < head.count(); i++) {
            if (!named(head, i, NOT_RETURNED) && (listed == null || !head.nameListedIn(i, listed))) {
                head.copyField(i, out);
            }
        }
        Answers.writeRateLimitHeaders(out, verdict);
        if (upgraded) {
            out.writeBytes(WEBSOCKET);
        } else if (close) {
            out.writeCharSequence("Connection: close\r\n", StandardCharsets.US_ASCII);
        }
        out.writeBytes(CRLF);
    }

    private static void startLine(ByteBuf out, Request request, String target) {
        out.writeCharSequence(request.method(), StandardCharsets.US_ASCII);
        out.writeByte(' ');
        out.writeCharSequence(target, StandardCharsets.ISO_8859_1);
        out.writeCharSequence(request.http10() ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n", StandardCharsets.US_ASCII);
    }

    private static String upstreamTarget(Request request, TenantState.CompiledRoute route, Upstream upstream) {
        String target = request.originForm();
        if (route.route.stripPrefix() && !route.prefix.equals("/")) {
            String rest = target.substring(Math.min(target.length(), route.prefix.length()));
            target = rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest;
        }
        return upstream.basePath.isEmpty() ? target : upstream.basePath + target;
    }

    private static boolean named(HttpHead head, int i, String[] names) {
        for (String name : names) {
            if (head.nameIs(i, name)) {
                return true;
            }
        }
        return false;
    }

    private static void line(ByteBuf out, String name, String value) {
        out.writeCharSequence(name, StandardCharsets.US_ASCII);
        out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeBytes(CRLF);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
