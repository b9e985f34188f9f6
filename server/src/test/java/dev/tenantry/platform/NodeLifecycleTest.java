package dev.tenantry.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The node as a user runs it: `tenantry up` as a real child process on the embedded PostgreSQL,
 * its data surviving restarts, clean SIGTERM shutdown, recovery after kill -9, and the lock that
 * keeps a second node off the same data directory.
 */
class NodeLifecycleTest {
    private static final Pattern API_URL = Pattern.compile("Control-plane API:\\s+(http://\\S+)");
    private static final Pattern TOKEN = Pattern.compile("Admin token:\\s+(tad_\\S+)");

    /** A running `tenantry up` child process and the file its output goes to. */
    record Up(Process process, Path log, String url) {
        String output() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "";
            }
        }

        void awaitExit() throws InterruptedException {
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    static Up up(Path dataDir, Path clientConfig) throws Exception {
        Path log = Files.createTempFile("tenantry-up", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.tenantry.platform.Main",
                "up", "--data-dir", dataDir.toString(), "--api-port", "0", "--gateway-port", "0")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("TENANTRY_CLIENT_CONFIG", clientConfig.toString());
        Process p = pb.start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline) && p.isAlive()) {
            String printed = Files.readString(log);
            Matcher m = API_URL.matcher(printed);
            if (m.find() && printed.contains("Stop: Ctrl-C")) { // the banner's last line: the token line is there too
                return new Up(p, log, m.group(1));
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new AssertionError("tenantry up did not come up:\n" + Files.readString(log));
    }

    @Test
    void up_prints_urls_and_token_keeps_data_across_restarts_and_stops_cleanly_on_sigterm() throws Exception {
        Path dataDir = Files.createTempDirectory("tenantry-up").resolve("data");
        Path clientConfig = dataDir.resolveSibling("client.json");

        Up first = up(dataDir, clientConfig);
        Matcher token = TOKEN.matcher(first.output());
        try {
            assertThat(token.find()).as(first.output()).isTrue();
            assertThat(first.output()).contains("Tenantry is up.", "Try:", "tenant create");
            assertThat(Files.readString(clientConfig)).contains(token.group(1), first.url());
            Http http = new Http(URI.create(first.url() + "/"), Optional.of(token.group(1)));
            assertThat(http.post("/v1/tenants", Map.of("slug", "durable")).status()).isEqualTo(202);

            // A second node on the same data directory stops at once with a clear message.
            Process second = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.tenantry.platform.Main",
                    "up", "--data-dir", dataDir.toString(), "--api-port", "0", "--gateway-port", "0").redirectErrorStream(true).start();
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(second.exitValue()).isNotZero();
            assertThat(new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("another Tenantry node is already running on data directory");
            assertThat(http.get("/v1/tenants/durable").status()).isEqualTo(200);

            // The embedded PostgreSQL's superuser needs its password, kept beside the data directory for this user only.
            Path passwordFile = dataDir.resolve("postgres-superuser-password");
            assertThat(Files.getPosixFilePermissions(passwordFile)).containsExactlyInAnyOrder(
                    java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
            String pgUrl = "jdbc:postgresql://127.0.0.1:" + Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(3).strip()
                    + "/tenantry";
            java.sql.SQLException refused = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                    () -> java.sql.DriverManager.getConnection(pgUrl, "postgres", "").close());
            assertThat(refused.getSQLState()).as(refused.getMessage()).isIn("28P01", "08004");
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(pgUrl, "postgres", Files.readString(passwordFile).strip())) {
                assertThat(c.isValid(5)).isTrue();
            }

            first.process().destroy(); // SIGTERM
            first.awaitExit();
            assertThat(first.output()).as("exit " + first.process().exitValue()).contains("Stopping Tenantry...");
            assertThat(dataDir.resolve("postgres/postmaster.pid")).doesNotExist();

            // Without the password file, the data directory cannot be opened: said at once, not after a 60 s wait.
            Path kept = dataDir.resolveSibling("kept-password");
            Files.move(passwordFile, kept);
            Process locked = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.tenantry.platform.Main",
                    "up", "--data-dir", dataDir.toString(), "--api-port", "0", "--gateway-port", "0").redirectErrorStream(true).start();
            assertThat(locked.waitFor(45, TimeUnit.SECONDS)).isTrue();
            assertThat(locked.exitValue()).isNotZero();
            assertThat(new String(locked.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("postgres-superuser-password").contains("is missing or empty").contains("restore it");
            Files.move(kept, passwordFile);
        } finally {
            if (first.process().isAlive()) {
                first.process().destroy();
                first.process().waitFor(60, TimeUnit.SECONDS);
            }
        }
        Up again = up(dataDir, clientConfig);
        try {
            assertThat(again.output()).doesNotContain("tad_").contains("the one printed on first start");
            Http http2 = new Http(URI.create(again.url() + "/"), Optional.of(token.group(1)));
            assertThat(http2.get("/v1/tenants/durable").status()).isEqualTo(200);
        } finally {
            // kill -9 leaves PostgreSQL orphaned; the next start stops it and comes up on the same data.
            again.process().destroyForcibly();
            again.process().waitFor(30, TimeUnit.SECONDS);
        }
        Up third = up(dataDir, clientConfig);
        try {
            Http http3 = new Http(URI.create(third.url() + "/"), Optional.of(token.group(1)));
            String status = "";
            for (int i = 0; i < 200 && !status.equals("active"); i++) { // provisioning may still be finishing
                status = http3.get("/v1/tenants/durable").json().get("status").asText();
                Thread.sleep(50);
            }
            assertThat(status).isEqualTo("active");
        } finally {
            third.process().destroy();
            third.awaitExit();
        }
    }

    @Test
    void a_second_node_on_a_locked_data_directory_fails_and_the_first_keeps_serving() {
        try (TestNode node = TestNode.start()) {
            Config same = Config.resolve(Map.of("data-dir", node.dataDir().toString(), "database-url", node.jdbcUrl(),
                    "api-port", "0", "gateway-port", "0"), Map.of(), Optional.empty());
            assertThatThrownBy(() -> Node.start(same)).isInstanceOf(PlatformException.DataDirLocked.class)
                    .hasMessageContaining("already running on data directory");
            assertThat(node.http().get("/readyz").status()).isEqualTo(200);
        }
    }

    @Test
    void health_readiness_and_metrics_answer_without_a_token() {
        try (TestNode node = TestNode.start()) {
            Http anonymous = new Http(node.url(), Optional.empty());
            assertThat(anonymous.get("/healthz").json().get("status").asText()).isEqualTo("ok");
            assertThat(anonymous.get("/readyz").json().get("status").asText()).isEqualTo("ready");
            node.http().get("/v1/plans");
            Http.Answer metrics = anonymous.get("/metrics");
            assertThat(metrics.header("Content-Type")).startsWith("text/plain");
            assertThat(metrics.text()).contains("tenantry_api_requests_seconds_count{method=\"GET\",route=\"/v1/plans\",status=\"200\"}",
                    "jvm_memory_used_bytes");
        }
    }
}
