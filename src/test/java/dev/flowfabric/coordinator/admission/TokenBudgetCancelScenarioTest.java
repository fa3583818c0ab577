package dev.flowfabric.coordinator.admission;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static dev.flowfabric.coordinator.admission.Api.ok;
import static dev.flowfabric.coordinator.admission.Api.post;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token-budget scenario to its end: after the breach, the submitter cancels what is pending. */
@QuarkusTest
class TokenBudgetCancelScenarioTest {

    @Inject
    Pool pool;

    @Test
    void theSubmitterCancelsThePendingRestAndTheBudgetViewShowsTheBreach() {
        TokenBudgetScenario s = new TokenBudgetScenario().runUntilBreach(pool);
        String heldBack = s.heldBack();

        JsonPath cancel = ok(post("/v1/flows/" + s.flowId + "/cancel?wait=true", "{\"policy\":\"cancel_pending\"}"), 200);
        assertEquals("cancelled", cancel.getString("outcome"));
        assertTrue(cancel.getList("member_execution_ids").contains(heldBack));
        assertEquals("cancelled", Api.state(heldBack));

        JsonPath view = ok(given().get("/v1/budgets/" + s.budgetId), 200);
        assertEquals(1, view.getLong("breach_count"));
        assertEquals("tokens", view.getString("last_breach_dimension"));
    }
}
