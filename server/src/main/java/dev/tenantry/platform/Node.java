package dev.tenantry.platform;

import dev.tenantry.api.ApiServer;
import dev.tenantry.api.ApiSettings;
import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.CatalogSettings;
import dev.tenantry.catalog.IssuedSecret;
import dev.tenantry.context.ContextService;
import dev.tenantry.context.FeedFollower;
import dev.tenantry.gateway.Cidr;
import dev.tenantry.functions.Invoker;
import dev.tenantry.gateway.Gateway;
import dev.tenantry.gateway.GatewaySettings;
import dev.tenantry.provision.MasterKey;
import dev.tenantry.provision.Operations;
import dev.tenantry.provision.Provisioning;
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
import java.util.List;
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
    /** What the tenant-header signing key is derived for from the master key. */
    static final String HEADER_KEY_PURPOSE = "tenantry tenant headers v1";
    private final Config config;
    private final Deque<AutoCloseable> resources;
    private final Catalog catalog;
    private final Optional<ApiServer> api;
    private final Optional<Gateway> gateway;
    private final Optional<ContextService> contexts;
    private final Optional<String> bootstrapToken;
    private final boolean embedded;
    private final Optional<Wiring.Provision> provision;
    private final Optional<Invoker> invoker;
    private String functionsUnavailable = "";

    private Node(Config config, Deque<AutoCloseable> resources, Catalog catalog, Optional<ApiServer> api,
                 Optional<Gateway> gateway, Optional<ContextService> contexts, Optional<String> bootstrapToken,
                 boolean embedded, Optional<Wiring.Provision> provision, Optional<Invoker> invoker) {
        this.provision = provision;
        this.invoker = invoker;
        this.gateway = gateway;
        this.contexts = contexts;
        this.config = config;
        this.resources = resources;
        this.catalog = catalog;
        this.api = api;
        this.bootstrapToken = bootstrapToken;
        this.embedded = embedded;
    }

    /** Starts a node; on any failure, what was started is stopped again before the error is thrown. */
    public static Node start(Config config) {
        return start(config, false);
    }

    /**
     * Starts a node; with {@code localServices} (what {@code tenantry up} asks for) a local
     * redis-server is started when one is installed and no {@code --redis-url} is configured.
     */
    public static Node start(Config config, boolean localServices) {
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            return start(config, localServices, resources);
        } catch (RuntimeException | Error e) {
            closeAll(resources);
            throw e;
        } catch (Exception e) { // Vert.x's await() rethrows checked exceptions (e.g. BindException) unchecked
            closeAll(resources);
            throw new PlatformException.CannotListen(e.getMessage(), e);
        }
    }

    private static Node start(Config config, boolean localServices, Deque<AutoCloseable> resources) {
        resources.push(DataDirLock.acquire(config.dataDir()));
        Optional<EmbeddedDatabase> embedded = config.databaseUrl().isPresent() ? Optional.empty()
                : Optional.of(EmbeddedDatabase.start(config.dataDir().resolve("postgres")));
        embedded.ifPresent(resources::push);
        Database database = connect(config, embedded);
        resources.push(database);
        // PostgreSQL keeps microseconds: stamp times at that precision so answers match later reads.
        Clock clock = Clock.tick(Clock.systemUTC(), Duration.ofNanos(1_000));
        Catalog catalog = Catalog.create(database.jdbi(),
                new CatalogSettings(config.baseDomain(), config.region(), config.defaultPlan()), clock);
        if (catalog.plans().list().stream().noneMatch(p -> p.name().equals(config.defaultPlan()))) {
            throw new ConfigException("default-plan '" + config.defaultPlan() + "' is not a plan in the catalog (plans: "
                    + String.join(", ", catalog.plans().list().stream().map(p -> p.name()).toList()) + ")");
        }
        MasterKey masterKey = MasterKey.load(System.getenv(), config.dataDir());
        boolean api = config.runs(Config.Role.API);
        boolean gateway = config.runs(Config.Role.GATEWAY);
        FunctionWiring functions = FunctionWiring.prepare(config, database, catalog, clock, masterKey);
        Optional<Wiring.Provision> provision = api || config.runs(Config.Role.SCHEDULER)
                ? Optional.of(Wiring.provisioning(config, localServices, embedded, database, catalog, clock, masterKey, resources,
                        functions.tasks()))
                : Optional.empty();
        PrometheusMeterRegistry metrics = metrics();
        // The gateway serves on these event loops too (a function call stays on the loop it arrived on).
        int eventLoops = gateway ? config.gatewayEventLoops() : Math.max(2, Runtime.getRuntime().availableProcessors());
        VertxOptions vertxOptions = new VertxOptions().setEventLoopPoolSize(eventLoops)
                .setPreferNativeTransport(true); // epoll where available (Linux x86-64), else Java NIO
        int spinMicros = gateway ? config.gatewaySpinMicros() : 0;
        Vertx vertx = spinMicros > 0 && io.netty.channel.epoll.Epoll.isAvailable()
                ? Vertx.builder().with(vertxOptions).withTransport(new SpinningEpollTransport(spinMicros * 1_000L).asVertxTransport()).build()
                : Vertx.vertx(vertxOptions);
        LOG.atInfo().addKeyValue("nativeTransport", vertx.isNativeTransportEnabled())
                .addKeyValue("spinMicros", vertx.isNativeTransportEnabled() ? spinMicros : 0).log("event loops ready");
        resources.push(() -> vertx.close().await());
        Optional<ContextService> contexts = Optional.empty();
        if (api || gateway) {
            String session = "tenantry-context-feed-" + config.roles().stream().map(r -> r.name().toLowerCase(java.util.Locale.ROOT))
                    .collect(java.util.stream.Collectors.joining("+")) + "-" + ProcessHandle.current().pid() + "-"
                    + Integer.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextInt(0x1000000));
            ContextService service = ContextService.start(() -> database.openDirect(session),
                    () -> database.dataSource().getConnection(), FeedFollower.Settings.defaults(api), Duration.ofSeconds(30));
            resources.push(service);
            contexts = Optional.of(service);
        }
        byte[] headerKey = masterKey.derive(HEADER_KEY_PURPOSE);
        Optional<Invoker> invoker = config.runs(Config.Role.WORKER)
                ? functions.invoker(vertx, database, clock, resources) : Optional.empty();
        invoker.ifPresent(i -> functionMetrics(metrics, i));
        Optional<ContextService> known = contexts;
        invoker.ifPresent(i -> known.ifPresent(c -> c.index().addListener(i::activated)));
        java.util.concurrent.atomic.AtomicReference<Integer> gatewayPort = new java.util.concurrent.atomic.AtomicReference<>();
        Optional<ApiServer> apiServer = Optional.empty();
        if (api) {
            apiServer = Optional.of(startApi(config, resources, vertx, catalog, provision.orElseThrow().engine(), database,
                    metrics, contexts.orElseThrow(), headerKey,
                    new ApiServer.FunctionsApi(functions.deployer(catalog), functions.logs(database, clock, resources),
                            () -> Optional.ofNullable(gatewayPort.get()), config.baseDomain())));
        }
        Optional<Gateway> gatewayServer = Optional.empty();
        if (gateway) {
            String noRuntime = !config.runs(Config.Role.WORKER)
                    ? "this gateway node does not run the worker role, so it cannot run functions"
                    : "functions are not available on this node (its log says why)";
            gatewayServer = Optional.of(startGateway(config, resources, vertx, contexts.orElseThrow(), metrics, headerKey,
                    new Gateway.Functions(invoker, noRuntime)));
            gatewayPort.set(gatewayServer.get().port());
            if (!api) {
                resources.push(ManagementServer.start(vertx, config, metrics, database::healthy, contexts.orElseThrow()));
            }
        }
        // Only once the API listens: a token shown for a node that failed to start would be lost.
        Optional<String> bootstrap = api
                ? catalog.adminTokens().bootstrap(Actor.system("bootstrap")).map(IssuedSecret::secret) : Optional.empty();
        LOG.atInfo().addKeyValue("roles", config.roles()).addKeyValue("dataDir", config.dataDir().toString())
                .log("node started");
        Node started = new Node(config, resources, catalog, apiServer, gatewayServer, contexts, bootstrap, embedded.isPresent(),
                provision, invoker);
        started.functionsUnavailable = "unavailable: " + functions.unavailable();
        return started;
    }

    private static PrometheusMeterRegistry metrics() {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ClassLoaderMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        return metrics;
    }

    /** The invoker's counters and the pool's state, on /metrics. */
    private static void functionMetrics(PrometheusMeterRegistry metrics, Invoker invoker) {
        io.micrometer.core.instrument.FunctionCounter.builder("tenantry.functions.invocations", invoker, i -> i.stats().invocations())
                .description("function invocations received").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("tenantry.functions.specialisations", invoker, i -> i.stats().specialisations())
                .description("function versions loaded into workers").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("tenantry.functions.timeouts", invoker, i -> i.stats().timeouts())
                .description("invocations stopped at their timeout").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("tenantry.functions.shed", invoker, i -> i.stats().shed())
                .description("invocations refused (429) over a plan's concurrency").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("tenantry.workers.pooled.takes", invoker, i -> i.stats().pool().takenFromPool())
                .description("workers handed over warm from the pool").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("tenantry.workers.direct.starts", invoker, i -> i.stats().pool().startedDirectly())
                .description("workers started on demand because the pool was empty (slower)").register(metrics);
        io.micrometer.core.instrument.Gauge.builder("tenantry.workers.idle", invoker, i -> i.stats().pool().idle() + i.stats().pool().egressIdle())
                .description("generic pre-warmed workers waiting in the pool").register(metrics);
        io.micrometer.core.instrument.Gauge.builder("tenantry.workers.assigned", invoker, i -> i.stats().workers())
                .description("workers assigned to tenants").register(metrics);
    }

    private static Gateway startGateway(Config config, Deque<AutoCloseable> resources, Vertx vertx, ContextService contexts,
                                        PrometheusMeterRegistry metrics, byte[] headerKey, Gateway.Functions functions) {
        List<Cidr> trusted;
        try {
            trusted = config.trustedProxies().stream().map(Cidr::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("trusted-proxies: " + e.getMessage());
        }
        GatewaySettings settings = new GatewaySettings(config.bind(), config.gatewayPort(), trusted, config.tenantHeader(),
                headerKey, 16 * 1024,
                Duration.ofSeconds(config.gatewayIdleTimeoutSeconds()), 1_000);
        Gateway gateway;
        try {
            gateway = Gateway.start(vertx, contexts.index(), settings, metrics, functions);
        } catch (Exception e) { // BindException arrives undeclared through Vert.x's await()
            throw new PlatformException.CannotListen("cannot listen on " + config.bind() + ":" + config.gatewayPort()
                    + " for the gateway: " + e.getMessage() + " (is another program using the port? see --gateway-port)", e);
        }
        resources.push(gateway);
        return gateway;
    }

    private static Database connect(Config config, Optional<EmbeddedDatabase> embedded) {
        if (embedded.isEmpty()) {
            // A data-plane node only reads the catalog: it leaves the schema to the control plane.
            boolean controlPlane = config.runs(Config.Role.API) || config.runs(Config.Role.SCHEDULER);
            return Database.connect(config.databaseUrl().orElseThrow(), config.databaseUser().orElse("postgres"),
                    config.databasePassword().orElse(""), controlPlane ? config.databasePoolSize() : 2, controlPlane);
        }
        EmbeddedDatabase db = embedded.get();
        Database.ensureDatabase(db.jdbcUrl("postgres"), db.user(), db.password(), "tenantry");
        return Database.connect(db.jdbcUrl("tenantry"), db.user(), db.password(), config.databasePoolSize());
    }

    private static ApiServer startApi(Config config, Deque<AutoCloseable> resources, Vertx vertx, Catalog catalog,
                                      Operations operations, Database database, PrometheusMeterRegistry metrics,
                                      ContextService contexts, byte[] headerKey, ApiServer.FunctionsApi functions) {
        ExecutorService handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("api-", 0).factory());
        resources.push(() -> { // after the server stopped accepting: let requests in flight finish
            handlers.shutdown();
            if (!handlers.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                handlers.shutdownNow();
            }
        });
        ApiServer server;
        try {
            server = ApiServer.start(vertx, handlers,
                    new ApiSettings(config.bind(), config.apiPort(), config.maxBodyBytes()), catalog, operations, metrics,
                    database::healthy, contexts, headerKey, functions);
        } catch (Exception e) { // BindException arrives undeclared through Vert.x's await()
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

    /** The gateway's URL, when this node runs the gateway. */
    public Optional<String> gatewayUrl() {
        String host = config.bind().equals("0.0.0.0") ? "127.0.0.1" : config.bind();
        return gateway.map(g -> "http://" + host + ":" + g.port());
    }

    public Optional<Gateway> gateway() {
        return gateway;
    }

    /** This node's tenant contexts (API and gateway nodes). */
    public Optional<ContextService> contexts() {
        return contexts;
    }

    /** What this node offers for functions, for the start banner: pool and sandbox, or why there are none. */
    public Optional<String> functionsStatus() {
        if (!config.runs(Config.Role.WORKER)) {
            return Optional.empty();
        }
        return Optional.of(invoker.map(i -> "sandboxed Node.js workers, " + config.functions().poolSize() + " kept pre-warmed (+"
                        + config.functions().egressPoolSize() + " with network); tenants' functions at <tenant host>/fn/<name>")
                .orElse(functionsUnavailable));
    }

    /** The function invoker, when this node runs the worker role and the sandbox is available. */
    public Optional<Invoker> invoker() {
        return invoker;
    }

    /** The admin token created on this start, present only on a new data directory (shown once). */
    public Optional<String> bootstrapToken() {
        return bootstrapToken;
    }

    public boolean embeddedDatabase() {
        return embedded;
    }

    /** The operation engine (also for tests and benchmarks that follow operations in-process). */
    public Provisioning provisioning() {
        return provision.orElseThrow(() -> new IllegalStateException("this node runs neither the api nor the scheduler role"))
                .engine();
    }

    /** Where tenants' Redis users live, when Redis is part of provisioning. */
    public Optional<String> redisDescription() {
        return provision.flatMap(Wiring.Provision::redis);
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
