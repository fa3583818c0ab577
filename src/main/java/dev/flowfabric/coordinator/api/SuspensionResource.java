package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.api.SuspensionBodies.CreateWaitpointRequest;
import dev.flowfabric.coordinator.api.SuspensionBodies.SignalRequest;
import dev.flowfabric.coordinator.api.SuspensionBodies.SuspendRequest;
import dev.flowfabric.coordinator.api.SuspensionBodies.WaitpointSpec;
import dev.flowfabric.coordinator.domain.OnTimeout;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Wire;
import dev.flowfabric.coordinator.service.ResumeConditions;
import dev.flowfabric.coordinator.service.SignalService;
import dev.flowfabric.coordinator.service.SuspensionService;
import dev.flowfabric.coordinator.store.SuspensionReads;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
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
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** Suspend, waitpoints and signals (api.md §4). */
@Path("/v1/executions")
@Tag(name = "Suspension", description = "Suspend on waitpoints, signal them with their tokens, resume as the same attempt")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class SuspensionResource {

    private static final Pattern REASON = Pattern.compile("^[a-z][a-z0-9_]{0,63}$");
    private static final long MAX_WAIT_MS = 365L * 24 * 3600 * 1000;

    private final SuspensionService suspensions;
    private final SignalService signals;
    private final SuspensionReads reads;
    private final ObjectMapper json;

    SuspensionResource(SuspensionService suspensions, SignalService signals, SuspensionReads reads, ObjectMapper json) {
        this.suspensions = suspensions;
        this.signals = signals;
        this.reads = reads;
        this.json = json;
    }

    public record WaitpointView(UUID waitpointId, String key, String token) { }

    public record ListedWaitpoint(UUID waitpointId, String key, String state, Long expiresAtMs) { }

    public record WaitpointList(List<ListedWaitpoint> waitpoints, String nextCursor) { }

    public record SignalAnswer(@Schema(enumeration = {"accepted", "resumed", "duplicate"}) String outcome,
                               UUID signalId) { }

    /** One signal as a resume claim or an already_satisfied answer carries it. */
    public record ResumeSignal(UUID signalId, UUID waitpointId, String key, String name, String source,
                               @Schema(description = "Any JSON value") Object payload, long acceptedAtMs) { }

    /**
     * The shape of the suspend answer, for the OpenAPI document (the service hands over the JSON
     * text, so that a repeat returns the first answer byte for byte).
     */
    public record SuspendAnswer(@Schema(enumeration = {"suspended", "already_satisfied"}) String outcome,
                                UUID suspensionId, List<WaitpointView> waitpoints,
                                @Schema(description = "Only with already_satisfied") List<ResumeSignal> resumeSignals) { }

    @POST
    @Path("/{id}/suspend")
    @Operation(summary = "Suspend the leased execution on waitpoints until a condition holds (api.md §4)")
    @APIResponse(responseCode = "200", description = "suspended (lease released), or already_satisfied by buffered "
            + "signals (lease kept); a repeat with the same idempotency_key gets the first answer",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SuspendAnswer.class)))
    @APIResponse(responseCode = "400", description = "invalid_input, invalid_json, invalid_condition")
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", description = "The fence conflicts (execution_not_active, lease_revoked, "
            + "lease_expired, stale_lease); idempotency_conflict (the key was used for another request or lease)")
    public Uni<Response> suspend(@PathParam("id") String id, SuspendRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        SuspendRequest b = Check.body(body);
        var fence = WorkerBodies.fence(b.leaseId(), b.leaseEpoch());
        String reason = b.reason() == null ? "waiting_for_signal" : b.reason();
        if (!REASON.matcher(reason).matches()) {
            throw Problem.invalid("field 'reason' must match " + REASON.pattern());
        }
        List<WaitpointSpec> specs = Check.present(b.waitpoints(), "waitpoints");
        if (specs.isEmpty() || specs.size() > 64) {
            throw Problem.invalid("field 'waitpoints' must hold 1..64 waitpoints");
        }
        List<String> keys = new ArrayList<>(specs.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < specs.size(); i++) {
            String key = Check.text(Check.present(specs.get(i), "waitpoints[" + i + "]").key(),
                    "waitpoints[" + i + "].key", 1, 256);
            if (!seen.add(key)) {
                throw Problem.invalid("waitpoint key '" + key + "' appears twice");
            }
            keys.add(key);
        }
        var condition = ResumeConditions.parse(b.condition(), keys);
        Long timeoutMs = b.timeoutMs() == null ? null : Check.range(b.timeoutMs(), "timeout_ms", 1, MAX_WAIT_MS);
        OnTimeout onTimeout = OnTimeout.FAIL;
        if (b.onTimeout() != null) {
            if (timeoutMs == null) {
                throw Problem.invalid("field 'on_timeout' needs 'timeout_ms'");
            }
            try {
                onTimeout = Wire.parse(OnTimeout.class, b.onTimeout());
            } catch (IllegalArgumentException e) {
                throw Problem.invalid("field 'on_timeout' must be fail, cancel, expire or resume");
            }
        }
        String key = Check.optionalText(b.idempotencyKey(), "idempotency_key", 1, 256);
        var request = new SuspensionService.Suspend(reason, List.copyOf(keys), condition, timeoutMs, onTimeout, key);
        return suspensions.suspend(executionId, fence, request)
                .map(answer -> Response.ok(answer, MediaType.APPLICATION_JSON_TYPE).build());
    }

    @POST
    @Path("/{id}/waitpoints")
    @Operation(summary = "Make a waitpoint before suspending; it buffers signals that arrive early (api.md §4)")
    @APIResponse(responseCode = "201", description = "Created, with its token",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WaitpointView.class)))
    @APIResponse(responseCode = "200", description = "An open waitpoint of this key exists already: that one",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WaitpointView.class)))
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    @APIResponse(responseCode = "409", ref = ApiDocs.FENCE_CONFLICT)
    public Uni<Response> createWaitpoint(@PathParam("id") String id, CreateWaitpointRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        CreateWaitpointRequest b = Check.body(body);
        var fence = WorkerBodies.fence(b.leaseId(), b.leaseEpoch());
        String key = Check.text(b.key(), "key", 1, 256);
        Long expiresIn = b.expiresInMs() == null ? null : Check.range(b.expiresInMs(), "expires_in_ms", 1, MAX_WAIT_MS);
        return suspensions.createWaitpoint(executionId, fence, key, expiresIn).map(w -> {
            WaitpointView view = new WaitpointView(w.waitpointId(), w.key(), w.token());
            return (w.created() ? Response.status(201) : Response.ok()).entity(view).build();
        });
    }

    @GET
    @Path("/{id}/waitpoints")
    @Operation(summary = "An execution's waitpoints, oldest first, without tokens (api.md §4)")
    @APIResponse(responseCode = "200", description = "One page; next_cursor is null on the last",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = WaitpointList.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (limit), invalid_cursor")
    @APIResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
    public Uni<WaitpointList> waitpoints(@PathParam("id") String id, @QueryParam("limit") String limit,
                                         @QueryParam("cursor") String cursor) {
        UUID executionId = Check.uuid(id, "execution id");
        int n = Paging.limit(limit);
        return reads.waitpoints(executionId, Paging.decode(cursor, SuspensionReads.After::new), n).map(found -> {
            SuspensionReads.Page page = found.orElseThrow(() -> Problem.notFound("execution", executionId));
            return new WaitpointList(page.waitpoints().stream()
                    .map(w -> new ListedWaitpoint(w.waitpointId(), w.key(), w.state(), w.expiresAtMs())).toList(),
                    page.next() == null ? null : Paging.encode(page.next().createdAtMs(), page.next().waitpointId()));
        });
    }

    @POST
    @Path("/{id}/signals")
    @Operation(summary = "Signal a waitpoint with its token (api.md §4)")
    @APIResponse(responseCode = "202", description = "accepted (buffered or counted), resumed (the condition holds now), "
            + "or duplicate (this idempotency_key was seen: the original signal_id)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SignalAnswer.class)))
    @APIResponse(responseCode = "403", description = "invalid_token: the token does not verify for this waitpoint")
    @APIResponse(responseCode = "404", description = "not_found: no such execution or waitpoint (entity execution, waitpoint)")
    @APIResponse(responseCode = "409", description = "waitpoint_closed: the waitpoint closed or expired (with state)")
    public Uni<Response> signal(@PathParam("id") String id, SignalRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        SignalRequest b = Check.body(body);
        if ((b.waitpointId() == null) == (b.key() == null)) {
            throw Problem.invalid("give exactly one of 'waitpoint_id' and 'key'");
        }
        String key = Check.optionalText(b.key(), "key", 1, 256);
        String token = Check.text(b.token(), "token", 1, 512);
        String name = Check.text(b.name(), "name", 1, 256);
        String source = Check.optionalText(b.source(), "source", 1, 256);
        String idempotencyKey = Check.optionalText(b.idempotencyKey(), "idempotency_key", 1, 256);
        var signal = new SignalService.Signal(b.waitpointId(), key, token, name, source, encode(b.payload()),
                idempotencyKey);
        return signals.deliver(executionId, signal)
                .map(o -> Response.status(202).entity(new SignalAnswer(o.outcome(), o.signalId())).build());
    }

    private String encode(JsonNode node) {
        try {
            return node == null || node.isNull() ? null : json.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw Problem.badRequest(ProblemKind.INVALID_JSON, "the payload could not be encoded");
        }
    }
}
