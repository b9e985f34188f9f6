package dev.tenantry.platform;

import dev.tenantry.api.ApiServer;
import dev.tenantry.api.ApiSettings;
import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.CatalogSettings;
import dev.tenantry.catalog.IssuedSecret;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Tenantry node: data-directory lock, database (embedded unless a URL is given),
 * catalog, and the roles it was given. {@link #close} stops everything in reverse order.
 */
public final class Node implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);
    private final Config config;
    private final Deque<AutoCloseable> resources;
    private final Catalog catalog;
    private final Optional<ApiServer> api;
    private final Optional<String> bootstrapToken;
    private final boolean embedded;

    private Node(Config config, Deque<AutoCloseable> resources, Catalog catalog, Optional<ApiServer> api,
                 Optional<String> bootstrapToken, boolean embedded) {
        this.config = config;
        this.resources = resources;
        this.catalog = catalog;
        this.api = api;
        this.bootstrapToken = bootstrapToken;
        this.embedded = embedded;
    }

    /** Starts a node; on any failure, what was started is stopped again before the error is thrown. */
    public static Node start(Config config) {
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            return start(config, resources);
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    private static Node start(Config config, Deque<AutoCloseable> resources) {
        resources.push(DataDirLock.acquire(config.dataDir()));
        Database database = connect(config, resources);
        resources.push(database);
        // PostgreSQL keeps microseconds: stamp times at that precision so answers match later reads.
        Clock clock = Clock.tick(Clock.systemUTC(), Duration.ofNanos(1_000));
        Catalog catalog = Catalog.create(database.jdbi(),
                new CatalogSettings(config.baseDomain(), config.region(), config.defaultPlan()), clock);
        if (catalog.plans().list().stream().noneMatch(p -> p.name().equals(config.defaultPlan()))) {
            throw new ConfigException("default-plan '" + config.defaultPlan() + "' is not a plan in the catalog (plans: "
                    + String.join(", ", catalog.plans().list().stream().map(p -> p.name()).toList()) + ")");
        }
        Optional<ApiServer> api = Optional.empty();
        if (config.runs(Config.Role.API)) {
            api = Optional.of(startApi(config, resources, catalog, database));
        }
        // Only once the API listens: a token shown for a node that failed to start would be lost.
        Optional<String> bootstrap = catalog.adminTokens().bootstrap(Actor.system("bootstrap")).map(IssuedSecret::secret);
        LOG.atInfo().addKeyValue("roles", config.roles()).addKeyValue("dataDir", config.dataDir().toString())
                .log("node started");
        return new Node(config, resources, catalog, api, bootstrap, config.databaseUrl().isEmpty());
    }

    private static Database connect(Config config, Deque<AutoCloseable> resources) {
        if (config.databaseUrl().isPresent()) {
            return Database.connect(config.databaseUrl().get(), config.databaseUser().orElse("postgres"),
                    config.databasePassword().orElse(""), config.databasePoolSize());
        }
        EmbeddedDatabase embedded = EmbeddedDatabase.start(config.dataDir().resolve("postgres"));
        resources.push(embedded);
        Database.ensureDatabase(embedded.jdbcUrl("postgres"), embedded.user(), "", "tenantry");
        return Database.connect(embedded.jdbcUrl("tenantry"), embedded.user(), "", config.databasePoolSize());
    }

    private static ApiServer startApi(Config config, Deque<AutoCloseable> resources, Catalog catalog, Database database) {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ClassLoaderMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors())));
        resources.push(() -> vertx.close().await());
        ExecutorService handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("api-", 0).factory());
        resources.push(handlers::shutdownNow);
        ApiServer server;
        try {
            server = ApiServer.start(vertx, handlers,
                    new ApiSettings(config.bind(), config.apiPort(), config.maxBodyBytes()), catalog, metrics, database::healthy);
        } catch (RuntimeException e) {
            throw new PlatformException.CannotListen("cannot listen on " + config.bind() + ":" + config.apiPort()
                    + " for the API: " + e.getMessage() + " (is another program using the port? see --api-port)", e);
        }
        resources.push(server);
        return server;
    }

    public Config config() {
        return config;
    }

    public Catalog catalog() {
        return catalog;
    }

    /** The API's URL, when this node serves the API. */
    public Optional<String> apiUrl() {
        String host = config.bind().equals("0.0.0.0") ? "127.0.0.1" : config.bind();
        return api.map(a -> "http://" + host + ":" + a.port());
    }

    public Optional<ApiServer> api() {
        return api;
    }

    /** The admin token created on this start, present only on a new data directory (shown once). */
    public Optional<String> bootstrapToken() {
        return bootstrapToken;
    }

    public boolean embeddedDatabase() {
        return embedded;
    }

    @Override
    public void close() {
        closeAll(resources);
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("a resource did not close cleanly: {}", e.toString());
            }
        }
    }
}
