package dev.flowfabric.coordinator.flows;

import dev.flowfabric.coordinator.service.Commits;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.flowfabric.coordinator.flows.Flows.*;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transitions made by flow resolution (releases, skips, sibling cancels) are transitions like any
 * other: every hook sees them in their transaction, and claimers are woken once it commits.
 */
@QuarkusTest
class HookedTransitionsTest {

    @Inject
    SeenTransitions hooks;

    @Inject
    Pool pool;

    @Test
    void releasesSkipsAndSiblingCancelsRunThroughEveryHook() {
        String lane = lane();
        JsonPath f = createFlow("{\"kind\":\"hooks\",\"nodes\":[" + node("a", lane) + "," + node("b", lane) + ","
                + node("c", lane) + "," + node("d", lane) + "," + node("e", lane) + "],\"edges\":["
                + edge("a", "d") + "," + edge("d", "e") + "," + edge("b", "c") + "," + edge("a", "c")
                + "],\"groups\":[{\"to\":\"c\",\"policy\":\"any_of\"}]}");
        String a = f.getString("nodes.a"), b = f.getString("nodes.b"), c = f.getString("nodes.c"),
                d = f.getString("nodes.d"), e = f.getString("nodes.e");
        var leases = claimAll(lane);
        // b wins c's any_of: c is released and a, still running, is cancelled as a remaining sibling.
        complete(leases.get(b)).statusCode(200);
        assertEquals(List.of("waiting_children", "waiting"), hooks.of(c));
        assertEquals(List.of("waiting", "active", "cancelled"), hooks.of(a));
        // a's cancel fails its success edge to d: d is skipped, and through d, e.
        assertEquals(List.of("waiting_children", "skipped"), hooks.of(d));
        assertEquals(List.of("waiting_children", "skipped"), hooks.of(e));
        fail(leases.get(a)).statusCode(409);
    }

    @Test
    void commitFollowUpsRunOnCommitOnly() {
        AtomicBoolean committed = new AtomicBoolean();
        pool.withTransaction(c -> {
            Commits.onCommit(c, () -> committed.set(true));
            assertFalse(committed.get(), "not before the commit");
            return c.query("SELECT 1").execute();
        }).await().indefinitely();
        await().atMost(Duration.ofSeconds(5)).untilTrue(committed);

        AtomicBoolean rolledBack = new AtomicBoolean();
        SqlConnection conn = pool.getConnection().await().indefinitely();
        try {
            var tx = conn.begin().await().indefinitely();
            Commits.onCommit(conn, () -> rolledBack.set(true));
            tx.rollback().await().indefinitely();
        } finally {
            conn.close().await().indefinitely();
        }
        AtomicBoolean marker = new AtomicBoolean();
        pool.withTransaction(c -> {
            Commits.onCommit(c, () -> marker.set(true));
            return c.query("SELECT 1").execute();
        }).await().indefinitely();
        await().atMost(Duration.ofSeconds(5)).untilTrue(marker);
        assertFalse(rolledBack.get(), "a rolled back transaction runs no follow-up");
        assertTrue(committed.get());
    }
}
