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
}
