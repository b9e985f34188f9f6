package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.runtime.Cgroups;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.NpmFixture;
import dev.tenantry.testsupport.TestNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Module builds with {@code module-install-scripts} on: a package's install script runs and what it
 * made is in the module; a script that allocates without bound is stopped by the build's cgroup,
 * the build fails with that reason, and nothing of it is left running.
 */
class ModuleInstallScriptsTest {
    static final Path CGROUPS = Path.of("/sys/fs/cgroup");
    static NpmFixture npm;
    static TestNode node;
    static HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        npm = NpmFixture.start()
                .publish("made-at-install", "1.0.0", Map.of(), "module.exports = require('./made.json');",
                        Map.of("postinstall", "node -e \"require('fs').writeFileSync('made.json', JSON.stringify({ madeBy: 'postinstall' }))\""))
                .publish("hungry-install", "1.0.0", Map.of(), "module.exports = 1;",
                        Map.of("postinstall", "node -e \"const a = []; for (;;) a.push(Buffer.alloc(64 << 20, 1))\""));
        node = TestNode.start(Map.of("worker-pool-size", "1", "npm-registry", npm.url().toString(), "module-install-scripts", "true"));
        node.createActive(Map.of("slug", "acme", "plan", "standard"));
    }

    @AfterAll
    static void stop() {
        node.close();
        npm.close();
    }

    @Test
    void an_install_script_runs_in_the_build_and_what_it_made_is_part_of_the_module() throws Exception {
        deploy("made", "const made = require('made-at-install'); exports.handler = async () => made;", "made-at-install");
        JsonNode ready = awaitState("made", 1, "ready");
        assertThat(ready.get("modules").get("made-at-install").asText()).isEqualTo("1.0.0");
        HttpResponse<String> r = callWhenActive("made");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Http.JSON.readTree(r.body()).get("madeBy").asText()).isEqualTo("postinstall");
    }

    @Test
    void an_install_script_over_the_builds_memory_limit_fails_the_build_with_that_reason_and_leaves_nothing() throws Exception {
        assumeThat(Cgroups.detect(CGROUPS)).as("cgroups on this machine").isNotInstanceOf(Cgroups.None.class);
        deploy("hungry", "require('hungry-install'); exports.handler = async () => 'never';", "hungry-install");
        JsonNode failed = awaitState("hungry", 1, "failed");
        assertThat(failed.get("error").asText()).contains("hungry-install@1.0.0").contains("ran out of memory")
                .contains("1024 MiB");
        JsonNode module = node.http().get("/v1/modules?name=hungry-install").json().get("items").get(0);
        assertThat(module.get("state").asText()).isEqualTo("failed");
        assertThat(module.get("error").asText()).contains("ran out of memory");
        assertThat(jobCgroups()).as("the build's cgroup is gone with everything in it").isEmpty();
    }

    static void deploy(String name, String code, String dependency) {
        Http.Answer a = node.http().send("PUT", "/v1/tenants/acme/functions/" + name,
                Map.of("code", code, "dependencies", Map.of(dependency, "1.0.0")), Map.of());
        assertThat(a.status()).as(a.text()).isIn(200, 201);
    }

    static JsonNode awaitState(String name, int version, String state) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode v = null;
        while (System.nanoTime() < end) {
            v = node.http().get("/v1/tenants/acme/functions/" + name + "/versions/" + version).json();
            if (v.get("state").asText().equals(state)) {
                return v;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("version " + version + " of " + name + " did not become " + state + ": " + v);
    }

    static HttpResponse<String> callWhenActive(String name) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (node.node().contexts().orElseThrow().index().bySlug("acme").map(c -> c.functions().get(name)).orElse(null) == null
                && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return client.send(HttpRequest.newBuilder(node.gatewayUrl().resolve("/fn/" + name)).header("Host", "acme.localhost")
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Module builds' cgroups that still exist, in whichever hierarchy this machine has. */
    static List<Path> jobCgroups() throws Exception {
        List<Path> found = new java.util.ArrayList<>();
        for (Path parent : List.of(CGROUPS.resolve("tenantry"), CGROUPS.resolve("memory/tenantry"), CGROUPS.resolve("pids/tenantry"))) {
            if (Files.isDirectory(parent)) {
                try (Stream<Path> dirs = Files.list(parent)) {
                    dirs.filter(d -> d.getFileName().toString().startsWith("tenantry-j")).forEach(found::add);
                }
            }
        }
        return found;
    }
}
