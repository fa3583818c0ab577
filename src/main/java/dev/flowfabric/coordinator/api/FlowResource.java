package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowfabric.coordinator.api.FlowBodies.AddEdgeRequest;
import dev.flowfabric.coordinator.api.FlowBodies.CancelRequest;
import dev.flowfabric.coordinator.api.FlowBodies.CancelView;
import dev.flowfabric.coordinator.api.FlowBodies.CreateFlowRequest;
import dev.flowfabric.coordinator.api.FlowBodies.EdgeAddedView;
import dev.flowfabric.coordinator.api.FlowBodies.EdgeBody;
import dev.flowfabric.coordinator.api.FlowBodies.EdgeList;
import dev.flowfabric.coordinator.api.FlowBodies.EdgeView;
import dev.flowfabric.coordinator.api.FlowBodies.FlowCreatedView;
import dev.flowfabric.coordinator.api.FlowBodies.FlowView;
import dev.flowfabric.coordinator.api.FlowBodies.GroupBody;
import dev.flowfabric.coordinator.api.FlowBodies.GroupRequest;
import dev.flowfabric.coordinator.api.FlowBodies.GroupView;
import dev.flowfabric.coordinator.api.FlowBodies.MemberRequest;
import dev.flowfabric.coordinator.api.FlowBodies.RevisionView;
import dev.flowfabric.coordinator.domain.EdgeGroup;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.service.FlowCancels;
import dev.flowfabric.coordinator.service.FlowService;
import dev.flowfabric.coordinator.store.ExecutionReads;
import dev.flowfabric.coordinator.store.FlowReads;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Flows: DAGs of executions, their members, edges, join groups and cancel (api.md §3). */
@Path("/v1/flows")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Flows", description = "DAGs of executions: members, edges, join groups, flow state and cancel")
public class FlowResource {

    static final int MAX_NODES = 1000;
    static final int MAX_EDGES = 5000;

    private final FlowService flows;
    private final FlowCancels cancels;
    private final FlowReads reads;
    private final ExecutionReads executions;
    private final ObjectMapper json;

    FlowResource(FlowService flows, FlowCancels cancels, FlowReads reads, ExecutionReads executions, ObjectMapper json) {
        this.flows = flows;
        this.cancels = cancels;
        this.reads = reads;
        this.executions = executions;
        this.json = json;
    }

