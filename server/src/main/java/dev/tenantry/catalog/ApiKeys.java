package dev.tenantry.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Tenants' API keys. The secret exists only in the answer to {@link #create}. */
public interface ApiKeys {

    /** Issues a key for a tenant; the returned secret is never shown again. */
    IssuedSecret<ApiKey> create(String tenantRef, NewKey request, Actor actor);

    /** The tenant's keys, revoked ones included, newest first. */
    List<ApiKey> list(String tenantRef);

    /** One of the tenant's keys, or {@link CatalogException.NotFound}. */
    ApiKey get(String tenantRef, String keyId);

    /** Revokes a key at once; revoking twice is a conflict. */
    ApiKey revoke(String tenantRef, String keyId, Actor actor);

    /** What to issue. */
    record NewKey(String name, List<String> scopes, Optional<Instant> expiresAt) {
        public NewKey {
            scopes = List.copyOf(scopes);
        }
    }
}
