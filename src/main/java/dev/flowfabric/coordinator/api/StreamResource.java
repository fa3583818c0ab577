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

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** Attempt output streams: append, page, summary and the SSE tail (api.md §5). */
@Path("/v1/executions")
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

    public record FramePage(@JsonRawValue String frames, boolean closed, String closedReason) { }

    public record SummaryView(@JsonRawValue String document, long version, Long updatedAtMs) { }

    @POST
    @Path("/{id}/attempts/{n}/frames")
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
