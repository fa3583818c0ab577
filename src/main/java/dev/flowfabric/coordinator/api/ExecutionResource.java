package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.api.WorkerBodies.BatchCompleteRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.CancelRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.CompleteRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.DelayRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.FailRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.PriorityRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.ProgressRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.ReasonRequest;
import dev.flowfabric.coordinator.api.WorkerBodies.RenewRequest;
import dev.flowfabric.coordinator.domain.Attempt;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.States;
import dev.flowfabric.coordinator.domain.Wire;
import dev.flowfabric.coordinator.service.CreateExecution;
import dev.flowfabric.coordinator.service.Created;
import dev.flowfabric.coordinator.service.ExecutionService;
import dev.flowfabric.coordinator.service.LeaseService;
import dev.flowfabric.coordinator.store.ExecutionReads;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
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
import com.fasterxml.jackson.annotation.JsonInclude;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Executions: create, read, operator controls and the fenced worker calls (api.md §1, §2.4). */
@Path("/v1/executions")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Executions", description = "Create, read and operate on executions; the fenced calls of a lease holder")
public class ExecutionResource {

    private final ExecutionService executions;
    private final LeaseService leases;
    private final ObjectMapper json;

    ExecutionResource(ExecutionService executions, LeaseService leases, ObjectMapper json) {
        this.executions = executions;
        this.leases = leases;
        this.json = json;
    }

    public record ExecutionList(List<ExecutionView> executions, String nextCursor) { }

    public record BatchCreateRequest(List<CreateExecutionRequest> executions) { }

    public record BatchCreateResponse(List<ExecutionView> executions) { }

    public record AttemptView(int attemptIndex, String attemptType, String workerId, String workerInstanceId,
                              long leaseEpoch, Long startedAtMs, Long terminalAtMs, String outcome,
                              @Schema(implementation = WorkerBodies.ErrorBody.class)
                              @com.fasterxml.jackson.annotation.JsonRawValue String error) { }

    public record AttemptList(List<AttemptView> attempts) { }

    public record Renewed(long leaseExpiresAtMs, long leaseEpoch) { }

    public record ItemResult(UUID executionId, int status, String kind, String publicState) { }

    public record BatchCompleteResponse(List<ItemResult> results) { }

