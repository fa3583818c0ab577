package dev.flowfabric.coordinator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The flows benchmark (issue 3), through HTTP: (a) how long a {@code cancel_all} with
 * {@code wait=true} takes on a flow of 100 leased members, and (b) how many 10-node chained flows
 * 8 workers finish per second. Run: {@code ./mvnw -B -Pbench -DskipTests verify
 * -Dbench.main=dev.flowfabric.coordinator.bench.FlowBench} (see the README).
 */
public final class FlowBench {

    static final int CANCEL_MEMBERS = Integer.getInteger("bench.cancel.members", 100);
    static final int CANCEL_RUNS = Integer.getInteger("bench.cancel.runs", 20);
    static final int CANCEL_WARMUP = 3;
    static final int CHAINS = Integer.getInteger("bench.chains", 200);
    static final int CHAIN_LENGTH = Integer.getInteger("bench.chain.length", 10);
    static final int WORKERS = Integer.getInteger("bench.workers", 8);

    public static void main(String[] args) throws Exception {
        try (BenchSupport svc = BenchSupport.start()) {
            System.out.println(BenchSupport.postgresShape());
            ClaimBench.warmUp(svc);
            cancelFanOut(svc);
            chains(svc);
            soloBaseline(svc);
        }
    }

    /** (a) cancel fan-out latency: each run builds a flow of leased members, then times the cancel. */
    static void cancelFanOut(BenchSupport svc) throws Exception {
        Histogram latency = BenchSupport.histogram();
        for (int run = -CANCEL_WARMUP; run < CANCEL_RUNS; run++) {
            String lane = "bench-cancel-" + UUID.randomUUID().toString().substring(0, 8);
            ObjectNode body = BenchSupport.JSON.createObjectNode();
            body.put("kind", "fan-out");
            ArrayNode nodes = body.putArray("nodes");
            for (int i = 0; i < CANCEL_MEMBERS; i++) {
                nodes.addObject().put("ref", "m" + i).put("lane", lane).put("kind", "bench");
            }
            BenchSupport.Reply created = svc.post("/v1/flows", body);
            check(created, 201, "flow create");
            String flow = BenchSupport.json(created).get("flow_id").asText();
            int leased = 0;
            while (leased < CANCEL_MEMBERS) {
                BenchSupport.Reply claim = svc.post("/v1/lanes/" + lane + "/claim", Map.of("worker_id", "w",
                        "worker_instance_id", "w-1", "max", 100, "lease_ttl_ms", 600_000));
                check(claim, 200, "claim");
                leased += BenchSupport.json(claim).get("claims").size();
            }
            long t0 = System.nanoTime();
            BenchSupport.Reply cancel = svc.post("/v1/flows/" + flow + "/cancel?wait=true",
                    Map.of("policy", "cancel_all"));
            long micros = (System.nanoTime() - t0) / 1000;
            check(cancel, 200, "cancel");
            JsonNode answer = BenchSupport.json(cancel);
            if (!"cancelled".equals(answer.get("outcome").asText())
                    || answer.get("member_execution_ids").size() != CANCEL_MEMBERS) {
                throw new IllegalStateException("cancel did not cancel every member: " + cancel.body());
            }
            if (run == -1) {
                BenchSupport.analyze(); // the flow tables were empty when the warm-up began
            }
            if (run >= 0) {
                latency.recordValue(micros);
            }
        }
        System.out.printf(Locale.ROOT, "cancel fan-out %s: %s (max %.1f ms)%n",
                BenchSupport.shape(shape("members", CANCEL_MEMBERS + " leased", "runs", CANCEL_RUNS,
                        "policy", "cancel_all", "wait", true, "warm-up runs", CANCEL_WARMUP)),
                BenchSupport.percentiles(latency, 50, 99), latency.getMaxValue() / 1000.0);
    }

