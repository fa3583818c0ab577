package dev.flowfabric.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowfabric.coordinator.domain.Partitions;
import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /v1/executions} and {@code POST /v1/executions/batch} (api.md §1.1, §1.2). */
@QuarkusTest
class CreateExecutionTest {

    @Inject
    Db db;

    private long rowsOn(String lane) {
        return (Long) db.row("SELECT count(*) AS n FROM ff_exec_core WHERE lane_id = $1", lane).get("n");
    }

    @Test
    void createAnswers201WithLocationAndTheDefaults() {
        String lane = Api.freshLane();
        long before = System.currentTimeMillis();
        Response r = NewExecution.on(lane).kind("report.build").post();

        JsonPath view = Api.expect(r, 201);
        String id = view.getString("execution_id");
        assertEquals("/v1/executions/" + id, URI(r.header("Location")));
        assertEquals("default", view.getString("namespace"));
        assertEquals(lane, view.getString("lane"));
        assertEquals("report.build", view.getString("kind"));
        assertEquals(0, view.getInt("priority"));
        assertEquals("waiting", view.getString("public_state"));
        assertEquals("runnable", view.getString("lifecycle_phase"));
        assertEquals("eligible_now", view.getString("eligibility_state"));
        assertEquals("unowned", view.getString("ownership_state"));
        assertEquals("pending_first_attempt", view.getString("attempt_state"));
        assertEquals(0, view.getInt("attempt_index"));
        assertEquals(0, view.getInt("attempt_count"));
        assertEquals(0, view.getInt("retry_count"));
        assertEquals(0, view.getInt("reclaim_count"));
        assertEquals(List.of(), view.getList("required_capabilities"));
        assertEquals(Map.of(), view.getMap("tags"));
        assertNull(view.get("input"));
        assertNull(view.get("flow_id"));
        assertNull(view.get("started_at_ms"));
        assertNull(view.get("terminal_outcome"));
        assertNull(view.get("current_lease"));
        assertTrue(view.getLong("created_at_ms") >= before && view.getLong("created_at_ms") <= System.currentTimeMillis());
        assertEquals(Partitions.forLane(lane, 256), (short) view.getInt("partition_key"));
        assertEquals(List.of(), Api.attempts(UUID.fromString(id)).getList("attempts"), "no attempt row before a claim");
        assertEquals(0L, db.row("SELECT count(*) AS n FROM ff_attempt WHERE execution_id = $1", UUID.fromString(id))
                .get("n"));
    }

    private static String URI(String location) {
        return java.net.URI.create(location).getPath();
    }

    @Test
    void everyFieldIsStoredAndShown() {
        String lane = Api.freshLane();
        UUID id = UUID.randomUUID();
        String ns = Api.freshNamespace();
        long deadline = System.currentTimeMillis() + 3_600_000;
        JsonPath view = NewExecution.on(lane).id(id).namespace(ns).kind("k2").priority(9000)
                .requires("gpu", "linux").with("tags", Map.of("team", "core", "env", "test"))
                .input(Map.of("nested", Map.of("list", List.of(1, "two", true)))).idempotencyKey("key-" + id)
                .deadline(deadline).attemptTimeout(5000).createView();

        JsonPath read = Api.view(id);
        for (JsonPath v : List.of(view, read)) {
            assertEquals(id.toString(), v.getString("execution_id"));
            assertEquals(ns, v.getString("namespace"));
            assertEquals(9000, v.getInt("priority"));
            assertEquals(List.of("gpu", "linux"), v.getList("required_capabilities"));
            assertEquals(Map.of("team", "core", "env", "test"), v.getMap("tags"));
            assertEquals(List.of(1, "two", true), v.getList("input.nested.list"));
            assertEquals(deadline, v.getLong("deadline_at_ms"));
        }
        assertEquals(5000L, db.row("SELECT attempt_timeout_ms FROM ff_exec_core WHERE execution_id = $1", id)
                .get("attempt_timeout_ms"));
    }

