package dev.tenantry.sdk.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** A plan's limits, as every tenant on the plan is held to them. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlanLimits(String name, String tier, int ratePerSecond, int burst, long dailyQuota, int maxConcurrency,
                         int memoryMb, int timeoutMs, boolean egressAllowed, int version) {
}
