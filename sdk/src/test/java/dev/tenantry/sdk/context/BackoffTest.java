package dev.tenantry.sdk.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;

class BackoffTest {

    @RepeatedTest(20)
    void delays_double_from_100_ms_up_to_the_cap_in_the_upper_half_of_each_step() {
        Backoff backoff = new Backoff(Duration.ofSeconds(5), new Random());
        long[] ceilings = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
        for (long ceiling : ceilings) {
            assertThat(backoff.next().toMillis()).isBetween(ceiling / 2, ceiling);
        }
        assertThat(backoff.capped().toMillis()).isBetween(2500L, 5000L);
    }

    @RepeatedTest(20)
    void reset_starts_over_from_the_first_delay() {
        Backoff backoff = new Backoff(Duration.ofSeconds(5), new Random());
        for (int i = 0; i < 10; i++) {
            backoff.next();
        }
        backoff.reset();
        assertThat(backoff.next().toMillis()).isBetween(50L, 100L);
    }

    @RepeatedTest(5)
    void the_jitter_spreads_the_delays() {
        Backoff backoff = new Backoff(Duration.ofSeconds(5), new Random());
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            delays.add(backoff.capped().toMillis());
        }
        assertThat(delays.stream().distinct().count()).isGreaterThan(1);
    }
}
