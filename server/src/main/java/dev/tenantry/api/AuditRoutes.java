package dev.tenantry.api;

import dev.tenantry.catalog.AuditLog;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.CatalogException;
import io.vertx.core.http.HttpMethod;

/** {@code /v1/audit}: the audit trail, newest first, filtered by tenant, actor, action and time. */
final class AuditRoutes {
    private final Catalog catalog;

    AuditRoutes(Catalog catalog) {
        this.catalog = catalog;
    }

    void register(ApiRouter r) {
        r.handle(HttpMethod.GET, "/v1/audit", this::list);
    }

    private Reply list(Call c) {
        AuditLog.Query query = new AuditLog.Query(c.query("tenant"), c.query("actor"), c.query("action"),
                c.instantQuery("since"), c.instantQuery("until"), c.query("cursor"),
                c.limit(TenantRoutes.DEFAULT_LIMIT, TenantRoutes.MAX_LIMIT));
        try {
            return Reply.ok(Views.page(catalog.audit().list(query), Views::audit));
        } catch (CatalogException.InvalidInput e) {
            throw new ApiException.BadRequest("invalid query parameters", e.errors());
        }
    }
}