    /** The answer to {@code fail}: a retry (when, as which attempt) or the end. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FailResult(@Schema(enumeration = {"retry_scheduled", "failed"}) String outcome,
                             Long nextAttemptAtMs, Integer attemptIndex) { }

    @POST
    @Operation(summary = "Create an execution (api.md §1.1)")
    @APIResponse(responseCode = "201", description = "Created; Location names it",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "200", description = "This execution_id or (namespace, idempotency_key) exists already: that execution",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input, invalid_json, invalid_capabilities, invalid_policy")
    @APIResponse(responseCode = "404", description = "not_found: flow_id names no flow")
    @APIResponse(responseCode = "409", description = "idempotency_conflict (same key, other lane or kind), "
            + "flow_already_terminal")
    public Uni<Response> create(CreateExecutionRequest body) {
        CreateExecution command = Check.body(body).validate(json);
        return executions.create(List.of(command), false).map(results -> {
            Created c = results.get(0);
            ExecutionView view = ExecutionView.of(c.execution());
            return c.created()
                    ? Response.created(URI.create("/v1/executions/" + view.executionId())).entity(view).build()
                    : Response.ok(view).build();
        });
    }

    @POST
    @Path("/batch")
    @Operation(summary = "Create 1..1000 executions in one transaction, answered in request order (api.md §1.2)")
    @APIResponse(responseCode = "200", description = "The executions, new or existing, in request order",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = BatchCreateResponse.class)))
    @APIResponse(responseCode = "400", description = "invalid_input, invalid_json, invalid_capabilities, invalid_policy; "
            + "the detail names the item's index")
    @APIResponse(responseCode = "404", description = "not_found: a flow_id names no flow")
    @APIResponse(responseCode = "409", description = "idempotency_conflict, flow_already_terminal")
    public Uni<BatchCreateResponse> createBatch(BatchCreateRequest body) {
        List<CreateExecutionRequest> items = Check.present(Check.body(body).executions(), "executions");
        if (items.isEmpty() || items.size() > 1000) {
            throw Problem.invalid("field 'executions' must hold 1..1000 items");
        }
        List<CreateExecution> commands = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            try {
                commands.add(Check.present(items.get(i), "executions[" + i + "]").validate(json));
            } catch (Problem p) {
                throw Problem.badRequest(p.kind(), "executions[" + i + "]: " + p.detail());
            }
        }
        return executions.create(commands, true).map(results -> new BatchCreateResponse(
                results.stream().map(c -> ExecutionView.of(c.execution())).toList()));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read an execution (api.md §1.3)")
    @APIResponse(responseCode = "200", description = "The execution",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    public Uni<ExecutionView> get(@PathParam("id") String id) {
        return executions.get(Check.uuid(id, "execution id")).map(ExecutionView::of);
    }

    @GET
    @Operation(summary = "List executions, newest first, filtered and paged (api.md §1.3)")
    @APIResponse(responseCode = "200", description = "One page; next_cursor is null on the last",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionList.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (limit, public_state, flow_id), invalid_cursor")
    public Uni<ExecutionList> list(@QueryParam("namespace") String namespace, @QueryParam("lane") String lane,
                                   @QueryParam("public_state") String publicState, @QueryParam("flow_id") String flowId,
                                   @QueryParam("kind") String kind, @QueryParam("limit") String limit,
                                   @QueryParam("cursor") String cursor) {
        if (publicState != null) {
            try {
                Wire.parse(States.PublicState.class, publicState);
            } catch (IllegalArgumentException e) {
                throw Problem.invalid("public_state '" + publicState + "' is not a public state");
            }
        }
        var filter = new ExecutionReads.Filter(namespace, lane, publicState,
                flowId == null ? null : Check.uuid(flowId, "flow_id"), kind);
        int n = Paging.limit(limit);
        return executions.list(filter, Paging.decodeAfter(cursor), n).map(page -> new ExecutionList(
                page.executions().stream().map(ExecutionView::of).toList(), Paging.encode(page.next())));
    }

    @GET
    @Path("/{id}/attempts")
    @Operation(summary = "An execution's attempt history (api.md §1.3)")
    @APIResponse(responseCode = "200", description = "Attempts by index",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = AttemptList.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    public Uni<AttemptList> attempts(@PathParam("id") String id) {
        return executions.attempts(Check.uuid(id, "execution id")).map(list -> new AttemptList(list.stream()
                .map(ExecutionResource::attemptView).toList()));
    }

    private static AttemptView attemptView(Attempt a) {
        return new AttemptView(a.attemptIndex(), a.attemptType(), a.workerId(), a.workerInstanceId(), a.leaseEpoch(),
                a.startedAtMs(), a.terminalAtMs(), a.outcome(), a.errorJson());
    }

    @POST
    @Path("/{id}/cancel")
    @Operation(summary = "Cancel: by an operator (no fence fields) or by the lease holder (fence fields) (api.md §1.4, §2.4)")
    @APIResponse(responseCode = "200", description = "The cancelled execution (unchanged if it was cancelled already)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", description = "execution_not_active (terminal with another outcome); a worker "
            + "cancel also answers the fence conflicts of api.md §2.3: lease_revoked, lease_expired, stale_lease")
    public Uni<ExecutionView> cancel(@PathParam("id") String id,
                                     @RequestBody(required = false, description = "An operator cancel may send none")
                                     CancelRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        CancelRequest b = body == null ? new CancelRequest(null, null, null) : body;
        String reason = Check.reason(b.reason());
        if (b.fenced()) {
            return leases.cancel(executionId, WorkerBodies.fence(b.leaseId(), b.leaseEpoch()), reason)
                    .map(ExecutionView::of);
        }
        return executions.cancel(executionId, reason).map(ExecutionView::of);
    }

    @PUT
    @Path("/{id}/priority")
    @Operation(summary = "Change the priority of a waiting or delayed execution (api.md §1.4)")
    @APIResponse(responseCode = "200", description = "The execution",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", description = "not_runnable: it is neither waiting nor delayed")
    public Uni<ExecutionView> priority(@PathParam("id") String id, PriorityRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        int priority = Check.range(Check.body(body).priority(), "priority", 0, 9000);
        return executions.setPriority(executionId, priority).map(ExecutionView::of);
    }

    @POST
    @Path("/{id}/replay")
    @Operation(summary = "Run a terminal execution again as a new attempt of type replay (api.md §1.4)")
    @APIResponse(responseCode = "200", description = "The execution, waiting again",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", description = "execution_not_terminal")
    public Uni<ExecutionView> replay(@PathParam("id") String id,
                                     @RequestBody(required = false) ReasonRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        String reason = body == null ? null : Check.reason(body.reason());
        return executions.replay(executionId, reason).map(ExecutionView::of);
    }

    @POST
    @Path("/{id}/revoke-lease")
    @Operation(summary = "End an active execution's lease; the next claim is a reclaim (api.md §1.4)")
    @APIResponse(responseCode = "200", description = "The execution, claimable again",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", description = "not_runnable: it is not active")
    public Uni<ExecutionView> revokeLease(@PathParam("id") String id,
                                          @RequestBody(required = false) ReasonRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        String reason = body == null ? null : Check.reason(body.reason());
        return executions.revokeLease(executionId, reason).map(ExecutionView::of);
    }

    @POST
    @Path("/{id}/renew")
    @Operation(summary = "Extend the caller's lease (api.md §2.4)")
    @APIResponse(responseCode = "200", description = "The new expiry",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Renewed.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocs.FENCE_CONFLICT)
    public Uni<Renewed> renew(@PathParam("id") String id, RenewRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        RenewRequest b = Check.body(body);
        long ttl = b.leaseTtlMs() == null ? LaneResource.DEFAULT_LEASE_TTL_MS
                : Check.range(b.leaseTtlMs(), "lease_ttl_ms", 1000, 3_600_000);
        return leases.renew(executionId, WorkerBodies.fence(b.leaseId(), b.leaseEpoch()), ttl)
                .map(r -> new Renewed(r.leaseExpiresAtMs(), r.leaseEpoch()));
    }

    @POST
    @Path("/{id}/progress")
    @Operation(summary = "Record progress of the leased execution (api.md §2.4)")
    @APIResponse(responseCode = "204", description = "Recorded")
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocs.FENCE_CONFLICT)
    public Uni<Response> progress(@PathParam("id") String id, ProgressRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        ProgressRequest b = Check.body(body);
        if (b.percent() != null) {
            Check.range(b.percent(), "percent", 0, 100);
        }
        String message = Check.optionalText(b.message(), "message", 0, 4096);
        return leases.progress(executionId, WorkerBodies.fence(b.leaseId(), b.leaseEpoch()), b.percent(), message)
                .map(v -> Response.noContent().build());
    }

    @POST
    @Path("/{id}/complete")
    @Operation(summary = "Complete the leased execution; a repeat with the same fence answers the same (api.md §2.4)")
    @APIResponse(responseCode = "200", description = "The completed execution",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocs.FENCE_CONFLICT)
    public Uni<ExecutionView> complete(@PathParam("id") String id, CompleteRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        CompleteRequest b = Check.body(body);
        return leases.complete(executionId, WorkerBodies.fence(b.leaseId(), b.leaseEpoch()), encode(b.result()))
                .map(ExecutionView::of);
    }

    @POST
    @Path("/complete")
    @Operation(summary = "Complete 1..1000 leased executions in one transaction, each judged alone (api.md §2.4)")
    @APIResponse(responseCode = "200", description = "One result per item, in request order: 200, or 404/409 with its kind",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = BatchCompleteResponse.class)))
    public Uni<BatchCompleteResponse> completeAll(BatchCompleteRequest body) {
        var items = Check.present(Check.body(body).items(), "items");
        if (items.isEmpty() || items.size() > 1000) {
            throw Problem.invalid("field 'items' must hold 1..1000 items");
        }
        List<ExecutionStore.Completion> completions = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            var item = items.get(i);
            try {
                Check.present(item, "items[" + i + "]");
                var fence = WorkerBodies.fence(item.leaseId(), item.leaseEpoch());
                completions.add(new ExecutionStore.Completion(Check.present(item.executionId(), "execution_id"),
                        fence.leaseId(), fence.leaseEpoch(), encode(item.result())));
            } catch (Problem p) {
                throw Problem.badRequest(p.kind(), "items[" + i + "]: " + p.detail());
            }
        }
        return leases.completeAll(completions).map(results -> new BatchCompleteResponse(results.stream()
                .map(r -> new ItemResult(r.executionId(), r.status(), r.kind(), r.publicState())).toList()));
    }

    @POST
    @Path("/{id}/fail")
    @Operation(summary = "Fail the leased attempt: a retry per the execution's policy, or the end (api.md §2.4)")
    @APIResponse(responseCode = "200", description = "retry_scheduled (when, as which attempt index) or failed",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = FailResult.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocs.FENCE_CONFLICT)
    public Uni<FailResult> fail(@PathParam("id") String id, FailRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        FailRequest b = Check.body(body);
        var fence = WorkerBodies.fence(b.leaseId(), b.leaseEpoch());
        WorkerBodies.ErrorBody error = Check.present(b.error(), "error");
        String message = Check.text(error.message(), "error.message", 0, 8192);
        States.FailureCategory category;
        try {
            category = Wire.parse(States.FailureCategory.class, Check.present(error.category(), "error.category"));
        } catch (IllegalArgumentException e) {
            throw Problem.invalid("error.category must be transient, permanent, timeout or infra");
        }
        Map<String, Object> stored = new LinkedHashMap<>();
        stored.put("message", message);
        stored.put("category", category.wire());
        boolean retryable = b.retryable() == null || b.retryable();
        return leases.fail(executionId, fence, encodeObject(stored), category, retryable).map(o -> o.retryScheduled()
                ? new FailResult("retry_scheduled", o.nextAttemptAtMs(), o.attemptIndex())
                : new FailResult("failed", null, null));
    }

    @POST
    @Path("/{id}/delay")
    @Operation(summary = "Park the leased execution until a time; the lease is released (api.md §2.4)")
    @APIResponse(responseCode = "200", description = "The delayed execution",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ExecutionView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocs.FENCE_CONFLICT)
    public Uni<ExecutionView> delay(@PathParam("id") String id, DelayRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        DelayRequest b = Check.body(body);
        var fence = WorkerBodies.fence(b.leaseId(), b.leaseEpoch());
        long until = Check.range(b.delayUntilMs(), "delay_until_ms", 0, CreateExecutionRequest.MAX_MS);
        return leases.delay(executionId, fence, until).map(ExecutionView::of);
    }

    private String encode(JsonNode node) {
        return node == null || node.isNull() ? null : encodeObject(node);
    }

    private String encodeObject(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw Problem.badRequest(ProblemKind.INVALID_JSON, "the value could not be encoded");
        }
    }
}
