package dev.flowfabric.coordinator.domain;

/**
 * What a flow cancel does to the members (api.md §3): every one not finished, only those without
 * a lease (leased ones run on), or none (the flow alone is marked cancelled).
 */
public enum FlowCancelPolicy implements Wire {
    CANCEL_ALL, CANCEL_PENDING, CANCEL_FLOW_ONLY;

    public boolean cancelsMembers() {
        return this != CANCEL_FLOW_ONLY;
    }

    public boolean onlyUnleased() {
        return this == CANCEL_PENDING;
    }
}
