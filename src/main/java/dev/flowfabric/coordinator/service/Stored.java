package dev.flowfabric.coordinator.service;

/** A resource returned by a create with a client-suppliable id: {@code created} is false when it existed. */
public record Stored<T>(T value, boolean created) {
}
