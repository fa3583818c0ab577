package dev.flowfabric.coordinator.state;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import dev.flowfabric.coordinator.support.SweepRunner;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every state change writes its event row in the same transaction (api.md §7), read here by SQL. */
@QuarkusTest
class EventLogTest {

    @Inject
    Db db;

    @Inject
    SweepRunner sweeps;

    private List<Object> eventTypes(UUID id) {
        return db.rows("SELECT type FROM ff_event WHERE execution_id = $1 ORDER BY event_id", id).stream()
                .map(r -> r.get("type")).toList();
    }

    @Test
    void aLifeWithRetryReclaimAndRevokeIsLoggedInOrder() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).retries(1, "fixed", 0, 0, 1.0).create();
        Lease first = Claim.on(lane).one();
        Api.expect(first.renew(), 200);
        Api.expect(first.fail("transient"), 200);
        Lease second = Claim.on(lane).one();
        sweeps.expireLeases(second.expiresAtMs());
        Claim.on(lane).one();
        Api.expect(Api.post("/v1/executions/" + id + "/revoke-lease", Map.of()), 200);
        Api.expect(Claim.on(lane).one().complete(null), 200);

        assertEquals(List.of("execution.created", "execution.claimed", "execution.renewed",
                "execution.retry_scheduled", "execution.claimed", "execution.lease_expired", "execution.claimed",
                "execution.lease_revoked", "execution.claimed", "execution.completed"), eventTypes(id));
        Map<String, Object> completed = db.row("""
                SELECT partition_key, at_ms FROM ff_event WHERE execution_id = $1 AND type = 'execution.completed'""", id);
        assertEquals((short) Api.view(id).getInt("partition_key"), completed.get("partition_key"));
        assertEquals(Api.view(id).getLong("terminal_at_ms"), completed.get("at_ms"));
    }

    @Test
    void terminalOutcomesAreLogged() {
        String lane = Api.freshLane();
        UUID failed = NewExecution.on(lane).create();
        Api.expect(Claim.on(lane).one().fail("permanent"), 200);
        UUID cancelled = NewExecution.on(lane).create();
        Api.expect(Api.post("/v1/executions/" + cancelled + "/cancel", Map.of()), 200);
        long deadline = System.currentTimeMillis() + 3_600_000;
        UUID expired = NewExecution.on(lane).deadline(deadline).create();
        sweeps.timeOut(deadline);

        assertEquals(List.of("execution.created", "execution.claimed", "execution.failed"), eventTypes(failed));
        assertEquals(List.of("execution.created", "execution.cancelled"), eventTypes(cancelled));
        assertEquals(List.of("execution.created", "execution.expired"), eventTypes(expired));
    }

    @Test
    void refusedCallsAndReplaysLogNothing() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();
        Api.expect(lease.complete(null), 200);
        Api.expect(lease.complete(null), 200);
        Api.expect(lease.renew(), 409);
        Api.expect(NewExecution.on(lane).id(id).post(), 200);

        assertEquals(List.of("execution.created", "execution.claimed", "execution.completed"), eventTypes(id));
    }
}
