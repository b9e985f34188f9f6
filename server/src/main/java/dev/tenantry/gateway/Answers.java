package dev.tenantry.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * The gateway's own answers, as problem+json. They say what the end user can act on and
 * nothing of the platform's inside: an unknown host learns only that there is nothing here.
 */
final class Answers {
    private static final Answer NOT_FOUND = problem(404, "", "not-found", "Not found", "There is nothing at this address.");
    private static final Answer NO_ROUTE = problem(404, "", "no-route", "Not found", "This site has no route for the path.");
    private static final Answer PROVISIONING = problem(503, "Retry-After: 5\r\n", "tenant-provisioning", "Not ready yet",
            "This site is being set up; try again in a few seconds.");
    private static final Answer SUSPENDED = problem(403, "", "tenant-suspended", "Suspended",
            "This site is suspended by its operator. Contact the site's owner.");
    private static final Answer UNAVAILABLE = problem(503, "Retry-After: 60\r\n", "tenant-unavailable", "Unavailable",
            "This site is unavailable.");
    private static final Answer UNREACHABLE = problem(502, "", "bad-gateway", "Bad gateway", "The site's service could not be reached.");
    private static final Answer NO_ANSWER = problem(502, "", "bad-gateway", "Bad gateway", "The site's service failed to answer.");
    private static final Answer TIMEOUT = problem(504, "", "gateway-timeout", "Gateway timeout",
            "The site's service did not answer in time.");
    private static final Answer HEADERS_TOO_LARGE = new Answer(431, "", new byte[0]);
    private static final Answer BAD_REQUEST = new Answer(400, "", new byte[0]);
    private static final Answer URI_TOO_LONG = new Answer(414, "", new byte[0]);

    private static final byte[] LIMIT = "RateLimit-Limit: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REMAINING = "\r\nRateLimit-Remaining: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESET = "\r\nRateLimit-Reset: ".getBytes(StandardCharsets.US_ASCII);

    private Answers() {}

    /**
     * A complete response but for its connection header: status line, headers, and a body of
     * known length. {@code headers} are whole header lines, each ending with CRLF.
     */
    record Answer(int status, String headers, byte[] body) {
        /** Appends the response; {@code close} adds {@code Connection: close}, {@code bodiless} leaves the body out (HEAD). */
        void writeTo(ByteBuf out, boolean close, boolean bodiless) {
            HttpResponseStatus s = HttpResponseStatus.valueOf(status);
            out.writeCharSequence("HTTP/1.1 " + s.codeAsText() + " " + s.reasonPhrase() + "\r\n" + headers
                    + "Content-Length: " + body.length + "\r\n" + (close ? "Connection: close\r\n\r\n" : "\r\n"),
                    StandardCharsets.ISO_8859_1);
            if (!bodiless) {
                out.writeBytes(body);
            }
        }
    }

    static Answer notFound() {
        return NOT_FOUND;
    }

    static Answer noRoute() {
        return NO_ROUTE;
    }

    static Answer provisioning() {
        return PROVISIONING;
    }

    static Answer suspended() {
        return SUSPENDED;
    }

    static Answer unavailable() {
        return UNAVAILABLE;
    }

    static Answer unauthenticated(String detail) {
        return problem(401, "WWW-Authenticate: Bearer realm=\"api\"\r\n", "unauthenticated", "Unauthenticated", detail);
    }

    static Answer throttled(Limiter.Verdict verdict) {
        String headers = rateLimitHeaders(verdict) + "Retry-After: " + verdict.resetSeconds() + "\r\n";
        return verdict.quotaExhausted()
                ? problem(429, headers, "quota-exhausted", "Daily quota exhausted",
                        "The daily request quota of this site's plan is used up; it renews at midnight UTC.")
                : problem(429, headers, "rate-limited", "Too many requests",
                        "The request rate of this site's plan is exceeded; retry after " + verdict.resetSeconds() + " s.");
    }

    static Answer badGateway(boolean connecting) {
        return connecting ? UNREACHABLE : NO_ANSWER;
    }

    static Answer functionsUnavailable(String why) {
        return problem(503, "", "functions-unavailable", "Functions unavailable", why);
    }

    static Answer upstreamTimeout() {
        return TIMEOUT;
    }

    static Answer headersTooLarge() {
        return HEADERS_TOO_LARGE;
    }

    static Answer uriTooLong() {
        return URI_TOO_LONG;
    }

    static Answer badRequest() {
        return BAD_REQUEST;
    }

    /** {@code RateLimit-Limit}, {@code -Remaining}, {@code -Reset} (IETF draft, seconds) as header lines. */
    private static String rateLimitHeaders(Limiter.Verdict verdict) {
        return "RateLimit-Limit: " + verdict.limit() + "\r\nRateLimit-Remaining: " + verdict.remaining()
                + "\r\nRateLimit-Reset: " + verdict.resetSeconds() + "\r\n";
    }

    /** Appends the {@code RateLimit-*} header lines (as {@link #rateLimitHeaders}, without building a string). */
    static void writeRateLimitHeaders(ByteBuf out, Limiter.Verdict verdict) {
        out.writeBytes(LIMIT);
        decimal(out, verdict.limit());
        out.writeBytes(REMAINING);
        decimal(out, verdict.remaining());
        out.writeBytes(RESET);
        decimal(out, verdict.resetSeconds());
        out.writeByte('\r').writeByte('\n');
    }

    private static void decimal(ByteBuf out, long n) {
        int digits = 1;
        for (long rest = n / 10; rest > 0; rest /= 10) {
            digits++;
        }
        int at = out.ensureWritable(digits).writerIndex();
        for (int i = digits - 1; i >= 0; i--, n /= 10) {
            out.setByte(at + i, (int) ('0' + n % 10));
        }
        out.writerIndex(at + digits);
    }

    private static Answer problem(int status, String headers, String type, String title, String detail) {
        String json = "{\"type\":\"/problems/" + type + "\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        return new Answer(status, headers + "Content-Type: application/problem+json\r\nCache-Control: no-store\r\n",
                json.getBytes(StandardCharsets.UTF_8));
    }
}
