package dev.flowfabric.coordinator.domain;

/** When an upstream's end satisfies an edge: {@code success} needs completed, {@code completion} any end. */
public enum EdgeCondition implements Wire { SUCCESS, COMPLETION }
