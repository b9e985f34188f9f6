package dev.tenantry.api;

import dev.tenantry.catalog.Catalog;
import dev.tenantry.provision.Operations;
import io.vertx.core.http.HttpMethod;
import java.util.Map;

/** Operations (the state-machine view of every change), credentials and credential rotation. */
final class OperationRoutes {
    private final Catalog catalog;
    private final Operations operations;

    OperationRoutes(Catalog catalog, Operations operations) {
        this.catalog = catalog;
        this.operations = operations;
    }

    void register(ApiRouter r) {
        r.handle(HttpMethod.GET, "/v1/operations/:operation", c -> Reply.ok(Views.operation(operations.get(c.path("operation")))));
        r.handle(HttpMethod.POST, "/v1/operations/:operation/retry", c -> {
            var op = operations.retry(c.requireWrite().path("operation"), c.actor());
            return new Reply(202, Map.of("Location", Views.operationUrl(op)), java.util.Optional.of(Views.operation(op)));
        });
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/operations",
                c -> Reply.ok(Views.list(operations.forTenant(c.path("tenant")), Views::operation)));
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/credentials", c -> {
            c.requireAdmin("credentials include passwords");
            var tenant = catalog.tenants().get(c.path("tenant"));
            return Reply.ok(Map.of("tenantId", tenant.id().toString(), "slug", tenant.slug(),
                    "resources", operations.credentials(tenant.id().toString())));
        });
        r.handle(HttpMethod.POST, "/v1/tenants/:tenant/rotate-credentials",
                c -> TenantRoutes.accepted(operations.rotateCredentials(c.requireWrite().path("tenant"), c.actor())));
    }
}
