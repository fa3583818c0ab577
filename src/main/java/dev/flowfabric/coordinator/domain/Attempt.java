package dev.flowfabric.coordinator.domain;

/** One row of an execution's attempt history. */
public record Attempt(int attemptIndex, String attemptType, String workerId, String workerInstanceId,
                      long leaseEpoch, Long startedAtMs, Long terminalAtMs, String outcome, String errorJson) {
}
