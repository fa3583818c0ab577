package dev.flowfabric.coordinator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What admission costs (issue 5): the claim benchmark's drains, once on plain executions and once
 * on executions bound to a namespace budget and a quota policy whose limits never bind, in the
 * order plain, admitted, admitted, plain (so warm-up and drift fall on both sides). Run against
 * the packaged service: {@code ./mvnw -B -Pbench -DskipTests verify
 * -Dbench.main=dev.flowfabric.coordinator.bench.AdmissionBench}.
 */
public final class AdmissionBench {

    static final int JOBS = Integer.getInteger("bench.jobs", 20_000);
    static final int WORKERS = Integer.getInteger("bench.workers", 8);
    static final int PRODUCERS = 8;
    static final int PER_CALL = 500;

    public static void main(String[] args) throws Exception {
        try (BenchSupport svc = BenchSupport.start()) {
            System.out.println(BenchSupport.postgresShape());
            ClaimBench.warmUp(svc);
            String quota = UUID.randomUUID().toString();
            created(svc.post("/v1/quotas", Map.of("quota_policy_id", quota, "window_ms", 60_000,
                    "max_per_window", 1_000_000_000L, "max_concurrent", 1_000_000)));
            created(svc.post("/v1/budgets", Map.of("scope", "namespace", "scope_id", "admitted",
                    "limits", Map.of("tokens", Map.of("hard", 1_000_000_000_000L, "soft", 500_000_000_000L)))));
            // The admission path warms up too, and its tables are analyzed with rows in them: planned
            // while ff_quota_window was empty, the first admitted run measured 314-347 jobs/s, the next 435-473.
            String warmLane = "bench-warmup-admitted-" + UUID.randomUUID().toString().substring(0, 8);
            enqueue(svc, warmLane, "admitted", quota);
            drain(svc, warmLane, "admitted", 100, "warm-up, not measured");
            BenchSupport.analyze();
            for (int max : new int[] {1, 100}) {
                double plain = 0;
                double admitted = 0;
                for (String run : new String[] {"plain", "admitted", "admitted", "plain"}) {
                    boolean bound = run.equals("admitted");
                    String ns = bound ? "admitted" : "plain";
                    String lane = "bench-" + run + "-" + UUID.randomUUID().toString().substring(0, 8);
                    enqueue(svc, lane, ns, bound ? quota : null);
                    BenchSupport.analyze();
                    double rate = drain(svc, lane, ns, max, run);
                    if (bound) {
                        admitted += rate / 2;
                    } else {
                        plain += rate / 2;
                    }
                }
                System.out.printf(Locale.ROOT, "admission cost %s: plain %.0f jobs/s, admitted %.0f jobs/s, cost %.1f %%%n",
                        BenchSupport.shape(shape(max)), plain, admitted, 100 * (plain - admitted) / plain);
            }
            System.out.println("quota after the runs: " + svc.get("/v1/quotas/" + quota).body());
        }
    }

    static Map<String, Object> shape(int max) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("jobs", JOBS);
        s.put("workers", WORKERS);
        s.put("claim_max", max);
        s.put("complete", max == 1 ? "single" : "batch");
        s.put("payload", "1 KiB JSON");
        s.put("admitted", "namespace budget + quota (window 60 s, 1e9/window, 1e6 concurrent)");
        return s;
    }

    private static void created(BenchSupport.Reply r) {
        if (r.statusCode() != 201) {
            throw new IllegalStateException("setup: " + r.statusCode() + " " + r.body());
        }
    }

    static void enqueue(BenchSupport svc, String lane, String namespace, String quota) throws Exception {
        int calls = JOBS / PER_CALL;
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                futures.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < calls; i = next.getAndIncrement()) {
                        ObjectNode body = BenchSupport.JSON.createObjectNode();
                        ArrayNode items = body.putArray("executions");
                        for (int j = 0; j < PER_CALL; j++) {
                            ObjectNode e = items.addObject();
                            e.put("lane", lane);
                            e.put("namespace", namespace);
                            e.put("kind", "bench");
                            e.set("input", BenchSupport.JSON.readTree(ClaimBench.INPUT));
                            if (quota != null) {
                                e.put("quota_policy_id", quota);
                            }
                        }
                        BenchSupport.Reply r = svc.post("/v1/executions/batch", body);
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("batch create: " + r.statusCode() + " " + r.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /** Drains the lane with {@code WORKERS} workers; returns jobs/s. */
    static double drain(BenchSupport svc, String lane, String namespace, int max, String run) throws Exception {
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                String worker = "w" + w;
                futures.add(pool.submit(() -> {
                    Map<String, Object> claim = Map.of("worker_id", worker, "worker_instance_id", worker + "-1",
                            "namespace", namespace, "max", max, "lease_ttl_ms", 60_000);
                    while (done.get() < JOBS) {
                        BenchSupport.Reply r = svc.post("/v1/lanes/" + lane + "/claim", claim);
                        if (r.statusCode() == 204) {
                            continue;
                        }
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("claim: " + r.statusCode() + " " + r.body());
                        }
                        JsonNode claims = BenchSupport.json(r).get("claims");
                        if (max == 1) {
                            JsonNode c = claims.get(0);
                            BenchSupport.Reply ok = svc.post("/v1/executions/" + c.get("execution_id").asText()
                                    + "/complete", Map.of("lease_id", c.get("lease_id").asText(),
                                    "lease_epoch", c.get("lease_epoch").asLong(), "result", Map.of("ok", true)));
                            if (ok.statusCode() != 200) {
                                throw new IllegalStateException("complete: " + ok.statusCode() + " " + ok.body());
                            }
                        } else {
                            List<Map<String, Object>> items = new ArrayList<>();
                            for (JsonNode c : claims) {
                                items.add(Map.of("execution_id", c.get("execution_id").asText(),
                                        "lease_id", c.get("lease_id").asText(),
                                        "lease_epoch", c.get("lease_epoch").asLong(), "result", Map.of("ok", true)));
                            }
                            BenchSupport.Reply ok = svc.post("/v1/executions/complete", Map.of("items", items));
                            if (ok.statusCode() != 200 || ok.body().contains("\"status\":409")) {
                                throw new IllegalStateException("batch complete: " + ok.statusCode() + " " + ok.body());
                            }
                        }
                        done.addAndGet(claims.size());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = done.get() / secs;
        Map<String, Object> shape = shape(max);
        shape.put("run", run);
        System.out.printf(Locale.ROOT, "drain %s: %.0f jobs/s (%.2f s)%n", BenchSupport.shape(shape), rate, secs);
        return rate;
    }
}
