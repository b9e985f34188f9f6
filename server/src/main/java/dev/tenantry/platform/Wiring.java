package dev.tenantry.platform;

import dev.tenantry.catalog.Catalog;
import dev.tenantry.provision.MasterKey;
import dev.tenantry.provision.PgHba;
import dev.tenantry.provision.PostgresDriver;
import dev.tenantry.provision.PostgresServer;
import dev.tenantry.provision.PostgresServers;
import dev.tenantry.provision.ProvisionSettings;
import dev.tenantry.provision.Provisioning;
import dev.tenantry.provision.ResourceDriver;
import dev.tenantry.provision.SecretBox;
import dev.tenantry.provision.Secrets;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/** Builds the provisioning side of a node: master key, secrets, resource drivers, operation engine. */
final class Wiring {
    private Wiring() {}

    /** The engine and a description of where tenants' Redis users live (if anywhere). */
    record Provision(Provisioning engine, Optional<String> redis) {}

    static Provision provisioning(Config config, boolean localServices, Optional<EmbeddedDatabase> embedded, Database database,
                                  Catalog catalog, Clock clock, MasterKey masterKey, Deque<AutoCloseable> resources,
                                  List<com.github.kagkarlsson.scheduler.task.Task<?>> moreTasks) {
        Secrets secrets = Secrets.jdbc(database.jdbi(), SecretBox.of(masterKey), clock);
        List<ResourceDriver> drivers = new ArrayList<>();
        PostgresDriver postgres = PostgresDriver.create(postgresServers(config, embedded));
        postgres.prepare();
        drivers.add(postgres);
        Optional<String> redis = Redis.driver(config, localServices, resources).map(r -> {
            drivers.add(r.driver());
            return r.description();
        });
        String node = config.bind() + ":" + config.apiPort() + "/" + ProcessHandle.current().pid();
        ProvisionSettings settings = new ProvisionSettings(config.provisionThreads(), config.provisionMaxAttempts(),
                Duration.ofMillis(200), Duration.ofSeconds(10), node);
        Provisioning engine = Provisioning.start(new Provisioning.Parts(database.jdbi(), database.dataSource(), catalog, drivers,
                secrets, clock, moreTasks), settings, config.runs(Config.Role.SCHEDULER));
        resources.push(engine);
        return new Provision(engine, redis);
    }

    private static PostgresServers postgresServers(Config config, Optional<EmbeddedDatabase> embedded) {
        if (embedded.isPresent()) {
            EmbeddedDatabase db = embedded.get();
            requirePasswords(db.jdbcUrl("postgres"), db.user(), db.password());
            PostgresServer main = new PostgresServer("main", db.jdbcUrl("postgres"), db.user(), db.password(), "127.0.0.1", db.port());
            PostgresServer silo = config.siloDatabaseUrl().map(url -> server("silo", url, config)).orElse(main);
            return servers(main, silo, "tenantry", config);
        }
        String catalogUrl = config.databaseUrl().orElseThrow();
        PostgresServer main = server("main", config.tenantDatabaseUrl().orElse(catalogUrl), config);
        PostgresServer silo = config.siloDatabaseUrl().map(url -> server("silo", url, config)).orElse(main);
        return servers(main, silo, databaseName(catalogUrl), config);
    }

    private static PostgresServers servers(PostgresServer pool, PostgresServer silo, String catalogDatabase, Config config) {
        List<PostgresServer> extra = config.databaseServers().entrySet().stream()
                .map(e -> server(e.getKey(), e.getValue(), config)).toList();
        return new PostgresServers(pool, silo, PostgresServers.DEFAULT_POOL_DATABASE, catalogDatabase,
                PostgresServers.DEFAULT_POOL_CONNECTION_LIMIT, PostgresServers.DEFAULT_SILO_CONNECTION_LIMIT, extra);
    }

    /** An admin connection to a server given by URL; credentials as for the catalog's database. */
    private static PostgresServer server(String name, String jdbcUrl, Config config) {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        String admin = "jdbc:postgresql://" + uri.getHost() + ":" + port + "/postgres";
        String user = config.databaseUser().orElse("postgres");
        String password = config.databasePassword().orElse("");
        if (uri.getRawUserInfo() != null) { // postgresql://admin:secret@host/db names its own admin
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8);
            password = parts.length > 1 ? java.net.URLDecoder.decode(parts[1], java.nio.charset.StandardCharsets.UTF_8) : "";
        }
        return new PostgresServer(name, admin, user, password, uri.getHost(), port);
    }

    private static String databaseName(String jdbcUrl) {
        String path = URI.create(jdbcUrl.substring("jdbc:".length())).getPath();
        return path == null || path.length() <= 1 ? "postgres" : path.substring(1);
    }

    private static void requirePasswords(String url, String user, String password) {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            PgHba.requirePasswords(c, true);
        } catch (SQLException e) {
            throw new PlatformException.DatabaseUnavailable("cannot secure the embedded PostgreSQL: " + e.getMessage(), e);
        }
    }
}
