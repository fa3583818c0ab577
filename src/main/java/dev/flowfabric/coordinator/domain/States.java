package dev.flowfabric.coordinator.domain;

/**
 * The execution state vector (model.md §2). Stored literally in ff_exec_core; {@code public_state}
 * is derived from the others by the database in the same statement (trigger
 * {@code ff_exec_core_derive}, function {@code ff_public_state}), never written by hand.
 */
public final class States {

    private States() {
    }

    public enum LifecyclePhase implements Wire { SUBMITTED, RUNNABLE, ACTIVE, SUSPENDED, TERMINAL }

    public enum OwnershipState implements Wire { UNOWNED, LEASED, LEASE_EXPIRED_RECLAIMABLE, LEASE_REVOKED }

    public enum EligibilityState implements Wire {
        ELIGIBLE_NOW, NOT_ELIGIBLE_UNTIL_TIME, BLOCKED_BY_DEPENDENCIES, BLOCKED_BY_BUDGET, BLOCKED_BY_QUOTA,
        BLOCKED_BY_ROUTE, BLOCKED_BY_OPERATOR, NOT_APPLICABLE
    }

    public enum AttemptState implements Wire {
        PENDING_FIRST_ATTEMPT, RUNNING_ATTEMPT, ATTEMPT_INTERRUPTED, PENDING_RETRY_ATTEMPT, PENDING_REPLAY_ATTEMPT,
        ATTEMPT_TERMINAL
    }

    public enum TerminalOutcome implements Wire { SUCCESS, FAILED, CANCELLED, EXPIRED, SKIPPED }

    public enum PublicState implements Wire {
        WAITING, DELAYED, RATE_LIMITED, WAITING_CHILDREN, ACTIVE, SUSPENDED, COMPLETED, FAILED, CANCELLED, EXPIRED,
        SKIPPED;

        public boolean terminal() {
            return ordinal() >= COMPLETED.ordinal();
        }
    }

    /** How an attempt row was opened; a {@code resume} re-lease keeps the row's type. */
    public enum AttemptType implements Wire { INITIAL, RETRY, RECLAIM, REPLAY, RESUME }

    /** {@code ff_attempt.outcome}: null while the attempt runs or is parked and may continue. */
    public enum AttemptOutcome implements Wire { SUCCESS, FAILED, RETRY, CANCELLED, EXPIRED, INTERRUPTED, LEASE_EXPIRED }

    public enum FailureCategory implements Wire { TRANSIENT, PERMANENT, TIMEOUT, INFRA }
}
