package dev.tenantry.functions;

/** The functions context's root exception. */
public class FunctionException extends RuntimeException {
    public FunctionException(String message) {
        super(message);
    }

    public FunctionException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The npm registry could not be asked (down, unreachable, answering errors): try again later. */
    public static final class RegistryUnavailable extends FunctionException {
        public RegistryUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
