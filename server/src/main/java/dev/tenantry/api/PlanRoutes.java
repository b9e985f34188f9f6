package dev.tenantry.api;

import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.Plan;
import dev.tenantry.catalog.Plans;
import io.vertx.core.http.HttpMethod;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/** {@code /v1/plans}: list, get, create, update limits. */
final class PlanRoutes {
    private static final Set<String> LIMITS = Set.of("ratePerSecond", "burst", "dailyQuota", "maxConcurrency",
            "memoryMb", "timeoutMs", "egressAllowed");
    private final Catalog catalog;

    PlanRoutes(Catalog catalog) {
        this.catalog = catalog;
    }

    void register(ApiRouter r) {
        r.handle(HttpMethod.GET, "/v1/plans", c -> Reply.ok(Views.list(catalog.plans().list(), Views::plan)));
        r.handle(HttpMethod.GET, "/v1/plans/:plan", c -> tagged(catalog.plans().get(c.path("plan"))));
        r.handle(HttpMethod.POST, "/v1/plans", this::create);
        r.handle(HttpMethod.PATCH, "/v1/plans/:plan", this::update);
    }

    private static Reply tagged(Plan p) {
        return Reply.ok(Views.plan(p)).withHeader("ETag", "\"" + p.version() + "\"");
    }

    private Reply create(Call c) {
        c.requireWrite();
        Set<String> allowed = new HashSet<>(LIMITS);
        allowed.addAll(Set.of("name", "tier", "databaseServer"));
        Body body = c.body().allow(allowed);
        String name = body.requiredString("name");
        String tier = body.requiredString("tier");
        Plans.Limits limits = new Plans.Limits(body.requiredInt("ratePerSecond"), body.requiredInt("burst"),
                body.requiredLong("dailyQuota"), body.requiredInt("maxConcurrency"), body.requiredInt("memoryMb"),
                body.requiredInt("timeoutMs"), body.bool("egressAllowed").orElse(false));
        body.finish();
        Optional<String> server = body.string("databaseServer");
        body.finish();
        Plan plan = catalog.plans().create(new Plans.Spec(name, tier, limits, server), c.actor());
        return Reply.created("/v1/plans/" + plan.name(), Views.plan(plan)).withHeader("ETag", "\"" + plan.version() + "\"");
    }

    private Reply update(Call c) {
        c.requireWrite();
        Set<String> allowed = new HashSet<>(LIMITS);
        allowed.add("databaseServer");
        Body body = c.body().allow(allowed);
        Plans.Patch patch = new Plans.Patch(body.integer("ratePerSecond"), body.integer("burst"),
                body.longValue("dailyQuota"), body.integer("maxConcurrency"), body.integer("memoryMb"),
                body.integer("timeoutMs"), body.bool("egressAllowed"), body.string("databaseServer"));
        body.finish();
        return tagged(catalog.plans().update(c.path("plan"), patch, c.ifMatch(), c.actor()));
    }
}
