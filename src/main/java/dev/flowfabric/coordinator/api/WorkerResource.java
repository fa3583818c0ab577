package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Worker;
import dev.flowfabric.coordinator.service.WorkerService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** The worker registry (api.md §2.1). */
@Path("/v1/workers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Workers")
public class WorkerResource {

    static final long DEFAULT_LIVENESS_TTL_MS = 30_000;

    private final WorkerService workers;

    WorkerResource(WorkerService workers) {
        this.workers = workers;
    }

    public record RegisterRequest(String workerId, String workerInstanceId, String namespace, List<String> lanes,
                                  List<String> capabilities, Long livenessTtlMs) { }

    public record WorkerView(String workerId, String workerInstanceId, String namespace, List<String> lanes,
                             List<String> capabilities, long livenessTtlMs, long registeredAtMs,
                             long lastHeartbeatMs, long expiresAtMs, boolean alive) {
        static WorkerView of(Worker w, long now) {
            return new WorkerView(w.workerId(), w.workerInstanceId(), w.namespace(), w.lanes(), w.capabilities(),
                    w.livenessTtlMs(), w.registeredAtMs(), w.lastHeartbeatMs(), w.expiresAtMs(), w.alive(now));
        }
    }

    public record WorkerList(List<WorkerView> workers, String nextCursor) { }

    public record Heartbeat(long nextExpiryMs) { }

    @POST
    @Operation(summary = "Register a worker instance, or refresh its registration (api.md §2.1)")
    @APIResponse(responseCode = "201", description = "Registered; Location names the instance",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WorkerView.class)))
    @APIResponse(responseCode = "200", description = "Registered already: refreshed",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WorkerView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (ids, lanes, liveness_ttl_ms), invalid_json, "
            + "invalid_capabilities")
    @APIResponse(responseCode = "409", description = "idempotency_conflict: the worker_instance_id is registered to "
            + "another worker_id")
    public Uni<Response> register(RegisterRequest body) {
        RegisterRequest b = Check.body(body);
        String workerId = Check.text(b.workerId(), "worker_id", 1, 256);
        String instanceId = Check.text(b.workerInstanceId(), "worker_instance_id", 1, 256);
        String namespace = b.namespace() == null ? "default" : Check.text(b.namespace(), "namespace", 1, 128);
        List<String> lanes = Check.present(b.lanes(), "lanes");
        if (lanes.size() > 64) {
            throw Problem.invalid("field 'lanes' has more than 64 entries");
        }
        lanes = lanes.stream().map(l -> Check.lane(l, "lanes[]")).distinct().sorted().toList();
        List<String> caps = Check.capabilities(b.capabilities(), "capabilities").stream().sorted().toList();
        long ttl = b.livenessTtlMs() == null ? DEFAULT_LIVENESS_TTL_MS
                : Check.range(b.livenessTtlMs(), "liveness_ttl_ms", 1000, 3_600_000);
        Worker w = new Worker(workerId, instanceId, namespace, lanes, caps, ttl, 0, 0, 0);
        return workers.register(w).map(stored -> {
            WorkerView view = WorkerView.of(stored.value(), stored.value().lastHeartbeatMs());
            return stored.created()
                    ? Response.created(URI.create("/v1/workers/" + view.workerInstanceId())).entity(view).build()
                    : Response.ok(view).build();
        });
    }

    @POST
    @Path("/{worker_instance_id}/heartbeat")
    @Operation(summary = "Keep a worker instance registered for another liveness TTL (api.md §2.1)")
    @APIResponse(responseCode = "200", description = "The new expiry",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Heartbeat.class)))
    @APIResponse(responseCode = "404", description = "not_found: unknown or swept (entity worker); register again")
    public Uni<Heartbeat> heartbeat(@PathParam("worker_instance_id") String instanceId,
                                    @RequestBody(required = false, description = "None, or {}") Empty body) {
        return workers.heartbeat(instanceId).map(Heartbeat::new);
    }

    @DELETE
    @Path("/{worker_instance_id}")
    @Operation(summary = "Deregister a worker instance; its leases run on until they expire (api.md §2.1)")
    @APIResponse(responseCode = "204", description = "Gone (also when it was not registered)")
    public Uni<Response> deregister(@PathParam("worker_instance_id") String instanceId) {
        return workers.deregister(instanceId).map(v -> Response.noContent().build());
    }

    @GET
    @Operation(summary = "Registered worker instances, filtered by namespace and lane, paged (api.md §2.1)")
    @APIResponse(responseCode = "200", description = "One page, with whether each is alive; next_cursor is null on the last",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WorkerList.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (limit), invalid_cursor")
    public Uni<WorkerList> list(@QueryParam("namespace") String namespace, @QueryParam("lane") String lane,
                                @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        int n = Paging.limit(limit);
        return workers.list(namespace, lane, decode(cursor), n).map(page -> new WorkerList(
                page.workers().stream().map(w -> WorkerView.of(w, page.now())).toList(), encode(page.next())));
    }

    private static String encode(String instanceId) {
        return instanceId == null ? null
                : Base64.getUrlEncoder().withoutPadding().encodeToString(instanceId.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw Problem.badRequest(ProblemKind.INVALID_CURSOR, "the cursor is not one this service issued");
        }
    }
}
