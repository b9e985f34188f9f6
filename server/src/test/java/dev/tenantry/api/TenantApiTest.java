package dev.tenantry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.Tenants;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tenant API end to end over HTTP, against a real node and PostgreSQL. */
class TenantApiTest {
    static TestNode node;
    static Http http;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        http = node.http();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static JsonNode create(String slug) {
        return node.createActive(slug);
    }

    @Test
    void created_tenant_is_provisioned_to_active_with_defaults_its_operation_and_its_default_hostname() {
        Http.Answer a = http.post("/v1/tenants", Map.of("slug", "acme", "displayName", "Acme Inc", "labels", Map.of("env", "prod")));
        assertThat(a.status()).isEqualTo(202);
        assertThat(a.json().get("status").asText()).isEqualTo("provisioning");
        assertThat(a.header("Location")).isEqualTo(a.json().get("operation").get("url").asText()).startsWith("/v1/operations/");
        JsonNode op = node.awaitOperation(a.header("Location"));
        assertThat(op.get("state").asText()).isEqualTo("succeeded");
        assertThat(op.get("kind").asText()).isEqualTo("create-tenant");
        assertThat(op.get("steps").findValuesAsText("name")).containsExactly("postgres.apply", "tenant.activate");
        assertThat(op.get("steps").findValuesAsText("state")).containsOnly("done");
        JsonNode t = http.get("/v1/tenants/" + a.json().get("id").asText()).json();
        assertThat(t.get("id").asText()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(t.get("slug").asText()).isEqualTo("acme");
        assertThat(t.get("displayName").asText()).isEqualTo("Acme Inc");
        assertThat(t.get("plan").asText()).isEqualTo("free");
        assertThat(t.get("tier").asText()).isEqualTo("pool");
        assertThat(t.get("region").asText()).isEqualTo("local");
        assertThat(t.get("status").asText()).isEqualTo("active");
        assertThat(t.get("labels").get("env").asText()).isEqualTo("prod");
        assertThat(t.get("version").asInt()).isEqualTo(2);
        assertThat(a.header("X-Request-Id")).startsWith("req_");

        assertThat(http.get("/v1/tenants/" + t.get("id").asText()).json().get("slug").asText()).isEqualTo("acme");
        assertThat(http.get("/v1/tenants/acme").json().get("id").asText()).isEqualTo(t.get("id").asText());
        JsonNode domains = http.get("/v1/tenants/acme/domains").json().get("items");
        assertThat(domains).hasSize(1);
        assertThat(domains.get(0).get("hostname").asText()).isEqualTo("acme.localhost");
        assertThat(domains.get(0).get("kind").asText()).isEqualTo("default");
    }

    @Test
    void every_mutation_lands_in_the_audit_log_with_actor_and_request_id() {
        String id = create("audited").get("id").asText();
        node.awaitOperation(http.send("PATCH", "/v1/tenants/audited", Map.of("displayName", "Audited Co"),
                Map.of("X-Request-Id", "my-req-42")).header("Location"));
        node.change("POST", "/v1/tenants/audited/suspend", Map.of("reason", "unpaid"));
        node.change("POST", "/v1/tenants/audited/resume", null);
        JsonNode items = http.get("/v1/audit?tenant=" + id + "&action=tenant.update").json().get("items");
        JsonNode update = items.get(0);
        JsonNode all = http.get("/v1/audit?tenant=" + id).json().get("items");
        List<String> actions = new ArrayList<>();
        all.forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).containsSubsequence("tenant.resume", "tenant.suspend", "tenant.update", "tenant.activate",
                "resource.bind", "tenant.create");
        assertThat(update.get("requestId").asText()).isEqualTo("my-req-42");
        assertThat(update.get("actor").asText()).startsWith("token:bootstrap:");
        assertThat(update.get("changes").get("displayName").get("from").asText()).isEqualTo("audited");
        assertThat(update.get("changes").get("displayName").get("to").asText()).isEqualTo("Audited Co");
        assertThat(http.get("/v1/audit?tenant=" + id + "&action=tenant.suspend").json().get("items").get(0)
                .get("changes").get("reason").asText()).isEqualTo("unpaid");
    }

