package dev.flowfabric.coordinator.domain;

/**
 * What a suspension's timeout does (api.md §4): end the execution as failed, cancelled or expired,
 * or resume it with a signal named {@code timeout}.
 */
public enum OnTimeout implements Wire {
    FAIL("failed", "failed", "execution.failed"),
    CANCEL("cancelled", "cancelled", "execution.cancelled"),
    EXPIRE("expired", "expired", "execution.expired"),
    RESUME(null, null, "execution.resumed");

    private final String terminalOutcome;
    private final String attemptOutcome;
    private final String eventType;

    OnTimeout(String terminalOutcome, String attemptOutcome, String eventType) {
        this.terminalOutcome = terminalOutcome;
        this.attemptOutcome = attemptOutcome;
        this.eventType = eventType;
    }

    /** Null for {@link #RESUME}, which does not end the execution. */
    public String terminalOutcome() {
        return terminalOutcome;
    }

    public String attemptOutcome() {
        return attemptOutcome;
    }

    public String eventType() {
        return eventType;
    }
}
