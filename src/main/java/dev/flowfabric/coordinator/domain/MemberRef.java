package dev.flowfabric.coordinator.domain;

import java.util.UUID;

/** An execution addressed by its full primary key, as flow machinery passes members around. */
public record MemberRef(short partitionKey, UUID executionId) {
}
