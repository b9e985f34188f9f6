package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.tenantry.runtime.Sandbox;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNetns;
import dev.tenantry.testsupport.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Workers over time: a burst larger than the pool is served by starting workers directly, a
 * crashed worker is replaced, an unused one is reclaimed after the idle timeout, and a plan with
 * egress gets a worker that can reach other hosts, but not the node's services on its loopback.
 */
class WorkerLifecycleTest {
    static TestNode node;
    static HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** Hosts of the test's own, when the machine lets it make them: one egress may reach, one it may not. */
    static TestNetns reachable;
    static TestNetns denied;

    @BeforeAll
    static void start() {
        Map<String, String> settings = new java.util.HashMap<>(Map.of("worker-pool-size", "1", "worker-egress-pool-size", "1",
                "worker-idle-timeout-seconds", "2"));
        if (TestNetns.possible()) {
            reachable = TestNetns.start();
            do {
                if (denied != null) {
                    denied.close();
                }
                denied = TestNetns.start();
            } while (denied.block().equals(reachable.block()));
            settings.put("egress-deny", denied.block() + ",169.254.0.0/16");
        }
        node = TestNode.start(settings);
        for (String t : List.of("one", "two", "three", "four")) {
            node.createActive(Map.of("slug", t, "plan", "standard"));
        }
        node.createActive(Map.of("slug", "outward", "plan", "premium"));
    }

    @AfterAll
    static void stop() {
        node.close();
        for (TestNetns host : java.util.Arrays.asList(reachable, denied)) {
            if (host != null) {
                host.close();
            }
        }
    }

    static void deploy(String tenant, String name, String code) throws InterruptedException {
        Http.Answer a = node.http().send("PUT", "/v1/tenants/" + tenant + "/functions/" + name, Map.of("code", code), Map.of());
        assertThat(a.status()).as(a.text()).isIn(200, 201);
        int version = a.json().get("version").asInt();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            Integer v = node.node().contexts().orElseThrow().index().bySlug(tenant).map(c -> c.functions().get(name)).orElse(null);
            if (v != null && v == version) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(name + " not active");
    }

    static HttpResponse<String> call(String tenant, String path) {
        try {
            return client.send(HttpRequest.newBuilder(node.gatewayUrl().resolve(path)).header("Host", tenant + ".localhost")
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Invoker invoker() {
        return node.node().invoker().orElseThrow();
    }

    @Test
    void a_burst_larger_than_the_pool_starts_workers_directly_and_serves_everyone() throws Exception {
        for (String t : List.of("one", "two", "three")) {
            deploy(t, "hi", "export default { fetch: () => new Response('hi') }");
        }
        long directBefore = invoker().stats().pool().startedDirectly();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (String t : List.of("one", "two", "three")) {
            calls.add(CompletableFuture.supplyAsync(() -> call(t, "/fn/hi")));
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertThat(c.get().statusCode()).isEqualTo(200);
            assertThat(c.get().body()).isEqualTo("hi");
        }
        assertThat(invoker().stats().pool().startedDirectly() - directBefore).as("workers started on demand").isGreaterThanOrEqualTo(1);
        String metrics = node.http().get("/metrics").text();
        assertThat(metrics).contains("tenantry_workers_direct_starts_total").contains("tenantry_functions_invocations_total");
    }

    @Test
    void a_crashed_worker_is_replaced_and_an_idle_one_reclaimed() throws Exception {
        deploy("four", "crash", """
                exports.handler = async (e) => { if (e.queryStringParameters?.exit) { process.exit(3); } return { pid: process.pid }; };""");
        assertThat(call("four", "/fn/crash").statusCode()).isEqualTo(200);
        HttpResponse<String> crashed = call("four", "/fn/crash?exit=1");
        assertThat(crashed.statusCode()).isEqualTo(502);
        assertThat(crashed.body()).contains("function-crashed");
        assertThat(call("four", "/fn/crash").statusCode()).as("a new worker takes over").isEqualTo(200);
        String four = node.node().catalog().tenants().get("four").id().toString();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end && invoker().workers().stream().anyMatch(w -> w.tenant().orElse("").equals(four))) {
            Thread.sleep(100);
        }
        assertThat(invoker().workers()).as("reclaimed after the 2 s idle timeout")
                .noneMatch(w -> w.tenant().orElse("").equals(four));
        assertThat(call("four", "/fn/crash").statusCode()).isEqualTo(200);
    }

    @Test
    void a_plan_with_egress_reaches_other_hosts_but_not_the_nodes_loopback_services_nor_denied_blocks() throws Exception {
        assumeThat(TestNetns.possible()).as("root and iproute2, to make hosts of the test's own").isTrue();
        Sandbox sandbox = node.node().invoker().orElseThrow().pool().sandbox();
        assertThat(sandbox.egressNetwork()).as("test.sh installs slirp4netns").startsWith("own namespace")
                .contains("unreachable: " + denied.block());
        deploy("outward", "fetcher", """
                export default { async fetch(req) {
                  const target = new URL(req.url).searchParams.get('url');
                  try {
                    const r = await fetch(target, { signal: AbortSignal.timeout(3000) });
                    return new Response('upstream said ' + r.status + ': ' + await r.text());
                  } catch (e) {
                    return new Response('unreachable: ' + (e.cause?.code ?? e.name));
                  }
                } }""");
        HttpResponse<String> r = call("outward", "/fn/fetcher?url=" + reachable.url());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("upstream said 200: from the netns");
        // The same kind of host, in a block egress-deny names: refused at once, by the worker's own routes.
        assertThat(call("outward", "/fn/fetcher?url=" + denied.url()).body()).isEqualTo("unreachable: EHOSTUNREACH");
        assertThat(call("outward", "/fn/fetcher?url=http://169.254.169.254/latest/meta-data/").body())
                .isEqualTo("unreachable: EHOSTUNREACH");
        // The node's own API and database listen on 127.0.0.1: the host's, not the worker's.
        for (URI loopback : List.of(node.url(), URI.create("http://" + URI.create(node.jdbcUrl().substring("jdbc:".length())).getAuthority() + "/"))) {
            HttpResponse<String> l = call("outward", "/fn/fetcher?url=" + loopback);
            assertThat(l.body()).as(loopback.toString()).startsWith("unreachable: ");
        }
    }
}
