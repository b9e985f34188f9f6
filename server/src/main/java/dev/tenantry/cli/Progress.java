package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Objects;

/**
 * Follows an operation to its end with a live progress line: rewritten in place on a terminal,
 * one line per change otherwise (logs, CI).
 */
final class Progress {
    private Progress() {}

    /** Waits for the operation; returns OK when it succeeded, FAILED (with its error printed) otherwise. */
    static int follow(AdminClient client, String operationId, Duration timeout, PrintWriter err) {
        boolean terminal = System.console() != null;
        String[] last = {""};
        Models.Operation op = client.await(operationId, timeout, o -> {
            String line = line(o);
            String state = line.replaceAll(" [0-9.]+s$", ""); // the elapsed time alone is no news off a terminal
            if (terminal || !Objects.equals(state, last[0])) {
                err.print(terminal ? "\r\033[K" + line : line + System.lineSeparator());
                err.flush();
                last[0] = state;
            }
        });
        if (terminal) {
            err.println();
        }
        err.flush();
        if (op.state().equals("succeeded")) {
            return ExitCodes.OK;
        }
        if (!op.finished()) {
            err.println("error: operation " + op.id() + " is still " + op.state() + " after " + timeout.toSeconds()
                    + " s; follow it with 'tenantry op wait " + op.id() + "'");
            return ExitCodes.TIMEOUT;
        }
        err.println("error: operation " + op.id() + " failed: " + op.error().orElse("no reason given")
                + " (retry with 'tenantry op retry " + op.id() + "')");
        err.flush();
        return ExitCodes.FAILED;
    }

    static String line(Models.Operation op) {
        int total = op.steps().size();
        long done = op.steps().stream().filter(s -> s.state().equals("done")).count();
        String current = op.steps().stream().filter(s -> !s.state().equals("done") && !s.state().equals("pending"))
                .findFirst().map(s -> s.name() + " " + s.state() + (s.attempts() > 1 ? " (attempt " + s.attempts() + ")" : "")
                        + s.lastError().filter(e -> s.state().equals("retrying")).map(e -> ": " + shorten(e)).orElse(""))
                .orElse("");
        long ms = java.time.Duration.between(op.createdAt(), op.finishedAt().orElse(java.time.Instant.now())).toMillis();
        return String.format("%s %s: %s [%d/%d] %s %.1fs", op.kind(), op.id().substring(0, 8) + "…", op.state(), done, total,
                current, ms / 1000.0).replaceAll(" +", " ");
    }

    private static String shorten(String text) {
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }
}
