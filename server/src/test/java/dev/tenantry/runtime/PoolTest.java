package dev.tenantry.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantry.testsupport.TestRuntime;
import dev.tenantry.testsupport.UnixHttp;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PoolTest {
    @Test
    void pool_fills_and_hands_over_warm_workers_then_starts_directly_when_empty() throws Exception {
        Sandbox sandbox = Sandbox.prepare(TestRuntime.settings(2));
        try (Pool pool = Pool.start(sandbox, WorkerOutput.DISCARD)) {
            assertThat(pool.awaitFull(Duration.ofSeconds(20))).isTrue();
            Worker a = pool.take("tenant-a", false).get();
            Worker b = pool.take("tenant-b", false).get();
            Worker c = pool.take("tenant-c", false).get();
            assertThat(a.tenant()).contains("tenant-a");
            assertThat(pool.stats().takenFromPool()).isEqualTo(2);
            assertThat(pool.stats().startedDirectly()).isEqualTo(1);
            String answer = UnixHttp.body(UnixHttp.exchange(c.socket(), "GET", "/health", ""));
            assertThat(answer).contains("\"tenant\":null").contains("\"rss\":");
            assertThat(a.assign("tenant-x")).isFalse();
            a.kill("test");
            assertThat(a.exit().get()).isEqualTo("test");
            assertThat(a.state()).isInstanceOf(WorkerState.Dead.class);
            b.kill("test");
            c.kill("test");
        }
    }

    @Test
    void the_newest_pooled_worker_goes_first() throws Exception {
        Sandbox sandbox = Sandbox.prepare(TestRuntime.settings(2));
        try (Pool pool = Pool.start(sandbox, WorkerOutput.DISCARD)) {
            assertThat(pool.awaitFull(Duration.ofSeconds(20))).isTrue();
            Worker first = pool.take("tenant-a", false).get();
            assertThat(pool.awaitFull(Duration.ofSeconds(20))).isTrue(); // the refill starts one after the take
            Worker refilled = pool.take("tenant-b", false).get();
            Worker oldest = pool.take("tenant-c", false).get();
            // Process ids grow with launch order here: the refill's worker was launched last, and of
            // the two first launched together the second went in last.
            assertThat(refilled.pid()).isGreaterThan(first.pid());
            assertThat(first.pid()).isGreaterThan(oldest.pid());
            assertThat(pool.stats().takenFromPool()).isEqualTo(3);
            for (Worker w : new Worker[] {first, refilled, oldest}) {
                w.kill("test");
            }
        }
    }
}
