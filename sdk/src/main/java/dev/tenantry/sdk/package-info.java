/**
 * The Tenantry Java SDK: {@link dev.tenantry.sdk.AdminClient}, a typed client of the control-plane
 * API (the CLI is built on it), and {@link dev.tenantry.sdk.ClientConfig}, the local client
 * configuration that {@code tenantry up} writes. Needs only the JDK and Jackson.
 */
package dev.tenantry.sdk;
