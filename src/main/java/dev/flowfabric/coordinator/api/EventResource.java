package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.domain.Event;
import dev.flowfabric.coordinator.domain.Problem;
import dev.flowfabric.coordinator.domain.ProblemKind;
import dev.flowfabric.coordinator.service.EventService;
import dev.flowfabric.coordinator.store.EventStore;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;
import java.util.UUID;

/** The event log (api.md §7): a cursor read and a resumable SSE stream. */
@Path("/v1/events")
@Tag(name = "Events", description = "The log of every state change: a cursor read and a resumable SSE stream")
public class EventResource {

    private final EventService events;
    private final ObjectMapper json;

    EventResource(EventService events, ObjectMapper json) {
        this.events = events;
        this.json = json;
    }

    public record EventView(long eventId, @Schema(description = "e.g. execution.completed, flow.cancelled, "
                                    + "signal.accepted (api.md §7)") String type,
                            UUID executionId, UUID flowId, Short partitionKey, long atMs,
                            @Schema(type = SchemaType.OBJECT, description = "The type's details")
                            @JsonRawValue String data) {
        static EventView of(Event e) {
            return new EventView(e.eventId(), e.type(), e.executionId(), e.flowId(), e.partitionKey(), e.atMs(),
                    e.dataJson() == null ? "{}" : e.dataJson());
        }
    }

    public record EventList(List<EventView> events,
                            @Schema(description = "The last event id returned, else the after given: pass it as after")
                            long nextCursor) { }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Events after an event id, oldest first, filtered (api.md §7)")
    @APIResponse(responseCode = "200", description = "Up to limit events; next_cursor is never null",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EventList.class)))
    @APIResponse(responseCode = "400", description = "invalid_input (type, flow_id, execution_id, limit), invalid_cursor "
            + "(after)")
    public Uni<EventList> list(@QueryParam("after") String after, @QueryParam("type") String type,
                               @QueryParam("flow_id") String flowId, @QueryParam("execution_id") String executionId,
                               @QueryParam("limit") String limit) {
        long from = after == null ? 0 : cursor(after, "after");
        EventStore.Filter filter = filter(type, flowId, executionId);
        int n = Paging.limit(limit);
        return events.list(from, filter, n).map(page -> new EventList(
                page.events().stream().map(EventView::of).toList(), page.nextCursor()));
    }

    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Stream events over SSE from after, else Last-Event-ID, else from now (api.md §7)")
    @APIResponse(responseCode = "200", description = "One 'event: event' per event: id = event_id, data = the event "
            + "as in GET /v1/events (schema EventView)",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "400", description = "invalid_input (type, flow_id, execution_id), invalid_cursor "
            + "(after, Last-Event-ID)")
    public Multi<OutboundSseEvent> stream(@QueryParam("after") String after,
                                          @HeaderParam("Last-Event-ID") String lastEventId,
                                          @QueryParam("type") String type, @QueryParam("flow_id") String flowId,
                                          @QueryParam("execution_id") String executionId, @Context Sse sse) {
        Long from = after != null ? Long.valueOf(cursor(after, "after"))
                : lastEventId != null ? Long.valueOf(cursor(lastEventId, "Last-Event-ID")) : null;
        EventStore.Filter filter = filter(type, flowId, executionId);
        return events.stream(from, filter).map(e -> sse.newEventBuilder()
                .id(Long.toString(e.eventId())).name("event").mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(String.class, encode(EventView.of(e))).build());
    }

    private String encode(EventView view) {
        try {
            return json.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event view could not be encoded", e);
        }
    }

    private static EventStore.Filter filter(String type, String flowId, String executionId) {
        return new EventStore.Filter(type == null ? null : Check.text(type, "type", 1, 128),
                flowId == null ? null : Check.uuid(flowId, "flow_id"),
                executionId == null ? null : Check.uuid(executionId, "execution_id"));
    }

    private static long cursor(String raw, String what) {
        try {
            long v = Long.parseLong(raw.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw Problem.badRequest(ProblemKind.INVALID_CURSOR, what + " must be an event id (a non-negative integer)");
    }
}
