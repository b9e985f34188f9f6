package dev.tenantry.catalog;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Operators' bearer tokens for the control-plane API, stored only as hashes. */
public interface AdminTokens {

    /** Issues a token; the returned secret is never shown again. */
    IssuedSecret<AdminToken> create(String name, Set<AdminToken.Scope> scopes, Actor actor);

    /** All tokens, revoked ones included, newest first. */
    List<AdminToken> list();

    /** The token with this id, or {@link CatalogException.NotFound}. */
    AdminToken get(String id);

    /** Revokes a token at once; the last live admin token cannot be revoked (a conflict). */
    AdminToken revoke(String id, Actor actor);

    /** The live token this secret proves, if any. */
    Optional<AdminToken> authenticate(String secret);

    /** The token this secret proved within the last moments, from memory only (never blocks); empty when unsure. */
    Optional<AdminToken> remembered(String secret);

    /**
     * Issues the first admin token ("bootstrap") if none was ever issued, exactly once however many
     * nodes start at the same time on one database.
     */
    Optional<IssuedSecret<AdminToken>> bootstrap(Actor actor);
}
