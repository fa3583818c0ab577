package dev.flowfabric.coordinator.api;

/** The body of a POST whose contract lists no fields: empty, or {@code {}} (any field is unknown). */
public record Empty() {
}
