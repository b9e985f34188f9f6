package dev.tenantry.api;

import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.Functions;
import dev.tenantry.catalog.Tenant;
import dev.tenantry.functions.Deployer;
import dev.tenantry.functions.FunctionLogs;
import dev.tenantry.functions.Module;
import dev.tenantry.functions.ModuleCollector;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code /v1/tenants/:tenant/functions}: deploy (each PUT a new immutable version), read, list,
 * versions, roll back, delete, logs and an operator's invoke; {@code /v1/modules}: the module
 * store's builds.
 */
final class FunctionRoutes {
    /** Deploy bodies may be this large (a base64 bundle of up to ~24 MiB). */
    static final long MAX_DEPLOY_BYTES = 32L << 20;
    private static final Set<String> DEPLOY_FIELDS = Set.of("code", "bundle", "entry", "packageJson", "dependencies", "env",
            "secrets", "timeoutMs", "memoryMb");
    private final Catalog catalog;
    private final Deployer deployer;
    private final FunctionLogs logs;
    private final FunctionInvocations invocations;

    FunctionRoutes(Catalog catalog, Deployer deployer, FunctionLogs logs, FunctionInvocations invocations) {
        this.catalog = catalog;
        this.deployer = deployer;
        this.logs = logs;
        this.invocations = invocations;
    }

    static boolean isDeploy(HttpServerRequest req) {
        String path = req.path();
        return req.method() == HttpMethod.PUT && path != null && path.startsWith("/v1/tenants/") && path.contains("/functions/");
    }

    void register(ApiRouter r) {
        String one = "/v1/tenants/:tenant/functions/:name";
        r.handle(HttpMethod.PUT, one, this::deploy);
        r.handle(HttpMethod.GET, "/v1/tenants/:tenant/functions", this::list);
        r.handle(HttpMethod.GET, one, this::get);
        r.handle(HttpMethod.DELETE, one, this::delete);
        r.handle(HttpMethod.GET, one + "/versions", this::versions);
        r.handle(HttpMethod.GET, one + "/versions/:version", this::version);
        r.handle(HttpMethod.POST, one + "/rollback", this::rollback);
        r.handle(HttpMethod.GET, one + "/logs", this::logs);
        r.handle(HttpMethod.POST, one + "/invoke", this::invoke);
        r.handle(HttpMethod.GET, "/v1/modules", this::modules);
        r.handle(HttpMethod.POST, "/v1/modules/collect", this::collectModules);
    }

    private Reply deploy(Call c) {
        c.requireWrite();
        Body body = c.body().allow(DEPLOY_FIELDS);
        Optional<byte[]> bundle = body.string("bundle").flatMap(b -> {
            try {
                return Optional.of(Base64.getMimeDecoder().decode(b));
            } catch (IllegalArgumentException e) {
                body.reject("bundle", "must be base64 (of a zip, tar or tar.gz archive)");
                return Optional.empty();
            }
        });
        Deployer.Request request = new Deployer.Request(c.path("name"), body.string("code"), bundle, body.string("entry"),
                body.jsonText("packageJson"), body.stringMap("dependencies"), body.stringMap("env"), body.stringMap("secrets"),
                optionalInt(body.integer("timeoutMs")), optionalInt(body.integer("memoryMb")));
        body.finish();
        boolean exists = catalog.functions().list(c.path("tenant")).stream().anyMatch(f -> f.name().equals(c.path("name")));
        Deployer.Deployment d = deployer.deploy(c.path("tenant"), request, c.actor());
        Map<String, Object> view = version(d.version(), Optional.of(d.modules()));
        invocations.url(catalog.tenants().get(c.path("tenant")), c.path("name")).ifPresent(url -> view.put("url", url));
        return exists ? Reply.ok(view) : Reply.created("/v1/tenants/" + c.path("tenant") + "/functions/" + c.path("name"), view);
    }

    private static OptionalInt optionalInt(Optional<Integer> value) {
        return value.map(OptionalInt::of).orElse(OptionalInt.empty());
    }

    private Reply list(Call c) {
        return Reply.ok(Map.of("items", catalog.functions().list(c.path("tenant")).stream().map(FunctionRoutes::function).toList()));
    }

    private Reply get(Call c) {
        Functions.Function f = catalog.functions().get(c.path("tenant"), c.path("name"));
        Map<String, Object> view = function(f);
        Functions.Version latest = catalog.functions().version(c.path("tenant"), f.name(), f.latestVersion());
        view.put("latest", version(latest, Optional.of(deployer.modulesOf(latest))));
        return Reply.ok(view);
    }

    private Reply delete(Call c) {
        c.requireWrite();
        catalog.functions().delete(c.path("tenant"), c.path("name"), c.actor());
        return Reply.noContent();
    }

    private Reply versions(Call c) {
        return Reply.ok(Map.of("items", catalog.functions().versions(c.path("tenant"), c.path("name")).stream()
                .map(v -> version(v, Optional.empty())).toList()));
    }

    private Reply version(Call c) {
        Functions.Version v = catalog.functions().version(c.path("tenant"), c.path("name"), versionNumber(c.path("version"), "version"));
        return Reply.ok(version(v, Optional.of(deployer.modulesOf(v))));
    }

