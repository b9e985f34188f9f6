package dev.tenantry.gateway;

/**
 * The client end of a gateway connection.
 *
 * @param address its IP address, as {@code X-Forwarded-For} names it
 * @param trusted a trusted front proxy: its tenant header and forwarding headers are believed
 */
record Peer(String address, boolean trusted) {
}
