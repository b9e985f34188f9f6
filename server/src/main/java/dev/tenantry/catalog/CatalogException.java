package dev.tenantry.catalog;

import java.util.List;
import java.util.UUID;

/**
 * The root of the catalog's failures. Each subclass is named after the failure, keeps the ids as
 * fields and states the situation in its message; the API maps each to one HTTP status.
 */
public abstract sealed class CatalogException extends RuntimeException {

    CatalogException(String message) {
        super(message);
    }

    /** The input breaks the catalog's rules; every bad field is listed. */
    public static final class InvalidInput extends CatalogException {
        private final List<FieldError> errors;

        public InvalidInput(List<FieldError> errors) {
            super("invalid input: " + errors.stream().map(e -> e.field() + " " + e.reason()).toList());
            this.errors = List.copyOf(errors);
        }

        public static InvalidInput of(String field, String reason) {
            return new InvalidInput(List.of(new FieldError(field, reason)));
        }

        public List<FieldError> errors() {
            return errors;
        }
    }

    /** No live tenant has this id or slug. */
    public static final class TenantNotFound extends CatalogException {
        public TenantNotFound(String ref) {
            super("no tenant with id or slug '" + ref + "'");
        }
    }

    /** Another live tenant already has the slug. */
    public static final class SlugTaken extends CatalogException {
        private final String slug;

        public SlugTaken(String slug) {
            super("the slug '" + slug + "' is taken by another tenant");
            this.slug = slug;
        }

        public String slug() {
            return slug;
        }
    }

    /** Another tenant (or this one) already has the hostname. */
    public static final class HostnameTaken extends CatalogException {
        public HostnameTaken(String hostname) {
            super("the hostname '" + hostname + "' is already in use");
        }
    }

    /** The lifecycle does not allow this move from the tenant's current status. */
    public static final class IllegalTransition extends CatalogException {
        private final UUID tenantId;
        private final Status current;

        public IllegalTransition(UUID tenantId, Status current, String action) {
            super("cannot " + action + " tenant " + tenantId + ": its status is '" + current.wire() + "'");
            this.tenantId = tenantId;
            this.current = current;
        }

        public UUID tenantId() {
            return tenantId;
        }

        public Status current() {
            return current;
        }
    }

    /** The caller's expected version is not the current one (someone changed it meanwhile). */
    public static final class VersionConflict extends CatalogException {
        private final int expected;
        private final int current;

        public VersionConflict(String target, int expected, int current) {
            super(target + " is at version " + current + ", not the expected " + expected);
            this.expected = expected;
            this.current = current;
        }

        public int expected() {
            return expected;
        }

        public int current() {
            return current;
        }
    }

    /** A referenced thing (plan, domain, key, token) does not exist. */
    public static final class NotFound extends CatalogException {
        public NotFound(String what, String ref) {
            super("no " + what + " '" + ref + "'");
        }
    }

    /** The request conflicts with the current state in a way other than the lifecycle. */
    public static final class Conflict extends CatalogException {
        public Conflict(String message) {
            super(message);
        }
    }
}
