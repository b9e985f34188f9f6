package dev.tenantry.api;

import dev.tenantry.catalog.ApiKeys;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.Domain;
import dev.tenantry.catalog.IssuedSecret;
import dev.tenantry.catalog.ApiKey;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A tenant's domains ({@code /v1/tenants/:tenant/domains}) and API keys ({@code .../api-keys}). */
final class TenantPartRoutes {
    private final Catalog catalog;

    TenantPartRoutes(Catalog catalog) {
        this.catalog = catalog;
    }

    void register(ApiRouter r) {
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/domains",
                c -> Reply.ok(Views.list(catalog.domains().list(c.path("tenant")), Views::domain)));
        r.handle(HttpMethod.POST, "/v1/tenants/:tenant/domains", this::addDomain);
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/domains/:hostname", c -> Reply.ok(Views.domain(
                catalog.domains().list(c.path("tenant")).stream().filter(d -> d.hostname().equalsIgnoreCase(c.path("hostname")))
                        .findFirst().orElseThrow(() -> new CatalogException.NotFound("domain", c.path("hostname"))))));
        r.handle(HttpMethod.DELETE, "/v1/tenants/:tenant/domains/:hostname", c -> {
            catalog.domains().remove(c.requireWrite().path("tenant"), c.path("hostname"), c.actor());
            return Reply.noContent();
        });
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/api-keys",
                c -> Reply.ok(Views.list(catalog.apiKeys().list(c.path("tenant")), Views::apiKey)));
        r.handle(HttpMethod.POST, "/v1/tenants/:tenant/api-keys", this::createKey);
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/api-keys/:key",
                c -> Reply.ok(Views.apiKey(catalog.apiKeys().get(c.path("tenant"), c.path("key")))));
        r.handle(HttpMethod.DELETE, "/v1/tenants/:tenant/api-keys/:key",
                c -> Reply.ok(Views.apiKey(catalog.apiKeys().revoke(c.requireWrite().path("tenant"), c.path("key"), c.actor()))));
    }

    private Reply addDomain(Call c) {
        c.requireWrite();
        Body body = c.body().allow(Set.of("hostname"));
        String hostname = body.requiredString("hostname");
        body.finish();
        Domain d = catalog.domains().add(c.path("tenant"), hostname, c.actor());
        return Reply.created("/v1/tenants/" + d.tenantId() + "/domains/" + d.hostname(), Views.domain(d));
    }

    private Reply createKey(Call c) {
        c.requireWrite();
        Body body = c.body().allow(Set.of("name", "scopes", "expiresAt"));
        ApiKeys.NewKey request = new ApiKeys.NewKey(body.requiredString("name"),
                body.stringList("scopes").orElse(List.of()), body.instant("expiresAt"));
        body.finish();
        IssuedSecret<ApiKey> issued = catalog.apiKeys().create(c.path("tenant"), request, c.actor());
        Map<String, Object> view = Views.apiKey(issued.record());
        view.put("secret", issued.secret());
        return Reply.created("/v1/tenants/" + issued.record().tenantId() + "/api-keys/" + issued.record().id(), view);
    }
}
