package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.api.SuspensionBodies.FrameRequest;
import dev.flowfabric.coordinator.domain.FrameMode;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.domain.Wire;
import dev.flowfabric.coordinator.service.StreamService;
import dev.flowfabric.coordinator.store.StreamStore;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.TimeoutException;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** Attempt output streams: append, page, summary and the SSE tail (api.md §5). */
@Path("/v1/executions")
@Tag(name = "Streams", description = "Frames of an attempt's output, its summary document, and the live SSE tail")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class StreamResource {

    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(10);

    private final StreamService streams;
    private final ObjectMapper json;

    StreamResource(StreamService streams, ObjectMapper json) {
        this.streams = streams;
        this.json = json;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FrameAccepted(long seq, Long summaryVersion) { }

    /** One frame as reads and the tail show it. */
    public record Frame(long seq, String frameType, @Schema(description = "Any JSON value") Object payload,
                        @Schema(enumeration = {"durable", "summary", "best_effort"}) String mode, long atMs) { }

    public record FramePage(@Schema(type = SchemaType.ARRAY, implementation = Frame.class) @JsonRawValue String frames,
                            boolean closed, String closedReason) { }

    public record SummaryView(@Schema(description = "Any JSON value; null before the first summary frame")
                              @JsonRawValue String document, long version, Long updatedAtMs) { }

    @POST
    @Path("/{id}/attempts/{n}/frames")
    @Operation(summary = "Append a frame to the caller's attempt (api.md §5)")
    @APIResponse(responseCode = "201", description = "Its seq, and the summary version a summary frame produced",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = FrameAccepted.class)))
    @APIResponse(responseCode = "404", description = "not_found: no such execution or attempt (entity execution, attempt)")
    @APIResponse(responseCode = "409", description = "execution_not_active (the execution or the attempt ended), "
            + "lease_revoked, lease_expired, stale_lease")
    public Uni<Response> append(@PathParam("id") String id, @PathParam("n") String n, FrameRequest body) {
        UUID executionId = Check.uuid(id, "execution id");
        int attempt = attempt(n);
        FrameRequest b = Check.body(body);
        var fence = WorkerBodies.fence(b.leaseId(), b.leaseEpoch());
        String frameType = Check.text(b.frameType(), "frame_type", 1, 128);
        Check.present(b.payload(), "payload");
        FrameMode mode;
        try {
            mode = b.mode() == null ? FrameMode.DURABLE : Wire.parse(FrameMode.class, b.mode());
        } catch (IllegalArgumentException e) {
            throw Problem.invalid("field 'mode' must be durable, summary or best_effort");
        }
        String payload;
        try {
            payload = json.writeValueAsString(b.payload());
        } catch (JsonProcessingException e) {
            throw Problem.badRequest(ProblemKind.INVALID_JSON, "the payload could not be encoded");
        }
        return streams.append(executionId, attempt, fence, frameType, mode, payload)
                .map(a -> Response.status(201).entity(new FrameAccepted(a.seq(), a.summaryVersion())).build());
    }

    @GET
    @Path("/{id}/attempts/{n}/frames")
    @Operation(summary = "Frames after a seq, and whether the attempt ended (api.md §5)")
    @APIResponse(responseCode = "200", description = "Up to limit frames in seq order",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = FramePage.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (attempt, after, limit)")
    @APIResponse(responseCode = "404", description = "not_found: no such execution or attempt (entity execution, attempt)")
    public Uni<FramePage> frames(@PathParam("id") String id, @PathParam("n") String n,
                                 @QueryParam("after") String after, @QueryParam("limit") String limit) {
        UUID executionId = Check.uuid(id, "execution id");
        int attempt = attempt(n);
        long from = after == null ? 0 : seq(after, "after");
        return streams.frames(executionId, attempt, from, Paging.limit(limit)).map(page -> new FramePage(
                page.frames().stream().map(StreamStore.Frame::json).collect(Collectors.joining(",", "[", "]")),
                page.closed(), page.closedReason()));
    }

    /**
     * The live tail: every frame after {@code Last-Event-ID} (or {@code after}, else from the
     * first), then a {@code closed} event once the attempt ended. Quarkus REST commits an SSE
     * response as soon as the stream is subscribed, so the tail is opened (404, 429) before the
     * stream is returned: on a worker thread, waiting for that one read.
     */
    @GET
    @Path("/{id}/attempts/{n}/frames/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Tail the attempt's frames over SSE: event frame (id = seq, data = the frame), then closed (api.md §5)")
    @APIResponse(responseCode = "200", description = "One 'event: frame' per frame (id = seq, data = the frame as in "
            + "GET .../frames, schema Frame), then one 'event: closed' once the attempt ended",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "400", description = "invalid_input (attempt, after, Last-Event-ID)")
    @APIResponse(responseCode = "404", description = "not_found: no such execution or attempt (entity execution, attempt)")
    @APIResponse(responseCode = "429", description = "resource_exhausted: this replica serves its maximum of tails; see Retry-After")
    @Blocking
    public Multi<OutboundSseEvent> tail(@PathParam("id") String id, @PathParam("n") String n,
                                        @HeaderParam("Last-Event-ID") String lastEventId,
                                        @QueryParam("after") String after, @Context Sse sse) {
        UUID executionId = Check.uuid(id, "execution id");
        int attempt = attempt(n);
        long from = lastEventId != null ? seq(lastEventId.trim(), "Last-Event-ID") : after != null ? seq(after, "after") : 0;
        StreamService.Tail tail;
        try {
            tail = streams.openTail(executionId, attempt, from).await().atMost(OPEN_TIMEOUT);
        } catch (TimeoutException e) {
            throw Problem.refused(ProblemKind.UNAVAILABLE, "the database did not answer in time", Map.of());
        }
        return streams.events(tail).map(e -> event(sse, e));
    }

    @GET
    @Path("/{id}/summary")
    @Operation(summary = "The summary document of the current attempt, or of ?attempt=n (api.md §5)")
    @APIResponse(responseCode = "200", description = "The document merged from the summary frames, with its version",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SummaryView.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (attempt)")
    @APIResponse(responseCode = "404", description = "not_found: no such execution or attempt (entity execution, attempt)")
    public Uni<SummaryView> summary(@PathParam("id") String id, @QueryParam("attempt") String attempt) {
        UUID executionId = Check.uuid(id, "execution id");
        Integer n = attempt == null ? null : attempt(attempt);
        return streams.summary(executionId, n).map(s -> new SummaryView(s.documentJson(), s.version(), s.updatedAtMs()));
    }

    private static OutboundSseEvent event(Sse sse, StreamService.TailEvent e) {
        OutboundSseEvent.Builder b = sse.newEventBuilder().name(e.name()).data(String.class, e.data());
        if (e.id() != null) {
            b.id(String.valueOf(e.id()));
        }
        return b.build();
    }

    private static int attempt(String raw) {
        try {
            int n = Integer.parseInt(raw);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw Problem.invalid("attempt '" + raw + "' must be a non-negative integer");
    }

    private static long seq(String raw, String what) {
        try {
            long n = Long.parseLong(raw);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw Problem.invalid("'" + what + "' must be a non-negative frame seq");
    }
}
