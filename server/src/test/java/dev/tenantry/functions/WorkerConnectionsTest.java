package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's connections to a worker's socket, seen from the worker's end of it. */
class WorkerConnectionsTest {
    @Test
    void a_request_pipelined_behind_a_load_reaches_the_worker_in_the_same_write(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("worker.sock");
        Vertx vertx = Vertx.vertx();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            HttpClientAgent agent = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setPipelining(true));
            WorkerConnections connections = new WorkerConnections(agent,
                    new HttpConnectOptions().setServer(SocketAddress.domainSocketAddress(socket.toString())).setHost("worker"), 4);
            // As the invoker does on a cold start: the load, then the call, in one turn of the event loop.
            vertx.runOnContext(v -> connections.acquire().onSuccess(c -> {
                c.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/specialise"))
                        .onSuccess(load -> load.send(Buffer.buffer("{\"functions\":[]}")));
                c.request(new RequestOptions().setMethod(HttpMethod.GET).setURI("/invoke/hello@1")).onSuccess(call -> call.end());
            }));
            try (SocketChannel host = server.accept()) {
                ByteBuffer first = ByteBuffer.allocate(64 * 1024);
                host.read(first); // blocks until the first write arrives; a second write would come later
                String read = new String(first.array(), 0, first.position(), StandardCharsets.US_ASCII);
                assertThat(read).startsWith("POST /specialise HTTP/1.1").contains("{\"functions\":[]}")
                        .contains("GET /invoke/hello@1 HTTP/1.1");
            }
            connections.close();
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
            Files.deleteIfExists(socket);
        }
    }
}
