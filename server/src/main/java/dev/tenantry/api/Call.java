package dev.tenantry.api;

import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.AdminToken;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** One API request as an endpoint sees it: parameters, body, caller. */
final class Call {
    static final String TOKEN = "tenantry.token";
    static final String REQUEST_ID = "tenantry.requestId";
    private final RoutingContext ctx;

    Call(RoutingContext ctx) {
        this.ctx = ctx;
    }

    String path(String name) {
        return ctx.pathParam(name);
    }

    String requestId() {
        return ctx.get(REQUEST_ID);
    }

    /** The authenticated caller, for the audit log. */
    Actor actor() {
        AdminToken token = ctx.get(TOKEN);
        return new Actor("token:" + token.name() + ":" + token.prefix(), requestId());
    }

    /** Refuses (403) callers whose token may only read. */
    Call requireWrite() {
        return requireAdmin("this request changes the catalog");
    }

    /** Refuses (403) callers without the admin scope, saying why the request needs it. */
    Call requireAdmin(String why) {
        AdminToken token = ctx.get(TOKEN);
        if (!token.mayWrite()) {
            throw new ApiException.Forbidden("token '" + token.name() + "' has the read scope only; " + why);
        }
        return this;
    }

    Optional<String> header(String name) {
        return Optional.ofNullable(ctx.request().getHeader(name));
    }

    /** The JSON body (415 unless it is declared JSON, 400 unless it parses as an object). */
    Body body() {
        String type = header("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        String mediaType = type.split(";", 2)[0].trim();
        if (!mediaType.equals("application/json") && !mediaType.endsWith("+json")) {
            throw new ApiException.UnsupportedMediaType("the body must be JSON (Content-Type: application/json), not '"
                    + (mediaType.isEmpty() ? "none" : mediaType) + "'");
        }
        return Body.parse(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
    }

    /** The body as sent, whatever its type (empty when none). */
    byte[] rawBody() {
        return ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    }

    /** A single-valued query parameter; repeating it is a 400. */
    Optional<String> query(String name) {
        List<String> all = ctx.queryParam(name);
        if (all.size() > 1) {
            throw ApiException.BadRequest.of(name, "must be given once");
        }
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    List<String> queryAll(String name) {
        return ctx.queryParam(name);
    }

    int limit(int fallback, int max) {
        Optional<String> text = query("limit");
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            int limit = Integer.parseInt(text.get());
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.BadRequest.of("limit", "must be an integer between 1 and " + max);
    }

    Optional<Instant> instantQuery(String name) {
        return query(name).map(text -> {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw ApiException.BadRequest.of(name, "must be an RFC 3339 UTC time such as 2030-01-31T12:00:00Z");
            }
        });
    }

    /** {@code key=value} pairs of a repeated query parameter such as {@code label=env=prod}. */
    Map<String, String> pairs(String name) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : queryAll(name)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw ApiException.BadRequest.of(name, "must be key=value, not '" + pair + "'");
            }
            out.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return out;
    }

    /** The version an {@code If-Match} header expects: {@code "7"} (an ETag this API sent) or {@code *}. */
    OptionalInt ifMatch() {
        Optional<String> header = header("If-Match").map(String::trim);
        if (header.isEmpty() || header.get().equals("*")) {
            return OptionalInt.empty();
        }
        String value = header.get();
        if (value.length() >= 3 && value.startsWith("\"") && value.endsWith("\"")) {
            try {
                return OptionalInt.of(Integer.parseInt(value.substring(1, value.length() - 1)));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw ApiException.BadRequest.of("If-Match", "must be an ETag this API returned, such as \"3\"");
    }
}
