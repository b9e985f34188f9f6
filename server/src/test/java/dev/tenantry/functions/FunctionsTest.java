package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.testsupport.GatewayClient;
import dev.tenantry.testsupport.Http;
import dev.tenantry.testsupport.NpmFixture;
import dev.tenantry.testsupport.RawHttp;
import dev.tenantry.testsupport.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tenant functions end to end: deployed through the API, run in real sandboxed Node workers,
 * invoked through the gateway at {@code <tenant host>/fn/<name>}, with npm modules from a local
 * registry.
 */
class FunctionsTest {
    static NpmFixture npm;
    static TestNode node;
    static GatewayClient gateway;
    static HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        npm = NpmFixture.start()
                .publish("tiny-shout", "2.1.0", Map.of(), "module.exports = s => s.toUpperCase() + '!';")
                .publish("tiny-greet", "1.0.0", Map.of(), "module.exports = n => 'hello ' + n;")
                .publish("tiny-greet", "1.2.0", Map.of("tiny-shout", "^2.0.0"),
                        "const shout = require('tiny-shout'); module.exports = n => shout('hello ' + n);")
                .publish("needs-ghost", "1.0.0", Map.of("ghost-package", "^1.0.0"), "module.exports = require('ghost-package');");
        node = TestNode.start(Map.of("worker-pool-size", "2", "npm-registry", npm.url().toString()));
        node.createActive(Map.of("slug", "acme", "plan", "standard"));
        node.createActive(Map.of("slug", "globex", "plan", "standard"));
        node.createActive(Map.of("slug", "tiny", "plan", "free"));
        gateway = new GatewayClient(node.gatewayUrl());
    }

    @AfterAll
    static void stop() {
        node.close();
        npm.close();
    }

    static JsonNode deploy(String tenant, String name, Map<String, Object> body) {
        Http.Answer a = node.http().send("PUT", "/v1/tenants/" + tenant + "/functions/" + name, body, Map.of());
        assertThat(a.status()).as(a.text()).isIn(200, 201);
        return a.json();
    }

    static HttpResponse<byte[]> call(String method, String tenant, String path, Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.gatewayUrl().resolve(path)).timeout(Duration.ofSeconds(20))
                .header("Host", tenant + ".localhost")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return raw.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> r) throws Exception {
        return Http.JSON.readTree(r.body());
    }

    /** Waits (bounded) until the gateway serves {@code version} of the function (deploys land through the change feed). */
    static void awaitVersion(String tenant, String name, int version) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            Integer active = node.node().contexts().orElseThrow().index().bySlug(tenant).map(c -> c.functions().get(name)).orElse(null);
            if (active != null && active == version) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(tenant + "/" + name + " did not reach version " + version);
    }

    @Test
    void fetch_handler_serves_a_json_api_with_method_query_headers_and_body() throws Exception {
        deploy("acme", "echo", Map.of("code", """
                export default {
                  async fetch(request, env, ctx) {
                    const url = new URL(request.url);
                    const body = request.method === 'GET' ? null : await request.json();
                    return Response.json({ method: request.method, path: url.pathname, tags: url.searchParams.getAll('tag'),
                                           agent: request.headers.get('x-client'), body, requestId: ctx.requestId },
                                         { status: body ? 201 : 200, headers: { 'x-served-by': 'echo' } });
                  }
                }"""));
        awaitVersion("acme", "echo", 1);
        HttpResponse<byte[]> get = call("GET", "acme", "/fn/echo/items?tag=a&tag=b", Map.of("X-Client", "test"), null);
        assertThat(get.statusCode()).isEqualTo(200);
        JsonNode g = json(get);
        assertThat(g.get("method").asText()).isEqualTo("GET");
        assertThat(g.get("path").asText()).isEqualTo("/fn/echo/items");
        assertThat(g.get("tags").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(g.get("agent").asText()).isEqualTo("test");
        assertThat(g.get("requestId").asText()).isEqualTo(get.headers().firstValue("x-request-id").orElseThrow());
        assertThat(get.headers().firstValue("x-served-by")).contains("echo");
        assertThat(get.headers().firstValue("ratelimit-limit")).isPresent();
        HttpResponse<byte[]> post = call("POST", "acme", "/fn/echo", Map.of("Content-Type", "application/json"),
                "{\"order\":42}".getBytes());
        assertThat(post.statusCode()).isEqualTo(201);
        assertThat(json(post).get("body").get("order").asInt()).isEqualTo(42);
    }

    @Test
    void lambda_handler_gets_an_http_api_v2_event_and_its_response_rules_apply() throws Exception {
        deploy("acme", "lambda", Map.of("code", """
                exports.handler = async (event, context) => {
                  if (event.rawPath.endsWith('/bare')) return { ok: true, route: event.routeKey };
                  return {
                    statusCode: 202,
                    headers: { 'content-type': 'application/json', 'x-version': event.version },
                    cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
                    body: JSON.stringify({ q: event.queryStringParameters, cookies: event.cookies, method: event.requestContext.http.method,
                                           id: context.awsRequestId, remaining: context.getRemainingTimeInMillis() > 0,
                                           body: event.body, b64: event.isBase64Encoded })
                  };
                };"""));
        awaitVersion("acme", "lambda", 1);
        HttpResponse<byte[]> r = call("PUT", "acme", "/fn/lambda/x?x=1&y=2&y=3",
                Map.of("Cookie", "session=abc; theme=dark", "Content-Type", "text/plain"), "hi there".getBytes());
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.headers().allValues("set-cookie")).containsExactly("a=1; Path=/", "b=2; HttpOnly");
        assertThat(r.headers().firstValue("x-version")).contains("2.0");
        JsonNode body = json(r);
        assertThat(body.get("q").get("x").asText()).isEqualTo("1");
        assertThat(body.get("q").get("y").asText()).isEqualTo("2,3");
        assertThat(body.get("cookies").toString()).isEqualTo("[\"session=abc\",\"theme=dark\"]");
        assertThat(body.get("method").asText()).isEqualTo("PUT");
        assertThat(body.get("id").asText()).isEqualTo(r.headers().firstValue("x-request-id").orElseThrow());
        assertThat(body.get("remaining").asBoolean()).isTrue();
        assertThat(body.get("body").asText()).isEqualTo("hi there");
        assertThat(body.get("b64").asBoolean()).isFalse();
        HttpResponse<byte[]> bare = call("GET", "acme", "/fn/lambda/bare", Map.of(), null);
        assertThat(bare.statusCode()).isEqualTo(200);
        assertThat(bare.headers().firstValue("content-type")).contains("application/json");
        assertThat(json(bare).get("route").asText()).isEqualTo("$default");
    }

    @Test
    void binary_bodies_cross_both_contracts_byte_for_byte() throws Exception {
        deploy("acme", "bin-fetch", Map.of("code", """
                export default { async fetch(req) {
                  const bytes = new Uint8Array(await req.arrayBuffer());
                  return new Response(bytes.reverse(), { headers: { 'content-type': 'application/octet-stream' } });
                } }"""));
        deploy("acme", "bin-lambda", Map.of("code", """
                exports.handler = async (event) => ({ statusCode: 200, isBase64Encoded: true,
                  headers: { 'content-type': 'application/octet-stream' },
                  body: Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').reverse().toString('base64') });"""));
        awaitVersion("acme", "bin-fetch", 1);
        awaitVersion("acme", "bin-lambda", 1);
        byte[] data = new byte[70_000];
        new Random(7).nextBytes(data);
        byte[] reversed = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            reversed[i] = data[data.length - 1 - i];
        }
        for (String fn : List.of("bin-fetch", "bin-lambda")) {
            HttpResponse<byte[]> r = call("POST", "acme", "/fn/" + fn, Map.of("Content-Type", "application/octet-stream"), data);
            assertThat(r.statusCode()).as(fn).isEqualTo(200);
            assertThat(r.body()).as(fn).isEqualTo(reversed);
        }
    }

    @Test
    void a_streaming_handler_reaches_the_client_progressively() throws Exception {
        deploy("acme", "stream", Map.of("code", """
                export default { async fetch() {
                  const enc = new TextEncoder();
                  const stream = new ReadableStream({ async start(c) {
                    for (let i = 0; i < 3; i++) { c.enqueue(enc.encode('tick ' + i + '\\n')); await new Promise(r => setTimeout(r, 300)); }
                    c.close();
                  } });
                  return new Response(stream, { headers: { 'content-type': 'text/plain' } });
                } }"""));
        awaitVersion("acme", "stream", 1);
        assertTicksArriveOneByOne("/fn/stream");
    }

    /** Reads acme's {@code path}: three lines "tick N", the first well before the last. Returns the response. */
    static HttpResponse<java.io.InputStream> assertTicksArriveOneByOne(String path) throws Exception {
        long started = System.nanoTime();
        HttpResponse<java.io.InputStream> r = raw.send(HttpRequest.newBuilder(node.gatewayUrl().resolve(path))
                .header("Host", "acme.localhost").build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] first = r.body().readNBytes(7);
        long firstMs = (System.nanoTime() - started) / 1_000_000;
        String rest = new String(r.body().readAllBytes());
        long allMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(new String(first)).isEqualTo("tick 0\n");
        assertThat(rest).isEqualTo("tick 1\ntick 2\n");
        assertThat(allMs - firstMs).as("the first chunk came %d ms before the end", allMs - firstMs).isGreaterThan(400);
        return r;
    }

    @Test
    void a_streaming_lambda_handler_reaches_the_client_progressively_with_its_status_and_cookies() throws Exception {
        deploy("acme", "lambda-stream", Map.of("code", """
                exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
                  const stream = awslambda.HttpResponseStream.from(responseStream, {
                    statusCode: 202, headers: { 'content-type': 'text/plain' }, cookies: ['seen=1; Path=/'] });
                  for (let i = 0; i < 3; i++) { stream.write('tick ' + i + '\\n'); await new Promise(r => setTimeout(r, 300)); }
                  stream.end();
                });"""));
        awaitVersion("acme", "lambda-stream", 1);
        HttpResponse<java.io.InputStream> r = assertTicksArriveOneByOne("/fn/lambda-stream");
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain");
        assertThat(r.headers().allValues("set-cookie")).containsExactly("seen=1; Path=/");
    }

    @Test
    void function_calls_on_the_wire_chunked_bodies_100_continue_pipelining_head_and_http_1_0() throws Exception {
        deploy("acme", "wire-echo", Map.of("code", """
                export default { async fetch(req) {
                  const text = await req.text();
                  return new Response(req.method + ' ' + text, { headers: { 'x-seen': String(text.length) } });
                } }"""));
        deploy("acme", "wire-drip", Map.of("code", """
                export default { async fetch() {
                  const enc = new TextEncoder();
                  return new Response(new ReadableStream({ async start(c) {
                    for (let i = 0; i < 3; i++) { c.enqueue(enc.encode('drop ' + i + '\\n')); await new Promise(r => setTimeout(r, 50)); }
                    c.close();
                  } }));
                } }"""));
        awaitVersion("acme", "wire-echo", 1);
        awaitVersion("acme", "wire-drip", 1);
        int port = node.gatewayUrl().getPort();
        try (RawHttp c = new RawHttp(port)) {
            // A chunked body (with a chunk extension) whose sender waits for 100 Continue first.
            c.send("POST /fn/wire-echo HTTP/1.1\r\nHost: acme.localhost\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(100);
            c.send("5;note=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            RawHttp.Response echoed = c.read(false);
            assertThat(echoed.status()).isEqualTo(200);
            assertThat(echoed.body()).isEqualTo("POST hello world");
            assertThat(echoed.header("x-seen")).isEqualTo("11");
            assertThat(echoed.header("x-request-id")).isNotBlank();
            assertThat(echoed.header("ratelimit-limit")).isNotBlank();
            // Three requests pipelined on the same connection: the HEAD's answer has no body, the others follow in order.
            c.send("HEAD /fn/wire-echo HTTP/1.1\r\nHost: acme.localhost\r\n\r\n"
                    + "PUT /fn/wire-echo?x=1 HTTP/1.1\r\nHost: acme.localhost\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /fn/nothing-here HTTP/1.1\r\nHost: acme.localhost\r\n\r\n");
            assertThat(c.read(true).status()).isEqualTo(200);
            RawHttp.Response put = c.read(false);
            assertThat(put.body()).isEqualTo("PUT abc");
            RawHttp.Response missing = c.read(false);
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.body()).contains("function-not-found");
        }
        try (RawHttp c = new RawHttp(port)) {
            // An HTTP/1.0 client that asks to keep the connection is told it is kept.
            c.send("GET /fn/wire-echo HTTP/1.0\r\nHost: acme.localhost\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response kept = c.read(false);
            assertThat(kept.body()).isEqualTo("GET ");
            assertThat(kept.header("connection")).isEqualToIgnoringCase("keep-alive");
            // An HTTP/1.0 client cannot take chunks: a streamed answer ends with the connection.
            c.send("GET /fn/wire-drip HTTP/1.0\r\nHost: acme.localhost\r\n\r\n");
            RawHttp.Response streamed = c.read(false);
            assertThat(streamed.framing()).isEqualTo("close");
            assertThat(streamed.body()).isEqualTo("drop 0\ndrop 1\ndrop 2\n");
        }
        Invoker invoker = node.node().invoker().orElseThrow();
        long loadsBefore = invoker.stats().specialisations();
        try (RawHttp c = new RawHttp(port)) {
            // A client that leaves halfway through its body: its call ends, the worker is not blamed.
            c.send("POST /fn/wire-echo HTTP/1.1\r\nHost: acme.localhost\r\nContent-Length: 100\r\n\r\nonly ten b");
        }
        try (RawHttp c = new RawHttp(port)) {
            // A broken chunked body is refused and the connection closed; the function is not harmed.
            c.send("POST /fn/wire-echo HTTP/1.1\r\nHost: acme.localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n");
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(new String(call("POST", "acme", "/fn/wire-echo", Map.of(), "again".getBytes()).body())).isEqualTo("POST again");
        assertThat(invoker.stats().specialisations()).as("the worker was kept, so nothing was loaded again").isEqualTo(loadsBefore);
    }

    @Test
    void npm_dependencies_are_built_once_and_shared_across_tenants() throws Exception {
        String code = "const greet = require('tiny-greet'); exports.handler = async (e) => ({ statusCode: 200, body: greet(e.queryStringParameters.n) });";
        JsonNode first = deploy("acme", "greeter", Map.of("code", code, "dependencies", Map.of("tiny-greet", "^1.0.0")));
        assertThat(first.get("dependencies").get("tiny-greet").asText()).isEqualTo("^1.0.0");
        assertThat(first.get("modules").toString()).contains("tiny-greet").contains("1.2.0");
        JsonNode ready = awaitState("acme", "greeter", first.get("version").asInt(), "ready");
        assertThat(ready.get("moduleStates").toString()).contains("\"state\":\"available\"");
        assertThat(ready.get("modules").get("tiny-greet").asText()).isEqualTo("1.2.0");
        awaitVersion("acme", "greeter", 1);
        HttpResponse<byte[]> r = call("GET", "acme", "/fn/greeter?n=bob", Map.of(), null);
        assertThat(new String(r.body())).isEqualTo("HELLO BOB!"); // tiny-greet 1.2.0 and its own dependency tiny-shout
        JsonNode other = deploy("globex", "greeter", Map.of("code", code, "packageJson",
                Map.of("name", "g", "dependencies", Map.of("tiny-greet", "1.2.0"))));
        assertThat(other.get("state").asText()).as("modules already built: deployable at once").isEqualTo("ready");
        awaitVersion("globex", "greeter", 1);
        assertThat(new String(call("GET", "globex", "/fn/greeter?n=ann", Map.of(), null).body())).isEqualTo("HELLO ANN!");
        assertThat(npm.downloads("tiny-greet", "1.2.0")).as("built once for the whole system").isEqualTo(1);
        JsonNode modules = node.http().get("/v1/modules?name=tiny-greet").json().get("items");
        assertThat(modules).hasSize(1);
        assertThat(modules.get(0).get("state").asText()).isEqualTo("available");
        assertThat(modules.get(0).get("sha256").asText()).hasSize(64);
    }

    @Test
    void a_module_that_cannot_be_built_fails_the_version_with_npms_reason() throws Exception {
        JsonNode asked = node.http().send("PUT", "/v1/tenants/acme/functions/broken-dep",
                Map.of("code", "module.exports = {}", "dependencies", Map.of("no-such-package", "^1.0.0")), Map.of()).json();
        assertThat(asked.get("status").asInt()).isEqualTo(422);
        assertThat(asked.toString()).contains("dependencies.no-such-package").contains("not in the registry");
        JsonNode badRange = node.http().send("PUT", "/v1/tenants/acme/functions/broken-dep",
                Map.of("code", "module.exports = {}", "dependencies", Map.of("tiny-greet", "^9.0.0")), Map.of()).json();
        assertThat(badRange.toString()).contains("no version of tiny-greet matches '^9.0.0' (latest is 1.2.0)");
        JsonNode gitDep = node.http().send("PUT", "/v1/tenants/acme/functions/broken-dep",
                Map.of("code", "module.exports = {}", "dependencies", Map.of("x", "git+https://example.com/x.git")), Map.of()).json();
        assertThat(gitDep.toString()).contains("git, file, URL and alias dependencies are not supported");
    }

    @Test
    void a_module_whose_build_fails_fails_the_version_with_npms_reason_and_the_active_one_keeps_serving() throws Exception {
        deploy("globex", "ghostly", Map.of("code", "exports.handler = async () => ({ v: 1 });"));
        awaitVersion("globex", "ghostly", 1);
        JsonNode v2 = deploy("globex", "ghostly", Map.of("code", "const g = require('needs-ghost'); exports.handler = async () => ({ v: 2 });",
                "dependencies", Map.of("needs-ghost", "1.0.0")));
        assertThat(v2.get("state").asText()).isEqualTo("pending");
        JsonNode failed = awaitState("globex", "ghostly", 2, "failed");
        assertThat(failed.get("error").asText()).contains("needs-ghost@1.0.0").contains("ghost-package");
        assertThat(failed.get("moduleStates").get(0).get("state").asText()).isEqualTo("failed");
        assertThat(json(call("GET", "globex", "/fn/ghostly", Map.of(), null)).get("v").asInt()).as("version 1 still serves").isEqualTo(1);
    }

    @Test
    void a_function_deleted_and_made_again_serves_its_new_code_under_a_new_version_number() throws Exception {
        deploy("globex", "phoenix", Map.of("code", "export default { fetch: () => new Response('old') }", "env", Map.of("A", "old")));
        awaitVersion("globex", "phoenix", 1);
        assertThat(new String(call("GET", "globex", "/fn/phoenix", Map.of(), null).body())).isEqualTo("old");
        assertThat(node.http().delete("/v1/tenants/globex/functions/phoenix").status()).isEqualTo(204);
        JsonNode again = deploy("globex", "phoenix", Map.of("code", "export default { fetch: (r, env) => new Response('new ' + (env.A ?? 'none')) }"));
        assertThat(again.get("version").asInt()).isEqualTo(2);
        assertThat(again.get("env").size()).as("nothing carried over from the deleted function").isZero();
        awaitVersion("globex", "phoenix", 2);
        assertThat(new String(call("GET", "globex", "/fn/phoenix", Map.of(), null).body())).isEqualTo("new none");
    }

    @Test
    void a_callers_own_tenant_and_forwarding_headers_do_not_reach_the_function() throws Exception {
        deploy("globex", "headers", Map.of("code", """
                export default { fetch: (r) => Response.json({ tenant: r.headers.get('x-tenant-id'), fwd: r.headers.get('x-forwarded-for'),
                                                              host: r.headers.get('x-forwarded-host') }) }"""));
        awaitVersion("globex", "headers", 1);
        JsonNode seen = json(call("GET", "globex", "/fn/headers", Map.of("X-Tenant-Id", "someone-else", "X-Forwarded-For", "6.6.6.6"), null));
        assertThat(seen.get("tenant").isNull()).isTrue();
        assertThat(seen.get("fwd").asText()).isEqualTo("127.0.0.1");
        assertThat(seen.get("host").asText()).isEqualTo("globex.localhost");
    }

    static JsonNode awaitState(String tenant, String name, int version, String state) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode v = null;
        while (System.nanoTime() < end) {
            v = node.http().get("/v1/tenants/" + tenant + "/functions/" + name + "/versions/" + version).json();
            if (v.get("state").asText().equals(state)) {
                return v;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("version " + version + " of " + name + " did not become " + state + ": " + v);
    }

    @Test
    void a_deploy_prepares_the_tenants_gateway_state_before_its_first_request() throws Exception {
        node.createActive(Map.of("slug", "initech", "plan", "standard"));
        String series = "tenantry_gateway_requests_total{class=\"2xx\",tenant=\"initech\"}";
        assertThat(node.http().get("/metrics").text()).as("no state before the deploy").doesNotContain(series);
        deploy("initech", "first", Map.of("code", "export default { fetch: () => new Response('first') }"));
        awaitVersion("initech", "first", 1);
        String metrics = "";
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!metrics.contains(series + " 0.0") && System.nanoTime() < end) {
            Thread.sleep(20);
            metrics = node.http().get("/metrics").text();
        }
        assertThat(metrics).as("the tenant's meters, registered with its state, before any request").contains(series + " 0.0");
        assertThat(new String(call("GET", "initech", "/fn/first", Map.of(), null).body())).isEqualTo("first");
        assertThat(node.http().get("/metrics").text()).contains(series + " 1.0");
    }

    @Test
    void each_deploy_is_a_new_version_that_lands_quickly_and_rollback_serves_an_old_one() throws Exception {
        deploy("acme", "ver", Map.of("code", "export default { fetch: () => new Response('one') }"));
        awaitVersion("acme", "ver", 1);
        assertThat(new String(call("GET", "acme", "/fn/ver", Map.of(), null).body())).isEqualTo("one");
        long deployed = System.nanoTime();
        JsonNode v2 = deploy("acme", "ver", Map.of("code", "export default { fetch: () => new Response('two') }"));
        assertThat(v2.get("version").asInt()).isEqualTo(2);
        String seen = "";
        while (!seen.equals("two") && System.nanoTime() - deployed < Duration.ofSeconds(5).toNanos()) {
            seen = new String(call("GET", "acme", "/fn/ver", Map.of(), null).body());
        }
        assertThat(seen).isEqualTo("two");
        assertThat((System.nanoTime() - deployed) / 1_000_000).as("deploy to first answer, ms").isLessThan(2_000);
        JsonNode versions = node.http().get("/v1/tenants/acme/functions/ver/versions").json().get("items");
        assertThat(versions).hasSize(2);
        assertThat(versions.get(0).get("version").asInt()).isEqualTo(2);
        Http.Answer rolled = node.http().post("/v1/tenants/acme/functions/ver/rollback", Map.of("version", 1));
        assertThat(rolled.json().get("activeVersion").asInt()).isEqualTo(1);
        awaitVersion("acme", "ver", 1);
        assertThat(new String(call("GET", "acme", "/fn/ver", Map.of(), null).body())).isEqualTo("one");
        assertThat(node.http().post("/v1/tenants/acme/functions/ver/rollback", Map.of("version", 9)).status()).isEqualTo(422);
    }

    @Test
    void env_and_secrets_reach_the_function_but_secrets_are_never_shown_or_stored_in_clear() throws Exception {
        JsonNode v = deploy("acme", "config", Map.of("code", """
                exports.handler = async () => ({ mode: process.env.MODE, token: process.env.API_TOKEN, path: process.env.PATH ?? null });""",
                "env", Map.of("MODE", "live"), "secrets", Map.of("API_TOKEN", "s3cr3t-value-123")));
        assertThat(v.get("secrets").toString()).isEqualTo("[\"API_TOKEN\"]");
        assertThat(v.toString()).doesNotContain("s3cr3t-value-123");
        awaitVersion("acme", "config", 1);
        JsonNode seen = json(call("GET", "acme", "/fn/config", Map.of(), null));
        assertThat(seen.get("mode").asText()).isEqualTo("live");
        assertThat(seen.get("token").asText()).isEqualTo("s3cr3t-value-123");
        assertThat(seen.get("path").isNull()).as("the host's environment is not the function's").isTrue();
        String stored = node.sql().withHandle(h -> h.createQuery(
                "select encode(secrets, 'escape') || env::text || files::text from function_versions where name = 'config'")
                .mapTo(String.class).one());
        assertThat(stored).doesNotContain("s3cr3t-value-123");
        // a new version without secrets keeps them; the operator's view still shows names only
        deploy("acme", "config", Map.of("code", "exports.handler = async () => ({ token: process.env.API_TOKEN });"));
        awaitVersion("acme", "config", 2);
        assertThat(json(call("GET", "acme", "/fn/config", Map.of(), null)).get("token").asText()).isEqualTo("s3cr3t-value-123");
        assertThat(node.http().get("/v1/tenants/acme/functions/config").text()).doesNotContain("s3cr3t-value-123");
    }

    @Test
    void what_a_function_prints_is_kept_per_invocation_and_readable_by_request_id() throws Exception {
        deploy("acme", "chatty", Map.of("code", """
                export default { async fetch(req) { const n = new URL(req.url).searchParams.get('n');
                  console.log('handling ' + n); console.error('warning ' + n); return new Response('ok ' + n); } }"""));
        awaitVersion("acme", "chatty", 1);
        HttpResponse<byte[]> one = call("GET", "acme", "/fn/chatty?n=1", Map.of(), null);
        call("GET", "acme", "/fn/chatty?n=2", Map.of(), null);
        String rid = one.headers().firstValue("x-request-id").orElseThrow();
        JsonNode lines = null;
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            lines = node.http().get("/v1/tenants/acme/functions/chatty/logs?requestId=" + rid).json().get("items");
            if (lines.size() >= 2) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("line").asText()).isEqualTo("handling 1");
        assertThat(lines.get(0).get("stream").asText()).isEqualTo("stdout");
        assertThat(lines.get(1).get("line").asText()).isEqualTo("warning 1");
        assertThat(lines.get(1).get("stream").asText()).isEqualTo("stderr");
        assertThat(lines.get(0).get("version").asInt()).isEqualTo(1);
        JsonNode all = node.http().get("/v1/tenants/acme/functions/chatty/logs").json();
        while (all.get("items").size() < 4 && System.nanoTime() < end) { // the second call's lines may come in a later batch
            Thread.sleep(100);
            all = node.http().get("/v1/tenants/acme/functions/chatty/logs").json();
        }
        assertThat(all.get("items").size()).isGreaterThanOrEqualTo(4);
        long next = all.get("next").asLong();
        assertThat(node.http().get("/v1/tenants/acme/functions/chatty/logs?after=" + next).json().get("items")).isEmpty();
    }

    @Test
    void tenant_errors_get_tenant_facing_answers_and_the_next_request_works() throws Exception {
        deploy("acme", "thrower", Map.of("code", "export default { async fetch() { throw new Error('card declined'); } }"));
        deploy("acme", "syntax", Map.of("code", "export default { async fetch() { return new Response('x') "));
        deploy("acme", "slow", Map.of("code", """
                export default { async fetch(req) { if (new URL(req.url).searchParams.has('hang')) { while (true) {} }
                  return new Response('fast'); } }""", "timeoutMs", 1000));
        for (String f : List.of("thrower", "syntax", "slow")) {
            awaitVersion("acme", f, 1);
        }
        HttpResponse<byte[]> threw = call("GET", "acme", "/fn/thrower", Map.of(), null);
        assertThat(threw.statusCode()).isEqualTo(502);
        assertThat(new String(threw.body())).contains("function-error").contains("card declined");
        HttpResponse<byte[]> syntax = call("GET", "acme", "/fn/syntax", Map.of(), null);
        assertThat(syntax.statusCode()).isEqualTo(502);
        assertThat(new String(syntax.body())).contains("function-load-failed");
        long t = System.nanoTime();
        HttpResponse<byte[]> hung = call("GET", "acme", "/fn/slow?hang", Map.of(), null);
        assertThat(hung.statusCode()).isEqualTo(504);
        assertThat(new String(hung.body())).contains("timeout of 1000 ms");
        assertThat((System.nanoTime() - t) / 1_000_000).isBetween(900L, 5_000L);
        assertThat(new String(call("GET", "acme", "/fn/slow", Map.of(), null).body())).isEqualTo("fast");
        HttpResponse<byte[]> missing = call("GET", "acme", "/fn/nope", Map.of(), null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(new String(missing.body())).contains("function-not-found");
    }

    @Test
    void a_functions_other_requests_do_not_wait_for_the_slow_first_call_that_loaded_it() throws Exception {
        deploy("globex", "slow-first", Map.of("code", """
                let first = true;
                export default { async fetch() {
                  if (!first) return new Response('next');
                  first = false;
                  await new Promise(r => setTimeout(r, 3000));
                  return new Response('first');
                } }"""));
        awaitVersion("globex", "slow-first", 1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<HttpResponse<byte[]>> first = pool.submit(() -> call("GET", "globex", "/fn/slow-first", Map.of(), null));
            Thread.sleep(300);
            long t = System.nanoTime();
            HttpResponse<byte[]> next = call("GET", "globex", "/fn/slow-first", Map.of(), null);
            long ms = (System.nanoTime() - t) / 1_000_000;
            assertThat(new String(next.body())).isEqualTo("next");
            assertThat(ms).as("answered while the first call still runs, ms").isLessThan(2_000);
            assertThat(first.isDone()).isFalse();
            assertThat(new String(first.get().body())).isEqualTo("first");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void the_plans_concurrency_limit_queues_then_sheds_the_excess() throws Exception {
        deploy("tiny", "busy", Map.of("code", """
                let running = 0, peak = 0;
                export default { async fetch(req) {
                  running++; peak = Math.max(peak, running);
                  await new Promise(r => setTimeout(r, 400));
                  running--;
                  return Response.json({ peak });
                } }"""));
        awaitVersion("tiny", "busy", 1);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(pool.submit(() -> call("GET", "tiny", "/fn/busy", Map.of(), null)));
            }
            int ok = 0;
            int shed = 0;
            int peak = 0;
            for (Future<HttpResponse<byte[]>> f : calls) {
                HttpResponse<byte[]> r = f.get();
                if (r.statusCode() == 200) {
                    ok++;
                    peak = Math.max(peak, json(r).get("peak").asInt());
                } else {
                    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(429);
                    shed++;
                }
            }
            assertThat(peak).as("the free plan runs 2 at once").isLessThanOrEqualTo(2);
            assertThat(ok).as("2 running + 8 queued get served").isGreaterThanOrEqualTo(10);
            assertThat(shed).as("the rest are shed").isGreaterThanOrEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void bad_deploys_get_field_errors_and_nothing_is_recorded() {
        Http.Answer noCode = node.http().send("PUT", "/v1/tenants/acme/functions/bad", Map.of("env", Map.of("A", "b")), Map.of());
        assertThat(noCode.status()).isEqualTo(422);
        assertThat(noCode.text()).contains("\"code\"");
        Http.Answer badName = node.http().send("PUT", "/v1/tenants/acme/functions/Bad%20Name", Map.of("code", "x"), Map.of());
        assertThat(badName.status()).isEqualTo(422);
        assertThat(badName.text()).contains("\"name\"");
        Http.Answer badLimits = node.http().send("PUT", "/v1/tenants/acme/functions/bad",
                Map.of("code", "x", "timeoutMs", 999_999, "memoryMb", 100_000, "env", Map.of("1X", "y")), Map.of());
        assertThat(badLimits.status()).isEqualTo(422);
        assertThat(badLimits.text()).contains("timeoutMs").contains("memoryMb").contains("env.1X");
        Http.Answer badBundle = node.http().send("PUT", "/v1/tenants/acme/functions/bad",
                Map.of("bundle", Base64.getEncoder().encodeToString("not an archive".getBytes())), Map.of());
        assertThat(badBundle.status()).isEqualTo(422);
        assertThat(badBundle.text()).contains("bundle");
        assertThat(node.http().get("/v1/tenants/acme/functions/bad").status()).isEqualTo(404);
    }

    @Test
    void a_zip_bundle_with_several_files_and_an_es_module_entry_deploys() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry("app/package.json"));
            zip.write("{\"type\":\"module\",\"main\":\"src/main.js\"}".getBytes());
            zip.putNextEntry(new java.util.zip.ZipEntry("app/src/main.js"));
            zip.write("import { twice } from './lib.js'; export default { fetch: () => new Response(String(twice(21))) };".getBytes());
            zip.putNextEntry(new java.util.zip.ZipEntry("app/src/lib.js"));
            zip.write("export const twice = n => n * 2;".getBytes());
        }
        JsonNode v = deploy("acme", "bundled", Map.of("bundle", Base64.getEncoder().encodeToString(bytes.toByteArray())));
        assertThat(v.get("entry").asText()).isEqualTo("src/main.js");
        awaitVersion("acme", "bundled", 1);
        assertThat(new String(call("GET", "acme", "/fn/bundled", Map.of(), null).body())).isEqualTo("42");
    }

    @Test
    void operators_invoke_through_the_api_and_delete_removes_the_function() throws Exception {
        deploy("acme", "ops", Map.of("code", "exports.handler = async (e) => ({ statusCode: 200, body: 'got ' + e.body });"));
        awaitVersion("acme", "ops", 1);
        Http.Answer invoked = node.http().send("POST", "/v1/tenants/acme/functions/ops/invoke", Map.of("x", 1), Map.of());
        assertThat(invoked.status()).isEqualTo(200);
        assertThat(invoked.json().get("status").asInt()).isEqualTo(200);
        assertThat(invoked.json().get("body").asText()).isEqualTo("got {\"x\":1}");
        assertThat(node.http().delete("/v1/tenants/acme/functions/ops").status()).isEqualTo(204);
        assertThat(node.http().get("/v1/tenants/acme/functions/ops").status()).isEqualTo(404);
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int status = 0;
        while (status != 404 && System.nanoTime() < end) {
            status = call("GET", "acme", "/fn/ops", Map.of(), null).statusCode();
        }
        assertThat(status).isEqualTo(404);
        JsonNode audit = node.http().get("/v1/audit?tenant=acme&action=function.delete").json();
        assertThat(audit.toString()).contains("function.delete");
    }
}
