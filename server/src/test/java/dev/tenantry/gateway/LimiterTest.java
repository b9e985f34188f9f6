package dev.tenantry.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantry.sdk.context.PlanLimits;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/** The plan's token bucket and daily quota, as the gateway applies them per tenant. */
class LimiterTest {
    private static PlanLimits plan(int rate, int burst, long quota) {
        return new PlanLimits("p", "pool", rate, burst, quota, 1, 128, 1000, false, 1);
    }

    @Test
    void the_burst_passes_then_requests_are_refused_until_tokens_refill() {
        Limiter limiter = new Limiter(plan(1, 3, 1_000));
        for (int i = 0; i < 3; i++) {
            Limiter.Verdict v = limiter.check();
            assertThat(v.allowed()).isTrue();
            assertThat(v.remaining()).isEqualTo(2 - i);
            assertThat(v.limit()).isEqualTo(3);
        }
        Limiter.Verdict refused = limiter.check();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.quotaExhausted()).isFalse();
        assertThat(refused.resetSeconds()).isBetween(1L, 1L);
    }

    @Test
    void an_exhausted_daily_quota_is_refused_until_midnight_utc() {
        Limiter limiter = new Limiter(plan(1_000, 1_000, 5));
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.check().allowed()).isTrue();
        }
        Limiter.Verdict refused = limiter.check();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.quotaExhausted()).isTrue();
        long toMidnight = Duration.between(ZonedDateTime.now(ZoneOffset.UTC),
                LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC)).toSeconds();
        assertThat(refused.resetSeconds()).isBetween(toMidnight - 5, toMidnight + 5);
    }

    @Test
    void a_plan_change_applies_the_new_limits_and_keeps_what_was_spent() {
        Limiter limiter = new Limiter(plan(1, 2, 1_000));
        limiter.check();
        limiter.check();
        assertThat(limiter.check().allowed()).isFalse();
        limiter.update(plan(1, 50, 1_000)); // a bigger burst: the bucket grows, it does not refill at once
        assertThat(limiter.check().limit()).isEqualTo(50);

        Limiter daily = new Limiter(plan(1_000, 1_000, 10));
        for (int i = 0; i < 5; i++) {
            assertThat(daily.check().allowed()).isTrue();
        }
        daily.update(plan(1_000, 1_000, 3)); // a smaller quota than already spent today
        Limiter.Verdict refused = daily.check();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.quotaExhausted()).isTrue();
    }
}
