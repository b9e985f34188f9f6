package dev.tenantry.sdk.context;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/** Where the change feed comes from and how patiently it is followed; validated once, at build time. */
record FeedConfig(URI baseUrl, String token, Duration reconnectMax, Duration readTimeout) {

    FeedConfig {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(reconnectMax, "reconnectMax");
        Objects.requireNonNull(readTimeout, "readTimeout");
        String scheme = baseUrl.getScheme();
        if (!("http".equals(scheme) || "https".equals(scheme)) || baseUrl.getHost() == null) {
            throw new IllegalArgumentException("baseUrl must be an http or https URL with a host, was " + baseUrl);
        }
        if (token.isBlank()) {
            throw new IllegalArgumentException("token must not be blank");
        }
        if (reconnectMax.toMillis() < 1) {
            throw new IllegalArgumentException("reconnectMax must be at least 1 ms, was " + reconnectMax);
        }
        if (readTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("readTimeout must be at least 1 ms, was " + readTimeout);
        }
    }

    /** The API address for a path such as {@code /v1/context/snapshot}, keeping any path prefix of the base URL. */
    URI endpoint(String pathAndQuery) {
        String base = baseUrl.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + pathAndQuery);
    }

    @Override
    public String toString() {
        // never the token
        return "FeedConfig[baseUrl=" + baseUrl + ", reconnectMax=" + reconnectMax + ", readTimeout=" + readTimeout + "]";
    }
}
