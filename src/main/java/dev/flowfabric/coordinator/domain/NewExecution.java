package dev.flowfabric.coordinator.domain;

import java.util.List;
import java.util.UUID;

/** A validated create request with its partition resolved and its initial state chosen. */
public record NewExecution(
        UUID executionId, short partitionKey, String namespace, String lane, String kind, String inputJson,
        int priority, List<String> requiredCapabilities, String tagsJson, String idempotencyKey,
        Long delayUntilMs, Long deadlineAtMs, String retryPolicyJson, Long attemptTimeoutMs, UUID flowId,
        List<UUID> budgetIds, UUID quotaPolicyId, boolean blockedByDependencies) {

    public boolean delayed(long now) {
        return delayUntilMs != null && delayUntilMs > now;
    }

    /**
     * Same request as an existing row, as far as idempotency cares. The namespace counts too: an
     * execution id reused from another namespace must not hand that namespace's execution back.
     */
    public boolean sameWorkAs(Execution existing) {
        return namespace.equals(existing.namespace()) && lane.equals(existing.lane()) && kind.equals(existing.kind());
    }
}
