package dev.flowfabric.coordinator.service;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How the service's connections plan: long statements prepared once, sweeps planned per call. */
@QuarkusTest
class PlanCacheTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    Pool pool;

    @Inject
    Transactions tx;

    @Test
    void statementsLongerThanTheClientDefaultLimitArePreparedOncePerConnection() {
        // 3,000+ characters: over Vert.x's default 2,048-character cache limit, like the claim CTE.
        String longSql = "SELECT $1::int AS n /*" + "x".repeat(3_000) + "*/";
        long prepared = pool.withConnection(c -> c.preparedQuery(longSql).execute(Tuple.of(1))
                        .chain(() -> c.preparedQuery(longSql).execute(Tuple.of(2)))
                        .chain(() -> c.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = '"
                                + longSql.replace("'", "''") + "'").execute()))
                .map(rows -> rows.iterator().next().getLong("n"))
                .await().atMost(WAIT);
        assertEquals(1, prepared, "the connection keeps one named statement for it");
    }

    @Test
    void hotPathConnectionsKeepGenericPlansAndSweepTransactionsPlanForTheirParameters() {
        assertEquals("force_generic_plan", setting(tx.run(c -> c.query(SHOW).execute())
                .map(rows -> rows.iterator().next()).await().atMost(WAIT)));
        assertEquals("force_custom_plan", setting(tx.runWithCustomPlans(c -> c.query(SHOW).execute())
                .map(rows -> rows.iterator().next()).await().atMost(WAIT)));
        assertEquals("force_generic_plan", setting(tx.run(c -> c.query(SHOW).execute())
                .map(rows -> rows.iterator().next()).await().atMost(WAIT)), "SET LOCAL ends with the sweep's transaction");
    }

    private static final String SHOW = "SELECT current_setting('plan_cache_mode') AS mode";

    private static String setting(Row row) {
        return row.getString("mode");
    }
}
