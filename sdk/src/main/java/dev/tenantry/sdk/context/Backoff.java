package dev.tenantry.sdk.context;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Reconnect delays: 100 ms doubling up to a cap, each drawn at random from its upper half so a
 * fleet of services does not reconnect in step. Used by one thread.
 */
final class Backoff {
    static final Duration FIRST = Duration.ofMillis(100);
    private final long maxMillis;
    private final RandomGenerator random;
    private int attempt;

    Backoff(Duration max, RandomGenerator random) {
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    /** The delay before the next attempt; each call doubles the one after, up to the cap. */
    Duration next() {
        long ceiling = Math.min(FIRST.toMillis() << Math.min(attempt, 20), maxMillis);
        attempt++;
        return jittered(ceiling);
    }

    /** A delay at the cap, for failures that retrying sooner will not fix. */
    Duration capped() {
        return jittered(maxMillis);
    }

    /** Starts over from the first delay: the feed made progress. */
    void reset() {
        attempt = 0;
    }

    private Duration jittered(long ceiling) {
        long floor = ceiling / 2;
        return Duration.ofMillis(floor + random.nextLong(ceiling - floor + 1));
    }
}