    @Test
    void update_with_a_stale_if_match_gets_412_and_changes_nothing() {
        create("occ");
        Http.Answer first = http.send("PATCH", "/v1/tenants/occ", Map.of("displayName", "One"), Map.of("If-Match", "\"2\""));
        assertThat(first.status()).isEqualTo(202);
        assertThat(node.awaitOperation(first.header("Location")).get("state").asText()).isEqualTo("succeeded");
        assertThat(http.get("/v1/tenants/occ").header("ETag")).isEqualTo("\"3\"");
        Http.Answer stale = http.send("PATCH", "/v1/tenants/occ", Map.of("displayName", "Two"), Map.of("If-Match", "\"2\""));
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.header("Content-Type")).startsWith("application/problem+json");
        assertThat(stale.json().get("detail").asText()).contains("version 3", "expected 2");
        assertThat(http.get("/v1/tenants/occ").json().get("displayName").asText()).isEqualTo("One");
    }

    @Test
    void plan_change_within_the_tier_works_and_across_tiers_is_a_conflict() {
        create("planner");
        assertThat(node.change("PATCH", "/v1/tenants/planner", Map.of("plan", "premium")).get("plan").asText()).isEqualTo("premium");
        Http.Answer silo = http.patch("/v1/tenants/planner", Map.of("plan", "enterprise"));
        assertThat(silo.status()).isEqualTo(409);
        assertThat(silo.json().get("detail").asText()).contains("tier move");
        Http.Answer slug = http.patch("/v1/tenants/planner", Map.of("slug", "other"));
        assertThat(slug.status()).isEqualTo(422);
        assertThat(slug.json().get("errors").get(0).get("field").asText()).isEqualTo("slug");
    }

    @Test
    void create_with_the_same_idempotency_key_creates_once_and_replays_the_answer() throws Exception {
        Map<String, Object> body = Map.of("slug", "idem", "plan", "standard");
        Map<String, String> headers = Map.of("Idempotency-Key", "create-idem-1");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Http.Answer>> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answers.add(pool.submit((Callable<Http.Answer>) () -> http.send("POST", "/v1/tenants", body, headers)));
        }
        Set<String> ids = new HashSet<>();
        int replays = 0;
        for (Future<Http.Answer> f : answers) {
            Http.Answer a = f.get();
            assertThat(a.status()).as(a.text()).isEqualTo(202);
            ids.add(a.json().get("id").asText());
            replays += "true".equals(a.header("Idempotent-Replayed")) ? 1 : 0;
        }
        pool.shutdown();
        assertThat(ids).hasSize(1);
        assertThat(replays).isEqualTo(3);
        Http.Answer different = http.send("POST", "/v1/tenants", Map.of("slug", "idem-other"), headers);
        assertThat(different.status()).isEqualTo(409);
        assertThat(different.json().get("detail").asText()).contains("Idempotency-Key");
        assertThat(http.get("/v1/tenants/idem-other").status()).isEqualTo(404);
    }

    @Test
    void pagination_walks_1000_tenants_once_each_in_creation_order_with_filters() {
        Tenants tenants = node.node().catalog().tenants(); // catalog rows only: this test is about listing
        for (int i = 0; i < 1000; i++) {
            tenants.create(new Tenants.NewTenant(String.format("page-%04d", i), Optional.empty(), Optional.of(i % 2 == 0 ? "free" : "standard"),
                    Optional.empty(), Optional.empty(), Map.of("parity", i % 2 == 0 ? "even" : "odd")), Actor.system("test"));
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = http.get("/v1/tenants?slugPrefix=page-&limit=137" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("items").forEach(t -> seen.add(t.get("slug").asText()));
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
            pages++;
        } while (cursor != null && pages < 20);
        assertThat(seen).hasSize(1000).doesNotHaveDuplicates().isSorted();
        assertThat(pages).isEqualTo(8);

        JsonNode odd = http.get("/v1/tenants?slugPrefix=page-&label=parity=odd&plan=standard&limit=500").json();
        assertThat(odd.get("items")).hasSize(500);
        odd.get("items").forEach(t -> assertThat(t.get("labels").get("parity").asText()).isEqualTo("odd"));
        assertThat(http.get("/v1/tenants?slugPrefix=page-&label=parity=odd&plan=free").json().get("items")).isEmpty();
        assertThat(http.get("/v1/tenants?slugPrefix=page-09&limit=500").json().get("items")).hasSize(100);
    }

    @Test
    void deleted_tenant_frees_its_slug_and_hostname_revokes_its_keys_and_keeps_its_record() {
        String id = create("gone").get("id").asText();
        String keyId = http.post("/v1/tenants/gone/api-keys", Map.of("name", "k")).json().get("id").asText();
        Http.Answer deleting = http.delete("/v1/tenants/gone");
        assertThat(deleting.status()).isEqualTo(202);
        assertThat(deleting.json().get("status").asText()).isEqualTo("deleting");
        JsonNode op = node.awaitOperation(deleting.header("Location"));
        assertThat(op.get("steps").findValuesAsText("name")).containsExactly("postgres.destroy", "tenant.delete");
        assertThat(http.get("/v1/tenants/" + id).json().get("status").asText()).isEqualTo("deleted");
        assertThat(http.get("/v1/tenants/gone").status()).isEqualTo(404);
        assertThat(http.get("/v1/tenants/" + id).json().get("status").asText()).isEqualTo("deleted");
        assertThat(http.get("/v1/tenants/" + id + "/api-keys").json().get("items").get(0).has("revokedAt")).isTrue();
        assertThat(keyId).isNotBlank();
        JsonNode again = create("gone");
        assertThat(again.get("id").asText()).isNotEqualTo(id);
        assertThat(http.get("/v1/tenants?status=deleted&slugPrefix=gone").json().get("items")).hasSize(1);
    }

    @Test
    void custom_domains_are_unique_across_tenants_and_the_default_one_cannot_be_removed() {
        create("dom-a");
        create("dom-b");
        Http.Answer added = http.post("/v1/tenants/dom-a/domains", Map.of("hostname", "App.Dom-A.example"));
        assertThat(added.status()).isEqualTo(201);
        assertThat(added.json().get("hostname").asText()).isEqualTo("app.dom-a.example");
        Http.Answer taken = http.post("/v1/tenants/dom-b/domains", Map.of("hostname", "app.dom-a.example"));
        assertThat(taken.status()).isEqualTo(409);
        assertThat(taken.json().get("type").asText()).isEqualTo("/problems/hostname-taken");
        assertThat(http.post("/v1/tenants/dom-b/domains", Map.of("hostname", "dom-a.localhost")).status()).isEqualTo(422);
        assertThat(http.delete("/v1/tenants/dom-a/domains/dom-a.localhost").status()).isEqualTo(409);
        assertThat(http.delete("/v1/tenants/dom-b/domains/app.dom-a.example").status()).isEqualTo(404);
        assertThat(http.delete("/v1/tenants/dom-a/domains/app.dom-a.example").status()).isEqualTo(204);
        assertThat(http.get("/v1/tenants/dom-a/domains").json().get("items")).hasSize(1);
    }

    @Test
    void api_key_secret_is_shown_once_and_stored_only_as_a_hash() {
        create("keys");
        Http.Answer created = http.post("/v1/tenants/keys/api-keys",
                Map.of("name", "backend", "scopes", List.of("read", "fn:invoke"), "expiresAt", "2099-01-01T00:00:00Z"));
        assertThat(created.status()).isEqualTo(201);
        String secret = created.json().get("secret").asText();
        assertThat(secret).matches("tk_[A-Za-z0-9]{10}_[A-Za-z0-9]{32}");
        JsonNode listed = http.get("/v1/tenants/keys/api-keys").json().get("items").get(0);
        assertThat(listed.has("secret")).isFalse();
        assertThat(listed.get("prefix").asText()).isEqualTo(secret.substring(3, 13));
        int stored = node.sql().withHandle(h -> h.createQuery(
                "select count(*) from api_keys where encode(hash, 'escape') like :s or prefix = :whole")
                .bind("s", "%" + secret.substring(14) + "%").bind("whole", secret).mapTo(Integer.class).one());
        assertThat(stored).isZero();
        String keyId = listed.get("id").asText();
        assertThat(http.delete("/v1/tenants/keys/api-keys/" + keyId).json().has("revokedAt")).isTrue();
        assertThat(http.delete("/v1/tenants/keys/api-keys/" + keyId).status()).isEqualTo(409);
    }

    @Test
    void plans_are_seeded_and_editable_with_validation() {
        JsonNode plans = http.get("/v1/plans").json().get("items");
        List<String> names = new ArrayList<>();
        plans.forEach(p -> names.add(p.get("name").asText() + ":" + p.get("tier").asText()));
        assertThat(names).contains("free:pool", "standard:pool", "premium:pool", "enterprise:silo");
        Http.Answer changed = http.patch("/v1/plans/standard", Map.of("ratePerSecond", 150, "burst", 300));
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.json().get("ratePerSecond").asInt()).isEqualTo(150);
        Http.Answer bad = http.patch("/v1/plans/standard", Map.of("ratePerSecond", 0, "memoryMb", "lots"));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("errors").findValuesAsText("field")).containsExactlyInAnyOrder("memoryMb");
        Http.Answer zero = http.patch("/v1/plans/standard", Map.of("ratePerSecond", 0));
        assertThat(zero.json().get("errors").findValuesAsText("field")).containsExactly("ratePerSecond");
        Http.Answer added = http.post("/v1/plans", Map.of("name", "startup", "tier", "pool", "ratePerSecond", 50,
                "burst", 100, "dailyQuota", 100000, "maxConcurrency", 5, "memoryMb", 256, "timeoutMs", 5000));
        assertThat(added.status()).as(added.text()).isEqualTo(201);
        assertThat(node.createActive(Map.of("slug", "on-startup", "plan", "startup")).get("plan").asText()).isEqualTo("startup");
        assertThat(http.get("/v1/plans/nope").status()).isEqualTo(404);
    }
}
