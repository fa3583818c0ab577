package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.domain.Claimed;
import dev.flowfabric.coordinator.domain.Execution;
import io.vertx.mutiny.sqlclient.Row;

import java.util.Arrays;
import java.util.List;

/** Maps result rows of {@link ExecutionSql} to domain records. */
final class ExecutionRows {

    private ExecutionRows() {
    }

    static Execution execution(Row r) {
        Execution.Lease lease = null;
        if (r.getColumnIndex("lease_expires_at_ms") >= 0 && r.getLong("lease_expires_at_ms") != null
                && "active".equals(r.getString("lifecycle_phase"))) {
            lease = new Execution.Lease(r.getString("lease_worker_id"), r.getString("lease_worker_instance_id"),
                    r.getLong("lease_epoch"), r.getLong("lease_expires_at_ms"));
        }
        String[] caps = r.getArrayOfStrings("required_capabilities");
        Short progress = r.getShort("progress_percent");
        return new Execution(
                r.getUUID("execution_id"), r.getShort("partition_key"), r.getString("namespace"),
                r.getString("lane_id"), r.getString("kind"), r.getInteger("priority"), r.getUUID("flow_id"),
                caps == null ? List.of() : Arrays.asList(caps), r.getString("tags"), r.getString("input"),
                r.getString("public_state"), r.getString("lifecycle_phase"), r.getString("ownership_state"),
                r.getString("eligibility_state"), r.getString("blocking_reason"), r.getString("attempt_state"),
                r.getString("terminal_outcome"), r.getInteger("attempt_index"), r.getInteger("attempt_count"),
                r.getInteger("retry_count"), r.getInteger("reclaim_count"), r.getLong("created_at_ms"),
                r.getLong("started_at_ms"), r.getLong("terminal_at_ms"), r.getLong("delay_until_ms"),
                r.getLong("deadline_at_ms"), progress == null ? null : progress.intValue(),
                r.getString("progress_message"), r.getString("result"), r.getString("last_error"), lease,
                r.getString("idempotency_key"), r.getUUID("quota_policy_id"));
    }

    static Claimed claimed(Row r, long leaseTtlMs) {
        return new Claimed(r.getUUID("execution_id"), r.getShort("partition_key"), r.getString("kind"),
                r.getString("input"), r.getString("tags"), r.getInteger("attempt_index"), r.getString("claim_type"),
                r.getUUID("lease_id"), r.getLong("lease_epoch"), r.getLong("lease_expires_at_ms"), leaseTtlMs,
                r.getInteger("priority"), r.getLong("created_at_ms"), r.getString("lane_id"), r.getUUID("flow_id"),
                r.getUUID("quota_policy_id"), null);
    }
}
