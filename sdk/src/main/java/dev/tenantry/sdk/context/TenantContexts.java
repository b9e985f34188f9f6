package dev.tenantry.sdk.context;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;

/**
 * Every tenant's context, kept fresh in memory from a Tenantry node, so a service can tell which
 * tenant a request is for by host, id, slug or API-key prefix with no network on the lookup path.
 *
 * <p>{@link #start} starts one daemon thread, {@code tenantry-contexts}, which loads a snapshot
 * ({@code GET /v1/context/snapshot}) and then follows the change stream
 * ({@code GET /v1/context/changes}, Server-Sent Events). A dropped stream is reopened from the last
 * change held, after a capped exponential back-off; a gap in the numbers or a resync from the node
 * reloads the snapshot. Lookups answer from what was last loaded, also while the node is away.
 *
 * <pre>{@code
 * TenantContexts contexts = TenantContexts.connect(URI.create("https://tenantry.internal:8081"), token);
 * contexts.awaitReady(Duration.ofSeconds(10));
 * Optional<TenantContext> tenant = contexts.byHost(request.host());
 * }</pre>
 */
public final class TenantContexts implements AutoCloseable {
    /** The name of the background thread. */
    public static final String THREAD_NAME = "tenantry-contexts";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);
    private final FeedConfig config;
    private final ContextIndex index = new ContextIndex();
    private final HttpClient http;
    private final boolean ownsHttp;
    private final FollowFeed feed;
    private final Thread thread;
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.NEW);

    private enum Phase { NEW, RUNNING, CLOSED }

    private TenantContexts(FeedConfig config, Optional<HttpClient> http) {
        this.config = config;
        this.ownsHttp = http.isEmpty();
        this.http = http.orElseGet(() -> HttpClient.newBuilder()
                .connectTimeout(min(config.readTimeout(), Duration.ofSeconds(5))).build());
        Backoff backoff = new Backoff(config.reconnectMax(), RandomGenerator.getDefault());
        this.feed = new FollowFeed(new ContextApi(config, this.http), index, backoff, config.readTimeout());
        this.thread = Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(feed);
    }

    /** A builder for a client of the node at {@code baseUrl}, authenticated with {@code token}. */
    public static Builder builder(URI baseUrl, String token) {
        return new Builder(baseUrl, token);
    }

    /** A started client with the default settings: {@code builder(baseUrl, token).build().start()}. */
    public static TenantContexts connect(URI baseUrl, String token) {
        return builder(baseUrl, token).build().start();
    }

    /** Starts following the node in the background; does nothing if already started. */
    public TenantContexts start() {
        if (phase.compareAndSet(Phase.NEW, Phase.RUNNING)) {
            thread.start();
        } else if (phase.get() == Phase.CLOSED) {
            throw new IllegalStateException("the tenant contexts of " + config.baseUrl() + " are closed");
        }
        return this;
    }

    /** Waits until the first snapshot is loaded; true if it was within {@code timeout}. */
    public boolean awaitReady(Duration timeout) {
        return feed.awaitReady(timeout);
    }

    /** The tenant with this hostname, case-insensitively, with or without a port. */
    public Optional<TenantContext> byHost(String host) {
        return index.byHost(host);
    }

    /** The tenant with this id. */
    public Optional<TenantContext> byId(String id) {
        return index.byId(id);
    }

    /** The tenant with this slug. */
    public Optional<TenantContext> bySlug(String slug) {
        return index.bySlug(slug);
    }

    /** The live API key with this prefix, with its tenant. */
    public Optional<ContextIndex.KeyEntry> byKeyPrefix(String prefix) {
        return index.byKeyPrefix(prefix);
    }

    /** The index the lookups read, for everything else it offers. */
    public ContextIndex index() {
        return index;
    }

    /** The number of the last change held. */
    public long seq() {
        return index.seq();
    }

    /** Whether the change stream is open now. */
    public boolean connected() {
        return feed.state() instanceof FollowFeed.Streaming;
    }

    /** Why loading or following the feed last failed; empty once a snapshot loads or the stream opens again. */
    public Optional<String> lastError() {
        return feed.lastError();
    }

    /** Tells {@code listener} of every tenant whose context changes, on the background thread: keep it short. */
    public void addListener(ContextListener listener) {
        index.addListener(Objects.requireNonNull(listener, "listener"));
    }

    /** Stops the background thread and closes the stream; returns within about a second. Lookups keep answering. */
    @Override
    public void close() {
        Phase was = phase.getAndSet(Phase.CLOSED);
        if (was == Phase.CLOSED) {
            return;
        }
        feed.stop();
        if (was == Phase.RUNNING) {
            thread.interrupt();
            if (Thread.currentThread() != thread) { // a listener may close us from the thread itself
                join();
            }
        }
        if (ownsHttp) {
            http.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "TenantContexts[" + config.baseUrl() + ", seq=" + seq() + ", " + feed.state() + "]";
    }

    private void join() {
        try {
            thread.join(CLOSE_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Settings for {@link TenantContexts}; each has a default. */
    public static final class Builder {
        private final URI baseUrl;
        private final String token;
        private Optional<HttpClient> httpClient = Optional.empty();
        private Duration reconnectMax = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(45);

        private Builder(URI baseUrl, String token) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
            this.token = Objects.requireNonNull(token, "token");
        }

        /** The HTTP client to use; by default one of the client's own, shut down on {@link #close}. */
        public Builder httpClient(HttpClient client) {
            this.httpClient = Optional.of(client);
            return this;
        }

        /** The longest wait between reconnects (default 5 s); back-off starts at 100 ms and doubles up to it. */
        public Builder reconnectMax(Duration max) {
            this.reconnectMax = Objects.requireNonNull(max, "reconnectMax");
            return this;
        }

        /**
         * How long the node may stay silent (default 45 s): a stream without a byte for this long,
         * or a snapshot not received within it, counts as dead. The node sends a heartbeat every 15 s.
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = Objects.requireNonNull(timeout, "readTimeout");
            return this;
        }

        /** A client with these settings, not yet started; throws IllegalArgumentException naming an invalid setting. */
        public TenantContexts build() {
            return new TenantContexts(new FeedConfig(baseUrl, token, reconnectMax, readTimeout), httpClient);
        }
    }
}
