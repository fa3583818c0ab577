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

/** Read model of {@code ff_flow_core}; writes go through guarded SQL only. */
@Entity
@Immutable
@Table(name = "ff_flow_core")
@IdClass(FlowCoreEntity.Key.class)
public class FlowCoreEntity extends PanacheEntityBase {

    @Id @Column(name = "partition_key") public short partitionKey;
    @Id @Column(name = "flow_id") public UUID flowId;
    @Column(name = "graph_revision") public long graphRevision;
    @Column(name = "public_flow_state", columnDefinition = "text") public String publicFlowState;
    @Column(name = "created_at_ms") public long createdAtMs;
    @Column(name = "terminal_at_ms") public Long terminalAtMs;
    @Column(name = "namespace", columnDefinition = "text") public String namespace;
    @Column(name = "kind", columnDefinition = "text") public String kind;

    /** Composite primary key (partition_key, flow_id). */
    public static class Key implements Serializable {
        public short partitionKey;
        public UUID flowId;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.partitionKey == partitionKey && Objects.equals(k.flowId, flowId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(partitionKey, flowId);
        }
    }
}
