package dev.tenantry.sdk.context;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-memory index: O(1) lookups that never see a half-applied change. */
class ContextIndexTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode tenant(String id, String slug, int version, String... hosts) {
        ObjectNode t = JSON.createObjectNode().put("id", id).put("slug", slug).put("status", "active").put("plan", "free")
                .put("tier", "pool").put("version", version);
        var array = t.putArray("hostnames");
        for (String h : hosts) {
            array.add(h);
        }
        return t;
    }

    @Test
    void lookups_by_host_id_slug_and_plan_limits() {
        ContextIndex index = new ContextIndex();
        index.replace(new ContextSnapshot(10, List.of(new PlanLimits("free", "pool", 10, 20, 1000, 2, 128, 3000, false, 1)), List.of()));
        assertThat(index.apply(new ContextChange(11, ContextChange.TENANT, "t1", tenant("t1", "acme", 1, "acme.localhost", "shop.acme.com"))))
                .isEqualTo(ContextIndex.Applied.APPLIED);
        assertThat(index.byHost("SHOP.acme.com.:8080")).map(TenantContext::slug).contains("acme");
        assertThat(index.bySlug("acme").orElseThrow().limits().burst()).isEqualTo(20);
        assertThat(index.apply(new ContextChange(13, ContextChange.TENANT, "t1", tenant("t1", "acme", 2)))).isEqualTo(ContextIndex.Applied.GAP);
        assertThat(index.apply(new ContextChange(11, ContextChange.TENANT, "t1", tenant("t1", "acme", 2)))).isEqualTo(ContextIndex.Applied.ALREADY_SEEN);
        ObjectNode plan = JSON.createObjectNode().put("name", "free").put("tier", "pool").put("ratePerSecond", 1).put("burst", 5);
        assertThat(index.apply(new ContextChange(12, ContextChange.PLAN, "free", plan))).isEqualTo(ContextIndex.Applied.APPLIED);
        assertThat(index.byHost("acme.localhost").orElseThrow().limits().burst()).isEqualTo(5);
        // The same plan again, and the same tenant again: equal in content, still there afterwards.
        assertThat(index.apply(new ContextChange(13, ContextChange.PLAN, "free", plan))).isEqualTo(ContextIndex.Applied.APPLIED);
        assertThat(index.apply(new ContextChange(14, ContextChange.TENANT, "t1", tenant("t1", "acme", 1, "acme.localhost", "shop.acme.com"))))
                .isEqualTo(ContextIndex.Applied.APPLIED);
        assertThat(index.apply(new ContextChange(15, ContextChange.TENANT, "t1", tenant("t1", "acme", 1, "acme.localhost", "shop.acme.com"))))
                .isEqualTo(ContextIndex.Applied.APPLIED);
        assertThat(index.byHost("acme.localhost")).isPresent();
        assertThat(index.bySlug("acme")).isPresent();
        assertThat(index.byId("t1")).isPresent();
        assertThat(index.apply(new ContextChange(16, ContextChange.TENANT, "t1", null))).isEqualTo(ContextIndex.Applied.APPLIED);
        assertThat(index.byHost("acme.localhost")).isEmpty();
        assertThat(index.size()).isZero();
    }

    @Test
    void a_reader_never_finds_a_tenant_missing_while_its_context_changes() throws InterruptedException {
        ContextIndex index = new ContextIndex();
        index.replace(new ContextSnapshot(0, List.of(), List.of()));
        index.apply(new ContextChange(1, ContextChange.TENANT, "t1", tenant("t1", "acme", 1, "acme.localhost")));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong misses = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                if (index.host("acme.localhost") == null) {
                    misses.incrementAndGet();
                }
                reads.incrementAndGet();
            }
        });
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (int seq = 2; seq < 200_000 && System.nanoTime() < deadline; seq++) {
            index.apply(new ContextChange(seq, ContextChange.TENANT, "t1", tenant("t1", "acme", seq, "acme.localhost",
                    "v" + (seq % 3) + ".acme.com")));
        }
        done.set(true);
        reader.join(5_000);
        assertThat(reads.get()).isGreaterThan(1_000);
        assertThat(misses.get()).isZero();
    }
}