    @Test
    void anyJsonValueIsAnInputAndReadsBackUnchanged() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String lane = Api.freshLane();
        List<Object> inputs = List.of(Map.of("a", 1), List.of(1, 2, 3), "just text", 42, 3.5, true,
                Map.of(), List.of());
        for (Object input : inputs) {
            JsonNode expected = mapper.valueToTree(input);
            UUID id = NewExecution.on(lane).input(input).create();
            assertEquals(expected, mapper.readTree(Api.get("/v1/executions/" + id).asString()).get("input"),
                    "GET of input " + input);
            assertEquals(expected, mapper.readTree(Api.get("/v1/executions?lane=" + lane + "&limit=1").asString())
                    .get("executions").get(0).get("input"), "list of input " + input);
            assertEquals(expected, mapper.readTree(Claim.on(lane).send().asString()).get("claims").get(0)
                    .get("input"), "claim of input " + input);
        }
    }

    @Test
    void sameExecutionIdAgainIs200WithTheSameExecution() {
        String lane = Api.freshLane();
        UUID id = UUID.randomUUID();
        JsonPath first = NewExecution.on(lane).id(id).input(Map.of("v", 1)).createView();

        Response again = NewExecution.on(lane).id(id).input(Map.of("v", 2)).post();
        JsonPath second = Api.expect(again, 200);
        assertNull(again.header("Location"));
        assertEquals(first.prettify(), second.prettify());
        assertEquals(1, rowsOn(lane));
    }

    @Test
    void sameIdempotencyKeyAgainIs200WithTheSameExecution() {
        String lane = Api.freshLane();
        String key = "order-" + UUID.randomUUID();
        UUID id = NewExecution.on(lane).idempotencyKey(key).create();

        JsonPath again = Api.expect(NewExecution.on(lane).idempotencyKey(key).post(), 200);
        assertEquals(id.toString(), again.getString("execution_id"));
        assertEquals(1, rowsOn(lane));

        // The key is per namespace.
        String ns = Api.freshNamespace();
        UUID other = NewExecution.on(lane).namespace(ns).idempotencyKey(key).create();
        assertTrue(!other.equals(id));
        assertEquals(2, rowsOn(lane));
    }

    @Test
    void sameKeyForOtherWorkIsAConflict() {
        String lane = Api.freshLane();
        String key = "k-" + UUID.randomUUID();
        UUID id = NewExecution.on(lane).kind("a").idempotencyKey(key).create();

        assertProblem(NewExecution.on(lane).kind("b").idempotencyKey(key).post(), 409, "idempotency_conflict");
        assertProblem(NewExecution.on(Api.freshLane()).kind("a").idempotencyKey(key).post(), 409,
                "idempotency_conflict");
        assertProblem(NewExecution.on(lane).kind("b").id(id).post(), 409, "idempotency_conflict");
        assertEquals(1, rowsOn(lane));
    }

    @Test
    void sameExecutionIdInAnotherNamespaceIsAConflict() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        assertProblem(NewExecution.on(lane).id(id).namespace(Api.freshNamespace()).post(), 409,
                "idempotency_conflict");
        assertEquals("default", Api.view(id).getString("namespace"));
    }

    @Test
    void unknownFlowIs404AndWritesNothing() {
        String lane = Api.freshLane();
        JsonPath p = assertProblem(NewExecution.on(lane).with("flow_id", UUID.randomUUID().toString()).post(), 404,
                "not_found");
        assertEquals("flow", p.getString("entity"));
        assertEquals(0, rowsOn(lane));
    }

    @Test
    void batchCreatesInRequestOrderInOneCall() {
        String lane = Api.freshLane();
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            items.add(NewExecution.on(lane).kind("k" + i).priority(i % 7).body());
        }
        JsonPath created = Api.expect(Api.post("/v1/executions/batch", Map.of("executions", items)), 200);

        List<String> kinds = created.getList("executions.kind");
        for (int i = 0; i < 50; i++) {
            assertEquals("k" + i, kinds.get(i));
        }
        assertEquals(50, created.<String>getList("executions.execution_id").stream().distinct().count());
        assertEquals(50, rowsOn(lane));
    }

    @Test
    void batchResolvesDuplicatesToTheFirstAndExistingExecutions() {
        String lane = Api.freshLane();
        UUID existing = NewExecution.on(lane).create();
        UUID fresh = UUID.randomUUID();
        String key = "k-" + UUID.randomUUID();
        List<Map<String, Object>> items = List.of(
                NewExecution.on(lane).id(existing).body(),
                NewExecution.on(lane).id(fresh).body(),
                NewExecution.on(lane).id(fresh).body(),
                NewExecution.on(lane).idempotencyKey(key).body(),
                NewExecution.on(lane).idempotencyKey(key).body());
        JsonPath created = Api.expect(Api.post("/v1/executions/batch", Map.of("executions", items)), 200);

        List<String> ids = created.getList("executions.execution_id");
        assertEquals(existing.toString(), ids.get(0));
        assertEquals(fresh.toString(), ids.get(1));
        assertEquals(fresh.toString(), ids.get(2));
        assertEquals(ids.get(3), ids.get(4));
        assertEquals(3, rowsOn(lane));
    }

    @Test
    void batchOfAThousandIsAcceptedAndMoreIsNot() {
        String lane = Api.freshLane();
        assertEquals(1000, NewExecution.on(lane).createMany(1000).size());
        List<Map<String, Object>> tooMany = java.util.Collections.nCopies(1001, NewExecution.on(lane).body());
        assertProblem(Api.post("/v1/executions/batch", Map.of("executions", tooMany)), 400, "invalid_input");
        assertProblem(Api.post("/v1/executions/batch", Map.of("executions", List.of())), 400, "invalid_input");
        assertEquals(1000, rowsOn(lane));
    }

    @Test
    void anInvalidItemRejectsTheWholeBatchNamingItsIndex() {
        String lane = Api.freshLane();
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            items.add(NewExecution.on(lane).body());
        }
        items.set(3, NewExecution.on(lane).priority(-4).body());
        JsonPath p = assertProblem(Api.post("/v1/executions/batch", Map.of("executions", items)), 400,
                "invalid_input");
        assertTrue(p.getString("detail").contains("executions[3]"), p.getString("detail"));

        items.set(3, NewExecution.on(lane).retries(1, "sideways", 1, 1, 1.0).body());
        JsonPath policy = assertProblem(Api.post("/v1/executions/batch", Map.of("executions", items)), 400,
                "invalid_policy");
        assertTrue(policy.getString("detail").contains("executions[3]"), policy.getString("detail"));

        items.set(3, NewExecution.on(lane).with("priority", "high").body());
        JsonPath type = assertProblem(Api.post("/v1/executions/batch", Map.of("executions", items)), 400,
                "invalid_input");
        assertTrue(type.getString("detail").contains("executions[3]"), type.getString("detail"));
        assertEquals(0, rowsOn(lane), "nothing written");
    }

    @Test
    void aConflictingItemRollsTheWholeBatchBack() {
        String lane = Api.freshLane();
        String key = "k-" + UUID.randomUUID();
        NewExecution.on(lane).kind("a").idempotencyKey(key).create();
        List<Map<String, Object>> items = List.of(NewExecution.on(lane).body(),
                NewExecution.on(lane).kind("b").idempotencyKey(key).body());

        JsonPath p = assertProblem(Api.post("/v1/executions/batch", Map.of("executions", items)), 409,
                "idempotency_conflict");
        assertTrue(p.getString("detail").contains("executions[1]"), p.getString("detail"));
        assertEquals(1, rowsOn(lane), "the first item was rolled back");
    }
}
