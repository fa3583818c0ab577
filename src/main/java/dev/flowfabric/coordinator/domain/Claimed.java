package dev.flowfabric.coordinator.domain;

import java.util.UUID;

/** One execution handed to a worker by a claim, with the fence the worker must present. */
public record Claimed(
        UUID executionId, short partitionKey, String kind, String inputJson, String tagsJson,
        int attemptIndex, String attemptType, UUID leaseId, long leaseEpoch, long leaseExpiresAtMs,
        long leaseTtlMs, int priority, long createdAtMs, String lane, UUID flowId, UUID quotaPolicyId) {

    public Transition transition() {
        return new Transition(executionId, partitionKey, flowId, lane, quotaPolicyId, "active", null, true, false);
    }
}
