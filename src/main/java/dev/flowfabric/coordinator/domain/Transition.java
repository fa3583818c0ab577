package dev.flowfabric.coordinator.domain;

import java.util.UUID;

/**
 * One execution's state change, as the transaction that made it sees it: what in-transaction
 * follow-ups (flow resolution, quota release, waitpoint closing) need to react to it.
 *
 * @param publicState     the state after the change
 * @param terminalOutcome set when the change ended the execution
 * @param leaseStarted    a worker got a lease
 * @param leaseEnded      a worker's lease ended (any way: done, failed, parked, lost, revoked)
 */
public record Transition(UUID executionId, short partitionKey, UUID flowId, String lane, UUID quotaPolicyId,
                         String publicState, String terminalOutcome, boolean leaseStarted, boolean leaseEnded) {

    public boolean terminal() {
        return terminalOutcome != null;
    }

    public static Transition of(Execution e, boolean leaseStarted, boolean leaseEnded) {
        return new Transition(e.executionId(), e.partitionKey(), e.flowId(), e.lane(), e.quotaPolicyId(),
                e.publicState(), e.terminalOutcome(), leaseStarted, leaseEnded);
    }
}
