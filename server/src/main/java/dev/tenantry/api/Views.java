package dev.tenantry.api;

import dev.tenantry.catalog.AdminToken;
import dev.tenantry.catalog.ApiKey;
import dev.tenantry.catalog.AuditEntry;
import dev.tenantry.catalog.Domain;
import dev.tenantry.catalog.Page;
import dev.tenantry.catalog.Plan;
import dev.tenantry.catalog.Tenant;
import dev.tenantry.provision.Operation;
import dev.tenantry.provision.Operations;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The wire form of catalog records: explicit maps, so the JSON is exactly what docs/api.md says. */
final class Views {
    private Views() {}

    static Map<String, Object> tenant(Tenant t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id().toString());
        m.put("slug", t.slug());
        m.put("displayName", t.displayName());
        m.put("plan", t.plan());
        m.put("tier", t.tier().wire());
        m.put("region", t.region());
        m.put("status", t.status().wire());
        t.statusReason().ifPresent(r -> m.put("statusReason", r));
        m.put("labels", t.labels());
        m.put("createdAt", t.createdAt().toString());
        m.put("updatedAt", t.updatedAt().toString());
        m.put("version", t.version());
        return m;
    }

    static Map<String, Object> plan(Plan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("tier", p.tier().wire());
        m.put("ratePerSecond", p.ratePerSecond());
        m.put("burst", p.burst());
        m.put("dailyQuota", p.dailyQuota());
        m.put("maxConcurrency", p.maxConcurrency());
        m.put("memoryMb", p.memoryMb());
        m.put("timeoutMs", p.timeoutMs());
        m.put("egressAllowed", p.egressAllowed());
        p.databaseServer().ifPresent(s -> m.put("databaseServer", s));
        m.put("version", p.version());
        m.put("updatedAt", p.updatedAt().toString());
        return m;
    }

    static Map<String, Object> domain(Domain d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hostname", d.hostname());
        m.put("tenantId", d.tenantId().toString());
        m.put("kind", d.kind().wire());
        m.put("createdAt", d.createdAt().toString());
        return m;
    }

    static Map<String, Object> apiKey(ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id().toString());
        m.put("tenantId", k.tenantId().toString());
        m.put("name", k.name());
        m.put("prefix", k.prefix());
        m.put("scopes", k.scopes());
        k.expiresAt().ifPresent(at -> m.put("expiresAt", at.toString()));
        k.revokedAt().ifPresent(at -> m.put("revokedAt", at.toString()));
        m.put("createdAt", k.createdAt().toString());
        return m;
    }

    static Map<String, Object> token(AdminToken t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id().toString());
        m.put("name", t.name());
        m.put("prefix", t.prefix());
        m.put("scopes", t.scopes().stream().map(AdminToken.Scope::wire).sorted().toList());
        m.put("createdBy", t.createdBy());
        m.put("createdAt", t.createdAt().toString());
        t.revokedAt().ifPresent(at -> m.put("revokedAt", at.toString()));
        return m;
    }

    static Map<String, Object> audit(AuditEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("at", e.at().toString());
        m.put("actor", e.actor());
        m.put("action", e.action());
        m.put("targetType", e.targetType());
        m.put("targetId", e.targetId());
        e.tenantId().ifPresent(id -> m.put("tenantId", id.toString()));
        m.put("requestId", e.requestId());
        m.put("changes", e.changes());
        return m;
    }

    static String operationUrl(Operation op) {
        return "/v1/operations/" + op.id();
    }

    static Map<String, Object> started(Operations.Started started) {
        Map<String, Object> m = tenant(started.tenant());
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("id", started.operation().id().toString());
        op.put("kind", started.operation().kind().wire());
        op.put("state", started.operation().state().wire());
        op.put("url", operationUrl(started.operation()));
        m.put("operation", op);
        return m;
    }

    static Map<String, Object> operation(Operation o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", o.id().toString());
        m.put("tenantId", o.tenantId().toString());
        m.put("kind", o.kind().wire());
        m.put("state", o.state().wire());
        o.error().ifPresent(e -> m.put("error", e));
        m.put("actor", o.actor());
        m.put("requestId", o.requestId());
        m.put("createdAt", o.createdAt().toString());
        m.put("updatedAt", o.updatedAt().toString());
        o.finishedAt().ifPresent(f -> {
            m.put("finishedAt", f.toString());
            m.put("durationMs", java.time.Duration.between(o.createdAt(), f).toMillis());
        });
        m.put("steps", o.steps().stream().map(Views::step).toList());
        return m;
    }

    private static Map<String, Object> step(Operation.Step s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("position", s.position());
        m.put("name", s.name());
        m.put("state", s.state());
        m.put("attempts", s.attempts());
        s.lastError().ifPresent(e -> m.put("lastError", e));
        s.startedAt().ifPresent(t -> m.put("startedAt", t.toString()));
        s.endedAt().ifPresent(t -> m.put("endedAt", t.toString()));
        s.duration().ifPresent(d -> m.put("durationMs", d.toMillis()));
        return m;
    }

    static <T> Map<String, Object> page(Page<T> page, Function<T, Map<String, Object>> view) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("items", page.items().stream().map(view).toList());
        m.put("nextCursor", page.nextCursor().orElse(null));
        return m;
    }

    static <T> Map<String, Object> list(List<T> items, Function<T, Map<String, Object>> view) {
        return Map.of("items", items.stream().map(view).toList());
    }
}
