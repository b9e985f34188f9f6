package dev.tenantry.context;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantry.sdk.context.ContextChange;
import dev.tenantry.sdk.context.TenantContext;
import dev.tenantry.testsupport.TestNode;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A follower of its own on the node's database: snapshot, catch-up, gaps, resync, a lost session. */
class FeedFollowerTest {
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("roles", "api,scheduler"));
        node.createActive("follow-a");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static ContextService follow(String applicationName) {
        return ContextService.start(
                () -> DriverManager.getConnection(node.jdbcUrl() + "?ApplicationName=" + applicationName, "postgres", ""),
                () -> DriverManager.getConnection(node.jdbcUrl(), "postgres", ""),
                new FeedFollower.Settings(Duration.ofSeconds(5), Duration.ofMillis(200), false, 0, Duration.ZERO),
                Duration.ofSeconds(10));
    }

    @Test
    void a_notified_change_arrives_without_waiting_for_the_poll() {
        try (ContextService contexts = follow("follower-notify")) {
            long before = System.nanoTime();
            node.http().post("/v1/tenants/follow-a/domains", Map.of("hostname", "notify.follow.example"));
            awaitTrue(() -> contexts.index().byHost("notify.follow.example").isPresent(), Duration.ofSeconds(3));
            // The poll interval is 5 s: arriving well before it means LISTEN/NOTIFY woke the follower.
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void a_follower_behind_a_pruned_feed_reloads_the_snapshot() {
        AtomicBoolean open = new AtomicBoolean(true);
        FeedFollower.Connections gated = () -> {
            if (!open.get()) {
                throw new java.sql.SQLException("the database is unreachable (test gate closed)");
            }
            return DriverManager.getConnection(node.jdbcUrl() + "?ApplicationName=follower-gap", "postgres", "");
        };
        try (ContextService contexts = ContextService.start(gated, gated,
                new FeedFollower.Settings(Duration.ofMillis(200), Duration.ofMillis(200), false, 0, Duration.ZERO),
                Duration.ofSeconds(10))) {
            awaitTrue(() -> contexts.follower().connected(), Duration.ofSeconds(5));
            open.set(false);
            node.sql().useHandle(h -> h.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'follower-gap'"));
            awaitTrue(() -> !contexts.follower().connected(), Duration.ofSeconds(5));
            long held = contexts.index().seq();
            node.http().post("/v1/tenants/follow-a/domains", Map.of("hostname", "pruned.follow.example"));
            node.sql().useHandle(h -> h.execute("delete from context_changes where seq > ?", held)); // pruned past it
            node.http().post("/v1/tenants/follow-a/domains", Map.of("hostname", "after-prune.follow.example"));
            open.set(true);
            awaitTrue(() -> contexts.index().byHost("after-prune.follow.example").isPresent(), Duration.ofSeconds(10));
            assertThat(contexts.index().byHost("pruned.follow.example")).as("the pruned change came with the snapshot").isPresent();
            awaitTrue(() -> contexts.follower().snapshots() == 2, Duration.ofSeconds(2)); // counted just after the swap
        }
    }

    @Test
    void a_resync_makes_every_follower_reload_and_announces_itself() {
        try (ContextService contexts = follow("follower-resync")) {
            long loaded = contexts.follower().snapshots();
            List<ContextChange> events = new CopyOnWriteArrayList<>();
            contexts.follower().subscribe(events::add);
            assertThat(node.http().post("/v1/context/resync", Map.of()).status()).isEqualTo(200);
            awaitTrue(() -> contexts.follower().snapshots() > loaded, Duration.ofSeconds(5));
            assertThat(events).anyMatch(e -> e.entity().equals(ContextChange.RESYNC));
            assertThat(contexts.index().bySlug("follow-a")).isPresent();
        }
    }

    @Test
    void a_killed_session_reconnects_and_catches_up_while_lookups_keep_answering() {
        try (ContextService contexts = follow("follower-cut")) {
            awaitTrue(() -> contexts.follower().connected(), Duration.ofSeconds(5));
            int killed = node.sql().withHandle(h -> h.createQuery(
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'follower-cut'")
                    .mapTo(Integer.class).one());
            assertThat(killed).isEqualTo(1);
            assertThat(contexts.index().bySlug("follow-a")).as("lookups answer from memory meanwhile").isPresent();
            node.http().post("/v1/tenants/follow-a/domains", Map.of("hostname", "after-cut.follow.example"));
            awaitTrue(() -> contexts.index().byHost("after-cut.follow.example").isPresent(), Duration.ofSeconds(10));
            assertThat(contexts.follower().reconnects()).isGreaterThanOrEqualTo(1);
            assertThat(contexts.follower().snapshots()).as("resumed from its position, no snapshot needed").isEqualTo(1);
            TenantContext a = contexts.index().bySlug("follow-a").orElseThrow();
            assertThat(a.hostnames()).contains("after-cut.follow.example");
        }
    }

    static void awaitTrue(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
