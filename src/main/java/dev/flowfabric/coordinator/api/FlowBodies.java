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
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.media.SchemaProperty;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Request and response bodies of the flow routes (api.md §3). */
final class FlowBodies {

    private FlowBodies() {
    }

    /** Nodes are create bodies plus a {@code ref}; they are read as trees and checked one by one. */
    record CreateFlowRequest(UUID flowId, String namespace, String kind,
                             @Schema(type = SchemaType.ARRAY, implementation = FlowNode.class) List<ObjectNode> nodes,
                             List<EdgeBody> edges, List<GroupBody> groups) { }

    /**
     * The shape of a node for the OpenAPI document only: nodes are read as JSON trees, so that the
     * {@code ref} can be taken off before the rest is read as a create body.
     */
    @Schema(name = "FlowNode", description = "An execution create body (api.md §1.1) with the ref that edges and "
            + "groups name it by; flow_id, if given, must be this flow's",
            allOf = CreateExecutionRequest.class, requiredProperties = "ref",
            properties = @SchemaProperty(name = "ref", type = SchemaType.STRING, minLength = 1, maxLength = 128))
    interface FlowNode { }

    record EdgeBody(@Schema(description = "A node ref or an execution_id of this flow") String from,
                    @Schema(description = "A node ref or an execution_id of this flow") String to,
                    @Schema(enumeration = {"success", "completion"}, defaultValue = "success") String condition) { }

    record GroupBody(@Schema(description = "A node ref or an execution_id of this flow") String to,
                     @Schema(enumeration = {"all_of", "any_of", "quorum"}) String policy,
                     @Schema(description = "With quorum only") Integer k,
                     @Schema(enumeration = {"cancel_remaining", "let_run"}, defaultValue = "cancel_remaining")
                     String onSatisfied) { }

    record MemberRequest(UUID executionId) { }

    record AddEdgeRequest(UUID from, UUID to,
                          @Schema(enumeration = {"success", "completion"}, defaultValue = "success") String condition,
                          Long expectedGraphRevision) { }

    record GroupRequest(@Schema(enumeration = {"all_of", "any_of", "quorum"}) String policy,
                        @Schema(description = "With quorum only") Integer k,
                        @Schema(enumeration = {"cancel_remaining", "let_run"}, defaultValue = "cancel_remaining")
                        String onSatisfied) { }

    @Schema(name = "CancelFlowRequest")
    record CancelRequest(@Schema(enumeration = {"cancel_all", "cancel_pending", "cancel_flow_only"}) String policy,
                         String reason) { }

    record FlowView(UUID flowId, short partitionKey, String namespace, String kind,
                    @Schema(enumeration = {"open", "running", "blocked", "completed", "failed", "cancelled"})
                    String publicFlowState,
                    long graphRevision, long createdAtMs, Long terminalAtMs, Map<String, Long> counts) {
        static FlowView of(FlowReads.View v) {
            return new FlowView(v.flowId(), v.partitionKey(), v.namespace(), v.kind(), v.publicFlowState(),
                    v.graphRevision(), v.createdAtMs(), v.terminalAtMs(), v.counts());
        }
    }

    /** The create answer: the flow view plus {@code nodes}, each ref with the execution it names. */
    record FlowCreatedView(UUID flowId, short partitionKey, String namespace, String kind,
                           @Schema(enumeration = {"open", "running", "blocked", "completed", "failed", "cancelled"})
                           String publicFlowState,
                           long graphRevision, long createdAtMs, Long terminalAtMs, Map<String, Long> counts,
                           Map<String, UUID> nodes) {
        static FlowCreatedView of(FlowReads.View v, Map<String, UUID> nodes) {
            return new FlowCreatedView(v.flowId(), v.partitionKey(), v.namespace(), v.kind(), v.publicFlowState(),
                    v.graphRevision(), v.createdAtMs(), v.terminalAtMs(), v.counts(), nodes);
        }
    }

    record EdgeView(UUID edgeId, UUID from, UUID to, @Schema(enumeration = {"success", "completion"}) String condition,
                    @Schema(enumeration = {"pending", "satisfied", "impossible"}) String state) { }

    record EdgeList(List<EdgeView> edges, String nextCursor) { }

    record RevisionView(long graphRevision) { }

    record EdgeAddedView(UUID edgeId, long graphRevision) { }

    record GroupView(UUID flowId, UUID downstreamId, @Schema(enumeration = {"all_of", "any_of", "quorum"}) String policy,
                     Integer k, @Schema(enumeration = {"cancel_remaining", "let_run"}) String onSatisfied) { }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record CancelView(@Schema(enumeration = {"cancelled", "cancellation_scheduled", "partially_cancelled"}) String outcome,
                      String policy, List<UUID> memberExecutionIds,
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
