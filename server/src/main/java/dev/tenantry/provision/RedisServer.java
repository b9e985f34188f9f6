package dev.tenantry.provision;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The Redis server the redis driver provisions ACL users on. Tenants use its database 0.
 *
 * @param name          the server's name in bindings, e.g. {@code main}
 * @param host          where it listens (admin and tenants alike)
 * @param port          its port
 * @param adminUser     a user allowed to run ACL, CLIENT KILL, SCAN and UNLINK ({@code default} if unnamed)
 * @param adminPassword that user's password; empty when it has none
 */
public record RedisServer(String name, String host, int port, String adminUser, String adminPassword) {

    public RedisServer {
        if (name.isBlank()) {
            throw new IllegalArgumentException("redis server name must not be blank");
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("redis server " + name + ": host must not be blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("redis server " + name + ": port must be 1-65535 (got " + port + ")");
        }
        if (adminUser.isBlank()) {
            throw new IllegalArgumentException("redis server " + name + ": admin user must not be blank (use default)");
        }
    }

    /**
     * A server from a URL such as {@code redis://user:password@host:6379} ({@code redis://:password@host}
     * for the default user; port 6379 when absent). The URL must not select a database other than 0.
     */
    public static RedisServer fromUrl(String name, String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("redis URL is malformed: " + e.getMessage());
        }
        if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("redis URL must look like redis://[user:password@]host[:port] (got scheme "
                    + uri.getScheme() + ", host " + uri.getHost() + ")");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (!path.isEmpty() && !path.equals("/") && !path.equals("/0")) {
            throw new IllegalArgumentException("redis URL selects database " + path.substring(1) + "; tenants use database 0, so leave it out");
        }
        String user = "default";
        String password = "";
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            String rawUser = colon < 0 ? "" : info.substring(0, colon);
            String rawPassword = colon < 0 ? info : info.substring(colon + 1);
            user = rawUser.isEmpty() ? "default" : URLDecoder.decode(rawUser, StandardCharsets.UTF_8);
            password = URLDecoder.decode(rawPassword, StandardCharsets.UTF_8);
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        return new RedisServer(name, host, uri.getPort() < 0 ? 6379 : uri.getPort(), user, password);
    }

    /** Where tenants connect, as {@code host:port} (IPv6 hosts in brackets). */
    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return "RedisServer[name=" + name + ", address=" + address() + ", adminUser=" + adminUser
                + ", adminPassword=" + (adminPassword.isEmpty() ? "" : "***") + "]";
    }
}
