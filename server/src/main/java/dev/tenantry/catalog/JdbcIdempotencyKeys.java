package dev.tenantry.catalog;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link IdempotencyKeys} on PostgreSQL. A transaction-scoped advisory lock on the key serialises
 * concurrent first uses; answers older than the retention are forgotten. The action runs on this
 * thread, so its own JDBI transaction joins this one (JDBI scopes handles per thread): the create
 * and its stored answer commit together or not at all.
 */
final class JdbcIdempotencyKeys implements IdempotencyKeys {
    static final Duration RETENTION = Duration.ofHours(24);
    private final Jdbi jdbi;
    private final Clock clock;

    JdbcIdempotencyKeys(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    @Override
    public Answer once(String actor, String key, String requestHash, Supplier<Answer> action) {
        return jdbi.inTransaction(h -> {
            h.createUpdate("select pg_advisory_xact_lock(hashtextextended(:k, 7))")
                    .bind("k", actor + "\n" + key).execute();
            Optional<Answer> stored = stored(h, actor, key, requestHash);
            if (stored.isPresent()) {
                return stored.get();
            }
            Answer answer = action.get();
            if (answer.status() < 500) {
                h.createUpdate("""
                        insert into idempotency_keys (actor, key, request_hash, status, location, body, created_at)
                        values (:actor, :key, :hash, :status, :location, :body, :now)
                        on conflict (actor, key) do update set request_hash = excluded.request_hash,
                            status = excluded.status, location = excluded.location, body = excluded.body,
                            created_at = excluded.created_at""")
                        .bind("actor", actor).bind("key", key).bind("hash", requestHash)
                        .bind("status", answer.status()).bind("location", answer.location().orElse(null))
                        .bind("body", answer.body()).bind("now", Sql.timestamp(clock.instant()))
                        .execute();
            }
            return answer;
        });
    }

    private Optional<Answer> stored(Handle h, String actor, String key, String requestHash) {
        return h.createQuery("""
                        select request_hash, status, location, body from idempotency_keys
                        where actor = :actor and key = :key and created_at > :oldest""")
                .bind("actor", actor).bind("key", key)
                .bind("oldest", Sql.timestamp(clock.instant().minus(RETENTION)))
                .map((rs, ctx) -> {
                    if (!rs.getString("request_hash").equals(requestHash)) {
                        throw new CatalogException.Conflict("the Idempotency-Key '" + TenantRows.shorten(key)
                                + "' was already used for a different request");
                    }
                    return new Answer(rs.getInt("status"), Optional.ofNullable(rs.getString("location")),
                            rs.getString("body"), true);
                })
                .findOne();
    }
}
