package dev.tenantry.context;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.sdk.context.ContextChange;
import dev.tenantry.sdk.context.ContextIndex;
import dev.tenantry.sdk.context.TenantContext;
import dev.tenantry.testsupport.TestNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The change feed's promise: numbers in commit order, gap-free as readers see them, under many
 * concurrent writers whose transactions start in one order and commit in another.
 */
class ChangeFeedTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestNode node;
    private static final List<String> TENANTS = new ArrayList<>();

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("roles", "api,scheduler"));
        for (int i = 0; i < 6; i++) {
            TENANTS.add(node.createActive("feed-" + i).get("id").asText());
        }
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void concurrent_writers_never_make_a_reader_skip_or_reorder_a_change() throws Exception {
        Jdbi sql = node.sql();
        long startSeq = lastSeq(sql);
        int writers = 8;
        int perWriter = 40;
        AtomicBoolean writing = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 3);
        List<Future<Long>> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            readers.add(pool.submit(() -> read(startSeq, writing, violations)));
        }
        List<Future<?>> writes = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            writes.add(pool.submit(() -> {
                for (int i = 0; i < perWriter; i++) {
                    String tenant = TENANTS.get(ThreadLocalRandom.current().nextInt(TENANTS.size()));
                    int sleepMicros = ThreadLocalRandom.current().nextInt(3_000);
                    // Start, touch a tenant, hold the transaction open a random while, then commit:
                    // transactions begun in one order commit in another.
                    sql.useTransaction(h -> {
                        h.createUpdate("update tenants set labels = labels || jsonb_build_object('w', cast(:v as text)) where id = cast(:id as uuid)")
                                .bind("v", writer + "-" + System.nanoTime()).bind("id", tenant).execute();
                        h.execute("select pg_sleep(" + sleepMicros / 1_000_000.0 + ")");
                        if (ThreadLocalRandom.current().nextInt(4) == 0) { // some transactions touch two entities
                            h.createUpdate("update plans set version = version + 1 where name = 'standard'").execute();
                        }
                    });
                }
                return null;
            }));
        }
        for (Future<?> w : writes) {
            w.get(120, TimeUnit.SECONDS);
        }
        writing.set(false);
        long end = lastSeq(sql);
        for (Future<Long> r : readers) {
            assertThat(r.get(60, TimeUnit.SECONDS)).as("each reader reached the last change").isEqualTo(end);
        }
        pool.shutdownNow();
        assertThat(violations).as("gaps or reorderings seen by readers").isEmpty();
        assertThat(end - startSeq).as("at least one change per writing transaction").isGreaterThanOrEqualTo((long) writers * perWriter);
        long changes = sql.withHandle(h -> h.createQuery("select count(*) from context_changes where seq > :s")
                .bind("s", startSeq).mapTo(Long.class).one());
        assertThat(changes).as("numbers are dense: no number was skipped").isEqualTo(end - startSeq);
    }

    /** Polls the feed like a follower, recording any number that is not the one after the last seen. */
    private static long read(long from, AtomicBoolean writing, ConcurrentLinkedQueue<String> violations) throws Exception {
        long seen = from;
        try (Connection c = DriverManager.getConnection(node.jdbcUrl(), "postgres", "")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (System.nanoTime() < deadline) {
                boolean done = !writing.get();
                List<ContextChange> batch = ContextFeed.changesAfter(c, seen, 50);
                for (ContextChange change : batch) {
                    if (change.seq() != seen + 1) {
                        violations.add("after " + seen + " came " + change.seq());
                    }
                    seen = change.seq();
                }
                if (done && batch.isEmpty() && seen >= ContextFeed.lastSeq(c)) {
                    return seen;
                }
            }
        }
        return seen;
    }

    @Test
    void the_followed_index_equals_the_catalog_recomputed() throws Exception {
        node.http().post("/v1/tenants/feed-1/domains", Map.of("hostname", "shop.feed-one.example"));
        node.http().post("/v1/tenants/feed-1/api-keys", Map.of("name", "ci"));
        ContextIndex index = node.node().contexts().orElseThrow().index();
        long target = lastSeq(node.sql());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (index.seq() < target && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(index.seq()).isEqualTo(target);
        List<Map<String, Object>> rows = node.sql().withHandle(h -> h.createQuery(
                "select id::text as id, context_tenant_body(id)::text as body from tenants where status <> 'deleted'")
                .mapToMap().list());
        assertThat(index.size()).isEqualTo(rows.size());
        for (Map<String, Object> row : rows) {
            TenantContext fromCatalog = JSON.readValue((String) row.get("body"), TenantContext.class);
            TenantContext held = index.byId((String) row.get("id")).orElseThrow();
            assertThat(held.withLimits(null)).isEqualTo(fromCatalog);
        }
        assertThat(index.byHost("SHOP.feed-one.example:8080")).map(TenantContext::slug).contains("feed-1");
        TenantContext one = index.bySlug("feed-1").orElseThrow();
        assertThat(one.apiKeys()).hasSize(1);
        assertThat(index.byKeyPrefix(one.apiKeys().getFirst().prefix())).isPresent();
        JsonNode snapshot = node.http().get("/v1/context/snapshot").json();
        assertThat(snapshot.get("seq").asLong()).isGreaterThanOrEqualTo(target);
        assertThat(snapshot.get("tenants")).hasSize(rows.size());
    }

    private static long lastSeq(Jdbi sql) {
        return sql.withHandle(h -> h.createQuery("select last from context_sequence").mapTo(Long.class).one());
    }
}
