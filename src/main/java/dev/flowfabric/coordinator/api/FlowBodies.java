package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowfabric.coordinator.domain.EdgeCondition;
import dev.flowfabric.coordinator.domain.EdgeGroup;
import dev.flowfabric.coordinator.domain.FlowCancelPolicy;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Wire;
import dev.flowfabric.coordinator.store.FlowReads;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Request and response bodies of the flow routes (api.md §3). */
final class FlowBodies {

    private FlowBodies() {
    }

    /** Nodes are create bodies plus a {@code ref}; they are read as trees and checked one by one. */
    record CreateFlowRequest(UUID flowId, String namespace, String kind, List<ObjectNode> nodes, List<EdgeBody> edges,
                             List<GroupBody> groups) { }

    record EdgeBody(String from, String to, String condition) { }

    record GroupBody(String to, String policy, Integer k, String onSatisfied) { }

    record MemberRequest(UUID executionId) { }

    record AddEdgeRequest(UUID from, UUID to, String condition, Long expectedGraphRevision) { }

    record GroupRequest(String policy, Integer k, String onSatisfied) { }

    record CancelRequest(String policy, String reason) { }

    record FlowView(UUID flowId, short partitionKey, String namespace, String kind, String publicFlowState,
                    long graphRevision, long createdAtMs, Long terminalAtMs, Map<String, Long> counts) {
        static FlowView of(FlowReads.View v) {
            return new FlowView(v.flowId(), v.partitionKey(), v.namespace(), v.kind(), v.publicFlowState(),
                    v.graphRevision(), v.createdAtMs(), v.terminalAtMs(), v.counts());
        }
    }

    /** The create answer: the flow view plus {@code nodes}, each ref with the execution it names. */
    record FlowCreatedView(UUID flowId, short partitionKey, String namespace, String kind, String publicFlowState,
                           long graphRevision, long createdAtMs, Long terminalAtMs, Map<String, Long> counts,
                           Map<String, UUID> nodes) {
        static FlowCreatedView of(FlowReads.View v, Map<String, UUID> nodes) {
            return new FlowCreatedView(v.flowId(), v.partitionKey(), v.namespace(), v.kind(), v.publicFlowState(),
                    v.graphRevision(), v.createdAtMs(), v.terminalAtMs(), v.counts(), nodes);
        }
    }

    record EdgeView(UUID edgeId, UUID from, UUID to, String condition, String state) { }

    record EdgeList(List<EdgeView> edges, String nextCursor) { }

    record RevisionView(long graphRevision) { }

    record EdgeAddedView(UUID edgeId, long graphRevision) { }

    record GroupView(UUID flowId, UUID downstreamId, String policy, Integer k, String onSatisfied) { }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record CancelView(String outcome, String policy, List<UUID> memberExecutionIds,
                      List<UUID> failedMemberExecutionIds) { }

    static EdgeCondition condition(String raw) {
        if (raw == null) {
            return EdgeCondition.SUCCESS;
        }
        try {
            return Wire.parse(EdgeCondition.class, raw);
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest(ProblemKind.INVALID_CONDITION, "condition must be 'success' or 'completion'");
        }
    }

    /** A join group: policy required; {@code k} with quorum only; on_satisfied defaults to cancel_remaining. */
    static EdgeGroup group(String policy, Integer k, String onSatisfied, String where) {
        EdgeGroup.Policy p;
        EdgeGroup.OnSatisfied o;
        try {
            p = Wire.parse(EdgeGroup.Policy.class, Check.present(policy, where + "policy"));
            o = onSatisfied == null ? EdgeGroup.OnSatisfied.CANCEL_REMAINING
                    : Wire.parse(EdgeGroup.OnSatisfied.class, onSatisfied);
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, where + "policy must be all_of, any_of or quorum, "
                    + "on_satisfied cancel_remaining or let_run");
        }
        if (p == EdgeGroup.Policy.QUORUM && (k == null || k < 1)) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, where + "quorum needs k >= 1");
        }
        if (p != EdgeGroup.Policy.QUORUM && k != null) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, where + "k applies to quorum only");
        }
        return new EdgeGroup(p, k, o);
    }

    static FlowCancelPolicy cancelPolicy(String raw) {
        try {
            return Wire.parse(FlowCancelPolicy.class, Check.present(raw, "policy"));
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY,
                    "policy must be cancel_all, cancel_pending or cancel_flow_only");
        }
    }
}
