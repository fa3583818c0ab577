package dev.flowfabric.coordinator.lease;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import dev.flowfabric.coordinator.support.SweepRunner;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code POST /v1/executions/complete}: many completions in one call, each fenced and judged alone. */
@QuarkusTest
class BatchCompleteTest {

    @Inject
    SweepRunner sweeps;

    private static JsonPath completeAll(List<Map<String, Object>> items) {
        return Api.expect(Api.post("/v1/executions/complete", Map.of("items", items)), 200);
    }

    @Test
    void mixedItemsAreJudgedEachOnItsOwnInRequestOrder() {
        String lane = Api.freshLane();
        NewExecution.on(lane).createMany(5);
        List<Lease> leases = Claim.on(lane).max(5).leases();
        Lease valid1 = leases.get(0);
        Lease valid2 = leases.get(1);
        Lease stale = leases.get(2).withFence(leases.get(2).leaseId(), leases.get(2).epoch() + 7);
        Lease expired = leases.get(3);
        Lease alreadyDone = leases.get(4);
        Api.expect(alreadyDone.complete(Map.of("first", true)), 200);
        Api.expect(Api.post("/v1/executions/" + expired.executionId() + "/revoke-lease", Map.of()), 200);
        UUID unknown = UUID.randomUUID();

        List<Map<String, Object>> items = new ArrayList<>();
        items.add(valid1.completionItem(Map.of("n", 1)));
        items.add(stale.completionItem(null));
        items.add(Map.of("execution_id", unknown.toString(), "lease_id", UUID.randomUUID().toString(),
                "lease_epoch", 1));
        items.add(valid2.completionItem(Map.of("n", 2)));
        items.add(valid1.completionItem(Map.of("n", 1))); // duplicate of the first item
        items.add(expired.completionItem(null));
        items.add(alreadyDone.completionItem(Map.of("first", false))); // replay of an earlier complete
        JsonPath results = completeAll(items);

        assertEquals(List.of(valid1.executionId().toString(), stale.executionId().toString(), unknown.toString(),
                valid2.executionId().toString(), valid1.executionId().toString(), expired.executionId().toString(),
                alreadyDone.executionId().toString()), results.getList("results.execution_id"));
        assertEquals(List.of(200, 409, 404, 200, 200, 409, 200), results.getList("results.status"));
        assertEquals("stale_lease", results.getString("results[1].kind"));
        assertEquals("not_found", results.getString("results[2].kind"));
        assertEquals("lease_revoked", results.getString("results[5].kind"));
        assertEquals("completed", results.getString("results[0].public_state"));
        assertEquals("completed", results.getString("results[3].public_state"));
        assertEquals("completed", results.getString("results[4].public_state"));
        assertEquals("active", results.getString("results[1].public_state"));
        assertEquals("waiting", results.getString("results[5].public_state"));

        assertEquals(1, Api.view(valid1.executionId()).getInt("result.n"));
        assertEquals(2, Api.view(valid2.executionId()).getInt("result.n"));
        assertEquals(true, Api.view(alreadyDone.executionId()).getBoolean("result.first"), "a replay changes nothing");
        assertEquals("active", Api.publicState(stale.executionId()), "the stale item was left alone");
        Api.expect(leases.get(2).complete(null), 200);
    }

    /** Two items for one execution: only the one whose fence holds completes it, whatever the order. */
    @Test
    void aStaleItemIsRefusedEvenWhenAnotherItemCompletesTheSameExecution() {
        String lane = Api.freshLane();
        NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();
        Lease stale = lease.withFence(UUID.randomUUID(), lease.epoch());

        JsonPath results = completeAll(List.of(stale.completionItem(Map.of("from", "stale")),
                lease.completionItem(Map.of("from", "holder"))));

        assertEquals(List.of(409, 200), results.getList("results.status"));
        assertEquals("execution_not_active", results.getString("results[0].kind"), "judged after the holder's");
        assertEquals("holder", Api.view(lease.executionId()).getString("result.from"));
    }

    @Test
    void terminalAndExpiredItemsGetTheirFenceKinds() {
        String lane = Api.freshLane();
        NewExecution.on(lane).createMany(2);
        List<Lease> leases = Claim.on(lane).max(2).ttl(60_000).leases();
        Api.expect(Api.post("/v1/executions/" + leases.get(0).executionId() + "/cancel", Map.of()), 200);
        sweeps.expireLeases(leases.get(1).expiresAtMs());

        JsonPath results = completeAll(List.of(leases.get(0).completionItem(null), leases.get(1).completionItem(null)));

        assertEquals(List.of(409, 409), results.getList("results.status"));
        assertEquals(List.of("execution_not_active", "lease_expired"), results.getList("results.kind"));
        assertEquals("cancelled", results.getString("results[0].public_state"));
    }

    @Test
    void aThousandItemsAreAcceptedAndMoreAreNot() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            items.add(Map.of("execution_id", UUID.randomUUID().toString(), "lease_id", UUID.randomUUID().toString(),
                    "lease_epoch", 1));
        }
        assertProblem(Api.post("/v1/executions/complete", Map.of("items", items)), 400, "invalid_input");
        JsonPath results = completeAll(items.subList(0, 1000));
        assertEquals(Collections.nCopies(1000, 404), results.getList("results.status"));
        assertProblem(Api.post("/v1/executions/complete", Map.of("items", List.of())), 400, "invalid_input");
    }

    @Test
    void anInvalidItemRejectsTheCallNamingItsIndex() {
        String lane = Api.freshLane();
        NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).one();
        List<Map<String, Object>> items = List.of(lease.completionItem(null),
                Map.of("execution_id", UUID.randomUUID().toString(), "lease_epoch", 1));

        JsonPath p = assertProblem(Api.post("/v1/executions/complete", Map.of("items", items)), 400, "invalid_input");
        assertEquals(true, p.getString("detail").contains("items[1]"), p.getString("detail"));
        assertEquals("active", Api.publicState(lease.executionId()), "nothing completed");
    }
}
