package dev.flowfabric.coordinator.domain;

/** Every stable {@code kind} code of the contract (api.md §0.1) with its HTTP status. */
public enum ProblemKind implements Wire {
    INVALID_INPUT(400, "Invalid input"),
    INVALID_JSON(400, "Malformed JSON"),
    INVALID_CAPABILITIES(400, "Invalid capabilities"),
    INVALID_POLICY(400, "Invalid policy"),
    INVALID_CONDITION(400, "Invalid condition"),
    PARTITION_MISMATCH(400, "Partition mismatch"),
    INVALID_CURSOR(400, "Invalid cursor"),
    UNAUTHORIZED(401, "Unauthorized"),
    INVALID_TOKEN(403, "Invalid token"),
    NOT_FOUND(404, "Not found"),
    STALE_LEASE(409, "Stale lease"),
    LEASE_EXPIRED(409, "Lease expired"),
    LEASE_REVOKED(409, "Lease revoked"),
    EXECUTION_NOT_ACTIVE(409, "Execution not active"),
    NOT_RUNNABLE(409, "Not runnable"),
    EXECUTION_NOT_TERMINAL(409, "Execution not terminal"),
    FLOW_ALREADY_TERMINAL(409, "Flow already terminal"),
    EXECUTION_ALREADY_IN_FLOW(409, "Execution already in a flow"),
    CYCLE_DETECTED(409, "Cycle detected"),
    SELF_REFERENCING_EDGE(409, "Self-referencing edge"),
    DEPENDENCY_ALREADY_EXISTS(409, "Dependency already exists"),
    STALE_GRAPH_REVISION(409, "Stale graph revision"),
    WAITPOINT_CLOSED(409, "Waitpoint closed"),
    IDEMPOTENCY_CONFLICT(409, "Idempotency conflict"),
    PAYLOAD_TOO_LARGE(413, "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    RATE_LIMITED(429, "Rate limited"),
    CONCURRENCY_LIMITED(429, "Concurrency limited"),
    RESOURCE_EXHAUSTED(429, "Resource exhausted"),
    UNAVAILABLE(503, "Unavailable");

    private final int status;
    private final String title;

    ProblemKind(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public boolean retryable() {
        return status == 429 || status == 503;
    }
}
