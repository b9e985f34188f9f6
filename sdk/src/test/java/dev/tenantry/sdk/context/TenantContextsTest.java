package dev.tenantry.sdk.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TenantContextsTest {
    private static final Duration WAIT = Duration.ofSeconds(3);
    private static final PlanLimits FREE = new PlanLimits("free", "pool", 10, 20, 10_000, 4, 128, 5_000, false, 1);
    private static final PlanLimits PRO = new PlanLimits("pro", "pool", 100, 200, 1_000_000, 32, 512, 30_000, true, 1);
    private static final TenantContext ACME = tenant("t-1", "acme", "active", "free",
            List.of("acme.example.com", "Shop.Acme.io"), "k1acme");
    private static final TenantContext GLOBEX = tenant("t-2", "globex", "active", "pro",
            List.of("globex.example.com"), "k2globex");

    private FeedServer server;
    private TenantContexts contexts;

    @BeforeEach
    void startServer() {
        server = FeedServer.start();
        server.snapshot(5, List.of(FREE, PRO), List.of(ACME));
    }

    @AfterEach
    void stop() {
        if (contexts != null) {
            contexts.close();
        }
        server.close();
    }

    @Test
    void loads_the_snapshot_then_applies_live_changes_in_order() {
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN));
        assertThat(contexts.awaitReady(WAIT)).isTrue();
        assertThat(contexts.seq()).isEqualTo(5);
        assertThat(contexts.byId("t-1")).contains(ACME.withLimits(FREE));

        FeedServer.Stream stream = server.nextStream();
        assertThat(stream.query()).isEqualTo("after=5");
        assertThat(stream.lastEventId()).isEqualTo("5");
        assertThat(stream.authorization()).isEqualTo("Bearer " + FeedServer.TOKEN);
        assertThat(server.snapshotRequests()).extracting(FeedServer.SnapshotRequest::authorization)
                .containsExactly("Bearer " + FeedServer.TOKEN);
        Eventually.until(WAIT, "the stream is connected", contexts::connected);

        stream.change(6, ContextChange.TENANT, "t-2", GLOBEX);
        stream.heartbeat();
        stream.change(7, ContextChange.TENANT, "t-2", withStatus(GLOBEX, "suspended"));
        stream.change(8, ContextChange.TENANT, "t-1", null);
        Eventually.until(WAIT, "change 8 is applied", () -> contexts.seq() == 8);

        assertThat(contexts.byId("t-1")).isEmpty();
        assertThat(contexts.byHost("acme.example.com")).isEmpty();
        assertThat(contexts.bySlug("globex")).map(TenantContext::status).contains("suspended");
        assertThat(contexts.bySlug("globex")).map(TenantContext::limits).contains(PRO);
        assertThat(contexts.lastError()).isEmpty();
    }

    @Test
    void looks_up_by_host_case_and_port_insensitively_by_id_slug_and_key_prefix_with_the_node_gone() {
        contexts = TenantContexts.connect(server.uri(), FeedServer.TOKEN);
        assertThat(contexts.awaitReady(WAIT)).isTrue();
        server.close();

        assertThat(contexts.byHost("ACME.example.COM:8443")).map(TenantContext::id).contains("t-1");
        assertThat(contexts.byHost("shop.acme.io")).map(TenantContext::id).contains("t-1");
        assertThat(contexts.byHost("acme.example.com.")).map(TenantContext::id).contains("t-1");
        assertThat(contexts.byHost("globex.example.com")).isEmpty();
        assertThat(contexts.byId("t-1")).map(TenantContext::slug).contains("acme");
        assertThat(contexts.bySlug("acme")).map(TenantContext::limits).contains(FREE);
        assertThat(contexts.bySlug("t-1")).isEmpty();
        assertThat(contexts.byKeyPrefix("k1acme")).hasValueSatisfying(entry -> {
            assertThat(entry.tenant().id()).isEqualTo("t-1");
            assertThat(entry.key().id()).isEqualTo("key-k1acme");
        });
        assertThat(contexts.byKeyPrefix("k2globex")).isEmpty();
    }

    @Test
    void a_listener_hears_the_snapshot_load_then_each_change_before_and_after() {
        List<List<TenantContext>> heard = new CopyOnWriteArrayList<>();
        contexts = TenantContexts.builder(server.uri(), FeedServer.TOKEN).build();
        contexts.addListener((before, after) -> heard.add(Arrays.asList(before, after)));
        contexts.start();
        FeedServer.Stream stream = server.nextStream();

        stream.changeOverLines(6, ContextChange.TENANT, "t-1", withStatus(ACME, "suspended"));
        Eventually.until(WAIT, "change 6 is applied", () -> contexts.seq() == 6);

        assertThat(heard).containsExactly(
                Arrays.asList(null, ACME.withLimits(FREE)),
                List.of(ACME.withLimits(FREE), withStatus(ACME, "suspended").withLimits(FREE)));
    }

    @Test
    void reconnects_after_the_server_ends_the_stream_resuming_from_the_last_change() {
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN));
        FeedServer.Stream first = server.nextStream();
        first.change(6, ContextChange.TENANT, "t-2", GLOBEX);
        first.change(7, ContextChange.PLAN, "free", FREE);
        Eventually.until(WAIT, "change 7 is applied", () -> contexts.seq() == 7);

        first.end();
        FeedServer.Stream second = server.nextStream();

        assertThat(second.query()).isEqualTo("after=7");
        assertThat(second.lastEventId()).isEqualTo("7");
        assertThat(server.snapshotRequests()).hasSize(1);
        second.change(8, ContextChange.TENANT, "t-2", null);
        Eventually.until(WAIT, "change 8 is applied", () -> contexts.seq() == 8);
        assertThat(contexts.byId("t-2")).isEmpty();
        assertThat(contexts.byId("t-1")).isPresent();
    }

    @Test
    void a_gap_in_the_numbers_reloads_the_snapshot_and_resumes_from_it() {
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN));
        FeedServer.Stream first = server.nextStream();
        server.snapshot(10, List.of(FREE, PRO), List.of(GLOBEX));

        first.change(9, ContextChange.TENANT, "t-3", tenant("t-3", "initech", "active", "free", List.of(), "k3"));

        FeedServer.Stream second = server.nextStream();
        assertThat(second.query()).isEqualTo("after=10");
        assertThat(server.snapshotRequests()).hasSize(2);
        assertThat(contexts.seq()).isEqualTo(10);
        assertThat(contexts.byId("t-3")).as("the change after the gap is not applied").isEmpty();
        assertThat(contexts.byId("t-1")).as("the reloaded snapshot replaces the old state").isEmpty();
        assertThat(contexts.byHost("globex.example.com")).map(TenantContext::id).contains("t-2");
    }

    @Test
    void a_resync_event_reloads_the_snapshot() {
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN));
        FeedServer.Stream first = server.nextStream();
        server.snapshot(12, List.of(FREE), List.of(ACME, withStatus(GLOBEX, "active")));

        first.resync(12);

        FeedServer.Stream second = server.nextStream();
        assertThat(second.query()).isEqualTo("after=12");
        assertThat(server.snapshotRequests()).hasSize(2);
        assertThat(contexts.seq()).isEqualTo(12);
        assertThat(contexts.byId("t-2")).isPresent();
    }

    @Test
    void a_resync_change_in_the_feed_reloads_the_snapshot() {
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN));
        FeedServer.Stream first = server.nextStream();
        server.snapshot(6, List.of(FREE), List.of(GLOBEX));

        first.change(6, ContextChange.RESYNC, "", null);

        assertThat(server.nextStream().query()).isEqualTo("after=6");
        assertThat(server.snapshotRequests()).hasSize(2);
        assertThat(contexts.byId("t-1")).isEmpty();
        assertThat(contexts.byId("t-2")).isPresent();
    }

    @Test
    void an_unauthorized_token_is_reported_and_retried_at_the_capped_interval() {
        server.refuseSnapshots(401, 3);
        Duration cap = Duration.ofMillis(500);
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN).reconnectMax(cap));

        Eventually.until(WAIT, "the 401 is reported", () -> contexts.lastError().isPresent());
        assertThat(contexts.lastError().orElseThrow()).contains("/v1/context/snapshot").contains("401")
                .contains("the token is not valid").doesNotContain(FeedServer.TOKEN);
        assertThat(contexts.awaitReady(Duration.ofMillis(50))).isFalse();

        assertThat(contexts.awaitReady(WAIT)).isTrue();
        List<FeedServer.SnapshotRequest> requests = server.snapshotRequests();
        assertThat(requests).hasSize(4);
        for (int i = 1; i < requests.size(); i++) {
            long gap = requests.get(i).atNanos() - requests.get(i - 1).atNanos();
            assertThat(Duration.ofNanos(gap)).as("wait before retry %d", i).isGreaterThanOrEqualTo(cap.dividedBy(2));
        }
        Eventually.until(WAIT, "the error clears", () -> contexts.lastError().isEmpty());
    }

    @Test
    void heartbeats_keep_the_stream_and_silence_past_the_read_timeout_drops_it() throws InterruptedException {
        Duration readTimeout = Duration.ofMillis(1_500);
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN).readTimeout(readTimeout));
        FeedServer.Stream first = server.nextStream();
        for (int i = 0; i < 8; i++) {
            Thread.sleep(100);
            first.heartbeat();
        }
        long silentSince = System.nanoTime();
        assertThat(server.nextStream(Duration.ZERO)).as("a stream with heartbeats stays open").isEmpty();
        assertThat(contexts.connected()).isTrue();

        FeedServer.Stream second = server.nextStream();

        assertThat(Duration.ofNanos(System.nanoTime() - silentSince)).isGreaterThanOrEqualTo(readTimeout);
        assertThat(second.query()).isEqualTo("after=5");
        assertThat(server.snapshotRequests()).hasSize(1);
    }

    @Test
    void an_unreachable_node_is_reported_and_retried_until_it_answers() {
        int port = server.uri().getPort();
        server.close();
        contexts = start(TenantContexts.builder(URI.create("http://127.0.0.1:" + port), FeedServer.TOKEN)
                .reconnectMax(Duration.ofMillis(200)));

        Eventually.until(WAIT, "the failure is reported", () -> contexts.lastError().isPresent());
        assertThat(contexts.lastError().orElseThrow()).contains("cannot reach http://127.0.0.1:" + port);
        assertThat(contexts.connected()).isFalse();
        assertThat(contexts.awaitReady(Duration.ofMillis(50))).isFalse();

        server = FeedServer.start(port);
        server.snapshot(5, List.of(FREE), List.of(ACME));
        assertThat(contexts.awaitReady(WAIT)).isTrue();
        assertThat(server.nextStream().query()).isEqualTo("after=5");
        assertThat(contexts.byId("t-1")).isPresent();
    }

    @Test
    void close_stops_the_thread_and_the_open_stream_promptly() {
        HttpClient http = HttpClient.newHttpClient();
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN).httpClient(http));
        FeedServer.Stream stream = server.nextStream();
        Eventually.until(WAIT, "the stream is connected", contexts::connected);
        assertThat(feedThreads()).hasSize(1);

        long began = System.nanoTime();
        contexts.close();

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
        assertThat(feedThreads()).isEmpty();
        assertThat(contexts.connected()).isFalse();
        Eventually.until(WAIT, "the server sees the stream closed", () -> !stream.stillOpen());
        assertThat(server.nextStream(Duration.ofMillis(300))).as("no reconnect after close").isEmpty();
        assertThat(contexts.byId("t-1")).as("lookups still answer").isPresent();
        http.close();
    }

    @Test
    void close_cuts_short_a_back_off_wait() {
        server.refuseSnapshots(403, 1);
        contexts = start(TenantContexts.builder(server.uri(), FeedServer.TOKEN).reconnectMax(Duration.ofSeconds(30)));
        Eventually.until(WAIT, "the 403 is reported", () -> contexts.lastError().isPresent());

        long began = System.nanoTime();
        contexts.close();

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
        assertThat(feedThreads()).isEmpty();
        assertThatThrownBy(contexts::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void invalid_settings_fail_the_build_naming_the_setting() {
        assertThatThrownBy(() -> TenantContexts.builder(server.uri(), FeedServer.TOKEN).reconnectMax(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reconnectMax");
        assertThatThrownBy(() -> TenantContexts.builder(server.uri(), FeedServer.TOKEN).readTimeout(Duration.ofMillis(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readTimeout");
        assertThatThrownBy(() -> TenantContexts.builder(URI.create("ftp://example.com"), FeedServer.TOKEN).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> TenantContexts.builder(server.uri(), " ").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token");
    }

    private static TenantContexts start(TenantContexts.Builder builder) {
        return builder.build().start();
    }

    private static List<Thread> feedThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(TenantContexts.THREAD_NAME) && t.isAlive()).toList();
    }

    private static TenantContext tenant(String id, String slug, String status, String plan, List<String> hosts,
                                        String keyPrefix) {
        return new TenantContext(id, slug, slug.toUpperCase(), status, null, plan, "pool", "eu-1", Map.of("team", "a"),
                1, hosts, List.of(new TenantContext.ApiKey("key-" + keyPrefix, keyPrefix, "hash", List.of("read"), null)),
                List.of(), List.of(), 1, null, Map.of());
    }

    private static TenantContext withStatus(TenantContext tenant, String status) {
        return new TenantContext(tenant.id(), tenant.slug(), tenant.name(), status, null, tenant.plan(), tenant.tier(),
                tenant.region(), tenant.labels(), tenant.version() + 1, tenant.hostnames(), tenant.apiKeys(),
                tenant.bindings(), tenant.routes(), tenant.routesVersion(), null, tenant.functions());
    }
}
