package dev.flowfabric.coordinator.deploy;

import java.util.Set;

/** The Prometheus series the Grafana dashboard (k8s/grafana) reads; ReplicasIT checks a live replica has them. */
final class DashboardMetrics {

    /** Series that only appear once a feature of another branch reports them (budgets, quotas). */
    static final Set<String> REPORTED_BY_OTHER_FEATURES = Set.of("ff_budget_hit_total", "ff_quota_hit_total");

    static final Set<String> ALL = Set.of(
            "ff_executions_created_total", "ff_executions_claimed_total", "ff_executions_completed_total",
            "ff_executions_failed_total", "ff_executions_retried_total", "ff_executions_expired_total",
            "ff_queue_depth", "ff_claim_from_grant_duration_seconds_bucket", "ff_claim_from_grant_duration_seconds_count",
            "ff_attempt_outcome_total", "ff_lease_renewal_total", "ff_lease_expired_total",
            "ff_quota_hit_total", "ff_budget_hit_total", "ff_cancel_backlog_depth",
            "ff_scanner_cycle_duration_seconds_bucket", "ff_scanner_cycle_total",
            "http_server_requests_seconds_count", "http_server_requests_seconds_bucket", "jvm_memory_used_bytes");

    private DashboardMetrics() {
    }
}
