package dev.tenantry.provision;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One PostgreSQL server the postgres driver provisions on.
 *
 * @param name          the server's name in bindings and configuration, e.g. {@code main}
 * @param adminUrl      JDBC URL of the server's {@code postgres} database, e.g.
 *                      {@code jdbc:postgresql://127.0.0.1:5432/postgres}
 * @param adminUser     a role that may create roles and databases (a superuser for the embedded server)
 * @param adminPassword its password; empty when the server trusts it
 * @param tenantHost    the host tenants' services connect to
 * @param tenantPort    the port tenants' services connect to
 */
public record PostgresServer(String name, String adminUrl, String adminUser, String adminPassword, String tenantHost, int tenantPort) {
    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?$");

    public PostgresServer {
        require(!name.isBlank(), "postgres server name must not be blank");
        require(URL.matcher(adminUrl).matches(),
                "postgres server " + name + ": admin URL must look like jdbc:postgresql://host:port/postgres (got " + adminUrl + ")");
        require(!adminUser.isBlank(), "postgres server " + name + ": admin user must not be blank");
        require(!tenantHost.isBlank(), "postgres server " + name + ": tenant host must not be blank");
        require(tenantPort > 0 && tenantPort < 65536, "postgres server " + name + ": tenant port must be 1-65535 (got " + tenantPort + ")");
    }

    /** The admin JDBC URL with {@code database} in place of the URL's database. */
    public String adminUrl(String database) {
        Matcher m = URL.matcher(adminUrl);
        if (!m.matches()) {
            throw new IllegalStateException("validated in the constructor");
        }
        return m.group(1) + URLEncoder.encode(database, StandardCharsets.UTF_8) + (m.group(3) == null ? "" : m.group(3));
    }

    /** Where tenants connect, as {@code host:port} (IPv6 hosts in brackets). */
    public String tenantAddress() {
        String host = tenantHost.contains(":") && !tenantHost.startsWith("[") ? "[" + tenantHost + "]" : tenantHost;
        return host + ":" + tenantPort;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public String toString() {
        return "PostgresServer[name=" + name + ", adminUrl=" + adminUrl + ", adminUser=" + adminUser
                + ", adminPassword=" + (adminPassword.isEmpty() ? "" : "***") + ", tenant=" + tenantAddress() + "]";
    }
}
