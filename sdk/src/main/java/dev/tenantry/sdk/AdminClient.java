package dev.tenantry.sdk;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tenantry.sdk.context.TenantContext;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.StringJoiner;

/**
 * A typed client of the control-plane API. Thread-safe; one per server. Every refusal is an
 * {@link ApiError} carrying the server's problem document.
 */
public final class AdminClient {
    /** The JSON mapper the SDK uses (Java time and Optional aware); handy for printing models. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new Jdk8Module()).registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .setSerializationInclusion(JsonInclude.Include.NON_ABSENT);

    private final URI server;
    private final String token;
    private final HttpClient http;

    public AdminClient(URI server, String token) {
        this.server = server;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public URI server() {
        return server;
    }

    // ---- tenants

    /** What to create; empty fields take the server's defaults. */
    public record NewTenant(String slug, Optional<String> displayName, Optional<String> plan, Optional<String> tier,
                            Optional<String> region, Map<String, String> labels) {}

    public Models.Tenant createTenant(NewTenant request, Optional<String> idempotencyKey) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("slug", request.slug());
        request.displayName().ifPresent(v -> body.put("displayName", v));
        request.plan().ifPresent(v -> body.put("plan", v));
        request.tier().ifPresent(v -> body.put("tier", v));
        request.region().ifPresent(v -> body.put("region", v));
        if (!request.labels().isEmpty()) {
            body.put("labels", request.labels());
        }
        Map<String, String> headers = idempotencyKey.map(k -> Map.of("Idempotency-Key", k)).orElse(Map.of());
        return send("POST", "/v1/tenants", body, headers, Models.Tenant.class);
    }

    public Models.Tenant tenant(String ref) {
        return send("GET", "/v1/tenants/" + path(ref), null, Map.of(), Models.Tenant.class);
    }

    /** Listing filters; empty ones are not applied. */
    public record TenantQuery(Optional<String> status, Optional<String> plan, Optional<String> tier,
                              Map<String, String> labels, Optional<String> slugPrefix, Optional<String> cursor,
                              int limit) {
        public static TenantQuery all(int limit) {
            return new TenantQuery(Optional.empty(), Optional.empty(), Optional.empty(), Map.of(), Optional.empty(),
                    Optional.empty(), limit);
        }

        public TenantQuery after(String cursor) {
            return new TenantQuery(status, plan, tier, labels, slugPrefix, Optional.of(cursor), limit);
        }
    }

    public Models.Page<Models.Tenant> tenants(TenantQuery q) {
        StringJoiner query = new StringJoiner("&");
        q.status().ifPresent(v -> query.add("status=" + enc(v)));
        q.plan().ifPresent(v -> query.add("plan=" + enc(v)));
        q.tier().ifPresent(v -> query.add("tier=" + enc(v)));
        q.labels().forEach((k, v) -> query.add("label=" + enc(k + "=" + v)));
        q.slugPrefix().ifPresent(v -> query.add("slugPrefix=" + enc(v)));
        q.cursor().ifPresent(v -> query.add("cursor=" + enc(v)));
        query.add("limit=" + q.limit());
        return this.<Models.Page<Models.Tenant>>send("GET", "/v1/tenants?" + query, null, Map.of(), page(Models.Tenant.class));
    }

    /** Changes the given fields ({@code displayName}, {@code plan}, {@code labels}); with a version, only if current. */
    public Models.Tenant updateTenant(String ref, Map<String, Object> changes, OptionalInt ifVersion) {
        return send("PATCH", "/v1/tenants/" + path(ref), changes, ifMatch(ifVersion), Models.Tenant.class);
    }

    public Models.Tenant suspendTenant(String ref, Optional<String> reason) {
        Map<String, Object> body = reason.<Map<String, Object>>map(r -> Map.of("reason", r)).orElse(Map.of());
        return send("POST", "/v1/tenants/" + path(ref) + "/suspend", body, Map.of(), Models.Tenant.class);
    }

    public Models.Tenant resumeTenant(String ref) {
        return send("POST", "/v1/tenants/" + path(ref) + "/resume", null, Map.of(), Models.Tenant.class);
    }

    public Models.Tenant deleteTenant(String ref) {
        return send("DELETE", "/v1/tenants/" + path(ref), null, Map.of(), Models.Tenant.class);
    }

    public Models.Tenant rotateCredentials(String ref) {
        return send("POST", "/v1/tenants/" + path(ref) + "/rotate-credentials", null, Map.of(), Models.Tenant.class);
    }

    /** The tenant's connection strings and passwords, by resource kind (admin scope). */
    public com.fasterxml.jackson.databind.JsonNode credentials(String ref) {
        return send("GET", "/v1/tenants/" + path(ref) + "/credentials", null, Map.of(), com.fasterxml.jackson.databind.JsonNode.class);
    }

    // ---- operations

    public Models.Operation operation(String id) {
        return send("GET", "/v1/operations/" + path(id), null, Map.of(), Models.Operation.class);
    }

    public List<Models.Operation> operations(String tenantRef) {
        return itemsOf("/v1/tenants/" + path(tenantRef) + "/operations", Models.Operation.class);
    }

    public Models.Operation retryOperation(String id) {
        return send("POST", "/v1/operations/" + path(id) + "/retry", null, Map.of(), Models.Operation.class);
    }

    /**
     * Polls the operation until it finishes or {@code timeout} passes, telling {@code progress}
     * about every change; returns its last state.
     */
    public Models.Operation await(String id, Duration timeout, java.util.function.Consumer<Models.Operation> progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Models.Operation op = operation(id);
        progress.accept(op);
        while (!op.finished() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return op;
            }
            op = operation(id);
            progress.accept(op);
        }
        return op;
    }

    // ---- domains and keys

    public List<Models.Domain> domains(String tenantRef) {
        return itemsOf("/v1/tenants/" + path(tenantRef) + "/domains", Models.Domain.class);
    }

    public Models.Domain addDomain(String tenantRef, String hostname) {
        return send("POST", "/v1/tenants/" + path(tenantRef) + "/domains", Map.of("hostname", hostname), Map.of(), Models.Domain.class);
    }

    public void removeDomain(String tenantRef, String hostname) {
        send("DELETE", "/v1/tenants/" + path(tenantRef) + "/domains/" + path(hostname), null, Map.of(), Void.class);
    }

    public Models.ApiKey createKey(String tenantRef, String name, List<String> scopes, Optional<java.time.Instant> expiresAt) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("scopes", scopes);
        expiresAt.ifPresent(at -> body.put("expiresAt", at.toString()));
        return send("POST", "/v1/tenants/" + path(tenantRef) + "/api-keys", body, Map.of(), Models.ApiKey.class);
    }

    public List<Models.ApiKey> keys(String tenantRef) {
        return itemsOf("/v1/tenants/" + path(tenantRef) + "/api-keys", Models.ApiKey.class);
    }

    public Models.ApiKey revokeKey(String tenantRef, String keyId) {
        return send("DELETE", "/v1/tenants/" + path(tenantRef) + "/api-keys/" + path(keyId), null, Map.of(), Models.ApiKey.class);
    }

    // ---- routes

    /** The tenant's gateway routes and the version of the table. */
    public Models.RouteTable routes(String tenantRef) {
        return send("GET", "/v1/tenants/" + path(tenantRef) + "/routes", null, Map.of(), Models.RouteTable.class);
    }

    /**
     * Replaces the tenant's routes as a whole ({@code List.of()} removes them all); with a version,
     * only if the table is still at it (else an {@link ApiError} with status 412).
     */
    public Models.RouteTable putRoutes(String tenantRef, List<Models.Route> routes, OptionalInt ifVersion) {
        return send("PUT", "/v1/tenants/" + path(tenantRef) + "/routes", Map.of("routes", routes), ifMatch(ifVersion),
                Models.RouteTable.class);
    }

    /**
     * As {@link #putRoutes(String, List, OptionalInt)}, with the routes as a JSON array in the API's
     * shape (a file, say): fields left out take the API's defaults, and the refusal of a bad or
     * unknown field names it ({@code routes[0].upstreams[1].url}).
     */
    public Models.RouteTable putRoutes(String tenantRef, com.fasterxml.jackson.databind.JsonNode routes, OptionalInt ifVersion) {
        return send("PUT", "/v1/tenants/" + path(tenantRef) + "/routes", Map.of("routes", routes), ifMatch(ifVersion),
                Models.RouteTable.class);
    }

    // ---- functions

    /**
     * Deploys a new version of a function. {@code body} is the API's deploy object: {@code code} (one
     * source file) or {@code bundle} (base64 zip/tar/tar.gz), and optionally {@code entry},
     * {@code packageJson}, {@code dependencies}, {@code env}, {@code secrets}, {@code timeoutMs},
     * {@code memoryMb}.
     */
    public Models.FunctionVersion deployFunction(String tenantRef, String name, Map<String, Object> body) {
        return send("PUT", functionPath(tenantRef, name), body, Map.of(), Models.FunctionVersion.class);
    }

    public List<Models.Function> functions(String tenantRef) {
        return itemsOf("/v1/tenants/" + path(tenantRef) + "/functions", Models.Function.class);
    }

    public Models.Function function(String tenantRef, String name) {
        return send("GET", functionPath(tenantRef, name), null, Map.of(), Models.Function.class);
    }

    /** Newest first. */
    public List<Models.FunctionVersion> functionVersions(String tenantRef, String name) {
        return itemsOf(functionPath(tenantRef, name) + "/versions", Models.FunctionVersion.class);
    }

    public Models.FunctionVersion functionVersion(String tenantRef, String name, int version) {
        return send("GET", functionPath(tenantRef, name) + "/versions/" + version, null, Map.of(), Models.FunctionVersion.class);
    }

    /** Makes an earlier ready version the serving one. */
    public Models.Function rollbackFunction(String tenantRef, String name, int version) {
        return send("POST", functionPath(tenantRef, name) + "/rollback", Map.of("version", version), Map.of(), Models.Function.class);
    }

    public void deleteFunction(String tenantRef, String name) {
        send("DELETE", functionPath(tenantRef, name), null, Map.of(), Void.class);
    }

    /** Log lines after {@code after} (0 for the oldest kept), optionally of one request. */
    public Models.LogPage functionLogs(String tenantRef, String name, long after, Optional<String> requestId, int limit) {
        return send("GET", functionPath(tenantRef, name) + "/logs?after=" + after + "&limit=" + limit
                + requestId.map(r -> "&requestId=" + enc(r)).orElse(""), null, Map.of(), Models.LogPage.class);
    }

    /** Invokes a function as its tenant's traffic would (through the API node's gateway); {@code path} follows /fn/name. */
    public Models.Invocation invokeFunction(String tenantRef, String name, byte[] body, String contentType, String path) {
        return sendRaw("POST", functionPath(tenantRef, name) + "/invoke" + (path.isEmpty() ? "" : "?path=" + enc(path)),
                body, contentType, Models.Invocation.class);
    }

    /** The module store's builds, optionally of one package. */
    public List<Models.ModuleState> modules(Optional<String> name) {
        return itemsOf("/v1/modules" + name.map(n -> "?name=" + enc(n)).orElse(""), Models.ModuleState.class);
    }

    private static String functionPath(String tenantRef, String name) {
        return "/v1/tenants/" + path(tenantRef) + "/functions/" + path(name);
    }

    // ---- tenant contexts (as this node holds them in memory)

    /** The context of the live tenant serving {@code host}; an {@link ApiError} 404 when none does. */
    public TenantContext contextByHost(String host) {
        return send("GET", "/v1/context/by-host/" + path(host), null, Map.of(), TenantContext.class);
    }

    /** The context of the live tenant with this id; an {@link ApiError} 404 when there is none. */
    public TenantContext contextById(String id) {
        return send("GET", "/v1/context/by-id/" + path(id), null, Map.of(), TenantContext.class);
    }

    /** The context of the live tenant with this slug; an {@link ApiError} 404 when there is none. */
    public TenantContext contextBySlug(String slug) {
        return send("GET", "/v1/context/by-slug/" + path(slug), null, Map.of(), TenantContext.class);
    }

    /** How current the node's tenant contexts are. */
    public Models.ContextStatus contextStatus() {
        return send("GET", "/v1/context/status", null, Map.of(), Models.ContextStatus.class);
    }

    /**
     * Rebuilds every tenant context from the catalog and announces it, so every node and service
     * reloads (admin scope); answers the change number of the rebuild.
     */
    public long contextResync() {
        return send("POST", "/v1/context/resync", null, Map.of(), com.fasterxml.jackson.databind.JsonNode.class)
                .path("seq").asLong();
    }

    /** The key the gateway signs tenant headers with (admin scope). Secret: it lets its holder forge them. */
    public Models.HeaderKey headerKey() {
        return send("GET", "/v1/context/header-key", null, Map.of(), Models.HeaderKey.class);
    }

    // ---- plans, audit, tokens

    public List<Models.Plan> plans() {
        return itemsOf("/v1/plans", Models.Plan.class);
    }

    public Models.Plan updatePlan(String name, Map<String, Object> changes) {
        return send("PATCH", "/v1/plans/" + path(name), changes, Map.of(), Models.Plan.class);
    }

    /** Audit filters; empty ones are not applied. Times are RFC 3339. */
    public record AuditQuery(Optional<String> tenant, Optional<String> actor, Optional<String> action,
                             Optional<String> since, Optional<String> until, Optional<String> cursor, int limit) {}

    public Models.Page<Models.AuditEntry> audit(AuditQuery q) {
        StringJoiner query = new StringJoiner("&");
        q.tenant().ifPresent(v -> query.add("tenant=" + enc(v)));
        q.actor().ifPresent(v -> query.add("actor=" + enc(v)));
        q.action().ifPresent(v -> query.add("action=" + enc(v)));
        q.since().ifPresent(v -> query.add("since=" + enc(v)));
        q.until().ifPresent(v -> query.add("until=" + enc(v)));
        q.cursor().ifPresent(v -> query.add("cursor=" + enc(v)));
        query.add("limit=" + q.limit());
        return this.<Models.Page<Models.AuditEntry>>send("GET", "/v1/audit?" + query, null, Map.of(), page(Models.AuditEntry.class));
    }

    public Models.AdminToken createToken(String name, List<String> scopes) {
        return send("POST", "/v1/tokens", Map.of("name", name, "scopes", scopes), Map.of(), Models.AdminToken.class);
    }

    public List<Models.AdminToken> tokens() {
        return itemsOf("/v1/tokens", Models.AdminToken.class);
    }

    public Models.AdminToken revokeToken(String id) {
        return send("DELETE", "/v1/tokens/" + path(id), null, Map.of(), Models.AdminToken.class);
    }

    // ---- transport

    private <T> T send(String method, String pathAndQuery, Object body, Map<String, String> headers, Class<T> type) {
        return send(method, pathAndQuery, body, headers, JSON.constructType(type));
    }

    private <T> T send(String method, String pathAndQuery, Object body, Map<String, String> headers, JavaType type) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.resolve(pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        headers.forEach(request::header);
        try {
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            }
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() >= 400) {
                throw new ApiError(problem(response));
            }
            if (type.getRawClass() == Void.class || response.body().length == 0) {
                return null;
            }
            return JSON.readValue(response.body(), type);
        } catch (IOException e) {
            throw new TenantryClientException.Unreachable("cannot reach the Tenantry API at " + server + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TenantryClientException.Unreachable("interrupted while calling " + server, e);
        }
    }

    private <T> T sendRaw(String method, String pathAndQuery, byte[] body, String contentType, Class<T> type) {
        HttpRequest request = HttpRequest.newBuilder(server.resolve(pathAndQuery)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json")
                .header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() >= 400) {
                throw new ApiError(problem(response));
            }
            return JSON.readValue(response.body(), type);
        } catch (IOException e) {
            throw new TenantryClientException.Unreachable("cannot reach the Tenantry API at " + server + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TenantryClientException.Unreachable("interrupted while calling " + server, e);
        }
    }

    private static Models.Problem problem(HttpResponse<byte[]> response) {
        try {
            return JSON.readValue(response.body(), Models.Problem.class);
        } catch (IOException e) {
            return new Models.Problem("about:blank", "HTTP " + response.statusCode(), response.statusCode(),
                    new String(response.body(), StandardCharsets.UTF_8), "", "unknown", Optional.empty());
        }
    }

    private <T> List<T> itemsOf(String path, Class<T> item) {
        Models.Items<T> items = send("GET", path, null, Map.of(), JSON.getTypeFactory().constructParametricType(Models.Items.class, item));
        return items.items();
    }

    private static Map<String, String> ifMatch(OptionalInt version) {
        return version.isPresent() ? Map.of("If-Match", "\"" + version.getAsInt() + "\"") : Map.of();
    }

    private static JavaType page(Class<?> item) {
        return JSON.getTypeFactory().constructParametricType(Models.Page.class, item);
    }


    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String path(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

}
