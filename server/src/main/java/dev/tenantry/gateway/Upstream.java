package dev.tenantry.gateway;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One HTTP upstream, shared by every route and event loop that names its URL: requests in
 * flight (for balancing), health from active checks, and a short ejection after a failed connect.
 */
final class Upstream {
    private static final long EJECT_NANOS = 1_000_000_000L;
    final String url;
    final String host;
    final int port;
    final boolean ssl;
    final String basePath; // "" or "/base" without a trailing slash
    final String hostHeader;
    /** {@code Host: <hostHeader>} and CRLF, as the gateway sends it. */
    final byte[] hostLine;
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong requests = new AtomicLong();
    private volatile boolean healthy = true;
    private volatile long ejectedUntil;
    private int passes;
    private int failures;

    Upstream(String url) {
        URI uri = URI.create(url);
        this.url = url;
        this.ssl = "https".equalsIgnoreCase(uri.getScheme());
        this.host = uri.getHost();
        this.port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        boolean defaultPort = uri.getPort() < 0 || (ssl ? port == 443 : port == 80);
        this.hostHeader = defaultPort ? host : host + ":" + port;
        this.hostLine = ("Host: " + hostHeader + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Healthy by its checks and not ejected after a failed connect. */
    boolean available() {
        return healthy && System.nanoTime() - ejectedUntil >= 0;
    }

    boolean healthy() {
        return healthy;
    }

    /** A connect failed: leave it aside for a moment so retries and new requests go elsewhere. */
    void eject() {
        ejectedUntil = System.nanoTime() + EJECT_NANOS;
    }

    /** Records one active check's result; answers whether the health changed. */
    synchronized boolean checked(boolean passed, int unhealthyAfter, int healthyAfter) {
        if (passed) {
            failures = 0;
            passes++;
            if (!healthy && passes >= healthyAfter) {
                healthy = true;
                return true;
            }
        } else {
            passes = 0;
            failures++;
            if (healthy && failures >= unhealthyAfter) {
                healthy = false;
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return url;
    }
}
