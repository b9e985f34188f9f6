package dev.tenantry.catalog;

import java.util.Arrays;
import java.util.Optional;

/** Where a tenant's resources live: shared ({@code pool}) or dedicated ({@code silo}). */
public enum Tier {
    POOL, SILO;

    /** The wire and database name: {@code pool} or {@code silo}. */
    public String wire() {
        return name().toLowerCase();
    }

    /** The tier with this wire name, if any. */
    public static Optional<Tier> parse(String wire) {
        return Arrays.stream(values()).filter(t -> t.wire().equals(wire)).findFirst();
    }
}
