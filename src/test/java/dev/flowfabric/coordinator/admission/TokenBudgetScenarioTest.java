package dev.flowfabric.coordinator.admission;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** The token-budget scenario up to the hard breach that stops the flow's claims. */
@QuarkusTest
class TokenBudgetScenarioTest {

    @Inject
    Pool pool;

    @Test
    void aHardBreachOfTheFlowBudgetStopsFurtherClaims() {
        new TokenBudgetScenario().runUntilBreach(pool);
    }
}
