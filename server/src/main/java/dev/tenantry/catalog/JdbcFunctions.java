package dev.tenantry.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** {@link Functions} on PostgreSQL; every change is audited in its own transaction. */
final class JdbcFunctions implements Functions {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final int MAX_ENV = 100;
    private static final int MAX_VALUE = 4_096;
    private static final String VERSION_COLUMNS = """
            tenant_id, name, version, state, error, entry, code_sha256, code_bytes, dependencies::text as deps,
            modules::text as mods, env::text as env_json, secret_names, timeout_ms, memory_mb, created_at, created_by""";
    private final Jdbi jdbi;
    private final Clock clock;
    private final Audit audit;

    JdbcFunctions(Jdbi jdbi, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public Version deploy(String tenantRef, NewVersion v, Actor actor) {
        return jdbi.inTransaction(h -> {
            Tenant tenant = TenantRows.editable(h, tenantRef, "deploy a function to", true);
            Plan plan = plan(h, tenant.plan());
            check(plan, v);
            Optional<Function> existing = find(h, tenant.id(), v.name(), true);
            if (existing.isEmpty() && count(h, tenant.id()) >= MAX_FUNCTIONS) {
                throw CatalogException.InvalidInput.of("name", "tenant " + tenant.slug() + " has " + MAX_FUNCTIONS
                        + " functions already, the most a tenant may have");
            }
            int number = existing.map(f -> f.latestVersion() + 1).orElseGet(() -> retired(h, tenant.id(), v.name()) + 1);
            Optional<Version> previous = existing.map(f -> readVersion(h, tenant.id(), v.name(), f.latestVersion()));
            Map<String, String> env = v.env().orElse(previous.map(Version::env).orElse(Map.of()));
            Optional<SealedSecrets> secrets = v.secrets().or(() -> previous.flatMap(p -> sealed(h, p)));
            boolean ready = modulesAvailable(h, v.modules());
            var now = Sql.timestamp(clock.instant());
            if (existing.isEmpty()) {
                h.createUpdate("insert into functions (tenant_id, name, latest_version, created_at, updated_at) values (:t, :n, 0, :now, :now)")
                        .bind("t", tenant.id()).bind("n", v.name()).bind("now", now).execute();
            }
            h.createUpdate("""
                    insert into function_versions (tenant_id, name, version, state, entry, files, code_sha256, code_bytes,
                        dependencies, modules, env, secret_names, secrets_nonce, secrets, timeout_ms, memory_mb, created_at, created_by)
                    values (:t, :n, :v, :state, :entry, cast(:files as jsonb), :sha, :bytes, cast(:deps as jsonb),
                        cast(:mods as jsonb), cast(:env as jsonb), :secretNames, :nonce, :secrets, :timeout, :memory, :now, :by)""")
                    .bind("t", tenant.id()).bind("n", v.name()).bind("v", number).bind("state", ready ? "ready" : "pending")
                    .bind("entry", v.entry()).bind("files", Json.write(v.files())).bind("sha", v.codeSha256())
                    .bind("bytes", v.codeBytes()).bind("deps", Json.write(v.dependencies())).bind("mods", Json.write(v.modules()))
                    .bind("env", Json.write(env))
                    .bind("secretNames", secrets.map(s -> s.names().toArray(String[]::new)).orElse(new String[0]))
                    .bind("nonce", secrets.map(SealedSecrets::nonce).orElse(null))
                    .bind("secrets", secrets.map(SealedSecrets::ciphertext).orElse(null))
                    .bind("timeout", v.timeoutMs().orElse(plan.timeoutMs()))
                    .bind("memory", v.memoryMb().orElse(plan.memoryMb())).bind("now", now).bind("by", actor.name())
                    .execute();
            h.createUpdate("""
                    update functions set latest_version = :v, updated_at = :now,
                        active_version = case when :ready then :v else active_version end
                    where tenant_id = :t and name = :n""")
                    .bind("v", number).bind("ready", ready).bind("now", now).bind("t", tenant.id()).bind("n", v.name()).execute();
            Map<String, Object> changes = new LinkedHashMap<>();
            changes.put("version", number);
            changes.put("codeSha256", v.codeSha256());
            changes.put("modules", v.modules());
            changes.put("secretNames", secrets.map(SealedSecrets::names).orElse(List.of()));
            audit.record(h, actor, "function.deploy", "function", v.name(), tenant.id(), changes);
            return readVersion(h, tenant.id(), v.name(), number);
        });
    }

    private static void check(Plan plan, NewVersion v) {
        List<FieldError> errors = new ArrayList<>();
        if (v.name() == null || !NAME.matcher(v.name()).matches()) {
            errors.add(new FieldError("name", "must be 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"));
        }
        if (!v.files().containsKey(v.entry())) {
            errors.add(new FieldError("entry", "'" + v.entry() + "' is not one of the deployed files"));
        }
        v.env().ifPresent(env -> variables("env", env, errors));
        v.secrets().ifPresent(s -> s.names().forEach(name -> {
            if (!VARIABLE.matcher(name).matches()) {
                errors.add(new FieldError("secrets." + name, "secret names must match [A-Za-z_][A-Za-z0-9_]*"));
            }
        }));
        v.timeoutMs().ifPresent(t -> {
            if (t < 1 || t > plan.timeoutMs()) {
                errors.add(new FieldError("timeoutMs", "must be 1 to " + plan.timeoutMs() + " (the " + plan.name() + " plan's limit)"));
            }
        });
        v.memoryMb().ifPresent(m -> {
            if (m < Math.min(64, plan.memoryMb()) || m > plan.memoryMb()) {
                errors.add(new FieldError("memoryMb", "must be " + Math.min(64, plan.memoryMb()) + " to " + plan.memoryMb() + " (the " + plan.name() + " plan's limit)"));
            }
        });
        Rules.throwIfAny(errors);
    }

    private static void variables(String field, Map<String, String> values, List<FieldError> errors) {
        if (values.size() > MAX_ENV) {
            errors.add(new FieldError(field, "has " + values.size() + " variables; at most " + MAX_ENV + " are allowed"));
        }
        values.forEach((k, val) -> {
            if (!VARIABLE.matcher(k).matches()) {
                errors.add(new FieldError(field + "." + k, "variable names must match [A-Za-z_][A-Za-z0-9_]*"));
            } else if (val == null || val.length() > MAX_VALUE) {
                errors.add(new FieldError(field + "." + k, "must be a string of at most " + MAX_VALUE + " characters"));
            }
        });
    }

    private static Plan plan(Handle h, String name) {
        return h.createQuery("select * from plans where name = :n").bind("n", name)
                .map((rs, ctx) -> JdbcPlans.map(rs)).one();
    }

    private static boolean modulesAvailable(Handle h, Map<String, String> modules) {
        if (modules.isEmpty()) {
            return true;
        }
        // "for share": a build finishing now waits for this deploy to commit, then activates it (see activateReady).
        int available = 0;
        for (var m : modules.entrySet()) {
            available += h.createQuery("select state from modules where name = :n and version = :v for share")
                    .bind("n", m.getKey()).bind("v", m.getValue()).mapTo(String.class).findOne()
                    .filter("available"::equals).isPresent() ? 1 : 0;
        }
        return available == modules.size();
    }

    private static int retired(Handle h, UUID tenantId, String name) {
        return h.createQuery("select last_version from function_retired_names where tenant_id = :t and name = :n")
                .bind("t", tenantId).bind("n", name).mapTo(Integer.class).findOne().orElse(0);
    }

    private static int count(Handle h, UUID tenantId) {
        return h.createQuery("select count(*) from functions where tenant_id = :t").bind("t", tenantId).mapTo(Integer.class).one();
    }

    @Override
    public Function get(String tenantRef, String name) {
        return jdbi.withHandle(h -> {
            Tenant tenant = TenantRows.resolve(h, tenantRef, false);
            return find(h, tenant.id(), name, false).orElseThrow(() -> notFound(tenant, name));
        });
    }

    @Override
    public List<Function> list(String tenantRef) {
        return jdbi.withHandle(h -> {
            Tenant tenant = TenantRows.resolve(h, tenantRef, false);
            return h.createQuery("select * from functions where tenant_id = :t order by name").bind("t", tenant.id())
                    .map((rs, ctx) -> function(rs)).list();
        });
    }

    @Override
    public List<Version> versions(String tenantRef, String name) {
        return jdbi.withHandle(h -> {
            Tenant tenant = TenantRows.resolve(h, tenantRef, false);
            find(h, tenant.id(), name, false).orElseThrow(() -> notFound(tenant, name));
            return h.createQuery("select " + VERSION_COLUMNS + " from function_versions where tenant_id = :t and name = :n order by version desc")
                    .bind("t", tenant.id()).bind("n", name).map((rs, ctx) -> version(rs)).list();
        });
    }

    @Override
    public Version version(String tenantRef, String name, int version) {
        return jdbi.withHandle(h -> {
            Tenant tenant = TenantRows.resolve(h, tenantRef, false);
            return findVersion(h, tenant.id(), name, version)
                    .orElseThrow(() -> new CatalogException.NotFound("function version", tenant.slug() + "/" + name + "@" + version));
        });
    }

    @Override
    public Function rollback(String tenantRef, String name, int version, Actor actor) {
        return jdbi.inTransaction(h -> {
            Tenant tenant = TenantRows.editable(h, tenantRef, "roll back a function of", true);
            Function current = find(h, tenant.id(), name, true).orElseThrow(() -> notFound(tenant, name));
            Version target = findVersion(h, tenant.id(), name, version)
                    .orElseThrow(() -> CatalogException.InvalidInput.of("version", "function " + name + " has no version " + version));
            if (!target.state().equals("ready")) {
                throw CatalogException.InvalidInput.of("version", "version " + version + " of " + name + " is " + target.state()
                        + ", only a ready version can be made active");
            }
            h.createUpdate("update functions set active_version = :v, updated_at = :now where tenant_id = :t and name = :n")
                    .bind("v", version).bind("now", Sql.timestamp(clock.instant())).bind("t", tenant.id()).bind("n", name).execute();
            audit.record(h, actor, "function.rollback", "function", name, tenant.id(),
                    Map.of("from", current.activeVersion().isPresent() ? current.activeVersion().getAsInt() : 0, "to", version));
            return find(h, tenant.id(), name, false).orElseThrow();
        });
    }

    @Override
    public void delete(String tenantRef, String name, Actor actor) {
        jdbi.useTransaction(h -> {
            Tenant tenant = TenantRows.resolve(h, tenantRef, true);
            Function f = find(h, tenant.id(), name, true).orElseThrow(() -> notFound(tenant, name));
            h.createUpdate("delete from functions where tenant_id = :t and name = :n").bind("t", tenant.id()).bind("n", name).execute();
            // A function made again under this name goes on from here: data planes key loaded code by version.
            h.createUpdate("""
                    insert into function_retired_names (tenant_id, name, last_version) values (:t, :n, :v)
                    on conflict (tenant_id, name) do update set last_version = greatest(function_retired_names.last_version, :v)""")
                    .bind("t", tenant.id()).bind("n", name).bind("v", f.latestVersion()).execute();
            h.createUpdate("delete from function_logs where tenant_id = :t and name = :n").bind("t", tenant.id()).bind("n", name).execute();
            audit.record(h, actor, "function.delete", "function", name, tenant.id(), Map.of("latestVersion", f.latestVersion()));
        });
    }

    @Override
    public Optional<Code> code(UUID tenantId, String name, int version) {
        return jdbi.withHandle(h -> h.createQuery("select " + VERSION_COLUMNS
                        + ", files::text as files_json, secrets_nonce, secrets from function_versions where tenant_id = :t and name = :n and version = :v")
                .bind("t", tenantId).bind("n", name).bind("v", version)
                .map((rs, ctx) -> {
                    Version v = version(rs);
                    Optional<SealedSecrets> secrets = rs.getBytes("secrets") == null ? Optional.empty()
                            : Optional.of(new SealedSecrets(v.secretNames(), rs.getBytes("secrets_nonce"), rs.getBytes("secrets")));
                    return new Code(v, Json.stringMap(rs.getString("files_json")), secrets);
                }).findOne());
    }

    @Override
    public List<Version> activateReady() {
        return jdbi.inTransaction(h -> {
            List<Version> ready = h.createQuery("select " + VERSION_COLUMNS + """
                     from function_versions fv where state = 'pending' and not exists (
                        select 1 from jsonb_each_text(fv.modules) m
                        where not exists (select 1 from modules x where x.name = m.key and x.version = m.value and x.state = 'available'))
                    order by tenant_id, name, version for update""").map((rs, ctx) -> version(rs)).list();
            for (Version v : ready) {
                h.createUpdate("update function_versions set state = 'ready' where tenant_id = :t and name = :n and version = :v")
                        .bind("t", v.tenantId()).bind("n", v.name()).bind("v", v.version()).execute();
                h.createUpdate("""
                        update functions set active_version = :v, updated_at = :now
                        where tenant_id = :t and name = :n and coalesce(active_version, 0) < :v""")
                        .bind("t", v.tenantId()).bind("n", v.name()).bind("v", v.version())
                        .bind("now", Sql.timestamp(clock.instant())).execute();
            }
            return ready;
        });
    }

    @Override
    public List<Version> failPending(String module, String moduleVersion, String reason) {
        return jdbi.inTransaction(h -> h.createQuery("""
                        update function_versions set state = 'failed', error = :e
                        where state = 'pending' and modules ->> :m = :mv
                        returning
                        """ + VERSION_COLUMNS)
                .bind("e", "module " + module + "@" + moduleVersion + " could not be built: " + reason)
                .bind("m", module).bind("mv", moduleVersion).map((rs, ctx) -> version(rs)).list());
    }

    private static Optional<Function> find(Handle h, UUID tenantId, String name, boolean lock) {
        return h.createQuery("select * from functions where tenant_id = :t and name = :n" + (lock ? " for update" : ""))
                .bind("t", tenantId).bind("n", name).map((rs, ctx) -> function(rs)).findOne();
    }

    private static Optional<Version> findVersion(Handle h, UUID tenantId, String name, int version) {
        return h.createQuery("select " + VERSION_COLUMNS + " from function_versions where tenant_id = :t and name = :n and version = :v")
                .bind("t", tenantId).bind("n", name).bind("v", version).map((rs, ctx) -> version(rs)).findOne();
    }

    private static Version readVersion(Handle h, UUID tenantId, String name, int version) {
        return findVersion(h, tenantId, name, version).orElseThrow();
    }

    private static Optional<SealedSecrets> sealed(Handle h, Version v) {
        return h.createQuery("select secrets_nonce, secrets from function_versions where tenant_id = :t and name = :n and version = :v")
                .bind("t", v.tenantId()).bind("n", v.name()).bind("v", v.version())
                .map((rs, ctx) -> rs.getBytes("secrets") == null ? Optional.<SealedSecrets>empty()
                        : Optional.of(new SealedSecrets(v.secretNames(), rs.getBytes("secrets_nonce"), rs.getBytes("secrets"))))
                .one();
    }

    private static CatalogException notFound(Tenant tenant, String name) {
        return new CatalogException.NotFound("function", tenant.slug() + "/" + TenantRows.shorten(name));
    }

    private static Function function(ResultSet rs) throws SQLException {
        int active = rs.getInt("active_version");
        return new Function(rs.getObject("tenant_id", UUID.class), rs.getString("name"), rs.getInt("latest_version"),
                rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(active),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"));
    }

    private static Version version(ResultSet rs) throws SQLException {
        return new Version(rs.getObject("tenant_id", UUID.class), rs.getString("name"), rs.getInt("version"),
                rs.getString("state"), Optional.ofNullable(rs.getString("error")), rs.getString("entry"),
                rs.getString("code_sha256"), rs.getInt("code_bytes"), Json.stringMap(rs.getString("deps")),
                Json.stringMap(rs.getString("mods")), Json.stringMap(rs.getString("env_json")),
                Arrays.asList((String[]) rs.getArray("secret_names").getArray()), rs.getInt("timeout_ms"),
                rs.getInt("memory_mb"), Sql.instant(rs, "created_at"), rs.getString("created_by"));
    }
}
