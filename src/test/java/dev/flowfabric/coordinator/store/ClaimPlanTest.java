package dev.flowfabric.coordinator.store;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The claim statement's generic plan (the one every connection keeps), made in a claim's transaction,
 * walks the claim index in order and stops at the limit, however small the average lane is. A plan
 * that fetches a whole lane and sorts it cost 5-100 ms a claim on deep lanes, against under 1 ms.
 */
@QuarkusTest
class ClaimPlanTest {

    @Inject
    Pool pool;

    @Inject
    ExecutionStore store;

    @Test
    void aDeepLaneIsClaimedByWalkingTheClaimIndexNotBySortingTheLane() {
        String lane = Api.freshLane();
        for (int i = 0; i < 6; i++) {
            NewExecution.on(lane).createMany(500);
        }
        String plan = pool.withTransaction(c -> c.query("ANALYZE ff_exec_core").execute()
                        .chain(() -> c.query("SET LOCAL plan_cache_mode = force_generic_plan").execute())
                        .chain(() -> store.preferOrderedClaimScan(c))
                        .chain(() -> c.query("PREPARE claim_plan(text, text, text[], int, bigint, text, text, bigint) AS "
                                + ExecutionSql.CLAIM_EXECUTIONS_IF_RUNNABLE).execute())
                        .chain(() -> c.query("EXPLAIN EXECUTE claim_plan('" + lane + "', 'default', '{}', 1, "
                                + System.currentTimeMillis() + ", 'w', 'w-1', 30000)").execute())
                        .call(() -> c.query("DEALLOCATE claim_plan").execute()))
                .map(rows -> StreamSupport.stream(rows.spliterator(), false).map((Row r) -> r.getString(0))
                        .collect(Collectors.joining("\n")))
                .await().atMost(Duration.ofSeconds(30));
        assertTrue(plan.contains("Index Scan using ff_exec_core_claim on ff_exec_core"), plan);
        assertFalse(plan.contains("Bitmap Heap Scan on ff_exec_core"), plan);
    }
}
