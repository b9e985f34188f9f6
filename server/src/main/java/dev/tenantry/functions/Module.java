package dev.tenantry.functions;

import java.time.Instant;
import java.util.Optional;

/** One {@code name@version} in the module store and where its build stands. */
public record Module(String name, String version, State state, Optional<String> error, Optional<String> sha256,
                     Optional<Long> bytes, int attempts, Instant requestedAt, Optional<Instant> builtAt) {

    public enum State { QUEUED, BUILDING, AVAILABLE, FAILED }

    public String key() {
        return name + "@" + version;
    }

    /** Splits {@code name@version} (the name may be scoped: {@code @scope/name@1.0.0}). */
    public static String[] split(String key) {
        int at = key.lastIndexOf('@');
        if (at <= 0) {
            throw new IllegalArgumentException("'" + key + "' is not name@version");
        }
        return new String[] {key.substring(0, at), key.substring(at + 1)};
    }
}
