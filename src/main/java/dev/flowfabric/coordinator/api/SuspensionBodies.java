package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.UUID;

/** Bodies of suspension, waitpoint, signal, stream and key routes (api.md §4, §5). */
final class SuspensionBodies {

    private SuspensionBodies() {
    }

    record SuspendRequest(UUID leaseId, Long leaseEpoch, String reason, List<WaitpointSpec> waitpoints,
                          JsonNode condition, Long timeoutMs, String onTimeout, String idempotencyKey) { }

    record WaitpointSpec(String key) { }

    record CreateWaitpointRequest(UUID leaseId, Long leaseEpoch, String key, Long expiresInMs) { }

    record SignalRequest(UUID waitpointId, String key, String token, String name, String source, JsonNode payload,
                         String idempotencyKey) { }

    record FrameRequest(UUID leaseId, Long leaseEpoch, String frameType, JsonNode payload, String mode) { }

    record RotateKeyRequest(String kid, String secretHex) { }
}
