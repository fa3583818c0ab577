package dev.flowfabric.coordinator.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import org.hibernate.annotations.ColumnTransformer;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.io.Serializable;
import java.util.Objects;
import java.util.UUID;

/**
 * Read model of {@code ff_exec_core}. Immutable on purpose: every write is a guarded statement in
 * {@link ExecutionSql}, so no entity flush can bypass a state guard. JSON documents are read as
 * text ({@code ::text}): the reactive driver decodes jsonb by the value's shape, and the JSON type
 * mapping accepts only objects, while an input or result may be any JSON value.
 */
@Entity
@Immutable
@Table(name = "ff_exec_core")
@IdClass(ExecCoreEntity.Key.class)
public class ExecCoreEntity extends PanacheEntityBase {

    @Id @Column(name = "partition_key") public short partitionKey;
    @Id @Column(name = "execution_id") public UUID executionId;
    @Column(name = "flow_id") public UUID flowId;
    @Column(name = "namespace", columnDefinition = "text") public String namespace;
    @Column(name = "lane_id", columnDefinition = "text") public String laneId;
    @Column(name = "kind", columnDefinition = "text") public String kind;
    @Column(name = "attempt_index") public int attemptIndex;
    @Column(name = "lifecycle_phase", columnDefinition = "text") public String lifecyclePhase;
    @Column(name = "ownership_state", columnDefinition = "text") public String ownershipState;
    @Column(name = "eligibility_state", columnDefinition = "text") public String eligibilityState;
    @Column(name = "public_state", columnDefinition = "text") public String publicState;
    @Column(name = "attempt_state", columnDefinition = "text") public String attemptState;
    @Column(name = "blocking_reason", columnDefinition = "text") public String blockingReason;
    @Column(name = "terminal_outcome", columnDefinition = "text") public String terminalOutcome;
    @Column(name = "priority") public int priority;
    @Column(name = "created_at_ms") public long createdAtMs;
    @Column(name = "started_at_ms") public Long startedAtMs;
    @Column(name = "terminal_at_ms") public Long terminalAtMs;
    @Column(name = "delay_until_ms") public Long delayUntilMs;
    @Column(name = "deadline_at_ms") public Long deadlineAtMs;
    @JdbcTypeCode(SqlTypes.ARRAY) @Column(name = "required_capabilities", columnDefinition = "text[]")
    public String[] requiredCapabilities;
    @ColumnTransformer(read = "tags::text") @Column(name = "tags", columnDefinition = "jsonb") public String tags;
    @ColumnTransformer(read = "input::text") @Column(name = "input", columnDefinition = "jsonb") public String input;
    @ColumnTransformer(read = "result::text") @Column(name = "result", columnDefinition = "jsonb") public String result;
    @ColumnTransformer(read = "last_error::text") @Column(name = "last_error", columnDefinition = "jsonb") public String lastError;
    @Column(name = "progress_percent") public Short progressPercent;
    @Column(name = "progress_message", columnDefinition = "text") public String progressMessage;
    @Column(name = "idempotency_key", columnDefinition = "text") public String idempotencyKey;
    @Column(name = "quota_policy_id") public UUID quotaPolicyId;
    @Column(name = "attempt_count") public int attemptCount;
    @Column(name = "retry_count") public int retryCount;
    @Column(name = "reclaim_count") public int reclaimCount;

    /** Composite primary key (partition_key, execution_id). */
    public static class Key implements Serializable {
        public short partitionKey;
        public UUID executionId;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.partitionKey == partitionKey && Objects.equals(k.executionId, executionId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(partitionKey, executionId);
        }
    }
}
