package dev.tenantry.gateway;

import dev.tenantry.functions.Invoker;
import dev.tenantry.sdk.context.TenantContext;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the gateway sends {@code /fn/<name>} requests: a Vert.x server on a loopback port, for the
 * function {@link Invoker} serves Vert.x requests. The gateway has resolved, admitted and counted
 * the request already and relays the answer; the hop takes the tenant and the caller's address
 * the gateway names only with the proof, a secret made at start, so nothing else on the host can
 * call functions through it.
 */
final class FunctionHop implements AutoCloseable {
    /** Every header of the hop starts so; the gateway drops such headers from clients. */
    static final String HEADER_PREFIX = "x-tenantry-hop";
    static final String TENANT = "X-Tenantry-Hop-Tenant";
    static final String SOURCE = "X-Tenantry-Hop-Source";
    private static final String PROOF = "X-Tenantry-Hop-Proof";
    private static final String FUNCTIONS = "/fn/";
    private final Vertx vertx;
    private final String deployment;
    private final Upstream upstream;
    private final byte[] proofLine;

    private FunctionHop(Vertx vertx, String deployment, Upstream upstream, String secret) {
        this.vertx = vertx;
        this.deployment = deployment;
        this.upstream = upstream;
        this.proofLine = (PROOF + ": " + secret + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Listens on a free loopback port with {@code instances} servers (one per event loop). */
    static FunctionHop start(Vertx vertx, Gateway.Shared shared, int instances) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String secret = HexFormat.of().formatHex(random);
        AtomicInteger port = new AtomicInteger();
        String id = vertx.deployVerticle(() -> new Server(shared, secret, port),
                new DeploymentOptions().setInstances(instances)).await();
        return new FunctionHop(vertx, id, new Upstream("http://127.0.0.1:" + port.get()), secret);
    }

    /** The name in {@code /fn/<name>[/...]}; empty when there is none. */
    static Optional<String> functionName(String path) {
        if (!path.startsWith(FUNCTIONS)) {
            return Optional.empty();
        }
        int end = path.indexOf('/', FUNCTIONS.length());
        String name = end < 0 ? path.substring(FUNCTIONS.length()) : path.substring(FUNCTIONS.length(), end);
        return name.isEmpty() ? Optional.empty() : Optional.of(name);
    }

    Upstream upstream() {
        return upstream;
    }

    /** The header line that proves a request comes from this gateway. */
    byte[] proofLine() {
        return proofLine;
    }

    @Override
    public void close() {
        vertx.undeploy(deployment).await();
    }

    /** One event loop's hop server. */
    private static final class Server extends VerticleBase {
        private final Gateway.Shared shared;
        private final byte[] secret;
        private final AtomicInteger port;
        private HttpServer server;

        Server(Gateway.Shared shared, String secret, AtomicInteger port) {
            this.shared = shared;
            this.secret = secret.getBytes(StandardCharsets.US_ASCII);
            this.port = port;
        }

        @Override
        public Future<?> start() {
            // Port 0 for every instance: Vert.x then shares one free port among them.
            server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                    .setMaxHeaderSize(shared.settings.maxHeaderBytes() + 1024).setMaxInitialLineLength(8 * 1024)
                    .setTcpNoDelay(true).setCompressionSupported(false).setHttp2ClearTextEnabled(false));
            server.requestHandler(this::handle);
            return server.listen().onSuccess(bound -> port.compareAndSet(0, bound.actualPort()));
        }

        @Override
        public Future<?> stop() {
            return server.close();
        }

        private void handle(HttpServerRequest req) {
            if (hasBody(req)) {
                req.pause(); // the body waits until a worker is ready for it
            }
            String proof = req.getHeader(PROOF);
            boolean proven = proof != null && MessageDigest.isEqual(proof.getBytes(StandardCharsets.US_ASCII), secret);
            Optional<TenantContext> tenant = proven ? shared.index.byId(req.getHeader(TENANT)) : Optional.empty();
            Optional<String> name = functionName(req.path() == null ? "" : req.path());
            Optional<Invoker> invoker = shared.functions.invoker();
            if (tenant.isEmpty() || name.isEmpty() || invoker.isEmpty()) {
                req.response().setStatusCode(404).end();
                return;
            }
            invoker.get().invoke(tenant.get(), name.get(), req, req.getHeader(SOURCE), status -> { });
        }

        private static boolean hasBody(HttpServerRequest req) {
            String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
            return req.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || (length != null && !length.equals("0"));
        }
    }
}
