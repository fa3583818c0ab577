package dev.flowfabric.coordinator.admission;

import dev.flowfabric.coordinator.admission.Api.Claim;
import dev.flowfabric.coordinator.domain.Partitions;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static dev.flowfabric.coordinator.admission.Api.ok;
import static dev.flowfabric.coordinator.admission.Api.post;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The token-budget scenario: a flow of five children shares a flow budget (tokens soft 800 /
 * hard 1200); each worker reports its attempt's tokens; the hard breach stops further claims.
 */
final class TokenBudgetScenario {

    static final long TOKENS_PER_ATTEMPT = 350;

    final String flowId = UUID.randomUUID().toString();
    final String lane = Api.lane();
    final List<String> children = new ArrayList<>();
    final List<String> outcomes = new ArrayList<>();
    String budgetId;

    /** Runs the scenario up to the hard breach and checks what the contract promises at that point. */
    TokenBudgetScenario runUntilBreach(Pool pool) {
        // The flow header as the flows API would write it; its members are created with flow_id.
        pool.preparedQuery("INSERT INTO ff_flow_core (partition_key, flow_id, graph_revision, public_flow_state, "
                        + "created_at_ms, kind) VALUES ($1, $2, 0, 'open', $3, 'agent-run')")
                .execute(Tuple.of(Partitions.forFlow(UUID.fromString(flowId), 256), UUID.fromString(flowId),
                        System.currentTimeMillis()))
                .await().indefinitely();
        budgetId = ok(post("/v1/budgets", "{\"scope\":\"flow\",\"scope_id\":\"" + flowId
                + "\",\"limits\":{\"tokens\":{\"soft\":800,\"hard\":1200}}}"), 201).getString("budget_id");
        for (int i = 0; i < 5; i++) {
            children.add(Api.create(lane, "\"flow_id\":\"" + flowId + "\",\"input\":{\"step\":" + i + "}"));
        }

        while (true) {
            List<Claim> claimed = Api.claim(lane, 1);
            if (claimed.isEmpty()) {
                break;
            }
            Claim c = claimed.get(0);
            int attempt = ok(given().get("/v1/executions/" + c.executionId()), 200).getInt("attempt_index");
            String report = "{\"usage\":{\"tokens\":" + TOKENS_PER_ATTEMPT + "},\"dedup_key\":\"" + c.executionId()
                    + ":" + attempt + "\",\"execution_id\":\"" + c.executionId() + "\"}";
            outcomes.add(ok(post("/v1/budgets/" + budgetId + "/usage", report), 200).getString("outcome"));
            // A worker retrying its report after a lost response is not counted twice.
            assertEquals("duplicate", ok(post("/v1/budgets/" + budgetId + "/usage", report), 200).getString("outcome"));
            Api.complete(c);
        }

        assertEquals(List.of("ok", "ok", "soft_breach", "hard_breach"), outcomes);
        long waiting = children.stream().filter(id -> Api.state(id).equals("rate_limited")).count();
        assertEquals(1, waiting, "the fifth child is held back by the exhausted budget");
        assertTrue(Api.claim(lane, 5).isEmpty());

        JsonPath view = ok(given().get("/v1/budgets/" + budgetId), 200);
        assertEquals(3 * TOKENS_PER_ATTEMPT, view.getLong("usage.tokens"));
        assertEquals(1, view.getLong("breach_count"));
        assertEquals(1, view.getLong("soft_breach_count"));
        assertEquals("tokens", view.getString("last_breach_dimension"));
        assertTrue(view.getBoolean("exhausted"));
        return this;
    }

    String heldBack() {
        return children.stream().filter(id -> Api.state(id).equals("rate_limited")).findFirst().orElseThrow();
    }
}
