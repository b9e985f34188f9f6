package dev.tenantry.context;

import dev.tenantry.sdk.context.ContextChange;
import dev.tenantry.sdk.context.ContextIndex;
import dev.tenantry.sdk.context.ContextSnapshot;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ContextIndex} current from the change feed, on one thread and one database
 * session of its own: a snapshot first, then every change in order. LISTEN/NOTIFY wakes it as
 * soon as a change commits; a poll every {@code pollInterval} is the safety net. A gap in the
 * numbers (the feed was pruned past it) or a resync entry makes it reload the snapshot. When the
 * session breaks it reconnects with back-off and resumes from the last change it holds, serving
 * lookups from memory all the while.
 */
public final class FeedFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FeedFollower.class);
    private static final int BATCH = 2_000;
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);

    /** Opens a database session for the follower (outside any pool: it stays open and LISTENs). */
    @FunctionalInterface
    public interface Connections {
        Connection open() throws SQLException;
    }

    /** How the follower behaves: how often it polls, and whether this node prunes old changes. */
    public record Settings(Duration pollInterval, Duration reconnectMax, boolean prune, int pruneKeep, Duration pruneAge) {
        public static Settings defaults(boolean prune) {
            return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(2), prune, 100_000, Duration.ofHours(1));
        }
    }

    private final ContextIndex index;
    private final Connections connections;
    private final Settings settings;
    private final List<Consumer<ContextChange>> subscribers = new CopyOnWriteArrayList<>();
    private final CountDownLatch loaded = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Connection current;
    private volatile boolean connected;
    private volatile String lastError;
    private volatile long snapshots;
    private volatile long reconnects;
    private long nextPrune;

    public FeedFollower(ContextIndex index, Connections connections, Settings settings) {
        this.index = index;
        this.connections = connections;
        this.settings = settings;
        this.thread = Thread.ofPlatform().daemon().name("context-follower").unstarted(this::run);
    }

    /** Starts following and waits until the first snapshot is loaded. */
    public FeedFollower start(Duration timeout) {
        thread.start();
        try {
            if (!loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new IllegalStateException("the tenant contexts did not load within " + timeout.toSeconds() + " s"
                        + Optional.ofNullable(lastError).map(e -> ": " + e).orElse(""));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the tenant contexts", e);
        }
        return this;
    }

    /**
     * Hears every change after it is applied, in order, on the follower's thread (keep it short);
     * after a snapshot reload it hears one {@code resync} change carrying the snapshot's number.
     */
    public void subscribe(Consumer<ContextChange> subscriber) {
        subscribers.add(subscriber);
    }

    public void unsubscribe(Consumer<ContextChange> subscriber) {
        subscribers.remove(subscriber);
    }

    public ContextIndex index() {
        return index;
    }

    /** Whether the follower's database session is up now. */
    public boolean connected() {
        return connected;
    }

    public Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** How many snapshots were loaded (1 after start; more after gaps, resyncs). */
    public long snapshots() {
        return snapshots;
    }

    /** How many times the session was re-opened after breaking. */
    public long reconnects() {
        return reconnects;
    }

    private void run() {
        long backoff = 100;
        while (running) {
            try (Connection c = connections.open()) {
                current = c;
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("listen " + ContextFeed.CHANNEL);
                }
                connected = true;
                backoff = 100;
                if (snapshots == 0) {
                    loadSnapshot(c);
                }
                follow(c);
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    break;
                }
                connected = false;
                lastError = e.getMessage();
                reconnects++;
                LOG.atWarn().addKeyValue("seq", index.seq()).log("context feed session lost, reconnecting: {}", e.getMessage());
                sleep(backoff + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
                backoff = Math.min(backoff * 2, settings.reconnectMax().toMillis());
            } finally {
                connected = false;
                current = null;
            }
        }
    }

    private void follow(Connection c) throws SQLException {
        PGConnection pg = c.unwrap(PGConnection.class);
        int poll = (int) settings.pollInterval().toMillis();
        while (running) {
            catchUp(c);
            if (settings.prune() && System.currentTimeMillis() >= nextPrune) {
                nextPrune = System.currentTimeMillis() + PRUNE_EVERY.toMillis();
                int pruned = ContextFeed.prune(c, settings.pruneKeep(), settings.pruneAge());
                if (pruned > 0) {
                    LOG.info("pruned {} old context changes", pruned);
                }
            }
            pg.getNotifications(poll); // returns at the first notification, or after the poll interval
        }
    }

    private void catchUp(Connection c) throws SQLException {
        while (running) {
            // The newest number first, then the changes: a change numbered up to it was committed
            // before it was read, so an empty answer can only mean the changes were pruned.
            long last = ContextFeed.lastSeq(c);
            if (last <= index.seq()) {
                return;
            }
            List<ContextChange> changes = ContextFeed.changesAfter(c, index.seq(), BATCH);
            if (changes.isEmpty()) {
                loadSnapshot(c);
                continue;
            }
            for (ContextChange change : changes) {
                switch (index.apply(change)) {
                    case APPLIED -> publish(change);
                    case ALREADY_SEEN -> { }
                    case GAP, RESYNC -> {
                        loadSnapshot(c);
                        return;
                    }
                }
            }
        }
    }

    private void loadSnapshot(Connection c) throws SQLException {
        long started = System.nanoTime();
        ContextSnapshot snapshot = ContextFeed.snapshot(c);
        index.replace(snapshot);
        snapshots++;
        loaded.countDown();
        LOG.atInfo().addKeyValue("seq", snapshot.seq()).addKeyValue("tenants", snapshot.tenants().size())
                .addKeyValue("millis", (System.nanoTime() - started) / 1_000_000)
                .log("tenant contexts loaded from a snapshot");
        publish(new ContextChange(snapshot.seq(), ContextChange.RESYNC, "", null));
    }

    private void publish(ContextChange change) {
        for (Consumer<ContextChange> subscriber : subscribers) {
            try {
                subscriber.accept(change);
            } catch (RuntimeException e) {
                LOG.warn("a context subscriber failed: {}", e.toString());
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        Connection c = current;
        if (c != null) {
            try {
                c.abort(Runnable::run); // closes the socket: wakes a blocked getNotifications
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
