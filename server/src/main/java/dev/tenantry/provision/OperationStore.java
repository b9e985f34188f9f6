package dev.tenantry.provision;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.Ids;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Operations and their steps in PostgreSQL, and their entries in db-scheduler's queue. Queuing
 * writes the operation, its steps and the queue entry in the caller's transaction.
 */
final class OperationStore {
    static final String TASK = "operation";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Jdbi jdbi;
    private final Clock clock;

    OperationStore(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    Jdbi jdbi() {
        return jdbi;
    }

    /** Queues an operation in the current transaction of {@code h}. */
    Operation queue(Handle h, UUID tenantId, Operation.Kind kind, List<String> steps, Map<String, Object> params, Actor actor) {
        UUID id = Ids.next(clock);
        Timestamp now = Timestamp.from(clock.instant());
        h.createUpdate("""
                insert into operations (id, tenant_id, kind, state, params, actor, request_id, created_at, updated_at)
                values (:id, :tenant, :kind, 'queued', cast(:params as jsonb), :actor, :req, :now, :now)""")
                .bind("id", id).bind("tenant", tenantId).bind("kind", kind.wire()).bind("params", json(params))
                .bind("actor", actor.name()).bind("req", actor.requestId()).bind("now", now)
                .execute();
        for (int i = 0; i < steps.size(); i++) {
            h.createUpdate("insert into operation_steps (operation_id, position, name, state) values (:id, :pos, :name, 'pending')")
                    .bind("id", id).bind("pos", i).bind("name", steps.get(i)).execute();
        }
        enqueue(h, id, clock.instant());
        return load(h, id).orElseThrow();
    }

    /** Puts the operation in db-scheduler's queue, due at {@code at} (no-op if already there). */
    static void enqueue(Handle h, UUID id, Instant at) {
        h.createUpdate("""
                insert into scheduled_tasks (task_name, task_instance, execution_time, picked, version)
                values (:task, :id, :at, false, 1) on conflict do nothing""")
                .bind("task", TASK).bind("id", id.toString()).bind("at", Timestamp.from(at)).execute();
    }

    /** The operation and its steps as of one snapshot (never "succeeded" with a step still running). */
    Optional<Operation> find(UUID id) {
        return jdbi.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, h -> load(h, id));
    }

    Operation get(String id) {
        return dev.tenantry.catalog.Ids.parse(id).flatMap(this::find)
                .orElseThrow(() -> new CatalogException.NotFound("operation", id.length() > 64 ? id.substring(0, 64) : id));
    }

    List<Operation> forTenant(UUID tenantId) {
        return jdbi.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, h -> h.createQuery("select id from operations where tenant_id = :t order by id desc limit 100")
                .bind("t", tenantId).mapTo(UUID.class).list().stream().map(id -> load(h, id).orElseThrow()).toList());
    }

    /** The oldest unfinished operation of the tenant: only it may run. */
    Optional<UUID> oldestUnfinished(UUID tenantId) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select id from operations where tenant_id = :t and state in ('queued', 'running', 'compensating')
                        order by id limit 1""").bind("t", tenantId).mapTo(UUID.class).findOne());
    }

    Optional<Operation> unfinishedOfKind(UUID tenantId, Operation.Kind kind) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select id from operations where tenant_id = :t and kind = :kind
                        and state in ('queued', 'running', 'compensating') order by id limit 1""")
                .bind("t", tenantId).bind("kind", kind.wire()).mapTo(UUID.class).findOne().flatMap(id -> load(h, id)));
    }

    void setState(UUID id, Operation.State state, Optional<String> error) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update operations set state = :state, error = :error, updated_at = :now, finished_at = :finishedAt
                        where id = :id""")
                .bind("state", state.wire()).bind("error", error.orElse(null))
                .bind("finishedAt", state.finished() ? Timestamp.from(clock.instant()) : null)
                .bind("now", Timestamp.from(clock.instant())).bind("id", id).execute());
    }

    /** Marks the step running and counts the attempt; returns the attempt number. */
    int beginStep(UUID id, int position) {
        return jdbi.withHandle(h -> h.createQuery("""
                        update operation_steps set state = 'running', attempts = attempts + 1,
                            started_at = coalesce(started_at, :now), ended_at = null
                        where operation_id = :id and position = :pos returning attempts""")
                .bind("now", Timestamp.from(clock.instant())).bind("id", id).bind("pos", position)
                .mapTo(Integer.class).one());
    }

    void endStep(UUID id, int position, String state, Optional<String> error) {
        jdbi.useHandle(h -> h.createUpdate("""
                        update operation_steps set state = :state, last_error = coalesce(:error, last_error), ended_at = :now
                        where operation_id = :id and position = :pos""")
                .bind("state", state).bind("error", error.orElse(null)).bind("now", Timestamp.from(clock.instant()))
                .bind("id", id).bind("pos", position).execute());
        touch(id);
    }

    /** Makes a failed operation runnable again from its failed step: failed and compensated steps start over. */
    void reopen(Handle h, UUID id) {
        h.createUpdate("""
                update operation_steps set state = 'pending', attempts = 0, started_at = null, ended_at = null
                where operation_id = :id and state in ('failed', 'compensated', 'running', 'retrying')""")
                .bind("id", id).execute();
        h.createUpdate("update operations set state = 'queued', error = null, finished_at = null, updated_at = :now where id = :id")
                .bind("now", Timestamp.from(clock.instant())).bind("id", id).execute();
        enqueue(h, id, clock.instant());
    }

    private void touch(UUID id) {
        jdbi.useHandle(h -> h.createUpdate("update operations set updated_at = :now where id = :id")
                .bind("now", Timestamp.from(clock.instant())).bind("id", id).execute());
    }

    static Optional<Operation> load(Handle h, UUID id) {
        List<Operation.Step> steps = h.createQuery("select * from operation_steps where operation_id = :id order by position")
                .bind("id", id).map((rs, ctx) -> step(rs)).list();
        return h.createQuery("select *, params::text as params_json from operations where id = :id").bind("id", id)
                .map((rs, ctx) -> new Operation(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                        Operation.Kind.parse(rs.getString("kind")).orElseThrow(),
                        Operation.State.valueOf(rs.getString("state").toUpperCase()),
                        params(rs.getString("params_json")), Optional.ofNullable(rs.getString("error")),
                        rs.getString("actor"), rs.getString("request_id"), rs.getTimestamp("created_at").toInstant(),
                        rs.getTimestamp("updated_at").toInstant(), instant(rs, "finished_at"), steps))
                .findOne();
    }

    private static Operation.Step step(ResultSet rs) throws SQLException {
        return new Operation.Step(rs.getInt("position"), rs.getString("name"), rs.getString("state"), rs.getInt("attempts"),
                Optional.ofNullable(rs.getString("last_error")), instant(rs, "started_at"), instant(rs, "ended_at"));
    }

    private static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
        Timestamp ts = rs.getTimestamp(column);
        return ts == null ? Optional.empty() : Optional.of(ts.toInstant());
    }

    private static String json(Map<String, Object> params) {
        try {
            return JSON.writeValueAsString(params);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static Map<String, Object> params(String json) {
        try {
            return JSON.readValue(json, new TypeReference<>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
