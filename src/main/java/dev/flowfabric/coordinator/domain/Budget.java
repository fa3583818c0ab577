package dev.flowfabric.coordinator.domain;

import java.util.Map;
import java.util.UUID;

/**
 * A budget (api.md §6): limits and usage per dimension over a scope. It is exhausted while any
 * dimension is at or over its hard limit, or a report was refused since the last reset.
 */
public record Budget(UUID budgetId, String scope, String scopeId, Map<String, Limit> limits,
                     Map<String, Long> usage, long resetIntervalMs, Long nextResetAtMs, boolean exhausted,
                     long breachCount, long softBreachCount, Long lastBreachAtMs, String lastBreachDimension,
                     Long lastResetAtMs, long createdAtMs) {

    /** Limits of one dimension; null means none. */
    public record Limit(Long hard, Long soft) { }

    public enum Scope implements Wire { EXECUTION, FLOW, NAMESPACE }

    /** The answer to a usage report. */
    public record UsageOutcome(String outcome, String dimension, Long usage) {
        public static final String OK = "ok";
        public static final String SOFT_BREACH = "soft_breach";
        public static final String HARD_BREACH = "hard_breach";
        public static final String DUPLICATE = "duplicate";

        public UsageOutcome asDuplicate() {
            return new UsageOutcome(DUPLICATE, dimension, usage);
        }
    }
}
