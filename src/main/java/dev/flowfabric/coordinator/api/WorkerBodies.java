package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowfabric.coordinator.domain.Fence;
import dev.flowfabric.coordinator.domain.Problem;

import java.util.List;
import java.util.UUID;

/** Bodies of the claim and of the fenced worker calls (api.md §2.2–2.4). */
final class WorkerBodies {

    private WorkerBodies() {
    }

    static Fence.Token fence(UUID leaseId, Long leaseEpoch) {
        Check.present(leaseId, "lease_id");
        Check.range(leaseEpoch, "lease_epoch", 1, Long.MAX_VALUE);
        return new Fence.Token(leaseId, leaseEpoch);
    }

    record ClaimRequest(String workerId, String workerInstanceId, String namespace, List<String> capabilities,
                        Long leaseTtlMs, Integer max, Long waitMs) { }

    record RenewRequest(UUID leaseId, Long leaseEpoch, Long leaseTtlMs) { }

    record ProgressRequest(UUID leaseId, Long leaseEpoch, Integer percent, String message) { }

    record CompleteRequest(UUID leaseId, Long leaseEpoch, JsonNode result) { }

    record BatchCompleteRequest(List<BatchCompleteItem> items) { }

    record BatchCompleteItem(UUID executionId, UUID leaseId, Long leaseEpoch, JsonNode result) { }

    record FailRequest(UUID leaseId, Long leaseEpoch, ErrorBody error, Boolean retryable) { }

    record ErrorBody(String message, String category) { }

    record DelayRequest(UUID leaseId, Long leaseEpoch, Long delayUntilMs) { }

    /** Operator cancel without fence fields, worker cancel with both. */
    record CancelRequest(String reason, UUID leaseId, Long leaseEpoch) {
        boolean fenced() {
            if ((leaseId == null) != (leaseEpoch == null)) {
                throw Problem.invalid("a worker cancel needs both 'lease_id' and 'lease_epoch'");
            }
            return leaseId != null;
        }
    }

    record ReasonRequest(String reason) { }

    record PriorityRequest(Integer priority) { }
}
