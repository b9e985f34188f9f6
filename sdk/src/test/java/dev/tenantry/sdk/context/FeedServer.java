package dev.tenantry.sdk.context;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a Tenantry node's context endpoints on a real socket: serves the snapshot the
 * test sets and hands the test every change stream a client opens, to write events into.
 */
final class FeedServer implements AutoCloseable {
    static final String TOKEN = "test-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private final BlockingQueue<Stream> streams = new LinkedBlockingQueue<>();
    private final List<Stream> opened = new CopyOnWriteArrayList<>();
    private final List<SnapshotRequest> snapshotRequests = new CopyOnWriteArrayList<>();
    private final Deque<Integer> refusals = new ArrayDeque<>();
    private volatile String snapshot = "{\"seq\":0,\"plans\":[],\"tenants\":[]}";

    /** A snapshot request as the server saw it. */
    record SnapshotRequest(String authorization, long atNanos) {
    }

    private FeedServer(HttpServer server) {
        this.server = server;
        server.setExecutor(handlers);
        server.createContext("/v1/context/snapshot", this::snapshot);
        server.createContext("/v1/context/changes", this::changes);
        server.start();
    }

    static FeedServer start() {
        return start(0);
    }

    /** A server on {@code port} of the loopback address; 0 picks a free one. */
    static FeedServer start(int port) {
        try {
            return new FeedServer(HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** What the snapshot endpoint serves from now on. */
    void snapshot(long seq, List<PlanLimits> plans, List<TenantContext> tenants) {
        snapshot = json(new ContextSnapshot(seq, plans, tenants));
    }

    /** The next {@code times} snapshot requests are answered with {@code status} and a problem document. */
    synchronized void refuseSnapshots(int status, int times) {
        for (int i = 0; i < times; i++) {
            refusals.add(status);
        }
    }

    List<SnapshotRequest> snapshotRequests() {
        return List.copyOf(snapshotRequests);
    }

    /** The next change stream a client opens; fails the test if none opens within 3 s. */
    Stream nextStream() {
        return nextStream(Duration.ofSeconds(3)).orElseGet(() -> fail("no change stream was opened within 3 s"));
    }

    Optional<Stream> nextStream(Duration within) {
        try {
            return Optional.ofNullable(streams.poll(within.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        opened.forEach(Stream::end);
        server.stop(0);
        handlers.shutdownNow();
    }

    private void snapshot(HttpExchange exchange) throws IOException {
        snapshotRequests.add(new SnapshotRequest(exchange.getRequestHeaders().getFirst("Authorization"), System.nanoTime()));
        Integer refusal;
        synchronized (this) {
            refusal = refusals.poll();
        }
        if (refusal != null) {
            respond(exchange, refusal, "application/problem+json",
                    "{\"title\":\"Unauthorized\",\"status\":" + refusal + ",\"detail\":\"the token is not valid\"}");
        } else {
            respond(exchange, 200, "application/json", snapshot);
        }
    }

    private void changes(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getQuery();
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().flush(); // the JDK server holds the headers back until the body is flushed
        Stream stream = new Stream(exchange, query == null ? "" : query,
                exchange.getRequestHeaders().getFirst("Last-Event-ID"),
                exchange.getRequestHeaders().getFirst("Authorization"));
        opened.add(stream);
        streams.add(stream);
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One open change stream, as the server holds it. */
    static final class Stream {
        private final HttpExchange exchange;
        private final String query;
        private final String lastEventId;
        private final String authorization;
        private boolean ended;

        Stream(HttpExchange exchange, String query, String lastEventId, String authorization) {
            this.exchange = exchange;
            this.query = query;
            this.lastEventId = lastEventId;
            this.authorization = authorization;
        }

        /** The query string the client sent, such as {@code after=5}. */
        String query() {
            return query;
        }

        String lastEventId() {
            return lastEventId;
        }

        String authorization() {
            return authorization;
        }

        /** Sends a {@code change} event for a tenant or plan; {@code body} null when it is gone. */
        void change(long seq, String entity, String key, Object body) {
            send("id: " + seq + "\nevent: change\ndata: " + json(changeOf(seq, entity, key, body)) + "\n\n");
        }

        /** The same, with the JSON pretty-printed over several {@code data:} lines. */
        void changeOverLines(long seq, String entity, String key, Object body) {
            try {
                String pretty = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(changeOf(seq, entity, key, body));
                StringBuilder event = new StringBuilder("id: " + seq + "\r\nevent: change\r\n");
                pretty.lines().forEach(line -> event.append("data: ").append(line).append("\r\n"));
                send(event.append("\r\n").toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void resync(long seq) {
            send("event: resync\ndata: {\"seq\": " + seq + "}\n\n");
        }

        void heartbeat() {
            send(": heartbeat\n\n");
        }

        synchronized void send(String text) {
            try {
                OutputStream out = exchange.getResponseBody();
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Whether a write still reaches an open connection; false once the client has hung up. */
        boolean stillOpen() {
            try {
                send(": ping\n\n");
                return true;
            } catch (UncheckedIOException e) {
                return false;
            }
        }

        /** Ends the stream as a server does: the client sees the body end. */
        synchronized void end() {
            if (!ended) {
                ended = true;
                exchange.close();
            }
        }

        private static Map<String, Object> changeOf(long seq, String entity, String key, Object body) {
            Map<String, Object> change = new LinkedHashMap<>();
            change.put("seq", seq);
            change.put("entity", entity);
            change.put("key", key);
            change.put("body", body);
            return change;
        }
    }
}
