package dev.flowfabric.coordinator.domain;

import java.util.UUID;

/**
 * A quota policy (api.md §6): at most {@code maxPerWindow} claims in any sliding window of
 * {@code windowMs}, and at most {@code maxConcurrent} leases held at once, over the executions
 * that name it. The counts are as of the read.
 */
public record Quota(UUID quotaPolicyId, long windowMs, Long maxPerWindow, Long maxConcurrent, long windowCount,
                    long concurrentCount, long createdAtMs) {
}
