package dev.tenantry.catalog;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * A tenant's lifecycle: {@code provisioning -> active <-> suspended -> deleting -> deleted}, or
 * {@code failed}. {@link #canMoveTo} is the whole transition table.
 */
public enum Status {
    PROVISIONING, ACTIVE, SUSPENDED, DELETING, DELETED, FAILED;

    /** The wire and database name, lower case. */
    public String wire() {
        return name().toLowerCase();
    }

    /** The statuses this one may move to. */
    public Set<Status> next() {
        return switch (this) {
            case PROVISIONING -> EnumSet.of(ACTIVE, FAILED, DELETING);
            case ACTIVE -> EnumSet.of(SUSPENDED, DELETING);
            case SUSPENDED -> EnumSet.of(ACTIVE, DELETING);
            case DELETING -> EnumSet.of(DELETED, FAILED);
            case FAILED -> EnumSet.of(PROVISIONING, DELETING);
            case DELETED -> EnumSet.noneOf(Status.class);
        };
    }

    public boolean canMoveTo(Status target) {
        return next().contains(target);
    }

    /** Whether the tenant's record may still be edited (name, plan, labels, domains, keys). */
    public boolean editable() {
        return this != DELETING && this != DELETED;
    }

    /** The status with this wire name, if any. */
    public static Optional<Status> parse(String wire) {
        return Arrays.stream(values()).filter(s -> s.wire().equals(wire)).findFirst();
    }
}
