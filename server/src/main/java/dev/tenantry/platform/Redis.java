package dev.tenantry.platform;

import dev.tenantry.provision.RedisDriver;
import dev.tenantry.provision.RedisServer;
import dev.tenantry.provision.ResourceDriver;
import java.nio.file.Path;
import java.util.Deque;
import java.util.Optional;

/**
 * Which Redis tenants get their ACL users on: the one {@code --redis-url} names, or else (for
 * {@code tenantry up}) a local redis-server started in the data directory when one is installed.
 * Without either, tenants simply get no Redis user.
 */
final class Redis {
    private Redis() {}

    record Choice(ResourceDriver driver, String description) {}

    static Optional<Choice> driver(Config config, boolean localServices, Deque<AutoCloseable> resources) {
        if (config.redisUrl().isPresent()) {
            return Optional.of(choice(config.redisUrl().get(), "configured Redis at " + hostOf(config.redisUrl().get()), resources));
        }
        if (!localServices) {
            return Optional.empty();
        }
        Optional<Path> binary = LocalRedis.binary();
        if (binary.isEmpty()) {
            return Optional.empty();
        }
        LocalRedis local = LocalRedis.start(binary.get(), config.dataDir().resolve("redis"));
        resources.push(local);
        return Optional.of(choice(local.url(), "local redis-server on 127.0.0.1:" + local.port()
                + " (data in " + config.dataDir().resolve("redis") + ")", resources));
    }

    private static Choice choice(String url, String description, Deque<AutoCloseable> resources) {
        RedisDriver driver = RedisDriver.create(RedisServer.fromUrl("main", url));
        resources.push(driver);
        return new Choice(driver, description);
    }

    private static String hostOf(String url) {
        return url.replaceAll("^redis://([^@]*@)?", "").replaceAll("/.*$", "");
    }
}
