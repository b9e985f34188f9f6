package dev.tenantry.api;

import dev.tenantry.catalog.FieldError;
import java.util.List;

/** The API's own failures (the request's form, not the catalog's rules), each one HTTP status. */
sealed class ApiException extends RuntimeException {
    private final int status;
    private final List<FieldError> errors;

    ApiException(int status, String message, List<FieldError> errors) {
        super(message);
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    int status() {
        return status;
    }

    List<FieldError> errors() {
        return errors;
    }

    /** 400: the request cannot be read (malformed JSON, bad query parameter or header). */
    static final class BadRequest extends ApiException {
        BadRequest(String message, List<FieldError> errors) {
            super(400, message, errors);
        }

        static BadRequest of(String field, String reason) {
            return new BadRequest(field + " " + reason, List.of(new FieldError(field, reason)));
        }
    }

    /** 401: no token, or one that proves nothing. */
    static final class Unauthenticated extends ApiException {
        Unauthenticated(String message) {
            super(401, message, List.of());
        }
    }

    /** 403: the token is valid but may not do this. */
    static final class Forbidden extends ApiException {
        Forbidden(String message) {
            super(403, message, List.of());
        }
    }

    /** 415: the body is not JSON. */
    static final class UnsupportedMediaType extends ApiException {
        UnsupportedMediaType(String message) {
            super(415, message, List.of());
        }
    }

    /** 503: the request is fine but this node cannot serve it now (no gateway or function runtime here). */
    static final class Unavailable extends ApiException {
        Unavailable(String message) {
            super(503, message, List.of());
        }
    }
}
