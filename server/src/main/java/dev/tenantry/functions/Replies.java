package dev.tenantry.functions;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * The invoker's own answers, as problem+json with tenant-facing wording: what went wrong with
 * the tenant's function (its error, its limits), never the platform's internals.
 */
final class Replies {
    private Replies() {}

    /** Answers {@code call} with the problem; {@code requestId} is named in a header when not null. */
    static void send(Invocation call, String requestId, int status, String type, String title, String detail) {
        if (call.answering() || call.gone()) {
            call.abort();
            return;
        }
        String body = "{\"type\":\"/problems/" + type + "\",\"title\":\"" + escape(title)
                + "\",\"status\":" + status + ",\"detail\":\"" + escape(detail) + "\"}";
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/problem+json")
                .add("Cache-Control", "no-store");
        if (requestId != null) {
            headers.add("X-Request-Id", requestId);
        }
        if (status == 429) {
            headers.add("Retry-After", "1");
        }
        call.answer(status, headers, Buffer.buffer(body));
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
