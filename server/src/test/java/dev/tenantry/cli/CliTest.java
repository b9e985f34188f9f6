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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
}
