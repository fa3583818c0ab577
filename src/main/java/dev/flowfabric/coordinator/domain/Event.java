package dev.flowfabric.coordinator.domain;

import java.util.UUID;

/** One row of the event log (api.md §7); {@code dataJson} is the serialized {@code data} document. */
public record Event(long eventId, String type, UUID executionId, UUID flowId, Short partitionKey, long atMs,
                    String dataJson) {
}
