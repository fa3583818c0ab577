package dev.flowfabric.coordinator.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What admission costs (issue 5): the claim benchmark's drains, once on plain executions and once
 * on executions bound to a namespace budget and a quota policy whose limits never bind, in the
 * order plain, admitted, admitted, plain (so warm-up and drift fall on both sides). Run against
 * the packaged service: {@code ./mvnw -B -Pbench -DskipTests verify
 * -Dbench.main=dev.flowfabric.coordinator.bench.AdmissionBench}.
 */
public final class AdmissionBench {

    static final int JOBS = ClaimBench.JOBS;

    public static void main(String[] args) throws Exception {
        try (BenchSupport svc = BenchSupport.start()) {
            System.out.println(BenchSupport.postgresShape());
            ClaimBench.warmUp(svc);
            String quota = UUID.randomUUID().toString();
            created(svc.post("/v1/quotas", Map.of("quota_policy_id", quota, "window_ms", 60_000,
                    "max_per_window", 1_000_000_000L, "max_concurrent", 1_000_000)));
            created(svc.post("/v1/budgets", Map.of("scope", "namespace", "scope_id", "admitted",
                    "limits", Map.of("tokens", Map.of("hard", 1_000_000_000_000L, "soft", 500_000_000_000L)))));
            // The admission path warms up too, so the first measured admitted run is not also the
            // first to compile and plan it.
            String warmLane = "bench-warmup-admitted-" + UUID.randomUUID().toString().substring(0, 8);
            enqueue(svc, warmLane, "admitted", quota);
            drain(svc, warmLane, "admitted", 100, "warm-up, not measured");
            for (int max : new int[] {1, 100}) {
                double plain = 0;
                double admitted = 0;
                for (String run : new String[] {"plain", "admitted", "admitted", "plain"}) {
                    boolean bound = run.equals("admitted");
                    String ns = bound ? "admitted" : "plain";
                    String lane = "bench-" + run + "-" + UUID.randomUUID().toString().substring(0, 8);
                    enqueue(svc, lane, ns, bound ? quota : null);
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
        s.put("workers", ClaimBench.WORKERS);
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

    /** Loads {@code JOBS} executions on the lane, bound to the quota when there is one. */
    static void enqueue(BenchSupport svc, String lane, String namespace, String quota) throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("namespace", namespace);
        if (quota != null) {
            fields.put("quota_policy_id", quota);
        }
        ClaimBench.load(svc, lane, JOBS, fields);
    }

    /** Drains the lane with ClaimBench's workers; prints and returns jobs/s. */
    static double drain(BenchSupport svc, String lane, String namespace, int max, String run) throws Exception {
        double rate = ClaimBench.drain(svc, lane, namespace, max, JOBS).rate();
        Map<String, Object> shape = shape(max);
        shape.put("run", run);
        System.out.printf(Locale.ROOT, "drain %s: %.0f jobs/s (%.2f s)%n", BenchSupport.shape(shape), rate, JOBS / rate);
        return rate;
    }
}
