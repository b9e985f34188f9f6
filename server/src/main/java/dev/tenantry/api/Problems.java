package dev.tenantry.api;

import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.FieldError;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP answers. Catalog and API failures keep their message
 * (it names ids and states, never SQL); anything else is a 500 that says only the request id.
 */
final class Problems {
    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

    private Problems() {}

    static Problem of(Throwable failure) {
        return switch (failure) {
            case ApiException e -> fromApi(e);
            case CatalogException e -> fromCatalog(e);
            case dev.tenantry.functions.FunctionException.RegistryUnavailable r ->
                    new Problem(502, "registry-unavailable", "npm registry unavailable", r.getMessage(), List.of());
            default -> {
                LOG.error("unexpected failure; answering 500", failure);
                yield new Problem(500, "internal", "Internal error",
                        "The platform failed to handle this request; the request id finds it in the server log.", List.of());
            }
        };
    }

    private static Problem fromApi(ApiException e) {
        return switch (e) {
            case ApiException.BadRequest b -> new Problem(400, "bad-request", "Bad request", b.getMessage(), b.errors());
            case ApiException.Unauthenticated u -> new Problem(401, "unauthenticated", "Unauthenticated", u.getMessage(), List.of());
            case ApiException.Forbidden f -> new Problem(403, "forbidden", "Forbidden", f.getMessage(), List.of());
            case ApiException.UnsupportedMediaType m -> new Problem(415, "unsupported-media-type", "Unsupported media type", m.getMessage(), List.of());
            case ApiException.Unavailable u -> new Problem(503, "unavailable", "Service unavailable", u.getMessage(), List.of());
            default -> new Problem(e.status(), "error", "Error", e.getMessage(), e.errors());
        };
    }

    private static Problem fromCatalog(CatalogException e) {
        return switch (e) {
            case CatalogException.InvalidInput i -> new Problem(422, "validation", "Invalid input",
                    describe(i.errors()), i.errors());
            case CatalogException.TenantNotFound n -> new Problem(404, "not-found", "Not found", n.getMessage(), List.of());
            case CatalogException.NotFound n -> new Problem(404, "not-found", "Not found", n.getMessage(), List.of());
            case CatalogException.SlugTaken s -> new Problem(409, "slug-taken", "Slug taken", s.getMessage(),
                    List.of(new FieldError("slug", "is taken by another tenant")));
            case CatalogException.HostnameTaken h -> new Problem(409, "hostname-taken", "Hostname taken", h.getMessage(),
                    List.of(new FieldError("hostname", "is already in use")));
            case CatalogException.IllegalTransition t -> new Problem(409, "illegal-transition", "Illegal lifecycle transition",
                    t.getMessage(), List.of(new FieldError("status", "is '" + t.current().wire() + "'")));
            case CatalogException.VersionConflict v -> new Problem(412, "version-mismatch", "Precondition failed",
                    v.getMessage(), List.of(new FieldError("If-Match", "expected version " + v.expected() + ", current is " + v.current())));
            case CatalogException.Conflict c -> new Problem(409, "conflict", "Conflict", c.getMessage(), List.of());
            default -> new Problem(400, "bad-request", "Bad request", e.getMessage(), List.of());
        };
    }

    /** Problems for statuses the router itself produces (no route, wrong method, body too large). */
    static Problem forStatus(int status, String method, String path) {
        return switch (status) {
            case 404 -> new Problem(404, "not-found", "Not found", "no resource at " + path, List.of());
            case 405 -> new Problem(405, "method-not-allowed", "Method not allowed", method + " is not allowed on " + path, List.of());
            case 413 -> new Problem(413, "body-too-large", "Body too large",
                    "the request body is larger than this server accepts (see --max-body-bytes)", List.of());
            case 431 -> new Problem(431, "headers-too-large", "Request headers too large", "the request headers are too large", List.of());
            default -> new Problem(status, "http-" + status, "HTTP " + status, "the request failed with status " + status, List.of());
        };
    }

    private static String describe(List<FieldError> errors) {
        return errors.size() == 1 ? errors.get(0).field() + " " + errors.get(0).reason()
                : errors.size() + " fields are invalid: " + String.join(", ", errors.stream().map(FieldError::field).toList());
    }

    static Map<String, Object> json(Problem p, String instance, String requestId) {
        return p.toJson(instance, requestId);
    }
}
