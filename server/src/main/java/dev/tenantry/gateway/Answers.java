package dev.tenantry.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * The gateway's own answers, as problem+json. They say what the end user can act on and
 * nothing of the platform's inside: an unknown host learns only that there is nothing here.
 */
final class Answers {
    private static final Buffer NOT_FOUND = problem(404, "not-found", "Not found", "There is nothing at this address.");

    private Answers() {}

    static int notFound(HttpServerRequest req) {
        return send(req, 404, NOT_FOUND);
    }

    static int noRoute(HttpServerRequest req) {
        return send(req, 404, problem(404, "no-route", "Not found", "This site has no route for the path."));
    }

    static int provisioning(HttpServerRequest req) {
        req.response().putHeader("Retry-After", "5");
        return send(req, 503, problem(503, "tenant-provisioning", "Not ready yet",
                "This site is being set up; try again in a few seconds."));
    }

    static int suspended(HttpServerRequest req) {
        return send(req, 403, problem(403, "tenant-suspended", "Suspended",
                "This site is suspended by its operator. Contact the site's owner."));
    }

    static int unavailable(HttpServerRequest req) {
        req.response().putHeader("Retry-After", "60");
        return send(req, 503, problem(503, "tenant-unavailable", "Unavailable", "This site is unavailable."));
    }

    static int unauthenticated(HttpServerRequest req, String detail) {
        req.response().putHeader("WWW-Authenticate", "Bearer realm=\"api\"");
        return send(req, 401, problem(401, "unauthenticated", "Unauthenticated", detail));
    }

    static int throttled(HttpServerRequest req, Limiter.Verdict verdict) {
        rateLimitHeaders(req.response().headers(), verdict);
        req.response().putHeader("Retry-After", Long.toString(verdict.resetSeconds()));
        return send(req, 429, verdict.quotaExhausted()
                ? problem(429, "quota-exhausted", "Daily quota exhausted",
                        "The daily request quota of this site's plan is used up; it renews at midnight UTC.")
                : problem(429, "rate-limited", "Too many requests",
                        "The request rate of this site's plan is exceeded; retry after " + verdict.resetSeconds() + " s."));
    }

    static int badGateway(HttpServerRequest req, boolean connecting) {
        return send(req, 502, problem(502, "bad-gateway", "Bad gateway", connecting
                ? "The site's service could not be reached." : "The site's service failed to answer."));
    }

    static int functionsUnavailable(HttpServerRequest req, String why) {
        return send(req, 503, problem(503, "functions-unavailable", "Functions unavailable", why));
    }

    static int upstreamTimeout(HttpServerRequest req) {
        return send(req, 504, problem(504, "gateway-timeout", "Gateway timeout", "The site's service did not answer in time."));
    }

    /** {@code RateLimit-Limit}, {@code -Remaining}, {@code -Reset} (IETF draft, seconds). */
    static void rateLimitHeaders(MultiMap headers, Limiter.Verdict verdict) {
        headers.set("RateLimit-Limit", Long.toString(verdict.limit()));
        headers.set("RateLimit-Remaining", Long.toString(verdict.remaining()));
        headers.set("RateLimit-Reset", Long.toString(verdict.resetSeconds()));
    }

    private static int send(HttpServerRequest req, int status, Buffer body) {
        req.resume(); // the unread body is discarded
        HttpServerResponse res = req.response();
        if (res.headWritten() || res.closed()) {
            return status;
        }
        res.setStatusCode(status).putHeader("Content-Type", "application/problem+json").putHeader("Cache-Control", "no-store")
                .end(body);
        return status;
    }

    private static Buffer problem(int status, String type, String title, String detail) {
        return Buffer.buffer("{\"type\":\"/problems/" + type + "\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
    }
}
