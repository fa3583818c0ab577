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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Executions: create, read, operator controls and the fenced worker calls (api.md §1, §2.4). */
@Path("/v1/executions")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
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

    public record AttemptView(int attemptIndex, String attemptType, String workerId, String workerInstanceId,
                              long leaseEpoch, Long startedAtMs, Long terminalAtMs, String outcome,
                              @com.fasterxml.jackson.annotation.JsonRawValue String error) { }

    public record AttemptList(List<AttemptView> attempts) { }

    public record Renewed(long leaseExpiresAtMs, long leaseEpoch) { }

    public record ItemResult(UUID executionId, int status, String kind, String publicState) { }

    public record BatchCompleteResponse(List<ItemResult> results) { }

    @POST
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
    public Uni<Map<String, List<ExecutionView>>> createBatch(BatchCreateRequest body) {
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
        return executions.create(commands, true).map(results -> Map.of("executions",
                results.stream().map(c -> ExecutionView.of(c.execution())).toList()));
    }

    @GET
    @Path("/{id}")
    public Uni<ExecutionView> get(@PathParam("id") String id) {
        return executions.get(Check.uuid(id, "execution id")).map(ExecutionView::of);
    }

    @GET
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
    public Uni<ExecutionView> cancel(@PathParam("id") String id, CancelRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        CancelRequest b = body == null ? new CancelRequest(null, null, null) : body;
        String reason = Check.optionalText(b.reason(), "reason", 0, 1024);
        if (b.fenced()) {
            return leases.cancel(executionId, WorkerBodies.fence(b.leaseId(), b.leaseEpoch()), reason)
                    .map(ExecutionView::of);
        }
        return executions.cancel(executionId, reason).map(ExecutionView::of);
    }

    @PUT
    @Path("/{id}/priority")
    public Uni<ExecutionView> priority(@PathParam("id") String id, PriorityRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        int priority = Check.range(Check.body(body).priority(), "priority", 0, 9000);
        return executions.setPriority(executionId, priority).map(ExecutionView::of);
    }

    @POST
    @Path("/{id}/replay")
    public Uni<ExecutionView> replay(@PathParam("id") String id, ReasonRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        String reason = body == null ? null : Check.optionalText(body.reason(), "reason", 0, 1024);
        return executions.replay(executionId, reason).map(ExecutionView::of);
    }

    @POST
    @Path("/{id}/revoke-lease")
    public Uni<ExecutionView> revokeLease(@PathParam("id") String id, ReasonRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        String reason = body == null ? null : Check.optionalText(body.reason(), "reason", 0, 1024);
        return executions.revokeLease(executionId, reason).map(ExecutionView::of);
    }

    @POST
    @Path("/{id}/renew")
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
    public Uni<ExecutionView> complete(@PathParam("id") String id, CompleteRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        CompleteRequest b = Check.body(body);
        return leases.complete(executionId, WorkerBodies.fence(b.leaseId(), b.leaseEpoch()), encode(b.result()))
                .map(ExecutionView::of);
    }

    @POST
    @Path("/complete")
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
    public Uni<Map<String, Object>> fail(@PathParam("id") String id, FailRequest body) {
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
        return leases.fail(executionId, fence, encodeObject(stored), category, retryable).map(o -> {
            Map<String, Object> out = new LinkedHashMap<>();
            if (o.retryScheduled()) {
                out.put("outcome", "retry_scheduled");
                out.put("next_attempt_at_ms", o.nextAttemptAtMs());
                out.put("attempt_index", o.attemptIndex());
            } else {
                out.put("outcome", "failed");
            }
            return out;
        });
    }

    @POST
    @Path("/{id}/delay")
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
