package dev.flowfabric.coordinator.claim;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.flowfabric.coordinator.support.Problems.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /v1/lanes/{lane}/claim}: what is handed out, in which order, and what is refused (api.md §2.2). */
@QuarkusTest
class ClaimTest {

    @Inject
    Db db;

    @Test
    void claimReturnsTheLeaseAndTheWorkItself() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).kind("email.send").input(Map.of("to", "a@b.c"))
                .with("tags", Map.of("team", "core")).create();
        long before = System.currentTimeMillis();

        JsonPath claim = Api.expect(Claim.on(lane).ttl(5000).send(), 200).setRootPath("claims[0]");

        assertEquals(id.toString(), claim.getString("execution_id"));
        assertEquals("email.send", claim.getString("kind"));
        assertEquals("a@b.c", claim.getString("input.to"));
        assertEquals("core", claim.getString("tags.team"));
        assertEquals(0, claim.getInt("attempt_index"));
        assertEquals("initial", claim.getString("attempt_type"));
        assertEquals(5000, claim.getLong("lease_ttl_ms"));
        assertTrue(claim.getLong("lease_epoch") >= 1);
        long expires = claim.getLong("lease_expires_at_ms");
        assertTrue(expires >= before + 5000 && expires <= System.currentTimeMillis() + 5000, "expiry " + expires);
        UUID.fromString(claim.getString("lease_id"));
        assertEquals(Api.view(id).getInt("partition_key"), claim.getInt("partition_key"));
    }

    @Test
    void nothingClaimableIs204WithNoBody() {
        var r = Claim.on(Api.freshLane()).send();
        assertEquals(204, r.statusCode());
        assertEquals("", r.asString());
    }

    @Test
    void higherPriorityFirstThenOlderFirst() {
        String lane = Api.freshLane();
        UUID low = NewExecution.on(lane).priority(0).create();
        UUID highOld = NewExecution.on(lane).priority(100).create();
        UUID mid = NewExecution.on(lane).priority(50).create();
        UUID highNew = NewExecution.on(lane).priority(100).create();

        List<UUID> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(Claim.on(lane).one().executionId());
        }
        assertEquals(List.of(highOld, highNew, mid, low), order);
        Claim.on(lane).none();
    }

    /**
     * Executions of one lane can live on many partitions (flow members take their flow's partition);
     * the order is global. Rows are seeded by SQL with the seed's columns to place them freely.
     */
    @Test
    void orderHoldsAcrossPartitionsAndInOneBatch() {
        String lane = Api.freshLane();
        long t = System.currentTimeMillis();
        // partition, priority, created offset
        int[][] rows = {{7, 0, 0}, {200, 10, 5}, {31, 10, 1}, {128, 5, 2}, {0, 10, 3}, {255, 0, 4}};
        List<UUID> ids = new ArrayList<>();
        for (int[] r : rows) {
            UUID id = UUID.randomUUID();
            ids.add(id);
            db.update("""
                    INSERT INTO ff_exec_core (partition_key, execution_id, flow_id, lane_id, attempt_index,
                        lifecycle_phase, ownership_state, eligibility_state, public_state, attempt_state,
                        priority, created_at_ms, raw_fields)
                    VALUES ($1, $2, NULL, $3, 0, 'runnable', 'unowned', 'eligible_now', 'waiting',
                            'pending_first_attempt', $4, $5, '{}'::jsonb)""",
                    (short) r[0], id, lane, r[1], t + r[2]);
        }
        List<UUID> expected = List.of(ids.get(2), ids.get(4), ids.get(1), ids.get(3), ids.get(0), ids.get(5));

        List<Lease> batch = Claim.on(lane).max(100).leases();

        assertEquals(expected, batch.stream().map(Lease::executionId).toList());
        for (int i = 0; i < batch.size(); i++) {
            assertEquals(rows[ids.indexOf(batch.get(i).executionId())][0], Api.view(batch.get(i).executionId())
                    .getInt("partition_key"));
        }
    }

    @Test
    void maxBatchesUpToMaxAndNoMore() {
        String lane = Api.freshLane();
        List<UUID> ids = NewExecution.on(lane).createMany(7);

        List<Lease> first = Claim.on(lane).max(5).leases();
        List<Lease> second = Claim.on(lane).max(5).leases();

        assertEquals(5, first.size());
        assertEquals(2, second.size());
        Claim.on(lane).max(5).none();
        List<Lease> all = new ArrayList<>(first);
        all.addAll(second);
        assertEquals(7, all.stream().map(Lease::executionId).distinct().count(), "no execution twice");
        assertEquals(new HashSet<>(ids), new HashSet<>(all.stream().map(Lease::executionId).toList()));
        assertEquals(7, all.stream().map(Lease::leaseId).distinct().count(), "one lease each");
    }

    @Test
    void requiredCapabilitiesMustBeASubsetOfTheWorkers() {
        String lane = Api.freshLane();
        UUID none = NewExecution.on(lane).priority(1).create();
        UUID gpu = NewExecution.on(lane).priority(2).requires("gpu").create();
        UUID gpuAndLinux = NewExecution.on(lane).priority(3).requires("gpu", "linux").create();

        // No capabilities: only the execution that requires none.
        assertEquals(none, Claim.on(lane).max(10).one().executionId());
        // gpu only: the gpu one, never the one also needing linux.
        assertEquals(gpu, Claim.on(lane).capabilities("gpu", "x86").max(10).one().executionId());
        Claim.on(lane).capabilities("linux").none();
        // A superset claims it.
        assertEquals(gpuAndLinux, Claim.on(lane).capabilities("linux", "arm", "gpu").one().executionId());
    }

    @Test
    void emptyRequirementMatchesEveryWorker() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).with("required_capabilities", List.of()).create();
        assertEquals(id, Claim.on(lane).capabilities("anything", "else").one().executionId());
    }

    @Test
    void namespacesAreIsolated() {
        String lane = Api.freshLane();
        String ns = Api.freshNamespace();
        UUID inNs = NewExecution.on(lane).namespace(ns).create();

        Claim.on(lane).none(); // default namespace
        Claim.on(lane).namespace(Api.freshNamespace()).none();
        assertEquals(inNs, Claim.on(lane).namespace(ns).one().executionId());

        UUID inDefault = NewExecution.on(lane).create();
        Claim.on(lane).namespace(ns).none();
        assertEquals(inDefault, Claim.on(lane).one().executionId());
    }

    @Test
    void otherLanesAreNotTouched() {
        String lane = Api.freshLane();
        NewExecution.on(lane).create();
        Claim.on(Api.freshLane()).none();
        Claim.on(lane).one();
    }

    @Test
    void leaseTtlIsValidated() {
        String lane = Api.freshLane();
        for (long bad : new long[] {999, 0, -1, 3_600_001}) {
            assertProblem(Claim.on(lane).ttl(bad).send(), 400, "invalid_input");
        }
        NewExecution.on(lane).createMany(2);
        assertEquals(1000, Claim.on(lane).ttl(1000).one().ttlMs());
        assertEquals(3_600_000, Claim.on(lane).ttl(3_600_000).one().ttlMs());
    }

    @Test
    void defaultLeaseTtlIs30Seconds() {
        String lane = Api.freshLane();
        NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).with("lease_ttl_ms", null).one();
        assertEquals(30_000, lease.ttlMs());
    }

    @Test
    void maxIsValidated() {
        String lane = Api.freshLane();
        for (int bad : new int[] {0, -1, 101}) {
            assertProblem(Claim.on(lane).max(bad).send(), 400, "invalid_input");
        }
        NewExecution.on(lane).createMany(101);
        assertEquals(100, Claim.on(lane).max(100).leases().size());
    }

    @Test
    void waitMsIsValidated() {
        String lane = Api.freshLane();
        for (long bad : new long[] {-1, 30_001}) {
            assertProblem(Claim.on(lane).waitMs(bad).send(), 400, "invalid_input");
        }
        assertEquals(204, Claim.on(lane).waitMs(0).send().statusCode());
    }

    @Test
    void capabilitiesAreValidated() {
        String lane = Api.freshLane();
        List<List<String>> bad = List.of(List.of(""), List.of("has space"), List.of("a,b"), List.of("tab\there"),
                List.of("x".repeat(65)), Collections.nCopies(65, "c"));
        for (List<String> caps : bad) {
            assertProblem(Claim.on(lane).with("capabilities", caps).send(), 400, "invalid_capabilities");
        }
        var withNull = new ArrayList<String>();
        withNull.add(null);
        assertProblem(Claim.on(lane).with("capabilities", withNull).send(), 400, "invalid_capabilities");
        assertEquals(204, Claim.on(lane).with("capabilities", Collections.nCopies(64, "c")).send().statusCode());
        assertEquals(204, Claim.on(lane).capabilities("x".repeat(64)).send().statusCode());
    }

    @Test
    void workerIdentityAndLaneAreValidated() {
        String lane = Api.freshLane();
        assertProblem(Claim.on(lane).with("worker_id", null).send(), 400, "invalid_input");
        assertProblem(Claim.on(lane).with("worker_instance_id", "").send(), 400, "invalid_input");
        assertProblem(Claim.on("-bad-start").send(), 400, "invalid_input");
        assertProblem(Claim.on("x".repeat(65)).send(), 400, "invalid_input");
    }

    @Test
    void claimedExecutionShowsTheLeaseHolder() {
        String lane = Api.freshLane();
        UUID id = NewExecution.on(lane).create();
        Lease lease = Claim.on(lane).worker("holder").ttl(60_000).one();

        JsonPath view = Api.view(id);
        assertEquals("active", view.getString("public_state"));
        assertEquals("holder", view.getString("current_lease.worker_id"));
        assertEquals("holder-1", view.getString("current_lease.worker_instance_id"));
        assertEquals(lease.epoch(), view.getLong("current_lease.lease_epoch"));
        assertEquals(lease.expiresAtMs(), view.getLong("current_lease.lease_expires_at_ms"));
        assertNotNull(view.get("started_at_ms"));
    }
}
