package dev.flowfabric.coordinator.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import org.hibernate.annotations.ColumnTransformer;
import org.hibernate.annotations.Immutable;

import java.io.Serializable;
import java.util.Objects;
import java.util.UUID;

/** Read model of {@code ff_attempt}; writes go through guarded SQL only. */
@Entity
@Immutable
@Table(name = "ff_attempt")
@IdClass(AttemptEntity.Key.class)
public class AttemptEntity extends PanacheEntityBase {

    @Id @Column(name = "partition_key") public short partitionKey;
    @Id @Column(name = "execution_id") public UUID executionId;
    @Id @Column(name = "attempt_index") public int attemptIndex;
    @Column(name = "attempt_type", columnDefinition = "text") public String attemptType;
    @Column(name = "lease_epoch") public long leaseEpoch;
    @Column(name = "lease_id") public UUID leaseId;
    @Column(name = "worker_id", columnDefinition = "text") public String workerId;
    @Column(name = "worker_instance_id", columnDefinition = "text") public String workerInstanceId;
    @Column(name = "lease_expires_at_ms") public Long leaseExpiresAtMs;
    @Column(name = "started_at_ms") public Long startedAtMs;
    @Column(name = "terminal_at_ms") public Long terminalAtMs;
    @Column(name = "outcome", columnDefinition = "text") public String outcome;
    @ColumnTransformer(read = "error::text") @Column(name = "error", columnDefinition = "jsonb") public String error;

    /** Composite primary key (partition_key, execution_id, attempt_index). */
    public static class Key implements Serializable {
        public short partitionKey;
        public UUID executionId;
        public int attemptIndex;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.partitionKey == partitionKey && k.attemptIndex == attemptIndex
                    && Objects.equals(k.executionId, executionId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(partitionKey, executionId, attemptIndex);
        }
    }
}
