package dev.tenantry.platform;

import dev.tenantry.sdk.ClientConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code tenantry up}: the whole platform on this machine, on an embedded PostgreSQL unless
 * {@code --database-url} is given. Prints the URLs, the admin token (first start only) and a
 * first command; runs until Ctrl-C / SIGTERM, then shuts down cleanly.
 */
@Command(name = "up", description = "Start the whole platform on this machine (embedded PostgreSQL by default).",
        mixinStandardHelpOptions = true)
final class UpCommand implements Callable<Integer> {
    @Mixin
    NodeOptions options;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        // up is the whole platform on one machine: every role, whatever the environment or file says.
        return Serving.run(spec, options.resolve(System.getenv(), Optional.of("api,scheduler,gateway,worker")), true);
    }

    /** Shared by {@code up} and {@code serve}: start, announce, wait for the signal, stop. */
    static final class Serving {
        private Serving() {}

        static int run(CommandSpec spec, Config config, boolean writeClientConfig) throws InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            out.println("Starting Tenantry (data directory " + config.dataDir() + ", "
                    + (config.databaseUrl().isPresent() ? "external PostgreSQL" : "embedded PostgreSQL") + ")...");
            out.flush();
            Node node = Node.start(config, writeClientConfig);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                out.println("Stopping Tenantry...");
                out.flush();
                node.close();
                stopped.countDown();
            }, "shutdown"));
            announce(out, node, writeClientConfig);
            stopped.await();
            return 0;
        }

        /**
         * Points the local CLI at this node: with the new token on a first start, or, on later
         * starts, by updating the URL of a saved token that this catalog recognises (the port may
         * have changed). A config that belongs to another installation is left alone.
         */
        private static boolean updateClientConfig(Node node, Path path) {
            Optional<String> url = node.apiUrl();
            if (url.isEmpty()) {
                return false;
            }
            if (node.bootstrapToken().isPresent()) {
                new ClientConfig(url.get(), node.bootstrapToken().get()).save(path);
                return true;
            }
            try {
                Optional<ClientConfig> saved = ClientConfig.load(path);
                if (saved.isPresent() && node.catalog().adminTokens().authenticate(saved.get().token()).isPresent()) {
                    if (!saved.get().server().equals(url.get())) {
                        new ClientConfig(url.get(), saved.get().token()).save(path);
                    }
                    return true;
                }
            } catch (java.io.UncheckedIOException e) {
                // an unreadable config is the user's to fix; the banner says where it is
            }
            return false;
        }

        private static void announce(PrintWriter out, Node node, boolean writeClientConfig) {
            Path clientConfig = ClientConfig.defaultPath(System.getenv());
            boolean cliReady = writeClientConfig && updateClientConfig(node, clientConfig);
            out.println();
            out.println("Tenantry is up.");
            node.apiUrl().ifPresent(url -> out.println("  Control-plane API:  " + url + "   (OpenAPI: " + url + "/v1/openapi.json)"));
            node.gatewayUrl().ifPresent(url -> out.println("  Gateway:            " + url + "   (tenants at http://<slug>."
                    + node.config().baseDomain() + ":" + node.gateway().orElseThrow().port() + ")"));
            out.println("  Data directory:     " + node.config().dataDir());
            out.println("  Database:           " + (node.embeddedDatabase() ? "embedded PostgreSQL in " + node.config().dataDir().resolve("postgres") : "external"));
            if (node.apiUrl().isEmpty()) { // a data-plane node: no provisioning, no tokens to show
                out.println("  Health and metrics: http://" + (node.config().bind().equals("0.0.0.0") ? "127.0.0.1" : node.config().bind())
                        + ":" + node.config().apiPort() + "/healthz, /readyz, /metrics");
            } else {
                out.println("  Redis for tenants:  " + node.redisDescription().orElse(
                        "none (install redis-server or pass --redis-url to give each tenant a Redis user)"));
                if (node.bootstrapToken().isPresent()) {
                    out.println("  Admin token:        " + node.bootstrapToken().get());
                    out.println("                      (shown this once; " + (cliReady ? "saved for the CLI in " + clientConfig : "store it now") + ")");
                } else if (cliReady) {
                    out.println("  Admin token:        the one printed on first start, saved for the CLI in " + clientConfig);
                } else {
                    out.println("  Admin token:        the one printed on first start (pass it with --token or TENANTRY_TOKEN)");
                }
            }
            node.functionsStatus().ifPresent(status -> out.println("  Functions:          " + status));
            out.println();
            if (node.apiUrl().isPresent()) {
                out.println("Try:  ./tenantry tenant create acme --name \"Acme Inc\" --wait && ./tenantry tenant credentials acme");
                if (node.invoker().isPresent()) {
                    node.gateway().ifPresent(g -> out.println("      echo 'export default { fetch: () => new Response(\"hi\") }' > hi.mjs"
                            + " && ./tenantry fn deploy acme hi hi.mjs && curl http://acme." + node.config().baseDomain() + ":" + g.port() + "/fn/hi"));
                }
                node.gateway().ifPresent(g -> out.println("      ./tenantry route set acme / http://127.0.0.1:9000 && curl -i http://acme."
                        + node.config().baseDomain() + ":" + g.port() + "/"));
            }
            out.println("Stop: Ctrl-C (or SIGTERM)");
            out.flush();
        }
    }
}
