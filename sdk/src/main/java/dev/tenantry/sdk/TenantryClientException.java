package dev.tenantry.sdk;

/** The root of the SDK's failures: the API refused ({@link ApiError}) or could not be reached. */
public abstract sealed class TenantryClientException extends RuntimeException permits ApiError, TenantryClientException.Unreachable {

    TenantryClientException(String message) {
        super(message);
    }

    TenantryClientException(String message, Throwable cause) {
        super(message, cause);
    }

    /** No answer from the server (connection refused, timeout, not HTTP). */
    public static final class Unreachable extends TenantryClientException {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
