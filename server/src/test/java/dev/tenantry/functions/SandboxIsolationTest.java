package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.runtime.Worker;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.TestNode;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile functions, each contained: one tenant's code tries to read another tenant's files and
 * secrets, see or signal its processes, connect to its socket, reach the network without
 * egress, read the host's secrets or environment, fork-bomb, allocate without bound and loop
 * forever, while a neighbour tenant's requests keep succeeding throughout.
 */
class SandboxIsolationTest {
    static final String NEIGHBOUR_SECRET = "neighbour-secret-4f9a2c";
    static TestNode node;
    static HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final AtomicBoolean loading = new AtomicBoolean();
    final AtomicInteger served = new AtomicInteger();
    final AtomicReference<String> failure = new AtomicReference<>();
    Thread load;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start(Map.of("worker-pool-size", "2"));
        node.createActive(Map.of("slug", "attacker", "plan", "standard"));
        node.createActive(Map.of("slug", "neighbour", "plan", "standard"));
        deploy("neighbour", "api", Map.of("code", "exports.handler = async () => ({ ok: true, secret: process.env.TOKEN.length });",
                "secrets", Map.of("TOKEN", NEIGHBOUR_SECRET)));
        await("neighbour", "api");
        assertThat(call("neighbour", "/fn/api").statusCode()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    /** The neighbour's traffic, one request every 20 ms while an attack runs; any non-200 is a failure. */
    @BeforeEach
    void neighbourTraffic() {
        loading.set(true);
        load = Thread.ofVirtual().start(() -> {
            long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (loading.get() && System.nanoTime() < end) {
                try {
                    HttpResponse<String> r = call("neighbour", "/fn/api");
                    if (r.statusCode() != 200) {
                        failure.compareAndSet(null, r.statusCode() + " " + r.body());
                    }
                    served.incrementAndGet();
                    Thread.sleep(20);
                } catch (Exception e) {
                    failure.compareAndSet(null, e.toString());
                }
            }
        });
    }

    @AfterEach
    void neighbourNoticedNothing() throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int before = served.get();
        while (served.get() < before + 3 && System.nanoTime() < end) { // a few more after the attack, too
            Thread.sleep(10);
        }
        loading.set(false);
        load.join(30_000);
        assertThat(failure.get()).as("the neighbour's requests during the attack").isNull();
        assertThat(served.get()).isGreaterThan(3);
    }

    static void deploy(String tenant, String name, Map<String, Object> body) {
        Http.Answer a = node.http().send("PUT", "/v1/tenants/" + tenant + "/functions/" + name, body, Map.of());
        assertThat(a.status()).as(a.text()).isIn(200, 201);
    }

    static void await(String tenant, String name) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int latest = node.http().get("/v1/tenants/" + tenant + "/functions/" + name).json().get("latestVersion").asInt();
        while (System.nanoTime() < end) {
            Integer v = node.node().contexts().orElseThrow().index().bySlug(tenant).map(c -> c.functions().get(name)).orElse(null);
            if (v != null && v == latest) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(name + " not active");
    }

