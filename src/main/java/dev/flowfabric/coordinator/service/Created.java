package dev.flowfabric.coordinator.service;

import dev.flowfabric.coordinator.domain.Execution;

/** An execution returned by a create: {@code created} is false when an existing one was found. */
public record Created(Execution execution, boolean created) {
}
