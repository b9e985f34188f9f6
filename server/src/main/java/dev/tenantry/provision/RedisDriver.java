package dev.tenantry.provision;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ClientKillParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Kind {@code redis}: one ACL user {@code t_<slug>} per tenant, limited to keys and pub/sub
 * channels {@code t:<slug>:*}, in database 0, without dangerous commands. Commands that see other
 * tenants' key or channel names regardless of ACL key patterns (SCAN, RANDOMKEY, DBSIZE, PUBSUB,
 * KEYS) and those that reach other databases (SELECT, MOVE, COPY, SWAPDB) are denied too. After
 * every change the ACL is saved when the server has an ACL file. Close it to release connections.
 */
public final class RedisDriver implements ResourceDriver, AutoCloseable {
    /** The binding kind. */
    public static final String KIND = "redis";
    /** What a tenant user may not run, on top of its key and channel patterns. */
    static final List<String> COMMAND_RULES = List.of(
            "+@all", "-@dangerous", "-@admin", "-@scripting",
            "-keys", "-flushall", "-flushdb", "-config", "-debug", "-acl", "-shutdown", "-monitor", "-module",
            "-client", "+client|setname", "+client|getname", "+client|id",
            "-select", "-move", "-copy", "-swapdb", "-scan", "-randomkey", "-dbsize", "-pubsub");
    private static final int SCAN_BATCH = 1000;
    private static final Duration KEY_DELETION_BUDGET = Duration.ofMinutes(5);
    private static final int TIMEOUT_MILLIS = 5_000;
    private final RedisServer server;
    private final JedisPool pool;

    private RedisDriver(RedisServer server, JedisPool pool) {
        this.server = server;
        this.pool = pool;
    }

    /** A driver for this server; connects lazily, so a server that is down fails the first step, not start-up. */
    public static RedisDriver create(RedisServer server) {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(8);
        config.setMaxIdle(4);
        config.setTestOnBorrow(true);
        config.setMaxWait(Duration.ofMillis(TIMEOUT_MILLIS));
        JedisClientConfig client = clientConfig(server.adminUser(), server.adminPassword(), "tenantry-provision");
        return new RedisDriver(server, new JedisPool(config, new HostAndPort(server.host(), server.port()), client));
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Binding apply(TenantHandle tenant, Secrets secrets) {
        String user = userOf(tenant);
        String password = Passwords.generate();
        List<String> rules = new ArrayList<>(List.of("reset", "on", ">" + password,
                "~" + TenantNames.keyPrefix(tenant) + "*", "&" + TenantNames.keyPrefix(tenant) + "*"));
        rules.addAll(COMMAND_RULES);
        admin("set ACL user " + user, j -> j.aclSetUser(user, rules.toArray(String[]::new)));
        save();
        return new Binding(KIND, server.name(), user, Optional.of(secrets.seal(password)));
    }

    /** Deletes the user (which ends its connections), then every key {@code t:<slug>:*}, in bounded batches. */
    @Override
    public void destroy(TenantHandle tenant) {
        String user = userOf(tenant);
        String prefix = TenantNames.keyPrefix(tenant);
        admin("delete ACL user " + user, j -> j.aclDelUser(user));
        killClients(user);
        save();
        deleteKeys(prefix);
    }

    private void deleteKeys(String prefix) {
        ScanParams params = new ScanParams().match(prefix + "*").count(SCAN_BATCH);
        long deadline = System.nanoTime() + KEY_DELETION_BUDGET.toNanos();
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            String at = cursor;
            ScanResult<String> batch = admin("scan keys " + prefix + "*", j -> j.scan(at, params));
            if (!batch.getResult().isEmpty()) {
                admin("unlink keys " + prefix + "*", j -> j.unlink(batch.getResult().toArray(String[]::new)));
            }
            cursor = batch.getCursor();
        } while (!ScanParams.SCAN_POINTER_START.equals(cursor) && System.nanoTime() < deadline);
        if (!ScanParams.SCAN_POINTER_START.equals(cursor)) {
            throw new ProvisionException("redis server " + server.name() + ": keys " + prefix + "* were not all deleted within "
                    + KEY_DELETION_BUDGET.toMinutes() + " minutes; run the step again to continue");
        }
    }

    @Override
    public void suspend(TenantHandle tenant) {
        String user = userOf(tenant);
        if (userExists(user)) {
            admin("disable ACL user " + user, j -> j.aclSetUser(user, "off"));
            killClients(user);
            save();
        }
    }

    @Override
    public void resume(TenantHandle tenant) {
        String user = requireUser(tenant);
        admin("enable ACL user " + user, j -> j.aclSetUser(user, "on"));
        save();
    }

