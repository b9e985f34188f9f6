package dev.tenantry.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP upstream for gateway tests. {@code /echo*} answers what it received (method, URI,
 * headers, body size and SHA-256) as JSON; {@code /stream?chunks=N&delayMs=M} streams chunks;
 * {@code /die} sends half a response and closes; {@code /slow?ms=N} answers late; {@code /health}
 * answers 200 or 503 as set by {@link #healthy}; {@code /ws} echoes WebSocket frames.
 */
public final class Backend implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Vertx vertx;
    private final HttpServer server;
    private final String name;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicBoolean healthy = new AtomicBoolean(true);

    private Backend(String name) {
        this.name = name;
        this.vertx = Vertx.vertx();
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .webSocketHandler(ws -> ws.frameHandler(frame -> {
                    if (frame.isText()) {
                        ws.writeTextMessage("echo:" + frame.textData());
                    } else if (frame.isBinary()) {
                        ws.writeBinaryMessage(frame.binaryData());
                    }
                }))
                .requestHandler(this::handle).listen().await();
    }

    public static Backend start(String name) {
        return new Backend(name);
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public int port() {
        return server.actualPort();
    }

    /** Requests answered, health checks excluded. */
    public int requests() {
        return requests.get();
    }

    public void healthy(boolean value) {
        healthy.set(value);
    }

    private void handle(HttpServerRequest req) {
        String path = req.path();
        if (path.equals("/health")) {
            req.response().setStatusCode(healthy.get() ? 200 : 503).end(healthy.get() ? "ok" : "down");
            return;
        }
        requests.incrementAndGet();
        req.response().putHeader("X-Backend", name);
        switch (path) {
            case "/stream" -> stream(req);
            case "/die" -> {
                req.response().putHeader("Content-Length", "100000").write("only the beginning");
                vertx.setTimer(50, id -> req.connection().close());
            }
            case "/slow" -> vertx.setTimer(Long.parseLong(req.getParam("ms", "1000")),
                    id -> req.response().end("late"));
            default -> echo(req);
        }
    }

    private void stream(HttpServerRequest req) {
        int chunks = Integer.parseInt(req.getParam("chunks", "5"));
        long delay = Long.parseLong(req.getParam("delayMs", "100"));
        req.response().setChunked(true).putHeader("Content-Type", "text/plain");
        AtomicInteger sent = new AtomicInteger();
        req.response().write("chunk-0\n");
        vertx.setPeriodic(delay, id -> {
            int n = sent.incrementAndGet();
            if (n >= chunks) {
                vertx.cancelTimer(id);
                req.response().end();
            } else {
                req.response().write("chunk-" + n + "\n");
            }
        });
    }

    private void echo(HttpServerRequest req) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        long[] size = {0};
        req.handler(chunk -> {
            size[0] += chunk.length();
            sha.update(chunk.getBytes());
        });
        req.endHandler(v -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("backend", name);
            out.put("method", req.method().name());
            out.put("uri", req.uri());
            Map<String, String> headers = new LinkedHashMap<>();
            req.headers().forEach(h -> headers.merge(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue(), (a, b) -> a + "," + b));
            out.put("headers", headers);
            out.put("bodyBytes", size[0]);
            out.put("bodySha256", HexFormat.of().formatHex(sha.digest()));
            try {
                req.response().putHeader("Content-Type", "application/json").end(Buffer.buffer(JSON.writeValueAsBytes(out)));
            } catch (Exception e) {
                req.response().setStatusCode(500).end();
            }
        });
    }

    @Override
    public void close() {
        vertx.close().await();
    }
}
