package dev.flowfabric.coordinator.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The body of a POST whose contract lists no fields: empty, or {@code {}} (any field is unknown). */
@Schema(description = "No fields: send no body or {}", maxProperties = 0)
public record Empty() {
}
