package dev.flowfabric.coordinator.domain;

import java.util.List;
import java.util.UUID;

/**
 * An execution as the API shows it (api.md §1.3). JSON documents stay serialized text: they pass
 * through the service untouched.
 */
public record Execution(
        UUID executionId, short partitionKey, String namespace, String lane, String kind, int priority,
        UUID flowId, List<String> requiredCapabilities, String tagsJson, String inputJson,
        String publicState, String lifecyclePhase, String ownershipState, String eligibilityState,
        String blockingReason, String attemptState, String terminalOutcome,
        int attemptIndex, int attemptCount, int retryCount, int reclaimCount,
        long createdAtMs, Long startedAtMs, Long terminalAtMs, Long delayUntilMs, Long deadlineAtMs,
        Integer progressPercent, String progressMessage, String resultJson, String lastErrorJson,
        Lease currentLease, String idempotencyKey, UUID quotaPolicyId) {

    /** The live lease of an active execution. */
    public record Lease(String workerId, String workerInstanceId, long leaseEpoch, long leaseExpiresAtMs) { }

    public boolean terminal() {
        return "terminal".equals(lifecyclePhase);
    }
}
