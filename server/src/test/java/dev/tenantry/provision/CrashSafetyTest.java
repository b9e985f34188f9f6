package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.UpProcess;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A node killed with -9 in the middle of 20 tenant creates: started again on the same data
 * directory it stops the PostgreSQL and redis-server the dead node left running, finishes every
 * create exactly once, and its real PostgreSQL and Redis hold exactly what the catalog's resource
 * bindings list (no orphan role, schema, database or ACL user).
 */
class CrashSafetyTest {
    private static final int TENANTS = 20;
    private static final String PREFIX = "crash-";
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final List<String> FLAGS = List.of("--provision-threads", "4");

    @TempDir
    Path dir;

    @Test
    void a_node_killed_mid_way_through_20_creates_finishes_each_once_and_leaves_nothing_the_catalog_does_not_list() throws Exception {
        Path dataDir = dir.resolve("data");
        Path clientConfig = dir.resolve("client.json");
        UpProcess first = UpProcess.start(dataDir, clientConfig, FLAGS);
        UpProcess second = null;
        try {
            String token = first.printedToken().orElseThrow(() -> new AssertionError("no admin token printed:\n" + first.output()));
            Map<String, String> operationOf = createConcurrently(first.http(token));
            int activeAtKill = awaitActive(first.http(token), 3, Duration.ofSeconds(60));
            List<ProcessHandle> leftRunning = first.servers();
            first.kill();
            assertThat(activeAtKill).as("the node was killed mid-way, after some creates finished but not all")
                    .isBetween(3, TENANTS - 1);
            assertThat(leftRunning).as("the killed node's PostgreSQL and redis-server, still running").hasSize(2)
                    .allMatch(ProcessHandle::isAlive);

            second = UpProcess.start(dataDir, clientConfig, FLAGS);
            Http http = second.http(token);
            assertThat(awaitActive(http, TENANTS, SETTLE)).as("tenants active within " + SETTLE.toSeconds() + " s of the restart:\n"
                    + second.output()).isEqualTo(TENANTS);

            List<JsonNode> tenants = listAll(http);
            assertEachActiveOnceWithOneSucceededCreate(http, tenants, operationOf);
            assertCredentialsWork(http, tenants);
            assertServersHoldExactlyTheBindings(second, http, tenants);
            assertThat(leftRunning).as("the next start stopped what the killed node left running: " + leftRunning)
                    .noneMatch(ProcessHandle::isAlive);

            assertThat(second.stop()).as("exit code after SIGTERM").isIn(0, 143);
            assertThat(second.output()).contains("Stopping Tenantry...");
            assertThat(dataDir.resolve("postgres/postmaster.pid")).doesNotExist();
        } finally {
            if (second != null) {
                second.close();
            }
            first.close();
        }
    }

