package dev.tenantry.gateway;

import dev.tenantry.sdk.context.PlanLimits;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * A tenant's plan limits on this gateway node: a token bucket ({@code burst} capacity, refilled at
 * {@code ratePerSecond}) and a daily quota that refills whole at midnight UTC. A plan change
 * reconfigures both in place: the bucket keeps its tokens, and what was spent of today's quota
 * stays spent under the new one.
 */
final class Limiter {
    private final Bucket rate;
    private final Bucket quota;
    private volatile PlanLimits limits;

    /** What a request's check found, with the numbers for the {@code RateLimit-*} and {@code Retry-After} headers. */
    record Verdict(boolean allowed, long limit, long remaining, long resetSeconds, boolean quotaExhausted) {
    }

    Limiter(PlanLimits limits) {
        this.limits = limits;
        this.rate = Bucket.builder().withNanosecondPrecision().addLimit(rateBandwidth(limits)).build();
        this.quota = Bucket.builder().withMillisecondPrecision().addLimit(quotaBandwidth(limits)).build();
    }

    /** Applies new limits when they differ from the current ones. */
    void update(PlanLimits next) {
        PlanLimits current = limits;
        if (current.ratePerSecond() != next.ratePerSecond() || current.burst() != next.burst()) {
            rate.replaceConfiguration(BucketConfiguration.builder().addLimit(rateBandwidth(next)).build(),
                    TokensInheritanceStrategy.AS_IS);
        }
        if (current.dailyQuota() != next.dailyQuota()) { // what was spent today stays spent under the new quota
            long spent = Math.max(0, current.dailyQuota() - quota.getAvailableTokens());
            quota.replaceConfiguration(BucketConfiguration.builder().addLimit(quotaBandwidth(next)).build(),
                    TokensInheritanceStrategy.RESET);
            if (spent > 0) {
                quota.tryConsume(Math.min(spent, next.dailyQuota()));
            }
        }
        limits = next;
    }

    /** Takes one request from the bucket and the quota, or says how long to wait. */
    Verdict check() {
        PlanLimits l = limits;
        ConsumptionProbe probe = rate.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            return new Verdict(false, l.burst(), 0, Math.max(1, ceilSeconds(probe.getNanosToWaitForRefill())), false);
        }
        ConsumptionProbe daily = quota.tryConsumeAndReturnRemaining(1);
        if (!daily.isConsumed()) {
            return new Verdict(false, l.burst(), 0, Math.max(1, ceilSeconds(daily.getNanosToWaitForRefill())), true);
        }
        return new Verdict(true, l.burst(), Math.min(probe.getRemainingTokens(), daily.getRemainingTokens()),
                ceilSeconds(probe.getNanosToWaitForReset()), false);
    }

    private static long ceilSeconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }

    private static Bandwidth rateBandwidth(PlanLimits l) {
        return Bandwidth.builder().capacity(l.burst()).refillGreedy(l.ratePerSecond(), Duration.ofSeconds(1)).build();
    }

    private static Bandwidth quotaBandwidth(PlanLimits l) {
        Instant midnight = LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return Bandwidth.builder().capacity(l.dailyQuota()).refillIntervallyAligned(l.dailyQuota(), Duration.ofDays(1), midnight).build();
    }
}
