package dev.flowfabric.coordinator.domain;

import java.util.UUID;

/**
 * One execution handed to a worker by a claim, with the fence the worker must present; a resume
 * of a suspension also carries the signals that resumed it ({@code resumeSignalsJson}, else null).
 */
public record Claimed(
        UUID executionId, short partitionKey, String kind, String inputJson, String tagsJson,
        int attemptIndex, String attemptType, UUID leaseId, long leaseEpoch, long leaseExpiresAtMs,
        long leaseTtlMs, int priority, long createdAtMs, String lane, UUID flowId, UUID quotaPolicyId,
        String resumeSignalsJson) {

    public boolean resume() {
        return "resume".equals(attemptType);
    }

    public Claimed withResumeSignals(String json) {
        return new Claimed(executionId, partitionKey, kind, inputJson, tagsJson, attemptIndex, attemptType, leaseId,
                leaseEpoch, leaseExpiresAtMs, leaseTtlMs, priority, createdAtMs, lane, flowId, quotaPolicyId, json);
    }

    public Transition transition() {
        return new Transition(executionId, partitionKey, flowId, lane, quotaPolicyId, "active", null, true, false);
    }
}
