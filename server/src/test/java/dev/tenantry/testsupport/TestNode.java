package dev.tenantry.testsupport;

import dev.tenantry.platform.Config;
import dev.tenantry.platform.Node;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import com.fasterxml.jackson.databind.JsonNode;
import org.jdbi.v3.core.Jdbi;

/**
 * A real node (API on a random port, catalog migrated by Flyway) on a fresh database of the
 * shared test PostgreSQL, with the bootstrap admin token. Close it after the test class.
 */
public final class TestNode implements AutoCloseable {
    private final Node node;
    private final String jdbcUrl;
    private final Path dataDir;

    private TestNode(Node node, String jdbcUrl, Path dataDir) {
        this.node = node;
        this.jdbcUrl = jdbcUrl;
        this.dataDir = dataDir;
    }

    /** Tests that run no functions keep no pre-warmed workers (a worker still starts on demand). */
    private static final Map<String, String> QUIET_RUNTIME = Map.of("worker-pool-size", "0", "worker-egress-pool-size", "0");

    public static TestNode start() {
        return start(Map.of());
    }

    /** Starts a node; {@code settings} override the test defaults (by setting name, e.g. max-body-bytes). */
    public static TestNode start(Map<String, String> settings) {
        String url = TestDatabase.newDatabase();
        try {
            Path dataDir = Files.createTempDirectory("tenantry-test");
            Map<String, String> flags = new HashMap<>(Map.of("data-dir", dataDir.toString(), "database-url", url,
                    "database-user", "postgres", "api-port", "0", "gateway-port", "0", "database-pool-size", "8"));
            flags.putAll(QUIET_RUNTIME);
            flags.putAll(settings);
            return new TestNode(Node.start(Config.resolve(flags, Map.of(), Optional.empty())), url, dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts another node on this node's database (sharing its master key, as nodes of one
     * deployment must), e.g. {@code Map.of("roles", "gateway")}.
     */
    public TestNode join(Map<String, String> settings) {
        try {
            Path dir = Files.createTempDirectory("tenantry-test");
            Path key = dataDir.resolve("master.key");
            Files.copy(key, dir.resolve("master.key"));
            Files.setPosixFilePermissions(dir.resolve("master.key"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Map<String, String> flags = new HashMap<>(Map.of("data-dir", dir.toString(), "database-url", jdbcUrl,
                    "database-user", "postgres", "api-port", "0", "gateway-port", "0", "database-pool-size", "4"));
            flags.putAll(QUIET_RUNTIME);
            flags.putAll(settings);
            return new TestNode(Node.start(Config.resolve(flags, Map.of(), Optional.empty())), jdbcUrl, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The gateway's base URL, when the node runs the gateway. */
    public URI gatewayUrl() {
        return URI.create(node.gatewayUrl().orElseThrow());
    }

    public Node node() {
        return node;
    }

    public String token() {
        return node.bootstrapToken().orElseThrow();
    }

    public URI url() {
        return URI.create(node.apiUrl().orElseThrow() + "/");
    }

    /** A client authenticated with the bootstrap admin token. */
    public Http http() {
        return new Http(url(), Optional.of(token()));
    }

    /** Waits (bounded) until the operation at {@code location} (or with this id) has finished; returns it. */
    public JsonNode awaitOperation(String locationOrId) {
        String path = locationOrId.startsWith("/") ? locationOrId : "/v1/operations/" + locationOrId;
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        JsonNode op = http().get(path).json();
        while (!op.get("state").asText().matches("succeeded|failed") && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            op = http().get(path).json();
        }
        return op;
    }

    /** Sends a change that answers 202 and waits for its operation to succeed; returns the tenant afterwards. */
    public JsonNode change(String method, String path, Object body) {
        Http.Answer a = http().send(method, path, body, Map.of());
        if (a.status() != 202) {
            throw new AssertionError("expected 202 from " + method + " " + path + ", got " + a.status() + ": " + a.text());
        }
        JsonNode op = awaitOperation(a.header("Location"));
        if (!op.get("state").asText().equals("succeeded")) {
            throw new AssertionError("operation did not succeed: " + op);
        }
        return http().get("/v1/tenants/" + a.json().get("id").asText()).json();
    }

    /** Creates a tenant and waits until it is active. */
    public JsonNode createActive(Map<String, Object> body) {
        return change("POST", "/v1/tenants", body);
    }

    public JsonNode createActive(String slug) {
        return createActive(Map.of("slug", slug));
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** Direct SQL on the node's database, for arranging states and checking what is stored. */
    public Jdbi sql() {
        return Jdbi.create(jdbcUrl, "postgres", "");
    }

    /** A fingerprint of everything the catalog stores; equal fingerprints mean nothing changed. */
    public String catalogFingerprint() {
        return sql().withHandle(h -> h.createQuery("""
                select md5(coalesce((select string_agg(t::text, '|' order by id) from tenants t), '') ||
                           coalesce((select string_agg(d::text, '|' order by hostname) from domains d), '') ||
                           coalesce((select string_agg(k::text, '|' order by id) from api_keys k), '') ||
                           coalesce((select string_agg(p::text, '|' order by name) from plans p), '') ||
                           coalesce((select string_agg(a::text, '|' order by id) from admin_tokens a), '') ||
                           coalesce((select string_agg(l::text, '|' order by id) from audit_log l), '') ||
                           coalesce((select string_agg(o::text, '|' order by id) from operations o), ''))""")
                .mapTo(String.class).one());
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        node.close();
    }
}
