package dev.flowfabric.coordinator.admission;

import dev.flowfabric.coordinator.support.SweepRunner;
import dev.flowfabric.coordinator.sweep.BudgetSweep;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.flowfabric.coordinator.admission.Api.ok;
import static dev.flowfabric.coordinator.admission.Api.post;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class BudgetTest {

    @Inject
    BudgetSweep sweep;

    @Inject
    SweepRunner sweeps;

    @Inject
    Pool pool;

    static String budget(String scope, String scopeId, String limits, long resetIntervalMs) {
        return ok(post("/v1/budgets", "{\"scope\":\"" + scope + "\",\"scope_id\":\"" + scopeId + "\",\"limits\":"
                + limits + ",\"reset_interval_ms\":" + resetIntervalMs + "}"), 201).getString("budget_id");
    }

    static JsonPath usage(String budgetId, String body) {
        return ok(post("/v1/budgets/" + budgetId + "/usage", body), 200);
    }

    static JsonPath view(String budgetId) {
        return ok(given().get("/v1/budgets/" + budgetId), 200);
    }

    @Test
    void createIsIdempotentByIdAndTheViewStartsEmpty() {
        String id = UUID.randomUUID().toString();
        String body = "{\"budget_id\":\"" + id + "\",\"scope\":\"namespace\",\"scope_id\":\"n1\","
                + "\"limits\":{\"tokens\":{\"hard\":100,\"soft\":50},\"calls\":{\"hard\":3}}}";
        JsonPath created = ok(post("/v1/budgets", body), 201);
        assertEquals(id, created.getString("budget_id"));
        assertEquals(100, created.getLong("limits.tokens.hard"));
        assertEquals(50, created.getLong("limits.tokens.soft"));
        assertNull(created.get("limits.calls.soft"));
        assertEquals(0, created.getLong("usage.tokens"));
        assertEquals(0, created.getLong("breach_count"));
        assertEquals(0, created.getLong("soft_breach_count"));
        assertNull(created.get("next_reset_at_ms"));
        assertFalse(created.getBoolean("exhausted"));
        ok(post("/v1/budgets", body), 200);
        post("/v1/budgets", body.replace("\"n1\"", "\"n2\"")).then().statusCode(409)
                .body("kind", equalTo("idempotency_conflict"));
        given().get("/v1/budgets/" + UUID.randomUUID()).then().statusCode(404).body("entity", equalTo("budget"));
        post("/v1/budgets/" + UUID.randomUUID() + "/usage", "{\"usage\":{\"tokens\":1}}").then().statusCode(404);
        post("/v1/budgets/" + UUID.randomUUID() + "/reset", "").then().statusCode(404);
    }

    @Test
    void softThenHardBreachAndAllOrNothingIncrements() {
        String id = budget("namespace", "ns-" + UUID.randomUUID(),
                "{\"tokens\":{\"hard\":100,\"soft\":50},\"cost\":{\"hard\":500}}", 0);
        JsonPath soft = usage(id, "{\"usage\":{\"tokens\":60}}");
        assertEquals("soft_breach", soft.getString("outcome"));
        assertEquals("tokens", soft.getString("dimension"));
        assertEquals(60, soft.getLong("usage"));

        JsonPath hard = usage(id, "{\"usage\":{\"tokens\":60}}");
        assertEquals("hard_breach", hard.getString("outcome"));
        assertEquals("tokens", hard.getString("dimension"));
        assertEquals(60, hard.getLong("usage"));

        JsonPath none = usage(id, "{\"usage\":{\"tokens\":10,\"cost\":501}}");
        assertEquals("hard_breach", none.getString("outcome"));
        assertEquals("cost", none.getString("dimension"));

        JsonPath v = view(id);
        assertEquals(60, v.getLong("usage.tokens"));
        assertEquals(0, v.getLong("usage.cost"));
        assertEquals(2, v.getLong("breach_count"));
        assertEquals(1, v.getLong("soft_breach_count"));
        assertEquals("cost", v.getString("last_breach_dimension"));
        assertTrue(v.getBoolean("exhausted"));

        JsonPath fits = usage(id, "{\"usage\":{\"tokens\":1,\"other\":7}}");
        assertEquals("soft_breach", fits.getString("outcome"));
        assertEquals(61, view(id).getLong("usage.tokens"));
        assertEquals(7, view(id).getLong("usage.other"));
        assertEquals("ok", usage(id, "{\"usage\":{\"cost\":5}}").getString("outcome"));
    }

    @Test
    void aDedupKeyAppliesOnce() {
        String id = budget("namespace", "ns-" + UUID.randomUUID(), "{\"tokens\":{\"hard\":100}}", 0);
        String exec = UUID.randomUUID().toString();
        String body = "{\"usage\":{\"tokens\":7},\"dedup_key\":\"attempt-1\",\"execution_id\":\"" + exec + "\"}";
        assertEquals("ok", usage(id, body).getString("outcome"));
        assertEquals("duplicate", usage(id, body).getString("outcome"));
        assertEquals(7, view(id).getLong("usage.tokens"));
        Long ledger = pool.preparedQuery("SELECT total FROM ff_budget_exec_usage WHERE budget_id = $1 AND execution_id = $2")
                .execute(Tuple.of(UUID.fromString(id), UUID.fromString(exec))).await().indefinitely()
                .iterator().next().getLong("total");
        assertEquals(7, ledger);
    }

    @Test
    void anExhaustedNamespaceBudgetHoldsBackItsExecutionsUntilAReset() throws Exception {
        String ns = "ns-" + UUID.randomUUID();
        String lane = Api.lane();
        String before = Api.create(lane, "\"namespace\":\"" + ns + "\"");
        String elsewhere = Api.create(lane, "");
        String id = budget("namespace", ns, "{\"tokens\":{\"hard\":10}}", 0);

        assertEquals("ok", usage(id, "{\"usage\":{\"tokens\":10}}").getString("outcome"));
        assertTrue(view(id).getBoolean("exhausted"));
        assertEquals("rate_limited", Api.state(before));
        assertEquals("blocked_by_budget", ok(given().get("/v1/executions/" + before), 200).getString("eligibility_state"));
        assertEquals("waiting", Api.state(elsewhere));

        String after = Api.create(lane, "\"namespace\":\"" + ns + "\"");
        assertEquals("rate_limited", Api.state(after));
        assertTrue(Api.claim(lane, ns, 10).isEmpty());

        // A long-polling claimer is woken by the reset, without anyone touching the executions.
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> post("/v1/lanes/" + lane + "/claim",
                "{\"worker_id\":\"w\",\"worker_instance_id\":\"w-2\",\"namespace\":\"" + ns
                        + "\",\"max\":10,\"wait_ms\":20000}").then().statusCode(200).extract().jsonPath()
                .getList("claims").size());
        // The claimer keeps waiting while the budget is exhausted.
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300)).atMost(java.time.Duration.ofSeconds(3))
                .until(() -> !waiting.isDone());
        long start = System.nanoTime();
        JsonPath reset = ok(post("/v1/budgets/" + id + "/reset", "{}"), 200);
        assertFalse(reset.getBoolean("exhausted"));
        assertEquals(0, reset.getLong("usage.tokens"));
        int claimed = waiting.get(15, TimeUnit.SECONDS);
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 10_000);
        int rest = Api.claim(lane, ns, 10).size();
        assertEquals(2, claimed + rest);
    }

    @Test
    void executionScopeAndBudgetIdsBindToo() {
        String lane = Api.lane();
        String byScope = Api.create(lane, "");
        String viaIds = UUID.randomUUID().toString();
        String scoped = budget("execution", byScope, "{\"calls\":{\"hard\":1}}", 0);
        String shared = budget("namespace", "unused-" + UUID.randomUUID(), "{\"calls\":{\"hard\":1}}", 0);
        Api.create(lane, "\"execution_id\":\"" + viaIds + "\",\"budget_ids\":[\"" + shared + "\"]");
        String free = Api.create(lane, "");

        JsonPath refused = usage(scoped, "{\"usage\":{\"calls\":5}}");
        assertEquals("hard_breach", refused.getString("outcome"));
        assertEquals("rate_limited", Api.state(byScope), "a refused report exhausts the budget");
        usage(shared, "{\"usage\":{\"calls\":1}}");
        assertEquals("rate_limited", Api.state(viaIds));

        var claims = Api.claim(lane, 10);
        assertEquals(1, claims.size());
        assertEquals(free, claims.get(0).executionId());
    }

    @Test
    void theResetSweepResetsDueBudgetsAndReleasesTheirExecutions() {
        String ns = "ns-" + UUID.randomUUID();
        String lane = Api.lane();
        String exec = Api.create(lane, "\"namespace\":\"" + ns + "\"");
        String id = budget("namespace", ns, "{\"tokens\":{\"hard\":5}}", 60_000);
        long nextReset = view(id).getLong("next_reset_at_ms");
        usage(id, "{\"usage\":{\"tokens\":9}}");
        assertEquals("rate_limited", Api.state(exec));

        sweep.sweepOnce(nextReset - 1).await().indefinitely();
        assertEquals("rate_limited", Api.state(exec));
        sweep.sweepOnce(nextReset).await().indefinitely();
        JsonPath v = view(id);
        assertFalse(v.getBoolean("exhausted"));
        assertEquals(nextReset + 60_000, v.getLong("next_reset_at_ms"));
        assertEquals(1, v.getLong("breach_count"));
        assertEquals("waiting", Api.state(exec));
        assertEquals(exec, Api.claim(lane, ns, 1).get(0).executionId());
    }

    @Test
    void theClaimRefusesExecutionsOfAnExhaustedBudgetEvenBeforeTheyAreHeldBack() {
        String ns = "ns-" + UUID.randomUUID();
        String lane = Api.lane();
        String exec = Api.create(lane, "\"namespace\":\"" + ns + "\"");
        String id = budget("namespace", ns, "{\"tokens\":{\"hard\":5}}", 0);
        // The scheduled budget sweep would hold the execution back on its own; this test needs the
        // moment before it does.
        try (var paused = sweeps.pauseScheduled(BudgetSweep.class)) {
            // As if a concurrent transition made it claimable while the budget was being exhausted.
            pool.preparedQuery("UPDATE ff_budget SET exhausted = true WHERE budget_id = $1")
                    .execute(Tuple.of(UUID.fromString(id))).await().indefinitely();
            assertEquals("waiting", Api.state(exec));
            assertTrue(Api.claim(lane, ns, 5).isEmpty());
        }
        sweep.sweepOnce(System.currentTimeMillis()).await().indefinitely();
        assertEquals("rate_limited", Api.state(exec));
    }

    @Test
    void badBudgetsAndReportsAreProblems() {
        post("/v1/budgets", "{\"scope\":\"planet\",\"scope_id\":\"x\",\"limits\":{\"t\":{\"hard\":1}}}")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/budgets", "{\"scope\":\"flow\",\"scope_id\":\"not-a-uuid\",\"limits\":{\"t\":{\"hard\":1}}}")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/budgets", "{\"scope\":\"namespace\",\"scope_id\":\"x\",\"limits\":{\"t\":{\"hard\":5,\"soft\":9}}}")
                .then().statusCode(400).body("kind", equalTo("invalid_policy"));
        post("/v1/budgets", "{\"scope\":\"namespace\",\"scope_id\":\"x\",\"limits\":{\"t\":{}}}")
                .then().statusCode(400).body("kind", equalTo("invalid_policy"));
        post("/v1/budgets", "{\"scope\":\"namespace\",\"scope_id\":\"x\",\"limits\":{}}")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));
        post("/v1/budgets", "{\"scope\":\"namespace\",\"scope_id\":\"x\",\"limits\":{\"t\":{\"hard\":1,\"max\":2}}}")
                .then().statusCode(400).body("kind", equalTo("invalid_input"));
        String id = budget("namespace", "x-" + UUID.randomUUID(), "{\"t\":{\"hard\":10}}", 0);
        post("/v1/budgets/" + id + "/usage", "{\"usage\":{\"t\":-1}}").then().statusCode(400);
        post("/v1/budgets/" + id + "/usage", "{\"usage\":{\"t\":1.5}}").then().statusCode(400);
        post("/v1/budgets/" + id + "/usage", "{\"usage\":{\"bad dim\":1}}").then().statusCode(400);
        post("/v1/budgets/" + id + "/usage", "{\"usage\":{}}").then().statusCode(400);
        post("/v1/budgets/" + id + "/reset", "{\"now\":1}").then().statusCode(400);
        given().get("/v1/budgets/not-a-uuid").then().statusCode(400);
        assertEquals(0, view(id).getLong("usage.t"));
    }
}
