package dev.tenantry.functions;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The module table and its build queue, in PostgreSQL. Requesting a module inserts its row and
 * its build in db-scheduler's queue in one transaction; the row's primary key makes it once for
 * the whole system however many deploys ask at the same time.
 */
public final class ModuleStates {
    /** The db-scheduler task that builds one module; its instance id is {@code name@version}. */
    public static final String TASK = "build-module";
    private final Jdbi jdbi;
    private final Clock clock;

    public ModuleStates(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    /** Queues every module not yet known (and again those that failed); returns all their states. */
    public List<Module> request(Map<String, String> exact) {
        return jdbi.inTransaction(h -> {
            List<Module> out = new ArrayList<>();
            for (var m : exact.entrySet()) {
                int queued = h.createUpdate("""
                        insert into modules (name, version, state, requested_at) values (:n, :v, 'queued', :now)
                        on conflict (name, version) do update set state = 'queued', error = null, requested_at = :now
                            where modules.state = 'failed'""")
                        .bind("n", m.getKey()).bind("v", m.getValue()).bind("now", now()).execute();
                if (queued > 0) {
                    enqueue(h, m.getKey() + "@" + m.getValue());
                }
                // Named by a deploy now: the collector spares it for a while (see ModuleCollector).
                h.createUpdate("update modules set last_used_at = :now where name = :n and version = :v")
                        .bind("n", m.getKey()).bind("v", m.getValue()).bind("now", now()).execute();
                out.add(find(h, m.getKey(), m.getValue()).orElseThrow());
            }
            return out;
        });
    }

    private void enqueue(Handle h, String key) {
        h.createUpdate("""
                insert into scheduled_tasks (task_name, task_instance, execution_time, picked, version)
                values (:task, :id, :at, false, 1) on conflict do nothing""")
                .bind("task", TASK).bind("id", key).bind("at", now()).execute();
    }

    public Optional<Module> get(String name, String version) {
        return jdbi.withHandle(h -> find(h, name, version));
    }

    public List<Module> states(Map<String, String> exact) {
        return jdbi.withHandle(h -> exact.entrySet().stream()
                .map(m -> find(h, m.getKey(), m.getValue()).orElseGet(() -> unknown(m.getKey(), m.getValue()))).toList());
    }

    public List<Module> list() {
        return jdbi.withHandle(h -> h.createQuery("select * from modules order by name, version").map((rs, c) -> map(rs)).list());
    }

    void building(String name, String version) {
        jdbi.useHandle(h -> h.createUpdate("update modules set state = 'building', attempts = attempts + 1 where name = :n and version = :v")
                .bind("n", name).bind("v", version).execute());
    }

    void available(String name, String version, String sha256, long bytes) {
        jdbi.useHandle(h -> h.createUpdate("""
                update modules set state = 'available', sha256 = :sha, bytes = :bytes, error = null, built_at = :now
                where name = :n and version = :v""")
                .bind("sha", sha256).bind("bytes", bytes).bind("now", now()).bind("n", name).bind("v", version).execute());
    }

    void failed(String name, String version, String error) {
        jdbi.useHandle(h -> h.createUpdate("update modules set state = 'failed', error = :e where name = :n and version = :v")
                .bind("e", error).bind("n", name).bind("v", version).execute());
    }

    /** A module the collector removed from the catalog, and its blob when no module left has the same content. */
    record Removed(String name, String version, Optional<String> blob) {}

    /**
     * Removes from the catalog every built (or failed) module that no version of a function of a
     * live tenant names and that no deploy has named since {@code cutoff}. A deploy that names one
     * at the same moment either stamps it first (and it stays: the row is re-checked after the
     * stamp's lock) or finds it gone and queues its build again. A deploy records its version
     * after stamping, so {@code cutoff} must leave more than that gap (ModuleCollector.MIN_UNUSED_FOR).
     */
    List<Removed> collect(java.time.Instant cutoff) {
        // The outer select reads the table as it was before the delete: the modules it still names as
        // holding a blob are those not deleted here.
        return jdbi.withHandle(h -> h.createQuery("""
                with gone as (
                    delete from modules m
                    where m.state in ('available', 'failed') and m.last_used_at < :cutoff
                      and not exists (select 1 from function_versions v join tenants t on t.id = v.tenant_id
                                      where t.status <> 'deleted' and v.modules ->> m.name = m.version)
                    returning m.name, m.version, m.sha256)
                select g.name, g.version,
                       case when exists (select 1 from modules o where o.sha256 = g.sha256
                                         and (o.name, o.version) not in (select name, version from gone))
                            then null else g.sha256 end as blob
                from gone g""")
                .bind("cutoff", Timestamp.from(cutoff))
                .map((rs, c) -> new Removed(rs.getString("name"), rs.getString("version"), Optional.ofNullable(rs.getString("blob"))))
                .list());
    }

    /** The directories ({@code name@version}) of every module the catalog lists, in any state. */
    java.util.Set<String> knownDirectories() {
        return jdbi.withHandle(h -> h.createQuery("select name, version from modules")
                .map((rs, c) -> ModuleStore.directory(rs.getString("name"), rs.getString("version")))
                .collect(java.util.stream.Collectors.toSet()));
    }

    private Timestamp now() {
        return Timestamp.from(clock.instant());
    }

    private static Optional<Module> find(Handle h, String name, String version) {
        return h.createQuery("select * from modules where name = :n and version = :v").bind("n", name).bind("v", version)
                .map((rs, c) -> map(rs)).findOne();
    }

    private Module unknown(String name, String version) {
        return new Module(name, version, Module.State.QUEUED, Optional.empty(), Optional.empty(), Optional.empty(), 0,
                clock.instant(), Optional.empty());
    }

    private static Module map(ResultSet rs) throws SQLException {
        long bytes = rs.getLong("bytes");
        Optional<Long> size = rs.wasNull() ? Optional.empty() : Optional.of(bytes);
        Timestamp built = rs.getTimestamp("built_at");
        return new Module(rs.getString("name"), rs.getString("version"), Module.State.valueOf(rs.getString("state").toUpperCase()),
                Optional.ofNullable(rs.getString("error")), Optional.ofNullable(rs.getString("sha256")), size,
                rs.getInt("attempts"), rs.getTimestamp("requested_at").toInstant(),
                Optional.ofNullable(built).map(Timestamp::toInstant));
    }
}