    @POST
    @Operation(summary = "Create a flow, optionally with its whole DAG, in one transaction (api.md §3)")
    @APIResponse(responseCode = "201", description = "Created; Location names it; nodes maps each ref to its execution_id",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = FlowCreatedView.class)))
    @APIResponse(responseCode = "200", description = "This flow_id exists already with the same kind and namespace: that flow",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = FlowCreatedView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input, invalid_json, invalid_capabilities, invalid_policy, "
            + "invalid_condition; the detail names the node, edge or group")
    @APIResponse(responseCode = "409", description = "idempotency_conflict (the flow_id exists with another kind or "
            + "namespace, or a node's execution_id exists outside a flow), execution_already_in_flow, cycle_detected, "
            + "self_referencing_edge, dependency_already_exists")
    public Uni<Response> create(CreateFlowRequest body) {
        CreateFlowRequest b = Check.body(body);
        String namespace = b.namespace() == null ? "default" : Check.text(b.namespace(), "namespace", 1, 128);
        String kind = Check.text(b.kind(), "kind", 1, 128);
        List<ObjectNode> nodes = b.nodes() == null ? List.of() : b.nodes();
        List<EdgeBody> edges = b.edges() == null ? List.of() : b.edges();
        List<GroupBody> groups = b.groups() == null ? List.of() : b.groups();
        if (nodes.size() > MAX_NODES || edges.size() > MAX_EDGES || groups.size() > MAX_NODES) {
            throw Problem.invalid("a flow create takes at most " + MAX_NODES + " nodes, " + MAX_EDGES + " edges and "
                    + MAX_NODES + " groups");
        }
        List<FlowService.Node> planned = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            planned.add(node(Check.present(nodes.get(i), "nodes[" + i + "]"), namespace, "nodes[" + i + "]"));
        }
        List<FlowService.EdgeSpec> edgeSpecs = new ArrayList<>(edges.size());
        for (int i = 0; i < edges.size(); i++) {
            EdgeBody e = Check.present(edges.get(i), "edges[" + i + "]");
            edgeSpecs.add(new FlowService.EdgeSpec(Check.text(e.from(), "edges[" + i + "].from", 1, 128),
                    Check.text(e.to(), "edges[" + i + "].to", 1, 128), FlowBodies.condition(e.condition())));
        }
        List<FlowService.GroupSpec> groupSpecs = new ArrayList<>(groups.size());
        for (int i = 0; i < groups.size(); i++) {
            GroupBody g = Check.present(groups.get(i), "groups[" + i + "]");
            String where = "groups[" + i + "].";
            groupSpecs.add(new FlowService.GroupSpec(Check.text(g.to(), where + "to", 1, 128),
                    FlowBodies.group(g.policy(), g.k(), g.onSatisfied(), where)));
        }
        var command = new FlowService.CreateFlow(b.flowId(), namespace, kind, planned, edgeSpecs, groupSpecs);
        return flows.create(command).map(created -> {
            FlowCreatedView view = FlowCreatedView.of(created.flow(), created.nodes());
            return created.created()
                    ? Response.created(URI.create("/v1/flows/" + view.flowId())).entity(view).build()
                    : Response.ok(view).build();
        });
    }

    /** A node: a create body with a {@code ref}; its namespace defaults to the flow's. */
    private FlowService.Node node(ObjectNode raw, String namespace, String where) {
        ObjectNode n = raw.deepCopy();
        var refNode = n.remove("ref");
        if (refNode == null || !refNode.isTextual()) {
            throw Problem.invalid(where + ": field 'ref' (a string) is required");
        }
        String ref = Check.text(refNode.asText(), where + ".ref", 1, 128);
        if (!n.has("namespace")) {
            n.put("namespace", namespace);
        }
        CreateExecutionRequest request;
        try {
            request = json.treeToValue(n, CreateExecutionRequest.class);
        } catch (UnrecognizedPropertyException e) {
            throw Problem.invalid(where + ": unknown field '" + e.getPropertyName() + "'");
        } catch (JsonProcessingException e) {
            throw Problem.invalid(where + ": a field has the wrong type or shape");
        }
        try {
            return new FlowService.Node(ref, request.validate(json));
        } catch (Problem p) {
            throw Problem.badRequest(p.kind(), where + ": " + p.detail());
        }
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a flow: its derived state, graph revision and member counts by public state (api.md §3)")
    @APIResponse(responseCode = "200", description = "The flow",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = FlowView.class)))
    @APIResponse(responseCode = "404", description = "not_found: no such flow (entity flow)")
    public Uni<FlowView> get(@PathParam("id") String id) {
        UUID flowId = Check.uuid(id, "flow id");
        return reads.view(flowId).map(v -> FlowView.of(v.orElseThrow(() -> Problem.notFound("flow", flowId))));
    }

    @GET
    @Path("/{id}/members")
    @Operation(summary = "The flow's member executions, newest first, paged (api.md §3)")
    @APIResponse(responseCode = "200", description = "One page; next_cursor is null on the last",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = ExecutionResource.ExecutionList.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (flow id, limit), invalid_cursor")
    @APIResponse(responseCode = "404", description = "not_found: no such flow (entity flow)")
    public Uni<ExecutionResource.ExecutionList> members(@PathParam("id") String id, @QueryParam("limit") String limit,
                                                        @QueryParam("cursor") String cursor) {
        UUID flowId = Check.uuid(id, "flow id");
        int n = Paging.limit(limit);
        ExecutionReads.After after = Paging.decodeAfter(cursor);
        var filter = new ExecutionReads.Filter(null, null, null, flowId, null);
        return reads.exists(flowId).flatMap(exists -> {
            if (!exists) {
                throw Problem.notFound("flow", flowId);
            }
            return executions.list(filter, after, n);
        }).map(page -> new ExecutionResource.ExecutionList(page.executions().stream().map(ExecutionView::of).toList(),
                Paging.encode(page.next())));
    }

    @GET
    @Path("/{id}/edges")
    @Operation(summary = "The flow's edges with their resolution state, paged (api.md §3)")
    @APIResponse(responseCode = "200", description = "One page; next_cursor is null on the last",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EdgeList.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (flow id, limit), invalid_cursor")
    @APIResponse(responseCode = "404", description = "not_found: no such flow (entity flow)")
    public Uni<EdgeList> edges(@PathParam("id") String id, @QueryParam("limit") String limit,
                               @QueryParam("cursor") String cursor) {
        UUID flowId = Check.uuid(id, "flow id");
        int n = Paging.limit(limit);
        // Edge cursors have the shape of execution cursors: a creation time and an id.
        ExecutionReads.After raw = Paging.decodeAfter(cursor);
        FlowReads.After after = raw == null ? null : new FlowReads.After(raw.createdAtMs(), raw.executionId());
        return reads.edges(flowId, after, n).map(found -> {
            FlowReads.EdgePage page = found.orElseThrow(() -> Problem.notFound("flow", flowId));
            FlowReads.After next = page.next();
            return new EdgeList(page.edges().stream()
                    .map(e -> new EdgeView(e.edgeId(), e.from(), e.to(), e.condition(), e.state())).toList(),
                    next == null ? null : Paging.encode(new ExecutionReads.After(next.createdAtMs(), next.edgeId())));
        });
    }

    @POST
    @Path("/{id}/members")
    @Operation(summary = "Add an existing execution of the flow's partition to the flow (api.md §3)")
    @APIResponse(responseCode = "201", description = "Added; the new graph revision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RevisionView.class)))
    @APIResponse(responseCode = "200", description = "It is a member already; the current graph revision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RevisionView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input, invalid_json, partition_mismatch (create it with "
            + "flow_id instead)")
    @APIResponse(responseCode = "404", description = "not_found: no such flow or execution (entity flow, execution)")
    @APIResponse(responseCode = "409", description = "execution_already_in_flow (a member of another flow), "
            + "flow_already_terminal")
    public Uni<Response> addMember(@PathParam("id") String id, MemberRequest body) {
        UUID flowId = Check.uuid(id, "flow id");
        UUID executionId = Check.present(Check.body(body).executionId(), "execution_id");
        return flows.addMember(flowId, executionId).map(j -> Response.status(j.created() ? 201 : 200)
                .entity(new RevisionView(j.graphRevision())).build());
    }

    @POST
    @Path("/{id}/edges")
    @Operation(summary = "Add an edge between two members; an edge from an ended upstream resolves at once (api.md §3)")
    @APIResponse(responseCode = "201", description = "Added; the edge id and the new graph revision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EdgeAddedView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (an end is not a member of this flow), invalid_json, "
            + "invalid_condition")
    @APIResponse(responseCode = "404", description = "not_found: no such flow or execution (entity flow, execution)")
    @APIResponse(responseCode = "409", description = "cycle_detected, self_referencing_edge, dependency_already_exists, "
            + "stale_graph_revision (expected_graph_revision differs), flow_already_terminal")
    public Uni<Response> addEdge(@PathParam("id") String id, AddEdgeRequest body) {
        UUID flowId = Check.uuid(id, "flow id");
        AddEdgeRequest b = Check.body(body);
        UUID from = Check.present(b.from(), "from");
        UUID to = Check.present(b.to(), "to");
        if (b.expectedGraphRevision() != null) {
            Check.range(b.expectedGraphRevision(), "expected_graph_revision", 0, Long.MAX_VALUE);
        }
        return flows.addEdge(flowId, from, to, FlowBodies.condition(b.condition()), b.expectedGraphRevision())
                .map(e -> Response.status(201).entity(new EdgeAddedView(e.edgeId(), e.graphRevision())).build());
    }

    @PUT
    @Path("/{id}/groups/{downstream_id}")
    @Operation(summary = "Set how a downstream that never ran joins its upstreams: all_of, any_of or quorum (api.md §3)")
    @APIResponse(responseCode = "200", description = "The join group, applied at once",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = GroupView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (the downstream is not a member), invalid_json, "
            + "invalid_policy (policy, on_satisfied, or k against the incoming edges)")
    @APIResponse(responseCode = "404", description = "not_found: no such flow or execution (entity flow, execution)")
    @APIResponse(responseCode = "409", description = "not_runnable (the downstream has run or ended), flow_already_terminal")
    public Uni<GroupView> putGroup(@PathParam("id") String id, @PathParam("downstream_id") String downstream,
                                   GroupRequest body) {
        UUID flowId = Check.uuid(id, "flow id");
        UUID downstreamId = Check.uuid(downstream, "downstream id");
        GroupRequest b = Check.body(body);
        EdgeGroup group = FlowBodies.group(b.policy(), b.k(), b.onSatisfied(), "");
        return flows.putGroup(flowId, downstreamId, group).map(g -> new GroupView(flowId, downstreamId,
                g.policy().wire(), g.k(), g.onSatisfied().wire()));
    }

    @POST
    @Path("/{id}/cancel")
    @Operation(summary = "Cancel the flow and, per policy, its members; ?wait=true answers once they are all "
            + "cancelled (api.md §3)")
    @APIResponse(responseCode = "200", description = "cancelled, cancellation_scheduled (members cancel in the "
            + "background) or partially_cancelled; a repeat returns the stored outcome",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = CancelView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (wait, reason), invalid_json, invalid_policy")
    @APIResponse(responseCode = "404", description = "not_found: no such flow (entity flow)")
    @APIResponse(responseCode = "409", description = "flow_already_terminal: the flow ended before any cancel of it")
    public Uni<CancelView> cancel(@PathParam("id") String id, @QueryParam("wait") String wait, CancelRequest body) {
        UUID flowId = Check.uuid(id, "flow id");
        boolean waitForMembers;
        if (wait == null || wait.equals("false")) {
            waitForMembers = false;
        } else if (wait.equals("true")) {
            waitForMembers = true;
        } else {
            throw Problem.invalid("wait must be true or false");
        }
        CancelRequest b = Check.body(body);
        var policy = FlowBodies.cancelPolicy(b.policy());
        String reason = Check.reason(b.reason());
        return cancels.cancel(flowId, policy, reason, waitForMembers)
                .map(o -> new CancelView(o.outcome(), o.policy(), o.members(), o.failed()));
    }
}
