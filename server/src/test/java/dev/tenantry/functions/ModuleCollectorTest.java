package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.NpmFixture;
import dev.tenantry.testsupport.TestNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Unused modules are collected: a module that only a deleted function named leaves the catalog,
 * the blob store and the node's module store; one that a live function's version names (an old
 * one included) stays; a later deploy that names a collected module builds it again.
 */
class ModuleCollectorTest {
    static NpmFixture npm;
    static TestNode node;
    static Path runtimeDir;
    static HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        runtimeDir = Files.createTempDirectory(Path.of("/tmp"), "tenantry-runtime-");
        Files.setPosixFilePermissions(runtimeDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        npm = NpmFixture.start()
                .publish("kept-dep", "1.0.0", Map.of(), "module.exports = 'kept';")
                .publish("gone-dep", "1.0.0", Map.of(), "module.exports = 'gone';");
        node = TestNode.start(Map.of("worker-pool-size", "1", "npm-registry", npm.url().toString(),
                "runtime-dir", runtimeDir.toString()));
        node.createActive(Map.of("slug", "acme", "plan", "standard"));
    }

    @AfterAll
    static void stop() {
        node.close();
        npm.close();
    }

    @Test
    void a_module_only_a_deleted_function_named_is_removed_everywhere_and_built_again_when_named_again() throws Exception {
        deploy("keeper", "kept-dep", 1);
        deploy("keeper", null, 2); // version 2 needs nothing; version 1 (a rollback target) still names kept-dep
        deploy("goner", "gone-dep", 1);
        assertThat(call("goner")).isEqualTo("gone");
        String goneBlob = module("gone-dep").get("sha256").asText();
        assertThat(blob(goneBlob)).exists();
        assertThat(unpacked("gone-dep@1.0.0")).isDirectory();

        ageModules(); // as if the last deploy that named them was an hour ago
        Http.Answer nothing = node.http().post("/v1/modules/collect", Map.of("unusedForSeconds", 300));
        assertThat(nothing.status()).as(nothing.text()).isEqualTo(200);
        assertThat(nothing.json().get("modules")).as("every module is named by a live function's version").isEmpty();

        assertThat(node.http().delete("/v1/tenants/acme/functions/goner").status()).isEqualTo(204);
        Http.Answer spared = node.http().post("/v1/modules/collect", Map.of());
        assertThat(spared.json().get("modules")).as("named by a deploy less than a day ago").isEmpty();

        ageModules();
        java.time.Instant collectedAt = java.time.Instant.now();
        Http.Answer collected = node.http().post("/v1/modules/collect", Map.of("unusedForSeconds", 300));
        assertThat(collected.status()).isEqualTo(200);
        assertThat(texts(collected.json().get("modules"))).containsExactly("gone-dep@1.0.0");
        assertThat(collected.json().get("blobs").asInt()).isEqualTo(1);
        assertThat(texts(collected.json().get("unpacked"))).containsExactly("gone-dep@1.0.0");
        assertThat(node.http().get("/v1/modules?name=gone-dep").json().get("items")).isEmpty();
        assertThat(blob(goneBlob)).doesNotExist();
        assertThat(unpacked("gone-dep@1.0.0")).doesNotExist();
        assertThat(module("kept-dep").get("state").asText()).isEqualTo("available");
        assertThat(unpacked("kept-dep@1.0.0")).isDirectory();

        deploy("again", "gone-dep", 1);
        assertThat(call("again")).isEqualTo("gone");
        JsonNode rebuilt = module("gone-dep");
        assertThat(rebuilt.get("state").asText()).isEqualTo("available");
        assertThat(java.time.Instant.parse(rebuilt.get("requestedAt").asText())).as("queued again after the collection")
                .isAfter(collectedAt);
        assertThat(rebuilt.get("sha256").asText()).as("the same content: builds are reproducible").isEqualTo(goneBlob);
        assertThat(blob(goneBlob)).exists();
        assertThat(unpacked("gone-dep@1.0.0")).isDirectory();
        int scheduled = node.sql().withHandle(h -> h.createQuery("select count(*) from scheduled_tasks where task_name = 'collect-modules'")
                .mapTo(Integer.class).one());
        assertThat(scheduled).as("the hourly collection is scheduled").isEqualTo(1);
    }

    @Test
    void a_bad_collect_request_is_refused_with_the_field_and_the_reason() {
        Http.Answer tooShort = node.http().post("/v1/modules/collect", Map.of("unusedForSeconds", 0));
        assertThat(tooShort.status()).isEqualTo(422);
        assertThat(tooShort.text()).contains("unusedForSeconds").contains("must be 300 to");
        Http.Answer unknown = node.http().post("/v1/modules/collect", Map.of("olderThan", 5));
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.text()).contains("olderThan");
    }

    /** Deploys {@code name} needing {@code dependency}@1.0.0 (or nothing) and waits until that version serves. */
    static void deploy(String name, String dependency, int version) throws Exception {
        Map<String, Object> body = dependency == null ? Map.of("code", "exports.handler = async () => 'none';")
                : Map.of("code", "const d = require('" + dependency + "'); exports.handler = async () => d;",
                        "dependencies", Map.of(dependency, "1.0.0"));
        Http.Answer a = node.http().send("PUT", "/v1/tenants/acme/functions/" + name, body, Map.of());
        assertThat(a.status()).as(a.text()).isIn(200, 201);
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < end) {
            Integer active = node.node().contexts().orElseThrow().index().bySlug("acme").map(c -> c.functions().get(name)).orElse(null);
            if (active != null && active == version) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " did not reach version " + version);
    }

    /** As if the modules were named and unpacked an hour ago (the collection spares newer ones). */
    static void ageModules() throws java.io.IOException {
        node.sql().useHandle(h -> h.execute("update modules set last_used_at = now() - interval '1 hour'"));
        java.nio.file.attribute.FileTime hourAgo = java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(3600));
        try (var dirs = Files.list(runtimeDir.resolve("modules"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                Files.setLastModifiedTime(d, hourAgo);
            }
        }
    }

    static String call(String name) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(node.gatewayUrl().resolve("/fn/" + name))
                .header("Host", "acme.localhost").timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    static JsonNode module(String name) {
        JsonNode items = node.http().get("/v1/modules?name=" + name).json().get("items");
        assertThat(items).hasSize(1);
        return items.get(0);
    }

    static Path blob(String sha256) {
        return node.dataDir().resolve("blobs/sha256/" + sha256 + ".tgz");
    }

    static Path unpacked(String directory) {
        return runtimeDir.resolve("modules").resolve(directory);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
