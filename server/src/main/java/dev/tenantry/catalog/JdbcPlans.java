package dev.tenantry.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementException;

/** {@link Plans} on PostgreSQL. */
final class JdbcPlans implements Plans {
    private final Jdbi jdbi;
    private final Audit audit;
    private final Clock clock;

    JdbcPlans(Jdbi jdbi, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public List<Plan> list() {
        return jdbi.withHandle(h -> h.createQuery("select * from plans order by rate_per_second, name")
                .map((rs, ctx) -> map(rs)).list());
    }

    @Override
    public Plan get(String name) {
        return jdbi.withHandle(h -> find(h, name)).orElseThrow(
                () -> new CatalogException.NotFound("plan", TenantRows.shorten(name)));
    }

    static Optional<Plan> find(Handle h, String name) {
        return h.createQuery("select * from plans where name = :name").bind("name", name)
                .map((rs, ctx) -> map(rs)).findOne();
    }

    @Override
    public Plan create(Spec spec, Actor actor) {
        List<FieldError> errors = new ArrayList<>();
        Rules.planName("name", spec.name(), errors);
        if (Tier.parse(spec.tier()).isEmpty()) {
            errors.add(new FieldError("tier", "must be 'pool' or 'silo'"));
        }
        check(spec.limits(), errors);
        spec.databaseServer().ifPresent(server -> checkServer(server, Tier.parse(spec.tier()), errors));
        Rules.throwIfAny(errors);
        try {
            return jdbi.inTransaction(h -> {
                Limits l = spec.limits();
                h.createUpdate("""
                        insert into plans (name, tier, rate_per_second, burst, daily_quota, max_concurrency,
                                           memory_mb, timeout_ms, egress_allowed, database_server, created_at, updated_at)
                        values (:name, :tier, :rate, :burst, :quota, :conc, :mem, :timeout, :egress, :server, :now, :now)""")
                        .bind("server", spec.databaseServer().orElse(null))
                        .bind("name", spec.name()).bind("tier", spec.tier()).bind("rate", l.ratePerSecond())
                        .bind("burst", l.burst()).bind("quota", l.dailyQuota()).bind("conc", l.maxConcurrency())
                        .bind("mem", l.memoryMb()).bind("timeout", l.timeoutMs()).bind("egress", l.egressAllowed())
                        .bind("now", Sql.timestamp(clock.instant()))
                        .execute();
                audit.record(h, actor, "plan.create", "plan", spec.name(), null, Map.of("tier", spec.tier(), "limits", l));
                return find(h, spec.name()).orElseThrow();
            });
        } catch (StatementException e) {
            if (Sql.violates(e, "plans_pkey")) {
                throw new CatalogException.Conflict("a plan named '" + spec.name() + "' already exists");
            }
            throw e;
        }
    }

    @Override
    public Plan update(String name, Patch patch, OptionalInt expectedVersion, Actor actor) {
        return jdbi.inTransaction(h -> {
            Plan current = h.createQuery("select * from plans where name = :name for update").bind("name", name)
                    .map((rs, ctx) -> map(rs)).findOne()
                    .orElseThrow(() -> new CatalogException.NotFound("plan", TenantRows.shorten(name)));
            if (expectedVersion.isPresent() && expectedVersion.getAsInt() != current.version()) {
                throw new CatalogException.VersionConflict("plan " + name, expectedVersion.getAsInt(), current.version());
            }
            Limits next = new Limits(patch.ratePerSecond().orElse(current.ratePerSecond()),
                    patch.burst().orElse(current.burst()), patch.dailyQuota().orElse(current.dailyQuota()),
                    patch.maxConcurrency().orElse(current.maxConcurrency()), patch.memoryMb().orElse(current.memoryMb()),
                    patch.timeoutMs().orElse(current.timeoutMs()), patch.egressAllowed().orElse(current.egressAllowed()));
            List<FieldError> errors = new ArrayList<>();
            check(next, errors);
            patch.databaseServer().ifPresent(server -> checkServer(server, Optional.of(current.tier()), errors));
            Rules.throwIfAny(errors);
            Map<String, Object> changes = diff(limitsOf(current), next);
            patch.databaseServer().filter(s -> !current.databaseServer().equals(Optional.of(s)))
                    .ifPresent(s -> changes.put("databaseServer", Map.of("from", current.databaseServer().orElse("(tier default)"), "to", s)));
            if (changes.isEmpty()) {
                return current;
            }
            h.createUpdate("""
                    update plans set rate_per_second = :rate, burst = :burst, daily_quota = :quota,
                        max_concurrency = :conc, memory_mb = :mem, timeout_ms = :timeout, egress_allowed = :egress,
                        database_server = coalesce(:server, database_server),
                        version = version + 1, updated_at = :now where name = :name""")
                    .bind("server", patch.databaseServer().orElse(null))
                    .bind("rate", next.ratePerSecond()).bind("burst", next.burst()).bind("quota", next.dailyQuota())
                    .bind("conc", next.maxConcurrency()).bind("mem", next.memoryMb()).bind("timeout", next.timeoutMs())
                    .bind("egress", next.egressAllowed()).bind("now", Sql.timestamp(clock.instant()))
                    .bind("name", name)
                    .execute();
            audit.record(h, actor, "plan.update", "plan", name, null, changes);
            return find(h, name).orElseThrow();
        });
    }

    private static void check(Limits l, List<FieldError> errors) {
        range("ratePerSecond", l.ratePerSecond(), 1, 1_000_000, errors);
        range("burst", l.burst(), 1, 10_000_000, errors);
        range("dailyQuota", l.dailyQuota(), 1, 1_000_000_000_000L, errors);
        range("maxConcurrency", l.maxConcurrency(), 1, 100_000, errors);
        range("memoryMb", l.memoryMb(), 32, 65_536, errors);
        range("timeoutMs", l.timeoutMs(), 100, 900_000, errors);
    }

    private static void checkServer(String server, Optional<Tier> tier, List<FieldError> errors) {
        Rules.planName("databaseServer", server, errors);
        if (tier.isPresent() && tier.get() != Tier.SILO) {
            errors.add(new FieldError("databaseServer",
                    "only silo plans may name a database server; pool tenants share the pool database"));
        }
    }

    private static void range(String field, long value, long min, long max, List<FieldError> errors) {
        if (value < min || value > max) {
            errors.add(new FieldError(field, "must be between " + min + " and " + max));
        }
    }

    private static Limits limitsOf(Plan p) {
        return new Limits(p.ratePerSecond(), p.burst(), p.dailyQuota(), p.maxConcurrency(), p.memoryMb(),
                p.timeoutMs(), p.egressAllowed());
    }

    private static Map<String, Object> diff(Limits from, Limits to) {
        Map<String, Object> changes = new LinkedHashMap<>();
        put(changes, "ratePerSecond", from.ratePerSecond(), to.ratePerSecond());
        put(changes, "burst", from.burst(), to.burst());
        put(changes, "dailyQuota", from.dailyQuota(), to.dailyQuota());
        put(changes, "maxConcurrency", from.maxConcurrency(), to.maxConcurrency());
        put(changes, "memoryMb", from.memoryMb(), to.memoryMb());
        put(changes, "timeoutMs", from.timeoutMs(), to.timeoutMs());
        put(changes, "egressAllowed", from.egressAllowed(), to.egressAllowed());
        return changes;
    }

    private static void put(Map<String, Object> changes, String field, Object from, Object to) {
        if (!from.equals(to)) {
            changes.put(field, Map.of("from", from, "to", to));
        }
    }

    static Plan map(ResultSet rs) throws SQLException {
        return new Plan(rs.getString("name"), Tier.parse(rs.getString("tier")).orElseThrow(),
                rs.getInt("rate_per_second"), rs.getInt("burst"), rs.getLong("daily_quota"),
                rs.getInt("max_concurrency"), rs.getInt("memory_mb"), rs.getInt("timeout_ms"),
                rs.getBoolean("egress_allowed"), rs.getInt("version"), Sql.instant(rs, "updated_at"),
                Optional.ofNullable(rs.getString("database_server")));
    }
}
