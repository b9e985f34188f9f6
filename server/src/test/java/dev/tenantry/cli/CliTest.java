package dev.tenantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.platform.Main;
import dev.tenantry.sdk.ClientConfig;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI against a running server: what a person sees, what a script parses, and the exit codes. */
class CliTest {
    static TestNode node;

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return Http.JSON.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + err, e);
            }
        }
    }

    @BeforeAll
    static void start() {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @AfterEach
    void restoreEnv() {
        ClientOptions.env = System.getenv();
    }

    /** Runs {@code tenantry <args>} in-process against the test server. */
    static Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", node.url().toString(), "--token", node.token()));
        return raw(all.toArray(String[]::new));
    }

    static Run raw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine line = Main.commandLine();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        int exit = line.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void tenant_commands_print_tables_for_people_and_json_for_scripts() {
        Run created = cli("tenant", "create", "globex", "--name", "Globex Corp", "--plan", "standard", "--label", "env=prod", "--wait");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.err()).contains("create-tenant", "succeeded [2/2]");
        assertThat(created.out()).contains("slug:      globex", "name:      Globex Corp", "plan:      standard (pool)",
                "status:    active", "labels:    env=prod");

        Run list = cli("tenant", "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out().lines().findFirst().orElseThrow()).startsWith("ID").contains("SLUG", "STATUS");
        assertThat(list.out()).contains("globex", "Globex Corp", "standard");

        Run json = cli("tenant", "get", "globex", "-o", "json");
        assertThat(json.exit()).isZero();
        assertThat(json.json().get("slug").asText()).isEqualTo("globex");
        assertThat(json.json().get("labels").get("env").asText()).isEqualTo("prod");

        Run updated = cli("tenant", "update", "globex", "--label", "team=core", "--remove-label", "env", "-o", "json", "--wait");
        assertThat(updated.exit()).as(updated.err()).isZero();
        assertThat(updated.json().get("labels")).hasSize(1);
        assertThat(updated.json().get("labels").get("team").asText()).isEqualTo("core");

        assertThat(cli("tenant", "suspend", "globex", "--reason", "unpaid invoice", "--wait").out()).contains("suspended (unpaid invoice)");
        assertThat(cli("tenant", "resume", "globex", "--wait").out()).contains("status:    active");
        assertThat(cli("tenant", "list", "--status", "active", "--prefix", "glob", "-o", "json").json()).hasSize(1);
        Run credentials = cli("tenant", "credentials", "globex");
        assertThat(credentials.out()).contains("postgres:", "user: t_globex", "password: ");
        Run ops = cli("op", "list", "globex");
        assertThat(ops.out()).contains("create-tenant", "suspend-tenant", "resume-tenant", "succeeded");
        assertThat(cli("tenant", "delete", "globex", "--wait").out()).contains("status:    deleted");
        assertThat(cli("tenant", "list", "--prefix", "glob", "-o", "json").json()).isEmpty();
    }

    @Test
    void list_all_follows_every_page() {
        for (int i = 0; i < 7; i++) {
            assertThat(cli("tenant", "create", "many-" + i).exit()).isZero();
        }
        Run queued = cli("tenant", "create", "queued-one");
        assertThat(queued.out()).contains("status:    provisioning", "follow it with 'tenantry op wait");
        String opId = queued.out().replaceAll("(?s).*operation: ([0-9a-f-]{36}).*", "$1");
        Run waited = cli("op", "wait", opId);
        assertThat(waited.exit()).isZero();
        assertThat(waited.out()).contains("postgres.apply", "tenant.activate", "done");
        Run firstPage = cli("tenant", "list", "--prefix", "many-", "--limit", "3");
        assertThat(firstPage.out()).contains("(more: use --all");
        Run all = cli("tenant", "list", "--prefix", "many-", "--limit", "3", "--all", "-o", "json");
        assertThat(all.json()).hasSize(7);
    }

    @Test
    void errors_are_one_clear_line_with_documented_exit_codes() {
        Run missing = cli("tenant", "get", "nobody");
        assertThat(missing.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err().strip()).startsWith("error: no tenant with id or slug 'nobody'").doesNotContain("\n");

        Run invalid = cli("tenant", "create", "Not_A_Slug");
        assertThat(invalid.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(invalid.err()).contains("error: slug must be a DNS label", "HTTP 422");

        cli("tenant", "create", "twice", "--wait");
        Run taken = cli("tenant", "create", "twice");
        assertThat(taken.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(taken.err()).contains("slug 'twice' is taken");

        Run stale = cli("tenant", "update", "twice", "--name", "x", "--if-version", "99");
        assertThat(stale.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(stale.err()).contains("HTTP 412");

        Run badToken = raw("tenant", "list", "--server", node.url().toString(), "--token", "tad_nope");
        assertThat(badToken.exit()).isEqualTo(ExitCodes.UNAUTHORIZED);

        Run down = raw("tenant", "list", "--server", "http://127.0.0.1:1", "--token", node.token());
        assertThat(down.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(down.err()).startsWith("error: cannot reach the Tenantry API at http://127.0.0.1:1");

        Run usage = cli("tenant", "create");
        assertThat(usage.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("plan", "update", "free").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("tenant", "list", "-o", "yaml").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void keys_show_their_secret_once_and_revoke() {
        cli("tenant", "create", "keyed", "--wait");
        Run created = cli("key", "create", "keyed", "--name", "backend", "--scope", "read", "--expires-in", "30d");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).containsPattern("secret \\(shown once, store it now\\): tk_[A-Za-z0-9]{10}_[A-Za-z0-9]{32}");
        JsonNode keys = cli("key", "list", "keyed", "-o", "json").json();
        assertThat(keys).hasSize(1);
        assertThat(keys.get(0).has("secret")).isFalse();
        String id = keys.get(0).get("id").asText();
        assertThat(cli("key", "revoke", "keyed", id).out()).contains("revoked key " + id);
        assertThat(cli("key", "revoke", "keyed", id).exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(cli("key", "create", "keyed", "--name", "x", "--expires-in", "soon").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void domains_plans_audit_and_tokens() {
        cli("tenant", "create", "hosted", "--wait");
        assertThat(cli("domain", "add", "hosted", "shop.hosted.example").out()).contains("added shop.hosted.example");
        assertThat(cli("domain", "list", "hosted").out()).contains("hosted.localhost", "default", "shop.hosted.example", "custom");
        assertThat(cli("domain", "remove", "hosted", "shop.hosted.example").exit()).isZero();

        assertThat(cli("plan", "list").out()).contains("free", "standard", "premium", "enterprise", "silo");
        Run plan = cli("plan", "update", "premium", "--rate", "600", "-o", "json");
        assertThat(plan.json().get("ratePerSecond").asInt()).isEqualTo(600);

        Run audit = cli("audit", "--tenant", "hosted");
        assertThat(audit.out()).contains("domain.remove", "domain.add", "tenant.create", "token:bootstrap:");

        Run token = cli("token", "create", "--name", "ci", "--scope", "read");
        assertThat(token.out()).containsPattern("tad_[A-Za-z0-9]{10}_[A-Za-z0-9]{32}");
        String secret = token.out().replaceAll("(?s).*(tad_[A-Za-z0-9]{10}_[A-Za-z0-9]{32}).*", "$1");
        Run readOnly = raw("tenant", "create", "nope", "--server", node.url().toString(), "--token", secret);
        assertThat(readOnly.exit()).isEqualTo(ExitCodes.UNAUTHORIZED);
        assertThat(readOnly.err()).contains("read scope");
        JsonNode tokens = cli("token", "list", "-o", "json").json();
        String ciId = null;
        for (JsonNode t : tokens) {
            if (t.get("name").asText().equals("ci")) {
                ciId = t.get("id").asText();
            }
        }
        assertThat(cli("token", "revoke", ciId).exit()).isZero();
        assertThat(raw("tenant", "list", "--server", node.url().toString(), "--token", secret).exit()).isEqualTo(ExitCodes.UNAUTHORIZED);
    }

    @Test
    void routes_are_set_listed_removed_and_replaced_from_a_file() throws Exception {
        cli("tenant", "create", "routed", "--wait");
        Run set = cli("route", "set", "routed", "/api", "http://127.0.0.1:9001,http://127.0.0.1:9002", "--auth", "api-key",
                "--balance", "least", "--timeout-ms", "5000", "--retries", "2", "--strip-prefix", "--health-path", "/healthz",
                "--health-interval-ms", "1000");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(cli("route", "set", "routed", "/web", "http://127.0.0.1:9003").exit()).isZero();

        Run list = cli("route", "list", "routed");
        assertThat(list.out().lines().findFirst().orElseThrow()).startsWith("PATH").contains("UPSTREAMS", "AUTH", "BALANCE",
                "TIMEOUT", "RETRIES");
        assertThat(list.out()).containsPattern("/api +http://127.0.0.1:9001,http://127.0.0.1:9002 +api-key +least +5000 ms +2")
                .containsPattern("/web +http://127.0.0.1:9003 +none +p2c +30000 ms +1");
        JsonNode table = cli("route", "list", "routed", "-o", "json").json();
        assertThat(table.get("version").asInt()).isEqualTo(2);
        assertThat(table.get("routes").get(0).get("stripPrefix").asBoolean()).isTrue();
        assertThat(table.get("routes").get(0).get("healthCheck").get("path").asText()).isEqualTo("/healthz");
        assertThat(table.get("routes").get(0).get("healthCheck").get("intervalMs").asInt()).isEqualTo(1000);
        assertThat(table.get("routes").get(1).get("connectTimeoutMs").asInt()).isEqualTo(2000);

        JsonNode replaced = cli("route", "set", "routed", "/api", "http://127.0.0.1:9009", "-o", "json").json();
        assertThat(replaced.get("routes")).hasSize(2);
        assertThat(replaced.get("routes").get(0).get("upstreams")).hasSize(1);
        assertThat(replaced.get("routes").get(0).get("auth").asText()).as("options not given take the defaults").isEqualTo("none");
        assertThat(replaced.get("routes").get(1).get("path").asText()).isEqualTo("/web");

        Run badUrl = cli("route", "set", "routed", "/bad", "http://127.0.0.1:9001,ftp://nope");
        assertThat(badUrl.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(badUrl.err()).startsWith("error: routes[2].upstreams[1].url must be an absolute http:// or https:// URL")
                .contains("HTTP 422");
        assertThat(cli("route", "list", "routed", "-o", "json").json().get("version").asInt()).isEqualTo(3);

        assertThat(cli("route", "remove", "routed", "/web").out()).contains("removed route /web");
        Run gone = cli("route", "remove", "routed", "/web");
        assertThat(gone.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(gone.err()).contains("error: tenant routed has no route with path '/web'");
        assertThat(cli("route", "list", "nobody").exit()).isEqualTo(ExitCodes.NOT_FOUND);

        Path saved = Files.createTempDirectory("cli").resolve("routes.json");
        Files.writeString(saved, cli("route", "list", "routed", "-o", "json").out().replace("9009", "9010"));
        Run fromList = cli("route", "put", "routed", "-f", saved.toString());
        assertThat(fromList.exit()).as(fromList.err()).isZero();
        assertThat(fromList.out()).contains("/api", "http://127.0.0.1:9010").doesNotContain("/web");

        Path array = saved.resolveSibling("array.json");
        Files.writeString(array, "[{\"path\": \"/v2\", \"upstreams\": [{\"url\": \"https://api.example\"}]}]");
        JsonNode put = cli("route", "put", "routed", "-f", array.toString(), "--if-version", "5", "-o", "json").json();
        assertThat(put.get("routes")).hasSize(1);
        assertThat(put.get("routes").get(0).get("timeoutMs").asInt()).isEqualTo(30000);
        assertThat(cli("route", "put", "routed", "-f", array.toString(), "--if-version", "5").exit()).isEqualTo(ExitCodes.CONFLICT);

        Files.writeString(array, "[{\"path\": \"/v3\", \"upstreams\": [{\"url\": \"http://x\"}], \"timeoutMS\": 5}]");
        Run unknown = cli("route", "put", "routed", "-f", array.toString());
        assertThat(unknown.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(unknown.err()).contains("routes[0].timeoutMS is not a known field");
        Files.writeString(array, "{\"routes\": ");
        assertThat(cli("route", "put", "routed", "-f", array.toString()).err()).contains("is not valid JSON");
        assertThat(cli("route", "put", "routed", "-f", array.resolveSibling("missing.json").toString()).exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("route", "set", "routed", "/h", "http://x", "--health-interval-ms", "500").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void context_commands_show_what_services_and_the_gateway_see() {
        cli("tenant", "create", "ctx", "--plan", "standard", "--label", "team=core", "--wait");
        cli("domain", "add", "ctx", "app.ctx.example");
        String prefix = cli("key", "create", "ctx", "--name", "svc", "--scope", "orders:read", "-o", "json").json().get("prefix").asText();
        cli("route", "set", "ctx", "/api", "http://127.0.0.1:9001", "--auth", "api-key");

        Run get = eventually(() -> cli("context", "get", "app.ctx.example"), r -> r.out().contains("/api"));
        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(get.out()).contains("slug:      ctx", "status:    active", "plan:      standard (pool)",
                "limits:    100/s (burst 200)", "labels:    team=core", "ctx.localhost", "app.ctx.example",
                prefix + " [orders:read]", "postgres", "/api -> http://127.0.0.1:9001 (api-key, p2c)");
        String id = cli("context", "get", "--slug", "ctx", "-o", "json").json().get("id").asText();
        assertThat(cli("context", "get", "--id", id, "-o", "json").json().get("hostnames").toString()).contains("app.ctx.example");
        Run missing = cli("context", "get", "nobody.example");
        assertThat(missing.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).startsWith("error: ").contains("nobody.example", "HTTP 404");
        assertThat(cli("context", "get").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("context", "get", "ctx.localhost", "--slug", "ctx").exit()).isEqualTo(ExitCodes.USAGE);

        Run status = cli("context", "status");
        assertThat(status.out()).contains("connected:  yes").containsPattern("tenants: +[1-9]");
        long before = cli("context", "status", "-o", "json").json().get("seq").asLong();
        Run resync = cli("context", "resync");
        assertThat(resync.exit()).as(resync.err()).isZero();
        long at = Long.parseLong(resync.out().strip().replaceAll("rebuilt and re-announced at change (\\d+)", "$1"));
        assertThat(at).isGreaterThan(before);
        assertThat(cli("context", "resync", "-o", "json").json().get("seq").asLong()).isGreaterThan(at);

        Run key = cli("context", "header-key");
        assertThat(key.out()).containsPattern("key: +[A-Za-z0-9_-]{43}\n").contains("HMAC-SHA256", "X-Tenant-Signature", "secret");
        assertThat(cli("context", "header-key", "-o", "json").json().get("key").asText()).isEqualTo(
                key.out().replaceAll("(?s).*key: +([A-Za-z0-9_-]+).*", "$1"));
        String reader = cli("token", "create", "--name", "ctx-reader", "--scope", "read", "-o", "json").json().get("secret").asText();
        Run forbidden = raw("context", "header-key", "--server", node.url().toString(), "--token", reader);
        assertThat(forbidden.exit()).isEqualTo(ExitCodes.UNAUTHORIZED);
        assertThat(raw("context", "get", "ctx.localhost", "--server", node.url().toString(), "--token", reader).exit()).isZero();
    }

    /** Runs {@code command} until {@code done} holds (contexts follow the catalog a moment later), at most 10 s. */
    static Run eventually(Supplier<Run> command, Predicate<Run> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Run run = command.get();
        while (!done.test(run) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            run = command.get();
        }
        return run;
    }

    @Test
    void server_and_token_come_from_the_client_config_when_no_flag_is_given() throws Exception {
        Path config = Files.createTempDirectory("cli").resolve("config.json");
        new ClientConfig(node.url().toString(), node.token()).save(config);
        assertThat(Files.getPosixFilePermissions(config).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        ClientOptions.env = Map.of("TENANTRY_CLIENT_CONFIG", config.toString());
        Run run = raw("plan", "list", "-o", "json");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.json()).hasSizeGreaterThanOrEqualTo(4);

        ClientOptions.env = Map.of("TENANTRY_CLIENT_CONFIG", config.resolveSibling("missing.json").toString());
        Run none = raw("plan", "list");
        assertThat(none.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("no admin token", "tenantry up");
    }

    @Test
    void fn_commands_deploy_a_directory_list_roll_back_invoke_and_delete(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThat(cli("tenant", "create", "fnco", "--plan", "standard", "--wait").exit()).isZero();
        java.nio.file.Path app = java.nio.file.Files.createDirectories(dir.resolve("app/lib"));
        java.nio.file.Files.writeString(dir.resolve("app/package.json"), "{\"main\":\"lib/main.js\"}");
        java.nio.file.Files.writeString(app.resolve("main.js"), "exports.handler = async (e) => ({ statusCode: 200, body: 'v1 ' + (e.body ?? '') });");
        java.nio.file.Files.createDirectories(dir.resolve("app/node_modules/junk"));
        java.nio.file.Files.writeString(dir.resolve("app/node_modules/junk/index.js"), "left out");
        Run first = cli("fn", "deploy", "fnco", "hook", dir.resolve("app").toString(), "--env", "MODE=test", "--secret", "KEY=abc");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).contains("function hook version 1: ready")
                .contains("serving at http://fnco.localhost:" + node.gatewayUrl().getPort() + "/fn/hook");
        java.nio.file.Path v2 = dir.resolve("v2.js");
        java.nio.file.Files.writeString(v2, "exports.handler = async () => ({ statusCode: 200, body: 'v2' });");
        assertThat(cli("fn", "deploy", "fnco", "hook", v2.toString()).out()).contains("version 2: ready");
        Run list = cli("fn", "list", "fnco");
        assertThat(list.out()).contains("NAME").contains("hook");
        Run versions = cli("fn", "versions", "fnco", "hook");
        assertThat(versions.out()).contains("VERSION").contains("lib/main.js").contains("v2.js");
        Run get = cli("fn", "get", "fnco", "hook", "-o", "json");
        assertThat(get.json().get("latest").get("secrets").toString()).isEqualTo("[\"KEY\"]");
        assertThat(get.json().get("latest").get("codeBytes").asInt()).isLessThan(200); // node_modules were left out
        awaitActive("fnco", "hook", 2);
        Run invoked = cli("fn", "invoke", "fnco", "hook", "-i");
        assertThat(invoked.exit()).as(invoked.err()).isZero();
        assertThat(invoked.out()).contains("HTTP 200").contains("v2");
        assertThat(cli("fn", "rollback", "fnco", "hook", "1").out()).contains("now serves version 1");
        awaitActive("fnco", "hook", 1);
        assertThat(cli("fn", "invoke", "fnco", "hook", "-d", "hello").out()).contains("v1 hello");
        assertThat(cli("fn", "logs", "fnco", "hook").exit()).isZero();
        assertThat(cli("fn", "delete", "fnco", "hook").out()).contains("deleted function hook");
        Run gone = cli("fn", "get", "fnco", "hook");
        assertThat(gone.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        Run bad = cli("fn", "deploy", "fnco", "Bad Name", v2.toString());
        assertThat(bad.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(bad.err()).contains("name");
    }

    private static void awaitActive(String tenant, String name, int version) throws InterruptedException {
        long end = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            Integer v = node.node().contexts().orElseThrow().index().bySlug(tenant).map(c -> c.functions().get(name)).orElse(null);
            if (v != null && v == version) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(name + " did not reach version " + version);
    }
}
