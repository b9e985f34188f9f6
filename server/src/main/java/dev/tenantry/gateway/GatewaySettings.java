package dev.tenantry.gateway;

import java.time.Duration;
import java.util.List;

/**
 * How a gateway listens and whom it trusts.
 *
 * @param trustedProxies source addresses (CIDRs) whose {@code tenantHeader} names the tenant
 * @param headerKey      the deployment's key for signing tenant headers (32 bytes or more)
 * @param idleTimeout    how long a connection may stay silent, also while sending its headers (slow clients)
 * @param metricsTenants how many tenants get their own metric labels; the rest share {@code _other}
 */
public record GatewaySettings(String host, int port, List<Cidr> trustedProxies, String tenantHeader, byte[] headerKey,
                              int maxHeaderBytes, Duration idleTimeout, int metricsTenants) {
    public static final String DEFAULT_TENANT_HEADER = "X-Tenantry-Tenant";
}
