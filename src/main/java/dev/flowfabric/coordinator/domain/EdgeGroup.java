package dev.flowfabric.coordinator.domain;

/**
 * How a downstream joins its incoming edges (api.md §3): {@code all_of} needs every upstream to
 * satisfy its edge, {@code any_of} one, {@code quorum} {@code k}. When the join is satisfied,
 * {@code cancel_remaining} cancels the upstreams still running; {@code let_run} leaves them be.
 */
public record EdgeGroup(Policy policy, Integer k, OnSatisfied onSatisfied) {

    public static final EdgeGroup DEFAULT = new EdgeGroup(Policy.ALL_OF, null, OnSatisfied.CANCEL_REMAINING);

    public enum Policy implements Wire { ALL_OF, ANY_OF, QUORUM }

    public enum OnSatisfied implements Wire { CANCEL_REMAINING, LET_RUN }

    /** Where a join stands: it can still go either way, it is met, or it can never be met. */
    public enum Verdict { PENDING, SATISFIED, IMPOSSIBLE }

    public EdgeGroup {
        if ((policy == Policy.QUORUM) != (k != null)) {
            throw new IllegalArgumentException("k goes with quorum, and only with quorum");
        }
        if (k != null && k < 1) {
            throw new IllegalArgumentException("k must be at least 1");
        }
    }

    /**
     * The verdict from the incoming edges' states. A downstream without edges depends on nothing,
     * so its join is met.
     */
    public Verdict verdict(long satisfied, long impossible, long pending) {
        if (satisfied + impossible + pending == 0) {
            return Verdict.SATISFIED;
        }
        return switch (policy) {
            case ALL_OF -> impossible > 0 ? Verdict.IMPOSSIBLE : pending == 0 ? Verdict.SATISFIED : Verdict.PENDING;
            case ANY_OF -> satisfied > 0 ? Verdict.SATISFIED : pending == 0 ? Verdict.IMPOSSIBLE : Verdict.PENDING;
            case QUORUM -> satisfied >= k ? Verdict.SATISFIED
                    : satisfied + pending < k ? Verdict.IMPOSSIBLE : Verdict.PENDING;
        };
    }

    /** Whether meeting this join cancels the upstreams that have not finished. */
    public boolean cancelsRemaining() {
        return policy != Policy.ALL_OF && onSatisfied == OnSatisfied.CANCEL_REMAINING;
    }
}