    private Reply rollback(Call c) {
        c.requireWrite();
        Body body = c.body().allow(Set.of("version"));
        int version = body.requiredInt("version");
        body.finish();
        return Reply.ok(function(catalog.functions().rollback(c.path("tenant"), c.path("name"), version, c.actor())));
    }

    private Reply logs(Call c) {
        Tenant tenant = catalog.tenants().get(c.path("tenant"));
        catalog.functions().get(c.path("tenant"), c.path("name"));
        long after = c.query("after").map(a -> {
            try {
                return Long.parseLong(a);
            } catch (NumberFormatException e) {
                throw ApiException.BadRequest.of("after", "must be a log line id (a non-negative integer)");
            }
        }).orElse(0L);
        if (after < 0) {
            throw ApiException.BadRequest.of("after", "must be a log line id (a non-negative integer)");
        }
        List<FunctionLogs.Line> lines = logs.read(tenant.id(), c.path("name"), after, c.query("requestId"), c.limit(200, 1_000));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", lines.stream().map(FunctionRoutes::line).toList());
        out.put("next", lines.isEmpty() ? after : lines.getLast().id());
        return Reply.ok(out);
    }

    private Reply invoke(Call c) {
        c.requireWrite();
        Tenant tenant = catalog.tenants().get(c.path("tenant"));
        catalog.functions().get(c.path("tenant"), c.path("name"));
        return Reply.ok(invocations.invoke(tenant, c.path("name"), c.rawBody(), c.header("Content-Type"), c.query("path").orElse("")));
    }

    private Reply modules(Call c) {
        Optional<String> name = c.query("name");
        return Reply.ok(Map.of("items", deployer.parts().modules().list().stream()
                .filter(m -> name.map(n -> n.equals(m.name())).orElse(true)).map(FunctionRoutes::module).toList()));
    }

    /** Removes the modules no live function version names and no deploy named for {@code unusedForSeconds} (default a day). */
    private Reply collectModules(Call c) {
        c.requireWrite();
        long unusedFor = ModuleCollector.DEFAULT_UNUSED_FOR.toSeconds();
        if (c.rawBody().length > 0) { // the body is optional
            Body body = c.body().allow(Set.of("unusedForSeconds"));
            unusedFor = body.longValue("unusedForSeconds").orElse(unusedFor);
            if (unusedFor < ModuleCollector.MIN_UNUSED_FOR.toSeconds() || unusedFor > ModuleCollector.MAX_UNUSED_FOR.toSeconds()) {
                body.reject("unusedForSeconds", "must be " + ModuleCollector.MIN_UNUSED_FOR.toSeconds() + " to "
                        + ModuleCollector.MAX_UNUSED_FOR.toSeconds() + " (five minutes to ten years)");
            }
            body.finish();
        }
        ModuleCollector.Collected done = new ModuleCollector(deployer.parts().modules(), deployer.parts().store(),
                java.time.Clock.systemUTC()).collect(java.time.Duration.ofSeconds(unusedFor));
        return Reply.ok(Map.of("modules", done.modules(), "blobs", done.blobs(), "unpacked", done.unpacked()));
    }

    private static int versionNumber(String text, String field) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw dev.tenantry.catalog.CatalogException.InvalidInput.of(field, "must be a non-negative integer, not '"
                + (text.length() > 20 ? text.substring(0, 20) + "..." : text) + "'");
    }

    static Map<String, Object> function(Functions.Function f) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", f.name());
        out.put("tenantId", f.tenantId().toString());
        out.put("latestVersion", f.latestVersion());
        out.put("activeVersion", f.activeVersion().isPresent() ? f.activeVersion().getAsInt() : null);
        out.put("createdAt", f.createdAt().toString());
        out.put("updatedAt", f.updatedAt().toString());
        return out;
    }

    /** A version; {@code states}, where read, lists each module's build state as {@code moduleStates}. */
    static Map<String, Object> version(Functions.Version v, Optional<List<Module>> states) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", v.name());
        out.put("version", v.version());
        out.put("state", v.state());
        out.put("error", v.error().orElse(null));
        out.put("entry", v.entry());
        out.put("codeSha256", v.codeSha256());
        out.put("codeBytes", v.codeBytes());
        out.put("dependencies", v.dependencies());
        out.put("modules", v.modules());
        states.ifPresent(s -> out.put("moduleStates", s.stream().map(FunctionRoutes::module).toList()));
        out.put("env", v.env());
        out.put("secrets", v.secretNames());
        out.put("timeoutMs", v.timeoutMs());
        out.put("memoryMb", v.memoryMb());
        out.put("createdAt", v.createdAt().toString());
        out.put("createdBy", v.createdBy());
        return out;
    }

    static Map<String, Object> module(Module m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", m.name());
        out.put("version", m.version());
        out.put("state", m.state().name().toLowerCase(java.util.Locale.ROOT));
        out.put("error", m.error().orElse(null));
        out.put("sha256", m.sha256().orElse(null));
        out.put("bytes", m.bytes().orElse(null));
        out.put("requestedAt", m.requestedAt().toString());
        out.put("builtAt", m.builtAt().map(Object::toString).orElse(null));
        return out;
    }

    private static Map<String, Object> line(FunctionLogs.Line l) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", l.id());
        out.put("at", l.at().toString());
        out.put("version", l.version().orElse(null));
        out.put("requestId", l.requestId());
        out.put("stream", l.stream());
        out.put("line", l.text());
        return out;
    }
}
