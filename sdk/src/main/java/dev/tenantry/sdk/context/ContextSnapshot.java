package dev.tenantry.sdk.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** Every plan and every live tenant's context, as of change number {@code seq}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContextSnapshot(long seq, List<PlanLimits> plans, List<TenantContext> tenants) {
}
