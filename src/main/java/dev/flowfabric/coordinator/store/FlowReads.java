package dev.flowfabric.coordinator.store;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Reads of flows and their edges through the Panache read models. */
@ApplicationScoped
public class FlowReads {

    /** A flow as {@code GET /v1/flows/{id}} shows it, with its members counted by public state. */
    public record View(UUID flowId, short partitionKey, String namespace, String kind, String publicFlowState,
                       long graphRevision, long createdAtMs, Long terminalAtMs, Map<String, Long> counts) { }

    public record Edge(UUID edgeId, UUID from, UUID to, String condition, String state, long createdAtMs) { }

    /** Position after which the next page of edges starts (oldest first). */
    public record After(long createdAtMs, UUID edgeId) { }

    public record EdgePage(List<Edge> edges, After next) { }

    static final String COUNT_BY_STATE = """
            select e.publicState, count(e) from ExecCoreEntity e
            where e.partitionKey = :pk and e.flowId = :flow group by e.publicState order by e.publicState""";

    public Uni<Optional<View>> view(UUID flowId) {
        return Panache.withSession(() -> FlowCoreEntity.<FlowCoreEntity>find("flowId", flowId).firstResult()
                .flatMap(f -> f == null ? Uni.createFrom().item(Optional.<View>empty())
                        : Panache.getSession().flatMap(s -> s.createSelectionQuery(COUNT_BY_STATE, Object[].class)
                                .setParameter("pk", f.partitionKey).setParameter("flow", flowId).getResultList())
                        .map(rows -> {
                            Map<String, Long> counts = new LinkedHashMap<>();
                            rows.forEach(r -> counts.put((String) r[0], ((Number) r[1]).longValue()));
                            return Optional.of(new View(f.flowId, f.partitionKey, f.namespace, f.kind,
                                    f.publicFlowState, f.graphRevision, f.createdAtMs, f.terminalAtMs, counts));
                        })));
    }

    public Uni<Boolean> exists(UUID flowId) {
        return Panache.withSession(() -> FlowCoreEntity.count("flowId", flowId).map(n -> n > 0));
    }

    /** A page of the flow's edges, oldest first; empty when the flow does not exist. */
    public Uni<Optional<EdgePage>> edges(UUID flowId, After after, int limit) {
        StringBuilder q = new StringBuilder("flowId = :flow");
        Parameters p = Parameters.with("flow", flowId);
        if (after != null) {
            q.append(" and (createdAtMs > :ac or (createdAtMs = :ac and edgeId > :aid))");
            p = p.and("ac", after.createdAtMs()).and("aid", after.edgeId());
        }
        q.append(" order by createdAtMs, edgeId");
        Parameters params = p;
        return Panache.withSession(() -> FlowCoreEntity.count("flowId", flowId).flatMap(n -> n == 0
                ? Uni.createFrom().item(Optional.<EdgePage>empty())
                : EdgeEntity.<EdgeEntity>find(q.toString(), params).range(0, limit).list().map(rows -> {
                    List<Edge> page = rows.stream().limit(limit).map(e -> new Edge(e.edgeId, e.upstreamId,
                            e.downstreamId, e.condition, e.state, e.createdAtMs)).toList();
                    After next = rows.size() > limit
                            ? new After(page.get(page.size() - 1).createdAtMs(), page.get(page.size() - 1).edgeId())
                            : null;
                    return Optional.of(new EdgePage(page, next));
                })));
    }
}
