package dev.tenantry.catalog;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/** {@link ApiKeys} on PostgreSQL: rows hold the SHA-256 of the key and its lookup prefix. */
final class JdbcApiKeys implements ApiKeys {
    static final String KIND = "tk";
    private final Jdbi jdbi;
    private final Clock clock;
    private final Audit audit;

    JdbcApiKeys(Jdbi jdbi, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public IssuedSecret<ApiKey> create(String tenantRef, NewKey request, Actor actor) {
        Instant now = clock.instant();
        List<FieldError> errors = new ArrayList<>();
        Rules.displayName("name", request.name(), errors);
        Rules.scopes("scopes", request.scopes(), errors);
        request.expiresAt().filter(at -> !at.isAfter(now))
                .ifPresent(at -> errors.add(new FieldError("expiresAt", "must be in the future")));
        Rules.throwIfAny(errors);
        return jdbi.inTransaction(h -> {
            Tenant tenant = TenantRows.editable(h, tenantRef, "issue an API key for", true);
            String secret = Secrets.generate(KIND);
            ApiKey key = new ApiKey(Ids.next(clock), tenant.id(), request.name(),
                    Secrets.prefixOf(KIND, secret).orElseThrow(), request.scopes(), request.expiresAt(),
                    Optional.empty(), now);
            h.createUpdate("""
                    insert into api_keys (id, tenant_id, name, prefix, hash, scopes, expires_at, created_at)
                    values (:id, :tenant, :name, :prefix, :hash, :scopes, :expires, :now)""")
                    .bind("id", key.id()).bind("tenant", tenant.id()).bind("name", key.name())
                    .bind("prefix", key.prefix()).bind("hash", Secrets.hash(secret))
                    .bind("scopes", key.scopes().toArray(String[]::new))
                    .bind("expires", key.expiresAt().map(Sql::timestamp).orElse(null))
                    .bind("now", Sql.timestamp(now))
                    .execute();
            Map<String, Object> changes = new LinkedHashMap<>();
            changes.put("name", key.name());
            changes.put("prefix", key.prefix());
            changes.put("scopes", key.scopes());
            key.expiresAt().ifPresent(at -> changes.put("expiresAt", at.toString()));
            audit.record(h, actor, "apikey.create", "apikey", key.id().toString(), tenant.id(), changes);
            return new IssuedSecret<>(key, secret);
        });
    }

    @Override
    public List<ApiKey> list(String tenantRef) {
        return jdbi.withHandle(h -> {
            UUID id = TenantRows.resolve(h, tenantRef, false).id();
            return h.createQuery("select * from api_keys where tenant_id = :id order by id desc")
                    .bind("id", id).map((rs, ctx) -> map(rs)).list();
        });
    }

    @Override
    public ApiKey get(String tenantRef, String keyId) {
        return jdbi.withHandle(h -> {
            UUID tenant = TenantRows.resolve(h, tenantRef, false).id();
            return Ids.parse(keyId).flatMap(id -> h.createQuery("select * from api_keys where id = :id and tenant_id = :tenant")
                            .bind("id", id).bind("tenant", tenant).map((rs, ctx) -> map(rs)).findOne())
                    .orElseThrow(() -> new CatalogException.NotFound("API key", TenantRows.shorten(keyId)));
        });
    }

    @Override
    public ApiKey revoke(String tenantRef, String keyId, Actor actor) {
        return jdbi.inTransaction(h -> {
            Tenant tenant = TenantRows.resolve(h, tenantRef, true);
            ApiKey key = Ids.parse(keyId).flatMap(id -> h.createQuery(
                            "select * from api_keys where id = :id and tenant_id = :tenant for update")
                    .bind("id", id).bind("tenant", tenant.id()).map((rs, ctx) -> map(rs)).findOne())
                    .orElseThrow(() -> new CatalogException.NotFound("API key", TenantRows.shorten(keyId)));
            if (key.revokedAt().isPresent()) {
                throw new CatalogException.Conflict("API key " + key.id() + " was already revoked at " + key.revokedAt().get());
            }
            Instant now = clock.instant();
            h.createUpdate("update api_keys set revoked_at = :now where id = :id")
                    .bind("now", Sql.timestamp(now)).bind("id", key.id()).execute();
            audit.record(h, actor, "apikey.revoke", "apikey", key.id().toString(), tenant.id(),
                    Map.of("prefix", key.prefix()));
            return new ApiKey(key.id(), key.tenantId(), key.name(), key.prefix(), key.scopes(), key.expiresAt(),
                    Optional.of(now), key.createdAt());
        });
    }

    static ApiKey map(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getObject("id", UUID.class), rs.getObject("tenant_id", UUID.class),
                rs.getString("name"), rs.getString("prefix"), strings(rs.getArray("scopes")),
                Sql.optionalInstant(rs, "expires_at"), Sql.optionalInstant(rs, "revoked_at"),
                Sql.instant(rs, "created_at"));
    }

    static List<String> strings(Array array) throws SQLException {
        return Arrays.asList((String[]) array.getArray());
    }
}
