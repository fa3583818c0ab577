package dev.flowfabric.coordinator.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.io.Serializable;
import java.util.Objects;
import java.util.UUID;

/** Read model of {@code ff_waitpoint}; writes go through guarded SQL only. */
@Entity
@Immutable
@Table(name = "ff_waitpoint")
@IdClass(WaitpointEntity.Key.class)
public class WaitpointEntity extends PanacheEntityBase {

    @Id @Column(name = "partition_key") public short partitionKey;
    @Id @Column(name = "waitpoint_id") public UUID waitpointId;
    @Column(name = "execution_id") public UUID executionId;
    @Column(name = "key", columnDefinition = "text") public String key;
    @Column(name = "state", columnDefinition = "text") public String state;
    @Column(name = "suspension_id") public UUID suspensionId;
    @Column(name = "created_at_ms") public long createdAtMs;
    @Column(name = "expires_at_ms") public Long expiresAtMs;

    /** Composite primary key (partition_key, waitpoint_id). */
    public static class Key implements Serializable {
        public short partitionKey;
        public UUID waitpointId;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.partitionKey == partitionKey && Objects.equals(k.waitpointId, waitpointId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(partitionKey, waitpointId);
        }
    }
}
