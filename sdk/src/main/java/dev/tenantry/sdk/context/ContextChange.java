package dev.tenantry.sdk.context;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One entry of the change feed: entity {@code tenant} (key: its id) or {@code plan} (key: its
 * name) with its state after the change ({@code body}, null when it is gone), or {@code resync}:
 * the whole state was rebuilt and readers reload a snapshot. Numbers are gap-free, in commit order.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContextChange(long seq, String entity, String key, JsonNode body) {
    public static final String TENANT = "tenant";
    public static final String PLAN = "plan";
    public static final String RESYNC = "resync";
}
