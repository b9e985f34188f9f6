package dev.tenantry.platform;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A node's configuration, built once and validated once. Every setting has one name used three
 * ways: the flag {@code --api-port}, the environment variable {@code TENANTRY_API_PORT} and the
 * config-file key {@code api-port}. A flag beats the environment, which beats the file, which
 * beats the default.
 */
public record Config(
        Path dataDir,
        Optional<String> databaseUrl,
        Optional<String> databaseUser,
        Optional<String> databasePassword,
        String bind,
        int apiPort,
        int gatewayPort,
        String baseDomain,
        String region,
        String defaultPlan,
        long maxBodyBytes,
        Set<Role> roles,
        int databasePoolSize,
        Optional<String> tenantDatabaseUrl,
        Optional<String> siloDatabaseUrl,
        Optional<String> redisUrl,
        int provisionThreads,
        int provisionMaxAttempts,
        Map<String, String> databaseServers,
        List<String> trustedProxies,
        String tenantHeader,
        int gatewayEventLoops,
        int gatewaySpinMicros,
        int gatewayIdleTimeoutSeconds,
        FunctionConfig functions) {

    /** What a node does. {@code tenantry up} runs them all. */
    public enum Role { API, SCHEDULER, GATEWAY, WORKER }

    /** Every setting's name, for help texts and for rejecting unknown config-file keys. */
    public static final List<String> NAMES = List.of("data-dir", "database-url", "database-user", "database-password",
            "bind", "api-port", "gateway-port", "base-domain", "region", "default-plan", "max-body-bytes", "roles",
            "database-pool-size", "tenant-database-url", "silo-database-url", "redis-url", "provision-threads",
            "provision-max-attempts", "database-servers", "trusted-proxies", "tenant-header", "gateway-event-loops",
            "gateway-spin-micros", "gateway-idle-timeout-seconds", "runtime-dir", "blob-dir", "node-binary", "bwrap-binary", "worker-pool-size",
            "worker-egress-pool-size", "worker-idle-timeout-seconds", "worker-concurrency", "npm-registry",
            "module-install-scripts", "function-log-lines", "egress-deny");
    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9-]{1,64}");

    private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");

    /**
     * Resolves the settings from flags (already parsed, by setting name), the environment and the
     * config file ({@code --config}, else {@code <data-dir>/tenantry.conf} when it exists).
     */
    public static Config resolve(Map<String, String> flags, Map<String, String> env, Optional<Path> configFile) {
        Map<String, String> values = new HashMap<>();
        Map<String, String> fromEnv = new HashMap<>();
        for (String name : NAMES) {
            String value = env.get("TENANTRY_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
            if (value != null && !value.isBlank()) {
                fromEnv.put(name, value.trim());
            }
        }
        String dataDir = flags.getOrDefault("data-dir", fromEnv.getOrDefault("data-dir", ".tenantry"));
        Optional<Path> file = configFile.or(() -> Optional.of(Path.of(dataDir, "tenantry.conf")).filter(Files::isRegularFile));
        file.ifPresent(f -> values.putAll(readFile(f)));
        values.putAll(fromEnv);
        values.putAll(flags);
        splitCredentials(values);
        return build(values);
    }

    /** {@code postgresql://user:secret@host/db}: user and password move to their own settings (never into messages). */
    private static void splitCredentials(Map<String, String> values) {
        String url = values.get("database-url");
        if (url == null || !(url.startsWith("postgresql://") || url.startsWith("postgres://"))) {
            return;
        }
        int start = url.indexOf("://") + 3;
        int at = url.indexOf('@', start);
        int slash = url.indexOf('/', start);
        if (at < 0 || (slash >= 0 && at > slash)) {
            return;
        }
        String userInfo = url.substring(start, at);
        int colon = userInfo.indexOf(':');
        String user = java.net.URLDecoder.decode(colon < 0 ? userInfo : userInfo.substring(0, colon), java.nio.charset.StandardCharsets.UTF_8);
        values.putIfAbsent("database-user", user);
        if (colon >= 0) {
            values.putIfAbsent("database-password",
                    java.net.URLDecoder.decode(userInfo.substring(colon + 1), java.nio.charset.StandardCharsets.UTF_8));
        }
        values.put("database-url", url.substring(0, start) + url.substring(at + 1));
    }

    private static Map<String, String> readFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("config file " + file + " does not exist or is not a file");
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            props.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage());
        }
        Map<String, String> out = new HashMap<>();
        for (String key : props.stringPropertyNames()) {
            if (!NAMES.contains(key)) {
                throw new ConfigException("config file " + file + ": unknown setting '" + key + "' (known: " + String.join(", ", NAMES) + ")");
            }
            out.put(key, props.getProperty(key).trim());
        }
        return out;
    }

    private static Config build(Map<String, String> v) {
        return new Config(
                Path.of(v.getOrDefault("data-dir", ".tenantry")).toAbsolutePath().normalize(),
                optional(v, "database-url").map(Config::databaseUrl),
                optional(v, "database-user"),
                optional(v, "database-password"),
                v.getOrDefault("bind", "127.0.0.1"),
                port(v, "api-port", 8081),
                port(v, "gateway-port", 8080),
                matching(v, "base-domain", "localhost", HOSTNAME, "a lower-case DNS name such as localhost or saas.example.com"),
                matching(v, "region", "local", LABEL, "1-32 lower-case letters, digits and '-'"),
                matching(v, "default-plan", "free", LABEL, "a plan name such as free"),
                number(v, "max-body-bytes", 1_048_576, 1_024, 67_108_864),
                roles(v.getOrDefault("roles", "api,scheduler,gateway,worker")),
                (int) number(v, "database-pool-size", 16, 2, 200),
                optional(v, "tenant-database-url").map(Config::databaseUrl),
                optional(v, "silo-database-url").map(Config::databaseUrl),
                optional(v, "redis-url").map(Config::redisUrl),
                (int) number(v, "provision-threads", 4, 1, 64),
                (int) number(v, "provision-max-attempts", 5, 1, 100),
                databaseServers(v.getOrDefault("database-servers", "")),
                trustedProxies(v.getOrDefault("trusted-proxies", "")),
                matching(v, "tenant-header", "X-Tenantry-Tenant", HEADER_NAME, "an HTTP header name such as X-Tenantry-Tenant"),
                (int) number(v, "gateway-event-loops", Runtime.getRuntime().availableProcessors(), 1, 256),
                (int) number(v, "gateway-spin-micros", 50, 0, 1000),
                (int) number(v, "gateway-idle-timeout-seconds", 60, 1, 3600),
                functions(v));
    }

    private static FunctionConfig functions(Map<String, String> v) {
        String registry = v.getOrDefault("npm-registry", "https://registry.npmjs.org/");
        if (!registry.matches("https?://[^\\s/?#]+(/[^\\s?#]*)?")) {
            throw new ConfigException("npm-registry must be an http:// or https:// URL such as https://registry.npmjs.org/, not '" + registry + "'");
        }
        String scripts = v.getOrDefault("module-install-scripts", "false");
        if (!scripts.equals("true") && !scripts.equals("false")) {
            throw new ConfigException("module-install-scripts must be true or false, not '" + scripts + "'");
        }
        return new FunctionConfig(
                optional(v, "runtime-dir").map(p -> Path.of(p).toAbsolutePath().normalize()),
                optional(v, "blob-dir").map(p -> Path.of(p).toAbsolutePath().normalize()),
                optional(v, "node-binary").map(Path::of),
                optional(v, "bwrap-binary").map(Path::of),
                (int) number(v, "worker-pool-size", 4, 0, 1_000),
                (int) number(v, "worker-egress-pool-size", 1, 0, 1_000),
                (int) number(v, "worker-idle-timeout-seconds", 300, 1, 86_400),
                (int) number(v, "worker-concurrency", 16, 1, 1_000),
                java.net.URI.create(registry),
                Boolean.parseBoolean(scripts),
                (int) number(v, "function-log-lines", 1_000, 10, 100_000),
                egressDeny(v.getOrDefault("egress-deny", DEFAULT_EGRESS_DENY)));
    }

    /** Private, shared (carrier-grade NAT) and link-local (cloud metadata) IPv4 space. */
    static final String DEFAULT_EGRESS_DENY = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,169.254.0.0/16";

    /** {@code 10.0.0.0/8,169.254.169.254}: IPv4 blocks egress workers may not reach; {@code none} for none. */
    private static List<String> egressDeny(String text) {
        if (text.strip().equals("none")) {
            return List.of();
        }
        List<String> out = new java.util.ArrayList<>();
        for (String entry : text.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String e = entry.strip();
            dev.tenantry.gateway.Cidr block;
            try {
                block = dev.tenantry.gateway.Cidr.parse(e);
            } catch (IllegalArgumentException bad) {
                block = null;
            }
            if (block == null || block.network().length != 4) {
                throw new ConfigException("egress-deny must be IPv4 addresses or CIDR blocks separated by commas"
                        + " (such as 10.0.0.0/8,169.254.169.254), or none; '" + e + "' is not one"
                        + " (egress workers have no IPv6 route at all)");
            }
            if (block.hasHostBits()) {
                throw new ConfigException("egress-deny: '" + e + "' has bits set past its prefix; the block is " + block.canonical());
            }
            out.add(block.canonical()); // in plain decimal: iproute2 reads 010 as octal
        }
        return List.copyOf(out);
    }

    private static Optional<String> optional(Map<String, String> v, String name) {
        return Optional.ofNullable(v.get(name)).filter(s -> !s.isBlank());
    }

    private static String databaseUrl(String url) {
        if (url.startsWith("jdbc:postgresql://")) {
            return url;
        }
        if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
            return "jdbc:postgresql://" + url.substring(url.indexOf("://") + 3);
        }
        throw new ConfigException("database-url must be a PostgreSQL URL (jdbc:postgresql://host:port/db or postgresql://host:port/db), not '" + url + "'");
    }

    /** {@code 10.0.0.0/8,192.168.1.7}: addresses whose tenant header the gateway believes. */
    private static List<String> trustedProxies(String text) {
        List<String> out = new java.util.ArrayList<>();
        for (String entry : text.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String e = entry.strip();
            boolean literal = e.matches("[0-9.]+(/[0-9]{1,2})?") || e.matches("[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?");
            if (!literal) {
                throw new ConfigException("trusted-proxies must be IP addresses or CIDR blocks separated by commas"
                        + " (such as 10.0.0.0/8,127.0.0.1); '" + e + "' is not one");
            }
            out.add(e);
        }
        return List.copyOf(out);
    }

    /** {@code name=url,name=url}: PostgreSQL servers that silo plans may name (plan field databaseServer). */
    private static Map<String, String> databaseServers(String text) {
        Map<String, String> servers = new java.util.LinkedHashMap<>();
        for (String entry : text.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            String name = eq < 0 ? "" : entry.substring(0, eq).trim();
            if (!LABEL.matcher(name).matches() || name.equals("main") || name.equals("silo")) {
                throw new ConfigException("database-servers must be name=postgresql-url pairs separated by commas, with names of"
                        + " lower-case letters, digits and '-' other than main and silo; '" + entry.replaceAll(":[^:@/]*@", ":***@") + "' is not one");
            }
            servers.put(name, databaseUrl(entry.substring(eq + 1).trim()));
        }
        return Map.copyOf(servers);
    }

    private static String redisUrl(String url) {
        if (!url.startsWith("redis://")) {
            throw new ConfigException("redis-url must look like redis://[user:password@]host:port, not '" + url.replaceAll(":[^:@/]*@", ":***@") + "'");
        }
        return url;
    }

    private static int port(Map<String, String> v, String name, int fallback) {
        return (int) number(v, name, fallback, 0, 65_535);
    }

    private static long number(Map<String, String> v, String name, long fallback, long min, long max) {
        String text = v.get(name);
        if (text == null) {
            return fallback;
        }
        try {
            long value = Long.parseLong(text.trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(name + " must be an integer from " + min + " to " + max + ", not '" + text + "'");
    }

    private static String matching(Map<String, String> v, String name, String fallback, Pattern pattern, String what) {
        String value = v.getOrDefault(name, fallback);
        if (!pattern.matcher(value).matches()) {
            throw new ConfigException(name + " must be " + what + ", not '" + value + "'");
        }
        return value;
    }

    private static Set<Role> roles(String text) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String part : text.split(",")) {
            String name = part.trim().toUpperCase(Locale.ROOT);
            if (Arrays.stream(Role.values()).noneMatch(r -> r.name().equals(name))) {
                throw new ConfigException("roles must be a comma-separated list of api, scheduler, gateway, worker; '"
                        + part.trim() + "' is not a role");
            }
            roles.add(Role.valueOf(name));
        }
        return roles;
    }

    /** Whether this node serves the given role. */
    public boolean runs(Role role) {
        return roles.contains(role);
    }
}
