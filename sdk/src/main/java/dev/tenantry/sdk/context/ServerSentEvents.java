package dev.tenantry.sdk.context;

/**
 * Reads a Server-Sent Events stream line by line, as the HTML specification's event-stream
 * interpretation does: {@code data} lines are joined with {@code \n}, a blank line dispatches the
 * event, lines starting with {@code :} are comments. Line breaks are already split off by the caller.
 */
final class ServerSentEvents {
    private static final Pending PENDING = new Pending();
    private final StringBuilder data = new StringBuilder();
    private String type = "";
    private String lastId = "";
    private boolean first = true;

    /** What one line amounted to. */
    sealed interface Parsed permits Event, Comment, Pending {
    }

    /** A dispatched event; {@code type} is {@code message} when the stream named none. */
    record Event(String id, String type, String data) implements Parsed {
    }

    /** A comment line, such as a heartbeat. */
    record Comment(String text) implements Parsed {
    }

    /** A field was taken in, or a blank line had nothing to dispatch. */
    record Pending() implements Parsed {
    }

    Parsed line(String line) {
        if (first) {
            first = false;
            if (line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
        }
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.startsWith(":")) {
            return new Comment(line.substring(1).strip());
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        field(field, value.startsWith(" ") ? value.substring(1) : value);
        return PENDING;
    }

    private void field(String name, String value) {
        switch (name) {
            case "data" -> data.append(value).append('\n');
            case "event" -> type = value;
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    lastId = value;
                }
            }
            default -> { } // retry and unknown fields: the feed does not use them
        }
    }

    private Parsed dispatch() {
        if (data.isEmpty()) {
            type = "";
            return PENDING;
        }
        Event event = new Event(lastId, type.isEmpty() ? "message" : type, data.substring(0, data.length() - 1));
        data.setLength(0);
        type = "";
        return event;
    }
}
