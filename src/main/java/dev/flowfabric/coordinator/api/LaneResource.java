package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.flowfabric.coordinator.api.WorkerBodies.ClaimRequest;
import dev.flowfabric.coordinator.domain.Claimed;
import dev.flowfabric.coordinator.service.ClaimService;
import dev.flowfabric.coordinator.store.ExecutionStore;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;
import java.util.UUID;

/** Claims (api.md §2.2). */
@Path("/v1/lanes")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Workers", description = "The worker registry, and claiming work from a lane")
public class LaneResource {

    static final long DEFAULT_LEASE_TTL_MS = 30_000;

    private final ClaimService claims;

    LaneResource(ClaimService claims) {
        this.claims = claims;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ClaimView(UUID executionId, short partitionKey, String kind,
                            @Schema(ref = "AnyValue") @JsonRawValue String input,
                            @Schema(type = SchemaType.OBJECT, additionalProperties = String.class)
                            @JsonRawValue String tags, int attemptIndex,
                            @Schema(enumeration = {"initial", "retry", "reclaim", "replay", "resume"}) String attemptType,
                            UUID leaseId, long leaseEpoch, long leaseExpiresAtMs, long leaseTtlMs,
                            @Schema(type = SchemaType.ARRAY, description = "On a resume claim: the signals that "
                                    + "satisfied the suspension (api.md §4)") @JsonRawValue String resumeSignals) {
        static ClaimView of(Claimed c) {
            return new ClaimView(c.executionId(), c.partitionKey(), c.kind(), c.inputJson() == null ? "null" : c.inputJson(),
                    c.tagsJson() == null ? "{}" : c.tagsJson(), c.attemptIndex(), c.attemptType(), c.leaseId(),
                    c.leaseEpoch(), c.leaseExpiresAtMs(), c.leaseTtlMs(), c.resumeSignalsJson());
        }
    }

    public record ClaimResponse(List<ClaimView> claims) { }

    @POST
    @Path("/{lane}/claim")
    @Operation(summary = "Claim up to max runnable executions of a lane, waiting up to wait_ms for work (api.md §2.2)")
    @APIResponse(responseCode = "200", description = "Leased executions, by priority then age",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ClaimResponse.class)))
    @APIResponse(responseCode = "204", description = "Nothing was claimable (also at once while the replica drains)")
    @APIResponse(responseCode = "400", description = "invalid_input (lane, fields, ranges), invalid_json, invalid_capabilities")
    public Uni<Response> claim(@PathParam("lane") String lane, ClaimRequest body) {
        Check.lane(lane, "lane");
        ClaimRequest b = Check.body(body);
        String workerId = Check.text(b.workerId(), "worker_id", 1, 256);
        String instanceId = Check.text(b.workerInstanceId(), "worker_instance_id", 1, 256);
        String namespace = b.namespace() == null ? "default" : Check.text(b.namespace(), "namespace", 1, 128);
        var caps = Check.capabilities(b.capabilities(), "capabilities");
        long ttl = b.leaseTtlMs() == null ? DEFAULT_LEASE_TTL_MS : Check.range(b.leaseTtlMs(), "lease_ttl_ms", 1000, 3_600_000);
        int max = b.max() == null ? 1 : Check.range(b.max(), "max", 1, 100);
        long waitMs = b.waitMs() == null ? 0 : Check.range(b.waitMs(), "wait_ms", 0, 30_000);
        var query = new ExecutionStore.ClaimQuery(lane, namespace, caps, max, workerId, instanceId, ttl);
        return claims.claim(query, waitMs).map(list -> list.isEmpty()
                ? Response.noContent().build()
                : Response.ok(new ClaimResponse(list.stream().map(ClaimView::of).toList())).build());
    }
}
