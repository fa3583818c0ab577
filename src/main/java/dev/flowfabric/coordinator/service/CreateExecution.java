package dev.flowfabric.coordinator.service;

import java.util.List;
import java.util.UUID;

/** A create request whose fields passed validation; the service resolves id, partition and state. */
public record CreateExecution(
        UUID executionId, String namespace, String lane, String kind, String inputJson, int priority,
        List<String> requiredCapabilities, String tagsJson, String idempotencyKey, Long delayUntilMs,
        Long deadlineAtMs, String retryPolicyJson, Long attemptTimeoutMs, UUID flowId, List<UUID> budgetIds,
        UUID quotaPolicyId) {
}
