package dev.tenantry.api;

import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.IdempotencyKeys;
import dev.tenantry.catalog.Tenant;
import dev.tenantry.catalog.Tenants;
import dev.tenantry.provision.Operations;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code /v1/tenants}: create (idempotent with a key), list, get, update, suspend, resume, delete. */
final class TenantRoutes {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private final Catalog catalog;
    private final Operations operations;

    TenantRoutes(Catalog catalog, Operations operations) {
        this.catalog = catalog;
        this.operations = operations;
    }

    void register(ApiRouter r) {
        r.handle(HttpMethod.POST, "/v1/tenants", this::create);
        r.handle(HttpMethod.GET, "/v1/tenants", this::list);
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant", c -> tagged(catalog.tenants().get(c.path("tenant"))));
        r.handle(HttpMethod.PATCH, "/v1/tenants/:tenant", this::update);
        r.handle(HttpMethod.POST, "/v1/tenants/:tenant/suspend", this::suspend);
        r.handle(HttpMethod.POST, "/v1/tenants/:tenant/resume",
                c -> accepted(operations.resumeTenant(c.requireWrite().path("tenant"), c.actor())));
        r.handle(HttpMethod.DELETE, "/v1/tenants/:tenant",
                c -> accepted(operations.deleteTenant(c.requireWrite().path("tenant"), c.actor())));
    }

    /** 202: the tenant as it is now, the operation that finishes the change, and where to watch it. */
    static Reply accepted(Operations.Started started) {
        return new Reply(202, Map.of("Location", Views.operationUrl(started.operation())), Optional.of(Views.started(started)))
                .withHeader("ETag", "\"" + started.tenant().version() + "\"");
    }

    static Reply tagged(Tenant t) {
        return Reply.ok(Views.tenant(t)).withHeader("ETag", "\"" + t.version() + "\"");
    }

    private Reply create(Call c) {
        c.requireWrite();
        Body body = c.body().allow(Set.of("slug", "displayName", "plan", "tier", "region", "labels"));
        Tenants.NewTenant request = new Tenants.NewTenant(body.requiredString("slug"), body.string("displayName"),
                body.string("plan"), body.string("tier"), body.string("region"), body.stringMap("labels").orElse(Map.of()));
        body.finish();
        Optional<String> key = c.header("Idempotency-Key");
        if (key.isEmpty()) {
            return accepted(operations.createTenant(request, c.actor()));
        }
        if (!IDEMPOTENCY_KEY.matcher(key.get()).matches()) {
            throw ApiException.BadRequest.of("Idempotency-Key", "must be 1-255 visible ASCII characters");
        }
        IdempotencyKeys.Answer answer = catalog.idempotencyKeys().once(c.actor().name(), key.get(),
                sha256(body.canonical()), () -> {
                    Operations.Started started = operations.createTenant(request, c.actor());
                    return new IdempotencyKeys.Answer(202, Optional.of(Views.operationUrl(started.operation())),
                            ApiRouter.write(Views.started(started)), false);
                });
        Reply reply = new Reply(answer.status(), Map.of(), Optional.of(new ApiRouter.RawJson(answer.body())));
        if (answer.location().isPresent()) {
            reply = reply.withHeader("Location", answer.location().get());
        }
        reply = reply.withHeader("ETag", "\"1\""); // a create's answer is always version 1
        return answer.replayed() ? reply.withHeader("Idempotent-Replayed", "true") : reply;
    }

    private Reply list(Call c) {
        Tenants.Query query = new Tenants.Query(c.query("status"), c.query("plan"), c.query("tier"),
                c.pairs("label"), c.query("slugPrefix"), c.query("cursor"), c.limit(DEFAULT_LIMIT, MAX_LIMIT));
        try {
            return Reply.ok(Views.page(catalog.tenants().list(query), Views::tenant));
        } catch (CatalogException.InvalidInput e) {
            throw new ApiException.BadRequest("invalid query parameters", e.errors());
        }
    }

    private Reply update(Call c) {
        c.requireWrite();
        Body body = c.body().allow(Set.of("displayName", "plan", "labels", "slug", "tier", "region", "id"));
        Tenants.Patch patch = new Tenants.Patch(body.string("displayName"), body.string("plan"), body.stringMap("labels"));
        Optional<String> slug = body.string("slug");
        Optional<String> tier = body.string("tier");
        Optional<String> region = body.string("region");
        Optional<String> id = body.string("id");
        body.finish();
        Tenant current = catalog.tenants().get(c.path("tenant"));
        immutable("slug", slug, current.slug());
        immutable("tier", tier, current.tier().wire());
        immutable("region", region, current.region());
        immutable("id", id, current.id().toString());
        return accepted(operations.updateTenant(current.id().toString(), patch, c.ifMatch(), c.actor()));
    }

    private static void immutable(String field, Optional<String> wanted, String current) {
        if (wanted.isPresent() && !wanted.get().equals(current)) {
            throw CatalogException.InvalidInput.of(field, "is immutable (it is '" + current + "')"
                    + (field.equals("tier") || field.equals("region") ? "; changing it is a tenant move, not an update" : ""));
        }
    }

    private Reply suspend(Call c) {
        c.requireWrite();
        Optional<String> reason = Optional.empty();
        if (c.header("Content-Length").filter(l -> !l.equals("0")).isPresent() || c.header("Transfer-Encoding").isPresent()) {
            Body body = c.body().allow(Set.of("reason"));
            reason = body.string("reason");
            body.finish();
        }
        return accepted(operations.suspendTenant(c.path("tenant"), reason, c.actor()));
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