    /** Sends the 20 creates at once (every fifth an enterprise, i.e. silo, tenant); returns slug → operation id. */
    private static Map<String, String> createConcurrently(Http http) throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(TENANTS);
        try {
            List<Future<Http.Answer>> answers = new ArrayList<>();
            for (int i = 0; i < TENANTS; i++) {
                Map<String, Object> body = new HashMap<>(Map.of("slug", slug(i)));
                if (i % 5 == 4) {
                    body.put("plan", "enterprise");
                }
                answers.add(senders.submit(() -> http.post("/v1/tenants", body)));
            }
            Map<String, String> operationOf = new HashMap<>();
            for (int i = 0; i < TENANTS; i++) {
                Http.Answer a = answers.get(i).get(60, TimeUnit.SECONDS);
                assertThat(a.status()).as(a.text()).isEqualTo(202);
                assertThat(a.header("Location")).startsWith("/v1/operations/");
                operationOf.put(slug(i), a.header("Location").substring("/v1/operations/".length()));
            }
            return operationOf;
        } finally {
            senders.shutdownNow();
        }
    }

    private static String slug(int i) {
        return PREFIX + String.format("%02d", i);
    }

    /** Polls until at least {@code wanted} of our tenants are active or the time is up; returns how many are. */
    private static int awaitActive(Http http, int wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int active = countActive(http);
        while (active < wanted && System.nanoTime() < deadline) {
            Thread.sleep(20);
            active = countActive(http);
        }
        return active;
    }

    private static int countActive(Http http) {
        Http.Answer a = http.get("/v1/tenants?slugPrefix=" + PREFIX + "&status=active&limit=500");
        return a.status() == 200 ? a.json().get("items").size() : 0;
    }

    private static List<JsonNode> listAll(Http http) {
        List<JsonNode> all = new ArrayList<>();
        http.get("/v1/tenants?slugPrefix=" + PREFIX + "&limit=500").json().get("items").forEach(all::add);
        return all;
    }

    private static void assertEachActiveOnceWithOneSucceededCreate(Http http, List<JsonNode> tenants, Map<String, String> operationOf) {
        Set<String> slugs = new TreeSet<>();
        for (JsonNode t : tenants) {
            String slug = t.get("slug").asText();
            assertThat(slugs.add(slug)).as("slug %s listed once", slug).isTrue();
            assertThat(t.get("status").asText()).as(slug).isEqualTo("active");
            JsonNode ops = http.get("/v1/tenants/" + t.get("id").asText() + "/operations").json().get("items");
            assertThat(ops).as("operations of " + slug).hasSize(1);
            JsonNode op = ops.get(0);
            assertThat(op.get("id").asText()).isEqualTo(operationOf.get(slug));
            assertThat(op.get("kind").asText()).isEqualTo("create-tenant");
            assertThat(op.get("state").asText()).as(op.toString()).isEqualTo("succeeded");
            op.get("steps").forEach(s -> assertThat(s.get("state").asText()).as(op.toString()).isEqualTo("done"));
        }
        assertThat(slugs).hasSize(TENANTS).isEqualTo(operationOf.keySet());
    }

    /** Each tenant's own credentials from the API open its database and its Redis keys. */
    private static void assertCredentialsWork(Http http, List<JsonNode> tenants) throws Exception {
        for (JsonNode t : tenants) {
            String slug = t.get("slug").asText();
            JsonNode resources = http.get("/v1/tenants/" + t.get("id").asText() + "/credentials").json().get("resources");
            JsonNode pg = resources.get("postgres");
            assertThat(pg.get("user").asText()).isEqualTo("t_" + slug.replace('-', '_'));
            try (Connection c = DriverManager.getConnection(pg.get("jdbcUrl").asText(), pg.get("user").asText(), pg.get("password").asText());
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_user")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(pg.get("user").asText());
            }
            JsonNode redis = resources.get("redis");
            try (Jedis j = new Jedis(URI.create(redis.get("url").asText()))) {
                assertThat(j.set("t:" + slug + ":alive", "yes")).isEqualTo("OK");
            }
        }
    }

    /** PostgreSQL's t_* roles, databases and pool schemas and Redis's t_* ACL users are exactly what the bindings name. */
    private static void assertServersHoldExactlyTheBindings(UpProcess node, Http http, List<JsonNode> tenants) {
        int pgPort = node.postgresPort();
        Jdbi catalog = Jdbi.create("jdbc:postgresql://127.0.0.1:" + pgPort + "/tenantry", "postgres", node.postgresPassword());
        List<Map<String, Object>> bindings = catalog.withHandle(h -> h.createQuery("""
                select b.kind, b.tier, b.name, b.state from resource_bindings b join tenants t on t.id = b.tenant_id
                where t.status <> 'deleted'""")
                .mapToMap().list());
        assertThat(bindings).as("a postgres and a redis binding per tenant").hasSize(2 * TENANTS);
        Set<String> listed = new TreeSet<>();
        for (Map<String, Object> b : bindings) {
            assertThat(b.get("state")).as(b.toString()).isEqualTo("active");
            String name = (String) b.get("name");
            if (b.get("kind").equals("postgres")) {
                listed.add("role:" + name);
                listed.add((b.get("tier").equals("pool") ? "schema:" : "database:") + name);
            } else {
                listed.add("acl:" + name);
            }
        }
        assertThat(listed).filteredOn(n -> n.startsWith("database:")).hasSize(TENANTS / 5);

        Set<String> held = new TreeSet<>(ServerContents.postgres(pgPort, node.postgresPassword().toCharArray()));
        try (Jedis admin = new Jedis(new HostAndPort("127.0.0.1", redisPort(http, tenants.get(0))),
                DefaultJedisClientConfig.builder().user("default").password(node.redisAdminPassword()).build())) {
            held.addAll(ServerContents.redisUsers(admin));
        }
        assertThat(held).as("what the servers hold vs. what the catalog lists").isEqualTo(listed);

        int activations = catalog.withHandle(h -> h.createQuery("select count(*) from audit_log where action = 'tenant.activate'")
                .mapTo(Integer.class).one());
        assertThat(activations).as("one activation per tenant in the audit log").isEqualTo(TENANTS);
        int queued = catalog.withHandle(h -> h.createQuery("select count(*) from scheduled_tasks where task_name <> :recurring")
                .bind("recurring", dev.tenantry.functions.ModuleCollector.TASK).mapTo(Integer.class).one());
        assertThat(queued).as("nothing left in the queue but the recurring collection of modules").isZero();
    }

    /** The local redis-server's port changes on every start; the credentials name the current one. */
    private static int redisPort(Http http, JsonNode tenant) {
        JsonNode resources = http.get("/v1/tenants/" + tenant.get("id").asText() + "/credentials").json().get("resources");
        return URI.create(resources.get("redis").get("url").asText()).getPort();
    }
}
