package dev.tenantry.context;

import dev.tenantry.sdk.context.ContextIndex;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/** A node's tenant contexts: the in-memory index, the follower that keeps it current, and the repair tool. */
public final class ContextService implements AutoCloseable {
    private final ContextIndex index;
    private final FeedFollower follower;
    private final FeedFollower.Connections connections;

    private ContextService(ContextIndex index, FeedFollower follower, FeedFollower.Connections connections) {
        this.index = index;
        this.follower = follower;
        this.connections = connections;
    }

    /**
     * Loads the snapshot (waiting up to {@code timeout}) and starts following the feed on a session
     * from {@code follow}; {@code shortLived} serves brief reads (a pool).
     */
    public static ContextService start(FeedFollower.Connections follow, FeedFollower.Connections shortLived,
                                       FeedFollower.Settings settings, Duration timeout) {
        ContextIndex index = new ContextIndex();
        FeedFollower follower = new FeedFollower(index, follow, settings).start(timeout);
        return new ContextService(index, follower, shortLived);
    }

    public ContextIndex index() {
        return index;
    }

    public FeedFollower follower() {
        return follower;
    }

    /** A short-lived session (catch-up reads for change streams); the caller closes it. */
    public Connection connection() throws SQLException {
        return connections.open();
    }

    /**
     * Rebuilds every tenant's and plan's state from the catalog and announces it: every node and
     * stream reloads its snapshot. Answers the resync's change number.
     */
    public long resync() throws SQLException {
        try (Connection c = connections.open()) {
            return ContextFeed.resync(c);
        }
    }

    @Override
    public void close() {
        follower.close();
    }
}
