package dev.tenantry.api;

import dev.tenantry.catalog.AdminToken;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.IssuedSecret;
import io.vertx.core.http.HttpMethod;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code /v1/tokens}: operators' admin tokens. Creating or revoking one needs the admin scope. */
final class TokenRoutes {
    private final Catalog catalog;

    TokenRoutes(Catalog catalog) {
        this.catalog = catalog;
    }

    void register(ApiRouter r) {
        r.handle(HttpMethod.GET, "/v1/tokens", c -> Reply.ok(Views.list(catalog.adminTokens().list(), Views::token)));
        r.handle(HttpMethod.POST, "/v1/tokens", this::create);
        r.handle(HttpMethod.GET, "/v1/tokens/:token", c -> Reply.ok(Views.token(catalog.adminTokens().get(c.path("token")))));
        r.handle(HttpMethod.DELETE, "/v1/tokens/:token",
                c -> Reply.ok(Views.token(catalog.adminTokens().revoke(c.requireWrite().path("token"), c.actor()))));
    }

    private Reply create(Call c) {
        c.requireWrite();
        Body body = c.body().allow(Set.of("name", "scopes"));
        String name = body.requiredString("name");
        List<String> scopes = body.stringList("scopes").orElse(List.of("admin"));
        Set<AdminToken.Scope> parsed = EnumSet.noneOf(AdminToken.Scope.class);
        for (int i = 0; i < scopes.size(); i++) {
            switch (scopes.get(i)) {
                case "read" -> parsed.add(AdminToken.Scope.READ);
                case "admin" -> parsed.addAll(EnumSet.allOf(AdminToken.Scope.class));
                default -> body.reject("scopes[" + i + "]", "must be read or admin, not '" + scopes.get(i) + "'");
            }
        }
        body.finish();
        IssuedSecret<AdminToken> issued = catalog.adminTokens().create(name, parsed, c.actor());
        Map<String, Object> view = Views.token(issued.record());
        view.put("secret", issued.secret());
        return Reply.created("/v1/tokens/" + issued.record().id(), view);
    }
}
