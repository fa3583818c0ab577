package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Quota;
import dev.flowfabric.coordinator.service.QuotaService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.UUID;

/** Quota policies (api.md §6). */
@Path("/v1/quotas")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Quotas", description = "Claim rate and concurrency limits for the executions bound to a policy")
public class QuotaResource {

    private final QuotaService quotas;

    QuotaResource(QuotaService quotas) {
        this.quotas = quotas;
    }

    @Schema(name = "CreateQuotaRequest")
    public record CreateRequest(UUID quotaPolicyId, Long windowMs, Long maxPerWindow, Long maxConcurrent) { }

    public record QuotaView(UUID quotaPolicyId, long windowMs, Long maxPerWindow, Long maxConcurrent,
                            long windowCount, long concurrentCount, long createdAtMs) {
        static QuotaView of(Quota q) {
            return new QuotaView(q.quotaPolicyId(), q.windowMs(), q.maxPerWindow(), q.maxConcurrent(),
                    q.windowCount(), q.concurrentCount(), q.createdAtMs());
        }
    }

    @POST
    @Operation(summary = "Create a quota policy: claims per sliding window and/or leased at once (api.md §6)")
    @APIResponse(responseCode = "201", description = "Created; Location names it",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = QuotaView.class)))
    @APIResponse(responseCode = "200", description = "This quota_policy_id exists already with the same limits: that policy",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = QuotaView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (window_ms, limits), invalid_json, invalid_policy "
            + "(neither max_per_window nor max_concurrent)")
    @APIResponse(responseCode = "409", description = "idempotency_conflict: the quota_policy_id exists with other limits")
    public Uni<Response> create(CreateRequest body) {
        CreateRequest b = Check.body(body);
        long window = Check.range(b.windowMs(), "window_ms", 1, 31L * 24 * 3600 * 1000);
        Long perWindow = b.maxPerWindow() == null ? null
                : Check.range(b.maxPerWindow(), "max_per_window", 1, BudgetResource.MAX_AMOUNT);
        Long concurrent = b.maxConcurrent() == null ? null
                : Check.range(b.maxConcurrent(), "max_concurrent", 1, 1_000_000_000L);
        if (perWindow == null && concurrent == null) {
            throw Problem.badRequest(ProblemKind.INVALID_POLICY, "a quota needs 'max_per_window', 'max_concurrent' or both");
        }
        UUID id = b.quotaPolicyId() != null ? b.quotaPolicyId() : UUID.randomUUID();
        return quotas.create(id, window, perWindow, concurrent).map(stored -> {
            QuotaView view = QuotaView.of(stored.value());
            return stored.created()
                    ? Response.created(URI.create("/v1/quotas/" + id)).entity(view).build()
                    : Response.ok(view).build();
        });
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a quota policy with its current window and concurrent counts (api.md §6)")
    @APIResponse(responseCode = "200", description = "The policy",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = QuotaView.class)))
    @APIResponse(responseCode = "404", description = "not_found: no such quota policy (entity quota)")
    public Uni<QuotaView> get(@PathParam("id") String id) {
        return quotas.get(Check.uuid(id, "quota id")).map(QuotaView::of);
    }
}