    /** (b) chained flows: every flow is created first, then workers drain them link by link. */
    static void chains(BenchSupport svc) throws Exception {
        String lane = "bench-chain-" + UUID.randomUUID().toString().substring(0, 8);
        long c0 = System.nanoTime();
        for (int f = 0; f < CHAINS; f++) {
            ObjectNode body = BenchSupport.JSON.createObjectNode();
            body.put("kind", "chain");
            ArrayNode nodes = body.putArray("nodes");
            ArrayNode edges = body.putArray("edges");
            for (int i = 0; i < CHAIN_LENGTH; i++) {
                nodes.addObject().put("ref", "n" + i).put("lane", lane).put("kind", "bench")
                        .set("input", BenchSupport.JSON.createObjectNode().put("step", i));
                if (i > 0) {
                    edges.addObject().put("from", "n" + (i - 1)).put("to", "n" + i);
                }
            }
            check(svc.post("/v1/flows", body), 201, "flow create");
        }
        double createSecs = (System.nanoTime() - c0) / 1e9;
        BenchSupport.analyze();

        int total = CHAINS * CHAIN_LENGTH;
        double secs = work(svc, lane, total);
        long completedFlows = countCompletedFlows(lane);
        if (completedFlows != CHAINS) {
            throw new IllegalStateException(completedFlows + " of " + CHAINS + " flows completed");
        }
        System.out.printf(Locale.ROOT, "chained flows %s: %.1f flows/s (%.0f executions/s, %.2f s); "
                        + "creating them: %.1f flows/s%n",
                BenchSupport.shape(shape("flows", CHAINS, "nodes_per_flow", CHAIN_LENGTH + " (a chain)",
                        "workers", WORKERS + " (claim max=1, wait_ms=1000, single complete)",
                        "payload", "small JSON")),
                CHAINS / secs, total / secs, secs, CHAINS / createSecs);
    }

    /** The same work without flows: as many solo executions, the same workers, for comparison. */
    static void soloBaseline(BenchSupport svc) throws Exception {
        String lane = "bench-solo-" + UUID.randomUUID().toString().substring(0, 8);
        int total = CHAINS * CHAIN_LENGTH;
        for (int created = 0; created < total; created += 500) {
            ObjectNode body = BenchSupport.JSON.createObjectNode();
            ArrayNode items = body.putArray("executions");
            for (int i = created; i < Math.min(total, created + 500); i++) {
                items.addObject().put("lane", lane).put("kind", "bench")
                        .set("input", BenchSupport.JSON.createObjectNode().put("step", i));
            }
            check(svc.post("/v1/executions/batch", body), 200, "batch create");
        }
        BenchSupport.analyze();
        double secs = work(svc, lane, total);
        System.out.printf(Locale.ROOT, "solo baseline %s: %.0f executions/s (%.2f s)%n",
                BenchSupport.shape(shape("executions", total + " without flows", "workers", WORKERS
                        + " (claim max=1, wait_ms=1000, single complete)", "payload", "small JSON")),
                total / secs, secs);
    }

    /** Workers claim and complete on the lane until {@code total} completed; returns the seconds it took. */
    static double work(BenchSupport svc, String lane, int total) throws Exception {
        AtomicInteger done = new AtomicInteger();
        AtomicLong finished = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            String worker = "cw" + w;
            futures.add(pool.submit(() -> {
                Map<String, Object> claim = Map.of("worker_id", worker, "worker_instance_id", worker + "-1",
                        "max", 1, "wait_ms", 1000, "lease_ttl_ms", 60_000);
                while (done.get() < total) {
                    BenchSupport.Reply r = svc.post("/v1/lanes/" + lane + "/claim", claim);
                    if (r.statusCode() == 204) {
                        continue;
                    }
                    check(r, 200, "claim");
                    JsonNode c = BenchSupport.json(r).get("claims").get(0);
                    BenchSupport.Reply ok = svc.post("/v1/executions/" + c.get("execution_id").asText() + "/complete",
                            Map.of("lease_id", c.get("lease_id").asText(), "lease_epoch", c.get("lease_epoch").asLong(),
                                    "result", Map.of("ok", true)));
                    check(ok, 200, "complete");
                    if (done.incrementAndGet() == total) {
                        finished.set(System.nanoTime()); // not when the last idle long-poll returns
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(30, TimeUnit.MINUTES);
        }
        pool.shutdown();
        return (finished.get() - start) / 1e9;
    }

    /** Flows of the lane whose state is completed, by a direct query. */
    private static long countCompletedFlows(String lane) throws Exception {
        return BenchSupport.countRows("lane_id = '" + lane + "' AND flow_id IN "
                + "(SELECT flow_id FROM ff_flow_core WHERE public_flow_state = 'completed') "
                + "AND execution_id IN (SELECT downstream_id FROM ff_edge WHERE downstream_id = execution_id) "
                + "AND NOT EXISTS (SELECT 1 FROM ff_edge x WHERE x.upstream_id = execution_id)");
    }

    private static void check(BenchSupport.Reply r, int status, String what) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(what + ": " + r.statusCode() + " " + r.body());
        }
    }

    static Map<String, Object> shape(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
