package dev.tenantry.runtime;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Receives what workers print: the bootstrap writes one JSON object per line (a function's log
 * line, a diagnostic); anything else (Node's own fatal messages) arrives as
 * {@code {"type":"raw","line":...}}. Called on the worker's reader thread; must not block long.
 */
@FunctionalInterface
public interface WorkerOutput {
    void line(Worker worker, JsonNode message);

    WorkerOutput DISCARD = (worker, message) -> { };
}
