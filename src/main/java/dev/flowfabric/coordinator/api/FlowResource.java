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

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Flows: DAGs of executions, their members, edges, join groups and cancel (api.md §3). */
@Path("/v1/flows")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
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
    public Uni<FlowView> get(@PathParam("id") String id) {
        UUID flowId = Check.uuid(id, "flow id");
        return reads.view(flowId).map(v -> FlowView.of(v.orElseThrow(() -> Problem.notFound("flow", flowId))));
    }

    @GET
    @Path("/{id}/members")
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
    public Uni<Response> addMember(@PathParam("id") String id, MemberRequest body) {
        UUID flowId = Check.uuid(id, "flow id");
        UUID executionId = Check.present(Check.body(body).executionId(), "execution_id");
        return flows.addMember(flowId, executionId).map(j -> Response.status(j.created() ? 201 : 200)
                .entity(new RevisionView(j.graphRevision())).build());
    }

    @POST
    @Path("/{id}/edges")
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
        String reason = Check.optionalText(b.reason(), "reason", 0, 1024);
        return cancels.cancel(flowId, policy, reason, waitForMembers)
                .map(o -> new CancelView(o.outcome(), o.policy(), o.members(), o.failed()));
    }
}
