package dev.tenantry.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.netty.channel.SelectStrategy;
import io.netty.channel.epoll.Epoll;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Event loops poll for a short window after each wake-up, then sleep; a node on them serves as before. */
class SpinningEpollTransportTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final AtomicInteger ready = new AtomicInteger();
    private final SpinningEpollTransport.Spin spin = new SpinningEpollTransport.Spin(50_000, now::get);

    private int next(boolean hasTasks) throws Exception {
        return spin.calculateStrategy(ready::get, hasTasks);
    }

    @Test
    void after_a_wake_up_the_loop_polls_for_the_window_then_sleeps() throws Exception {
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
        now.addAndGet(49_000);
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
        now.addAndGet(2_000);
        assertThat(next(false)).isEqualTo(SelectStrategy.SELECT);
    }

    @Test
    void events_found_while_polling_are_handled_and_restart_the_window() throws Exception {
        next(false);
        now.addAndGet(40_000);
        ready.set(3);
        assertThat(next(false)).isEqualTo(3);
        ready.set(0);
        now.addAndGet(40_000); // 80 µs after the wake-up, 40 after the events
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
        now.addAndGet(11_000);
        assertThat(next(false)).isEqualTo(SelectStrategy.SELECT);
    }

    @Test
    void each_return_from_sleep_opens_a_new_window() throws Exception {
        next(false);
        now.addAndGet(60_000);
        assertThat(next(false)).isEqualTo(SelectStrategy.SELECT);
        now.addAndGet(5_000_000); // slept 5 ms, then woken
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
        now.addAndGet(49_000);
        assertThat(next(false)).isEqualTo(SelectStrategy.CONTINUE);
    }

    @Test
    void queued_tasks_never_wait_for_the_poll() throws Exception {
        ready.set(0);
        assertThat(next(true)).isZero(); // ready events (none) without blocking; the loop runs its tasks
        ready.set(2);
        assertThat(next(true)).isEqualTo(2);
    }

    @Test
    void vertx_on_the_spinning_transport_serves_http() throws Exception {
        assumeThat(Epoll.isAvailable()).as("epoll (Linux)").isTrue();
        Vertx vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(2))
                .withTransport(new SpinningEpollTransport(50_000).asVertxTransport()).build();
        try {
            assertThat(vertx.isNativeTransportEnabled()).isTrue();
            int port = vertx.createHttpServer().requestHandler(req -> req.response().end("pong " + req.path()))
                    .listen(0, "127.0.0.1").await().actualPort();
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/p" + i)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo("pong /p" + i);
                Thread.sleep(i % 4 == 0 ? 5 : 0); // some requests find the loop asleep, others still polling
            }
        } finally {
            vertx.close().await();
        }
    }
}
