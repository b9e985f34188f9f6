package dev.tenantry.sdk.context;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
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

    private static TenantContext context(String id, String slug, String... hosts) {
        return JSON.convertValue(tenant(id, slug, 1, hosts), TenantContext.class);
    }

    private static ContextIndex indexOf(TenantContext... tenants) {
        ContextIndex index = new ContextIndex();
        index.replace(new ContextSnapshot(1, List.of(), List.of(tenants)));
        return index;
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

    @Test
    void normalizing_a_host_lower_cases_it_and_drops_the_port_and_one_trailing_dot() {
        assertThat(ContextIndex.normalizeHost("ACME.localhost:8080")).isEqualTo("acme.localhost");
        assertThat(ContextIndex.normalizeHost("Shop.Acme.com.:443")).isEqualTo("shop.acme.com");
        assertThat(ContextIndex.normalizeHost("acme.localhost.")).isEqualTo("acme.localhost");
        assertThat(ContextIndex.normalizeHost("[::1]:8080")).isEqualTo("[::1]");
        assertThat(ContextIndex.normalizeHost("[2001:DB8::1]")).isEqualTo("[2001:db8::1]");
        assertThat(ContextIndex.normalizeHost("BÜCHER.example")).isEqualTo("bücher.example");
        String plain = "acme.localhost";
        assertThat(ContextIndex.normalizeHost(plain)).isSameAs(plain);
    }

    @Test
    void a_host_is_found_in_any_case_with_or_without_a_port_and_a_trailing_dot() {
        TenantContext acme = context("t1", "acme", "acme.localhost", "Shop.Acme.COM");
        ContextIndex index = indexOf(acme);
        for (String host : List.of("acme.localhost", "ACME.localhost", "AcMe.LoCaLhOsT", "acme.localhost:8080",
                "ACME.LOCALHOST:8080", "acme.localhost.", "ACME.localhost.:443", "shop.acme.com", "SHOP.ACME.COM.:8443",
                "acme.localhost:" + "0".repeat(70) + "8080")) {
            assertThat(index.host(host)).as(host).isEqualTo(acme);
            assertThat(index.byHost(host)).as(host).contains(acme);
        }
    }

    @Test
    void ipv6_literals_are_found_with_and_without_a_port() {
        TenantContext local = context("t1", "local", "[::1]", "[2001:DB8::42]");
        ContextIndex index = indexOf(local);
        for (String host : List.of("[::1]", "[::1]:8080", "[::1].", "[::1].:80", "[2001:db8::42]", "[2001:DB8::42]:443")) {
            assertThat(index.host(host)).as(host).isEqualTo(local);
        }
        assertThat(index.host("[::2]:8080")).isNull();
        assertThat(index.host("[2001:db8::4]")).isNull();
    }

    @Test
    void non_ascii_hosts_are_found_in_any_case() {
        TenantContext books = context("t1", "books", "bücher.example", "ÄRZTE.example");
        ContextIndex index = indexOf(books);
        for (String host : List.of("bücher.example", "BÜCHER.example:8080", "Bücher.Example.", "ärzte.example", "ÄRZTE.EXAMPLE:443")) {
            assertThat(index.host(host)).as(host).isEqualTo(books);
        }
        assertThat(index.host("bucher.example")).isNull();
    }

    @Test
    void hosts_no_tenant_has_are_not_found() {
        ContextIndex index = indexOf(context("t1", "acme", "acme.localhost"), context("t2", "globex", "globex.example.com"));
        for (String host : List.of("", ".", ":", ":8080", "acme", "acme.localhos", "cme.localhost", "xacme.localhost",
                "acme.localhost.com", "acme.localhost..", "acme.localhost:8080:9090", "[acme.localhost]", "globex.example",
                "ACME.LOCALHOST.EXAMPLE:8080", "ácme.localhost")) {
            assertThat(index.host(host)).as("'%s'", host).isNull();
            assertThat(index.byHost(host)).as("'%s'", host).isEmpty();
        }
        assertThat(index.host(null)).isNull();
        assertThat(indexOf().host("acme.localhost")).isNull();
    }

    @Test
    void a_removed_hostname_is_no_longer_found_and_a_moved_one_is_found_at_its_new_tenant() {
        ContextIndex index = new ContextIndex();
        index.apply(new ContextChange(1, ContextChange.TENANT, "t1", tenant("t1", "acme", 1, "acme.localhost", "shop.acme.com")));
        index.apply(new ContextChange(2, ContextChange.TENANT, "t1", tenant("t1", "acme", 2, "acme.localhost", "store.acme.com")));
        assertThat(index.host("SHOP.acme.com:8080")).isNull();
        assertThat(index.host("STORE.acme.com:8080").version()).isEqualTo(2);
        assertThat(index.host("acme.localhost").version()).isEqualTo(2);

        index.apply(new ContextChange(3, ContextChange.TENANT, "t2", tenant("t2", "globex", 1, "globex.localhost", "store.acme.com")));
        index.apply(new ContextChange(4, ContextChange.TENANT, "t1", tenant("t1", "acme", 3, "acme.localhost")));
        assertThat(index.host("store.acme.com.").slug()).as("moved to globex").isEqualTo("globex");

        index.apply(new ContextChange(5, ContextChange.TENANT, "t1", null));
        assertThat(index.host("ACME.localhost")).isNull();
        index.apply(new ContextChange(6, ContextChange.TENANT, "t3", tenant("t3", "acme2", 1, "acme.localhost")));
        assertThat(index.host("ACME.localhost:80").slug()).as("a removed hostname taken again").isEqualTo("acme2");

        index.replace(new ContextSnapshot(7, List.of(), List.of(context("t2", "globex", "globex.localhost"))));
        assertThat(index.host("acme.localhost")).isNull();
        assertThat(index.host("store.acme.com")).isNull();
        assertThat(index.host("GLOBEX.localhost:8080").slug()).isEqualTo("globex");
    }

    @Test
    void host_lookups_agree_with_normalising_then_looking_up_a_map_over_random_changes_and_hosts() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            names.add(randomHostname(random, i));
        }
        ContextIndex index = new ContextIndex();
        Map<String, TenantContext> map = new HashMap<>(); // the index's hostnames as a map held them before
        for (int seq = 1; seq <= 4_000; seq++) {
            String id = "t" + random.nextInt(60);
            TenantContext before = index.byId(id).orElse(null);
            String[] hosts = random.ints(random.nextInt(5), 0, names.size()).mapToObj(names::get).toArray(String[]::new);
            ObjectNode body = random.nextInt(8) == 0 ? null : tenant(id, "s-" + id, seq, hosts);
            assertThat(index.apply(new ContextChange(seq, ContextChange.TENANT, id, body))).isEqualTo(ContextIndex.Applied.APPLIED);
            TenantContext after = index.byId(id).orElse(null);
            if (after != null) {
                after.hostnames().forEach(h -> map.put(ContextIndex.normalizeHost(h), after));
            }
            if (before != null) {
                before.hostnames().forEach(h -> map.computeIfPresent(ContextIndex.normalizeHost(h), (k, v) -> v == before ? null : v));
            }
            for (int i = 0; i < 20; i++) {
                String probe = randomProbe(random, names);
                TenantContext expected = map.get(probe) != null ? map.get(probe) : map.get(ContextIndex.normalizeHost(probe));
                assertThat(index.host(probe)).as("seed %d, change %d, host '%s'", seed, seq, probe).isSameAs(expected);
            }
        }
    }

    /** Mostly DNS names, some in upper case, IPv6 literals, non-ASCII names, and odd strings a map would still have held. */
    private static String randomHostname(Random random, int i) {
        return switch (random.nextInt(6)) {
            case 0 -> "Shop-" + i + ".Example.COM";
            case 1 -> "[2001:db8::" + Integer.toHexString(i) + "]";
            case 2 -> List.of("bücher-", "ıstanbul-", "straße-", "ÄRZTE-").get(random.nextInt(4)) + i + ".example";
            case 3 -> randomString(random, "ab.:[]Aé", 1 + random.nextInt(6));
            default -> "tenant-" + i + (random.nextBoolean() ? ".localhost" : ".example.com");
        };
    }

    private static String randomProbe(Random random, List<String> names) {
        String name = names.get(random.nextInt(names.size()));
        return switch (random.nextInt(5)) {
            case 0 -> name;
            case 1 -> randomString(random, "aAbB.:[]0éÉıİ", random.nextInt(8));
            default -> messy(random, name);
        };
    }

    /** The name with random letters upper-cased, maybe a trailing dot and maybe a port. */
    private static String messy(Random random, String name) {
        StringBuilder b = new StringBuilder();
        name.chars().forEach(c -> b.append((char) (random.nextBoolean() ? Character.toUpperCase(c) : c)));
        if (random.nextInt(3) == 0) {
            b.append('.');
        }
        if (random.nextBoolean()) {
            b.append(':').append(random.nextInt(65_536));
        }
        return b.toString();
    }

    private static String randomString(Random random, String alphabet, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    @Test
    void a_reader_never_misses_a_host_while_the_host_table_grows_and_sheds_removed_hosts() throws InterruptedException {
        ContextIndex index = new ContextIndex();
        index.apply(new ContextChange(1, ContextChange.TENANT, "acme", tenant("acme", "acme", 1, "acme.localhost")));
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong misses = new AtomicLong();
        AtomicLong others = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                TenantContext found = index.host("ACME.localhost.:8080");
                if (found == null) {
                    misses.incrementAndGet();
                } else if (!found.slug().equals("acme")) {
                    others.incrementAndGet();
                }
                reads.incrementAndGet();
            }
        });
        long deadline = System.nanoTime() + 2_000_000_000L;
        int seq = 2;
        int i = 0;
        for (; i < 20_000 && System.nanoTime() < deadline; i++) {
            // 3,000 tenants come, then each newcomer pushes out the one 3,000 before it: the table grows, then churns
            index.apply(new ContextChange(seq++, ContextChange.TENANT, "t" + i, tenant("t" + i, "s" + i, 1, "h" + i + ".example")));
            if (i >= 3_000) {
                index.apply(new ContextChange(seq++, ContextChange.TENANT, "t" + (i - 3_000), null));
            }
        }
        done.set(true);
        reader.join(5_000);
        assertThat(reads.get()).isGreaterThan(1_000);
        assertThat(misses.get()).isZero();
        assertThat(others.get()).as("lookups that found another tenant").isZero();
        assertThat(index.host("H" + (i - 1) + ".example:80")).isNotNull();
        assertThat(index.host("H" + (i - 3_001) + ".example:80")).isNull();
    }

    @Test
    void looking_up_an_upper_case_host_with_a_port_makes_no_new_objects() {
        List<TenantContext> tenants = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            tenants.add(context("t" + i, "s" + i, "s" + i + ".localhost", "www.s" + i + ".example.com"));
        }
        ContextIndex index = indexOf(tenants.toArray(TenantContext[]::new));
        String[] hosts = {"S1.LOCALHOST:8080", "www.S2.example.com.:443", "s3.localhost.", "ABSENT.localhost:8080"};
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported()) {
            Assumptions.abort("this JVM does not count a thread's allocated bytes");
            return;
        }
        long found = 0;
        for (int i = 0; i < 200_000; i++) {
            found += index.host(hosts[i & 3]) != null ? 1 : 0;
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200_000; i++) {
            found += index.host(hosts[i & 3]) != null ? 1 : 0;
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(found).isEqualTo(300_000);
        assertThat(allocated).as("bytes allocated by 200,000 lookups").isLessThan(10_000);
    }
}
