package dev.flowfabric.coordinator.api;

import dev.flowfabric.coordinator.domain.Partitions;
import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import dev.flowfabric.coordinator.support.SweepRunner;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /v1/executions/{id}}, its attempts, and the filtered, paged list (api.md §1.3). */
@QuarkusTest
class ReadExecutionsTest {

    private static final List<String> VIEW_FIELDS = List.of("execution_id", "partition_key", "namespace", "lane",
            "kind", "priority", "flow_id", "required_capabilities", "tags", "input", "public_state",
            "lifecycle_phase", "ownership_state", "eligibility_state", "blocking_reason", "attempt_state",
            "terminal_outcome", "attempt_index", "attempt_count", "retry_count", "reclaim_count", "created_at_ms",
            "started_at_ms", "terminal_at_ms", "delay_until_ms", "deadline_at_ms", "progress", "result",
            "last_error", "current_lease");

    private static final List<String> ATTEMPT_FIELDS = List.of("attempt_index", "attempt_type", "worker_id",
            "worker_instance_id", "lease_epoch", "started_at_ms", "terminal_at_ms", "outcome", "error");

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    private static JsonPath list(String query) {
        return Api.expect(Api.get("/v1/executions?" + query), 200);
    }

    private static List<String> ids(JsonPath page) {
        return page.getList("executions.execution_id");
    }

    @Test
    void viewCarriesEveryContractField() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Map<String, Object> view = Api.view(id).getMap("");
        assertTrue(view.keySet().containsAll(VIEW_FIELDS), "missing: " + VIEW_FIELDS.stream()
                .filter(f -> !view.containsKey(f)).toList());

