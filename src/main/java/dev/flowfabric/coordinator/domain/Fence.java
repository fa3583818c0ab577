package dev.flowfabric.coordinator.domain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Why a fenced worker call was refused (api.md §2.3). Called only after the guarded statement
 * matched no row, with what the database knows of the execution and of the caller's lease.
 */
public final class Fence {

    private Fence() {
    }

    /** The execution as it stands. */
    public record ExecutionState(String lifecyclePhase, String publicState, String terminalOutcome) {
        boolean terminal() {
            return "terminal".equals(lifecyclePhase);
        }
    }

    /**
     * The attempt row whose {@code lease_id} is the caller's, if any: its epoch, its outcome and
     * its expiry (null once the lease ended).
     */
    public record CallerLease(long leaseEpoch, String outcome, Long leaseExpiresAtMs) { }

    /** The four 409s, in the contract's order of precedence. */
    public static Problem refusal(ExecutionState exec, CallerLease lease, long epoch, long now) {
        if (exec.terminal()) {
            return notActive(exec);
        }
        if (lease != null && lease.leaseEpoch() == epoch) {
            if ("interrupted".equals(lease.outcome())) {
                return Problem.conflict(ProblemKind.LEASE_REVOKED, "the lease was revoked by an operator");
            }
            boolean lapsed = "lease_expired".equals(lease.outcome())
                    || (lease.outcome() == null && lease.leaseExpiresAtMs() != null && lease.leaseExpiresAtMs() <= now);
            if (lapsed) {
                return Problem.conflict(ProblemKind.LEASE_EXPIRED, "the lease expired");
            }
        }
        return Problem.conflict(ProblemKind.STALE_LEASE, "the lease is not the execution's current lease");
    }

    public static Problem notActive(ExecutionState exec) {
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("public_state", exec.publicState());
        extras.put("terminal_outcome", exec.terminalOutcome());
        return Problem.conflict(ProblemKind.EXECUTION_NOT_ACTIVE,
                "the execution is " + exec.publicState(), extras);
    }

    /** True when the caller's own lease already finished the attempt with {@code outcome}: a replay. */
    public static boolean isReplay(CallerLease lease, long epoch, String... outcomes) {
        if (lease == null || lease.leaseEpoch() != epoch || lease.outcome() == null) {
            return false;
        }
        for (String o : outcomes) {
            if (o.equals(lease.outcome())) {
                return true;
            }
        }
        return false;
    }

    /** A fence as sent by a worker. */
    public record Token(UUID leaseId, long leaseEpoch) { }
}
