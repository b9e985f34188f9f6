package dev.tenantry.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link AdminTokens} on PostgreSQL. A proven token is remembered for {@link #REMEMBER} so that
 * every API request does not cost a database round trip; a revocation on this node forgets it at
 * once, one on another node takes effect here within that time.
 */
final class JdbcAdminTokens implements AdminTokens {
    static final String KIND = "tad";
    static final java.time.Duration REMEMBER = java.time.Duration.ofSeconds(2);
    private final java.util.concurrent.ConcurrentHashMap<String, Proven> proven = new java.util.concurrent.ConcurrentHashMap<>();

    private record Proven(AdminToken token, long untilNanos) {}
    private final Jdbi jdbi;
    private final Clock clock;
    private final Audit audit;

    JdbcAdminTokens(Jdbi jdbi, Clock clock, Audit audit) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.audit = audit;
    }

    @Override
    public IssuedSecret<AdminToken> create(String name, Set<AdminToken.Scope> scopes, Actor actor) {
        List<FieldError> errors = new ArrayList<>();
        Rules.displayName("name", name, errors);
        if (scopes.isEmpty()) {
            errors.add(new FieldError("scopes", "must name at least one of: read, admin"));
        }
        Rules.throwIfAny(errors);
        Instant now = clock.instant();
        String secret = Secrets.generate(KIND);
        AdminToken token = new AdminToken(Ids.next(clock), name, Secrets.prefixOf(KIND, secret).orElseThrow(),
                scopes, actor.name(), now, Optional.empty());
        jdbi.useTransaction(h -> {
            h.createUpdate("""
                    insert into admin_tokens (id, name, prefix, hash, scopes, created_by, created_at)
                    values (:id, :name, :prefix, :hash, :scopes, :by, :now)""")
                    .bind("id", token.id()).bind("name", name).bind("prefix", token.prefix())
                    .bind("hash", Secrets.hash(secret)).bind("scopes", wire(scopes))
                    .bind("by", actor.name()).bind("now", Sql.timestamp(now))
                    .execute();
            audit.record(h, actor, "token.create", "token", token.id().toString(), null,
                    Map.of("name", name, "prefix", token.prefix(), "scopes", List.of(wire(scopes))));
        });
        return new IssuedSecret<>(token, secret);
    }

    @Override
    public List<AdminToken> list() {
        return jdbi.withHandle(h -> h.createQuery("select * from admin_tokens order by id desc")
                .map((rs, ctx) -> map(rs)).list());
    }

    @Override
    public AdminToken revoke(String id, Actor actor) {
        return jdbi.inTransaction(h -> {
            AdminToken token = Ids.parse(id).flatMap(uuid -> h.createQuery(
                            "select * from admin_tokens where id = :id for update")
                    .bind("id", uuid).map((rs, ctx) -> map(rs)).findOne())
                    .orElseThrow(() -> new CatalogException.NotFound("token", TenantRows.shorten(id)));
            if (token.revokedAt().isPresent()) {
                throw new CatalogException.Conflict("token " + token.id() + " was already revoked at " + token.revokedAt().get());
            }
            if (token.mayWrite() && liveAdminTokens(h) <= 1) {
                throw new CatalogException.Conflict("token " + token.id() + " is the last live admin token; "
                        + "create another admin token before revoking it, or nobody could manage the catalog");
            }
            h.createUpdate("update admin_tokens set revoked_at = :now where id = :id")
                    .bind("now", Sql.timestamp(clock.instant())).bind("id", token.id()).execute();
            proven.values().removeIf(p -> p.token().id().equals(token.id()));
            audit.record(h, actor, "token.revoke", "token", token.id().toString(), null,
                    Map.of("name", token.name(), "prefix", token.prefix()));
            return h.createQuery("select * from admin_tokens where id = :id").bind("id", token.id())
                    .map((rs, ctx) -> map(rs)).one();
        });
    }

    @Override
    public Optional<AdminToken> remembered(String secret) {
        Proven remembered = proven.get(secret);
        return remembered != null && System.nanoTime() - remembered.untilNanos() < 0
                ? Optional.of(remembered.token()) : Optional.empty();
    }

    @Override
    public Optional<AdminToken> authenticate(String secret) {
        Proven remembered = proven.get(secret);
        if (remembered != null && System.nanoTime() - remembered.untilNanos() < 0) {
            return Optional.of(remembered.token());
        }
        Optional<AdminToken> token = lookUp(secret);
        if (token.isPresent()) {
            if (proven.size() > 10_000) {
                proven.clear(); // only valid tokens are remembered; this bounds a pathological number of them
            }
            proven.put(secret, new Proven(token.get(), System.nanoTime() + REMEMBER.toNanos()));
        } else {
            proven.remove(secret);
        }
        return token;
    }

    private Optional<AdminToken> lookUp(String secret) {
        Optional<String> prefix = Secrets.prefixOf(KIND, secret);
        if (prefix.isEmpty()) {
            return Optional.empty();
        }
        return jdbi.withHandle(h -> h.createQuery("select * from admin_tokens where prefix = :prefix and revoked_at is null")
                .bind("prefix", prefix.get())
                .map((rs, ctx) -> Secrets.matches(secret, rs.getBytes("hash")) ? Optional.of(map(rs)) : Optional.<AdminToken>empty())
                .findOne()
                .flatMap(o -> o));
    }

    private static int liveAdminTokens(org.jdbi.v3.core.Handle h) {
        // Locks the live admin tokens so two concurrent revocations cannot both pass this check.
        return h.createQuery("select id from admin_tokens where revoked_at is null and 'admin' = any(scopes) for update")
                .mapTo(UUID.class).list().size();
    }

    /** The token with this id. */
    @Override
    public AdminToken get(String id) {
        return Ids.parse(id).flatMap(uuid -> jdbi.withHandle(h -> h.createQuery("select * from admin_tokens where id = :id")
                        .bind("id", uuid).map((rs, ctx) -> map(rs)).findOne()))
                .orElseThrow(() -> new CatalogException.NotFound("token", TenantRows.shorten(id)));
    }

    @Override
    public Optional<IssuedSecret<AdminToken>> bootstrap(Actor actor) {
        return jdbi.inTransaction(h -> {
            h.createUpdate("select pg_advisory_xact_lock(hashtextextended('tenantry.bootstrap-token', 0))").execute();
            if (h.createQuery("select exists (select 1 from admin_tokens)").mapTo(Boolean.class).one()) {
                return Optional.empty();
            }
            return Optional.of(create("bootstrap", EnumSet.allOf(AdminToken.Scope.class), actor)); // joins this transaction
        });
    }

    private static String[] wire(Set<AdminToken.Scope> scopes) {
        return scopes.stream().map(AdminToken.Scope::wire).sorted().toArray(String[]::new);
    }

    private static AdminToken map(ResultSet rs) throws SQLException {
        Set<AdminToken.Scope> scopes = EnumSet.noneOf(AdminToken.Scope.class);
        JdbcApiKeys.strings(rs.getArray("scopes"))
                .forEach(s -> scopes.add(AdminToken.Scope.valueOf(s.toUpperCase(Locale.ROOT))));
        return new AdminToken(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("prefix"), scopes,
                rs.getString("created_by"), Sql.instant(rs, "created_at"), Sql.optionalInstant(rs, "revoked_at"));
    }
}
