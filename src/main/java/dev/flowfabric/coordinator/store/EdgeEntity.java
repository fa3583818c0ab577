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

/** Read model of {@code ff_edge}; writes go through {@link FlowSql} only. */
@Entity
@Immutable
@Table(name = "ff_edge")
@IdClass(EdgeEntity.Key.class)
public class EdgeEntity extends PanacheEntityBase {

    @Id @Column(name = "partition_key") public short partitionKey;
    @Id @Column(name = "edge_id") public UUID edgeId;
    @Column(name = "flow_id") public UUID flowId;
    @Column(name = "upstream_id") public UUID upstreamId;
    @Column(name = "downstream_id") public UUID downstreamId;
    @Column(name = "condition", columnDefinition = "text") public String condition;
    @Column(name = "state", columnDefinition = "text") public String state;
    @Column(name = "created_at_ms") public long createdAtMs;
    @Column(name = "resolved_at_ms") public Long resolvedAtMs;

    /** Composite primary key (partition_key, edge_id). */
    public static class Key implements Serializable {
        public short partitionKey;
        public UUID edgeId;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.partitionKey == partitionKey && Objects.equals(k.edgeId, edgeId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(partitionKey, edgeId);
        }
    }
}
