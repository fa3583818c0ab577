package dev.flowfabric.coordinator.claim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowfabric.coordinator.support.Api;
import dev.flowfabric.coordinator.support.Claim;
import dev.flowfabric.coordinator.support.Db;
import dev.flowfabric.coordinator.support.LeanClient;
import dev.flowfabric.coordinator.support.NewExecution;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Sixteen workers drain one lane of 1,000 executions: every execution is claimed exactly once. */
@QuarkusTest
class ClaimConcurrencyTest {

    private static final int EXECUTIONS = 1000;
    private static final int WORKERS = 16;

    @Inject
    Db db;

    @Test
    void sixteenWorkersClaimEachOfAThousandExecutionsExactlyOnce() throws Exception {
        String lane = Api.freshLane();
        Set<UUID> created = new HashSet<>(NewExecution.on(lane).createMany(EXECUTIONS));
        assertEquals(EXECUTIONS, created.size());

        LeanClient client = new LeanClient();
        ConcurrentLinkedQueue<UUID> claimed = new ConcurrentLinkedQueue<>();
        CyclicBarrier start = new CyclicBarrier(WORKERS);
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                Map<String, Object> claim = Claim.on(lane).worker("conc-" + w).max(1 + w % 4).body();
                workers.add(pool.submit(() -> {
                    start.await();
                    int completed = 0;
                    while (true) {
                        LeanClient.Reply r = client.post("/v1/lanes/" + lane + "/claim", claim);
                        if (r.status() == 204) {
                            return completed;
                        }
                        assertEquals(200, r.status(), () -> "claim: " + r.body());
                        List<Map<String, Object>> items = new ArrayList<>();
                        for (JsonNode c : r.body().get("claims")) {
                            claimed.add(UUID.fromString(c.get("execution_id").asText()));
                            Map<String, Object> item = new LinkedHashMap<>();
                            item.put("execution_id", c.get("execution_id").asText());
                            item.put("lease_id", c.get("lease_id").asText());
                            item.put("lease_epoch", c.get("lease_epoch").asLong());
                            items.add(item);
                        }
                        LeanClient.Reply done = client.post("/v1/executions/complete", Map.of("items", items));
                        assertEquals(200, done.status(), () -> "complete: " + done.body());
                        for (JsonNode result : done.body().get("results")) {
                            completed += result.get("status").asInt() == 200 ? 1 : 0;
                        }
                    }
                }));
            }
            int completed = 0;
            for (Future<Integer> f : workers) {
                completed += f.get(120, TimeUnit.SECONDS);
            }
            assertEquals(EXECUTIONS, completed, "completions accepted");
        } finally {
            pool.shutdownNow();
        }

        List<UUID> all = new ArrayList<>(claimed);
        assertEquals(EXECUTIONS, all.size(), "claims handed out (a duplicate or a miss changes this)");
        assertEquals(created, new HashSet<>(all), "every execution claimed, none twice");
        Map<String, Object> states = db.row("""
                SELECT count(*) FILTER (WHERE public_state = 'completed') AS completed,
                       count(*) FILTER (WHERE attempt_count = 1) AS one_attempt, count(*) AS total
                FROM ff_exec_core WHERE lane_id = $1""", lane);
        assertEquals((long) EXECUTIONS, states.get("completed"));
        assertEquals((long) EXECUTIONS, states.get("one_attempt"));
        assertEquals((long) EXECUTIONS, db.row("SELECT count(*) AS n FROM ff_attempt a JOIN ff_exec_core e "
                + "USING (partition_key, execution_id) WHERE e.lane_id = $1", lane).get("n"), "one attempt row each");
    }
}
