package dev.tenantry.provision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantry.catalog.Tier;
import dev.tenantry.testsupport.TestRedis;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;

/**
 * The redis driver against a real redis-server: tenants connect with their own credentials, and
 * every denial is asserted by the server's NOPERM / WRONGPASS answer.
 */
class RedisIsolationTest {
    static TestRedis redis;
    static RedisDriver driver;
    static Secrets secrets;
    static TenantHandle a;
    static TenantHandle b;
    static final Map<String, Binding> bindings = new ConcurrentHashMap<>();
    static final List<TenantHandle> made = new ArrayList<>();

    @BeforeAll
    static void provision() {
        redis = TestRedis.start();
        secrets = ProvisionFixtures.secrets(ProvisionFixtures.jdbi(ProvisionFixtures.migratedCatalog()));
        driver = RedisDriver.create(RedisServer.fromUrl("main", redis.url()));
        a = make("ra", Tier.POOL);
        b = make("rb", Tier.SILO);
    }

    @AfterAll
    static void cleanUp() {
        if (driver != null) {
            made.forEach(driver::destroy);
            driver.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    static TenantHandle make(String prefix, Tier tier) {
        TenantHandle t = ProvisionFixtures.tenant(prefix, tier);
        made.add(t);
        bindings.put(t.slug(), driver.apply(t, secrets));
        return t;
    }

    static Map<String, Object> creds(TenantHandle t) {
        return driver.credentials(t, bindings.get(t.slug()), secrets);
    }

    /** A connection as the tenant, made from its credentials URL. */
    static Jedis as(TenantHandle t) {
        Jedis j = new Jedis(URI.create((String) creds(t).get("url")));
        j.ping();
        return j;
    }

    static String key(TenantHandle t, String rest) {
        return "t:" + t.slug() + ":" + rest;
    }

    record Cmd(String name) implements ProtocolCommand {
        @Override
        public byte[] getRaw() {
            return name.getBytes(StandardCharsets.UTF_8);
        }
    }

    static void assertNoPerm(Jedis j, String... command) {
        String[] args = java.util.Arrays.copyOfRange(command, 1, command.length);
        assertThatThrownBy(() -> j.sendCommand(new Cmd(command[0]), args)).as(String.join(" ", command))
                .isInstanceOf(JedisAccessControlException.class).hasMessageStartingWith("NOPERM");
    }

    static void assertLoginRefused(String user, String password) {
        assertThatThrownBy(() -> {
            try (Jedis j = new Jedis(redis.host(), redis.port())) {
                j.auth(user, password);
            }
        }).isInstanceOf(JedisAccessControlException.class).hasMessageStartingWith("WRONGPASS");
    }

    @Test
    void tenant_reads_and_writes_its_own_keys() {
        try (Jedis j = as(a)) {
            j.set(key(a, "greeting"), "hello");
            j.hset(key(a, "user:1"), "name", "Ada");
            j.incr(key(a, "counter"));
            j.expire(key(a, "counter"), 60);
            j.rename(key(a, "greeting"), key(a, "hi"));
            assertThat(j.get(key(a, "hi"))).isEqualTo("hello");
            assertThat(j.hget(key(a, "user:1"), "name")).isEqualTo("Ada");
            assertThat(j.mget(key(a, "hi"), key(a, "counter"))).containsExactly("hello", "1");
            assertThat(j.clientSetname("worker-1")).isEqualTo("OK");
        }
    }

    @Test
    void tenant_cannot_read_or_write_another_tenants_keys() {
        try (Jedis jb = as(b)) {
            jb.set(key(b, "secret"), "b-only");
        }
        try (Jedis j = as(a)) {
            j.set(key(a, "mine"), "1");
            assertNoPerm(j, "GET", key(b, "secret"));
            assertNoPerm(j, "SET", key(b, "secret"), "overwritten");
            assertNoPerm(j, "DEL", key(b, "secret"));
            assertNoPerm(j, "EXISTS", key(b, "secret"));
            assertNoPerm(j, "MGET", key(a, "mine"), key(b, "secret"));
            assertNoPerm(j, "RENAME", key(a, "mine"), key(b, "stolen"));
            assertNoPerm(j, "GET", "unprefixed");
            assertNoPerm(j, "SET", "t:" + a.slug() + "-x:outside", "1");
        }
        try (Jedis admin = redis.admin()) {
            assertThat(admin.get(key(b, "secret"))).isEqualTo("b-only");
            assertThat(admin.exists(key(b, "stolen"))).isFalse();
        }
    }

    @Test
    void tenant_cannot_subscribe_or_publish_to_another_tenants_channels() throws InterruptedException {
        try (Jedis j = as(a)) {
            assertNoPerm(j, "SUBSCRIBE", key(b, "news"));
            assertNoPerm(j, "PSUBSCRIBE", key(b, "*"));
            assertNoPerm(j, "PSUBSCRIBE", "*");
            assertNoPerm(j, "PUBLISH", key(b, "news"), "spoofed");
            assertNoPerm(j, "SSUBSCRIBE", key(b, "news"));
        }
        CountDownLatch subscribed = new CountDownLatch(1);
        CountDownLatch received = new CountDownLatch(1);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onSubscribe(String channel, int count) {
                subscribed.countDown();
            }

            @Override
            public void onMessage(String channel, String message) {
                if (message.equals("ping")) {
                    received.countDown();
                }
                unsubscribe();
            }
        };
        Thread t = Thread.ofVirtual().start(() -> {
            try (Jedis j = as(a)) {
                j.subscribe(listener, key(a, "news"));
            }
        });
        assertThat(subscribed.await(5, TimeUnit.SECONDS)).as("subscribed to its own channel").isTrue();
        try (Jedis admin = redis.admin()) {
            admin.publish(key(a, "news"), "ping");
        }
        assertThat(received.await(5, TimeUnit.SECONDS)).as("received on its own channel").isTrue();
        t.join(5_000);
    }

    @Test
    void tenant_cannot_run_dangerous_or_enumerating_commands() {
        try (Jedis j = as(a)) {
            List<String[]> forbidden = List.of(
                    new String[] {"FLUSHALL"}, new String[] {"FLUSHDB"}, new String[] {"CONFIG", "GET", "*"},
                    new String[] {"CONFIG", "SET", "maxmemory", "1"}, new String[] {"KEYS", key(a, "*")},
                    new String[] {"EVAL", "return 1", "0"}, new String[] {"EVALSHA", "0000000000000000000000000000000000000000", "0"},
                    new String[] {"SCRIPT", "FLUSH"}, new String[] {"FUNCTION", "LIST"}, new String[] {"DEBUG", "SLEEP", "0"},
                    new String[] {"ACL", "LIST"}, new String[] {"ACL", "SETUSER", a.resourceName(), "~*"}, new String[] {"ACL", "WHOAMI"},
                    new String[] {"SHUTDOWN", "NOSAVE"}, new String[] {"MONITOR"}, new String[] {"MODULE", "LIST"},
                    new String[] {"SCAN", "0"}, new String[] {"RANDOMKEY"}, new String[] {"DBSIZE"}, new String[] {"SELECT", "1"},
                    new String[] {"SWAPDB", "0", "1"}, new String[] {"MOVE", key(a, "k"), "1"},
                    new String[] {"COPY", key(a, "k"), key(a, "k2"), "DB", "1"}, new String[] {"PUBSUB", "CHANNELS"},
                    new String[] {"CLIENT", "LIST"}, new String[] {"CLIENT", "KILL", "USER", b.resourceName()},
                    new String[] {"INFO"}, new String[] {"SAVE"}, new String[] {"BGSAVE"}, new String[] {"REPLICAOF", "NO", "ONE"},
                    new String[] {"SLOWLOG", "GET"}, new String[] {"SORT", key(a, "list")});
            forbidden.forEach(c -> assertNoPerm(j, c));
            assertThat(j.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void a_wrong_password_or_another_tenants_password_is_refused() {
        assertLoginRefused(a.resourceName(), "not-the-password");
        assertLoginRefused(a.resourceName(), (String) creds(b).get("password"));
        assertLoginRefused("default", (String) creds(a).get("password"));
    }

    @Test
    void credentials_and_verify_describe_the_tenants_user() {
        Map<String, Object> c = creds(a);
        assertThat(c).containsEntry("user", a.resourceName()).containsEntry("keyPrefix", "t:" + a.slug() + ":")
                .containsEntry("url", "redis://" + a.resourceName() + ":" + c.get("password") + "@127.0.0.1:" + redis.port());
        assertThat((String) c.get("password")).hasSizeGreaterThanOrEqualTo(32);
        assertThat(driver.verify(a, bindings.get(a.slug()), secrets)).isTrue();
        assertThat(driver.verify(a, bindings.get(b.slug()), secrets)).isFalse();
        assertThat(driver.verify(a, new Binding("redis", "main", a.resourceName(), Optional.empty()), secrets)).isFalse();
        assertThat(driver.inventory()).contains("acl:" + a.resourceName(), "acl:" + b.resourceName()).allMatch(s -> s.startsWith("acl:t_"));
        assertThat(bindings.get(a.slug())).satisfies(bd -> {
            assertThat(bd.kind()).isEqualTo("redis");
            assertThat(bd.server()).isEqualTo("main");
            assertThat(bd.name()).isEqualTo(a.resourceName());
        });
    }

    @Test
    void suspend_ends_sessions_and_refuses_logins_and_resume_restores_them() {
        TenantHandle t = make("rs", Tier.POOL);
        Map<String, Object> c = creds(t);
        try (Jedis open = as(t)) {
            open.set(key(t, "k"), "v");
            driver.suspend(t);
            assertThatThrownBy(() -> open.get(key(t, "k"))).isInstanceOf(JedisConnectionException.class);
        }
        assertLoginRefused(t.resourceName(), (String) c.get("password"));
        driver.suspend(t);
        driver.resume(t);
        driver.resume(t);
        try (Jedis again = as(t)) {
            assertThat(again.get(key(t, "k"))).isEqualTo("v");
        }
    }

    @Test
    void rotate_retires_the_old_password() {
        TenantHandle t = make("rr", Tier.POOL);
        String old = (String) creds(t).get("password");
        Binding rotated = driver.rotate(t, secrets);
        assertThat(rotated.secretRef()).isNotEqualTo(bindings.get(t.slug()).secretRef());
        bindings.put(t.slug(), rotated);
        assertLoginRefused(t.resourceName(), old);
        try (Jedis j = as(t)) {
            j.set(key(t, "after"), "rotation");
            assertNoPerm(j, "GET", key(a, "mine"));
        }
    }

    @Test
    void apply_twice_keeps_the_keys_and_the_newest_password() {
        TenantHandle t = make("rt", Tier.POOL);
        try (Jedis j = as(t)) {
            j.set(key(t, "kept"), "yes");
        }
        Binding first = bindings.get(t.slug());
        bindings.put(t.slug(), driver.apply(t, secrets));
        assertLoginRefused(t.resourceName(), secrets.open(first.secretRef().orElseThrow()));
        try (Jedis j = as(t)) {
            assertThat(j.get(key(t, "kept"))).isEqualTo("yes");
            assertNoPerm(j, "FLUSHALL");
        }
        try (Jedis admin = redis.admin()) {
            assertThat(admin.aclUsers().stream().filter(u -> u.equals(t.resourceName()))).hasSize(1);
        }
    }

    @Test
    void destroy_removes_the_user_and_every_key_and_spares_other_tenants() {
        TenantHandle t = make("rd", Tier.POOL);
        String password = (String) creds(t).get("password");
        try (Jedis admin = redis.admin()) {
            for (int i = 0; i < 2_500; i++) {
                admin.set(key(t, "item:" + i), "x");
            }
            admin.set(key(b, "survivor"), "here");
            admin.set("t:" + t.slug() + "-other:key", "not this tenant's");
        }
        Jedis open = as(t);
        driver.destroy(t);
        assertThatThrownBy(() -> open.get(key(t, "item:1"))).isInstanceOf(JedisException.class);
        open.close();
        assertThat(driver.inventory()).doesNotContain("acl:" + t.resourceName()).contains("acl:" + b.resourceName());
        assertLoginRefused(t.resourceName(), password);
        try (Jedis admin = redis.admin()) {
            assertThat(admin.scan("0", new ScanParams().match("t:" + t.slug() + ":*").count(10_000)).getResult()).isEmpty();
            assertThat(admin.dbSize()).isGreaterThan(0);
            assertThat(admin.get(key(b, "survivor"))).isEqualTo("here");
            assertThat(admin.get("t:" + t.slug() + "-other:key")).isEqualTo("not this tenant's");
            assertThat(admin.aclUsers()).doesNotContain(t.resourceName());
        }
        driver.destroy(t);
        assertThat(driver.verify(b, bindings.get(b.slug()), secrets)).isTrue();
    }

    @Test
    void tenant_users_survive_a_restart_through_the_acl_file() throws Exception {
        try (TestRedis own = TestRedis.start(); RedisDriver d = RedisDriver.create(RedisServer.fromUrl("own", own.url()))) {
            TenantHandle t = ProvisionFixtures.tenant("rp", Tier.POOL);
            Binding binding = d.apply(t, secrets);
            assertThat(Files.readString(own.aclFile())).contains("user " + t.resourceName() + " on");
            own.stop();
            own.startAgain();
            assertThat(d.verify(t, binding, secrets)).isTrue();
            d.destroy(t);
            assertThat(Files.readString(own.aclFile())).doesNotContain(t.resourceName());
        }
    }

    @Test
    void an_unreachable_server_fails_with_a_clear_reason_and_works_again_when_back() {
        try (TestRedis own = TestRedis.start(); RedisDriver d = RedisDriver.create(RedisServer.fromUrl("own", own.url()))) {
            TenantHandle t = ProvisionFixtures.tenant("ru", Tier.POOL);
            own.stop();
            assertThatThrownBy(() -> d.apply(t, secrets)).isInstanceOf(ProvisionException.class)
                    .hasMessageContaining("redis server own at 127.0.0.1:" + own.port() + " is unreachable");
            assertThatThrownBy(d::inventory).isInstanceOf(ProvisionException.class).hasMessageContaining("unreachable");
            own.startAgain();
            Binding binding = d.apply(t, secrets);
            assertThat(d.verify(t, binding, secrets)).isTrue();
            d.destroy(t);
            assertThat(d.inventory()).isEmpty();
        }
    }

    @Test
    void redis_urls_are_parsed_and_passwords_never_printed() {
        RedisServer s = RedisServer.fromUrl("main", "redis://ops:s3cret@redis.internal:6380");
        assertThat(s).extracting(RedisServer::host, RedisServer::port, RedisServer::adminUser, RedisServer::adminPassword)
                .containsExactly("redis.internal", 6380, "ops", "s3cret");
        assertThat(s.toString()).doesNotContain("s3cret");
        assertThat(RedisServer.fromUrl("m", "redis://:pw@localhost").adminUser()).isEqualTo("default");
        assertThat(RedisServer.fromUrl("m", "redis://localhost").port()).isEqualTo(6379);
        assertThatThrownBy(() -> RedisServer.fromUrl("m", "redis://localhost:6379/3")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("database 3");
        assertThatThrownBy(() -> RedisServer.fromUrl("m", "http://localhost")).isInstanceOf(IllegalArgumentException.class);
    }
}
