package dev.tenantry.functions;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * The invoker's own answers, as problem+json with tenant-facing wording: what went wrong with
 * the tenant's function (its error, its limits), never the platform's internals.
 */
final class Replies {
    private Replies() {}

    static int send(HttpServerRequest req, int status, String type, String title, String detail) {
        HttpServerResponse res = req.response();
        if (res.headWritten() || res.closed()) {
            res.reset();
            return status;
        }
        req.resume();
        String body = "{\"type\":\"/problems/" + type + "\",\"title\":\"" + escape(title)
                + "\",\"status\":" + status + ",\"detail\":\"" + escape(detail) + "\"}";
        res.setStatusCode(status).putHeader("Content-Type", "application/problem+json").putHeader("Cache-Control", "no-store");
        if (status == 429) {
            res.putHeader("Retry-After", "1");
        }
        res.end(Buffer.buffer(body));
        return status;
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
