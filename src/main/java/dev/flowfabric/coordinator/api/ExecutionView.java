package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.flowfabric.coordinator.domain.Execution;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.UUID;

/** The execution view (api.md §1.3). JSON documents are written as stored. */
public record ExecutionView(
        UUID executionId, short partitionKey, String namespace, String lane, String kind, int priority, UUID flowId,
        List<String> requiredCapabilities,
        @Schema(type = SchemaType.OBJECT, additionalProperties = String.class) @JsonRawValue String tags,
        @Schema(ref = "AnyValue") @JsonRawValue String input,
        String publicState, String lifecyclePhase, String ownershipState, String eligibilityState,
        String blockingReason, String attemptState, String terminalOutcome,
        int attemptIndex, int attemptCount, int retryCount, int reclaimCount,
        long createdAtMs, Long startedAtMs, Long terminalAtMs, Long delayUntilMs, Long deadlineAtMs,
        Progress progress, @Schema(ref = "AnyValue") @JsonRawValue String result,
        @Schema(implementation = WorkerBodies.ErrorBody.class) @JsonRawValue String lastError, Lease currentLease) {

    public record Progress(Integer percent, String message) { }

    public record Lease(String workerId, String workerInstanceId, long leaseEpoch, long leaseExpiresAtMs) { }

    static ExecutionView of(Execution e) {
        Progress progress = e.progressPercent() == null && e.progressMessage() == null ? null
                : new Progress(e.progressPercent(), e.progressMessage());
        Execution.Lease l = e.currentLease();
        Lease lease = l == null ? null
                : new Lease(l.workerId(), l.workerInstanceId(), l.leaseEpoch(), l.leaseExpiresAtMs());
        return new ExecutionView(e.executionId(), e.partitionKey(), e.namespace(), e.lane(), e.kind(), e.priority(),
                e.flowId(), e.requiredCapabilities(), e.tagsJson() == null ? "{}" : e.tagsJson(), e.inputJson(),
                e.publicState(), e.lifecyclePhase(), e.ownershipState(), e.eligibilityState(), e.blockingReason(),
                e.attemptState(), e.terminalOutcome(), e.attemptIndex(), e.attemptCount(), e.retryCount(),
                e.reclaimCount(), e.createdAtMs(), e.startedAtMs(), e.terminalAtMs(), e.delayUntilMs(),
                e.deadlineAtMs(), progress, e.resultJson(), e.lastErrorJson(), lease);
    }
}