        Lease lease = Claim.on(lane).worker("reader").one();
        Api.expect(lease.progress(10, "started"), 204);
        JsonPath active = Api.view(id);
        assertEquals(Map.of("worker_id", "reader", "worker_instance_id", "reader-1"),
                Map.of("worker_id", active.getString("current_lease.worker_id"),
                        "worker_instance_id", active.getString("current_lease.worker_instance_id")));
        assertEquals(10, active.getInt("progress.percent"));
    }

    @Test
    void unknownExecutionIs404() {
        JsonPath p = assertProblem(Api.get("/v1/executions/" + UUID.randomUUID()), 404, "not_found");
        assertEquals("execution", p.getString("entity"));
        assertProblem(Api.get("/v1/executions/" + UUID.randomUUID() + "/attempts"), 404, "not_found");
    }

    @Test
    void attemptsListEveryAttemptOldestFirst() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(1, "fixed", 0, 0, 1.0).create();
        Lease first = Claim.on(lane).worker("w1").ttl(60_000).one();
        sweeps.expireLeases(first.expiresAtMs());
        Lease second = Claim.on(lane).worker("w2").one();
        Api.expect(second.fail("transient"), 200);
        Lease third = Claim.on(lane).worker("w3").one();

        JsonPath attempts = Api.attempts(id);
        assertEquals(3, attempts.getList("attempts").size());
        Map<String, Object> a0 = attempts.getMap("attempts[0]");
        assertTrue(a0.keySet().containsAll(ATTEMPT_FIELDS), a0.keySet().toString());
        assertEquals(List.of(0, 1, 2), attempts.getList("attempts.attempt_index"));
        assertEquals(List.of("initial", "reclaim", "retry"), attempts.getList("attempts.attempt_type"));
        assertEquals(List.of("w1", "w2", "w3"), attempts.getList("attempts.worker_id"));
        assertEquals(List.of("w1-1", "w2-1", "w3-1"), attempts.getList("attempts.worker_instance_id"));
        assertEquals(first.epoch(), attempts.getLong("attempts[0].lease_epoch"));
        assertEquals(third.epoch(), attempts.getLong("attempts[2].lease_epoch"));
        assertEquals("lease_expired", attempts.getString("attempts[0].outcome"));
        assertEquals("retry", attempts.getString("attempts[1].outcome"));
        assertNull(attempts.get("attempts[2].outcome"));
        assertEquals("boom", attempts.getString("attempts[1].error.message"));
        assertNotNull(attempts.get("attempts[1].terminal_at_ms"));
        assertNull(attempts.get("attempts[2].terminal_at_ms"));

        JsonPath view = Api.view(id);
        assertEquals(3, view.getInt("attempt_count"));
        assertEquals(1, view.getInt("retry_count"));
        assertEquals(1, view.getInt("reclaim_count"));
        assertEquals(2, view.getInt("attempt_index"));
    }

    @Test
    void listIsNewestFirst() {
        String lane = Api.freshLane();
        for (int i = 0; i < 5; i++) {
            NewExecution.on(lane).create();
        }
        List<Map<String, Object>> rows = list("lane=" + lane).getList("executions");
        List<Map<String, Object>> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.<Map<String, Object>>comparingLong(r -> ((Number) r.get("created_at_ms")).longValue())
                .reversed());
        assertEquals(5, rows.size());
        assertEquals(sorted.stream().map(r -> r.get("created_at_ms")).toList(),
                rows.stream().map(r -> r.get("created_at_ms")).toList());
    }

    @Test
    void listFiltersByEveryField() {
        String lane = Api.freshLane();
        String otherLane = Api.freshLane();
        String ns = Api.freshNamespace();
        UUID a = NewExecution.on(lane).kind("alpha").create();
        UUID b = NewExecution.on(lane).kind("beta").create();
        UUID c = NewExecution.on(lane).kind("alpha").namespace(ns).create();
        UUID d = NewExecution.on(otherLane).kind("alpha").namespace(ns).create();
        Lease lease = Claim.on(lane).one(); // the oldest of the default namespace: a
        assertEquals(a, lease.executionId());

        assertEquals(Set.of(a.toString(), b.toString(), c.toString()), new HashSet<>(ids(list("lane=" + lane))));
        assertEquals(Set.of(c.toString(), d.toString()), new HashSet<>(ids(list("namespace=" + ns))));
        assertEquals(Set.of(c.toString()), new HashSet<>(ids(list("namespace=" + ns + "&lane=" + lane))));
        assertEquals(Set.of(a.toString(), c.toString()), new HashSet<>(ids(list("lane=" + lane + "&kind=alpha"))));
        assertEquals(Set.of(a.toString()), new HashSet<>(ids(list("lane=" + lane + "&public_state=active"))));
        assertEquals(Set.of(b.toString(), c.toString()),
                new HashSet<>(ids(list("lane=" + lane + "&public_state=waiting"))));
        assertEquals(List.of(), ids(list("lane=" + lane + "&public_state=completed")));
        assertEquals(List.of(), ids(list("lane=" + lane + "&kind=gamma")));
    }

    @Test
    void listFiltersByFlow() {
        String lane = Api.freshLane();
        UUID flow = UUID.randomUUID();
        short part = Partitions.forFlow(flow, 256);
        // A flow header with the seed's columns; creating members with flow_id is part of the execution API.
        db.update("""
                INSERT INTO ff_flow_core (partition_key, flow_id, graph_revision, public_flow_state, created_at_ms)
                VALUES ($1, $2, 0, 'open', $3)""", part, flow, System.currentTimeMillis());
        UUID member = NewExecution.on(lane).with("flow_id", flow.toString()).create();
        NewExecution.on(lane).create();

        JsonPath page = list("flow_id=" + flow);
        assertEquals(List.of(member.toString()), ids(page));
        assertEquals(flow.toString(), page.getString("executions[0].flow_id"));
        assertEquals(part, (short) page.getInt("executions[0].partition_key"), "a member takes its flow's partition");
    }

    @Test
    void listPagesWithLimitAndCursor() {
        String lane = Api.freshLane();
        Set<String> created = new HashSet<>();
        for (int i = 0; i < 7; i++) {
            created.add(NewExecution.on(lane).create().toString());
        }
        List<String> all = ids(list("lane=" + lane + "&limit=1000"));
        assertEquals(7, all.size());

        List<String> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonPath page = list("lane=" + lane + "&limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
            paged.addAll(ids(page));
            cursor = page.getString("next_cursor");
            pages++;
        } while (cursor != null);

        assertEquals(3, pages);
        assertEquals(all, paged, "pages follow the same newest-first order, no gaps, no repeats");
        assertEquals(created, new HashSet<>(paged));
    }

    @Test
    void lastFullPageHasNoCursor() {
        String lane = Api.freshLane();
        NewExecution.on(lane).createMany(4);
        JsonPath first = list("lane=" + lane + "&limit=2");
        assertNotNull(first.getString("next_cursor"));
        JsonPath second = list("lane=" + lane + "&limit=2&cursor=" + first.getString("next_cursor"));
        assertEquals(2, ids(second).size());
        assertNull(second.get("next_cursor"));
        assertTrue(second.getMap("").containsKey("next_cursor"), "next_cursor is present, as null");
    }

    @Test
    void defaultLimitIs100() {
        String lane = Api.freshLane();
        NewExecution.on(lane).createMany(101);
        JsonPath page = list("lane=" + lane);
        assertEquals(100, ids(page).size());
        assertNotNull(page.getString("next_cursor"));
    }

    @Test
    void badCursorIsInvalidCursor() {
        for (String bad : List.of("garbage!!", Base64.getUrlEncoder().encodeToString(
                "no-colon".getBytes(StandardCharsets.UTF_8)), Base64.getUrlEncoder().encodeToString(
                "12:not-a-uuid".getBytes(StandardCharsets.UTF_8)))) {
            assertProblem(Api.get("/v1/executions?cursor=" + bad), 400, "invalid_cursor");
        }
    }
}
