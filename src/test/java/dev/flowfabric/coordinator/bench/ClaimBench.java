package dev.flowfabric.coordinator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The foundation benchmark (issue 2): bulk enqueue, single and batch drains, and create→claim
 * latency under a steady offered load, all through HTTP. Postgres, the service and this load share
 * the machine. Run: {@code ./mvnw -B -Pbench -DskipTests verify} (see the README).
 */
public final class ClaimBench {

    static final int JOBS = Integer.getInteger("bench.jobs", 20_000);
    static final int WARMUP_JOBS = Integer.getInteger("bench.warmup.jobs", 4_000);
    static final int WORKERS = Integer.getInteger("bench.workers", 8);
    static final int PRODUCERS = Integer.getInteger("bench.producers", 8);
    static final int BATCH = 500;
    static final int LATENCY_RATE = Integer.getInteger("bench.latency.rate", 200);
    static final int LATENCY_SECONDS = Integer.getInteger("bench.latency.seconds", 30);
    static final String INPUT = payload(1024);
    /** Which parts to run, e.g. {@code -Dbench.modes=single} while profiling one of them. */
    static final List<String> MODES = List.of(System.getProperty("bench.modes", "single,batch,latency").split(","));

    public static void main(String[] args) throws Exception {
        try (BenchSupport svc = BenchSupport.start()) {
            System.out.println(BenchSupport.postgresShape());
            warmUp(svc);
            if (MODES.contains("single")) {
                String lane = "bench-single-" + UUID.randomUUID().toString().substring(0, 8);
                System.out.println(enqueue(svc, lane, JOBS));
                System.out.println(drain(svc, lane, 1, JOBS));
            }
            if (MODES.contains("batch")) {
                String lane = "bench-batch-" + UUID.randomUUID().toString().substring(0, 8);
                System.out.println(enqueue(svc, lane, JOBS));
                System.out.println(drain(svc, lane, 100, JOBS));
            }
            if (MODES.contains("latency")) {
                latency(svc);
            }
        }
    }

    /**
     * A fresh JVM spends its first tens of seconds compiling the hot paths (C2 alone took ~35 s of
     * CPU here), and the planner has not seen the tables with rows in them yet. Each mode runs
     * once, unmeasured, before the measured runs; what a long-running replica would look like.
     */
    static void warmUp(BenchSupport svc) throws Exception {
        if (WARMUP_JOBS <= 0) {
            return;
        }
        for (int max : new int[] {1, 100}) {
            String lane = "bench-warmup-" + UUID.randomUUID().toString().substring(0, 8);
            enqueue(svc, lane, WARMUP_JOBS);
            drain(svc, lane, max, WARMUP_JOBS);
        }
        BenchSupport.analyze();
        System.out.printf(Locale.ROOT, "warm-up [jobs=%d single + %d batch, not measured]: done%n", WARMUP_JOBS,
                WARMUP_JOBS);
    }

