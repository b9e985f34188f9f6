package dev.tenantry.runtime;

/** The runtime's root exception: a sandbox that cannot start, or a worker that died. */
public class SandboxException extends java.lang.RuntimeException {
    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The worker did not say it was ready in time; the message carries what it printed. */
    public static final class StartFailed extends SandboxException {
        public StartFailed(String message) {
            super(message);
        }
    }
}
