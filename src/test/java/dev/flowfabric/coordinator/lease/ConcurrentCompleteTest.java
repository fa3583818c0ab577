package dev.flowfabric.coordinator.lease;

import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Lease;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many workers completing at once, some twice and some with a stale fence: each caller gets exactly
 * its own answer (its execution, a replay, or its fence refusal) and every result is the first one.
 */
@QuarkusTest
class ConcurrentCompleteTest {

    private static final int EXECUTIONS = 120;

    private record Call(Lease lease, int n, boolean stale) { }

    @Test
    void concurrentCompletesEachGetTheirOwnAnswer() throws Exception {
        String lane = Api.freshLane();
        NewExecution.on(lane).createMany(EXECUTIONS);
        List<Lease> leases = new ArrayList<>(Claim.on(lane).max(100).leases());
        leases.addAll(Claim.on(lane).max(100).leases());
        assertEquals(EXECUTIONS, leases.size());

        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < EXECUTIONS; i++) {
            Lease lease = leases.get(i);
            calls.add(new Call(lease, i, false));
            if (i % 10 == 0) {
                calls.add(new Call(lease, i, false)); // the same completion twice: one completes, one replays
            }
            if (i % 10 == 5) {
                calls.add(new Call(lease.withFence(lease.leaseId(), lease.epoch() + 3), -1, true));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Callable<Response>> tasks = calls.stream()
                    .<Callable<Response>>map(c -> () -> c.lease().complete(Map.of("n", c.n()))).toList();
            List<Future<Response>> answers = pool.invokeAll(tasks);
            for (int i = 0; i < calls.size(); i++) {
                Call call = calls.get(i);
                Response r = answers.get(i).get();
                if (call.stale()) {
                    assertEquals(409, r.statusCode(), r.asString());
                    // Which fence kind depends on whether the real completion committed first (api.md order).
                    assertTrue(List.of("stale_lease", "execution_not_active").contains(r.jsonPath().getString("kind")),
                            r.asString());
                } else {
                    assertEquals(200, r.statusCode(), r.asString());
                    assertEquals(call.lease().executionId().toString(), r.jsonPath().getString("execution_id"));
                    assertEquals("completed", r.jsonPath().getString("public_state"));
                    assertEquals(call.n(), r.jsonPath().getInt("result.n"));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < EXECUTIONS; i++) {
            var view = Api.view(leases.get(i).executionId());
            assertEquals("completed", view.getString("public_state"));
            assertEquals(i, view.getInt("result.n"), "the first completion's result, never a replay's");
        }
    }
}
