package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.UUID;

/** Bodies of suspension, waitpoint, signal, stream and key routes (api.md §4, §5). */
final class SuspensionBodies {

    private SuspensionBodies() {
    }

    record SuspendRequest(UUID leaseId, Long leaseEpoch, String reason, List<WaitpointSpec> waitpoints,
                          @Schema(description = "{\"all_of\": [key...]}, {\"any_of\": [key...]} or {\"count\": n, "
                                  + "\"of\": [key...], \"distinct\": \"sources\"?}") JsonNode condition,
                          Long timeoutMs,
                          @Schema(enumeration = {"fail", "cancel", "expire", "resume"}, defaultValue = "fail")
                          String onTimeout,
                          String idempotencyKey) { }

    record WaitpointSpec(String key) { }

    record CreateWaitpointRequest(UUID leaseId, Long leaseEpoch, String key, Long expiresInMs) { }

    record SignalRequest(UUID waitpointId, String key, String token, String name, String source, JsonNode payload,
                         String idempotencyKey) { }

    record FrameRequest(UUID leaseId, Long leaseEpoch, String frameType, JsonNode payload,
                        @Schema(enumeration = {"durable", "summary", "best_effort"}, defaultValue = "durable")
                        String mode) { }

    record RotateKeyRequest(String kid, String secretHex) { }
}
