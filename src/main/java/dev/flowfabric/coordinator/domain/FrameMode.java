package dev.flowfabric.coordinator.domain;

/**
 * How a stream frame is kept (api.md §5): {@code durable} frames stay until retention,
 * {@code summary} frames are also merged into the attempt's summary document, and
 * {@code best_effort} frames may be trimmed to the newest few.
 */
public enum FrameMode implements Wire { DURABLE, SUMMARY, BEST_EFFORT }
