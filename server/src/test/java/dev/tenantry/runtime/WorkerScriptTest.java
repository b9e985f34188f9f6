package dev.tenantry.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantry.testsupport.TestRuntime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The worker bootstrap's own suite (node:test, under src/test/node): both handler contracts,
 * specialising, environment isolation and logs, against real Node processes on Unix sockets.
 */
class WorkerScriptTest {
    @Test
    void the_bootstrap_passes_its_node_test_suite() throws Exception {
        Process node = new ProcessBuilder(TestRuntime.which("node").toString(), "--test", "test/")
                .directory(Path.of("src/test/node").toFile()).redirectErrorStream(true).start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        assertThat(output).contains("# fail 0").containsPattern("# pass [1-9][0-9]*");
    }
}
