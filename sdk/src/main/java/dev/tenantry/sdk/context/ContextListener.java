package dev.tenantry.sdk.context;

/** Told of each tenant whose context changed: {@code before} or {@code after} is null when it appeared or went. */
@FunctionalInterface
public interface ContextListener {
    void changed(TenantContext before, TenantContext after);
}
