package dev.tenantry.platform;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The node settings as flags; {@link Config} merges them with the environment and config file. */
final class NodeOptions {
    @Option(names = "--config", description = "config file of 'setting = value' lines (default: <data-dir>/tenantry.conf if present)")
    Path configFile;
    @Option(names = "--data-dir", description = "data directory (default ./.tenantry)")
    String dataDir;
    @Option(names = "--database-url", description = "external PostgreSQL 15+ (jdbc:postgresql://... or postgresql://...); default: embedded")
    String databaseUrl;
    @Option(names = "--database-user", description = "user for --database-url")
    String databaseUser;
    @Option(names = "--database-password", description = "password for --database-url (prefer TENANTRY_DATABASE_PASSWORD)")
    String databasePassword;
    @Option(names = "--bind", description = "address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    String bind;
    @Option(names = "--api-port", description = "control-plane API port (default 8081; 0 = any free port)")
    String apiPort;
    @Option(names = "--gateway-port", description = "gateway port (default 8080)")
    String gatewayPort;
    @Option(names = "--base-domain", description = "tenants' hostnames are <slug>.<base-domain> (default localhost)")
    String baseDomain;
    @Option(names = "--region", description = "region of tenants created without one (default local)")
    String region;
    @Option(names = "--default-plan", description = "plan of tenants created without one (default free)")
    String defaultPlan;
    @Option(names = "--max-body-bytes", description = "larger request bodies get 413 (default 1048576)")
    String maxBodyBytes;
    @Option(names = "--database-pool-size", description = "catalog connection pool size (default 16)")
    String databasePoolSize;
    @Option(names = "--tenant-database-url", description = "PostgreSQL server for tenants' databases, as an admin (default: the catalog's server)")
    String tenantDatabaseUrl;
    @Option(names = "--silo-database-url", description = "PostgreSQL server for silo tenants' databases (default: --tenant-database-url)")
    String siloDatabaseUrl;
    @Option(names = "--database-servers", description = "more PostgreSQL servers silo plans may name: name=url,name=url")
    String databaseServers;
    @Option(names = "--redis-url", description = "Redis 7 for tenants' ACL users, redis://user:password@host:port (default: up starts a local redis-server if one is installed)")
    String redisUrl;
    @Option(names = "--provision-threads", description = "operations of different tenants run at once on this node (default 4)")
    String provisionThreads;
    @Option(names = "--provision-max-attempts", description = "tries of a failing step before its operation fails (default 5)")
    String provisionMaxAttempts;

    @Option(names = "--trusted-proxies", description = "front proxies (IPs/CIDRs, comma-separated) whose --tenant-header the gateway believes (default none)")
    String trustedProxies;
    @Option(names = "--tenant-header", description = "header a trusted front proxy names the tenant in, by slug or id (default X-Tenantry-Tenant)")
    String tenantHeader;
    @Option(names = "--gateway-event-loops", description = "gateway event loops (default: the number of cores)")
    String gatewayEventLoops;

    @Option(names = "--gateway-spin-micros", description = "how long an event loop polls before it sleeps, after each wake-up (default: 50; 0: never)")
    String gatewaySpinMicros;
    @Option(names = "--gateway-idle-timeout-seconds", description = "gateway closes connections silent this long, also mid-headers (default 60)")
    String gatewayIdleTimeoutSeconds;
    @Option(names = "--runtime-dir", description = "workers' sockets and the unpacked module store; every directory above it must be open to other users (default <data-dir>/runtime, or one under /var/tmp)")
    String runtimeDir;
    @Option(names = "--blob-dir", description = "built modules, content-addressed; share it between nodes (default <data-dir>/blobs)")
    String blobDir;
    @Option(names = "--node-binary", description = "Node.js 20+ for functions (default: node on the PATH)")
    String nodeBinary;
    @Option(names = "--bwrap-binary", description = "bubblewrap for sandboxes (default: bwrap on the PATH)")
    String bwrapBinary;
    @Option(names = "--worker-pool-size", description = "pre-warmed generic workers without network (default 4)")
    String workerPoolSize;
    @Option(names = "--worker-egress-pool-size", description = "pre-warmed workers with network, for plans that allow egress (default 1)")
    String workerEgressPoolSize;
    @Option(names = "--worker-idle-timeout-seconds", description = "a tenant's unused worker is stopped after this long (default 300)")
    String workerIdleTimeoutSeconds;
    @Option(names = "--worker-concurrency", description = "requests one worker serves at once before its tenant gets another (default 16)")
    String workerConcurrency;
    @Option(names = "--npm-registry", description = "where function dependencies come from (default https://registry.npmjs.org/)")
    String npmRegistry;
    @Option(names = "--module-install-scripts", description = "run npm install scripts when building modules: true or false (default false)")
    String moduleInstallScripts;
    @Option(names = "--function-log-lines", description = "log lines kept per function (default 1000)")
    String functionLogLines;
    @Option(names = "--egress-deny", description = "IPv4 blocks (comma-separated) egress workers may not reach, or none"
            + " (default private, CGNAT and link-local space)")
    String egressDeny;

    Config resolve(Map<String, String> env, Optional<String> roles) {
        Map<String, String> flags = new HashMap<>();
        put(flags, "data-dir", dataDir);
        put(flags, "database-url", databaseUrl);
        put(flags, "database-user", databaseUser);
        put(flags, "database-password", databasePassword);
        put(flags, "bind", bind);
        put(flags, "api-port", apiPort);
        put(flags, "gateway-port", gatewayPort);
        put(flags, "base-domain", baseDomain);
        put(flags, "region", region);
        put(flags, "default-plan", defaultPlan);
        put(flags, "max-body-bytes", maxBodyBytes);
        put(flags, "database-pool-size", databasePoolSize);
        put(flags, "tenant-database-url", tenantDatabaseUrl);
        put(flags, "silo-database-url", siloDatabaseUrl);
        put(flags, "redis-url", redisUrl);
        put(flags, "database-servers", databaseServers);
        put(flags, "provision-threads", provisionThreads);
        put(flags, "provision-max-attempts", provisionMaxAttempts);
        put(flags, "trusted-proxies", trustedProxies);
        put(flags, "tenant-header", tenantHeader);
        put(flags, "gateway-event-loops", gatewayEventLoops);
        put(flags, "gateway-spin-micros", gatewaySpinMicros);
        put(flags, "gateway-idle-timeout-seconds", gatewayIdleTimeoutSeconds);
        put(flags, "runtime-dir", runtimeDir);
        put(flags, "blob-dir", blobDir);
        put(flags, "node-binary", nodeBinary);
        put(flags, "bwrap-binary", bwrapBinary);
        put(flags, "worker-pool-size", workerPoolSize);
        put(flags, "worker-egress-pool-size", workerEgressPoolSize);
        put(flags, "worker-idle-timeout-seconds", workerIdleTimeoutSeconds);
        put(flags, "worker-concurrency", workerConcurrency);
        put(flags, "npm-registry", npmRegistry);
        put(flags, "module-install-scripts", moduleInstallScripts);
        put(flags, "function-log-lines", functionLogLines);
        put(flags, "egress-deny", egressDeny);
        roles.ifPresent(r -> flags.put("roles", r));
        return Config.resolve(flags, env, Optional.ofNullable(configFile));
    }

    private static void put(Map<String, String> flags, String name, String value) {
        if (value != null) {
            flags.put(name, value);
        }
    }
}
