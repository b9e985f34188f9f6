package dev.tenantry.api;

/**
 * How the API listens.
 *
 * @param host          address to bind
 * @param port          port to bind (0 picks a free one)
 * @param maxBodyBytes  larger request bodies get 413 without being read whole
 */
public record ApiSettings(String host, int port, long maxBodyBytes) {}
