package dev.flowfabric.coordinator.admission;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import dev.flowfabric.coordinator.store.EventStore;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static dev.flowfabric.coordinator.admission.Api.ok;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class EventsTest {

    @Inject
    EventStore store;

    @Inject
    Pool pool;

    @Test
    void oneReplicaAtATimeHoldsTheRelayAndOnlyItsHolderAdvancesTheCursor() {
        String relay = "test-relay-" + UUID.randomUUID();
        long now = 1_000_000;
        assertEquals(Optional.of(0L), store.leaseRelay(pool, relay, "a", now, 10_000).await().indefinitely());
        assertEquals(Optional.empty(), store.leaseRelay(pool, relay, "b", now + 1, 10_000).await().indefinitely());
        assertTrue(store.advanceRelay(pool, relay, "a", 0, 5, now + 2).await().indefinitely());
        assertEquals(Optional.of(5L), store.leaseRelay(pool, relay, "a", now + 3, 10_000).await().indefinitely());
        // a stalls past its lease: b takes over from the recorded cursor, and a's late progress is refused
        assertEquals(Optional.of(5L), store.leaseRelay(pool, relay, "b", now + 10_004, 10_000).await().indefinitely());
        assertFalse(store.advanceRelay(pool, relay, "a", 5, 9, now + 10_005).await().indefinitely());
        assertTrue(store.advanceRelay(pool, relay, "b", 5, 9, now + 10_006).await().indefinitely());
    }

    @Test
    void readsTheLogByCursorWithFilters() {
        long start = ok(given().get("/v1/events?after=0&limit=1000&type=no.such.type"), 200).getLong("next_cursor");
        assertEquals(0, start);
        String lane = Api.lane();
        String id = Api.create(lane, "");
        Api.complete(Api.claim(lane, 1).get(0));

        JsonPath mine = ok(given().get("/v1/events?execution_id=" + id), 200);
        List<String> types = mine.getList("events.type");
        assertEquals(List.of("execution.created", "execution.claimed", "execution.completed"), types);
        assertEquals(id, mine.getString("events[0].execution_id"));
        assertEquals(lane, mine.getString("events[0].data.lane"));
        long first = mine.getLong("events[0].event_id");
        long last = mine.getLong("events[2].event_id");
        assertEquals(last, mine.getLong("next_cursor"));

        JsonPath page = ok(given().get("/v1/events?execution_id=" + id + "&after=" + first + "&limit=1"), 200);
        assertEquals(1, page.getList("events").size());
        assertEquals("execution.claimed", page.getString("events[0].type"));
        JsonPath typed = ok(given().get("/v1/events?execution_id=" + id + "&type=execution.completed"), 200);
        assertEquals(List.of(last), typed.getList("events.event_id", Long.class));
        JsonPath none = ok(given().get("/v1/events?execution_id=" + id + "&after=" + last), 200);
        assertTrue(none.getList("events").isEmpty());
        assertEquals(last, none.getLong("next_cursor"));
    }

    @Test
    void badCursorsAndFiltersAreProblems() {
        given().get("/v1/events?after=-1").then().statusCode(400).body("kind", equalTo("invalid_cursor"));
        given().get("/v1/events?after=abc").then().statusCode(400).body("kind", equalTo("invalid_cursor"));
        given().get("/v1/events?flow_id=nope").then().statusCode(400).body("kind", equalTo("invalid_input"));
        given().get("/v1/events?limit=5000").then().statusCode(400);
        given().get("/v1/events/stream?after=x").then().statusCode(400).body("kind", equalTo("invalid_cursor"));
    }
}