    static HttpResponse<String> call(String tenant, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(node.gatewayUrl().resolve(path)).header("Host", tenant + ".localhost")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode attack(String name, String code, String query) throws Exception {
        deploy("attacker", name, Map.of("code", code, "timeoutMs", 3000, "memoryMb", 128));
        await("attacker", name);
        HttpResponse<String> r = call("attacker", "/fn/" + name + query);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Http.JSON.readTree(r.body());
    }

    static Worker neighbourWorker() {
        String id = node.node().catalog().tenants().get("neighbour").id().toString();
        return node.node().invoker().orElseThrow().workers().stream().filter(w -> w.tenant().orElse("").equals(id))
                .findFirst().orElseThrow();
    }

    static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void it_cannot_read_another_tenants_files_or_secrets_or_the_hosts() throws Exception {
        Worker neighbour = neighbourWorker();
        JsonNode r = attack("files", """
                const fs = require('fs'), path = require('path');
                const tryRead = p => { try { return fs.readFileSync(p, 'utf8').slice(0, 200); } catch (e) { return 'ERR ' + e.code; } };
                const walk = (dir, out, depth) => { if (depth > 6) return; let names; try { names = fs.readdirSync(dir); } catch { return; }
                  for (const n of names) { const p = path.join(dir, n); let st; try { st = fs.lstatSync(p); } catch { continue; }
                    if (st.isDirectory()) walk(p, out, depth + 1); else if (st.isFile() && st.size < 1e6) { try { out.push([p, fs.readFileSync(p, 'utf8')]); } catch {} } } };
                exports.handler = async (event) => {
                  const q = event.queryStringParameters;
                  const files = []; for (const d of ['/tmp', '/run', '/modules', '/runtime', '/home', '/root', '/var']) walk(d, files, 0);
                  return { root: fs.readdirSync('/').sort(), fnDirs: fs.readdirSync('/tmp/fn'),
                           neighbourSocketDir: tryRead(q.neighbourDir + '/worker.sock'), shadow: tryRead('/etc/shadow'),
                           masterKey: tryRead(q.dataDir + '/master.key'), hostEnviron: tryRead('/proc/1/environ'),
                           leaked: files.filter(([p, c]) => c.includes(q.secret)).map(([p]) => p) };
                };""", "?neighbourDir=" + q(neighbour.socket().getParent().toString()) + "&dataDir=" + q(node.dataDir().toString())
                + "&secret=" + q(NEIGHBOUR_SECRET));
        assertThat(r.get("fnDirs").toString()).isEqualTo("[\"files\"]");
        assertThat(r.get("neighbourSocketDir").asText()).isEqualTo("ERR ENOENT");
        assertThat(r.get("masterKey").asText()).isEqualTo("ERR ENOENT");
        assertThat(r.get("shadow").asText()).startsWith("ERR ");
        assertThat(r.get("hostEnviron").asText()).doesNotContain("JAVA_HOME").doesNotContain("PATH=");
        assertThat(r.get("leaked")).as("files holding the neighbour's secret").isEmpty();
        assertThat(r.get("root").toString()).doesNotContain("root").doesNotContain("home").doesNotContain("var");
    }

    @Test
    void it_cannot_see_or_signal_other_processes_or_connect_to_their_sockets() throws Exception {
        Worker neighbour = neighbourWorker();
        JsonNode r = attack("procs", """
                const fs = require('fs'), net = require('net');
                const connect = p => new Promise(res => { const s = net.connect(p); s.on('connect', () => { s.destroy(); res('connected'); });
                                                          s.on('error', e => res('ERR ' + e.code)); });
                exports.handler = async (event) => {
                  const q = event.queryStringParameters;
                  const pids = fs.readdirSync('/proc').filter(n => /^[0-9]+$/.test(n)).map(Number).sort((a, b) => a - b);
                  const kill = pid => { try { process.kill(pid, 'SIGKILL'); return 'killed'; } catch (e) { return 'ERR ' + e.code; } };
                  return { pids, uid: process.getuid(), killNeighbour: kill(Number(q.neighbourPid)), killHost: kill(Number(q.hostPid)),
                           socket: await connect(q.socket), abstract: await connect('\\0tenantry') };
                };""", "?neighbourPid=" + neighbour.pid() + "&hostPid=" + ProcessHandle.current().pid() + "&socket="
                + q(neighbour.socket().toString()));
        assertThat(r.get("pids").size()).as("only the sandbox's own processes: %s", r.get("pids")).isLessThanOrEqualTo(3);
        assertThat(r.get("uid").asInt()).isEqualTo(1000);
        assertThat(r.get("killNeighbour").asText()).isEqualTo("ERR ESRCH");
        assertThat(r.get("killHost").asText()).isEqualTo("ERR ESRCH");
        assertThat(r.get("socket").asText()).isEqualTo("ERR ENOENT");
        assertThat(r.get("abstract").asText()).startsWith("ERR ");
        assertThat(neighbour.alive()).isTrue();
    }

    @Test
    void without_egress_it_cannot_reach_the_network_nor_the_hosts_loopback_services() throws Exception {
        JsonNode r = attack("net", """
                const net = require('net'), dns = require('dns');
                const connect = (host, port) => new Promise(res => { const s = net.connect({ host, port, timeout: 1000 });
                  s.on('connect', () => { s.destroy(); res('connected'); }); s.on('timeout', () => { s.destroy(); res('ERR TIMEOUT'); });
                  s.on('error', e => res('ERR ' + e.code)); });
                exports.handler = async (event) => ({
                  api: await connect('127.0.0.1', Number(event.queryStringParameters.port)),
                  outside: await connect('1.1.1.1', 443),
                  dns: await new Promise(res => dns.lookup('example.com', e => res(e ? 'ERR ' + e.code : 'resolved'))),
                  interfaces: Object.keys(require('os').networkInterfaces()) });""", "?port=" + node.url().getPort());
        assertThat(r.get("api").asText()).isEqualTo("ERR ECONNREFUSED");
        assertThat(r.get("outside").asText()).startsWith("ERR ");
        assertThat(r.get("dns").asText()).startsWith("ERR ");
        assertThat(r.get("interfaces").toString()).isEqualTo("[\"lo\"]");
    }

    @Test
    void a_fork_bomb_is_held_by_the_pids_limit_and_its_worker_replaced() throws Exception {
        deploy("attacker", "bomb", Map.of("timeoutMs", 2000, "code", """
                const { spawn } = require('child_process');
                exports.handler = async (event) => {
                  if (event.queryStringParameters?.calm) return { calm: true };
                  let refused = 0;
                  for (let i = 0; i < 500; i++) {
                    try { const c = spawn('/bin/sh', ['-c', 'sleep 30']); c.on('error', () => refused++); } catch (e) { refused++; }
                  }
                  await new Promise(r => setTimeout(r, 500));
                  spawn('/bin/sh', ['-c', ':(){ :|:& };:']).on('error', () => {});
                  await new Promise(() => {}); // never answers: the timeout ends it
                };"""));
        await("attacker", "bomb");
        HttpResponse<String> r = call("attacker", "/fn/bomb");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
        HttpResponse<String> after = call("attacker", "/fn/bomb?calm=1");
        assertThat(after.statusCode()).as("a fresh worker serves the tenant's next request").isEqualTo(200);
    }

    @Test
    void unbounded_allocation_is_stopped_at_the_memory_limit() throws Exception {
        deploy("attacker", "hog", Map.of("timeoutMs", 10000, "memoryMb", 128, "code", """
                const hoard = [];
                exports.handler = async (event) => {
                  if (event.queryStringParameters?.calm) return { calm: true };
                  for (;;) { const b = Buffer.alloc(8 * 1024 * 1024, 1); hoard.push(b); await new Promise(r => setImmediate(r)); }
                };"""));
        await("attacker", "hog");
        HttpResponse<String> r = call("attacker", "/fn/hog");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        assertThat(r.body()).contains("function-memory").contains("128 MiB");
        assertThat(call("attacker", "/fn/hog?calm=1").statusCode()).isEqualTo(200);
    }

    @Test
    void a_function_over_its_memory_limit_when_the_limit_lands_is_stopped_as_out_of_memory() throws Exception {
        // 192 MiB at once, under the pool's limit (256) and over the function's (128): the function's
        // limit lands a quarter second after the load and cannot be applied, so the worker is stopped.
        deploy("attacker", "early-hog", Map.of("timeoutMs", 10000, "memoryMb", 128, "code", """
                const hoard = [];
                exports.handler = async (event) => {
                  if (event.queryStringParameters?.calm) return { calm: true };
                  for (let i = 0; i < 24; i++) hoard.push(Buffer.alloc(8 * 1024 * 1024, 1));
                  await new Promise(r => setTimeout(r, 3000));
                  return { held: hoard.length };
                };"""));
        await("attacker", "early-hog");
        HttpResponse<String> r = call("attacker", "/fn/early-hog");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
        assertThat(r.body()).contains("function-memory").contains("128 MiB");
        assertThat(call("attacker", "/fn/early-hog?calm=1").statusCode()).isEqualTo(200);
    }

    @Test
    void an_endless_loop_times_out_and_only_its_own_worker_is_replaced() throws Exception {
        Worker neighbour = neighbourWorker();
        deploy("attacker", "spin", Map.of("timeoutMs", 1000, "code", "exports.handler = async () => { for (;;) {} };"));
        await("attacker", "spin");
        HttpResponse<String> r = call("attacker", "/fn/spin");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(neighbourWorker()).as("the neighbour keeps its warm worker").isSameAs(neighbour);
    }
}