    @Override
    public Binding rotate(TenantHandle tenant, Secrets secrets) {
        String user = requireUser(tenant);
        String password = Passwords.generate();
        admin("set the password of ACL user " + user, j -> j.aclSetUser(user, "resetpass", ">" + password));
        save();
        return new Binding(KIND, server.name(), user, Optional.of(secrets.seal(password)));
    }

    /**
     * Logs in as the tenant and reads one of its own keys. False when the password, the user or its
     * permissions are wrong; an unreachable server throws, so the caller retries.
     */
    @Override
    public boolean verify(TenantHandle tenant, Binding binding, Secrets secrets) {
        String user = userOf(tenant);
        if (binding.secretRef().isEmpty()) {
            return false;
        }
        JedisClientConfig config = clientConfig(user, secrets.open(binding.secretRef().get()), "tenantry-verify");
        try (Jedis jedis = new Jedis(new HostAndPort(server.host(), server.port()), config)) {
            jedis.exists(TenantNames.keyPrefix(tenant) + "verify");
            return true;
        } catch (JedisAccessControlException e) {
            return false;
        } catch (JedisConnectionException e) {
            if (e.getCause() instanceof JedisAccessControlException) {
                return false;
            }
            throw unreachable("verify " + user, e);
        } catch (JedisException e) {
            return false;
        }
    }

    /** Every ACL user named {@code t_*}, as {@code acl:t_x}. */
    @Override
    public Set<String> inventory() {
        Set<String> found = new LinkedHashSet<>();
        admin("list ACL users", Jedis::aclUsers).stream().filter(u -> u.startsWith("t_")).sorted().forEach(u -> found.add("acl:" + u));
        return found;
    }

    /** {@code url} (redis://user:password@host:port), {@code user}, {@code password}, {@code keyPrefix}. */
    @Override
    public Map<String, Object> credentials(TenantHandle tenant, Binding binding, Secrets secrets) {
        String user = userOf(tenant);
        String ref = binding.secretRef().orElseThrow(() -> new ProvisionException("redis binding " + binding.name() + " has no secret"));
        String password = secrets.open(ref);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("url", "redis://" + user + ":" + password + "@" + server.address());
        out.put("user", user);
        out.put("password", password);
        out.put("keyPrefix", TenantNames.keyPrefix(tenant));
        return out;
    }

    private static String userOf(TenantHandle tenant) {
        TenantNames.keyPrefix(tenant);
        return tenant.resourceName();
    }

    private boolean userExists(String user) {
        return admin("list ACL users", Jedis::aclUsers).contains(user);
    }

    private String requireUser(TenantHandle tenant) {
        String user = userOf(tenant);
        if (!userExists(user)) {
            throw new ProvisionException("redis server " + server.name() + ": ACL user " + user + " does not exist (apply it first)");
        }
        return user;
    }

    private void killClients(String user) {
        try (Jedis j = borrow("end the connections of " + user)) {
            j.clientKill(ClientKillParams.clientKillParams().user(user));
        } catch (JedisDataException e) {
            if (!e.getMessage().contains("No such user")) {
                throw failed("end the connections of " + user, e);
            }
        } catch (JedisConnectionException e) {
            throw unreachable("end the connections of " + user, e);
        }
    }

    /** Persists the ACL when the server has an ACL file; a server without one keeps users in memory (its choice). */
    private void save() {
        try (Jedis j = borrow("save the ACL")) {
            j.aclSave();
        } catch (JedisDataException e) {
            if (!e.getMessage().contains("not configured to use an ACL file")) {
                throw failed("save the ACL", e);
            }
        } catch (JedisConnectionException e) {
            throw unreachable("save the ACL", e);
        }
    }

    private <T> T admin(String what, Function<Jedis, T> command) {
        try (Jedis j = borrow(what)) {
            return command.apply(j);
        } catch (JedisConnectionException e) {
            throw unreachable(what, e);
        } catch (JedisException e) {
            throw failed(what, e);
        }
    }

    private Jedis borrow(String what) {
        try {
            return pool.getResource();
        } catch (JedisException e) {
            throw unreachable(what, e);
        }
    }

    private ProvisionException unreachable(String what, JedisException e) {
        return new ProvisionException("redis server " + server.name() + " at " + server.address() + " is unreachable: cannot "
                + what + ": " + rootMessage(e), e);
    }

    private ProvisionException failed(String what, JedisException e) {
        return new ProvisionException("redis server " + server.name() + ": cannot " + what + ": " + e.getMessage(), e);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        for (int depth = 0; t.getCause() != null && depth < 10; depth++) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static JedisClientConfig clientConfig(String user, String password, String clientName) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .user(user)
                .connectionTimeoutMillis(TIMEOUT_MILLIS)
                .socketTimeoutMillis(TIMEOUT_MILLIS)
                .clientName(clientName);
        if (!password.isEmpty()) {
            b.password(password);
        }
        return b.build();
    }

    @Override
    public void close() {
        pool.close();
    }
}
