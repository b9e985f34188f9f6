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
        return Serving.run(spec, options.resolve(System.getenv(), Optional.empty()), true);
    }

    /** Shared by {@code up} and {@code serve}: start, announce, wait for the signal, stop. */
    static final class Serving {
        private Serving() {}

        static int run(CommandSpec spec, Config config, boolean writeClientConfig) throws InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            out.println("Starting Tenantry (data directory " + config.dataDir() + ", "
                    + (config.databaseUrl().isPresent() ? "external PostgreSQL" : "embedded PostgreSQL") + ")...");
            out.flush();
            Node node = Node.start(config);
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

        private static void announce(PrintWriter out, Node node, boolean writeClientConfig) {
            Path clientConfig = ClientConfig.defaultPath(System.getenv());
            node.bootstrapToken().ifPresent(token -> {
                node.apiUrl().ifPresent(url -> {
                    if (writeClientConfig) {
                        new ClientConfig(url, token).save(clientConfig);
                    }
                });
            });
            out.println();
            out.println("Tenantry is up.");
            node.apiUrl().ifPresent(url -> out.println("  Control-plane API:  " + url + "   (OpenAPI: " + url + "/v1/openapi.json)"));
            out.println("  Gateway:            not in this build yet (it will listen on port " + node.config().gatewayPort() + ")");
            out.println("  Data directory:     " + node.config().dataDir());
            out.println("  Database:           " + (node.embeddedDatabase() ? "embedded PostgreSQL in " + node.config().dataDir().resolve("postgres") : "external"));
            if (node.bootstrapToken().isPresent()) {
                out.println("  Admin token:        " + node.bootstrapToken().get());
                out.println("                      (shown this once; " + (writeClientConfig ? "saved for the CLI in " + clientConfig : "store it now") + ")");
            } else {
                out.println("  Admin token:        the one printed on first start (the CLI reads " + clientConfig + ")");
            }
            out.println();
            out.println("Try:  ./tenantry tenant create acme --name \"Acme Inc\" && ./tenantry tenant list");
            out.println("Stop: Ctrl-C");
            out.flush();
        }
    }
}
