package dev.flowfabric.coordinator.domain;

import dev.flowfabric.coordinator.domain.Fence.CallerLease;
import dev.flowfabric.coordinator.domain.Fence.ExecutionState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract's order of precedence for refused fenced calls (api.md §2.3). */
class FenceTest {

    private static final ExecutionState ACTIVE = new ExecutionState("active", "active", null);
    private static final ExecutionState RUNNABLE = new ExecutionState("runnable", "waiting", null);
    private static final ExecutionState CANCELLED = new ExecutionState("terminal", "cancelled", "cancelled");

    @Test
    void terminalExecutionWinsOverEverything() {
        Problem p = Fence.refusal(CANCELLED, new CallerLease(3, "interrupted", null), 3, 0);
        assertEquals(ProblemKind.EXECUTION_NOT_ACTIVE, p.kind());
        assertEquals("cancelled", p.extras().get("public_state"));
        assertEquals("cancelled", p.extras().get("terminal_outcome"));
    }

    @Test
    void revokedBeforeExpired() {
        assertEquals(ProblemKind.LEASE_REVOKED,
                Fence.refusal(RUNNABLE, new CallerLease(3, "interrupted", null), 3, 0).kind());
    }

    @Test
    void expiredWhetherOrNotTheSweepRan() {
        assertEquals(ProblemKind.LEASE_EXPIRED,
                Fence.refusal(RUNNABLE, new CallerLease(3, "lease_expired", null), 3, 0).kind());
        assertEquals(ProblemKind.LEASE_EXPIRED,
                Fence.refusal(ACTIVE, new CallerLease(3, null, 1000L), 3, 1000).kind());
        // reclaimed by another worker since: the caller's own lease record still says it lapsed
        assertEquals(ProblemKind.LEASE_EXPIRED,
                Fence.refusal(ACTIVE, new CallerLease(3, "lease_expired", null), 3, 5000).kind());
    }

    @Test
    void everythingElseIsStale() {
        assertEquals(ProblemKind.STALE_LEASE, Fence.refusal(ACTIVE, null, 1, 0).kind());
        assertEquals(ProblemKind.STALE_LEASE, Fence.refusal(ACTIVE, new CallerLease(2, "interrupted", null), 1, 0).kind());
        // given up by delay or suspend: no outcome, no live expiry
        assertEquals(ProblemKind.STALE_LEASE, Fence.refusal(RUNNABLE, new CallerLease(3, null, null), 3, 0).kind());
    }

    @Test
    void replayNeedsTheSameEpochAndOutcome() {
        assertTrue(Fence.isReplay(new CallerLease(4, "success", null), 4, "success"));
        assertFalse(Fence.isReplay(new CallerLease(4, "success", null), 3, "success"));
        assertFalse(Fence.isReplay(new CallerLease(4, "failed", null), 4, "success"));
        assertFalse(Fence.isReplay(null, 4, "success"));
    }
}