    /** Waits for every task; the first failure stops the rest, so a failed run ends instead of hanging. */
    static void awaitAll(List<Future<?>> futures, ExecutorService pool) throws Exception {
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** 1 KiB JSON document. */
    static String payload(int bytes) {
        StringBuilder sb = new StringBuilder("{\"data\":\"");
        while (sb.length() < bytes - 2) {
            sb.append('x');
        }
        return sb.append("\"}").toString();
    }

    static String enqueue(BenchSupport svc, String lane, int jobs) throws Exception {
        double secs = load(svc, lane, jobs, Map.of());
        return String.format(Locale.ROOT, "enqueue %s: %.0f jobs/s (%.2f s)", BenchSupport.shape(shape(
                "jobs", jobs, "producers", PRODUCERS, "per_call", BATCH, "payload", "1 KiB JSON")), jobs / secs, secs);
    }

    /**
     * Creates {@code jobs} executions on the lane through batch creates, each item carrying
     * {@code fields} too (a namespace, a quota), then analyzes; returns the seconds the creates took.
     */
    static double load(BenchSupport svc, String lane, int jobs, Map<String, String> fields) throws Exception {
        int calls = jobs / BATCH;
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            futures.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < calls; i = next.getAndIncrement()) {
                    ObjectNode body = BenchSupport.JSON.createObjectNode();
                    ArrayNode items = body.putArray("executions");
                    for (int j = 0; j < BATCH; j++) {
                        ObjectNode e = items.addObject();
                        e.put("lane", lane);
                        e.put("kind", "bench");
                        e.set("input", BenchSupport.JSON.readTree(INPUT));
                        fields.forEach(e::put);
                    }
                    BenchSupport.Reply r = svc.post("/v1/executions/batch", body);
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("batch create: " + r.statusCode() + " " + r.body());
                    }
                }
                return null;
            }));
        }
        awaitAll(futures, pool);
        double secs = (System.nanoTime() - start) / 1e9;
        BenchSupport.analyze();
        return secs;
    }

    static String drain(BenchSupport svc, String lane, int max, int jobs) throws Exception {
        Drained d = drain(svc, lane, "default", max, jobs);
        return String.format(Locale.ROOT, "drain %s: %.0f jobs/s (%.2f s), claim latency %s, empty claims %d",
                BenchSupport.shape(shape("jobs", jobs, "workers", WORKERS, "claim_max", max,
                        "complete", max == 1 ? "single" : "batch", "payload", "1 KiB JSON")),
                d.rate(), d.secs(), BenchSupport.percentiles(d.claimLatency(), 50, 99), d.emptyClaims());
    }

    /** What a drain measured. */
    record Drained(int jobs, double secs, Histogram claimLatency, long emptyClaims) {
        double rate() {
            return jobs / secs;
        }
    }

    /**
     * {@code WORKERS} workers claim {@code max} at a time from the lane in the namespace and complete
     * what they got (one call each for {@code max=1}, one batch call otherwise) until {@code jobs} are done.
     */
    static Drained drain(BenchSupport svc, String lane, String namespace, int max, int jobs) throws Exception {
        Recorder claimLatency = new Recorder(3);
        AtomicInteger done = new AtomicInteger();
        AtomicLong emptyClaims = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            String worker = "w" + w;
            futures.add(pool.submit(() -> {
                Map<String, Object> claim = Map.of("worker_id", worker, "worker_instance_id", worker + "-1",
                        "namespace", namespace, "max", max, "lease_ttl_ms", 60_000);
                while (done.get() < jobs) {
                    long t0 = System.nanoTime();
                    BenchSupport.Reply r = svc.post("/v1/lanes/" + lane + "/claim", claim);
                    claimLatency.recordValue((System.nanoTime() - t0) / 1000);
                    if (r.statusCode() == 204) {
                        emptyClaims.incrementAndGet();
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
                                    "lease_id", c.get("lease_id").asText(), "lease_epoch", c.get("lease_epoch").asLong(),
                                    "result", Map.of("ok", true)));
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
        awaitAll(futures, pool);
        double secs = (System.nanoTime() - start) / 1e9;
        return new Drained(done.get(), secs, claimLatency.getIntervalHistogram(), emptyClaims.get());
    }

    /** A steady offered load of single creates while workers long-poll; reports create→claim latency. */
    static void latency(BenchSupport svc) throws Exception {
        String lane = "bench-latency-" + UUID.randomUUID().toString().substring(0, 8);
        int total = LATENCY_RATE * LATENCY_SECONDS;
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Recorder createToClaim = new Recorder(3);
        AtomicInteger claimed = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            String worker = "lw" + w;
            futures.add(workers.submit(() -> {
                Map<String, Object> claim = Map.of("worker_id", worker, "worker_instance_id", worker + "-1",
                        "max", 1, "wait_ms", 1000, "lease_ttl_ms", 60_000);
                while (claimed.get() < total) {
                    BenchSupport.Reply r = svc.post("/v1/lanes/" + lane + "/claim", claim);
                    long now = System.nanoTime();
                    if (r.statusCode() == 204) {
                        continue;
                    }
                    JsonNode c = BenchSupport.json(r).get("claims").get(0);
                    String id = c.get("execution_id").asText();
                    Long t0 = sentAt.remove(id);
                    if (t0 != null) {
                        createToClaim.recordValue((now - t0) / 1000);
                    }
                    claimed.incrementAndGet();
                    svc.post("/v1/executions/" + id + "/complete", Map.of("lease_id", c.get("lease_id").asText(),
                            "lease_epoch", c.get("lease_epoch").asLong()));
                }
                return null;
            }));
        }
        ScheduledExecutorService producer = Executors.newScheduledThreadPool(4);
        AtomicInteger offered = new AtomicInteger();
        long periodNanos = 1_000_000_000L / LATENCY_RATE;
        var ticker = producer.scheduleAtFixedRate(() -> {
            if (offered.incrementAndGet() > total) {
                return;
            }
            String id = UUID.randomUUID().toString();
            sentAt.put(id, System.nanoTime());
            try {
                BenchSupport.Reply r = svc.post("/v1/executions", Map.of("execution_id", id, "lane", lane,
                        "kind", "bench", "input", Map.of("n", 1)));
                if (r.statusCode() != 201) {
                    System.err.println("create: " + r.statusCode() + " " + r.body());
                }
            } catch (Exception e) {
                System.err.println("create failed: " + e);
            }
        }, 0, periodNanos, TimeUnit.NANOSECONDS);
        try {
            for (Future<?> f : futures) {
                f.get(LATENCY_SECONDS + 120L, TimeUnit.SECONDS);
            }
        } finally {
            ticker.cancel(false);
            producer.shutdownNow();
            workers.shutdownNow();
        }
        Histogram h = createToClaim.getIntervalHistogram();
        System.out.printf(Locale.ROOT, "latency %s: create->claim %s (n=%d)%n",
                BenchSupport.shape(shape("offered", LATENCY_RATE + " creates/s", "duration", LATENCY_SECONDS + " s",
                        "workers", WORKERS + " long-polling (wait_ms=1000)", "payload", "small JSON")),
                BenchSupport.percentiles(h, 50, 95, 99), h.getTotalCount());
    }

    static Map<String, Object> shape(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
