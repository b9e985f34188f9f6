package dev.tenantry.sdk.context;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps an index at the head of a node's change feed: loads a snapshot, applies the stream's
 * changes in order, reopens a dropped stream from the last change held and reloads the snapshot
 * on a gap or a resync. Runs on one thread until {@link #stop} and an interrupt; never dies of a
 * failure, it reports it and tries again after a back-off.
 */
final class FollowFeed implements Runnable {
    private static final System.Logger LOG = System.getLogger(TenantContexts.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ContextApi api;
    private final ContextIndex index;
    private final Backoff backoff;
    private final Duration readTimeout;
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile State state = new Loading();
    private volatile String lastError;
    private volatile boolean stopped;
    private boolean needsSnapshot = true;

    /** What the feed is doing. */
    sealed interface State permits Loading, Connecting, Streaming, Pausing, Stopped {
    }

    record Loading() implements State {
    }

    record Connecting(long after) implements State {
    }

    record Streaming(long after) implements State {
    }

    record Pausing(Duration delay, String reason) implements State {
    }

    record Stopped() implements State {
    }

    FollowFeed(ContextApi api, ContextIndex index, Backoff backoff, Duration readTimeout) {
        this.api = api;
        this.index = index;
        this.backoff = backoff;
        this.readTimeout = readTimeout;
    }

    @Override
    public void run() {
        try {
            while (!stopped) {
                round();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop() asked us to leave
        } finally {
            state = new Stopped();
        }
    }

    /** Asks the loop to end; the owner interrupts the thread to cut short any wait. */
    void stop() {
        stopped = true;
    }

    boolean awaitReady(Duration timeout) {
        try {
            return ready.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ready.getCount() == 0;
        }
    }

    State state() {
        return state;
    }

    Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** Loads a snapshot if needed, then follows the stream until it ends one way or another. */
    private void round() throws InterruptedException {
        try {
            if (needsSnapshot) {
                load();
            }
            String reason = follow(index.seq());
            needsSnapshot = true;
            LOG.log(System.Logger.Level.INFO, reason + ": reloading the context snapshot");
            pause(backoff.next(), reason); // paced, so a node that keeps asking cannot make us reload in a loop
        } catch (ContextApi.Refused e) {
            fail(e, e.unauthorized() ? backoff.capped() : backoff.next());
        } catch (IOException | RuntimeException e) {
            fail(e, backoff.next());
        }
    }

    private void load() throws IOException, InterruptedException {
        state = new Loading();
        ContextSnapshot snapshot = api.snapshot();
        index.replace(snapshot);
        needsSnapshot = false;
        lastError = null;
        ready.countDown();
        LOG.log(System.Logger.Level.DEBUG, "loaded the context snapshot at change " + snapshot.seq() + " ("
                + snapshot.tenants().size() + " tenants, " + snapshot.plans().size() + " plans)");
    }

    /** Applies the stream's changes; answers why a snapshot must be reloaded, or throws when the stream fails. */
    private String follow(long after) throws IOException, InterruptedException {
        state = new Connecting(after);
        try (ChangeStream stream = api.changes(after)) {
            stream.awaitOpen(readTimeout);
            state = new Streaming(after);
            lastError = null;
            ServerSentEvents events = new ServerSentEvents();
            while (true) {
                Optional<String> resync = switch (events.line(stream.nextLine(readTimeout))) {
                    case ServerSentEvents.Event event -> handle(event);
                    case ServerSentEvents.Comment heartbeat -> {
                        backoff.reset();
                        yield Optional.empty();
                    }
                    case ServerSentEvents.Pending pending -> Optional.empty();
                };
                if (resync.isPresent()) {
                    return resync.get();
                }
            }
        }
    }

    private Optional<String> handle(ServerSentEvents.Event event) throws IOException {
        return switch (event.type()) {
            case "change" -> apply(JSON.readValue(event.data(), ContextChange.class));
            case "resync" -> Optional.of("the node asked for a resync");
            default -> Optional.empty(); // an event this version does not know
        };
    }

    private Optional<String> apply(ContextChange change) throws IOException {
        if (change.entity() == null) {
            throw new IOException("change " + change.seq() + " names no entity");
        }
        return switch (index.apply(change)) {
            case APPLIED, ALREADY_SEEN -> {
                backoff.reset();
                yield Optional.empty();
            }
            case GAP -> Optional.of("change " + change.seq() + " does not follow change " + index.seq());
            case RESYNC -> Optional.of("change " + change.seq() + " says the state was rebuilt");
        };
    }

    private void fail(Exception e, Duration delay) throws InterruptedException {
        String error = e instanceof IOException && e.getMessage() != null ? e.getMessage() : e.toString();
        lastError = error;
        state = new Pausing(delay, error);
        LOG.log(System.Logger.Level.WARNING, "context feed: " + error + "; trying again in " + delay.toMillis()
                + " ms from change " + index.seq());
        Thread.sleep(delay);
    }

    private void pause(Duration delay, String reason) throws InterruptedException {
        state = new Pausing(delay, reason);
        Thread.sleep(delay);
    }
}
