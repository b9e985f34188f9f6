package dev.tenantry.provision;

/** A provisioning step failed; the message says which resource, on which server, and why. */
public class ProvisionException extends RuntimeException {
    public ProvisionException(String message) {
        super(message);
    }

    public ProvisionException(String message, Throwable cause) {
        super(message, cause);
    }
}
